/**
 * Edit the headers of the response a handler finished, in place: the cheap way (no copy of the
 * Response, docs/PERFORMANCE.md, seventh session). A Response whose headers are immutable (one
 * from `fetch()` or `Response.redirect()`) throws a TypeError on any edit; that one is copied once
 * through hono's `res` setter, which makes a Response with the same status, body and headers, and
 * the edit is made on the copy.
 */
import type { Context } from "hono";

export function editResponseHeaders(c: Context, edit: (headers: Headers) => void): void {
  try {
    edit(c.res.headers);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // biome-ignore lint/correctness/noSelfAssign: hono's setter copies the Response into a mutable one
    c.res = c.res;
    edit(c.res.headers);
  }
}

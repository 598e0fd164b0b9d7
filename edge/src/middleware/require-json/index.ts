/**
 * 415 problem+json unless the request says its body is JSON, uncompressed (before the body is
 * read). A compressed body (Content-Encoding other than identity) would otherwise be read as
 * bytes that are not JSON and answered "not valid JSON", which misleads a client that compresses
 * by default; RFC 9110 §15.5.16 asks for a 415 that says which codings are accepted.
 */
import type { MiddlewareHandler } from "hono";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../../problems.js";

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Whether a Content-Type header names JSON (application/json or a +json type), parameters aside. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  return JSON_MEDIA_TYPE.test((contentType ?? "").split(";")[0]?.trim() ?? "");
}

export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    if (!isJsonMediaType(c.req.header("content-type"))) {
      return problemJson(415, {
        type: EDGE_PROBLEM_TYPES.unsupportedMediaType,
        detail: "Send the request body as JSON with Content-Type: application/json.",
        instance: instanceOf(c),
      });
    }
    const codings = (c.req.header("content-encoding") ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== "" && s !== "identity");
    if (codings.length > 0) {
      return problemJson(
        415,
        {
          type: EDGE_PROBLEM_TYPES.unsupportedMediaType,
          detail: `Send the request body uncompressed: Content-Encoding ${codings.join(", ").slice(0, 40)} is not accepted.`,
          instance: instanceOf(c),
        },
        { "Accept-Encoding": "identity" },
      );
    }
    await next();
  };
}

/**
 * 415 problem+json unless the request says its body is JSON, uncompressed (before the body is
 * read). A compressed body (Content-Encoding other than identity) would otherwise be read as
 * bytes that are not JSON and answered "not valid JSON", which misleads a client that compresses
 * by default; RFC 9110 §15.5.16 asks for a 415 that says which codings are accepted.
 */

import { jsonContentTypeProblem } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../../problems.js";

export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    const problem = jsonContentTypeProblem(c.req.header("content-type"));
    if (problem !== null) {
      return problemJson(415, {
        type: EDGE_PROBLEM_TYPES.unsupportedMediaType,
        detail: problem,
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

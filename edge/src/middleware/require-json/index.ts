/** 415 problem+json unless the request says its body is JSON (before the body is read). */
import type { MiddlewareHandler } from "hono";
import { EDGE_PROBLEM_TYPES, problemJson } from "../../problems.js";

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export function requireJson(): MiddlewareHandler {
  return async (c, next) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!JSON_MEDIA_TYPE.test(mediaType)) {
      return problemJson(415, {
        type: EDGE_PROBLEM_TYPES.unsupportedMediaType,
        detail: "Send the request body as JSON with Content-Type: application/json.",
      });
    }
    await next();
  };
}

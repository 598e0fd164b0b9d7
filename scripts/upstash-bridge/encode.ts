/**
 * Turn a Redis reply (RESP2, bulk strings as Buffers) into the JSON text of an Upstash `result`.
 *
 * With `Upstash-Encoding: base64`, @upstash/redis 1.39 base64-decodes every string it finds in
 * `result`, recursively in arrays, except a top-level "OK" (see `decode()` in its http.ts). So:
 * bulk strings and simple strings are base64 (the bytes exactly as Redis holds them, which keeps
 * binary values intact), numbers and null stay as they are, and only a top-level "OK" status is sent
 * verbatim. Inside arrays even "OK" is encoded, because the client decodes every nested string.
 *
 * Without the header, strings are sent as UTF-8 text (non-UTF-8 bytes become U+FFFD, as on Upstash).
 *
 * Builds JSON text directly: base64 never needs escaping, so large values skip JSON.stringify's scan.
 */
export function replyToJson(reply: unknown, base64: boolean, topLevel: boolean): string {
  if (reply === null || reply === undefined) return "null";
  if (Buffer.isBuffer(reply)) {
    return base64 ? `"${reply.toString("base64")}"` : JSON.stringify(reply.toString("utf8"));
  }
  switch (typeof reply) {
    case "string":
      if (!base64 || (topLevel && reply === "OK")) return JSON.stringify(reply);
      return `"${Buffer.from(reply, "utf8").toString("base64")}"`;
    case "number":
      return Number.isFinite(reply) ? String(reply) : "null";
    case "bigint":
      return reply.toString();
    case "boolean":
      return reply ? "1" : "0";
    default:
      break;
  }
  if (Array.isArray(reply)) {
    let out = "[";
    for (let i = 0; i < reply.length; i++) {
      if (i > 0) out += ",";
      out += replyToJson(reply[i], base64, false);
    }
    return `${out}]`;
  }
  // A nested error (e.g. a Lua table holding redis.error_reply): Upstash has no shape for it,
  // so send its message as a plain string.
  if (reply instanceof Error) return replyToJson(reply.message, base64, false);
  return JSON.stringify(String(reply));
}

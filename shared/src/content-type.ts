/**
 * Whether a request's Content-Type names a JSON body: shared by the edge (its public API) and the
 * backend (its internal routes), so both read one rule.
 */
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The charset a Content-Type header declares, lower-cased and unquoted, or undefined. Only this
 * one parameter matters here, so it is read by hand: a full media-type parser (jshttp's
 * content-type) would also refuse loosely written headers such as a trailing ";" that clients send
 * and that carry nothing wrong.
 */
function declaredCharset(contentType: string): string | undefined {
  for (const param of contentType.split(";").slice(1)) {
    const eq = param.indexOf("=");
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "charset") continue;
    return param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, "$1")
      .toLowerCase();
  }
  return undefined;
}

/**
 * Why a Content-Type header does not name a JSON body this API reads, or null when it does:
 * application/json or a +json type, any parameters, and a charset, if one is given, of UTF-8 or
 * its subset US-ASCII (RFC 8259 §8.1: JSON exchanged between systems is UTF-8; the body is decoded as UTF-8 whatever
 * the header says, so a body declared as another charset would be misread, not converted).
 */
export function jsonContentTypeProblem(contentType: string | undefined): string | null {
  const header = contentType ?? "";
  if (!JSON_MEDIA_TYPE.test(header.split(";")[0]?.trim() ?? "")) {
    return "Send the request body as JSON with Content-Type: application/json.";
  }
  const charset = declaredCharset(header);
  // US-ASCII is a subset of UTF-8: its bytes read the same (older clients still label JSON so).
  if (charset !== undefined && !["utf-8", "utf8", "us-ascii"].includes(charset)) {
    return `Send the request body as UTF-8 JSON (RFC 8259): charset=${charset.slice(0, 40)} is not accepted; give charset=utf-8 or no charset.`;
  }
  return null;
}

/** Whether a Content-Type header names a JSON body this API reads (see jsonContentTypeProblem). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  return jsonContentTypeProblem(contentType) === null;
}

/**
 * Which URLs a service may call: `https:`, or plain `http:` to the machine itself (the local
 * stack, tests). Every such URL carries or decides something trusted (API keys and bearer tokens,
 * keys that mint tokens, results shared by all users, imagery analysed for them), and over plain
 * http anyone on the path could read or forge it. Used by the edge's and the backend's
 * configuration checks.
 */

/** Hosts plain http may reach. */
export const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** What a configuration error says about a URL that breaks the rule. */
export const SECURE_URL_RULE = "must be an https URL (plain http only to 127.0.0.1, localhost or [::1])";

/** Whether `text` is an absolute http(s) URL with a host that is https, or http to loopback. */
export function isSecureServiceUrl(text: string): boolean {
  // Schemes are case-insensitive (RFC 3986 §3.1): URL lower-cases them.
  if (!/^https?:\/\/[^\s/]+/i.test(text) || !URL.canParse(text)) return false;
  const url = new URL(text);
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

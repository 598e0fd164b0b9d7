/**
 * The audit log: one JSON line per request, written with console in the Worker's log format
 * (Workers Logs index JSON lines; `wrangler tail` and workerd print them as is). It never holds a
 * key, token, secret or coordinate: users by id, API keys by the first 12 hex of their hash, areas
 * by shared's areaHash.
 */

/** What handlers add to the line while the request runs. */
export interface AuditRecord {
  user?: string;
  auth?: "api_key" | "jwt";
  key_id?: string;
  area_hash?: string;
  analysis_id?: string;
  cache?: "HIT" | "MISS";
  /** MISS: whether the result reached the cache. */
  stored?: boolean;
  provider?: string;
  ratelimit_remaining?: number;
  /** Where the rate-limit decision came from ("memory": Redis down under fail-open). */
  ratelimit_source?: "redis" | "memory" | "unavailable";
  /** Problem type of an error answer. */
  error?: string;
  /** Why a dependency failed (backend connect/timeout/…, storage). */
  cause?: string;
}

export interface AuditLine extends AuditRecord {
  readonly ts: string;
  readonly level: "info" | "error";
  readonly msg: "request";
  /** The edge's own id of the request (unique; the backend logs it too). */
  readonly request_id: string;
  /** The caller's `X-Request-Id`, when it sent a short and plain one (callers choose it freely). */
  readonly client_request_id?: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly latency_ms: number;
}

export type AuditSink = (line: AuditLine) => void;

/** The production sink: console.info (console.error for 5xx) of one JSON line. */
export const consoleAuditSink: AuditSink = (line) => {
  const text = JSON.stringify(line);
  if (line.level === "error") console.error(text);
  else console.info(text);
};

/** Request helpers: analysis bodies and authenticated calls. */
import type { EdgeWorker } from "./edge.js";

/** A valid ~110 m x 110 m bbox near Brisbane, shifted by `k` steps so each k is a distinct area. */
export function bboxBody(k = 0, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const w = 153.02 + k * 0.002;
  const s = -27.47;
  return { area: { type: "bbox", bbox: [w, s, w + 0.001, s + 0.001] }, ...extra };
}

export function postAnalysis(
  edge: EdgeWorker,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return edge.fetch("/v1/analyses", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function get(edge: EdgeWorker, path: string, token?: string, headers: Record<string, string> = {}) {
  return edge.fetch(path, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
}

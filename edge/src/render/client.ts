/**
 * The signed client of the backend's render route:
 *   POST {BACKEND_URL}/internal/v1/render  {kind, bbox, resolution_m, provider, lines?, totals?, caption?}
 * -> image/png. Same signing and time budget as analyses (shared/signing, BACKEND_TIMEOUT_MS), one
 * retry when the connection fails; a picture is used only when the answer's signature verifies.
 * Failures become the edge's own problems; nothing the backend says in an error reaches the client.
 */
import {
  BodyTooLargeError,
  PROBLEM_TYPES,
  type Problem,
  problem,
  readCappedBytes,
  signRequest,
  verifyResponse,
} from "@lanesegnet/shared";
import type { BackendOptions } from "../backend/client.js";
import { DEPENDENCY_RETRY_AFTER_S, EDGE_PROBLEM_TYPES } from "../problems.js";
import type { RenderBody } from "./from-result.js";

export const RENDER_PATH = "/internal/v1/render";

export type RenderReply =
  | { readonly ok: true; readonly png: Uint8Array }
  | {
      readonly ok: false;
      readonly problem: Problem;
      readonly retryAfterS: number | undefined;
      /** For the audit log. */
      readonly cause: "connect" | "timeout" | "overloaded" | "no_imagery" | "bad_status" | "bad_signature";
    };

function fail(
  status: number,
  type: string,
  detail: string,
  cause: Extract<RenderReply, { ok: false }>["cause"],
  retryAfterS?: number,
): RenderReply {
  return { ok: false, problem: problem(status, { type, detail }), retryAfterS, cause };
}

function retryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d{1,5}$/.test(value.trim())) return undefined;
  const s = Number(value);
  return s >= 1 && s <= 3600 ? s : undefined;
}

/**
 * Pictures are 256-colour PNGs of at most 2048 px a side (gpu-backend/src/render): about 4 MiB in
 * the worst case. The cap only stops a broken or hostile peer from filling the isolate's memory.
 */
export const MAX_PICTURE_BYTES = 16 * 2 ** 20;

/** PNGs start with these 8 bytes; anything else from the backend is a bad answer. */
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export class RenderClient {
  constructor(
    private readonly options: BackendOptions,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async render(body: RenderBody, requestId: string): Promise<RenderReply> {
    const url = this.options.url + RENDER_PATH;
    const path = new URL(url).pathname;
    const text = JSON.stringify(body);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response | undefined;
    let nonce = "";
    for (let attempt = 0; attempt < 2 && !res; attempt++) {
      const headers = await signRequest(this.options.signingSecret, { method: "POST", path, body: text });
      nonce = headers["X-LSN-Nonce"];
      try {
        res = await this.fetchImpl(url, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json", "x-request-id": requestId },
          body: text,
          signal,
          redirect: "manual",
        });
      } catch {
        if (signal.aborted) return this.#timeout();
      }
    }
    if (!res) {
      return fail(
        503,
        EDGE_PROBLEM_TYPES.backendUnavailable,
        "The imaging service is unreachable; try again shortly.",
        "connect",
        DEPENDENCY_RETRY_AFTER_S,
      );
    }
    let bytes: Uint8Array = new Uint8Array(0);
    try {
      // Only a 200 has a body worth reading: an error is told by its status and headers alone.
      if (res.status === 200) bytes = await readCappedBytes(res, MAX_PICTURE_BYTES);
      else await res.body?.cancel();
    } catch (error) {
      if (signal.aborted) return this.#timeout();
      return fail(
        502,
        EDGE_PROBLEM_TYPES.badGateway,
        error instanceof BodyTooLargeError
          ? "The imaging service gave an answer too large to be a picture."
          : "The imaging service gave an incomplete answer.",
        "bad_status",
      );
    }
    if (
      res.status === 200 &&
      !(await verifyResponse(this.options.signingSecret, nonce, 200, res.headers, bytes))
    ) {
      // Pictures are stored and shared as analyses are: only what the backend signed for this request.
      return fail(
        502,
        EDGE_PROBLEM_TYPES.badGateway,
        "The imaging service gave an answer that failed its integrity check.",
        "bad_signature",
      );
    }
    if (res.status === 200 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return { ok: true, png: bytes };
    if (res.status === 503 || res.status === 429) {
      return fail(
        503,
        PROBLEM_TYPES.overloaded,
        "The imaging service is busy; try again after the time in Retry-After.",
        "overloaded",
        retryAfter(res.headers.get("retry-after")) ?? DEPENDENCY_RETRY_AFTER_S,
      );
    }
    if (res.status === 422) {
      return fail(
        422,
        PROBLEM_TYPES.noImagery,
        "The imagery of this analysis is no longer available from its provider.",
        "no_imagery",
      );
    }
    if (res.status === 504) return this.#timeout();
    return fail(
      502,
      EDGE_PROBLEM_TYPES.badGateway,
      "The imagery could not be fetched or drawn; try again later.",
      "bad_status",
      res.status === 502
        ? (retryAfter(res.headers.get("retry-after")) ?? DEPENDENCY_RETRY_AFTER_S)
        : undefined,
    );
  }

  #timeout(): RenderReply {
    return fail(504, EDGE_PROBLEM_TYPES.backendTimeout, "Drawing the imagery took too long.", "timeout");
  }
}

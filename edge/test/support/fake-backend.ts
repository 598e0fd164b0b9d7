/**
 * A real loopback HTTP server speaking the backend protocol the edge uses:
 *   POST /internal/v1/analyze  {request, providers, request_id}  (HMAC-signed, verified here)
 *   GET  /readyz
 *   GET  /coverage-index.bin   (a serialised coverage index, when one is set)
 * It counts calls and has switches to be slow, down, overloaded, broken, or to fail providers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  areaBbox,
  type ImageryProviderName,
  RESPONSE_SIGNATURE_HEADER,
  type ResolvedAnalysisRequest,
  signResponse,
  verifyRequest,
} from "@lanesegnet/shared";
import { InternalAnalyzeSchema } from "../../../gpu-backend/src/analysis/internal-request.js";

export interface AnalyzeCall {
  readonly request: ResolvedAnalysisRequest;
  readonly providers: ImageryProviderName[];
  readonly request_id: string;
  readonly analysis_id?: string;
}

export type BackendMode =
  | "ok"
  /** 503 + Retry-After: 7 (load shedding). */
  | "overloaded"
  /** 500 with an internal message in the body (must never reach a client). */
  | "error"
  /** 200 with a body that is not an analysis. */
  | "garbage"
  /** 422 no-imagery problem. */
  | "no_imagery"
  /** 422 area-too-large problem (a coarse request the model analyses finer, over the pixel limit). */
  | "area_too_large"
  /** 500, then a body that does not end (up to 256 MiB, or until the edge hangs up). */
  | "endless_error"
  /** 200, then a body that does not end (up to 256 MiB, or until the edge hangs up). */
  | "endless_ok";

const ONE_PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

/** Bytes an endless answer sends at most (the loop must end even if nobody hangs up). */
const ENDLESS_MAX_BYTES = 256 * 2 ** 20;

export const BACKEND_INTERNAL_DETAIL =
  "onnxruntime: CUDA_ERROR_OUT_OF_MEMORY at /srv/models/secret-path.onnx";

export class FakeBackend {
  readonly calls: AnalyzeCall[] = [];
  /** POST /internal/v1/analyze requests received, dropped ones included. */
  attempts = 0;
  /** Drop this many next analyze requests by closing the connection without an answer. */
  dropConnections = 0;
  badSignatures = 0;
  /** Bodies the real backend's schema (gpu-backend InternalAnalyzeSchema) would refuse. */
  readonly contractViolations: string[] = [];
  mode: BackendMode = "ok";
  /** The signature on answers: "valid" (as the real backend), "missing", or one made for another request. */
  answerSignature: "valid" | "missing" | "other_request" = "valid";
  delayMs = 0;
  /** Analyses being answered now (during delayMs), and the most at once since the last reset. */
  inFlight = 0;
  maxInFlight = 0;
  /** Providers that report `failed` (the next candidate is used). */
  readonly failing = new Set<ImageryProviderName>();
  model = { name: "test-model", version: "1" };
  /** Extra features per answer (to make large bodies). */
  extraFeatures = 0;
  coverageIndex: ArrayBuffer | undefined;
  /** How long GET /coverage-index.bin takes to answer (the index, or 404 without one). */
  coverageIndexDelayMs = 0;
  /**
   * POST /internal/v1/render: unset, 404 (no pictures); "endless", a 200 PNG whose body does not
   * end (up to 256 MiB, or until the edge hangs up); "busy", a 503 with Retry-After: 9 and a
   * 1 MiB body; "png", a 1×1 PNG for a signed request, its answer signed as answerSignature says.
   */
  renderMode: "endless" | "busy" | "png" | undefined;
  /** Bytes of render answers written so far. */
  renderBytesSent = 0;
  /** What GET /readyz says the backend can use (unset: it does not say, as older backends). */
  imageryProviders: ImageryProviderName[] | undefined;
  /** GET /readyz requests received, and how long each takes to answer. */
  readyzCalls = 0;
  readyzDelayMs = 0;
  #server: Server;
  #port = 0;

  private constructor(private readonly secret: string) {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  }

  static async start(secret: string): Promise<FakeBackend> {
    const b = new FakeBackend(secret);
    await b.#listen(0);
    return b;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Stop listening: connections are refused from now on (the backend is "down"). */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** Listen again on the same port. */
  async restart(): Promise<void> {
    await this.#listen(this.#port);
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => {
        this.#server.removeListener("error", reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? "/";

    if (req.method === "GET" && path === "/readyz") {
      this.readyzCalls++;
      if (this.readyzDelayMs > 0) await new Promise((r) => setTimeout(r, this.readyzDelayMs));
      const said = this.imageryProviders ? { imagery_providers: this.imageryProviders } : {};
      return send(res, 200, JSON.stringify({ status: "ready", ...said }));
    }
    if (req.method === "GET" && path === "/coverage-index.bin" && this.coverageIndexDelayMs > 0) {
      await new Promise((r) => setTimeout(r, this.coverageIndexDelayMs));
    }
    if (req.method === "GET" && path === "/coverage-index.bin" && this.coverageIndex) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(Buffer.from(this.coverageIndex));
      return;
    }
    if (req.method === "POST" && path === "/internal/v1/render" && this.renderMode === "busy") {
      res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "9" });
      res.end(Buffer.alloc(2 ** 20, 0x20));
      return;
    }
    if (req.method === "POST" && path === "/internal/v1/render" && this.renderMode === "png") {
      const verified = await verifyRequest(this.secret, req.headers, { method: "POST", path, body });
      if (!verified.ok) return send(res, 401, '{"title":"bad signature"}');
      if (this.answerSignature !== "missing") {
        const nonce =
          this.answerSignature === "other_request" ? "another-request-nonce-0000" : verified.nonce;
        res.setHeader(RESPONSE_SIGNATURE_HEADER, await signResponse(this.secret, nonce, 200, ONE_PIXEL_PNG));
      }
      res.writeHead(200, { "content-type": "image/png" });
      res.end(ONE_PIXEL_PNG);
      return;
    }
    if (req.method === "POST" && path === "/internal/v1/render" && this.renderMode === "endless") {
      res.writeHead(200, { "content-type": "image/png" });
      res.write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      this.renderBytesSent += await writeEndless(res, Buffer.alloc(64 * 1024));
      res.end();
      return;
    }
    if (req.method !== "POST" || path !== "/internal/v1/analyze") return send(res, 404, "{}");
    this.attempts++;
    if (this.dropConnections > 0) {
      this.dropConnections--;
      req.socket.destroy();
      return;
    }

    const verified = await verifyRequest(this.secret, req.headers, { method: "POST", path, body });
    if (!verified.ok) {
      this.badSignatures++;
      return send(res, 401, '{"title":"bad signature"}');
    }
    // As the real backend: every answer to an accepted request is signed for its nonce.
    const reply = async (status: number, text: string) => {
      if (this.answerSignature !== "missing") {
        const nonce =
          this.answerSignature === "other_request" ? "another-request-nonce-0000" : verified.nonce;
        res.setHeader(RESPONSE_SIGNATURE_HEADER, await signResponse(this.secret, nonce, status, text));
      }
      send(res, status, text);
    };
    const call = JSON.parse(body.toString("utf8")) as AnalyzeCall;
    // The real backend's own schema of this body: the edge must satisfy it exactly.
    const contract = InternalAnalyzeSchema.safeParse(call);
    if (!contract.success) {
      this.contractViolations.push(contract.error.message);
      return reply(400, JSON.stringify({ title: "Invalid request", status: 400 }));
    }
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    } finally {
      this.inFlight--;
    }
    if (res.destroyed) return;

    switch (this.mode) {
      case "overloaded":
        res.setHeader("retry-after", "7");
        return reply(
          503,
          JSON.stringify({
            type: "/problems/overloaded",
            title: "busy",
            status: 503,
            detail: BACKEND_INTERNAL_DETAIL,
          }),
        );
      case "error":
        return reply(500, JSON.stringify({ title: "boom", status: 500, detail: BACKEND_INTERNAL_DETAIL }));
      case "garbage":
        return reply(200, `{"hello":"${BACKEND_INTERNAL_DETAIL}"}`);
      case "endless_error":
      case "endless_ok":
        return sendEndless(res, this.mode === "endless_ok" ? 200 : 500);
      case "no_imagery":
        return reply(
          422,
          JSON.stringify({
            type: "/problems/no-imagery",
            title: "x",
            status: 422,
            detail: BACKEND_INTERNAL_DETAIL,
          }),
        );
      case "area_too_large":
        return reply(
          422,
          JSON.stringify({
            type: "/problems/area-too-large",
            title: "x",
            status: 422,
            detail: BACKEND_INTERNAL_DETAIL,
          }),
        );
      default: {
        const { analysis, tried } = this.#analysis(call);
        if (!analysis) {
          // As the real backend: 502 + Retry-After when providers failed, 422 when none covers.
          const failed = tried.some((a) => a.outcome === "failed");
          if (failed) res.setHeader("retry-after", "30");
          const status = failed ? 502 : 422;
          const body = { type: "/problems/no-imagery", title: "No imagery", status, providers_tried: tried };
          return reply(status, JSON.stringify(body));
        }
        return reply(200, JSON.stringify(analysis));
      }
    }
  }

  #analysis(call: AnalyzeCall) {
    const tried: { provider: string; outcome: string; reason?: string }[] = [];
    let used: string | undefined;
    for (const p of call.providers) {
      if (this.failing.has(p)) {
        tried.push({ provider: p, outcome: "failed", reason: "tile server answered 500" });
        continue;
      }
      used = p;
      tried.push({ provider: p, outcome: "used" });
      break;
    }
    if (used === undefined) return { analysis: null, tried };
    const [w, s, e, n] = areaBbox(call.request.area);
    const feature = (k: number) => ({
      type: "Feature",
      id: `f${k}`,
      geometry: {
        type: "LineString",
        coordinates: [
          [w + ((e - w) * (k + 1)) / (k + 2), s],
          [w + ((e - w) * (k + 1)) / (k + 2), n],
        ],
      },
      properties: {
        id: `f${k}`,
        class: "single_white_solid",
        class_id: 1,
        length_m: 150.5 + k,
        width_m: 0.15,
        confidence: 0.91,
        dashed: false,
      },
    });
    // Backend-specific member order, on purpose: the edge must reorder it.
    const analysis = {
      features: Array.from({ length: 1 + this.extraFeatures }, (_, k) => feature(k)),
      type: "FeatureCollection",
      bbox: [w, s, e, n],
      analysis: {
        providers_tried: tried,
        id: call.analysis_id ?? "backend-own-id",
        cache: "MISS",
        model: this.model,
        imagery: {
          provider: used,
          attribution: "Test imagery",
          resolution_m: call.request.resolution_m,
        },
        area_m2: 12345.6,
        totals: { single_white_solid: { count: 1 + this.extraFeatures, length_m: 150.5 } },
        created_at: "2026-11-26T00:00:00.000Z",
      },
    };
    return { analysis, tried };
  }
}

/** A chunked body that keeps coming: records whether the peer hung up before the end. */
async function sendEndless(res: ServerResponse, status: number): Promise<void> {
  res.writeHead(status, { "content-type": "application/json" });
  res.write(`{"detail":"${BACKEND_INTERNAL_DETAIL}","pad":"`);
  await writeEndless(res, Buffer.alloc(64 * 1024, 0x20));
  res.end('"}');
}

/** Write `chunk` again and again until ENDLESS_MAX_BYTES or the peer hangs up; the bytes written. */
async function writeEndless(res: ServerResponse, chunk: Buffer): Promise<number> {
  let sent = 0;
  for (; sent < ENDLESS_MAX_BYTES && !res.destroyed; sent += chunk.length) {
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once("drain", resolve);
        res.once("close", resolve);
      });
    }
  }
  return sent;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": status >= 400 ? "application/problem+json" : "application/json" });
  res.end(body);
}

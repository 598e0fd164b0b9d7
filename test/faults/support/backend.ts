/**
 * The real inference backend as its own process (gpu-backend/src/main.ts under tsx, exactly as
 * `npm start` runs it), so a test can kill it; and a loopback XYZ tile server that can answer,
 * hold its answers, or never answer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { freePort } from "../../../scripts/upstash-bridge/redis-source.js";
import { SIGNING_SECRET } from "./stack.js";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BACKEND_MAIN = `${REPO_ROOT}gpu-backend/src/main.ts`;
export const SHIPPED_MODEL = `${REPO_ROOT}models/lanesegnet-lite.onnx`;

/** Name and version from the shipped model's card (the edge's MODEL_NAME / MODEL_VERSION). */
export function shippedModel(): { name: string; version: string } {
  const card = JSON.parse(readFileSync(SHIPPED_MODEL.replace(/\.onnx$/, ".json"), "utf8")) as {
    name: string;
    version: string;
  };
  return { name: card.name, version: card.version };
}

/** Run `gpu-backend/src/main.ts` with this environment (nothing inherited but PATH and HOME). */
export function runBackendMain(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", BACKEND_MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export interface BackendProcess {
  readonly url: string;
  readonly port: number;
  /** Everything it wrote so far. */
  readonly output: { stdout: string; stderr: string };
  /** Kill it (default SIGKILL, a crash) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sample value of a Prometheus series from its /metrics, or 0 when absent. */
  metric(series: string): Promise<number>;
}

/** Start the backend on a free port and wait until /readyz answers 200. */
export async function startBackendProcess(
  env: Record<string, string>,
  port?: number,
): Promise<BackendProcess> {
  const p = port ?? (await freePort());
  const child = runBackendMain({
    BACKEND_HOST: "127.0.0.1",
    BACKEND_PORT: String(p),
    BACKEND_SIGNING_SECRET: SIGNING_SECRET,
    MODEL_PATH: SHIPPED_MODEL,
    EXECUTION_PROVIDERS: "cpu",
    INFERENCE_THREADS: "1",
    LOG_LEVEL: "warn",
    ...env,
  });
  const output = { stdout: "", stderr: "" };
  child.stdout?.on("data", (c: Buffer) => {
    output.stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output.stderr += c.toString();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${p}`;
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (exitCode === undefined) child.kill(signal);
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`backend exited (${exitCode}) before ready:\n${output.stderr}`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`backend not ready within 60 s:\n${output.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port: p,
    output,
    kill,
    async metric(series) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    },
  };
}

export type TileMode = "ok" | "hang" | "held";

/**
 * Serves one grey 256-px JPEG (with a white stripe) for every /{z}/{y}/{x}. "hang": accepts and
 * never answers; "held": answers once release() is called.
 */
export class TileServer {
  mode: TileMode = "ok";
  requests = 0;
  #held: ServerResponse[] = [];
  #server: Server;

  private constructor(private readonly jpeg: Buffer) {
    this.#server = createServer((_req, res) => {
      this.requests++;
      if (this.mode === "hang") return;
      if (this.mode === "held") {
        this.#held.push(res);
        return;
      }
      this.#send(res);
    });
  }

  static async start(): Promise<TileServer> {
    const rgb = Buffer.alloc(256 * 256 * 3, 95);
    for (let y = 0; y < 256; y++) rgb.fill(235, (y * 256 + 120) * 3, (y * 256 + 124) * 3);
    const jpeg = await sharp(rgb, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg()
      .toBuffer();
    const t = new TileServer(jpeg);
    await new Promise<void>((resolve) => t.#server.listen(0, "127.0.0.1", resolve));
    return t;
  }

  /** URL template for ESRI_TILE_URL. */
  get template(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/{z}/{y}/{x}`;
  }

  /** Answer the held requests and serve normally from now on. */
  release(): void {
    this.mode = "ok";
    for (const res of this.#held.splice(0)) if (!res.destroyed) this.#send(res);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #send(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "image/jpeg" });
    res.end(this.jpeg);
  }
}

/** A ~40 m x 40 m bbox inside the demo store (Sacramento, synthetic), k = 0..15. */
export function demoStoreBbox(k: number): [number, number, number, number] {
  const w = -121.4962 + (k % 4) * 0.0008;
  const s = 38.5802 + Math.floor(k / 4) * 0.0006;
  return [w, s, w + 0.0005, s + 0.0004];
}

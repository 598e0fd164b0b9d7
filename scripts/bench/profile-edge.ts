/**
 * Where the edge Worker spends its CPU on cache hits: a V8 CPU profile of workerd's isolate under
 * the `cached` load, through workerd's DevTools protocol (Miniflare's inspectorPort).
 *
 *   npm run profile:edge -- [--duration 10] [--connections 10] [--top 40] [--out edge.cpuprofile]
 *                           [--heap promoted|all] [--direct-socket]
 *
 * Prints the functions with the most self time (with their file:line in the bundled Worker) and
 * the self time per source package (hono, zod, @upstash/*, our own code, ...). `--out` writes the
 * raw profile for Chrome DevTools or speedscope. An attached profiler slows the isolate: use the
 * shares, not the throughput, and measure throughput with `npm run load -- cached` instead.
 *
 * `--direct-socket` profiles the edge on its own workerd socket, without Miniflare's entry Worker.
 *
 * `--heap` samples allocations instead (V8's sampling heap profiler) and prints bytes per hit by
 * allocation site: `promoted` keeps only what outlived a young-generation collection (what makes
 * scavenges slow and old-space grow, so the pauses that set the tail), `all` everything allocated.
 * No library does this for workerd (chrome-remote-interface speaks the same protocol but adds
 * nothing here beyond the three calls below), so it talks to the inspector over `ws` directly.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { numberFlag, outputFiles, runCli, UsageError } from "../cli/run.js";
import { bundleEntry, REPO_ROOT, startLocalStack } from "../dev/stack.js";
import { analysisBody, DEMO_BBOX } from "../load/areas.js";
import { runPhase } from "../load/run-phase.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** A minimal DevTools protocol client: send(method, params) -> result. */
async function connect(port: number): Promise<{
  send(method: string, params?: object): Promise<Record<string, unknown>>;
  close(): void;
}> {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl?: string;
    title?: string;
  }[];
  const target = list.find((t) => t.webSocketDebuggerUrl);
  if (!target?.webSocketDebuggerUrl) throw new Error("workerd's inspector lists no target");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let next = 1;
  const pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  ws.on("message", (data: WebSocket.RawData) => {
    const msg = JSON.parse(String(data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: unknown;
    };
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
    else p?.resolve(msg.result ?? {});
  });
  return {
    send(method, params = {}) {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

/** The package a bundled source position belongs to, from esbuild's `// node_modules/...` markers. */
function packageOf(markers: readonly { line: number; name: string }[], line: number): string {
  let lo = 0;
  let hi = markers.length - 1;
  let found = "(runtime)";
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = markers[mid] as { line: number; name: string };
    if (m.line <= line) {
      found = m.name;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function markersOf(source: string): { line: number; name: string }[] {
  const out: { line: number; name: string }[] = [];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    // esbuild marks each module with a `// path/to/file.ts` line (other comments are not paths).
    const m = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(lines[i] as string);
    if (!m) continue;
    const path = m[1] as string;
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    out.push({ line: i, name: nm ? (nm[1] as string) : `ours: ${path.split("/").slice(0, 2).join("/")}` });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      connections: { type: "string", default: "10" },
      top: { type: "string", default: "40" },
      out: { type: "string" },
      heap: { type: "string" },
      help: { type: "boolean", short: "h" },
      // The edge on its own workerd socket, without Miniflare's entry Worker (LocalStackOptions).
      "direct-socket": { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.info(
      "usage: npm run profile:edge -- [--duration S (1-120)] [--connections N (1-200)] [--top N] [--out FILE] [--heap promoted|all] [--direct-socket]",
    );
    return;
  }
  await outputFiles({ "--out": values.out });
  if (values.heap !== undefined && values.heap !== "promoted" && values.heap !== "all") {
    throw new UsageError("--heap must be promoted or all");
  }
  const durationS = numberFlag("duration", values.duration, { min: 1, max: 120 });
  const connections = numberFlag("connections", values.connections, { min: 1, max: 200, integer: true });
  const top = numberFlag("top", values.top, { min: 1, max: 1_000, integer: true });
  const inspectorPort = await freePort();
  const stack = await startLocalStack({
    withoutBackend: false,
    inspectorPort,
    directSocket: values["direct-socket"],
    edgeVars: { RATE_LIMIT_PER_HOUR: "1000000" },
  });
  try {
    const keys = await Promise.all(Array.from({ length: 50 }, (_, i) => stack.createApiKey(`profile-${i}`)));
    const body = analysisBody(DEMO_BBOX);
    const headers = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
    const requests = keys.map((key) => ({
      method: "POST" as const,
      path: "/v1/analyses",
      headers: headers(key),
      body,
    }));
    const warm = await fetch(`${stack.edgeUrl}/v1/analyses`, {
      method: "POST",
      headers: headers(keys[0] as string),
      body,
    });
    if (warm.status !== 200) throw new Error(`pre-warm failed: ${warm.status} ${await warm.text()}`);
    await runPhase({ name: "warm-up", url: stack.edgeUrl, connections, durationS: 3, requests });

    const inspector = await connect(inspectorPort);
    try {
      const phase = () =>
        runPhase({ name: "profiled", url: stack.edgeUrl, connections, durationS, requests });
      const markers = markersOf(await bundledSource());
      if (values.heap) await heapProfile(inspector, phase, values.heap === "all", markers, top);
      else await cpuProfile(inspector, phase, markers, top, values.out);
    } finally {
      inspector.close();
    }
  } finally {
    await stack.stop();
  }
}

type Inspector = Awaited<ReturnType<typeof connect>>;
type Phase = () => Promise<{ requests: number; durationS: number }>;
type Markers = { line: number; name: string }[];

function frameName(f: ProfileNode["callFrame"], markers: Markers): string {
  const where = f.url ? `${f.url.split("/").pop()}:${f.lineNumber + 1}` : "";
  const pkg = f.url.endsWith("worker.mjs")
    ? packageOf(markers, f.lineNumber)
    : f.url
      ? "(other)"
      : "(native/idle/gc)";
  return `${f.functionName || "(anonymous)"} ${where} [${pkg}]`;
}

async function cpuProfile(
  inspector: Inspector,
  phase: Phase,
  markers: Markers,
  top: number,
  out: string | undefined,
): Promise<void> {
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
  await inspector.send("Profiler.start");
  const ran = await phase();
  const { profile } = (await inspector.send("Profiler.stop")) as unknown as { profile: Profile };
  if (out) await writeFile(out, JSON.stringify(profile));

  const total = (profile.samples ?? []).length;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const name = frameName(n.callFrame, markers);
    const pkg = /\[(.*)\]$/.exec(name)?.[1] ?? "";
    byFn.set(name, (byFn.get(name) ?? 0) + hits);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
  }
  const pct = (v: number) => ((100 * v) / Math.max(1, total)).toFixed(1).padStart(5);
  process.stdout.write(
    `${ran.requests} hits in ${ran.durationS} s (${Math.round(ran.requests / ran.durationS)}/s with the profiler attached), ${total} samples\n\nSelf time by package:\n`,
  );
  for (const [pkg, v] of [...byPkg].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`${pct(v)} %  ${pkg}\n`);
  process.stdout.write(`\nTop ${top} functions by self time:\n`);
  for (const [name, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${pct(v)} %  ${name}\n`);
  }
}

interface HeapNode {
  callFrame: ProfileNode["callFrame"];
  selfSize: number;
  children: HeapNode[];
}

async function heapProfile(
  inspector: Inspector,
  phase: Phase,
  all: boolean,
  markers: Markers,
  top: number,
): Promise<void> {
  await inspector.send("HeapProfiler.enable");
  await inspector.send("HeapProfiler.startSampling", {
    samplingInterval: 2048,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: all,
  });
  const ran = await phase();
  const { profile } = (await inspector.send("HeapProfiler.stopSampling")) as unknown as {
    profile: { head: HeapNode };
  };
  // Keyed by the allocating frame and its two callers: the frame alone is often a library helper.
  const bySite = new Map<string, number>();
  const byPkg = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode, path: string[]): void => {
    const here = [frameName(n.callFrame, markers), ...path].slice(0, 3);
    if (n.selfSize > 0) {
      total += n.selfSize;
      const site = here.join("  <  ");
      bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
      const pkg = /\[(.*)\]$/.exec(here[0] ?? "")?.[1] ?? "";
      byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, here);
  };
  walk(profile.head, []);
  const perHit = (v: number) => (v / Math.max(1, ran.requests)).toFixed(0).padStart(6);
  process.stdout.write(
    `${ran.requests} hits in ${ran.durationS} s; ${all ? "allocated" : "outlived a young-generation collection"}: ${perHit(total).trim()} bytes per hit (sampled)\n\nBytes per hit by package of the allocating frame:\n`,
  );
  for (const [pkg, v] of [...byPkg].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`${perHit(v)}  ${pkg}\n`);
  process.stdout.write(`\nTop ${top} allocation sites (frame < caller < caller), bytes per hit:\n`);
  for (const [site, v] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${perHit(v)}  ${site}\n`);
  }
}

/** The Worker bundle exactly as the stack serves it (same esbuild options). */
async function bundledSource(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lsn-profile-"));
  try {
    const file = join(dir, "worker.mjs");
    await bundleEntry(join(REPO_ROOT, "edge/src/index.ts"))(file);
    return await readFile(file, "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runCli("profile:edge", main);

/**
 * Micro benchmark: GETs through @upstash/redis against the bridge, 50 calls in flight.
 *
 *   npx tsx scripts/upstash-bridge/bench.ts [--seconds 5] [--concurrency 50] [--bytes 26000]
 *
 * Starts the bridge in a child process (so client and bridge do not share one event loop) unless
 * UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN point at a running one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis, type RedisConfigNodejs } from "@upstash/redis";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "50" },
    bytes: { type: "string", default: "26000" },
  },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);
const valueBytes = Number(values.bytes);

async function startChildBridge(): Promise<{ url: string; token: string; child: ChildProcess }> {
  const token = randomBytes(12).toString("hex");
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", cli, "--port", "0", "--token", token], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /UPSTASH_REDIS_REST_URL=(\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`bridge exited with code ${code}`)));
  });
  return { url, token, child };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

let statsUrl = "";
let statsToken = "";
/** The bridge's request counter (GET /stats); 0 when it cannot be read. */
async function bridgeRequests(): Promise<number> {
  try {
    const response = await fetch(statsUrl, { headers: { authorization: `Bearer ${statsToken}` } });
    return ((await response.json()) as { requests: number }).requests;
  } catch {
    return 0;
  }
}

async function measure(
  name: string,
  redis: Redis,
  key: string,
  bridgePid: number | undefined,
): Promise<void> {
  const latencies: number[] = [];
  // Warm up connections and the JIT.
  await Promise.all(Array.from({ length: concurrency }, () => redis.get(key)));
  const cpuBefore = cpuSeconds(bridgePid);
  const requestsBefore = await bridgeRequests();
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const value = await redis.get(key);
        latencies.push(performance.now() - t0);
        if (value === null) throw new Error("benchmark key vanished");
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  const opsPerSecond = Math.round(latencies.length / elapsed);
  const cpuAfter = cpuSeconds(bridgePid);
  const requests = (await bridgeRequests()) - requestsBefore;
  const cpu =
    cpuBefore === null || cpuAfter === null
      ? ""
      : `  bridge CPU ${Math.round(((cpuAfter - cpuBefore) / latencies.length) * 1e6)} µs/GET, ${Math.round(latencies.length / Math.max(1, requests))} GET/HTTP request`;
  console.info(
    `${name.padEnd(56)} ${String(opsPerSecond).padStart(6)} ops/s  p50 ${percentile(sorted, 0.5).toFixed(1)} ms  p99 ${percentile(sorted, 0.99).toFixed(1)} ms${cpu}`,
  );
}

async function main(): Promise<void> {
  const external = process.env.UPSTASH_REDIS_REST_URL && process.env.UPSTASH_REDIS_REST_TOKEN;
  const bridge = external
    ? {
        url: process.env.UPSTASH_REDIS_REST_URL as string,
        token: process.env.UPSTASH_REDIS_REST_TOKEN as string,
      }
    : await startChildBridge();
  const child = "child" in bridge ? bridge.child : undefined;
  statsUrl = `${bridge.url}/stats`;
  statsToken = bridge.token;
  const key = `bench:upstash-bridge:${randomBytes(4).toString("hex")}`;
  // A JSON document of about the cached GeoJSON's size.
  const features = Array.from({ length: Math.max(1, Math.round(valueBytes / 130)) }, (_, i) => ({
    type: "Feature",
    id: i,
    geometry: {
      type: "LineString",
      coordinates: [
        [13.4 + i / 1e5, 52.5],
        [13.41, 52.51],
      ],
    },
  }));
  const value = JSON.stringify({ type: "FeatureCollection", features });
  const setup = new Redis({ url: bridge.url, token: bridge.token });
  await setup.set(key, value, { ex: 600 });
  console.info(`GET of a ${value.length}-byte JSON value, ${concurrency} in flight, ${seconds} s each`);
  try {
    const configs: [string, RedisConfigNodejs][] = [
      ["defaults (auto-pipelining, base64, JSON.parse)", { url: bridge.url, token: bridge.token }],
      [
        "automaticDeserialization:false, responseEncoding:false",
        { url: bridge.url, token: bridge.token, automaticDeserialization: false, responseEncoding: false },
      ],
      ["enableAutoPipelining:false", { url: bridge.url, token: bridge.token, enableAutoPipelining: false }],
    ];
    for (const [name, config] of configs) await measure(name, new Redis(config), key, child?.pid);
  } finally {
    await setup.del(key);
    child?.kill("SIGTERM");
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

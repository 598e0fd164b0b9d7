/**
 * The cached path against its floor, in one run on one stack: the real hit (POST /v1/analyses of a
 * stored result: auth, rate limit, validation, Redis, response) vs a bare Hono route in workerd
 * answering the same bytes with nothing else (scripts/bench/bare-worker.ts, a separate Worker that
 * is never deployed), and the bare route plus one Redis round trip. Same machine, same load
 * generator, same connections; the ratio hit/bare is the figure to watch.
 */
import { join } from "node:path";
import { bundleEntry, type LocalStack, REPO_ROOT, serveWorker } from "../dev/stack.js";
import { analysisBody, DEMO_BBOX } from "../load/areas.js";
import { type PhaseRequest, type PhaseResult, runPhase } from "../load/run-phase.js";
import { append } from "../load/stats.js";

export interface CachedBench {
  readonly connections: readonly number[];
  readonly durationS: number;
  readonly bodyBytes: number;
  /** Phases by target ("bare", "bare + 1 Redis GET", "hit (API key)", ...), one per connection count. */
  readonly phases: Readonly<Record<string, PhaseResult[]>>;
  /** hit throughput / bare throughput, per connection count and hit kind. */
  readonly ratios: Readonly<Record<string, Record<string, number>>>;
}

export async function benchCached(
  stack: LocalStack,
  opts: {
    durationS: number;
    connections: readonly number[];
    /** Extra hit variants on other stacks (e.g. AUTH_CACHE_TTL_S > 0), keyed by name. */
    variants?: Readonly<Record<string, LocalStack>>;
    log: (m: string) => void;
  },
): Promise<CachedBench> {
  const body = analysisBody(DEMO_BBOX);
  const headers = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
  const warm = async (s: LocalStack, key: string) => {
    const res = await fetch(`${s.edgeUrl}/v1/analyses`, { method: "POST", headers: headers(key), body });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`pre-warm failed: ${res.status} ${text.slice(0, 200)}`);
    return { id: (JSON.parse(text) as { analysis: { id: string } }).analysis.id, bytes: text.length };
  };

  const users = await Promise.all(Array.from({ length: 50 }, (_, i) => stack.createApiKey(`bench-${i}`)));
  const { id, bytes } = await warm(stack, users[0] as string);
  const bare = await serveWorker({
    bundle: bundleEntry(join(REPO_ROOT, "scripts/bench/bare-worker.ts")),
    name: "bare",
    port: 0,
    bindings: {
      UPSTASH_REDIS_REST_URL: stack.bridge.url,
      UPSTASH_REDIS_REST_TOKEN: stack.bridge.token,
      BARE_KEY: `${stack.keyPrefix}analysis:v1:${id}`,
    },
  });
  // Fixed requests (built once by autocannon): the load generator shares the 2 cores.
  const hitRequests = (keys: readonly string[]): PhaseRequest[] =>
    keys.map((key) => ({ method: "POST", path: "/v1/analyses", headers: headers(key), body }));
  const targets: Record<string, { url: string; requests: PhaseRequest[] }> = {
    bare: { url: bare.url, requests: [{ path: "/bare" }] },
    "bare + 1 Redis GET": { url: bare.url, requests: [{ path: "/bare/redis" }] },
    "hit (API key)": { url: stack.edgeUrl, requests: hitRequests(users) },
  };
  for (const [index, [name, s]] of Object.entries(opts.variants ?? {}).entries()) {
    const keys = await Promise.all(
      Array.from({ length: 50 }, (_, i) => s.createApiKey(`bench-v${index}-${i}`)),
    );
    await warm(s, keys[0] as string);
    targets[name] = { url: s.edgeUrl, requests: hitRequests(keys) };
  }
  const phases: Record<string, PhaseResult[]> = {};
  try {
    // Warm every target up (JIT, connection pools) before measuring.
    for (const [name, t] of Object.entries(targets)) {
      await runPhase({
        name: `warm-up ${name}`,
        url: t.url,
        connections: 10,
        durationS: 2,
        requests: t.requests,
      });
    }
    // Interleaved by connection count, so slow drifts of the machine's load hit every target alike.
    for (const connections of opts.connections) {
      for (const [name, t] of Object.entries(targets)) {
        opts.log(`cached path: ${name}, ${connections} connections, ${opts.durationS} s`);
        const p = await runPhase({
          name,
          url: t.url,
          connections,
          durationS: opts.durationS,
          requests: t.requests,
        });
        append(phases, name, p);
      }
    }
  } finally {
    await bare.stop();
  }
  const ratios: Record<string, Record<string, number>> = {};
  for (const name of Object.keys(targets)) {
    if (name === "bare") continue;
    ratios[name] = {};
    opts.connections.forEach((c, i) => {
      const b = phases.bare?.[i]?.throughputPerS ?? Number.NaN;
      const h = phases[name]?.[i]?.throughputPerS ?? Number.NaN;
      (ratios[name] as Record<string, number>)[String(c)] = Math.round((h / b) * 1000) / 1000;
    });
  }
  return { connections: opts.connections, durationS: opts.durationS, bodyBytes: bytes, phases, ratios };
}

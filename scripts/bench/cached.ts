/**
 * The cached path against its floor, in one run on one stack: the real hit (POST /v1/analyses of a
 * stored result: auth, rate limit, validation, Redis, response) vs a bare Hono route in workerd
 * answering the same bytes with nothing else (scripts/bench/bare-worker.ts, a separate Worker that
 * is never deployed), and the bare route plus one Redis round trip. Same machine, same load
 * generator, same connections; the ratio hit/bare is the figure to watch.
 */
import { join } from "node:path";
import { CACHE_KEY_PREFIX } from "@lanesegnet/shared";
import { bundleEntry, type LocalStack, REPO_ROOT, serveWorker } from "../dev/stack.js";
import { analysisBody, DEMO_BBOX } from "../load/areas.js";
import { type PhaseRequest, type PhaseResult, runPhase } from "../load/run-phase.js";

export interface CachedBench {
  readonly connections: readonly number[];
  readonly durationS: number;
  /** Times every (connections, target) phase ran, interleaved: round 1 of all, then round 2, ... */
  readonly rounds: number;
  readonly bodyBytes: number;
  /**
   * Phases by target ("bare", "bare + 1 Redis GET", "hit (API key)", ...), one per connection
   * count: the round with the median throughput.
   */
  readonly phases: Readonly<Record<string, PhaseResult[]>>;
  /** Throughput of every round, by target and connection count. */
  readonly throughputs: Readonly<Record<string, Record<string, number[]>>>;
  /**
   * target throughput / bare throughput of the same round, by target and connection count: the
   * median over rounds, and each round's (this VM's bare route alone moves by up to 50 % from one
   * minute to the next, so a ratio is only worth its own round).
   */
  readonly ratios: Readonly<Record<string, Record<string, number>>>;
  readonly ratioRounds: Readonly<Record<string, Record<string, number[]>>>;
}

export async function benchCached(
  stack: LocalStack,
  opts: {
    durationS: number;
    connections: readonly number[];
    /** Interleaved repetitions of the whole set of phases (default 1). */
    rounds?: number;
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
    // The floor goes through the same front as the edge it is compared with.
    directSocket: stack.directSocket,
    bindings: {
      UPSTASH_REDIS_REST_URL: stack.bridge.url,
      UPSTASH_REDIS_REST_TOKEN: stack.bridge.token,
      BARE_KEY: `${stack.keyPrefix}${CACHE_KEY_PREFIX}${id}`,
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
  const rounds = Math.max(1, opts.rounds ?? 1);
  // runs[target][connection index][round]
  const runs: Record<string, PhaseResult[][]> = {};
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
    // Interleaved by round and connection count, so slow drifts of the machine's load hit every
    // target alike.
    for (let round = 0; round < rounds; round++) {
      for (const [ci, connections] of opts.connections.entries()) {
        for (const [name, t] of Object.entries(targets)) {
          const of = rounds > 1 ? ` (round ${round + 1}/${rounds})` : "";
          opts.log(`cached path: ${name}, ${connections} connections, ${opts.durationS} s${of}`);
          const p = await runPhase({
            name,
            url: t.url,
            connections,
            durationS: opts.durationS,
            requests: t.requests,
          });
          runs[name] ??= opts.connections.map(() => []);
          runs[name][ci]?.push(p);
        }
      }
    }
  } finally {
    await bare.stop();
  }
  const phases: Record<string, PhaseResult[]> = {};
  const throughputs: Record<string, Record<string, number[]>> = {};
  const ratios: Record<string, Record<string, number>> = {};
  const ratioRounds: Record<string, Record<string, number[]>> = {};
  for (const [name, byConn] of Object.entries(runs)) {
    phases[name] = byConn.map((list) => medianBy(list, (p) => p.throughputPerS));
    throughputs[name] = {};
    byConn.forEach((list, ci) => {
      (throughputs[name] as Record<string, number[]>)[String(opts.connections[ci])] = list.map(
        (p) => p.throughputPerS,
      );
    });
    if (name === "bare") continue;
    ratios[name] = {};
    ratioRounds[name] = {};
    byConn.forEach((list, ci) => {
      const bare = runs.bare?.[ci] ?? [];
      const each = list.map((p, r) => round3(p.throughputPerS / (bare[r]?.throughputPerS ?? Number.NaN)));
      const c = String(opts.connections[ci]);
      (ratioRounds[name] as Record<string, number[]>)[c] = each;
      (ratios[name] as Record<string, number>)[c] = median(each);
    });
  }
  return {
    connections: opts.connections,
    durationS: opts.durationS,
    rounds,
    bodyBytes: bytes,
    phases,
    throughputs,
    ratios,
    ratioRounds,
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : round3(((s[mid - 1] as number) + (s[mid] as number)) / 2);
}

/** The element whose key is the median (the lower middle one for an even count). */
function medianBy<T>(xs: readonly T[], key: (x: T) => number): T {
  const s = [...xs].sort((a, b) => key(a) - key(b));
  return s[Math.floor((s.length - 1) / 2)] as T;
}

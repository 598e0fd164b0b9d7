/**
 * Load scenarios against the edge's POST /v1/analyses. Each returns its phases and checks; the CLI
 * writes them out. Durations are bounded (and scaled by --duration); every scenario stays on
 * loopback and within the demo imagery store.
 */
import { seededRandom } from "@lanesegnet/shared";
import { analysisBody, type Bbox, DEMO_BBOX, type StoreAreas } from "./areas.js";
import { runPacedUsers } from "./paced-users.js";
import { type PhaseRequest, type PhaseResult, runPhase } from "./run-phase.js";

export interface ScenarioContext {
  readonly url: string;
  /** `count` API keys of distinct users (created where the edge looks for them). */
  keys(count: number, label: string): Promise<string[]>;
  readonly areas: StoreAreas;
  /** Seconds per measured phase (scenarios scale their own lengths from it). */
  readonly durationS: number;
  /** The edge's configured hourly limit when known (own stack), else read from the responses. */
  readonly rateLimitPerHour: number | undefined;
  readonly log: (message: string) => void;
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly phases: PhaseResult[];
  readonly checks: Check[];
  /** Anything else worth keeping (e.g. per-user counts). */
  readonly notes: Record<string, unknown>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Worker variables a stack started for this scenario gets. */
  readonly edgeVars: Readonly<Record<string, string>>;
  /** Whether it needs the inference backend (cache misses). */
  readonly needsBackend: boolean;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** High enough that the hourly quota never limits a load test (the ratelimit scenario uses 50). */
export const LOAD_RATE_LIMIT = "1000000";
const NEW_AREA_SIDE_M = 100;

const json = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });

function post(key: string, bbox: Bbox, tag?: string): PhaseRequest {
  return {
    method: "POST",
    path: "/v1/analyses",
    headers: json(key),
    body: analysisBody(bbox),
    ...(tag === undefined ? {} : { tag }),
  };
}

/** POST the area once so later requests are hits (the first one may be a miss: real inference). */
async function prewarm(ctx: ScenarioContext, bbox: Bbox): Promise<void> {
  const [key] = await ctx.keys(1, "prewarm");
  const res = await fetch(`${ctx.url}/v1/analyses`, {
    method: "POST",
    headers: json(key as string),
    body: analysisBody(bbox),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`pre-warm failed: ${res.status} ${text.slice(0, 300)}`);
  ctx.log(`pre-warmed ${JSON.stringify(bbox)}: ${res.headers.get("x-cache")}, ${text.length} bytes`);
}

function statusTotal(phase: PhaseResult, pred: (status: number) => boolean): number {
  let n = 0;
  for (const [code, count] of Object.entries(phase.statuses)) if (pred(Number(code))) n += count;
  return n;
}

function cachedTargets(p10: PhaseResult, p50: PhaseResult): Check[] {
  const non200 = (p: PhaseResult) => statusTotal(p, (s) => s !== 200);
  const misses = (p: PhaseResult) =>
    Object.entries(p.classes)
      .filter(([cls]) => cls !== "200 HIT")
      .reduce((n, [, count]) => n + count, 0);
  return [
    {
      name: "≥ 1,500 hits/s at 50 connections",
      ok: p50.throughputPerS >= 1500,
      detail: `${p50.throughputPerS}/s`,
    },
    {
      name: "p99 < 100 ms at 50 connections",
      ok: p50.latencyMs.p99 < 100,
      detail: `${p50.latencyMs.p99} ms`,
    },
    { name: "p99 < 25 ms at 10 connections", ok: p10.latencyMs.p99 < 25, detail: `${p10.latencyMs.p99} ms` },
    {
      name: "zero errors, every answer a 200 HIT",
      ok: [p10, p50].every((p) => p.errors === 0 && non200(p) === 0 && misses(p) === 0),
      detail: [p10, p50]
        .map((p) => `${p.name}: ${p.errors} errors, ${non200(p)} non-200, ${misses(p)} not HIT`)
        .join("; "),
    },
  ];
}

/** Hits only: one pre-warmed result, 50 users, 10 then 50 connections. */
export const cached: Scenario = {
  name: "cached",
  description:
    "Cache hits only: the demo area pre-warmed once, then POSTed by 50 users (API keys, round robin) at 10 and at 50 connections.",
  edgeVars: { RATE_LIMIT_PER_HOUR: LOAD_RATE_LIMIT },
  needsBackend: true,
  async run(ctx) {
    await prewarm(ctx, DEMO_BBOX);
    const keys = await ctx.keys(50, "cached");
    // Fixed requests, one per user, built once: the load generator shares the machine's 2 cores.
    const requests = keys.map((key) => post(key, DEMO_BBOX));
    // Warm-up (JIT, connection pools), not reported.
    await runPhase({ name: "warm-up", url: ctx.url, connections: 10, durationS: 3, requests });
    const p10 = await runPhase({
      name: "10 connections",
      url: ctx.url,
      connections: 10,
      durationS: ctx.durationS,
      requests,
    });
    const p50 = await runPhase({
      name: "50 connections",
      url: ctx.url,
      connections: 50,
      durationS: ctx.durationS,
      requests,
    });
    return {
      scenario: "cached",
      description: this.description,
      phases: [p10, p50],
      checks: cachedTargets(p10, p50),
      notes: { users: keys.length, bbox: DEMO_BBOX },
    };
  },
};

/** Distinct areas only (every request a real analysis), 4 connections. */
export const uncached: Scenario = {
  name: "uncached",
  description: `Cache misses only: distinct random ${NEW_AREA_SIDE_M} m squares inside the demo imagery store, 4 connections.`,
  edgeVars: { RATE_LIMIT_PER_HOUR: LOAD_RATE_LIMIT },
  needsBackend: true,
  async run(ctx) {
    const keys = await ctx.keys(4, "uncached");
    const phase = await runPhase({
      name: "4 connections",
      url: ctx.url,
      connections: 4,
      durationS: Math.max(ctx.durationS * 2, 10),
      amount: 400,
      timeoutS: 60,
      next: (n) => post(keys[n % keys.length] as string, ctx.areas.randomSquare(NEW_AREA_SIDE_M)),
    });
    const hits = phase.classes["200 HIT"] ?? 0;
    // Client-side, from each request's own timing (autocannon's histogram has no p95, and whole ms).
    const p95 = phase.byClass["200 MISS"]?.p95 ?? Number.NaN;
    return {
      scenario: "uncached",
      description: this.description,
      phases: [phase],
      checks: [
        {
          name: "every answer a 200 MISS",
          ok: phase.errors === 0 && statusTotal(phase, (s) => s !== 200) === 0 && hits === 0,
          detail: `${phase.errors} errors, statuses ${JSON.stringify(phase.statuses)}, ${hits} hits`,
        },
        { name: "p95 < 800 ms at 4 connections (CPU)", ok: p95 < 800, detail: `${Math.round(p95)} ms` },
      ],
      notes: { users: keys.length, side_m: NEW_AREA_SIDE_M },
    };
  },
};

/**
 * 80 % repeats of areas already asked for, 20 % new ones; 50 users for 60 s, twice:
 * - paced: each user thinks for 2 s on average between requests (25 requests/s in all, 5 new
 *   analyses/s, inside the CPU backend's capacity). This is the realistic mix and carries the
 *   target (error rate < 0.1 %). Real users are far slower still: the quota is 50 analyses per hour.
 * - closed loop: no think time (autocannon), far beyond the CPU backend's capacity. What must hold
 *   there is the overload behaviour: misses beyond admission get 503 + Retry-After, nothing else fails.
 */
const MIXED_THINK_S = 2;

function mixedNext(ctx: ScenarioContext, keys: readonly string[], seen: Bbox[], random: () => number) {
  return (n: number): PhaseRequest => {
    const key = keys[n % keys.length] as string;
    if (random() < 0.8) return post(key, seen[Math.floor(random() * seen.length)] as Bbox, "repeat");
    const bbox = ctx.areas.randomSquare(NEW_AREA_SIDE_M);
    seen.push(bbox);
    return post(key, bbox, "new");
  };
}

export const mixed: Scenario = {
  name: "mixed",
  description: `50 users (one API key each), 80 % repeating an area already requested (cache hits, or waiters of a running analysis) and 20 % asking for a new random ${NEW_AREA_SIDE_M} m square (real inference, CPU backend). Phase 1: each user thinks ${MIXED_THINK_S} s on average (exponential) between requests, 60 s. Phase 2: closed loop (no think time, 50 connections) beyond the backend's capacity. Hourly limit raised to ${LOAD_RATE_LIMIT} so the quota is not what is measured.`,
  edgeVars: { RATE_LIMIT_PER_HOUR: LOAD_RATE_LIMIT },
  needsBackend: true,
  async run(ctx) {
    await prewarm(ctx, DEMO_BBOX);
    const keys = await ctx.keys(50, "mixed");
    const seen: Bbox[] = [DEMO_BBOX];
    const random = seededRandom(7);
    const paced = await runPacedUsers({
      name: `50 users, ${MIXED_THINK_S} s think time`,
      url: ctx.url,
      users: 50,
      meanThinkS: MIXED_THINK_S,
      durationS: Math.max(ctx.durationS * 4, 20),
      timeoutS: 60,
      next: mixedNext(ctx, keys, seen, random),
    });
    const closed = await runPhase({
      name: "50 connections, closed loop",
      url: ctx.url,
      connections: 50,
      durationS: Math.max(ctx.durationS * 4, 20),
      timeoutS: 60,
      next: mixedNext(ctx, keys, seen, random),
    });
    const failed = paced.errors + statusTotal(paced, (s) => s !== 200);
    return {
      scenario: "mixed",
      description: this.description,
      phases: [paced, closed],
      checks: [
        {
          name: "paced users: error rate < 0.1 % (anything but a 200, connection errors included)",
          ok: paced.requests > 0 && failed / (paced.requests + paced.errors) < 0.001,
          detail: `${failed} of ${paced.requests + paced.errors} (${paced.errors} connection errors, statuses ${JSON.stringify(paced.statuses)})`,
        },
        {
          name: "closed loop beyond capacity: no connection errors, every answer a 200 or load shedding (503)",
          ok: closed.errors === 0 && statusTotal(closed, (s) => s !== 200 && s !== 503) === 0,
          detail: `${closed.errors} errors, statuses ${JSON.stringify(closed.statuses)}`,
        },
      ],
      notes: { users: keys.length, distinct_areas: seen.length },
    };
  },
};

/** Many users at their limit at once: exactly `limit` allowed per user, the rest 429. */
export const ratelimit: Scenario = {
  name: "ratelimit",
  description:
    "20 users, each sending its hourly limit + 10 requests (the cached demo area), interleaved over 50 connections: exactly the limit must pass per user, the rest must be 429 with Retry-After.",
  edgeVars: { RATE_LIMIT_PER_HOUR: "50" },
  needsBackend: true,
  async run(ctx) {
    await prewarm(ctx, DEMO_BBOX);
    const users = 20;
    const extra = 10;
    // The limit: the stack's, or what the edge announces in RateLimit-Policy (q=...).
    let limit = ctx.rateLimitPerHour;
    if (limit === undefined) {
      const [probeKey] = await ctx.keys(1, "rl-probe");
      const res = await fetch(`${ctx.url}/v1/analyses`, {
        method: "POST",
        headers: json(probeKey as string),
        body: analysisBody(DEMO_BBOX),
      });
      await res.body?.cancel();
      limit = Number(/q=(\d+)/.exec(res.headers.get("ratelimit-policy") ?? "")?.[1]);
      if (!Number.isFinite(limit)) throw new Error("the edge sent no RateLimit-Policy header");
    }
    const perUser = limit + extra;
    const keys = await ctx.keys(users, "ratelimit");
    const counts = keys.map(() => ({ ok: 0, limited: 0, limitedWithRetryAfter: 0, other: 0 }));
    const phase = await runPhase({
      name: `${users} users × ${perUser}`,
      url: ctx.url,
      connections: 50,
      durationS: 60,
      amount: users * perUser,
      next: (n) => post(keys[n % users] as string, DEMO_BBOX, `user-${n % users}`),
      onResponse: ({ status, headers, tag }) => {
        const c = counts[Number(tag?.slice(5))];
        if (!c) return;
        if (status === 200) c.ok++;
        else if (status === 429) {
          c.limited++;
          if (Number(headers["retry-after"]) > 0) c.limitedWithRetryAfter++;
        } else c.other++;
      },
    });
    const exact = counts.filter((c) => c.ok === limit && c.limited === extra && c.other === 0).length;
    const retryAfter = counts.every((c) => c.limitedWithRetryAfter === c.limited);
    return {
      scenario: "ratelimit",
      description: this.description,
      phases: [phase],
      checks: [
        {
          name: `exactly ${limit} allowed and ${extra} refused (429) per user`,
          ok: exact === users,
          detail: `${exact}/${users} users exact`,
        },
        { name: "every 429 carries Retry-After", ok: retryAfter, detail: retryAfter ? "yes" : "no" },
        { name: "no connection errors", ok: phase.errors === 0, detail: `${phase.errors}` },
      ],
      notes: { limit, users, per_user: perUser, counts },
    };
  },
};

/** A sudden jump to 100 connections of cache hits, with no warm-up. */
export const spike: Scenario = {
  name: "spike",
  description:
    "100 connections at once (no warm-up of the load) for 30 s, cache hits of the pre-warmed demo area from 100 users.",
  edgeVars: { RATE_LIMIT_PER_HOUR: LOAD_RATE_LIMIT },
  needsBackend: true,
  async run(ctx) {
    await prewarm(ctx, DEMO_BBOX);
    const keys = await ctx.keys(100, "spike");
    const phase = await runPhase({
      name: "100 connections",
      url: ctx.url,
      connections: 100,
      durationS: Math.max(ctx.durationS * 2, 10),
      requests: keys.map((key) => post(key, DEMO_BBOX)),
    });
    return {
      scenario: "spike",
      description: this.description,
      phases: [phase],
      checks: [
        {
          name: "zero errors, every answer a 200 HIT",
          ok:
            phase.errors === 0 &&
            statusTotal(phase, (s) => s !== 200) === 0 &&
            (phase.classes["200 HIT"] ?? 0) === phase.requests,
          detail: `${phase.errors} errors (${phase.timeouts} timeouts), statuses ${JSON.stringify(phase.statuses)}, ${phase.classes["200 HIT"] ?? 0} of ${phase.requests} HIT`,
        },
      ],
      notes: { users: keys.length },
    };
  },
};

export const SCENARIOS: readonly Scenario[] = [cached, uncached, mixed, ratelimit, spike];

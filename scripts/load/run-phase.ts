/**
 * One load phase with autocannon (programmatic, loopback): N connections for a bounded time and
 * (optionally) a bounded number of requests, each request built by the scenario. Returns
 * throughput, latency percentiles, status counts, errors and the server's own Server-Timing split.
 *
 * Every request carries `X-Request-Id: L<n>` (the edge echoes it), so each response is matched to
 * the request that caused it: its tag (user, area kind, ...) and its own client-side latency.
 */
import autocannon from "autocannon";
import { cpuByPart, cpuMsPerRequest } from "../bench/cpu.js";
import { ResponseTally } from "./response-tally.js";
import type { ServerTimingSummary } from "./server-timing.js";
import { type Percentiles, round } from "./stats.js";

export interface PhaseRequest {
  readonly method?: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Groups responses in the report (e.g. "repeat" / "new", or a user id). */
  readonly tag?: string;
}

export interface PhaseResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly tag: string | undefined;
  readonly latencyMs: number;
}

export interface PhaseSpec {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:8787 (loopback only). */
  readonly url: string;
  readonly connections: number;
  /** Upper bound on the phase's length. */
  readonly durationS: number;
  /** Stop after this many responses (with durationS as the time bound). */
  readonly amount?: number;
  /** Per-request timeout (default 10 s); a timed-out request counts as an error. */
  readonly timeoutS?: number;
  /**
   * The n-th request (n from 0), built per request: each response is matched to its request
   * (tag, own latency). Costs the load generator a request build per request.
   */
  next?(n: number): PhaseRequest;
  /**
   * Or a fixed list every connection cycles through (built once: the cheapest for the load
   * generator, which shares the machine). No per-request tag or latency split then.
   */
  requests?: readonly PhaseRequest[];
  onResponse?(response: PhaseResponse): void;
}

export interface PhaseResult {
  readonly name: string;
  readonly connections: number;
  /** Wall time of the phase, seconds. */
  readonly durationS: number;
  /** Completed responses (any status). */
  readonly requests: number;
  /** Completed responses per second. */
  readonly throughputPerS: number;
  /** autocannon's latency histogram (ms, all responses). */
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  readonly statuses: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (autocannon's `errors`, which include `timeouts`). */
  readonly errors: number;
  readonly timeouts: number;
  readonly bytesPerS: number;
  /** Responses by "<status> <X-Cache>" class, e.g. "200 HIT": 1234. */
  readonly classes: Readonly<Record<string, number>>;
  /** Client-side latency by class (ms), from the request-id match (next() phases only). */
  readonly byClass: Readonly<Record<string, Percentiles>>;
  /** By tag (when the scenario tags requests). */
  readonly byTag: Readonly<Record<string, Percentiles>>;
  /** The server's Server-Timing split: all responses, and by class. */
  readonly serverTiming: ServerTimingSummary;
  readonly serverTimingByClass: Readonly<Record<string, ServerTimingSummary>>;
  /**
   * CPU milliseconds per response of each local process (this load generator, workerd, the bridge,
   * the backend, redis-server; Linux only): what a request costs, independent of other work.
   */
  readonly cpuMsPerResponse: Readonly<Record<string, number>>;
}

/** Load tests only ever target this machine. */
export function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (!(host === "localhost" || host === "::1" || /^127\./.test(host))) {
    throw new Error(`load tests only target loopback addresses, not ${url.hostname}`);
  }
}

function header(headers: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const direct = headers[name];
  if (typeof direct === "string") return direct;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  }
  return undefined;
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const base = new URL(spec.url);
  assertLoopback(base);
  if (!spec.next === !spec.requests) throw new Error("runPhase: give either next() or requests");
  // autocannon refuses a timeout under 1 s with a message about its own option names.
  if (spec.timeoutS !== undefined && !(spec.timeoutS >= 1)) {
    throw new Error(`runPhase: timeoutS must be at least 1 (seconds), got ${spec.timeoutS}`);
  }
  let counter = 0;
  const sent = new Map<string, { at: number; tag: string | undefined }>();
  const tally = new ResponseTally();
  let lastAnswerAt = Number.NaN;

  function record(status: number, _body: string, _context: unknown, headers: unknown): void {
    lastAnswerAt = performance.now();
    const h = headers as unknown as Record<string, unknown>;
    const id = header(h, "x-request-id");
    const meta = id === undefined ? undefined : sent.get(id);
    if (id !== undefined) sent.delete(id);
    const latencyMs = meta ? performance.now() - meta.at : Number.NaN;
    tally.add({
      status,
      cache: header(h, "x-cache"),
      serverTiming: header(h, "server-timing"),
      ...(meta ? { latencyMs, tag: meta.tag } : {}),
    });
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(h))
      flat[k.toLowerCase()] = Array.isArray(v) ? String(v[0]) : String(v);
    spec.onResponse?.({ status, headers: flat, tag: meta?.tag, latencyMs });
  }

  const cpuBefore = cpuByPart();
  const started = performance.now();
  const instance = autocannon({
    url: base.origin,
    connections: spec.connections,
    duration: spec.durationS,
    ...(spec.amount === undefined ? {} : { amount: spec.amount }),
    timeout: spec.timeoutS ?? 10,
    requests: spec.requests
      ? spec.requests.map((r) => ({
          method: r.method ?? "GET",
          path: r.path,
          headers: { ...r.headers },
          ...(r.body === undefined ? {} : { body: r.body }),
          onResponse: record,
        }))
      : [
          {
            setupRequest(req) {
              const n = counter++;
              const r = (spec.next as (n: number) => PhaseRequest)(n);
              const id = `L${n}`;
              sent.set(id, { at: performance.now(), tag: r.tag });
              return {
                ...req,
                method: r.method ?? "GET",
                path: r.path,
                headers: { ...r.headers, "x-request-id": id },
                ...(r.body === undefined ? {} : { body: r.body }),
              };
            },
            onResponse: record,
          },
        ],
  });
  // With `amount`, autocannon ignores `duration`: bound the phase in time ourselves.
  const stopper =
    spec.amount === undefined
      ? undefined
      : setTimeout(() => (instance as unknown as { stop(): void }).stop(), spec.durationS * 1000);
  // autocannon's promise resolves with the result when the run ends (time, amount or stop()).
  let result: autocannon.Result;
  try {
    result = await (instance as unknown as Promise<autocannon.Result>);
  } finally {
    clearTimeout(stopper);
  }
  const wallS = (performance.now() - started) / 1000;
  const cpuAfter = cpuByPart();
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(
    (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {},
  )) {
    statuses[code] = stat.count;
  }
  const completed = result.requests.total;
  // autocannon stops a phase on `amount` only at its once-a-second sample tick, so the wall time
  // and its own `duration` run on idle for up to a second after the last answer: such a phase
  // lasts until its last answer (a 50-request burst of a few ms read 49.5 req/s).
  const durationS =
    spec.amount !== undefined && Number.isFinite(lastAnswerAt)
      ? (lastAnswerAt - started) / 1000
      : Math.min(wallS, result.duration || wallS);
  return {
    name: spec.name,
    connections: spec.connections,
    durationS: round(durationS),
    requests: completed,
    throughputPerS: round(completed / durationS),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: round(result.latency.mean),
    },
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    bytesPerS: Math.round(result.throughput.average),
    ...tally.summary(),
    cpuMsPerResponse: cpuMsPerRequest(cpuBefore, cpuAfter, completed),
  };
}

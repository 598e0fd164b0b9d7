/**
 * Users who think between requests (an open, paced load), as opposed to autocannon's closed loop
 * where every connection sends its next request the moment an answer arrives.
 *
 * Each simulated user waits an exponentially distributed think time (mean `meanThinkS`) before each
 * request, so the arrivals of all users together are close to a Poisson stream of
 * users / meanThinkS requests per second. autocannon cannot model this: its rate limit counts whole
 * requests per connection per second and fires each second's quota at the start of the second.
 * The result has the same shape as runPhase's, so the reports treat both alike. Loopback only;
 * bounded by `durationS` (no request starts after it) and a per-request timeout.
 */
import { seededRandom } from "@lanesegnet/shared";
import { cpuByPart, cpuMsPerRequest } from "../bench/cpu.js";
import { ResponseTally } from "./response-tally.js";
import { assertLoopback, type PhaseRequest, type PhaseResult } from "./run-phase.js";
import { percentiles, round } from "./stats.js";

export interface PacedSpec {
  readonly name: string;
  readonly url: string;
  readonly users: number;
  readonly meanThinkS: number;
  readonly durationS: number;
  readonly timeoutS?: number;
  readonly seed?: number;
  /** The n-th request of the whole run (n from 0), sent by user n's turn. */
  next(n: number): PhaseRequest;
}

export async function runPacedUsers(spec: PacedSpec): Promise<PhaseResult> {
  const base = new URL(spec.url);
  assertLoopback(base);
  const random = seededRandom(spec.seed ?? 11);
  const think = () => -Math.log(1 - random()) * spec.meanThinkS * 1000;
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const tally = new ResponseTally();
  let errors = 0;
  let timeouts = 0;
  let bytes = 0;
  let n = 0;

  const cpuBefore = cpuByPart();
  const started = performance.now();
  const deadline = started + spec.durationS * 1000;
  const user = async () => {
    for (;;) {
      // A think time never carries a user past the end of the phase.
      await new Promise((r) => setTimeout(r, Math.min(think(), Math.max(0, deadline - performance.now()))));
      if (performance.now() >= deadline) return;
      const req = spec.next(n++);
      const t0 = performance.now();
      try {
        const res = await fetch(new URL(req.path, base), {
          method: req.method ?? "GET",
          headers: { ...req.headers },
          ...(req.body === undefined ? {} : { body: req.body }),
          signal: AbortSignal.timeout((spec.timeoutS ?? 10) * 1000),
        });
        const body = await res.arrayBuffer();
        const ms = performance.now() - t0;
        bytes += body.byteLength;
        latencies.push(ms);
        const status = String(res.status);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        tally.add({
          status: res.status,
          cache: res.headers.get("x-cache") ?? undefined,
          serverTiming: res.headers.get("server-timing") ?? undefined,
          latencyMs: ms,
          tag: req.tag,
        });
      } catch (error) {
        errors++;
        if (error instanceof Error && error.name === "TimeoutError") timeouts++;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.users }, user));
  const wallS = (performance.now() - started) / 1000;
  const completed = latencies.length;
  const p = percentiles(latencies);
  return {
    name: spec.name,
    connections: spec.users,
    durationS: round(wallS),
    requests: completed,
    throughputPerS: round(completed / wallS),
    latencyMs: {
      p50: round(p.p50),
      p90: round(p.p90),
      p99: round(p.p99),
      max: round(p.max),
      mean: round(p.mean),
    },
    statuses: Object.fromEntries(statuses),
    errors,
    timeouts,
    bytesPerS: Math.round(bytes / wallS),
    ...tally.summary(),
    cpuMsPerResponse: cpuMsPerRequest(cpuBefore, cpuByPart(), completed),
  };
}

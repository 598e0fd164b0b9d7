/**
 * The answers a single flight gives besides a result, shared by analyses and pictures: a leader's
 * failure as it travels to its waiters through Redis, and the 503 for a waiter whose wait ran out.
 */
import { type Problem, problem } from "@lanesegnet/shared";
import { EDGE_PROBLEM_TYPES } from "../problems.js";

export interface FlightProblem {
  readonly kind: "problem";
  readonly problem: Problem;
  readonly retryAfterS: number | undefined;
  readonly cause: "shared_failure" | "pending";
}

/** The text a leader leaves for its waiters (single-flight's `failure`). */
export function encodeSharedFailure(p: Problem, retryAfterS: number | undefined): string {
  return JSON.stringify(retryAfterS === undefined ? { problem: p } : { problem: p, retryAfterS });
}

/** A waiter's answer from the leader's failure. */
export function sharedFailure(text: string): FlightProblem {
  let shared: { problem: Problem; retryAfterS?: number };
  try {
    shared = JSON.parse(text) as typeof shared;
    if (typeof shared?.problem?.status !== "number") throw new TypeError("no problem");
  } catch {
    // Damaged in the store: the waiter cannot tell what failed, only that the work is not done.
    return stillPending("Try again shortly", "An identical request failed just now; try again shortly.", 5);
  }
  return {
    kind: "problem",
    problem: shared.problem,
    retryAfterS: shared.retryAfterS,
    cause: "shared_failure",
  };
}

/** A waiter's answer when the identical work is still running at the end of its wait. */
export function stillPending(title: string, detail: string, retryAfterS: number): FlightProblem {
  return {
    kind: "problem",
    problem: problem(503, { type: EDGE_PROBLEM_TYPES.analysisPending, title, detail }),
    retryAfterS,
    cause: "pending",
  };
}

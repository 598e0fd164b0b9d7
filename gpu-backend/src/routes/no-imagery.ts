/** The answer when no provider delivered imagery: the caller's area (422) or a passing failure (502). */
import { PROBLEM_TYPES, type ProviderAttempt, problem, problemResponse } from "@lanesegnet/shared";

export function noImageryProblem(attempts: ProviderAttempt[]): Response {
  // Nothing there to analyse (no coverage, or not configured) is the caller's area; anything
  // else (errors, timeouts) is an upstream failure worth retrying later.
  const upstream = attempts.some((a) => a.outcome === "failed" || a.outcome === "timeout");
  return problemResponse(
    problem(upstream ? 502 : 422, {
      type: PROBLEM_TYPES.noImagery,
      title: "No imagery",
      detail: upstream
        ? "no imagery provider could deliver imagery for this area right now"
        : "no configured imagery provider covers this area at a usable resolution",
      providers_tried: attempts,
    }),
    upstream ? { "Retry-After": "30" } : undefined,
  );
}

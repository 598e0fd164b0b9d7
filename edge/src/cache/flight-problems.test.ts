import { problem } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { encodeSharedFailure, sharedFailure } from "./flight-problems.js";

describe("a leader's failure shared through Redis", () => {
  it("reaches its waiters as it was", () => {
    const p = problem(502, { type: "/problems/bad-gateway", detail: "broken" });
    expect(sharedFailure(encodeSharedFailure(p, 30))).toEqual({
      kind: "problem",
      problem: p,
      retryAfterS: 30,
      cause: "shared_failure",
    });
  });

  it("damaged in the store, is a 503 to retry shortly, not an error (which was a 500)", () => {
    for (const text of ["", "not json", "null", '{"problem":"x"}']) {
      const shared = sharedFailure(text);
      expect(shared).toMatchObject({ kind: "problem", cause: "pending", retryAfterS: 5 });
      expect(shared.problem.status).toBe(503);
    }
  });
});

import { describe, expect, it } from "vitest";
import { noImageryProblem } from "./no-imagery.js";

const answer = async (attempts: Parameters<typeof noImageryProblem>[0]) => {
  const res = noImageryProblem(attempts);
  const body = (await res.json()) as { type: string; providers_tried: unknown[] };
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    type: body.type,
    tried: body.providers_tried,
  };
};

describe("no imagery", () => {
  it("is the caller's area (422, no Retry-After) when nothing covers it or is configured", async () => {
    const attempts = [
      { provider: "local", outcome: "no_coverage" },
      { provider: "mapbox", outcome: "not_configured" },
    ] as const;
    expect(await answer([...attempts])).toEqual({
      status: 422,
      retryAfter: null,
      type: "/problems/no-imagery",
      tried: attempts,
    });
  });

  it("is a passing failure (502, Retry-After) when any provider failed or timed out, whatever the others said", async () => {
    for (const failure of ["failed", "timeout"] as const) {
      const mixed = await answer([
        { provider: "local", outcome: "no_coverage" },
        { provider: "esri", outcome: failure },
        { provider: "mapbox", outcome: "not_configured" },
      ]);
      expect([mixed.status, mixed.retryAfter, mixed.type]).toEqual([502, "30", "/problems/no-imagery"]);
    }
  });
});

import { describe, expect, it } from "vitest";
import { describeFailure, formatDuration } from "./problems.js";

const headers = (h: Record<string, string>) => new Headers(h);

describe("describeFailure", () => {
  it("says when to retry after the hourly limit, with the quota", () => {
    const now = new Date(2026, 10, 26, 14, 5, 0);
    const f = describeFailure(
      429,
      { title: "Too many analyses", detail: "This account may request 2 analyses per hour" },
      headers({ "retry-after": "1830", "ratelimit-policy": '"hourly";q=2;w=3600' }),
      now,
    );
    expect(f.title).toBe("Hourly limit reached");
    expect(f.message).toContain("all 2 analyses allowed per hour");
    expect(f.message).toContain("in about 31 minutes (around 14:36)");
    expect(f.retryAfterS).toBe(1830);
  });

  it("names the fields of an invalid area in plain words", () => {
    const f = describeFailure(
      400,
      {
        detail: "The request body does not match the API",
        errors: [
          { path: "/area/bbox/2", message: "longitude must be between -180 and 180" },
          { path: "/area", message: "the area is 12.5 km², more than the 10 km² limit" },
        ],
      },
      headers({}),
    );
    expect(f.title).toBe("The area is not valid");
    expect(f.message).toBe(
      "East: longitude must be between -180 and 180 Area: the area is 12.5 km², more than the 10 km² limit",
    );
  });

  it("tells a busy service from an unreachable one, with the wait", () => {
    const busy = describeFailure(
      503,
      { detail: "The analysis service is busy." },
      headers({ "retry-after": "7" }),
    );
    expect(busy.message).toBe("The analysis service is busy. Try again in 7 seconds.");
    const offline = describeFailure(0, null, headers({}));
    expect(offline.title).toBe("The service could not be reached");
    expect(describeFailure(401, null, headers({})).title).toBe("Your API key or token was not accepted");
    expect(describeFailure(422, { detail: "No imagery here." }, headers({})).message).toBe(
      "No imagery here.",
    );
  });

  it("says which imagery sources were tried and why, and offers a retry only where one can help", () => {
    const noImagery = (providers_tried: { provider: string; outcome: string; reason?: string }[]) =>
      describeFailure(
        502,
        {
          type: "/problems/no-imagery",
          title: "No imagery for this area",
          detail: "No imagery provider could deliver imagery for this area right now; try again later.",
          providers_tried,
        },
        headers({ "retry-after": "30" }),
      );
    const down = noImagery([
      { provider: "local", outcome: "no_coverage", reason: "no local imagery intersects the area" },
      { provider: "esri", outcome: "failed", reason: "network error" },
      { provider: "mapbox", outcome: "not_configured" },
    ]);
    expect(down.title).toBe("No imagery for this area");
    expect(down.message).toBe(
      "Local imagery does not cover this area; Esri failed; Mapbox is not set up on this server. Try again in 30 seconds, or try another area.",
    );
    const nowhere = noImagery([
      { provider: "local", outcome: "no_coverage" },
      { provider: "gee", outcome: "not_configured" },
    ]);
    expect(nowhere.message).toBe(
      "Local imagery does not cover this area; Earth Engine is not set up on this server. Try another area.",
    );
  });

  it("gives the retry advice once, with the wait, not also the detail's own", () => {
    const f = describeFailure(
      503,
      { detail: "The analysis service is unreachable; cached results are still served. Try again shortly." },
      headers({ "retry-after": "30" }),
    );
    expect(f.message).toBe(
      "The analysis service is unreachable; cached results are still served. Try again in 30 seconds.",
    );
  });

  it("calls the API's resolution_m by the page's name for it", () => {
    const f = describeFailure(
      400,
      { errors: [{ path: "/area", message: "too big; a coarser resolution_m allows more" }] },
      headers({}),
    );
    expect(f.message).toBe("Area: too big; a coarser ground resolution allows more");
  });

  it("formats durations for people", () => {
    expect(formatDuration(1)).toBe("1 second");
    expect(formatDuration(59)).toBe("59 seconds");
    expect(formatDuration(61)).toBe("2 minutes");
    expect(formatDuration(3600)).toBe("1 hour");
    expect(formatDuration(3900)).toBe("1 hour 5 minutes");
  });
});

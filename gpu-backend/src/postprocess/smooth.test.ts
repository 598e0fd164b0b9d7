import { describe, expect, it } from "vitest";
import { smoothAlong } from "./smooth.js";
import type { Pt } from "./types.js";

const maxOff = (pts: readonly Pt[], f: (x: number) => number) =>
  Math.max(...pts.map(([x, y]) => Math.abs(y - f(x))));

describe("smoothAlong", () => {
  it("takes out a pixel-scale wobble and keeps the end points", () => {
    // A line along y = 20 whose points wander +-1 px with a period of 6 px (a ragged mask edge).
    const wobbly: Pt[] = Array.from({ length: 121 }, (_, i) => [i, 20 + Math.sin((i * 2 * Math.PI) / 6)]);
    const smooth = smoothAlong(wobbly, 4);
    expect(maxOff(wobbly.slice(20, -20), () => 20)).toBeGreaterThan(0.8);
    expect(maxOff(smooth.slice(20, -20), () => 20)).toBeLessThan(0.05);
    expect(smooth[0]).toEqual(wobbly[0]);
    expect(smooth.at(-1)).toEqual(wobbly.at(-1));
  });

  it("leaves a straight line straight and follows a curve of road radius", () => {
    const straight: Pt[] = Array.from({ length: 50 }, (_, i) => [i * 1.3, 5 + 0.5 * i * 1.3]);
    expect(maxOff(smoothAlong(straight, 4), (x) => 5 + 0.5 * x)).toBeLessThan(1e-9);
    // An arc of radius 60 px (15 m at 0.25 m/px, a tight bend): moved by under 0.2 px.
    const arc: Pt[] = Array.from({ length: 90 }, (_, i) => {
      const a = (i / 89) * (Math.PI / 2);
      return [60 * Math.cos(a), 60 * Math.sin(a)];
    });
    for (const [x, y] of smoothAlong(arc, 4)) expect(Math.abs(Math.hypot(x, y) - 60)).toBeLessThan(0.2);
    expect(smoothAlong(arc, 0)).toEqual(arc);
  });

  it("does not pull the points near an end inwards: evenly spaced points on a line stay where they are", () => {
    const even: Pt[] = Array.from({ length: 30 }, (_, i) => [2 * i, 7]);
    smoothAlong(even, 4).forEach(([x, y], i) => {
      expect(x).toBeCloseTo(2 * i, 9);
      expect(y).toBeCloseTo(7, 9);
    });
  });
});

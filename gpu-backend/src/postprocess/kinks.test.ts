import { describe, expect, it } from "vitest";
import type { Piece } from "./bridge.js";
import { sharpestTurn } from "./filters.js";
import { cutAtSharpTurns } from "./kinks.js";
import { resolveParams } from "./params.js";
import { lengthOf, plain } from "./polyline.js";
import type { Pt } from "./types.js";

const GSD = 0.25;
const params = resolveParams();
const px = (m: number) => m / GSD;
const piece = (pts: Pt[]): Piece => ({ classId: 1, line: plain(pts), startKind: "free", endKind: "border" });
const radiusM = (pts: Pt[]) =>
  sharpestTurn(pts, px(params.curvatureWindowM), Math.max(1 / GSD, 6)).radiusPx * GSD;

/** Points every 0.5 px along straight legs through the given corners (metres in, pixels out). */
function path(cornersM: [number, number][]): Pt[] {
  const pts: Pt[] = [];
  for (let i = 0; i + 1 < cornersM.length; i++) {
    const [ax, ay] = cornersM[i]!.map(px) as [number, number];
    const [bx, by] = cornersM[i + 1]!.map(px) as [number, number];
    const n = Math.ceil(Math.hypot(bx - ax, by - ay) / 0.5);
    for (let k = i === 0 ? 0 : 1; k <= n; k++) pts.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
  }
  return pts;
}

describe("cutting long lines at a sharp turn", () => {
  it("cuts a 70 m line at its one kink; both parts are smooth, long and keep their outer ends", () => {
    // 35 m east, then a 70° turn, 35 m on: a real line and a second one the tracer ran into.
    const kinked = path([
      [0, 0],
      [35, 0],
      [35 + 35 * Math.cos((70 * Math.PI) / 180), 35 * Math.sin((70 * Math.PI) / 180)],
    ]);
    expect(radiusM(kinked)).toBeLessThan(params.minRadiusM);
    const parts = cutAtSharpTurns(piece(kinked), GSD, params);
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(radiusM(p.line.pts)).toBeGreaterThanOrEqual(params.minRadiusM);
      expect(lengthOf(p.line.pts) * GSD).toBeGreaterThan(30);
    }
    expect([parts[0]!.startKind, parts[0]!.endKind, parts[1]!.startKind, parts[1]!.endKind]).toEqual([
      "free",
      "split",
      "split",
      "border",
    ]);
    // In order along the line: the first part starts where the line starts.
    expect(parts[0]!.line.pts[0]).toEqual(kinked[0]);
  });

  it("leaves the whole turning stretch out, on both sides of a sharp kink", () => {
    // A 120° turn: half of it left on either part would still be a radius under 3 m there.
    const a = (120 * Math.PI) / 180;
    const kinked = path([
      [0, 0],
      [35, 0],
      [35 + 35 * Math.cos(a), 35 * Math.sin(a)],
    ]);
    const parts = cutAtSharpTurns(piece(kinked), GSD, params);
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(radiusM(p.line.pts)).toBeGreaterThanOrEqual(params.minRadiusM);
  });

  it("judges a short line whole: on a 21 m hairpin the turn is the shape, not a detail", () => {
    const hairpin = path([
      [0, 0],
      [10, 0],
      [10.5, 0.5],
      [10.5, 1],
      [10, 1.5],
      [0, 1.5],
    ]);
    expect(radiusM(hairpin)).toBeLessThan(params.minRadiusM);
    expect(cutAtSharpTurns(piece(hairpin), GSD, params)).toHaveLength(1);
  });

  it("leaves a long smooth line alone", () => {
    const curve: Pt[] = [];
    for (let a = 0; a <= Math.PI / 2; a += 0.005) curve.push([px(40 * Math.cos(a)), px(40 * Math.sin(a))]);
    const parts = cutAtSharpTurns(piece(curve), GSD, params);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.line.pts).toBe(curve);
  });
});

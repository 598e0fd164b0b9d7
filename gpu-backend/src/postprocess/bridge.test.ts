import { describe, expect, it } from "vitest";
import { type BridgeOptions, bridgePieces, type Piece } from "./bridge.js";
import { resolveParams } from "./params.js";
import { bridgeOptions } from "./pieces.js";
import { plain } from "./polyline.js";
import type { Pt } from "./types.js";

// 0.1 m/px: gaps up to 10 m (solid) or 16 m (dashed), 20° and 0.3 m sideways, 40 m radius.
const opts: BridgeOptions = {
  maxGapSolidPx: 100,
  maxGapDashedPx: 160,
  maxAngleRad: (20 * Math.PI) / 180,
  lateralPx: 3,
  minRadiusPx: 400,
  minPiecePx: 6,
  maxGapPerLength: 6,
  directionPx: 40,
};
const piece = (classId: number, a: Pt, b: Pt): Piece => ({
  classId,
  line: plain([a, b]),
  startKind: "free",
  endKind: "free",
});

describe("bridging", () => {
  it("joins the two halves of a solid line broken by a vehicle, flagging the gap", () => {
    const out = bridgePieces([piece(1, [0, 50], [100, 51]), piece(1, [160, 53], [300, 56])], opts);
    expect(out).toHaveLength(1);
    expect(out[0]!.line.pts).toHaveLength(4);
    expect(out[0]!.line.bridged).toEqual([false, true, false]);
  });

  it("chains the dashes of a dashed line into one line, in order", () => {
    const dashes = [0, 120, 240, 360].map((x) => piece(2, [x, 20], [x + 30, 20]));
    const out = bridgePieces([dashes[2]!, dashes[0]!, dashes[3]!, dashes[1]!], opts);
    expect(out).toHaveLength(1);
    let xs = out[0]!.line.pts.map((p) => p[0]);
    if (xs[0]! > xs[xs.length - 1]!) xs = xs.reverse();
    expect(xs).toEqual([0, 30, 120, 150, 240, 270, 360, 390]);
    expect(out[0]!.line.bridged.filter(Boolean)).toHaveLength(3);
  });

  it("does not join a solid gap longer than a vehicle, but a dash gap of that length", () => {
    expect(bridgePieces([piece(1, [0, 0], [200, 0]), piece(1, [330, 0], [500, 0])], opts)).toHaveLength(2);
    expect(bridgePieces([piece(2, [0, 0], [60, 0]), piece(2, [190, 0], [250, 0])], opts)).toHaveLength(1);
  });

  it("does not join pieces side by side, at an angle, or of different classes", () => {
    // Parallel lanes 1 m apart.
    expect(bridgePieces([piece(1, [0, 0], [100, 0]), piece(1, [130, 10], [230, 10])], opts)).toHaveLength(2);
    // A branch leaving at 45°.
    expect(bridgePieces([piece(1, [0, 0], [100, 0]), piece(1, [120, 20], [200, 100])], opts)).toHaveLength(2);
    expect(bridgePieces([piece(1, [0, 0], [100, 0]), piece(3, [130, 0], [230, 0])], opts)).toHaveLength(2);
  });

  it("does not stretch a line to a speck far away", () => {
    expect(bridgePieces([piece(4, [0, 0], [100, 0]), piece(4, [200, 0], [208, 0])], opts)).toHaveLength(2);
  });

  it("does not bridge from ends made by a class change or the raster edge", () => {
    const a = { ...piece(1, [0, 0], [100, 0]), endKind: "split" as const };
    expect(bridgePieces([a, piece(1, [130, 0], [230, 0])], opts)).toHaveLength(2);
  });

  it("does not join two parallel lines offset sideways (an S-bend, not a road curve)", () => {
    // 12 m gap, 1.9 m sideways: within the sideways room of a 40 m radius curve, but a curve turns
    // the same way at both ends, and this offset turns one way and back.
    const out = bridgePieces([piece(2, [0, 0], [100, 0]), piece(2, [220, 19], [320, 19])], opts);
    expect(out).toHaveLength(2);
  });

  it("takes the best joins first: a line, a short piece and a line in a row make one line", () => {
    // Both gaps beside the short piece are 3 m; the 10 m jump over it is allowed too, but worse.
    const out = bridgePieces(
      [piece(1, [0, 0], [100, 0]), piece(1, [130, 0], [170, 0]), piece(1, [200, 0], [300, 0])],
      opts,
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.line.pts.map((p) => p[0]).sort((a, b) => a - b)).toEqual([0, 100, 130, 170, 200, 300]);
  });

  it("does not join an end further to the side than a road of the tightest radius allows", () => {
    // A long line going east, and 9.5 m on a short piece leaving 12° to the left, turned a further
    // 12°: both ends turn alike, but 2 m to the side over 9.5 m is a radius of ~23 m, under 40 m.
    const deg = Math.PI / 180;
    const start: Pt = [1000 + 95 * Math.cos(12 * deg), 95 * Math.sin(12 * deg)];
    const end: Pt = [start[0] + 20 * Math.cos(24 * deg), start[1] + 20 * Math.sin(24 * deg)];
    expect(bridgePieces([piece(1, [0, 0], [1000, 0]), piece(1, start, end)], opts)).toHaveLength(2);
  });

  it("allows at least a pixel sideways, however coarse the raster", () => {
    expect(bridgeOptions(0.5, resolveParams()).lateralPx).toBe(1);
    expect(bridgeOptions(0.1, resolveParams()).lateralPx).toBeCloseTo(3, 9);
  });
});

import { describe, expect, it } from "vitest";
import { type BridgeOptions, bridgePieces, type Piece } from "./bridge.js";
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
});

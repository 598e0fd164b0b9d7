import { describe, expect, it } from "vitest";
import type { Chain } from "./chains.js";
import { splitByClass } from "./classify.js";
import { buildMarkingRaster } from "./mask.js";
import type { Pt } from "./types.js";

/** A one-row raster (row 5 of 80 x 10) labelled by runs [class, length in px], from x = 0. */
function rowRaster(runs: [number, number][]) {
  const W = 80;
  const ids = new Uint8Array(W * 10);
  let x = 0;
  for (const [cls, len] of runs) for (let k = 0; k < len; k++) ids[5 * W + x++] = cls;
  return buildMarkingRaster(ids, W, 10, 7);
}

const along = (n: number): Pt[] => Array.from({ length: n }, (_, x) => [x + 0.5, 5.5] as Pt);
const opts = { windowPts: 1, minRunPx: 10, numClasses: 7 };

describe("class runs along a traced line", () => {
  it("cuts where the class really changes; the cut ends are class changes, the others keep their kind", () => {
    const chain: Chain = { pts: along(60), startKind: "junction", endKind: "border", closed: false };
    const pieces = splitByClass(
      chain,
      rowRaster([
        [1, 30],
        [3, 30],
      ]),
      opts,
    );
    expect(pieces.map((p) => [p.classId, p.startKind, p.endKind])).toEqual([
      [1, "junction", "split"],
      [3, "split", "border"],
    ]);
    // The two pieces share their boundary point: the line stays continuous.
    expect(pieces[0]!.pts.at(-1)).toEqual(pieces[1]!.pts[0]);
  });

  it("gives a run too short to stand to its longer neighbour", () => {
    // 40 px of class 1, 4 px of class 3, 20 px of class 2: the 4 px go to class 1.
    const chain: Chain = { pts: along(64), startKind: "free", endKind: "free", closed: false };
    const pieces = splitByClass(
      chain,
      rowRaster([
        [1, 40],
        [3, 4],
        [2, 20],
      ]),
      opts,
    );
    expect(pieces.map((p) => p.classId)).toEqual([1, 2]);
    expect(pieces[0]!.pts.at(-1)).toEqual([44.5, 5.5]);
    expect(pieces[1]!.pts[0]).toEqual([44.5, 5.5]);
  });
});

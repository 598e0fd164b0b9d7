/**
 * Long lines are cut at a sharp turn before they are measured and judged, so that one kink (the
 * tracer running through a junction, two lines meeting in a gore) does not make the curvature
 * rule condemn 50-180 m of real marking with it. The turning stretch itself is left out; each
 * part then goes through every physics rule on its own. Lines shorter than `kinkCutMinLengthM`
 * are judged whole: on them a sharp turn is the shape of the line (a hairpin, a zig-zag), not a
 * detail of it.
 */
import type { Piece } from "./bridge.js";
import { sharpestTurn } from "./filters.js";
import type { VectoriseParams } from "./params.js";
import { lengthOf, slicePolyline } from "./polyline.js";

/** At most this many cuts per line; the parts left after them are judged as they are. */
const MAX_CUTS = 8;

export function cutAtSharpTurns(piece: Piece, gsdM: number, params: VectoriseParams): Piece[] {
  const minLenPx = params.kinkCutMinLengthM / gsdM;
  const windowPx = params.curvatureWindowM / gsdM;
  const chordPx = Math.max(1 / gsdM, 6);
  const out: Piece[] = [];
  const todo: Piece[] = [piece];
  let cuts = 0;
  while (todo.length > 0) {
    const p = todo.pop()!;
    const len = lengthOf(p.line.pts);
    if (len < minLenPx || cuts >= MAX_CUTS) {
      out.push(p);
      continue;
    }
    const turn = sharpestTurn(p.line.pts, windowPx, chordPx);
    if (turn.radiusPx * gsdM >= params.minRadiusM) {
      out.push(p);
      continue;
    }
    cuts++;
    const s0 = turn.atPx - windowPx / 2 - chordPx / 2;
    const s1 = turn.atPx + windowPx / 2 + chordPx / 2;
    const before = slicePolyline(p.line, 0, s0);
    const after = slicePolyline(p.line, s1, len);
    // Last in, first out: the part before the cut is looked at (and output) first.
    if (after.pts.length >= 2) todo.push({ ...p, line: after, startKind: "split" });
    if (before.pts.length >= 2) todo.push({ ...p, line: before, endKind: "split" });
  }
  return out;
}

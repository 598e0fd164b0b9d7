/**
 * Bridge gaps between collinear pieces of one class: a solid line broken by a vehicle or a shadow,
 * or the dashes of a dashed line when the model leaves the gaps unlabelled. Two free ends are
 * joined when they are close enough, point at each other, turn consistently (a road curve turns
 * the same way, by the same amount, on both sides of a gap), and neither sits too far to the side
 * of the other's extension (more sideways room on long gaps, as a curved road allows). Pairs are
 * accepted best first; every end is used once and no cycle is made. The added segments are
 * flagged as bridged so later stages know they are not backed by the mask.
 */

import { laneClassById } from "@lanesegnet/shared";
import Flatbush from "flatbush";
import { lengthOf } from "./polyline.js";
import { endDirection } from "./refine.js";
import type { EndKind, Polyline, Pt } from "./types.js";

export interface Piece {
  classId: number;
  line: Polyline;
  startKind: EndKind;
  endKind: EndKind;
}

export interface BridgeOptions {
  maxGapSolidPx: number;
  maxGapDashedPx: number;
  maxAngleRad: number;
  lateralPx: number;
  minRadiusPx: number;
  minPiecePx: number;
  /** Largest gap as a multiple of the shorter piece's length. */
  maxGapPerLength: number;
  /** Distance over which an end's direction is measured. */
  directionPx: number;
}

interface End {
  piece: number;
  side: 0 | 1;
  p: Pt;
  d: Pt;
  /** Extra angular slack for a direction measured on a short piece. */
  slack: number;
  pieceLen: number;
}

export function bridgePieces(pieces: readonly Piece[], opts: BridgeOptions): Piece[] {
  const lengths = pieces.map((p) => lengthOf(p.line.pts));
  const ends: End[] = [];
  pieces.forEach((pc, i) => {
    const len = lengths[i]!;
    if (len < opts.minPiecePx || pc.line.pts.length < 2) return;
    for (const side of [0, 1] as const) {
      // Free ends, and ends where the line stops against another marking (it may go on beyond it);
      // not ends made by a class change or the raster's edge.
      const kind = side === 0 ? pc.startKind : pc.endKind;
      if (kind !== "free" && kind !== "junction") continue;
      const pts = pc.line.pts;
      ends.push({
        piece: i,
        side,
        p: side === 0 ? pts[0]! : pts[pts.length - 1]!,
        // A short piece (a dash) is best described by its whole length.
        d: endDirection(pts, side, opts.directionPx, 1),
        // Each end of a short piece sits to within about a pixel of the axis: a direction measured
        // over len pixels is uncertain by about 1.5 / len radians.
        slack: Math.atan(1.5 / Math.max(1, Math.min(len, opts.directionPx))),
        pieceLen: len,
      });
    }
  });
  const links = new Map<number, number>();
  if (ends.length >= 2) {
    const maxGap = Math.max(opts.maxGapSolidPx, opts.maxGapDashedPx);
    const index = new Flatbush(ends.length);
    for (const e of ends) index.add(e.p[0], e.p[1], e.p[0], e.p[1]);
    index.finish();
    const cands: { i: number; j: number; score: number }[] = [];
    ends.forEach((a, i) => {
      for (const j of index.search(a.p[0] - maxGap, a.p[1] - maxGap, a.p[0] + maxGap, a.p[1] + maxGap)) {
        if (j <= i) continue;
        const b = ends[j]!;
        if (b.piece === a.piece) continue;
        const cls = pieces[a.piece]!.classId;
        if (pieces[b.piece]!.classId !== cls) continue;
        const score = bridgeScore(
          a,
          b,
          laneClassById(cls).dashed ? opts.maxGapDashedPx : opts.maxGapSolidPx,
          opts,
        );
        if (score !== null) cands.push({ i, j, score });
      }
    });
    cands.sort((x, y) => x.score - y.score);
    const parent = pieces.map((_, i) => i);
    const find = (x: number): number => {
      while (parent[x] !== x) {
        parent[x] = parent[parent[x]!]!;
        x = parent[x]!;
      }
      return x;
    };
    for (const { i, j } of cands) {
      const a = ends[i]!;
      const b = ends[j]!;
      const ka = 2 * a.piece + a.side;
      const kb = 2 * b.piece + b.side;
      if (links.has(ka) || links.has(kb)) continue;
      const ra = find(a.piece);
      const rb = find(b.piece);
      if (ra === rb) continue;
      parent[ra] = rb;
      links.set(ka, kb);
      links.set(kb, ka);
    }
  }

  const out: Piece[] = [];
  const done = new Uint8Array(pieces.length);
  const walkFrom = (start: number, entrySide: 0 | 1): void => {
    const pts: Pt[] = [];
    const bridged: boolean[] = [];
    let piece = start;
    let side = entrySide;
    const first = pieces[start]!;
    const startKind = entrySide === 0 ? first.startKind : first.endKind;
    let endKind: EndKind = startKind;
    for (;;) {
      done[piece] = 1;
      const pc = pieces[piece]!;
      const fwd = side === 0;
      const ps = fwd ? pc.line.pts : pc.line.pts.slice().reverse();
      const bs = fwd ? pc.line.bridged : pc.line.bridged.slice().reverse();
      let skipFirst = false;
      if (pts.length > 0) {
        const last = pts[pts.length - 1]!;
        const head = ps[0]!;
        if (Math.hypot(head[0] - last[0], head[1] - last[1]) > 1e-9) bridged.push(true);
        else skipFirst = true;
      }
      for (let k = skipFirst ? 1 : 0; k < ps.length; k++) pts.push([ps[k]![0], ps[k]![1]]);
      for (const b of bs) bridged.push(b);
      const exit = 2 * piece + (1 - side);
      endKind = side === 0 ? pc.endKind : pc.startKind;
      const next = links.get(exit);
      if (next === undefined) break;
      piece = next >> 1;
      side = (next & 1) as 0 | 1;
    }
    out.push({ classId: first.classId, line: { pts, bridged }, startKind, endKind });
  };
  pieces.forEach((_, i) => {
    if (done[i]) return;
    if (!links.has(2 * i)) walkFrom(i, 0);
    else if (!links.has(2 * i + 1)) walkFrom(i, 1);
  });
  // Anything left would be a cycle, which union-find prevents; keep it unbridged just in case.
  pieces.forEach((pc, i) => {
    if (!done[i]) out.push(pc);
  });
  return out;
}

/** Cost of joining two ends (lower is better), or null when they must not be joined. */
function bridgeScore(a: End, b: End, maxGapPx: number, opts: BridgeOptions): number | null {
  const vx = b.p[0] - a.p[0];
  const vy = b.p[1] - a.p[1];
  const g = Math.hypot(vx, vy);
  if (g > maxGapPx) return null;
  // A speck is no evidence of a line far away: the gap may be at most a few times the shorter
  // piece (national dash patterns have gaps of 1 to 5 dash lengths).
  if (g > opts.maxGapPerLength * Math.min(a.pieceLen, b.pieceLen)) return null;
  // The two ends must face each other: a's outward direction opposite to b's.
  const tangentCos = -(a.d[0] * b.d[0] + a.d[1] * b.d[1]);
  const tangentAngle = Math.acos(Math.max(-1, Math.min(1, tangentCos)));
  if (tangentAngle > opts.maxAngleRad + a.slack + b.slack) return null;
  if (g < 1) return g + tangentAngle;
  const cx = vx / g;
  const cy = vy / g;
  // Signed turns from a's direction to the bridge and from the bridge to b's direction: on a
  // straight road both are about 0, on a curve both equal half the turn over the gap.
  const turnA = Math.atan2(a.d[0] * cy - a.d[1] * cx, a.d[0] * cx + a.d[1] * cy);
  const turnB = Math.atan2(cx * -b.d[1] - cy * -b.d[0], cx * -b.d[0] + cy * -b.d[1]);
  const angA = Math.abs(turnA);
  const angB = Math.abs(turnB);
  if (angA > opts.maxAngleRad + a.slack || angB > opts.maxAngleRad + b.slack) return null;
  if (Math.abs(turnA - turnB) > opts.maxAngleRad / 2 + a.slack + b.slack) return null;
  // Sideways offset of the bridge from the road's direction, taken as the two ends' directions
  // weighted by their pieces' lengths (a long line's direction is known better than a speck's);
  // a road of radius R bends g²/2R over g.
  let ux = a.d[0] * a.pieceLen - b.d[0] * b.pieceLen;
  let uy = a.d[1] * a.pieceLen - b.d[1] * b.pieceLen;
  const ul = Math.hypot(ux, uy) || 1;
  ux /= ul;
  uy /= ul;
  const off = Math.abs(ux * vy - uy * vx);
  const allowed = opts.lateralPx + (g * g) / (2 * opts.minRadiusPx);
  if (off > allowed) return null;
  return g * (1 + angA + angB);
}

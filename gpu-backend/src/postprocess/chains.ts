/**
 * Turn the pruned skeleton graph into polylines: at every node, pairs of edges that continue
 * each other (bend less than a limit) are joined, so two crossing lines stay two straight lines
 * and a line running past a branch stays whole. Ends are tagged free (a free end of the
 * skeleton) or junction (the line stops where it meets another).
 */
import type { SkeletonGraph } from "./trace.js";
import type { EndKind, Pt } from "./types.js";

export interface Chain {
  pts: Pt[];
  startKind: EndKind;
  endKind: EndKind;
  closed: boolean;
}

export interface ChainOptions {
  /** Largest bend (degrees) at which two edges through a junction are one line. */
  maxTurnDeg: number;
  /** Distance from the node at which an edge's direction is measured. */
  directionPx: number;
}

export function buildChains(g: SkeletonGraph, alive: Uint8Array, opts: ChainOptions): Chain[] {
  const { nodes, edges } = g;
  // Incidence id: 2 * edge + side (side 0 = the edge's `a` end, 1 = its `b` end).
  const incAt: number[][] = nodes.map(() => []);
  edges.forEach((e, i) => {
    if (!alive[i]) return;
    incAt[e.a]!.push(2 * i);
    incAt[e.b]!.push(2 * i + 1);
  });
  const pairOf = new Int32Array(edges.length * 2).fill(-1);
  const cosMax = Math.cos((opts.maxTurnDeg * Math.PI) / 180);

  incAt.forEach((incs) => {
    if (incs.length < 2) return;
    if (incs.length === 2) {
      // A plain pass-through (left after pruning a spur, or a ring's own node).
      pairOf[incs[0]!] = incs[1]!;
      pairOf[incs[1]!] = incs[0]!;
      return;
    }
    const dirs = incs.map((inc) => outwardDirection(edges[inc >> 1]!.pts, inc & 1, opts.directionPx));
    const cands: { i: number; j: number; c: number }[] = [];
    for (let i = 0; i < incs.length; i++) {
      for (let j = i + 1; j < incs.length; j++) {
        if (incs[i]! >> 1 === incs[j]! >> 1) continue;
        const a = dirs[i]!;
        const b = dirs[j]!;
        // Straight continuation: the two outward directions point opposite ways.
        const c = -(a[0] * b[0] + a[1] * b[1]);
        if (c >= cosMax) cands.push({ i, j, c });
      }
    }
    cands.sort((p, q) => q.c - p.c);
    const used = new Set<number>();
    for (const { i, j } of cands) {
      if (used.has(i) || used.has(j)) continue;
      used.add(i);
      used.add(j);
      pairOf[incs[i]!] = incs[j]!;
      pairOf[incs[j]!] = incs[i]!;
    }
  });

  const used = new Uint8Array(edges.length);
  const chains: Chain[] = [];
  const endKindAt = (node: number): EndKind => (nodes[node]!.end ? "free" : "junction");
  for (let e0 = 0; e0 < edges.length; e0++) {
    if (!alive[e0] || used[e0]) continue;
    used[e0] = 1;
    // Each entry: edge and whether it is traversed a -> b.
    const seq: { e: number; fwd: boolean }[] = [{ e: e0, fwd: true }];
    let closed = false;
    let exitInc = 2 * e0 + 1;
    for (;;) {
      const p = pairOf[exitInc]!;
      if (p < 0) break;
      const e = p >> 1;
      if (used[e]) {
        closed = e === e0;
        break;
      }
      used[e] = 1;
      const side = p & 1;
      seq.push({ e, fwd: side === 0 });
      exitInc = 2 * e + (1 - side);
    }
    let entryInc = 2 * e0;
    if (!closed) {
      for (;;) {
        const p = pairOf[entryInc]!;
        if (p < 0) break;
        const e = p >> 1;
        if (used[e]) break;
        used[e] = 1;
        const side = p & 1;
        seq.unshift({ e, fwd: side === 1 });
        entryInc = 2 * e + (1 - side);
      }
    }
    const pts: Pt[] = [];
    for (const { e, fwd } of seq) {
      const ep = edges[e]!.pts;
      const ordered = fwd ? ep : [...ep].reverse();
      for (let k = pts.length === 0 ? 0 : 1; k < ordered.length; k++)
        pts.push([ordered[k]![0], ordered[k]![1]]);
    }
    const first = seq[0]!;
    const last = seq[seq.length - 1]!;
    const fe = edges[first.e]!;
    const le = edges[last.e]!;
    const startNode = first.fwd ? fe.a : fe.b;
    const endNode = last.fwd ? le.b : le.a;
    chains.push({
      pts,
      startKind: closed ? "junction" : endKindAt(startNode),
      endKind: closed ? "junction" : endKindAt(endNode),
      closed,
    });
  }
  return chains;
}

/** Unit direction leaving the node at `side` of an edge, measured `dist` pixels along it. */
function outwardDirection(pts: readonly Pt[], side: number, dist: number): Pt {
  const n = pts.length;
  const at = (k: number): Pt => pts[side === 0 ? k : n - 1 - k]!;
  const p0 = at(0);
  let q = at(n - 1);
  let s = 0;
  for (let k = 1; k < n; k++) {
    const a = at(k - 1);
    const b = at(k);
    s += Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (s >= dist) {
      q = b;
      break;
    }
  }
  const dx = q[0] - p0[0];
  const dy = q[1] - p0[1];
  const len = Math.hypot(dx, dy) || 1;
  return [dx / len, dy / len];
}

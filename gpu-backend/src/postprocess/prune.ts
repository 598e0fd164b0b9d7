/**
 * Clean the skeleton graph: thinning leaves short spurs where the mask edge is ragged and small
 * loops around holes. Lengths are given in pixels (the caller converts from metres).
 */
import type { SkeletonGraph } from "./trace.js";

export interface PruneOptions {
  /** Free-end branches into a junction shorter than this are spurs. */
  spurPx: number;
  /** Loops (an edge from a node to itself, or short parallel edges) shorter than this are holes. */
  loopPx: number;
}

/** Returns a per-edge `alive` mask; the graph itself is not changed. */
export function pruneGraph(g: SkeletonGraph, opts: PruneOptions): Uint8Array {
  const alive = new Uint8Array(g.edges.length).fill(1);
  const degree = new Int32Array(g.nodes.length);
  for (const e of g.edges) {
    degree[e.a]!++;
    degree[e.b]!++;
  }
  const kill = (i: number): void => {
    const e = g.edges[i]!;
    alive[i] = 0;
    degree[e.a]!--;
    degree[e.b]!--;
  };

  // Small loops first: a hole in the mask gives a self-loop or two short parallel edges.
  const byPair = new Map<string, number[]>();
  g.edges.forEach((e, i) => {
    if (e.a === e.b) {
      if (e.lengthPx < opts.loopPx && degree[e.a]! > 2) kill(i);
      return;
    }
    const key = e.a < e.b ? `${e.a},${e.b}` : `${e.b},${e.a}`;
    const list = byPair.get(key);
    if (list) list.push(i);
    else byPair.set(key, [i]);
  });
  for (const list of byPair.values()) {
    if (list.length < 2) continue;
    list.sort((i, j) => g.edges[i]!.lengthPx - g.edges[j]!.lengthPx);
    // Keep the shortest (the straighter way through); drop the others when they are hole-sized.
    for (const i of list.slice(1)) if (g.edges[i]!.lengthPx < opts.loopPx) kill(i);
  }

  // Spurs, shortest first, re-checking degrees as branches disappear.
  for (let round = 0; round < 3; round++) {
    const spurs: number[] = [];
    g.edges.forEach((e, i) => {
      if (!alive[i] || e.lengthPx >= opts.spurPx || e.a === e.b) return;
      const da = degree[e.a]!;
      const db = degree[e.b]!;
      if ((da === 1 && db >= 3) || (db === 1 && da >= 3)) spurs.push(i);
    });
    if (spurs.length === 0) break;
    spurs.sort((i, j) => g.edges[i]!.lengthPx - g.edges[j]!.lengthPx);
    let removed = 0;
    for (const i of spurs) {
      const e = g.edges[i]!;
      const da = degree[e.a]!;
      const db = degree[e.b]!;
      if ((da === 1 && db >= 3) || (db === 1 && da >= 3)) {
        kill(i);
        removed++;
      }
    }
    if (removed === 0) break;
  }
  return alive;
}

/**
 * Contract short edges between two junctions into one node. Thinning turns the crossing of two
 * lines into two three-way junctions joined by a short edge; as one four-way node, the straight
 * continuations through it can be paired. Changes the graph in place (node positions, edge ends).
 */
export function contractJunctions(g: SkeletonGraph, alive: Uint8Array, maxEdgePx: number): void {
  const parent = g.nodes.map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  let any = false;
  g.edges.forEach((e, i) => {
    if (!alive[i] || e.a === e.b || e.lengthPx >= maxEdgePx) return;
    if (g.nodes[e.a]!.end || g.nodes[e.b]!.end) return;
    const ra = find(e.a);
    const rb = find(e.b);
    alive[i] = 0;
    if (ra !== rb) parent[ra] = rb;
    any = true;
  });
  if (!any) return;
  const sx = new Float64Array(g.nodes.length);
  const sy = new Float64Array(g.nodes.length);
  const sw = new Float64Array(g.nodes.length);
  g.nodes.forEach((n, i) => {
    const r = find(i);
    sx[r]! += n.x * n.size;
    sy[r]! += n.y * n.size;
    sw[r]! += n.size;
  });
  g.nodes.forEach((n, i) => {
    const r = find(i);
    n.x = sx[r]! / sw[r]!;
    n.y = sy[r]! / sw[r]!;
  });
  g.edges.forEach((e, i) => {
    if (!alive[i]) return;
    e.a = find(e.a);
    e.b = find(e.b);
    const na = g.nodes[e.a]!;
    const nb = g.nodes[e.b]!;
    e.pts[0] = [na.x, na.y];
    e.pts[e.pts.length - 1] = [nb.x, nb.y];
  });
}

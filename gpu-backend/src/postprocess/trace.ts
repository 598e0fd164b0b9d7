/**
 * Trace a one-pixel skeleton into a graph: nodes are free ends (one neighbour) and junctions
 * (clusters of pixels with three or more neighbours); edges are the pixel paths between them.
 * Closed rings without any node get a node of their own. Edge points are pixel centres in
 * continuous coordinates, starting and ending at their nodes' positions.
 */
import { lengthOf } from "./polyline.js";
import type { Pt } from "./types.js";

export interface SkeletonNode {
  x: number;
  y: number;
  /** Number of skeleton pixels in the node (1 for free ends). */
  size: number;
  /** True when the node is a free end of the skeleton. */
  end: boolean;
}

export interface SkeletonEdge {
  a: number;
  b: number;
  pts: Pt[];
  lengthPx: number;
}

export interface SkeletonGraph {
  nodes: SkeletonNode[];
  edges: SkeletonEdge[];
}

/**
 * `img` is the padded thinned mask (non-zero = skeleton) and `skel` the padded indices of its
 * pixels. `img` is used as scratch and left with arbitrary non-zero values on skeleton pixels.
 */
export function traceSkeleton(img: Uint8Array, stride: number, skel: Int32Array): SkeletonGraph {
  const offs = [-stride - 1, -stride, -stride + 1, 1, stride + 1, stride, stride - 1, -1];
  // Store 1 + degree in the image itself: no extra raster-sized array.
  for (let k = 0; k < skel.length; k++) {
    const p = skel[k]!;
    let d = 0;
    for (const o of offs) if (img[p + o] !== 0) d++;
    img[p] = 1 + d;
  }
  const nodeOf = new Map<number, number>();
  const nodes: SkeletonNode[] = [];
  const nodePixels: number[][] = [];
  const centre = (p: number): Pt => {
    const x = p % stride;
    return [x - 1 + 0.5, (p - x) / stride - 1 + 0.5];
  };

  for (let k = 0; k < skel.length; k++) {
    const p = skel[k]!;
    const deg = img[p]! - 1;
    if (nodeOf.has(p) || deg === 2) continue;
    const id = nodes.length;
    if (deg <= 1) {
      nodeOf.set(p, id);
      const [x, y] = centre(p);
      nodes.push({ x, y, size: 1, end: deg === 1 });
      nodePixels.push([p]);
      continue;
    }
    // Junction: flood the 8-connected cluster of pixels with degree >= 3.
    const cluster = [p];
    nodeOf.set(p, id);
    for (let i = 0; i < cluster.length; i++) {
      const q = cluster[i]!;
      for (const o of offs) {
        const r = q + o;
        if (img[r]! >= 4 && !nodeOf.has(r)) {
          nodeOf.set(r, id);
          cluster.push(r);
        }
      }
    }
    let sx = 0;
    let sy = 0;
    for (const q of cluster) {
      const [x, y] = centre(q);
      sx += x;
      sy += y;
    }
    nodes.push({ x: sx / cluster.length, y: sy / cluster.length, size: cluster.length, end: false });
    nodePixels.push(cluster);
  }

  // Path pixels already walked are marked VISITED in the image (degrees are no longer needed).
  const isVisited = (p: number): boolean => img[p] === VISITED;
  const edges: SkeletonEdge[] = [];
  const walk = (startNode: number, from: number, first: number): void => {
    const n0 = nodes[startNode]!;
    const pts: Pt[] = [[n0.x, n0.y]];
    let prev = from;
    let cur = first;
    for (;;) {
      const other = nodeOf.get(cur);
      if (other !== undefined) {
        const n1 = nodes[other]!;
        pts.push([n1.x, n1.y]);
        edges.push({ a: startNode, b: other, pts, lengthPx: lengthOf(pts) });
        return;
      }
      img[cur] = VISITED;
      pts.push(centre(cur));
      let next = -1;
      for (const o of offs) {
        const r = cur + o;
        if (r === prev || img[r] === 0) continue;
        if (nodeOf.has(r)) {
          next = r;
          break;
        }
        if (!isVisited(r)) next = r;
      }
      if (next < 0) {
        // A path pixel whose continuation was consumed (cannot happen on a clean skeleton): end here.
        const id = nodes.length;
        const [x, y] = centre(cur);
        nodes.push({ x, y, size: 1, end: true });
        nodePixels.push([cur]);
        nodeOf.set(cur, id);
        pts.pop();
        pts.push([x, y]);
        edges.push({ a: startNode, b: id, pts, lengthPx: lengthOf(pts) });
        return;
      }
      prev = cur;
      cur = next;
    }
  };

  const nodeCount = nodes.length;
  for (let id = 0; id < nodeCount; id++) {
    for (const q of nodePixels[id]!) {
      for (const o of offs) {
        const r = q + o;
        if (img[r] === 0) continue;
        const other = nodeOf.get(r);
        if (other === id) continue;
        if (other !== undefined) {
          // Two adjacent nodes (free end next to a junction, or a 2-pixel segment): one edge, once.
          if (id < other) {
            const a = nodes[id]!;
            const b = nodes[other]!;
            const pts: Pt[] = [
              [a.x, a.y],
              [b.x, b.y],
            ];
            edges.push({ a: id, b: other, pts, lengthPx: lengthOf(pts) });
          }
          continue;
        }
        if (!isVisited(r)) walk(id, q, r);
      }
    }
  }

  // Rings with no node at all: give each one a node and walk around it.
  for (let k = 0; k < skel.length; k++) {
    const p = skel[k]!;
    if (nodeOf.has(p) || isVisited(p)) continue;
    const id = nodes.length;
    const [x, y] = centre(p);
    nodes.push({ x, y, size: 1, end: false });
    nodePixels.push([p]);
    nodeOf.set(p, id);
    for (const o of offs) {
      const r = p + o;
      if (img[r] !== 0 && !isVisited(r) && !nodeOf.has(r)) {
        walk(id, p, r);
        break;
      }
    }
  }
  return { nodes, edges };
}

const VISITED = 20;

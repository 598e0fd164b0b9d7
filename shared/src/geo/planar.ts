/**
 * Lengths along a polyline in a plane (pixels, or metres of a local frame): the vectoriser's
 * pixel lines, the old route's pixel lengths and the scene generator's metre paths all measure
 * with these. Geodesic lengths of lon/lat lines are geodesic.ts's.
 */

/** A point in a plane: [x, y]. */
export type PlanarPoint = readonly [number, number];

/** Sum of the straight segments between consecutive points (0 for fewer than two). */
export function planarLength(points: readonly PlanarPoint[]): number {
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    sum += Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]);
  }
  return sum;
}

/** Length along the polyline at each vertex (the first is 0, the last is planarLength). */
export function cumulativeLengths(points: readonly PlanarPoint[]): Float64Array {
  const cum = new Float64Array(points.length);
  for (let i = 1; i < points.length; i++) {
    cum[i] = cum[i - 1]! + Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]);
  }
  return cum;
}

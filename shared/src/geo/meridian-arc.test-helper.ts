/**
 * Independent reference for tests: the WGS84 meridian arc length from Helmert's series in the
 * third flattening n (terms to n⁴; truncation error about 1e-14 relative, far below a micrometre
 * over a kilometre). Deliberately does not use geographiclib.
 */
const A = 6_378_137;
const F = 1 / 298.257223563;
const N = F / (2 - F);

/** Distance in metres along the meridian from the equator to latitude `latDeg`. */
export function meridianArc(latDeg: number): number {
  const phi = (latDeg * Math.PI) / 180;
  const n2 = N * N;
  const n3 = n2 * N;
  const n4 = n3 * N;
  return (
    (A / (1 + N)) *
    (1 + n2 / 4 + n4 / 64) *
    (phi -
      ((3 / 2) * N - (9 / 16) * n3) * Math.sin(2 * phi) +
      ((15 / 16) * n2 - (15 / 32) * n4) * Math.sin(4 * phi) -
      (35 / 48) * n3 * Math.sin(6 * phi) +
      (315 / 512) * n4 * Math.sin(8 * phi))
  );
}

/** Latitudes [south, north] of a meridian segment of `lengthM` centred on `centreLatDeg` (Newton). */
export function meridianSegment(centreLatDeg: number, lengthM: number): [number, number] {
  let half = lengthM / 2 / 111_000; // degrees, first guess
  for (let i = 0; i < 20; i++) {
    const len = meridianArc(centreLatDeg + half) - meridianArc(centreLatDeg - half);
    // d(len)/d(half) ≈ len / half for a segment this short.
    half *= lengthM / len;
  }
  return [centreLatDeg - half, centreLatDeg + half];
}

/** Split proportions and assignments (exact counts by largest remainder; groups greedily). */
import type { Rng } from "../random.js";

export const SPLITS = ["train", "val", "test"] as const;
export type SplitName = (typeof SPLITS)[number];
export type SplitRatios = Record<SplitName, number>;

/** "70,10,20" → {train: .7, val: .1, test: .2}. Throws on anything else. */
export function parseSplitRatios(text: string): SplitRatios {
  const parts = text.split(",").map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0)) {
    throw new RangeError(`--split wants three non-negative numbers like 70,10,20, got "${text}"`);
  }
  const sum = parts[0]! + parts[1]! + parts[2]!;
  if (sum <= 0) throw new RangeError("--split proportions must not all be zero");
  return { train: parts[0]! / sum, val: parts[1]! / sum, test: parts[2]! / sum };
}

/** Exact per-split counts for n items (largest remainder). */
export function splitCounts(n: number, r: SplitRatios): Record<SplitName, number> {
  const raw = SPLITS.map((s) => n * r[s]);
  const counts = raw.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = raw.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i] = counts[i]! + 1;
    left--;
  }
  return { train: counts[0]!, val: counts[1]!, test: counts[2]! };
}

/** A split for each of n items: exact counts, shuffled by the seed. */
export function assignByIndex(n: number, r: SplitRatios, rng: Rng): SplitName[] {
  const c = splitCounts(n, r);
  const out: SplitName[] = [];
  for (const s of SPLITS) for (let i = 0; i < c[s]; i++) out.push(s);
  return rng.shuffle(out);
}

/**
 * Assign whole groups (cities, blocks) to splits so that item counts approach the ratios: groups
 * in decreasing size go to the split furthest below its target.
 */
export function assignGroups(
  groups: readonly { key: string; size: number }[],
  r: SplitRatios,
  keepOrder = false,
): Map<string, SplitName> {
  const total = groups.reduce((a, g) => a + g.size, 0);
  const have: Record<SplitName, number> = { train: 0, val: 0, test: 0 };
  const out = new Map<string, SplitName>();
  const sorted = keepOrder
    ? [...groups]
    : [...groups].sort((a, b) => b.size - a.size || a.key.localeCompare(b.key));
  for (const g of sorted) {
    let best: SplitName = "train";
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (const s of SPLITS) {
      if (r[s] <= 0) continue;
      const deficit = r[s] * total - have[s];
      if (deficit > bestDeficit) {
        bestDeficit = deficit;
        best = s;
      }
    }
    out.set(g.key, best);
    have[best] += g.size;
  }
  return out;
}

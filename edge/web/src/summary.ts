/** Per-class counts and lengths of a result's lines, for the totals table. */
import type { LaneFeature } from "../../../shared/src/schemas/response.js";
import { MARKING_CLASSES } from "./classes.js";

/** A line's properties as the API sends them (shared's LaneFeatureSchema). */
export type LineProperties = LaneFeature["properties"];

export interface ClassSummary {
  readonly classId: number;
  readonly name: string;
  readonly count: number;
  readonly lengthM: number;
}

export interface Summary {
  /** The classes asked for (default every marking class), in registry order, zero rows included. */
  readonly classes: readonly ClassSummary[];
  readonly count: number;
  readonly lengthM: number;
}

/** Sums of metres, rounded to the centimetre (the API rounds every length to 0.01 m). */
const cm = (v: number) => Math.round(v * 100) / 100;

/**
 * `asked`: the classes the analysis looked for (its `analysis.totals` names exactly those); a
 * class it never looked for gets no row, which would read as "none here".
 */
export function summarise(lines: readonly LineProperties[], asked?: ReadonlySet<string>): Summary {
  const classes = MARKING_CLASSES.filter((c) => !asked || asked.has(c.name)).map((c) => {
    const mine = lines.filter((l) => l.class_id === c.id);
    return {
      classId: c.id,
      name: c.name,
      count: mine.length,
      lengthM: cm(mine.reduce((s, l) => s + l.length_m, 0)),
    };
  });
  return {
    classes,
    count: lines.length,
    lengthM: cm(lines.reduce((s, l) => s + l.length_m, 0)),
  };
}

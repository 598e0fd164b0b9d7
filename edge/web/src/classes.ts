/**
 * The lane-class registry as the page uses it: names, labels and display colours come from the one
 * registry (shared/src/classes.ts), imported as a module of its own so the bundle does not pull in
 * the rest of the shared package (zod schemas and geo code the page does not need).
 */
import type { ExpressionSpecification } from "maplibre-gl";
import { LANE_CLASSES, type LaneClass } from "../../../shared/src/classes.js";

/** The six marking classes (background excluded), by id. */
export const MARKING_CLASSES: readonly LaneClass[] = LANE_CLASSES.filter((c) => c.id !== 0);

/** "single_white_dashed" -> "Single white dashed". */
export function classLabel(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function classById(id: number): LaneClass | undefined {
  return MARKING_CLASSES.find((c) => c.id === id);
}

/** MapLibre colour expression: the feature's class_id to its registry display colour. */
export function classColourExpression(): ExpressionSpecification {
  const pairs = MARKING_CLASSES.flatMap((c) => [c.id, c.display]);
  // MapLibre types "match" as a fixed-length tuple of label/output pairs; a list built from the
  // registry has the same shape but a length TypeScript cannot know, hence the cast.
  return ["match", ["get", "class_id"], ...pairs, "#888888"] as unknown as ExpressionSpecification;
}

/** Dashed classes as a MapLibre filter (drawn with a dash pattern). */
export const DASHED_CLASS_IDS: readonly number[] = MARKING_CLASSES.filter((c) => c.dashed).map((c) => c.id);

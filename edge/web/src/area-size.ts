/**
 * The area's size as the API will judge it, worked out in the page with the API's own code
 * (shared's areaIssuesAsAnalysed, geodesic area and pixel grid), so an area the API would refuse is never
 * sent: a refused analysis still counts against the hourly quota (the rate limit runs before
 * validation). The API judges an area at the resolution it will analyse: the chosen one kept
 * inside the model's range (`range`, which the page reads from GET /health), as here.
 */

import { areaIssuesAsAnalysed } from "../../../shared/src/geo/analysed-area.js";
import { bboxArea, bboxSidesM } from "../../../shared/src/geo/geodesic.js";
import { gridForBbox } from "../../../shared/src/geo/grid.js";
import { type AnalysisLimitOptions, analysedResolutionM } from "../../../shared/src/limits.js";
import type { Bbox } from "./bbox.js";
import { inPageTerms } from "./problems.js";

export interface AreaSize {
  /** "0.07 km² (265 × 262 m), 1,114,112 px at 0.25 m/px" */
  readonly summary: string;
  /** Why the API would refuse the area, in the page's terms; null when it would take it. */
  readonly problem: string | null;
}

const grouped = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });

function areaWords(m2: number): string {
  return m2 >= 10_000 ? `${(m2 / 1e6).toFixed(m2 >= 1e7 ? 1 : 3)} km²` : `${grouped.format(m2)} m²`;
}

export function areaSize(bbox: Bbox, chosenM: number, range: AnalysisLimitOptions = {}): AreaSize {
  const resolutionM = analysedResolutionM(chosenM, range);
  const { widthM, heightM } = bboxSidesM(bbox);
  const grid = gridForBbox(bbox, resolutionM);
  const at =
    resolutionM === chosenM ? `${chosenM} m/px` : `${+resolutionM.toFixed(4)} m/px, the model's limit`;
  const summary = `${areaWords(bboxArea(bbox))} (${grouped.format(widthM)} × ${grouped.format(heightM)} m), ${grouped.format(grid.width * grid.height)} px at ${at}`;
  // The API's own words for this model: no "coarser resolution" advice at the coarsest it analyses.
  const issues = areaIssuesAsAnalysed({ type: "bbox", bbox: [...bbox] }, chosenM, range);
  if (issues.length === 0) return { summary, problem: null };
  const message = issues.map((i) => i.message).join("; ");
  return {
    summary,
    problem: `${inPageTerms(message)[0]?.toUpperCase() ?? ""}${inPageTerms(message).slice(1)}.`,
  };
}

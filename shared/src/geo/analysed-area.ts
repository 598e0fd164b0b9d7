/**
 * An area judged as the API judges it: at the resolution that will be analysed (the requested one,
 * canonical and kept inside the model's range), with advice that holds for this model: a coarser
 * resolution_m is suggested only where one would let the area through. Shared by the request
 * schema (the edge's 400s) and the web page (which refuses such an area before spending quota), so
 * both say the same. No zod here: the page bundles this.
 */
import { type AnalysisLimitOptions, analysedResolutionM, canonicalResolutionM, LIMITS } from "../limits.js";
import { type AreaInput, type AreaIssue, validateArea } from "./validate.js";

export function areaIssuesAsAnalysed(
  area: AreaInput,
  requestedResolutionM: number | undefined,
  options: AnalysisLimitOptions = {},
): AreaIssue[] {
  // An out-of-range resolution is reported on its own field; size the area at the coarsest
  // allowed one meanwhile, so only limits that no resolution could satisfy are reported.
  const r = requestedResolutionM;
  const requested =
    r === undefined
      ? LIMITS.defaultResolutionM
      : r >= LIMITS.minResolutionM && r <= LIMITS.maxResolutionM
        ? canonicalResolutionM(r)
        : LIMITS.maxResolutionM;
  const coarsest = options.coarsestAnalysedM ?? Number.POSITIVE_INFINITY;
  const resolutionM = analysedResolutionM(requested, options);
  const result = validateArea(area, { resolutionM, basePath: ["area"] });
  if (result.ok) return [];
  // The validator advises a coarser resolution_m for too many pixels or too long a side; that
  // helps only if the area passes at the coarsest resolution that would be analysed.
  const ceiling = Math.min(coarsest, LIMITS.maxResolutionM);
  const coarserHelps = resolutionM < ceiling && validateArea(area, { resolutionM: ceiling }).ok;
  // An area over the km² limit is told the pixel bound at its resolution where that binds first
  // (validateArea); where a coarser resolution_m would allow more, say how much, so the client
  // picks both at once.
  const pixelBoundBinds = LIMITS.maxPixels * resolutionM ** 2 < LIMITS.maxAreaKm2 * 1e6;
  const coarserBoundKm2 = Math.min(LIMITS.maxAreaKm2, (LIMITS.maxPixels * ceiling ** 2) / 1e6);
  const coarserNote =
    resolutionM < ceiling
      ? `; a coarser resolution_m allows more: a bounding box of about ${(Math.floor(coarserBoundKm2 * 100) / 100).toFixed(2)} km² at ${ceiling} m/px`
      : "";
  return result.issues.map((issue) => {
    const sized = issue.code === "too_many_pixels" || issue.code === "too_long";
    const stripped = issue.message.replace(/: (use|split) .*$/, "");
    const message =
      issue.code === "too_large" && pixelBoundBinds
        ? `${issue.message}${coarserNote}`
        : !sized || coarserHelps
          ? issue.message
          : Number.isFinite(coarsest)
            ? `${stripped}: no coarser resolution_m helps (${coarsest} m/px is the coarsest this model analyses, and coarser requests are analysed there), so request a smaller area`
            : `${stripped}: no allowed resolution_m helps, so request a smaller area`;
    return { ...issue, message };
  });
}

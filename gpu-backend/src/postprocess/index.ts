/** Vectorisation and physics filtering of segmentation output (PRODUCT.md capability 9). */
export { clipRegionFromBbox, clipRegionFromPolygon } from "./clip.js";
export {
  applyPhysicsFilters,
  PHYSICS_RULES,
  type PhysicsRule,
  type Rejection,
  type RuleName,
} from "./filters.js";
export { mergeDuplicates } from "./merge.js";
export { DEFAULT_PARAMS, type VectoriseParams } from "./params.js";
export { argmaxClasses, type ClassScores, type ScoreKind } from "./scores.js";
export { gridGroundResolution, vectoriseToFeatures } from "./to-features.js";
export {
  geodesicLength,
  type LaneFeatureCollection,
  type LineLengthFn,
  lineToFeature,
  toFeatureCollection,
} from "./to-geojson.js";
export type { ClipRegion, DashMeasure, MeasuredLine, Polyline, Pt } from "./types.js";
export {
  type SegmentationOutput,
  type VectoriseOptions,
  type VectoriseResult,
  vectorise,
} from "./vectorise.js";

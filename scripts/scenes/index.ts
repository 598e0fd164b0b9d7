/** Public API of the scene generator (see README.md). */
export { geometryFromAel } from "./geometry/ael-geometry.js";
export type { LayoutKind } from "./geometry/layouts.js";
export { LAYOUT_KINDS } from "./geometry/layouts.js";
export type { StyleName } from "./markings/styles.js";
export {
  AEL_VERTEX_OFFSET,
  type AelAnnotation,
  AelAnnotationSchema,
  aelGrid,
  aelGroundGsd,
  aelLanePixels,
  makeSidecar,
} from "./outputs/ael-format.js";
export {
  assertDisjointSplits,
  type Footprint,
  findSplitOverlaps,
  SplitLeakError,
} from "./outputs/split-check.js";
export { type GeoLane, gridAt, type LonLat, type PlacedScene, placeScene } from "./place.js";
export { encodeJpeg, encodeMask, encodePng } from "./render/encode.js";
export { maskFromLanes, renderScene, type Scene, type SceneLane, type SceneSpec } from "./scene.js";
export { GENERATOR_VERSION } from "./version.js";
export {
  cutStore,
  groundGsd,
  lanesInGrid,
  renderWorld,
  type StoreImage,
  sampleWorld,
  storeWorldSize,
  type World,
  type WorldSpec,
  type WorldView,
} from "./world.js";

export * from "./area.js";
export * from "./build.js";
export * from "./coverage-index.js";
export { MAGIC as COVERAGE_INDEX_MAGIC } from "./format.js";
export * from "./geojson.js";
export * from "./sidecar.js";

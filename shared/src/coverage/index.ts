export * from "./area.js";
export * from "./build.js";
export * from "./coverage-index.js";
export * from "./geojson.js";
export * from "./sidecar.js";

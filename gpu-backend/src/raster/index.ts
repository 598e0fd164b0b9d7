export * from "./codec.js";
export * from "./georaster.js";
export * from "./resample.js";
export * from "./target-grid.js";

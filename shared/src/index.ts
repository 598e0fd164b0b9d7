export * from "./classes.js";
export * from "./geo/mercator.js";
export * from "./label.js";

export * from "./ael-dir.js";
export * from "./store.js";

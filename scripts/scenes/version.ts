/** Bumped whenever the same seed would give different pixels or labels. */
export const GENERATOR_VERSION = "1.1.0";

import { defineConfig } from "vitest/config";

// One vitest config per package; the root only lists them so `npm test` runs them all.
export default defineConfig({
  test: {
    projects: ["shared", "edge", "gpu-backend", "scripts", "test"],
  },
});

import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "gpu-backend",
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
  },
});

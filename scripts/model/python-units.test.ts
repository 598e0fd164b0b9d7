/**
 * The training pipeline's own Python unit tests (test-split guard, loss terms, --freeze-bn), run
 * with the Python that trains. Skips, like the parity test, when no Python with torch and OpenCV is
 * available (set PYTHON, default /usr/bin/python3).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const PY = process.env.PYTHON ?? "/usr/bin/python3";
const REPO = resolve(import.meta.dirname, "../..");
const T = join(REPO, "models/training");
const hasTorch = spawnSync(PY, ["-c", "import torch, cv2, numpy"], { stdio: "ignore" }).status === 0;
if (!hasTorch) {
  console.warn(
    `Python unit tests skipped: ${PY} lacks torch, cv2 or numpy (apt-get install -y python3-torch python3-opencv; .ci/run does it)`,
  );
}

describe.skipIf(!hasTorch)("models/training Python unit tests", () => {
  it("pass", () => {
    const files = readdirSync(T)
      .filter((f) => /^test_.*\.py$/.test(f))
      .map((f) => join("models/training", f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const run = spawnSync(PY, ["-m", "unittest", ...files], {
      cwd: REPO,
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    // unittest reports on stderr; show it when a test fails.
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\nOK\b/);
  }, 120_000);
});

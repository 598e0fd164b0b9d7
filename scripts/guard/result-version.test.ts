/**
 * RESULT_VERSION (shared/src/cache-key.ts) is in every cache key so that a backend change which
 * gives the same request another answer never serves results cached before it. Nothing enforces a
 * bump by itself, so this test fails whenever the sources that decide an answer change (the
 * backend's and shared's: lengths, grids, the label rule and the schemas live there): bump
 * RESULT_VERSION if the answer can change (a comment, a log line or a metric does not), then record
 * the new hash in result-version.json. Tests, test fixtures and benchmarks are left out: editing
 * them never changes an answer.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { RESULT_VERSION } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
/**
 * What an answer is made of: imagery, inference, vectorising, the response (not routes or logs),
 * and everything shared (geodesic lengths, grids, label rule, class registry, schemas, cache key).
 */
const DECIDING = [
  ...["analysis", "postprocess", "providers", "raster", "runtime"].map((d) =>
    join(root, "gpu-backend/src", d),
  ),
  join(root, "shared/src"),
];
/** Not part of any answer: tests, their helpers and fixtures, and the vectoriser's benchmark. */
const NOT_DECIDING =
  /\.test\.ts$|\.test-helper\.ts$|\/test-support\.ts$|\/postprocess\/(bench|scenes|synthetic)\.ts$/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !NOT_DECIDING.test(relative(root, f).split("\\").join("/")));
}

function sourcesSha256(): string {
  const hash = createHash("sha256");
  const files = DECIDING.flatMap(sources)
    .map((f) => relative(root, f).split("\\").join("/"))
    .sort();
  for (const f of files) {
    hash.update(`${f}\n`);
    hash.update(readFileSync(join(root, f)));
  }
  return hash.digest("hex");
}

describe("RESULT_VERSION", () => {
  it("was considered for the current backend sources", () => {
    const recorded = JSON.parse(readFileSync(join(import.meta.dirname, "result-version.json"), "utf8")) as {
      result_version: number;
      sources_sha256: string;
    };
    expect(recorded.result_version, "result-version.json names another RESULT_VERSION").toBe(RESULT_VERSION);
    expect(
      sourcesSha256(),
      "sources that decide an answer (gpu-backend, shared) changed: bump RESULT_VERSION in shared/src/cache-key.ts if the same request can now get another answer, then record result_version and this hash in scripts/guard/result-version.json",
    ).toBe(recorded.sources_sha256);
  });
});

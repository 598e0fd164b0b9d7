import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBackend } from "./build-backend.js";

const dir = mkdtempSync(join(tmpdir(), "lsn-build-backend-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "build-backend.ts"), ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });

describe("build:backend", () => {
  it("never empties a folder that holds anything but an earlier build", async () => {
    const foreign = join(dir, "foreign");
    rmSync(foreign, { recursive: true, force: true });
    const keep = join(foreign, "keep.txt");
    mkdirSync(foreign, { recursive: true });
    writeFileSync(keep, "mine");
    await expect(buildBackend(foreign)).rejects.toThrow(/not an earlier backend build/);
    expect(readFileSync(keep, "utf8")).toBe("mine");
    // A folder it built is rebuilt.
    const out = join(dir, "out");
    await buildBackend(out);
    await buildBackend(out);
    expect(readFileSync(join(out, "main.js"), "utf8").length).toBeGreaterThan(1000);
  }, 60_000);

  it("refuses a bare argument (it was taken as the folder to empty) with a usage error", () => {
    const victim = join(dir, "victim");
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, "keep.txt"), "mine");
    const r = cli(victim);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^build:backend: /);
    expect(readFileSync(join(victim, "keep.txt"), "utf8")).toBe("mine");
  });
});

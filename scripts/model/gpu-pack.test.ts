/**
 * gpu-pack.sh takes one argument, DATA: `--help` was taken as that folder and the packing began.
 * Run outside the repository, so a script that ignored --help fails at once (no .git there) instead
 * of packing. And the training README's commands name the Python the scripts use ($PYTHON), not a
 * bare python3 that may lack torch.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const PACK = join(import.meta.dirname, "gpu-pack.sh");
const away = mkdtempSync(join(tmpdir(), "lsn-gpu-pack-"));
afterAll(() => rmSync(away, { recursive: true, force: true }));

const pack = (...args: string[]) =>
  spawnSync("bash", [PACK, ...args], { cwd: away, encoding: "utf8", timeout: 20_000 });

describe("gpu-pack.sh", () => {
  it.each(["--help", "-h"])("%s: usage on stdout, exit code 0", (flag) => {
    const r = pack(flag);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: bash scripts\/model\/gpu-pack\.sh DATA/);
    expect(r.stderr).toBe("");
  });

  it.each([[[]], [["--bogus"]], [["a", "b"]], [[join(away, "missing")]]])(
    "%j: one line, exit code 2, nothing packed",
    (args) => {
      const r = pack(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^gpu-pack\.sh: /);
      expect(r.stdout).toBe("");
    },
  );
});

describe("models/training/README.md", () => {
  it("runs the Python tools with $PYTHON, as the scripts do", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../models/training/README.md"), "utf8");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell default the README sets
    expect(readme).toContain("PYTHON=${PYTHON:-/usr/bin/python3}");
    const bare = readme
      .split("\n")
      .filter((line) => /(^|[\s`])(\/usr\/bin\/)?python3 (models\/|-m )/.test(line));
    expect(bare).toEqual([]);
  });
});

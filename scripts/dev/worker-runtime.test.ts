import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { REPO_ROOT } from "./repo-root.js";
import { parseWorkerRuntime, parseWorkerVars, workerRuntime, workerVars } from "./worker-runtime.js";

describe("workerRuntime", () => {
  it("reads what wrangler itself reads from wrangler.toml", () => {
    const config = unstable_readConfig({ config: join(REPO_ROOT, "wrangler.toml") });
    expect(workerRuntime()).toEqual({
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags,
    });
  });

  it("reads the [vars] wrangler itself reads from wrangler.toml, and only that table's", () => {
    const config = unstable_readConfig({ config: join(REPO_ROOT, "wrangler.toml") });
    expect(workerVars()).toEqual(config.vars);
    expect(Object.keys(workerVars()).length).toBeGreaterThan(5);
    expect(
      parseWorkerVars('A = "top"\n[vars]\nB = "1" # why\n# C = "no"\nD="x y"\n[assets]\nE = "no"\n'),
    ).toEqual({
      B: "1",
      D: "x y",
    });
    expect(parseWorkerVars('[vars]\nLAST = "end"')).toEqual({ LAST: "end" });
    expect(
      parseWorkerVars('[ vars ] # mine\r\nA = "a#b" # c\r\n[[rules]]\nB = "no"\n[env.x.vars]\nC = "no"'),
    ).toEqual({
      A: "a#b",
    });
    // What it cannot read as wrangler would, it names instead of skipping.
    for (const line of ["RATE_LIMIT_PER_HOUR = 0", "A = 'lit'", 'A = "a\\"b"', '"A" = "x"', 'A.B = "x"']) {
      expect(() => parseWorkerVars(`[vars]\nOK = "1"\n${line}\n`), line).toThrow(
        `wrangler.toml line 3: [vars] are read here only as NAME = "plain string" lines: ${line}`,
      );
    }
  });

  it("reads the flags of a line with several, and none when the key is absent", () => {
    expect(
      parseWorkerRuntime('compatibility_date = "2025-01-02"\ncompatibility_flags = ["a", "b_c"]\n'),
    ).toEqual({
      compatibilityDate: "2025-01-02",
      compatibilityFlags: ["a", "b_c"],
    });
    expect(
      parseWorkerRuntime('name = "x"\ncompatibility_date = "2025-01-02" # pinned\n').compatibilityFlags,
    ).toEqual([]);
  });

  it("refuses a file without a compatibility date", () => {
    expect(() => parseWorkerRuntime('name = "x"\n')).toThrow(/compatibility_date/);
  });
});

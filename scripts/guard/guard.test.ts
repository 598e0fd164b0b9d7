/**
 * The debug-code guard against the real production builds (the Worker from `wrangler deploy
 * --dry-run`, the backend from build-backend.ts), built into a temp folder: the clean tree passes,
 * and one planted example of each kind of debug code — planted into a copy of the output, never
 * into the source tree — is caught.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBackend } from "./build-backend.js";
import { buildPage } from "./build-page.js";
import { buildWorker } from "./build-worker.js";
import { libraryCopies } from "./library-copies.js";
import {
  type Finding,
  type Rule,
  type ScanOptions,
  scanJavaScript,
  scanOutput,
  scanSourceMap,
} from "./scan.js";
import { devSecrets, secretValues } from "./secrets.js";
import { sourceLookup } from "./source-map.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PLANTED_SECRET = "planted-secret-0123456789abcdef";

let dir: string;
let workerJs: string;
let workerMap: string;
let backendJs: string;
let secrets: string[];
let options: ScanOptions;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lsn-guard-test-"));
  // One after the other: each build uses the CPU fully.
  await buildWorker(join(dir, "worker"));
  await buildBackend(join(dir, "backend"));
  await buildPage(join(dir, "page"));
  workerJs = await readFile(join(dir, "worker", "index.js"), "utf8");
  workerMap = await readFile(join(dir, "worker", "index.js.map"), "utf8");
  backendJs = await readFile(join(dir, "backend", "main.js"), "utf8");
  secrets = [...(await devSecrets(ROOT)), PLANTED_SECRET];
  options = {
    secrets,
    libraryCopy: await libraryCopies(ROOT, ["edge/package.json", "gpu-backend/package.json"]),
  };
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Insert `code` on the line after the module marker of `module` (a path in the bundle). */
function plantAfter(bundle: string, module: string, code: string): string {
  const marker = `\n// ${module}\n`;
  const at = bundle.indexOf(marker);
  if (at < 0) throw new Error(`no module ${module} in the bundle`);
  const end = at + marker.length;
  return `${bundle.slice(0, end)}${code}\n${bundle.slice(end)}`;
}

const rules = (findings: Finding[]) => [...new Set(findings.map((f) => f.rule))].sort();

describe("the clean tree", () => {
  it("passes: no finding in the Worker, its page, or the backend build", async () => {
    expect(await scanOutput(join(dir, "worker"), options)).toEqual([]);
    expect(await scanOutput(join(dir, "backend"), options)).toEqual([]);
    expect(await scanOutput(join(dir, "page"), options)).toEqual([]);
  });

  it("refuses a folder with no code in it rather than calling it clean", async () => {
    const empty = join(dir, "empty");
    await mkdir(empty);
    await writeFile(join(empty, "README.txt"), "not a build\n");
    await expect(scanOutput(empty, options)).rejects.toThrow(
      /no JavaScript files in .*empty: nothing to scan/,
    );
  });

  it("builds bundles with module markers, so our code is told from libraries", () => {
    expect(workerJs).toMatch(/^\/\/ edge\/src\/app\.ts$/m);
    expect(workerJs).toMatch(/^\/\/ node_modules\/hono\//m);
    expect(backendJs).toMatch(/^\/\/ gpu-backend\/src\/server\.ts$/m);
    // Libraries do contain console.log (opt-in debug logging): allowed, theirs.
    expect(workerJs).toMatch(/console\.log\(/);
  });

  it("ships the backend's worker beside its main bundle, as the inference pool loads it", async () => {
    expect(backendJs).toMatch(/new Worker\(new URL\("\.\/worker\.js", \w+\)/);
    expect(await readFile(join(dir, "backend", "worker.js"), "utf8")).toMatch(/onnxruntime-node/);
  });
});

describe("planted debug code is caught", () => {
  const cases: [string, () => Finding[], Rule][] = [
    [
      "console.log in our edge code",
      () =>
        scanJavaScript("index.js", plantAfter(workerJs, "edge/src/app.ts", '  console.log("here", 1);'), {
          secrets,
        }),
      "console-log",
    ],
    [
      "console.log in our backend code",
      () =>
        scanJavaScript(
          "main.js",
          plantAfter(backendJs, "gpu-backend/src/server.ts", "console . log(config);"),
          { secrets },
        ),
      "console-log",
    ],
    [
      "a debugger statement",
      () =>
        scanJavaScript("main.js", plantAfter(backendJs, "gpu-backend/src/server.ts", "  debugger;"), {
          secrets,
        }),
      "debugger",
    ],
    [
      "a bundled test module",
      () =>
        scanJavaScript("index.js", `${workerJs}\n// edge/test/support/fake-backend.ts\nvar planted = 1;\n`, {
          secrets,
        }),
      "test-code",
    ],
    [
      "a test harness class (loopback server)",
      () =>
        scanJavaScript("index.js", plantAfter(workerJs, "edge/src/deps.ts", "var b = new FakeBackend();"), {
          secrets,
        }),
      "test-code",
    ],
    [
      "a test file in the source map's sources",
      () => {
        const map = JSON.parse(workerMap) as { sources: string[] };
        map.sources.push("../../work/main/edge/test/support/edge.ts");
        return scanSourceMap("index.js.map", JSON.stringify(map), { secrets });
      },
      "test-code",
    ],
    [
      "a bundled module from scripts/ (the bench's bare Worker)",
      () =>
        scanJavaScript("index.js", `${workerJs}\n// scripts/bench/bare-worker.ts\nvar planted = 1;\n`, {
          secrets,
        }),
      "test-code",
    ],
    [
      "a test-only route of the bench (/bare)",
      () =>
        scanJavaScript(
          "index.js",
          plantAfter(workerJs, "edge/src/app.ts", 'if (url.pathname === "/bare/redis") planted();'),
          { secrets },
        ),
      "test-route",
    ],
    [
      "a minified debugger after a case label",
      () =>
        scanJavaScript("index.js", plantAfter(workerJs, "edge/src/app.ts", "switch(x){case 1:debugger;}"), {
          secrets,
        }),
      "debugger",
    ],
    [
      "a fixture path",
      () =>
        scanJavaScript(
          "index.js",
          plantAfter(workerJs, "edge/src/app.ts", 'var img = "test/fixtures/scenes/fixture_00.jpg";'),
          {
            secrets,
          },
        ),
      "fixture-path",
    ],
    [
      "a test-only route",
      () =>
        scanJavaScript(
          "index.js",
          plantAfter(workerJs, "edge/src/app.ts", 'app.post("/__test/reset", (c) => c.text("ok"));'),
          {
            secrets,
          },
        ),
      "test-route",
    ],
    [
      "the dev-token placeholder",
      () =>
        scanJavaScript("index.js", plantAfter(workerJs, "edge/src/config.ts", 'var token = "dev-token";'), {
          secrets,
        }),
      "dev-secret",
    ],
    [
      "a .dev.vars secret value",
      () =>
        scanJavaScript(
          "main.js",
          plantAfter(backendJs, "gpu-backend/src/config.ts", `var s = "${PLANTED_SECRET}";`),
          { secrets },
        ),
      "dev-secret",
    ],
    [
      "a secret inside a source map's sourcesContent",
      () => {
        const map = JSON.parse(workerMap) as { sourcesContent?: string[] };
        map.sourcesContent = [...(map.sourcesContent ?? []), `export const S = "${PLANTED_SECRET}";`];
        return scanSourceMap("index.js.map", JSON.stringify(map), { secrets });
      },
      "dev-secret",
    ],
  ];

  it.each(cases)("%s", (_name, scan, rule) => {
    expect(rules(scan())).toEqual([rule]);
  });

  it("leaves libraries' console.log and comments alone", () => {
    const inLibrary = plantAfter(workerJs, "node_modules/hono/dist/hono-base.js", 'console.log("lib");');
    const inComment = plantAfter(
      workerJs,
      "edge/src/app.ts",
      "  // console.log(x); debugger;\n  /* debugger; */",
    );
    expect(scanJavaScript("index.js", inLibrary, { secrets })).toEqual([]);
    expect(scanJavaScript("index.js", inComment, { secrets })).toEqual([]);
    // console.info (the audit log) and console.error are allowed.
    const info = plantAfter(workerJs, "edge/src/app.ts", 'console.info("{}"); console.error("{}");');
    expect(scanJavaScript("index.js", info, { secrets })).toEqual([]);
  });
});

describe("the page (minified, no module markers)", () => {
  /** The page's main bundle and its (hidden) source map. */
  async function pageBundle(): Promise<{ file: string; js: string; map: string }> {
    const assets = join(dir, "page", "assets");
    const file = (await readdir(assets)).find((f) => /^index-.*\.js$/.test(f))!;
    return {
      file,
      js: await readFile(join(assets, file), "utf8"),
      map: await readFile(join(assets, `${file}.map`), "utf8"),
    };
  }

  /** Insert `code` at the first generated position whose source matches `source`. */
  function plantAtSource(js: string, map: string, source: RegExp, code: string): string {
    const lookup = sourceLookup(map)!;
    const lines = js.split("\n");
    for (const [i, line] of lines.entries()) {
      for (let col = 0; col < line.length; col += 97) {
        if (source.test(lookup.sourceAt(i, col) ?? "")) {
          lines[i] = line.slice(0, col) + code + line.slice(col);
          return lines.join("\n");
        }
      }
    }
    throw new Error(`no code from ${source} in the bundle`);
  }

  it("catches console.log in the page's own code, through the source map", async () => {
    const { file, js, map } = await pageBundle();
    const planted = plantAtSource(js, map, /edge\/web\/src\//, 'console.log("x");');
    const findings = scanJavaScript(file, planted, options, map);
    expect(rules(findings)).toEqual(["console-log"]);
    expect(findings[0]?.module).toMatch(/edge\/web\/src\//);
  });

  it("leaves console.log in bundled MapLibre code alone", async () => {
    const { file, js, map } = await pageBundle();
    const planted = plantAtSource(js, map, /node_modules\/maplibre-gl\//, 'console.log("x");');
    expect(scanJavaScript(file, planted, options, map)).toEqual([]);
  });

  it("treats a library file copied as is (MapLibre's worker) as the library's, and an edited copy as ours", async () => {
    const assets = join(dir, "page", "assets");
    const file = (await readdir(assets)).find((f) => /^maplibre-gl-worker-.*\.mjs$/.test(f));
    if (!file) throw new Error(`no MapLibre worker file in ${assets}`);
    const text = await readFile(join(assets, file), "utf8");
    const from = await options.libraryCopy?.(file, text);
    expect(from).toMatch(/^node_modules\/maplibre-gl\//);
    expect(scanJavaScript(file, text, options, undefined, from)).toEqual([]);
    const edited = `${text}\nconsole.log("planted");\n`;
    expect(await options.libraryCopy?.(file, edited)).toBeUndefined();
    expect(rules(scanJavaScript(file, edited, options))).toEqual(["console-log"]);
  });
});

describe("npm run guard (the CLI)", () => {
  it("fails with one line per finding on planted output, and passes clean output", async () => {
    const planted = join(dir, "planted-worker");
    await cp(join(dir, "worker"), planted, { recursive: true });
    await writeFile(join(planted, "index.js"), plantAfter(workerJs, "edge/src/app.ts", "  debugger;"));
    const run = (workerDir: string) =>
      promisify(execFile)(
        process.execPath,
        [
          "--import",
          "tsx",
          `${ROOT}scripts/guard/cli.ts`,
          "--worker-dir",
          workerDir,
          "--page-dir",
          join(dir, "page"),
          "--backend-dir",
          join(dir, "backend"),
        ],
        { cwd: ROOT },
      ).then(
        (r) => ({ code: 0, stderr: r.stderr, stdout: r.stdout }),
        (e: { code: number; stderr: string; stdout: string }) => e,
      );
    const bad = await run(planted);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^debugger\s+worker\/index\.js:\d+ \(edge\/src\/app\.ts\): debugger statement$/m,
    );
    const good = await run(join(dir, "worker"));
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/builds are clean/);
  });
});

describe("development secrets", () => {
  it("takes secret-named values from dotenv text, not URLs, short values or comments", () => {
    const text = [
      "# BACKEND_SIGNING_SECRET=commented-out-value",
      "UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079",
      "UPSTASH_REDIS_REST_TOKEN=tok-1234567890",
      'BACKEND_SIGNING_SECRET="quoted-secret-value-123"',
      "JWT_SECRET=short",
      "MAPBOX_ACCESS_KEY=pk.abcdefgh",
      "MODEL_NAME=lanesegnet-lite",
    ].join("\n");
    expect(secretValues(text)).toEqual(["tok-1234567890", "quoted-secret-value-123", "pk.abcdefgh"]);
  });

  it("knows the example file's and the placeholders' secrets", async () => {
    const found = await devSecrets(ROOT);
    expect(found).toEqual(
      expect.arrayContaining(["dev-token", "change-me", "change-me-change-me-change-me-change-me"]),
    );
  });
});

describe("the lint rules (this repository's biome.json)", () => {
  /** Source files planted in a temp copy of the layout, and the Biome rules each must trip. */
  const planted: Record<string, { code: string; rules: string[] }> = {
    "edge/src/planted.ts": { code: 'export function f() {\n  console.log("x");\n}\n', rules: ["noConsole"] },
    "gpu-backend/src/planted.ts": {
      code: 'export function f() {\n  console.info("x");\n}\n',
      rules: ["noConsole"],
    },
    "edge/web/src/planted.ts": {
      code: 'export function f() {\n  console.debug("x");\n}\n',
      rules: ["noConsole"],
    },
    "shared/src/planted.ts": { code: "export function f() {\n  debugger;\n}\n", rules: ["noDebugger"] },
    "test/focused.test.ts": {
      code: 'import { it } from "vitest";\n\nit.only("x", () => {});\n',
      rules: ["noFocusedTests"],
    },
    "test/skipped.test.ts": {
      code: 'import { describe } from "vitest";\n\ndescribe.skip("x", () => {});\n',
      rules: ["noSkippedTests"],
    },
    // Allowed: the audit log's console.info, errors and warnings, CLIs, conditional skips.
    "edge/src/audit/log.ts": { code: 'export function f() {\n  console.info("{}");\n}\n', rules: [] },
    "edge/src/errors.ts": {
      code: 'export function f() {\n  console.error("x");\n  console.warn("y");\n}\n',
      rules: [],
    },
    "scripts/cli.ts": { code: 'export function f() {\n  console.info("x");\n}\n', rules: [] },
    "test/conditional.test.ts": {
      code: 'import { it } from "vitest";\n\nit.skipIf(process.env.X === undefined)("x", () => {});\n',
      rules: [],
    },
  };

  it("refuse console.log/debug outside the audit log and CLIs, debugger, focused and skipped tests", async () => {
    const root = join(dir, "lint");
    const config = JSON.parse(await readFile(join(ROOT, "biome.json"), "utf8")) as Record<string, unknown>;
    delete config.$schema;
    config.vcs = { enabled: false };
    await mkdir(root, { recursive: true });
    await writeFile(join(root, "biome.json"), JSON.stringify(config));
    for (const [path, { code }] of Object.entries(planted)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), code);
    }
    const out = await promisify(execFile)(
      `${ROOT}node_modules/.bin/biome`,
      ["lint", "--max-diagnostics=100", "--colors=off", "."],
      { cwd: root },
    ).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    const found: Record<string, string[]> = Object.fromEntries(Object.keys(planted).map((p) => [p, []]));
    for (const m of out.matchAll(/^(\S+):\d+:\d+ lint\/\w+\/(\w+)/gm)) found[m[1]!]?.push(m[2]!);
    expect(found).toEqual(Object.fromEntries(Object.entries(planted).map(([p, { rules }]) => [p, rules])));
  });
});

/**
 * The debug-code guard's scanner: reads a folder of production build output (JavaScript bundles,
 * their source maps, static assets) and reports what must not ship:
 *
 * - `console-log`: `console.log(` in our own code (libraries' opt-in debug logging is theirs;
 *   the edge's audit log uses console.info/console.error, which are allowed);
 * - `debugger`: a `debugger` statement anywhere;
 * - `test-code`: a test, fixture or test-support module bundled in (by esbuild's module markers
 *   and by the source map's `sources`), or one of our test harness classes (loopback servers,
 *   the fake backend, the local Upstash bridge, a spawned redis-server);
 * - `fixture-path`: a path into test fixtures or test support;
 * - `test-route`: a route literal under /__*, /test, /debug or /_debug in our own code;
 * - `dev-secret`: a development secret (values of secret-named keys in `.dev.vars` and
 *   `edge/dev.vars.example`, plus `dev-token` and `change-me`) in any file, source maps and their
 *   `sourcesContent` included.
 *
 * Our code is told from libraries by esbuild's module markers (`// edge/src/app.ts` before each
 * module of an unminified bundle), else by the bundle's source map (`file.js.map` beside it, for
 * minified bundles); with neither, all code counts as ours.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { type SourceLookup, sourceLookup } from "./source-map.js";

export type Rule = "console-log" | "debugger" | "test-code" | "fixture-path" | "test-route" | "dev-secret";

export interface Finding {
  readonly rule: Rule;
  /** Output file, relative to the scanned folder. */
  readonly file: string;
  /** 1-based line in that file (0 when it is about the file as a whole). */
  readonly line: number;
  /** The source module the finding belongs to, when known. */
  readonly module?: string;
  /** What was found (secrets are never echoed). */
  readonly detail: string;
}

export interface ScanOptions {
  /** Strings that must appear nowhere (development secrets). */
  readonly secrets: readonly string[];
  /**
   * The library file a bundle is a verbatim copy of (an asset copied as is), if any; such a file
   * counts as library code.
   */
  readonly libraryCopy?: (file: string, text: string) => Promise<string | undefined>;
}

/** Module paths of test code: test folders, test files, fixtures, test support, test libraries. */
// scripts/ is development tooling (load tests, benches with their own bare Worker, the local stack):
// none of it belongs in a production build.
const TEST_MODULE =
  /(^|\/)(test|tests|__tests__|fixtures|scripts)\/|\.(test|spec)\.[cm]?[jt]sx?$|test-support|fake-backend|(^|\/)node_modules\/(vitest|@vitest|fast-check|miniflare|@cloudflare\/vitest-pool-workers|playwright-core)\//;

/** Checks that apply to our code only (a library may legitimately contain these). */
const OWN_CODE_RULES: readonly { rule: Rule; pattern: RegExp; detail: (m: RegExpExecArray) => string }[] = [
  { rule: "console-log", pattern: /\bconsole\s*\.\s*log\s*\(/g, detail: () => "console.log(" },
  {
    rule: "test-code",
    pattern:
      /\b(FakeBackend|startLoopback|JwksServer|startStack|startLocalStack|serveWorker|startBridge|spawnRedisServer|ensureRedis|deleteKeysWithPrefix|BreakableProxy|TileServer)\b/g,
    detail: (m) => `test harness identifier ${m[1]}`,
  },
  {
    rule: "fixture-path",
    pattern: /test\/fixtures|test-support|edge\/test\/support|fake-backend/g,
    detail: (m) => `path ${m[0]}`,
  },
  {
    rule: "test-route",
    pattern: /["'`]\/(?:__[\w-]*|test|tests|debug|_debug|bare)(?:\/[^"'`\s]*)?["'`]/g,
    detail: (m) => `route ${m[0]}`,
  },
];
// After a statement, a block, a label or `case x:` (minified code has no spaces: `case 1:debugger;`).
const DEBUGGER = /(?:^|[;{}\s):])debugger\s*(?:;|$|\})/g;
const MODULE_MARKER = /^\/\/ ((?:[\w@.+-]+\/)*[\w@.+-]+\.[cm]?[jt]sx?)$/;

/** A line that is only a comment (block comment bodies included, roughly). */
function isCommentLine(line: string): boolean {
  const t = line.trimStart();
  return t.startsWith("//") || t.startsWith("*") || t.startsWith("/*");
}

const isLibrary = (module: string | undefined) =>
  module !== undefined && /(^|\/)node_modules\//.test(module.replace(/\\/g, "/"));

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out.sort();
}

function secretFindings(file: string, line: number, text: string, options: ScanOptions): Finding[] {
  return options.secrets
    .filter((s) => s.length > 0 && text.includes(s))
    .map(() => ({ rule: "dev-secret" as const, file, line, detail: "a development secret" }));
}

/**
 * Scan one JavaScript bundle's text; `map` (its source map's JSON), when given, attributes code in
 * bundles without module markers; `copiedFrom` names the library file it is a verbatim copy of.
 */
export function scanJavaScript(
  file: string,
  text: string,
  options: ScanOptions,
  map?: string,
  copiedFrom?: string,
): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split("\n");
  const marked = lines.some((l) => MODULE_MARKER.test(l));
  const lookup: SourceLookup | null = !marked && map ? sourceLookup(map) : null;
  let module: string | undefined = copiedFrom;
  for (const [i, line] of lines.entries()) {
    const marker = marked ? MODULE_MARKER.exec(line) : null;
    if (marker) {
      module = marker[1]!;
      if (TEST_MODULE.test(module)) {
        findings.push({
          rule: "test-code",
          file,
          line: i + 1,
          module,
          detail: `module ${module} is bundled`,
        });
      }
      continue;
    }
    findings.push(...secretFindings(file, i + 1, line, options));
    // Unminified bundles keep comments on their own lines; minified ones have none worth skipping.
    if (marked && isCommentLine(line)) continue;
    const ownerAt = (column: number) => (marked || copiedFrom ? module : lookup?.sourceAt(i, column));
    for (const m of line.matchAll(DEBUGGER)) {
      const owner = ownerAt(m.index);
      findings.push({
        rule: "debugger",
        file,
        line: i + 1,
        ...(owner ? { module: owner } : {}),
        detail: "debugger statement",
      });
    }
    if ((marked || copiedFrom) && isLibrary(module)) continue;
    for (const { rule, pattern, detail } of OWN_CODE_RULES) {
      for (const m of line.matchAll(pattern)) {
        const owner = ownerAt(m.index);
        if (isLibrary(owner)) continue;
        findings.push({ rule, file, line: i + 1, ...(owner ? { module: owner } : {}), detail: detail(m) });
      }
    }
  }
  return findings;
}

/** Scan a source map: test modules among its sources, secrets anywhere in it. */
export function scanSourceMap(file: string, text: string, options: ScanOptions): Finding[] {
  const findings = secretFindings(file, 0, text, options).map((f) => ({
    ...f,
    detail: "a development secret in the source map",
  }));
  let map: { sources?: unknown };
  try {
    map = JSON.parse(text) as typeof map;
  } catch {
    return findings;
  }
  const sources = Array.isArray(map.sources)
    ? map.sources.filter((s): s is string => typeof s === "string")
    : [];
  for (const source of sources) {
    const normalised = source.replace(/\\/g, "/");
    if (TEST_MODULE.test(normalised)) {
      findings.push({
        rule: "test-code",
        file,
        line: 0,
        module: normalised,
        detail: `source map lists ${normalised}`,
      });
    }
  }
  return findings;
}

/**
 * Scan every file under `dir`: .js/.mjs/.cjs as bundles (with `<file>.map` beside them for
 * attribution), .map as source maps, anything else (HTML, CSS, headers) for secrets only.
 */
export async function scanOutput(dir: string, options: ScanOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const files = await listFiles(dir);
  // A folder without code is not a build output (a wrong --*-dir, a build that wrote elsewhere):
  // "clean" would be a pass of nothing.
  if (!files.some((path) => /\.[cm]?js$/.test(path))) {
    throw new Error(`no JavaScript files in ${dir}: nothing to scan (is it a build output?)`);
  }
  for (const path of files) {
    const file = relative(dir, path);
    const text = await readFile(path, "utf8");
    if (file.endsWith(".map")) findings.push(...scanSourceMap(file, text, options));
    else if (/\.[cm]?js$/.test(file)) {
      const map = await readFile(`${path}.map`, "utf8").catch(() => undefined);
      const copiedFrom = map ? undefined : await options.libraryCopy?.(file, text);
      findings.push(...scanJavaScript(file, text, options, map, copiedFrom));
    } else findings.push(...secretFindings(file, 0, text, options));
  }
  return findings;
}

/** One line per finding, for people. */
export function formatFinding(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}` : f.file;
  return `${f.rule.padEnd(12)} ${where}${f.module ? ` (${f.module})` : ""}: ${f.detail}`;
}

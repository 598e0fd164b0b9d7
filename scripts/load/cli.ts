/**
 * Load tests of the edge (autocannon, loopback only, bounded in time and count).
 *
 *   npm run load -- <cached|uncached|mixed|ratelimit|spike|all> [--json FILE] [--markdown FILE]
 *                   [--url URL] [--duration S] [--var NAME=VALUE ...] [--direct-socket]
 *                   [--edge-entry FILE]
 *
 * --url (default EDGE_URL, else http://127.0.0.1:8787): when an edge answers there it is used, with
 * API keys made in the Redis its `.dev.vars` / environment name (like `npm run keys`); its hourly
 * limit then applies (the tests need many requests per user). When nothing answers, the whole stack
 * is started here (scripts/dev/stack.ts: Redis, bridge, backend, the Worker in workerd; a bridge
 * and backend of `npm start` that answer are reused) with the
 * scenario's Worker variables (RATE_LIMIT_PER_HOUR raised for every scenario but `ratelimit`),
 * plus --var overrides, and stopped at the end.
 * --direct-socket: a started edge answers on its own workerd socket, without Miniflare's entry
 * Worker in front (scripts/dev/stack.ts, LocalStackOptions.directSocket).
 * --edge-entry FILE: a started stack runs that Worker entry instead of edge/src/index.ts (e.g. a
 * copy of an older edge/src, to compare before and after); ignored when an edge answers at --url.
 * --duration: seconds per measured phase (default 15; mixed runs 4×, uncached and spike 2×).
 * Prints a markdown table; exit status 1 when a scenario's check fails.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ApiKeyStore } from "../../edge/src/auth/api-keys.js";
import { createRedisClient } from "../../edge/src/redis/client.js";
import { KeySpace } from "../../edge/src/redis/keys.js";
import { machineInfo, machineLine } from "../bench/machine.js";
import { numberFlag, outputFiles, runCli, UsageError } from "../cli/run.js";
import { readDevVars } from "../dev/dev-vars.js";
import { type LocalStack, startLocalStack } from "../dev/stack.js";
import { storeAreas } from "./areas.js";
import { markdown } from "./report.js";
import { SCENARIOS, type Scenario, type ScenarioResult } from "./scenarios.js";

const USAGE = `usage: npm run load -- <${SCENARIOS.map((s) => s.name).join("|")}|all> [--json FILE] [--markdown FILE] [--url URL] [--duration S] [--var NAME=VALUE ...] [--direct-socket] [--edge-entry FILE]`;

function fail(message: string): never {
  console.error(`load: ${message}\n${USAGE}`);
  process.exit(2);
}

async function edgeAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { status?: unknown };
    return res.status === 200 && typeof body.status === "string";
  } catch {
    return false;
  }
}

/** Non-secret Worker variables, for the report. */
function publicVars(vars: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !/TOKEN|SECRET|URL/.test(k)));
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      json: { type: "string" },
      markdown: { type: "string" },
      url: { type: "string" },
      duration: { type: "string", default: "15" },
      var: { type: "string", multiple: true, default: [] },
      // Run another Worker entry in the started stack (e.g. an older build of edge/src, to compare).
      "edge-entry": { type: "string" },
      "direct-socket": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help) {
    console.info(USAGE);
    return 0;
  }
  await outputFiles({ "--json": values.json, "--markdown": values.markdown });
  const [which, ...rest] = positionals;
  if (!which || rest.length > 0) fail("name one scenario, or all");
  const scenarios = which === "all" ? [...SCENARIOS] : SCENARIOS.filter((s) => s.name === which);
  if (scenarios.length === 0) fail(`unknown scenario ${which}`);
  const durationS = numberFlag("duration", values.duration, { min: 1, max: 600 });
  const overrides: Record<string, string> = {};
  for (const v of values.var) {
    const eq = v.indexOf("=");
    if (eq < 1) fail(`--var needs NAME=VALUE, got ${v}`);
    overrides[v.slice(0, eq)] = v.slice(eq + 1);
  }

  const url = (values.url ?? process.env.EDGE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
  if (!URL.canParse(url)) throw new UsageError(`--url ${url} is not a URL`);
  const external = await edgeAnswers(url);
  // A front the user named must be the one measured, never silently replaced by a local stack.
  if (values.url !== undefined && !external) throw new Error(`no edge answers at ${url}`);
  const machine = machineInfo();
  const areas = await storeAreas();
  const log = (m: string) => console.error(`load: ${m}`);
  log(`machine: ${machineLine(machine)}`);

  const results: ScenarioResult[] = [];
  const stacks: LocalStack[] = [];
  const runs: {
    scenario: string;
    url: string;
    stack: "external" | "started";
    direct_socket: boolean;
    edgeVars: Record<string, string>;
  }[] = [];
  try {
    for (const scenario of scenarios) {
      let target = url;
      let rateLimit: number | undefined;
      let keys: (count: number, label: string) => Promise<string[]>;
      let vars: Record<string, string> = {};
      const run = randomBytes(3).toString("hex");
      if (external) {
        if (values["direct-socket"]) log("--direct-socket applies only to a stack started here: ignored");
        if (values["edge-entry"]) log("--edge-entry applies only to a stack started here: ignored");
        keys = externalKeyMaker(run);
        log(`${scenario.name}: using the edge at ${url}`);
        log("(if that is `wrangler dev`, expect ~200 req/s at most: its inspector proxy is the bottleneck)");
      } else {
        const stack = await stackFor(scenario, overrides, stacks, log, {
          edgeEntry: values["edge-entry"],
          directSocket: values["direct-socket"],
        });
        target = stack.edgeUrl;
        vars = publicVars(stack.edgeVars);
        rateLimit = Number(stack.edgeVars.RATE_LIMIT_PER_HOUR ?? 50);
        keys = (count, label) =>
          Promise.all(
            Array.from({ length: count }, (_, i) => stack.createApiKey(`load-${label}-${run}-${i}`)),
          );
      }
      log(`${scenario.name}: ${scenario.description}`);
      const result = await scenario.run({
        url: target,
        keys,
        areas,
        durationS,
        rateLimitPerHour: rateLimit,
        log,
      });
      results.push(result);
      runs.push({
        scenario: scenario.name,
        url: target,
        stack: external ? "external" : "started",
        direct_socket: !external && values["direct-socket"],
        edgeVars: vars,
      });
      for (const c of result.checks)
        log(`${c.ok ? "PASS" : "FAIL"} ${scenario.name}: ${c.name} (${c.detail})`);
    }
  } finally {
    const workerLines = stacks.map((s) => s.workerLines());
    for (const s of stacks.reverse()) await s.stop();
    if (workerLines.some((w) => w.errors > 0))
      log(`worker stderr lines (5xx or errors): ${JSON.stringify(workerLines)}`);
  }

  const md = markdown(results);
  console.info(md);
  const report = { machine, duration_s: durationS, runs, results };
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (values.markdown) await writeFile(values.markdown, `${md}\n`);
  return results.every((r) => r.checks.every((c) => c.ok)) ? 0 : 1;
}

/** Reuse a started stack whose Worker variables match; otherwise start one (sharing bridge and backend). */
async function stackFor(
  scenario: Scenario,
  overrides: Record<string, string>,
  stacks: LocalStack[],
  log: (m: string) => void,
  front: { readonly edgeEntry: string | undefined; readonly directSocket: boolean },
): Promise<LocalStack> {
  const edgeVars = { ...scenario.edgeVars, ...overrides };
  const same = stacks.find((s) => Object.entries(edgeVars).every(([k, v]) => s.edgeVars[k] === v));
  if (same) return same;
  const first = stacks[0];
  const stack = await startLocalStack({
    edgeVars,
    ...(first ? { bridge: first.bridge } : {}),
    ...(first?.backend ? { backend: first.backend } : {}),
    ...(front.edgeEntry ? { edgeEntry: front.edgeEntry } : {}),
    directSocket: front.directSocket,
    // A bridge and backend of `npm start` that answer are used, not started again.
    reuseDevServices: true,
    log,
  });
  stacks.push(stack);
  return stack;
}

/** Keys for an edge started elsewhere: made where `npm run keys` makes them. */
function externalKeyMaker(run: string): (count: number, label: string) => Promise<string[]> {
  const dev = readDevVars();
  const pick = (name: string) => process.env[name] ?? dev[name];
  const restUrl = pick("UPSTASH_REDIS_REST_URL");
  const token = pick("UPSTASH_REDIS_REST_TOKEN");
  if (!restUrl || !token) {
    throw new Error(
      "an edge answers at --url, but UPSTASH_REDIS_REST_URL/TOKEN are unknown (environment or .dev.vars)",
    );
  }
  const store = new ApiKeyStore(
    createRedisClient({ url: restUrl, token, timeoutMs: 10_000 }),
    new KeySpace(pick("REDIS_KEY_PREFIX") ?? "lsn:"),
  );
  return async (count, label) => {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) keys.push((await store.create(`load-${label}-${run}-${i}`)).key);
    return keys;
  };
}

runCli("load", main);

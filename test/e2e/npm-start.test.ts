/**
 * `npm start` as the README runs it (scripts/dev/start.ts): the whole system comes up with its
 * embedded defaults (the shipped model, the demo imagery store, the edge in `wrangler dev`), a key
 * made with `npm run keys` analyses the demo area through it, the web page is served, and when a
 * part dies the command says which, stops everything it started and exits 1.
 *
 * It runs on its own ports and its own redis-server, so it touches no developer's data or running
 * stack. Like `npm start` itself, it completes `.dev.vars` with the local secrets it lacks.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readDevVars } from "../../scripts/dev/dev-vars.js";
import { freePort, type RedisSource, resolveRedis } from "../../scripts/upstash-bridge/redis-source.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const DEMO_BODY = JSON.stringify({ area: { type: "bbox", bbox: [-121.496, 38.58, -121.493, 38.5824] } });
/** wrangler dev (and the page's build on a fresh clone) and the model's warm-up; 17 s here. */
const START_TIMEOUT_MS = 180_000;

let redis: RedisSource;
let start: ChildProcess;
let output = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
const ports = { bridge: 0, backend: 0, edge: 0 };

/** Every process below `pid` (ps, as /proc's layout is Linux's alone). */
function descendants(pid: number): { pid: number; args: string }[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const found: { pid: number; args: string }[] = [];
  const walk = (parent: number) => {
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push({ pid: row.pid, args: row.args });
      walk(row.pid);
    }
  };
  walk(pid);
  return found;
}

/** Running (a zombie that no init reaps in a container has ended: ps says Z). */
function alive(pid: number): boolean {
  try {
    return !execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" })
      .trim()
      .startsWith("Z");
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; npm start printed:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  // A redis-server of its own: the key, the quota and the cached result of this run go nowhere else.
  redis = await resolveRedis({ env: { PATH: process.env.PATH }, tryDefaultPort: false });
  ports.bridge = await freePort();
  ports.backend = await freePort();
  ports.edge = await freePort();
  start = spawn(process.execPath, ["--import", "tsx", `${root}scripts/dev/start.ts`], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      UPSTASH_BRIDGE_PORT: String(ports.bridge),
      BACKEND_PORT: String(ports.backend),
      EDGE_PORT: String(ports.edge),
      COVERAGE_INDEX_URL: "",
    },
    // Its own process group, so that whatever is left can be stopped at the end whatever happened.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  start.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  start.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  exited = new Promise((resolve) => start.once("exit", (code, signal) => resolve({ code, signal })));
  await waitFor("npm start to be up", () => output.includes("Ctrl-C stops everything."), START_TIMEOUT_MS);
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (start?.pid && start.exitCode === null) {
    try {
      process.kill(-start.pid, "SIGKILL");
    } catch {}
  }
  await redis?.stop();
});

it("runs the whole system: a key from `npm run keys` analyses the demo area, then the cache answers", async () => {
  expect(output).toContain(`edge (API)       http://127.0.0.1:${ports.edge}`);
  const { UPSTASH_REDIS_REST_TOKEN } = readDevVars();
  const created = execFileSync(
    process.execPath,
    ["--import", "tsx", `${root}scripts/keys/cli.ts`, "create", "--user", "npm-start-test"],
    {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${ports.bridge}`,
        UPSTASH_REDIS_REST_TOKEN,
      },
    },
  );
  const key = created.trim().split("\n").at(-1)!;
  expect(key).toMatch(/^lsn_/);
  const analyse = () =>
    fetch(`http://127.0.0.1:${ports.edge}/v1/analyses`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: DEMO_BODY,
    });
  const first = await analyse();
  expect([first.status, first.headers.get("x-cache")]).toEqual([200, "MISS"]);
  const result = (await first.json()) as {
    type: string;
    analysis: { imagery: { provider: string } };
    features: { properties: { length_m: number } }[];
  };
  expect([result.type, result.analysis.imagery.provider]).toEqual(["FeatureCollection", "local"]);
  expect(result.features.length).toBeGreaterThan(10);
  const again = await analyse();
  expect([again.status, again.headers.get("x-cache")]).toEqual([200, "HIT"]);
  await again.arrayBuffer();

  const page = await fetch(`http://127.0.0.1:${ports.edge}/`);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  expect(await page.text()).toContain("<html");
});

it("stops everything with one line and exit 1 when a part dies", async () => {
  const parts = descendants(start.pid!);
  const backend = parts.find((p) => p.args.includes("gpu-backend/src/main.ts"));
  expect(backend).toBeDefined();
  expect(parts.some((p) => p.args.includes("workerd"))).toBe(true);
  process.kill(backend!.pid, "SIGKILL");
  const within20s = new Promise((r) => setTimeout(() => r("still running 20 s later"), 20_000).unref());
  expect(await Promise.race([exited, within20s])).toEqual({ code: 1, signal: null });
  expect(output).toContain("npm start: backend: exited (SIGKILL) while running; stopping everything");
  // wrangler and its workerd, the bridge: nothing it started is left running.
  await waitFor("every part to be gone", () => parts.every((p) => !alive(p.pid)), 20_000);
  const edge = await fetch(`http://127.0.0.1:${ports.edge}/health`).then(
    () => "answered",
    () => "refused",
  );
  expect(edge).toBe("refused");
}, 60_000);

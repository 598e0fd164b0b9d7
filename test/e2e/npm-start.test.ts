/**
 * `npm start` as the README runs it (scripts/dev/start.ts): the whole system comes up with its
 * embedded defaults (the shipped model, the demo imagery store, the edge in `wrangler dev`), a key
 * made with `npm run keys` analyses the demo area through it, the web page is served, and when a
 * part dies the command says which, stops everything it started and exits 1. Ctrl-C (SIGINT to the
 * whole process group, as a terminal sends it) stops everything and exits 0.
 *
 * Each run has its own ports and its own redis-server (support/npm-start.ts), so it touches no
 * developer's data or running stack. The two runs are in one file, one after the other: each
 * completes the checkout's `.dev.vars` as `npm start` does, which two at once could race on.
 */
import { execFileSync } from "node:child_process";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVars } from "../../scripts/dev/dev-vars.js";
import {
  alive,
  descendants,
  devVarsText,
  type NpmStart,
  root,
  START_TIMEOUT_MS,
  startNpmStart,
  waitFor,
} from "./support/npm-start.js";

/** `npm start` for the tests of one describe block: started before them, stopped after them. */
function npmStartForThisSuite(): () => NpmStart {
  let npm: NpmStart | undefined;
  beforeAll(async () => {
    npm = await startNpmStart();
  }, START_TIMEOUT_MS + 10_000);
  afterAll(async () => {
    await npm?.dispose();
  });
  return () => npm!;
}

// Each run is put back as it found the checkout's .dev.vars: a test's bridge port left there sent
// `npm run keys` beside a later `npm start` to a dead port.
const devVarsBefore = devVarsText();
afterAll(() => {
  expect(devVarsText()).toBe(devVarsBefore);
});

const DEMO_BODY = JSON.stringify({ area: { type: "bbox", bbox: [-121.496, 38.58, -121.493, 38.5824] } });

/** The Worker's audit lines in npm start's output (`[edge] {…"msg":"request"…}`). */
function auditLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("[edge] {") && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l.slice("[edge] ".length)) as Record<string, unknown>);
}

/** How it ended, or "still running 20 s later". */
function exitWithin20s(npm: NpmStart): Promise<unknown> {
  const later = new Promise((r) => setTimeout(() => r("still running 20 s later"), 20_000).unref());
  return Promise.race([npm.exited, later]);
}

/** Nothing it started is left running (wrangler and its workerd, the bridge), and the edge's port is closed. */
async function expectAllStopped(npm: NpmStart, parts: { pid: number }[]): Promise<void> {
  await waitFor("every part to be gone", () => parts.every((p) => !alive(p.pid)), 20_000, npm.output());
  const edge = await fetch(`http://127.0.0.1:${npm.ports.edge}/health`).then(
    () => "answered",
    () => "refused",
  );
  expect(edge).toBe("refused");
}

/** The error of a start that must fail (one that comes up after all is stopped: undefined). */
function failedStart(env: Record<string, string>): Promise<Error | undefined> {
  return startNpmStart(env).then(
    async (npm) => {
      await npm.dispose();
      return undefined;
    },
    (e: unknown) => e as Error,
  );
}

describe("npm start", () => {
  const started = npmStartForThisSuite();

  it("runs the whole system: a key from `npm run keys` analyses the demo area, then the cache answers", async () => {
    const npm = started();
    expect(npm.output()).toContain(`edge (API)       http://127.0.0.1:${npm.ports.edge}`);
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
          UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${npm.ports.bridge}`,
          UPSTASH_REDIS_REST_TOKEN,
        },
      },
    );
    const key = created.trim().split("\n").at(-1)!;
    expect(key).toMatch(/^lsn_/);
    const analyse = () =>
      fetch(`http://127.0.0.1:${npm.ports.edge}/v1/analyses`, {
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
    // The Worker's audit line of that hit reaches npm start's output (edge/README.md, Audit log).
    const requestId = again.headers.get("x-request-id")!;
    await waitFor(
      "the hit's audit line",
      () => auditLines(npm.output()).some((l) => l.request_id === requestId),
      10_000,
      npm.output(),
    );
    const line = auditLines(npm.output()).find((l) => l.request_id === requestId)!;
    expect(line).toMatchObject({ route: "/v1/analyses", status: 200, cache: "HIT", user: "npm-start-test" });
    expect(JSON.stringify(line)).not.toContain(key);
    // Only what the edge prints once ready: not wrangler's start-up banner.
    expect(npm.output()).not.toContain("[edge] Your Worker has access to the following bindings");

    const page = await fetch(`http://127.0.0.1:${npm.ports.edge}/`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("<html");
  });

  it("stops everything with one line and exit 1 when a part dies", async () => {
    const npm = started();
    const parts = descendants(npm.child.pid!);
    const backend = parts.find((p) => p.args.includes("gpu-backend/src/main.ts"));
    expect(backend).toBeDefined();
    expect(parts.some((p) => p.args.includes("workerd"))).toBe(true);
    process.kill(backend!.pid, "SIGKILL");
    expect(await exitWithin20s(npm)).toEqual({ code: 1, signal: null });
    expect(npm.output()).toContain("npm start: backend: exited (SIGKILL) while running; stopping everything");
    await expectAllStopped(npm, parts);
  }, 60_000);
});

describe("npm start, then Ctrl-C", () => {
  const started = npmStartForThisSuite();

  it("stops everything and exits 0, not taking the parts' own exits on that signal for deaths", async () => {
    const npm = started();
    const parts = descendants(npm.child.pid!);
    expect(parts.some((p) => p.args.includes("gpu-backend/src/main.ts"))).toBe(true);
    expect(parts.some((p) => p.args.includes("workerd"))).toBe(true);
    process.kill(-npm.child.pid!, "SIGINT");
    expect(await exitWithin20s(npm)).toEqual({ code: 0, signal: null });
    expect(npm.output()).not.toMatch(/while running|stopping everything/);
    expect(npm.output()).toContain("npm start: stopped everything it started");
    await expectAllStopped(npm, parts);
  }, 60_000);
});

describe("npm start with a setting the edge refuses", () => {
  it("names the variable in one line and exits 1 at once, before starting anything", async () => {
    const t0 = Date.now();
    const error = await failedStart({ COVERAGE_INDEX_URL: "http://example.com/coverage-index.bin" });
    expect(error?.message).toMatch(/^npm start exited 1:/);
    expect(error?.message).toContain(
      "npm start: edge configuration (wrangler.toml [vars], .dev.vars, COVERAGE_INDEX_URL): invalid edge configuration: COVERAGE_INDEX_URL: must be an https URL",
    );
    // Nothing was started: the check runs before Redis, the bridge, the backend and wrangler.
    expect(error?.message).not.toMatch(/^redis\s|upstash bridge|backend {2,}http/m);
    expect(Date.now() - t0).toBeLessThan(START_TIMEOUT_MS / 6);
  }, 60_000);
});

describe("npm start on a port already taken", () => {
  it("says another npm start may be running and which variables move it, exit 1", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const error = await failedStart({ UPSTASH_BRIDGE_PORT: String(port) });
      expect(error?.message).toMatch(/^npm start exited 1:/);
      expect(error?.message).toContain(
        `address already in use 127.0.0.1:${port} (another npm start running? Stop it, or give this one other ports: UPSTASH_BRIDGE_PORT, BACKEND_PORT, EDGE_PORT)`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);
});

describe("npm start, stopped while it starts", () => {
  it("stops the part that was starting too, and says so", async () => {
    // Up to its bridge; the backend is being spawned or warming up.
    const npm = await startNpmStart({}, "upstash bridge");
    try {
      await waitFor(
        "the backend to be spawned",
        () => descendants(npm.child.pid!).some((p) => p.args.includes("gpu-backend/src/main.ts")),
        30_000,
        npm.output(),
      );
      const backend = descendants(npm.child.pid!).find((p) => p.args.includes("gpu-backend/src/main.ts"))!;
      // The leader alone, as a service manager sends it: its parts get no signal of their own.
      process.kill(npm.child.pid!, "SIGTERM");
      expect(await exitWithin20s(npm)).toEqual({ code: 0, signal: null });
      expect(npm.output()).toContain("npm start: stopped everything it started");
      expect(npm.output()).not.toMatch(/npm start: backend:/);
      await waitFor("the backend to be gone", () => !alive(backend.pid), 15_000, npm.output());
    } finally {
      await npm.dispose();
    }
  }, 60_000);
});

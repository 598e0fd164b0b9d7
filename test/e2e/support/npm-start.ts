/**
 * `npm start` (scripts/dev/start.ts) as a child process on its own free ports and its own
 * redis-server, in its own process group, for the tests that run the whole system as the README
 * does. Like `npm start` itself, it completes `.dev.vars` with the local secrets it lacks.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, type RedisSource, resolveRedis } from "../../../scripts/upstash-bridge/redis-source.js";

export const root = fileURLToPath(new URL("../../../", import.meta.url));
/** wrangler dev (and the page's build on a fresh clone) and the model's warm-up; 10-17 s here. */
export const START_TIMEOUT_MS = 180_000;
/** The checkout's local secrets, which `npm start` completes (and `npm run keys` reads). */
export const DEV_VARS_FILE = `${root}.dev.vars`;

/** The text of .dev.vars, or undefined when there is none. */
export function devVarsText(): string | undefined {
  return existsSync(DEV_VARS_FILE) ? readFileSync(DEV_VARS_FILE, "utf8") : undefined;
}

export interface NpmStart {
  readonly child: ChildProcess;
  readonly ports: { bridge: number; backend: number; edge: number };
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills whatever is left of its process group and stops its redis-server. */
  dispose(): Promise<void>;
}

/** Every process below `pid` (ps, as /proc's layout is Linux's alone). */
export function descendants(pid: number): { pid: number; args: string }[] {
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
export function alive(pid: number): boolean {
  try {
    return !execFileSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" })
      .trim()
      .startsWith("Z");
  } catch {
    return false; // ps exits 1 when there is no such process
  }
}

export async function waitFor(
  what: string,
  ok: () => boolean,
  timeoutMs: number,
  output = "",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; npm start printed:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts it and resolves once it prints `readyLine` (by default: once it says it is up). */
export async function startNpmStart(
  extraEnv: Readonly<Record<string, string>> = {},
  /** What it prints when it counts as started; default its last line, once everything is up. */
  readyLine = "Ctrl-C stops everything.",
): Promise<NpmStart> {
  // A redis-server of its own: the key, the quota and the cached result of this run go nowhere else.
  const redis: RedisSource = await resolveRedis({ env: { PATH: process.env.PATH }, tryDefaultPort: false });
  // Put back as found when done: on a checkout without .dev.vars this run writes one naming its own
  // bridge port, and `npm run keys` beside a later `npm start` would try that dead port.
  const devVarsBefore = devVarsText();
  const ports = { bridge: await freePort(), backend: await freePort(), edge: await freePort() };
  const child = spawn(process.execPath, ["--import", "tsx", `${root}scripts/dev/start.ts`], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      UPSTASH_BRIDGE_PORT: String(ports.bridge),
      BACKEND_PORT: String(ports.backend),
      EDGE_PORT: String(ports.edge),
      COVERAGE_INDEX_URL: "",
      ...extraEnv,
    },
    // Its own process group: Ctrl-C's signal reaches the group, and whatever is left can be stopped
    // at the end whatever happened.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  // "close", not "exit": by then its output has been read to the end.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  const dispose = async () => {
    // The group outlives its leader: whatever part is left is stopped, even after the command ended.
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {}
    await redis.stop();
    if (devVarsBefore === undefined) rmSync(DEV_VARS_FILE, { force: true });
    else writeFileSync(DEV_VARS_FILE, devVarsBefore);
  };
  try {
    await waitFor(
      "npm start to be up",
      () => output.includes(readyLine) || child.exitCode !== null,
      START_TIMEOUT_MS,
      output,
    );
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
  } catch (e) {
    await dispose();
    throw e;
  }
  return { child, ports, output: () => output, exited, dispose };
}

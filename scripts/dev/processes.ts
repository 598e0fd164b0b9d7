/** Child processes of the local stack: started with a readiness probe, stopped together. */
import { type ChildProcess, spawn } from "node:child_process";

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** URL that answers 2xx once the process is ready. */
  readonly readyUrl: string;
  readonly readyTimeoutMs: number;
  /**
   * Forward the child's output, prefixed with its name: all of it, or only what it prints once
   * ready ("after-ready": a start-up banner is noise, and a failed start shows its tail anyway).
   */
  readonly echo?: boolean | "after-ready";
  /** Called once the child is spawned, before it is ready: whoever may have to stop it early. */
  readonly onSpawn?: (part: Managed) => void;
}

function prefixLines(name: string, write: (s: string) => void) {
  let rest = "";
  return (chunk: Buffer) => {
    const text = rest + chunk.toString("utf8");
    const lines = text.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) write(`[${name}] ${line}\n`);
  };
}

export async function spawnReady(opts: SpawnOptions): Promise<Managed> {
  const child = spawn(opts.command, opts.args as string[], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString("utf8"));
    if (tail.length > 40) tail.shift();
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let ready = false;
  if (opts.echo) {
    const shown = opts.echo === true ? () => true : () => ready;
    child.stdout!.on(
      "data",
      prefixLines(opts.name, (s) => shown() && process.stdout.write(s)),
    );
    child.stderr!.on(
      "data",
      prefixLines(opts.name, (s) => shown() && process.stderr.write(s)),
    );
  }
  let exited: number | null = null;
  child.once("exit", (code) => {
    exited = code ?? -1;
  });
  const stop = async () => {
    if (exited !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
  };
  opts.onSpawn?.({ name: opts.name, child, stop });
  const deadline = Date.now() + opts.readyTimeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new Error(
        `${opts.name} exited (code ${exited}) before it was ready:\n${tail.join("").slice(-2000)}`,
      );
    }
    try {
      const res = await fetch(opts.readyUrl, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) {
        ready = true;
        return { name: opts.name, child, stop };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(
    `${opts.name} was not ready at ${opts.readyUrl} within ${opts.readyTimeoutMs / 1000} s:\n${tail.join("").slice(-2000)}`,
  );
}

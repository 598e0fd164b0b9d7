/**
 * For the CLIs' tests: run a TypeScript CLI as a process, as `npm run` does (through tsx), with
 * only PATH from the environment, and collect its exit code and output.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  cli: string,
  args: readonly string[],
  opts: { timeoutMs: number; cwd?: string },
): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [cli, ...args],
      { ...(opts.cwd ? { cwd: opts.cwd } : {}), env: { PATH: process.env.PATH }, timeout: opts.timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

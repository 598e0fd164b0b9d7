/**
 * How the command-line tools here end on failure: never with a stack trace. A usage error (a flag
 * node:util's parseArgs refuses, or a UsageError: a missing, malformed or out-of-range value) is
 * its first line on stderr and exit code 2; any other failure is its message and exit code 1.
 * LSN_DEBUG=1 adds the stack, for whoever is debugging the tool itself.
 */
import { constants, fstatSync, type Stats } from "node:fs";
import { access, lstat, open, realpath, rm, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";

export class UsageError extends Error {}

export function isUsageError(error: unknown): boolean {
  if (error instanceof UsageError) return true;
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/**
 * One line of a usage error. parseArgs explains a value that starts with a dash over three lines
 * and gives the fix last ("use '--seed=-XYZ'"): keep its first and last.
 */
export function usageLine(message: string): string {
  const lines = message.split("\n").filter((l) => l.trim() !== "");
  if (lines.length > 1 && /argument is ambiguous/.test(lines[0]!)) return `${lines[0]} ${lines.at(-1)}`;
  return lines[0] ?? message;
}

/** Run a tool's main(); a number it returns is the exit code, otherwise the process ends by itself. */
export function runCli(name: string, main: () => Promise<unknown>): void {
  main().then(
    (code) => {
      if (typeof code === "number") process.exit(code);
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const usage = isUsageError(error);
      console.error(`${name}: ${usage ? usageLine(message) : message}`);
      if (process.env.LSN_DEBUG && error instanceof Error && error.stack) console.error(error.stack);
      process.exit(usage ? 2 : 1);
    },
  );
}

/** A flag's value as a number within [min, max] (integers only when `integer`), else a UsageError. */
export function numberFlag(
  name: string,
  value: string | undefined,
  opts: { min: number; max?: number; integer?: boolean },
): number {
  const n = Number(value);
  const ok =
    value !== undefined &&
    value.trim() !== "" &&
    Number.isFinite(n) &&
    n >= opts.min &&
    n <= (opts.max ?? Number.POSITIVE_INFINITY) &&
    (!opts.integer || Number.isInteger(n));
  if (!ok) {
    const range = opts.max === undefined ? `>= ${opts.min}` : `${opts.min}-${opts.max}`;
    throw new UsageError(
      `--${name} must be ${opts.integer ? "an integer" : "a number"} ${range}, got ${value?.trim() ? value : `"${value ?? ""}"`}`,
    );
  }
  return n;
}

/**
 * Kernel pseudo file systems: nothing a tool writes belongs there, and they fool the checks below
 * (/proc/version opens for appending; Node's recursive mkdir under /proc never returns).
 */
const PSEUDO_FILE_SYSTEMS = ["/proc", "/sys"];

/** The pseudo file system `path` lies in, by its name and by where its links lead, or undefined. */
async function pseudoFileSystem(path: string): Promise<string | undefined> {
  const full = resolve(path);
  const real = await realpath(full).catch(() => full);
  return PSEUDO_FILE_SYSTEMS.find((fs) => isWithin(fs, full) || isWithin(fs, real));
}

/** The process's own output streams, named as shells and tools name them (`>(jq .)` is /dev/fd/N). */
const STANDARD_STREAM = /^\/dev\/(stdout|stderr)$|^\/dev\/fd\/(\d+)$|^\/proc\/self\/fd\/(\d+)$/;
function fstatOrNull(fd: number): Stats | null {
  try {
    return fstatSync(fd);
  } catch {
    return null;
  }
}

/** The devices output may go to: the null device and terminals (not, say, /dev/watchdog). */
const TERMINAL_OR_NULL = /^\/dev\/(null|tty\d*|pts\/\d+|console)$/;

/**
 * Files a tool writes when it is done: each must be writable now, not after a run of minutes whose
 * figures would then be lost (`--json nodir/x` failed only at the end). A UsageError names the flag.
 * A regular file (new or existing), a terminal, /dev/null, a named pipe or an open stream of the
 * process (/dev/stdout, /dev/fd/N as a shell's `>(jq .)` gives) passes; a file under /proc or /sys
 * other than those streams, or another device, is no file to keep results in. A named pipe is only
 * checked for permission: opening and closing it would end its reader's input.
 */
export async function outputFiles(files: Readonly<Record<string, string | undefined>>): Promise<void> {
  for (const [flag, path] of Object.entries(files)) {
    if (path === undefined) continue;
    if (path === "") throw new UsageError(`${flag} needs a file name`);
    const dir = dirname(resolve(path));
    if (!(await stat(dir).catch(() => null))?.isDirectory()) {
      throw new UsageError(`${flag} ${path}: there is no folder ${dir}`);
    }
    // The process's own streams are wherever its caller sent them (a socket too, which no open()
    // reaches): taken as they are, if open.
    const stream = STANDARD_STREAM.exec(path);
    if (stream) {
      const fd = stream[1] === "stdout" ? 1 : stream[1] === "stderr" ? 2 : Number(stream[2] ?? stream[3]);
      // 0 is input, and 3-9 are where Node keeps its own (its event loop's poll and pipes): open
      // there, but no place for results. A shell's `>(jq .)` is /dev/fd/63.
      const info = fd === 1 || fd === 2 || fd >= 10 ? fstatOrNull(fd) : null;
      if (!info || !(info.isFIFO() || info.isSocket() || info.isFile() || info.isCharacterDevice())) {
        throw new UsageError(`${flag} ${path} cannot be written (no output stream of this process)`);
      }
      continue;
    }
    const pseudo = (await pseudoFileSystem(dir)) ?? (await pseudoFileSystem(path));
    if (pseudo) throw new UsageError(`${flag} ${path} cannot be written (it is in ${pseudo})`);
    // lstat: a dangling link is there (opening it would create its target, and removing the
    // "new" file would remove the link).
    const existing = await lstat(path).catch(() => null);
    if (existing?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder`);
    const target = existing ? await stat(path).catch(() => null) : null;
    if (target?.isDirectory()) throw new UsageError(`${flag} ${path} is a folder`);
    const device =
      target?.isCharacterDevice() && TERMINAL_OR_NULL.test(await realpath(path).catch(() => path));
    if (target && !target.isFile() && !target.isFIFO() && !device) {
      throw new UsageError(`${flag} ${path} cannot be written (not a file, terminal or pipe)`);
    }
    // Opened for appending (nothing written) and closed: a folder or file the tool may not write
    // to fails here, not after the work.
    try {
      if (target?.isFIFO()) await access(path, constants.W_OK);
      else await (await open(path, "a")).close();
      if (!existing) await rm(path, { force: true });
    } catch (e) {
      throw new UsageError(
        `${flag} ${path} cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
}

/**
 * A folder a tool creates (if need be) and writes into: the nearest part of it that exists must be
 * a folder this process may write, outside /proc and /sys. Checked, nothing created: Node's
 * recursive mkdir under /proc never returns, and esbuild reported a folder it could not create as
 * a dozen lines. A UsageError names the flag.
 */
export async function outputFolder(flag: string, dir: string): Promise<void> {
  if (dir === "") throw new UsageError(`${flag} needs a folder`);
  const full = resolve(dir);
  const pseudo = await pseudoFileSystem(full);
  if (pseudo) throw new UsageError(`${flag} ${dir} cannot be written (it is in ${pseudo})`);
  let probe = full;
  let info = await stat(probe).catch(() => null);
  while (!info && dirname(probe) !== probe) {
    probe = dirname(probe);
    info = await stat(probe).catch(() => null);
  }
  if (!info?.isDirectory()) {
    throw new UsageError(`${flag} ${dir}${probe === full ? "" : `: ${probe}`} is not a folder`);
  }
  const inPseudo = await pseudoFileSystem(probe);
  if (inPseudo) throw new UsageError(`${flag} ${dir} cannot be written (it is in ${inPseudo})`);
  try {
    await access(probe, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new UsageError(
      `${flag} ${dir} cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/**
 * A file the tool reads, named before anything found from it is looked for: a model given as
 * /missing.onnx was reported as its missing card (/missing.json). Not there: an Error, exit code 1.
 */
export async function inputFile(what: string, path: string): Promise<void> {
  if (!(await stat(path).catch(() => null))?.isFile()) throw new Error(`${what} not found: ${path}`);
}

/**
 * Refuse an output folder that is, or is inside, a folder the tool reads (`--pred-out` in the
 * data set's ann_dir overwrote the ground truth, and the next evaluation scored 1.0).
 */
export function outsideOf(flag: string, out: string, inputs: Readonly<Record<string, string>>): void {
  for (const [what, dir] of Object.entries(inputs)) {
    if (isWithin(dir, out)) throw new UsageError(`${flag} ${out} is inside ${what} ${dir}`);
  }
}

/** Whether `path` is `dir` itself or lies inside it (by their resolved paths). */
export function isWithin(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

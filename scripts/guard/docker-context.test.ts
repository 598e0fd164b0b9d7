/**
 * The backend images, without Docker: each Dockerfile's build stage is replayed on the files its
 * COPY lines take from the context that its `.dockerignore` lets through (Docker's own matching
 * rules, @balena/dockerignore), and `npm run build:backend` must succeed there and give a bundle
 * that runs. Both images once failed at that step: the build script had gained an import
 * (scripts/cli/run.ts) that no COPY line and no allow-list entry named. Every COPY source of every
 * stage must also reach the context (a model or the demo store left out fails at `docker build`).
 */
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import dockerignore from "@balena/dockerignore";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOCKERFILES = ["gpu-backend/Dockerfile", "gpu-backend/Dockerfile.cpu"];
const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

interface Copy {
  readonly stage: string;
  readonly sources: string[];
  readonly dest: string;
}

/** COPY lines from the context (not `--from=` another stage), by stage, with ARG defaults filled in. */
function copies(dockerfile: string): Copy[] {
  const text = readFileSync(join(ROOT, dockerfile), "utf8").replace(/\\\n/g, " ");
  const args = new Map<string, string>();
  const out: Copy[] = [];
  let stage = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const arg = /^ARG\s+(\w+)=(\S+)/.exec(line);
    if (arg) args.set(arg[1]!, arg[2]!);
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stage = from[1] ?? "";
    if (!/^COPY\s/i.test(line) || /--from=/.test(line)) continue;
    const words = line
      .split(/\s+/)
      .slice(1)
      .filter((w) => !w.startsWith("--"))
      .map((w) => w.replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? ""));
    out.push({ stage, sources: words.slice(0, -1), dest: words.at(-1)! });
  }
  return out;
}

const isFolder = (rel: string) => statSync(join(ROOT, rel)).isDirectory();

function filesUnder(rel: string): string[] {
  const abs = join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!isFolder(rel)) return [rel];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split("\\").join("/"));
}

/** What the context holds of one COPY source, after the Dockerfile's .dockerignore. */
function admitted(dockerfile: string, source: string): string[] {
  const ig = dockerignore().add(readFileSync(join(ROOT, `${dockerfile}.dockerignore`), "utf8").split("\n"));
  return filesUnder(source).filter((f) => !ig.ignores(f));
}

interface LockEntry {
  readonly link?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

/**
 * Top-level packages (node_modules/<name>) that `npm ci` installs for these workspaces ("" is the
 * root), from package-lock.json: their dependencies of every kind, and those packages' own,
 * resolved as Node resolves them (nested node_modules first). Workspace links are left out.
 */
function installedFor(workspaces: readonly string[]): Set<string> {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path];
    if (!entry) return;
    const deps = {
      ...entry.dependencies,
      ...(path === "" || workspaces.includes(path) ? entry.devDependencies : {}),
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
    };
    for (const dep of Object.keys(deps)) {
      // From the package's own node_modules outwards, as require() looks.
      let at = path;
      let found: string | undefined;
      for (;;) {
        const candidate = `${at === "" ? "" : `${at}/`}node_modules/${dep}`;
        if (lock.packages[candidate]) {
          found = candidate;
          break;
        }
        if (at === "") break;
        const up = at.lastIndexOf("/node_modules/");
        at = up < 0 ? "" : at.slice(0, up);
      }
      if (!found || lock.packages[found]?.link) continue;
      if (found === `node_modules/${dep}`) names.add(dep);
      visit(found);
    }
  };
  for (const w of workspaces) visit(w);
  return names;
}

describe.each(DOCKERFILES)("%s", (dockerfile) => {
  it("finds every COPY source in the context its .dockerignore leaves", () => {
    const missing = copies(dockerfile).flatMap((c) =>
      c.sources.filter((s) => admitted(dockerfile, s).length === 0).map((s) => `${c.stage}: COPY ${s}`),
    );
    expect(missing).toEqual([]);
  });

  it("builds the backend bundle from its build stage's files alone, and the bundle runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "lsn-docker-build-"));
    temps.push(dir);
    for (const c of copies(dockerfile).filter((x) => x.stage === "build")) {
      for (const source of c.sources) {
        for (const file of admitted(dockerfile, source)) {
          // Docker's rules: a folder's content goes into the destination; a file goes into it when
          // it ends in "/" or there are several sources, and is named by it otherwise.
          const target = isFolder(source)
            ? join(dir, c.dest, relative(source, file))
            : c.dest.endsWith("/") || c.sources.length > 1
              ? join(dir, c.dest, basename(file))
              : join(dir, c.dest);
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(ROOT, file), target);
        }
      }
    }
    // `npm ci --include-workspace-root --workspace gpu-backend --workspace shared` in the image:
    // the repository's installed packages of those alone (an edge-only package imported by the
    // backend must fail here as it fails there), the workspaces linked to the copied folders.
    mkdirSync(join(dir, "node_modules/@lanesegnet"), { recursive: true });
    for (const name of installedFor(["", "gpu-backend", "shared"])) {
      const target = join(dir, "node_modules", name);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", name), target);
    }
    for (const ws of ["shared", "gpu-backend"]) {
      if (existsSync(join(dir, ws))) symlinkSync(join(dir, ws), join(dir, "node_modules/@lanesegnet", ws));
    }
    const build = spawnSync(process.execPath, ["--import", "tsx", "scripts/guard/build-backend.ts"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    // The bundle starts and reads its configuration (refused here: no signing secret), so what it
    // imports at load time is in it.
    const run = spawnSync(process.execPath, [join(dir, "gpu-backend/dist/main.js")], {
      cwd: dir,
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(run.stderr.trim()).toMatch(/^lanesegnet-backend: invalid configuration: BACKEND_SIGNING_SECRET: /);
    expect(run.status).toBe(2);
  }, 180_000);
});

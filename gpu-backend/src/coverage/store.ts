import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  CoverageIndex,
  CoverageIndexBuilder,
  type MercatorBbox,
  parseSidecarFootprint,
  type SidecarFootprint,
} from "@lanesegnet/shared";

/** Image files a sidecar can describe, in order of preference when several share one id. */
export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png"] as const;

export interface StoreIndexOptions {
  /**
   * Index sidecars with no image beside them (their `file` is null). Default false: in an imagery
   * store a sidecar without its image is a bad entry. The AEL annotations need true.
   */
  readonly allowMissingImages?: boolean;
  /**
   * What a bad sidecar (unreadable, not JSON, invalid footprint, missing image) does:
   * "fail" (default) throws StoreIndexError naming the first bad file in name order and how many
   * more there are, so a broken store is never indexed silently; "skip" leaves it out and lists it
   * in `skipped` for the caller to warn about.
   */
  readonly onBadSidecar?: "fail" | "skip";
  /** Sidecars read at once (default 64): enough to hide I/O latency, few enough for file handles. */
  readonly concurrency?: number;
}

export interface SkippedSidecar {
  readonly file: string;
  readonly reason: string;
}

export interface StoreIndex {
  /** The serialised index (see CoverageIndex.from). */
  readonly buffer: ArrayBuffer;
  readonly count: number;
  /** How many indexed entries have an image file. */
  readonly withImages: number;
  readonly bounds: MercatorBbox | null;
  readonly skipped: readonly SkippedSidecar[];
  /** Non-fatal findings: images without a sidecar, several images for one id. */
  readonly warnings: readonly string[];
}

/** A store that cannot be indexed; `file` names the offending file where there is one. */
export class StoreIndexError extends Error {
  override readonly name = "StoreIndexError";
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

type SidecarResult =
  | { readonly ok: true; readonly value: SidecarFootprint }
  | { readonly ok: false; readonly reason: string };

async function readSidecar(file: string): Promise<SidecarResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  try {
    return { ok: true, value: parseSidecarFootprint(json) };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

/**
 * Index a local imagery store: a folder (not recursive) of `<id>.json` AEL sidecars with
 * `<id>.jpg|jpeg|png` images beside them. Entries are in id order, so the same folder always
 * gives the same bytes. Hidden files (leading dot) are ignored.
 */
export async function buildIndexFromStore(dir: string, options: StoreIndexOptions = {}): Promise<StoreIndex> {
  const { allowMissingImages = false, onBadSidecar = "fail", concurrency = 64 } = options;
  const info = await stat(dir).catch(() => null);
  if (!info) throw new StoreIndexError(`imagery store not found: ${dir}`);
  if (!info.isDirectory()) throw new StoreIndexError(`imagery store is not a folder: ${dir}`);

  const sidecars = new Map<string, string>(); // id -> sidecar file name
  const images = new Map<string, string[]>(); // id -> image file names
  for (const d of await readdir(dir, { withFileTypes: true })) {
    if (d.name.startsWith(".") || !(d.isFile() || d.isSymbolicLink())) continue;
    const ext = path.extname(d.name);
    const id = d.name.slice(0, d.name.length - ext.length);
    const lower = ext.toLowerCase();
    if (lower === ".json") sidecars.set(id, d.name);
    else if ((IMAGE_EXTENSIONS as readonly string[]).includes(lower))
      images.set(id, [...(images.get(id) ?? []), d.name]);
  }

  const warnings: string[] = [];
  const orphans = [...images.keys()].filter((id) => !sidecars.has(id)).sort();
  if (orphans.length > 0) {
    warnings.push(
      `${orphans.length} image(s) without a sidecar, not indexed (first: ${images.get(orphans[0]!)![0]})`,
    );
  }

  const ids = [...sidecars.keys()].sort();
  const results = await mapLimit(ids, concurrency, (id) => readSidecar(path.join(dir, sidecars.get(id)!)));

  const builder = new CoverageIndexBuilder();
  const bad: SkippedSidecar[] = [];
  let withImages = 0;
  for (const [k, id] of ids.entries()) {
    const file = path.join(dir, sidecars.get(id)!);
    const r = results[k]!;
    if (!r.ok) {
      bad.push({ file, reason: r.reason });
      continue;
    }
    const candidates = (images.get(id) ?? []).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const image = candidates[0] ?? null;
    if (candidates.length > 1)
      warnings.push(`several images for ${id}, using ${image}: ${candidates.join(", ")}`);
    if (image === null && !allowMissingImages) {
      bad.push({ file, reason: "no image beside it" });
      continue;
    }
    if (image !== null) withImages++;
    builder.add({ id, file: image, ...r.value });
  }

  if (bad.length > 0 && onBadSidecar === "fail") {
    const first = bad[0]!;
    const more = bad.length > 1 ? ` (and ${bad.length - 1} more bad sidecar(s))` : "";
    throw new StoreIndexError(`bad sidecar ${first.file}: ${first.reason}${more}`, first.file);
  }
  const buffer = builder.finish();
  return {
    buffer,
    count: builder.count,
    withImages,
    bounds: CoverageIndex.from(buffer).bounds,
    skipped: bad,
    warnings,
  };
}

function rank(file: string): number {
  return (IMAGE_EXTENSIONS as readonly string[]).indexOf(path.extname(file).toLowerCase());
}

/** Write an index atomically (temp file + rename), creating the parent folder. */
export async function writeIndexFile(file: string, buffer: ArrayBuffer): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, new Uint8Array(buffer));
    await rename(tmp, file);
  } catch (error) {
    // Nothing half-written is left behind (e.g. --out names a folder: the rename fails).
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Load an index file written by writeIndexFile. */
export async function readIndexFile(file: string): Promise<CoverageIndex> {
  return CoverageIndex.from(await readFile(file));
}

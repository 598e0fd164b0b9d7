/**
 * Imagery from a local store: a folder of `<id>.jpg|png` images, each with an AEL sidecar
 * `<id>.json` stating its EPSG:3857 footprint and pixel size. Which images cover an area is
 * answered by an injected lookup (the coordinate index, see coverageIndexLookup), never by
 * scanning the folder per request. The images needed to cover the grid are chosen from their
 * footprints, decoded (LRU-cached by file), drawn finest on top, and resampled exactly onto the
 * target grid.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import {
  type CoverageIndex,
  gridBoundsMercator,
  groundResolution,
  type MercatorBbox,
} from "@lanesegnet/shared";
import { type DecodedImage, decodeImage, ImageDecodeError } from "../raster/codec.js";
import { coverageOfArea, type ResampleSource, resample } from "../raster/resample.js";
import { ATTRIBUTION } from "./attribution.js";
import { NoCoverageError, ProviderBadDataError, TooCoarseError } from "./errors.js";
import { mapConcurrent, untilAborted, withDeadline } from "./http.js";
import { ByteBoundedLru, type CacheStats } from "./image-cache.js";
import { selectCoveringImages } from "./select-images.js";
import {
  areaMercator,
  centreLatitude,
  type ImageryProvider,
  type ImageryRequest,
  type ImageryResult,
} from "./types.js";

/** One store image as the coordinate index describes it (CoverageHit has this shape). */
export interface LocalImageRef {
  readonly id: string;
  /** File name relative to the store folder, or null when the store has no image for it. */
  readonly file: string | null;
  /** EPSG:3857 [minX, minY, maxX, maxY] of the image's pixels. */
  readonly footprint: MercatorBbox;
  readonly width: number;
  readonly height: number;
}

/**
 * "Which images cover this Mercator bbox": the images whose footprint intersects it, best first
 * (finest resolution first). The backend passes the coordinate index here.
 */
export type LocalCoverageLookup = (
  bbox: MercatorBbox,
) => readonly LocalImageRef[] | Promise<readonly LocalImageRef[]>;

/** The lookup over a loaded coordinate index. */
export function coverageIndexLookup(index: CoverageIndex): LocalCoverageLookup {
  return (bbox) => index.search({ mercator: bbox });
}

export interface LocalProviderOptions {
  /** The store folder. */
  readonly dir: string;
  readonly lookup: LocalCoverageLookup;
  readonly name?: string;
  readonly attribution?: string;
  /** Decoded-image cache size in bytes (default 256 MiB). */
  readonly cacheBytes?: number;
  /** Fraction of the area that must be filled, else NoCoverageError (default 0.999). */
  readonly minCoverage?: number;
  /**
   * Most images read for one request (default 64): best first, skipping those that add no pixel
   * to what the images already chosen cover (see select-images.ts).
   */
  readonly maxImages?: number;
  /** Images decoded at once (default 4; decoding is CPU-bound in libvips threads). */
  readonly concurrency?: number;
  /** Deadline for reading and decoding (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Mercator m/px of the store's finest images, if known (for nativeGroundResolution; the real
   * resolution of each result comes from the images used).
   */
  readonly nativeMercatorResolution?: number;
}

export interface LocalImageryProvider extends ImageryProvider {
  cacheStats(): CacheStats;
}

interface PlacedImage {
  readonly ref: LocalImageRef;
  readonly source: ResampleSource;
  readonly mercatorResolution: number;
}

export function createLocalProvider(options: LocalProviderOptions): LocalImageryProvider {
  const {
    dir,
    lookup,
    name = "local",
    attribution = ATTRIBUTION.local,
    cacheBytes = 256 * 1024 * 1024,
    minCoverage = 0.999,
    maxImages = 64,
    concurrency = 4,
    timeoutMs = 30_000,
  } = options;
  const root = path.resolve(dir);
  const cache = new ByteBoundedLru<DecodedImage>(
    cacheBytes,
    (d) => d.rgb.byteLength + (d.alpha?.byteLength ?? 0),
  );

  const resolutionOf = (ref: LocalImageRef): [number, number] => [
    (ref.footprint[2] - ref.footprint[0]) / ref.width,
    (ref.footprint[3] - ref.footprint[1]) / ref.height,
  ];

  async function load(ref: LocalImageRef & { file: string }, signal: AbortSignal): Promise<PlacedImage> {
    const file = path.resolve(root, ref.file);
    if (!file.startsWith(root + path.sep))
      throw new ProviderBadDataError(name, `image ${ref.id}: file outside the store`);
    let key: string;
    try {
      const info = await stat(file);
      key = `${file}\0${info.mtimeMs}\0${info.size}`;
    } catch {
      throw new ProviderBadDataError(name, `image ${ref.id}: its file, listed in the index, is missing`);
    }
    // One load is shared by every request that wants this file at once, so it must not die with
    // the request that started it: it reads without that request's signal, and each request
    // stops waiting on its own signal (a local read is bounded; the file is wanted again soon).
    const shared = cache.get(key, async () => {
      const bytes = await readFile(file);
      try {
        return await decodeImage(bytes, { maxPixels: ref.width * ref.height });
      } catch (e) {
        if (e instanceof ImageDecodeError) {
          throw new ProviderBadDataError(
            name,
            `image ${ref.id}: not a decodable image of ${ref.width} x ${ref.height} px`,
          );
        }
        throw e;
      }
    });
    const decoded = await untilAborted(shared, signal);
    if (decoded.width !== ref.width || decoded.height !== ref.height) {
      throw new ProviderBadDataError(
        name,
        `image ${ref.id}: decoded ${decoded.width} x ${decoded.height} px, sidecar says ${ref.width} x ${ref.height}`,
      );
    }
    const [rx, ry] = resolutionOf(ref);
    const grid = {
      originX: ref.footprint[0],
      originY: ref.footprint[3],
      resolution: rx,
      width: ref.width,
      height: ref.height,
    };
    let valid: Uint8Array | undefined;
    if (decoded.alpha) valid = decoded.alpha.map((a) => (a > 0 ? 1 : 0));
    const source: ResampleSource = { grid, rgb: decoded.rgb, resolutionY: ry, ...(valid ? { valid } : {}) };
    return { ref, source, mercatorResolution: Math.max(rx, ry) };
  }

  return {
    name,
    attribution,
    cacheStats: () => cache.stats(),
    nativeGroundResolution: (latitude) =>
      options.nativeMercatorResolution === undefined
        ? Number.NaN
        : groundResolution(options.nativeMercatorResolution, latitude),
    async fetch(request: ImageryRequest): Promise<ImageryResult> {
      const { grid, bboxLonLat } = request;
      const lat = centreLatitude(bboxLonLat);
      const area = areaMercator(bboxLonLat);

      return withDeadline(name, timeoutMs, request.signal, async (signal) => {
        // The whole grid, so the sliver past the area's edges gets imagery too where there is some.
        const hits = (await lookup(gridBoundsMercator(grid))).filter(
          (r): r is LocalImageRef & { file: string } => r.file !== null,
        );
        if (hits.length === 0) throw new NoCoverageError(name, 0, "no local image intersects the area");
        const limit = request.maxGroundResolutionM;
        const usable =
          limit === undefined
            ? hits
            : hits.filter((r) => groundResolution(Math.max(...resolutionOf(r)), lat) <= limit * (1 + 1e-9));
        if (usable.length === 0) {
          const finest = Math.min(...hits.map((r) => groundResolution(Math.max(...resolutionOf(r)), lat)));
          throw new TooCoarseError(name, finest, limit!);
        }
        // Not simply the first maxImages: those can all cover the same part of the area.
        const chosen = selectCoveringImages(usable, grid, maxImages);
        const placed = await mapConcurrent(chosen, concurrency, signal, load);
        // The lookup lists best first; draw worst first so the best ends on top. The stable sort
        // by resolution then puts the finest on top even if a lookup orders otherwise.
        const ordered = placed.reverse().sort((a, b) => b.mercatorResolution - a.mercatorResolution);
        const out = resample(
          grid,
          ordered.map((p) => p.source),
        );
        const coverage = coverageOfArea(out.owner, grid, area);
        if (coverage < minCoverage) {
          throw new NoCoverageError(
            name,
            coverage,
            `${hits.length} local image(s) intersect the area, ${chosen.length} read`,
          );
        }
        const used = ordered.filter((_, k) => out.pixelsBySource[k]! > 0);
        const coarsest = Math.max(...used.map((p) => p.mercatorResolution));
        return {
          raster: out.raster,
          provider: name,
          attribution,
          groundResolutionM: groundResolution(coarsest, lat),
          coverage,
        };
      });
    },
  };
}

/**
 * Imagery from an XYZ tile service (Esri World Imagery, Mapbox Satellite, or any server with
 * the same scheme): pick the zoom whose tiles are at least as fine as the target grid, fetch the
 * tiles covering the grid in parallel (capped), place them edge to edge in one mosaic (tiles of
 * one zoom share a pixel grid, so this is exact integer placement), and resample the mosaic onto
 * the target grid once. Resampling the mosaic rather than each tile keeps bilinear sampling
 * continuous across tile seams.
 */
import {
  gridBoundsLonLat,
  groundResolution,
  groundResolutionAtZoom,
  mercatorResolutionAtZoom,
  type TileXYZ,
  tileBoundsMercator,
  tileCover,
  zoomForGroundResolution,
} from "@lanesegnet/shared";
import { decodeImage, ImageDecodeError } from "../raster/codec.js";
import { coverageOfArea, resample } from "../raster/resample.js";
import { NoCoverageError, ProviderBadDataError, TooCoarseError } from "./errors.js";
import { DEFAULT_RETRY, httpRequest, mapConcurrent, type RetryPolicy, withDeadline } from "./http.js";
import {
  areaMercator,
  centreLatitude,
  type ImageryProvider,
  type ImageryRequest,
  type ImageryResult,
} from "./types.js";

export interface XyzProviderOptions {
  readonly name: string;
  readonly attribution: string;
  /**
   * URL with {z}, {x}, {y} and any names given in `params` (e.g. {key}), which are substituted
   * URL-encoded. The expanded URL never appears in an error message.
   */
  readonly urlTemplate: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Pixel size of the served tiles (512 for "@2x" tiles, which cover a zoom-z tile's area). */
  readonly tileSize: 256 | 512;
  /** Deepest zoom fetched; finer targets are up-sampled from it and report its resolution. */
  readonly maxZoom: number;
  /** Deadline for the whole fetch, all tiles and retries together (default 10 s). */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Tiles downloaded at once (default 8). */
  readonly concurrency?: number;
  /** Refuse areas needing more tiles than this (default 1024; request limits keep it far lower). */
  readonly maxTiles?: number;
  /** Fraction of the grid that must be filled, else NoCoverageError (default 0.999). */
  readonly minCoverage?: number;
  /** Largest tile body accepted (default 4 MiB). */
  readonly maxTileBytes?: number;
}

/** Statuses that mean "no tile here" rather than failure. */
const MISSING_TILE_STATUSES = [204, 404] as const;

interface FetchedTile {
  readonly tile: TileXYZ;
  readonly rgb: Uint8Array | null;
  readonly alpha: Uint8Array | null;
}

export function createXyzProvider(options: XyzProviderOptions): ImageryProvider {
  const {
    name,
    attribution,
    tileSize,
    maxZoom,
    timeoutMs = 10_000,
    retry = DEFAULT_RETRY,
    concurrency = 8,
    maxTiles = 1024,
    minCoverage = 0.999,
    maxTileBytes = 4 * 1024 * 1024,
  } = options;

  const tileUrl = (t: TileXYZ): string =>
    options.urlTemplate.replace(/\{(\w+)\}/g, (whole, key: string) => {
      if (key === "z") return String(t.z);
      if (key === "x") return String(t.x);
      if (key === "y") return String(t.y);
      const value = options.params?.[key];
      // The template is configuration, so naming the placeholder (not its value) is safe.
      if (value === undefined) throw new RangeError(`${name}: no value for ${whole} in the URL template`);
      return encodeURIComponent(value);
    });

  async function fetchTile(tile: TileXYZ, signal: AbortSignal): Promise<FetchedTile> {
    const what = `tile ${tile.z}/${tile.x}/${tile.y}`;
    const res = await httpRequest(
      name,
      {
        url: tileUrl(tile),
        what,
        idempotent: true,
        passStatuses: MISSING_TILE_STATUSES,
        maxBytes: maxTileBytes,
        ...(options.headers ? { headers: options.headers } : {}),
      },
      signal,
      retry,
    );
    if (res.status !== 200 && res.status !== 203) return { tile, rgb: null, alpha: null };
    if (!(res.contentType.startsWith("image/") || res.contentType === "application/octet-stream")) {
      throw new ProviderBadDataError(
        name,
        `${what}: expected an image, got content-type "${res.contentType}"`,
      );
    }
    let decoded: Awaited<ReturnType<typeof decodeImage>>;
    try {
      decoded = await decodeImage(res.body, { maxPixels: tileSize * tileSize * 4 });
    } catch (e) {
      if (e instanceof ImageDecodeError)
        throw new ProviderBadDataError(name, `${what}: not a decodable image`);
      throw e;
    }
    if (decoded.width !== tileSize || decoded.height !== tileSize) {
      throw new ProviderBadDataError(
        name,
        `${what}: tile is ${decoded.width} x ${decoded.height} px, expected ${tileSize} x ${tileSize}`,
      );
    }
    return { tile, rgb: decoded.rgb, alpha: decoded.alpha };
  }

  return {
    name,
    attribution,
    nativeGroundResolution: (latitude) => groundResolutionAtZoom(maxZoom, latitude, tileSize),
    async fetch(request: ImageryRequest): Promise<ImageryResult> {
      const { grid } = request;
      const lat = centreLatitude(request.bboxLonLat);
      const z = zoomForGroundResolution(groundResolution(grid.resolution, lat), lat, tileSize, maxZoom);
      const native = groundResolutionAtZoom(z, lat, tileSize);
      const limit = request.maxGroundResolutionM;
      if (limit !== undefined && native > limit * (1 + 1e-9)) throw new TooCoarseError(name, native, limit);
      const tiles = tileCover(gridBoundsLonLat(grid), z, maxTiles);

      return withDeadline(name, timeoutMs, request.signal, async (signal) => {
        const fetched = await mapConcurrent(tiles, concurrency, signal, fetchTile);
        const { source, missing } = mosaic(fetched, z, tileSize);
        const out = resample(grid, [source]);
        const coverage = coverageOfArea(out.owner, grid, areaMercator(request.bboxLonLat));
        if (coverage < minCoverage) {
          throw new NoCoverageError(
            name,
            coverage,
            `${missing} of ${tiles.length} tiles missing at zoom ${z}`,
          );
        }
        return { raster: out.raster, provider: name, attribution, groundResolutionM: native, coverage };
      });
    },
  };
}

/** Tiles of one zoom placed edge to edge; missing tiles and transparent pixels marked invalid. */
function mosaic(fetched: readonly FetchedTile[], z: number, tileSize: number) {
  const xs = fetched.map((f) => f.tile.x);
  const ys = fetched.map((f) => f.tile.y);
  const x0 = Math.min(...xs);
  const y0 = Math.min(...ys);
  const nx = Math.max(...xs) - x0 + 1;
  const ny = Math.max(...ys) - y0 + 1;
  const width = nx * tileSize;
  const height = ny * tileSize;
  const [originX, , , originY] = tileBoundsMercator({ x: x0, y: y0, z });
  const rgb = new Uint8Array(width * height * 3);
  const needsMask = fetched.some((f) => f.rgb === null || f.alpha !== null);
  const valid = needsMask ? new Uint8Array(width * height) : undefined;
  let missing = 0;
  for (const f of fetched) {
    if (f.rgb === null) {
      missing++;
      continue;
    }
    const left = (f.tile.x - x0) * tileSize;
    const top = (f.tile.y - y0) * tileSize;
    for (let r = 0; r < tileSize; r++) {
      const row = (top + r) * width + left;
      rgb.set(f.rgb.subarray(r * tileSize * 3, (r + 1) * tileSize * 3), row * 3);
      if (valid) {
        if (f.alpha)
          for (let c = 0; c < tileSize; c++) valid[row + c] = f.alpha[r * tileSize + c]! > 0 ? 1 : 0;
        else valid.fill(1, row, row + tileSize);
      }
    }
  }
  const grid = { originX, originY, resolution: mercatorResolutionAtZoom(z, tileSize), width, height };
  return { source: valid ? { grid, rgb, valid } : { grid, rgb }, missing };
}

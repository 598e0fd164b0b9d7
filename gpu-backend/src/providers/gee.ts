/**
 * Google Earth Engine through its REST API: `POST {base}/projects/{project}/image:computePixels`
 * with an expression (a mosaic of an image collection, or one image, three bands selected) and a
 * PixelGrid equal to our target grid, so Earth Engine does the reprojection and returns exactly
 * our raster as PNG; nothing is resampled here. Authenticated with a service account (see
 * google-auth.ts). Request shape: developers.google.com/earth-engine/reference/rest/v1/
 * projects.image/computePixels and .../PixelGrid (affine transform in "PixelIsArea" space, which
 * is the MercatorGrid convention: (0, 0) is the top-left corner of the top-left pixel).
 */
import type { MercatorGrid } from "@lanesegnet/shared";
import { decodeImage, ImageDecodeError } from "../raster/codec.js";
import { coverageOfArea } from "../raster/resample.js";
import { ATTRIBUTION } from "./attribution.js";
import {
  NoCoverageError,
  ProviderBadDataError,
  ProviderConfigError,
  ProviderHttpError,
  TooCoarseError,
} from "./errors.js";
import { parseServiceAccountKey, ServiceAccountTokenSource } from "./google-auth.js";
import { DEFAULT_RETRY, httpRequest, type RetryPolicy, withDeadline } from "./http.js";
import { areaMercator, type ImageryProvider, type ImageryRequest, type ImageryResult } from "./types.js";

export const EARTH_ENGINE_API = "https://earthengine.googleapis.com/v1";

export interface GeeAsset {
  /** "collection": mosaic of an ImageCollection, newest on top; "image": one Image asset. */
  readonly kind: "collection" | "image";
  readonly id: string;
  /** The red, green and blue bands, in that order. */
  readonly bands: readonly [string, string, string];
}

/** USDA NAIP aerial imagery (contiguous US, 0.6-1 m, 8-bit R, G, B, N bands). */
export const NAIP_ASSET: GeeAsset = { kind: "collection", id: "USDA/NAIP/DOQQ", bands: ["R", "G", "B"] };

export interface GeeProviderOptions {
  /** Google Cloud project id (the service consumer). Default: GEE_PROJECT. */
  readonly project?: string;
  /** Service-account key, JSON text or parsed. Default: GEE_SERVICE_ACCOUNT_KEY (JSON text). */
  readonly serviceAccountKey?: string | object;
  readonly apiBaseUrl?: string;
  /** Overrides the key's token_uri. */
  readonly tokenUri?: string;
  readonly asset?: GeeAsset;
  /** Stretch [min, max] to 0-255 for assets that are not 8-bit RGB (NAIP is). */
  readonly visualization?: { readonly min: number; readonly max: number };
  /** Native ground resolution of the asset (default 0.6 m, NAIP since 2016). */
  readonly nativeGroundResolutionM?: number;
  readonly name?: string;
  readonly attribution?: string;
  /** Deadline for token exchange and computation together (default 30 s). */
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  /** Fraction of the area that must have unmasked pixels (default 0.999). */
  readonly minCoverage?: number;
  /** Largest PNG accepted (default 64 MiB; Earth Engine itself caps a request at 48 MB raw). */
  readonly maxBytes?: number;
}

type ValueNode = Record<string, unknown>;
const call = (functionName: string, args: Record<string, ValueNode>): ValueNode => ({
  functionInvocationValue: { functionName, arguments: args },
});
const constant = (value: unknown): ValueNode => ({ constantValue: value });

/** The Earth Engine PixelGrid of a MercatorGrid: the same numbers, nothing rounded. */
export function pixelGridOf(grid: MercatorGrid) {
  return {
    dimensions: { width: grid.width, height: grid.height },
    affineTransform: {
      scaleX: grid.resolution,
      shearX: 0,
      translateX: grid.originX,
      shearY: 0,
      scaleY: -grid.resolution,
      translateY: grid.originY,
    },
    crsCode: "EPSG:3857",
  };
}

/** The computePixels request body for an asset on a grid. */
export function computePixelsBody(
  grid: MercatorGrid,
  asset: GeeAsset,
  visualization?: { min: number; max: number },
) {
  let image: ValueNode;
  if (asset.kind === "image") {
    image = call("Image.load", { id: constant(asset.id) });
  } else {
    // ee.ImageCollection.sort(key) is Collection.limit without a count; mosaic() draws later
    // images on top, so ascending capture time puts the newest imagery on top.
    const sorted = call("Collection.limit", {
      collection: call("ImageCollection.load", { id: constant(asset.id) }),
      key: constant("system:time_start"),
      ascending: constant(true),
    });
    image = call("ImageCollection.mosaic", { collection: sorted });
  }
  const selected = call("Image.select", { input: image, bandSelectors: constant([...asset.bands]) });
  return {
    expression: { result: "0", values: { "0": selected } },
    fileFormat: "PNG",
    grid: pixelGridOf(grid),
    ...(visualization
      ? { visualizationOptions: { ranges: [{ min: visualization.min, max: visualization.max }] } }
      : {}),
  };
}

export function createGeeProvider(options: GeeProviderOptions = {}): ImageryProvider {
  const name = options.name ?? "gee";
  const project = options.project ?? process.env.GEE_PROJECT;
  const rawKey = options.serviceAccountKey ?? process.env.GEE_SERVICE_ACCOUNT_KEY;
  if (!project) throw new ProviderConfigError(name, "no project (set GEE_PROJECT)");
  if (!rawKey) throw new ProviderConfigError(name, "no service-account key (set GEE_SERVICE_ACCOUNT_KEY)");
  if (!/^[a-z0-9-]+$/i.test(project))
    throw new ProviderConfigError(name, "project id has unexpected characters");
  const key = parseServiceAccountKey(name, rawKey);
  const retry = options.retry ?? DEFAULT_RETRY;
  const tokens = new ServiceAccountTokenSource({
    provider: name,
    key,
    retry,
    ...(options.tokenUri ? { tokenUri: options.tokenUri } : {}),
  });
  const asset = options.asset ?? NAIP_ASSET;
  const native = options.nativeGroundResolutionM ?? 0.6;
  const attribution = options.attribution ?? (asset === NAIP_ASSET ? ATTRIBUTION.geeNaip : ATTRIBUTION.gee);
  const url = `${(options.apiBaseUrl ?? EARTH_ENGINE_API).replace(/\/+$/, "")}/projects/${project}/image:computePixels`;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const minCoverage = options.minCoverage ?? 0.999;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;

  return {
    name,
    attribution,
    nativeGroundResolution: () => native,
    async fetch(request: ImageryRequest): Promise<ImageryResult> {
      const { grid, bboxLonLat } = request;
      const limit = request.maxGroundResolutionM;
      if (limit !== undefined && native > limit * (1 + 1e-9)) throw new TooCoarseError(name, native, limit);
      const body = JSON.stringify(computePixelsBody(grid, asset, options.visualization));
      return withDeadline(name, timeoutMs, request.signal, async (signal) => {
        const token = await tokens.token(signal);
        let res: Awaited<ReturnType<typeof httpRequest>>;
        try {
          res = await httpRequest(
            name,
            {
              url,
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body,
              what: `computePixels ${grid.width} x ${grid.height} px`,
              // computePixels only computes; repeating it changes nothing.
              idempotent: true,
              maxBytes,
            },
            signal,
            retry,
          );
        } catch (e) {
          if (e instanceof ProviderHttpError && e.status === 401) tokens.invalidate();
          throw e;
        }
        if (res.contentType !== "image/png") {
          throw new ProviderBadDataError(name, `computePixels: expected image/png, got "${res.contentType}"`);
        }
        let image: Awaited<ReturnType<typeof decodeImage>>;
        try {
          image = await decodeImage(res.body, { maxPixels: grid.width * grid.height });
        } catch (e) {
          if (e instanceof ImageDecodeError)
            throw new ProviderBadDataError(name, "computePixels: not a decodable PNG");
          throw e;
        }
        if (image.width !== grid.width || image.height !== grid.height) {
          throw new ProviderBadDataError(
            name,
            `computePixels: got ${image.width} x ${image.height} px, asked for ${grid.width} x ${grid.height}`,
          );
        }
        // Masked pixels (no imagery) come back transparent.
        const owner = new Uint16Array(grid.width * grid.height).fill(1);
        if (image.alpha) {
          const { alpha, rgb } = image;
          for (let p = 0; p < owner.length; p++) {
            if (alpha[p] === 0) {
              owner[p] = 0;
              rgb.fill(0, p * 3, p * 3 + 3);
            }
          }
        }
        const coverage = coverageOfArea(owner, grid, areaMercator(bboxLonLat));
        if (coverage < minCoverage) throw new NoCoverageError(name, coverage, `asset ${asset.id}`);
        return {
          raster: { grid, rgb: image.rgb },
          provider: name,
          attribution,
          groundResolutionM: native,
          coverage,
        };
      });
    },
  };
}

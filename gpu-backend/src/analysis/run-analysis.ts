/**
 * One analysis, end to end: choose the raster's ground resolution, fetch imagery from the first
 * provider that can serve it (exactly onto the Web Mercator grid of the area), segment it on the
 * inference pool, vectorise with physics filters, and assemble the API's GeoJSON.
 */
import {
  type AnalysisResponse,
  type Area,
  answeredPolygon,
  type ClassTotals,
  type ImageryProviderName,
  keyedDegrees,
  laneClassByName,
  type MarkingClassName,
  type MercatorGrid,
  type ProviderAttempt,
  randomHex,
  resolveAnalysisRequest,
  validateArea,
} from "@lanesegnet/shared";
import {
  clipRegionFromBbox,
  clipRegionFromPolygon,
  type SegmentationOutput,
  vectoriseToFeatures,
} from "../postprocess/index.js";
import {
  AllProvidersFailedError,
  type ChainFailure,
  fetchFromChain,
  type ImageryProvider,
} from "../providers/index.js";
import { asRgbRaster } from "../raster/georaster.js";
import { targetGrid } from "../raster/target-grid.js";
import type { LoadedModel } from "../runtime/model-manifest.js";
import type { InferencePool } from "../runtime/pool.js";
import { type RgbRaster, type Segmentation, segmentRaster } from "../runtime/segment.js";
import { DEFAULT_MIN_CONFIDENCE, type InternalAnalyze } from "./internal-request.js";

export interface AnalysisDeps {
  readonly pool: InferencePool;
  readonly model: LoadedModel;
  readonly providers: ReadonlyMap<ImageryProviderName, ImageryProvider>;
  readonly tile: { readonly size: number; readonly overlap: number; readonly batch: number };
  /** Called once per stage with its duration, for metrics. */
  readonly onStage?: (stage: "imagery" | "inference" | "vectorise", ms: number) => void;
  readonly onProvider?: (provider: string, outcome: string) => void;
  /** A provider failed with something that is no ProviderError (a bug): for the operator's log. */
  readonly onProviderBug?: (provider: string, error: unknown) => void;
  /**
   * Called with each raster's segmentation, its grid and the imagery, before vectorisation: evaluation tools
   * (`npm run eval:vectors`) score the model's own output against the truth with it. It runs in
   * the analysis: what it throws fails the analysis.
   */
  readonly onSegmentation?: (seg: Segmentation, grid: MercatorGrid, image: RgbRaster) => void;
}

/** The pool's segmentation as the vectoriser takes it (its class ids, and its logits as scores). */
export function vectoriserInput(seg: Segmentation): SegmentationOutput {
  return {
    width: seg.width,
    height: seg.height,
    classIds: seg.labels,
    scores: { data: seg.logits, channels: seg.classes, kind: "logits" },
  };
}

/** No provider could serve the area. */
export class NoImageryError extends Error {
  constructor(readonly attempts: ProviderAttempt[]) {
    super("no imagery provider could serve the area");
  }
}

/**
 * The area passed the public limits at the requested resolution, but the model analyses no coarser
 * than its trained range, and at that resolution the raster is over the pixel limit.
 */
export class AreaTooLargeError extends Error {}

/** Ground resolution of the analysed raster: the request's, kept inside what the model was trained on. */
export function analysisResolution(requested: number, model: LoadedModel): number {
  const range = model.manifest.trained_gsd_m;
  if (!range) return requested;
  return Math.min(Math.max(requested, range.min), range.max);
}

function attemptOf(f: ChainFailure): ProviderAttempt {
  const outcome: ProviderAttempt["outcome"] =
    f.reason === "no_coverage" || f.reason === "too_coarse"
      ? "no_coverage"
      : f.reason === "timeout"
        ? "timeout"
        : f.reason === "not_configured"
          ? "not_configured"
          : "failed";
  return { provider: f.provider as ImageryProviderName, outcome, reason: f.message };
}

/**
 * What happened to each provider, in the order they were to be tried, up to the one that served:
 * providers after it were never reached (nor were unconfigured ones after it), so they are not
 * reported as tried.
 */
function attemptsInOrder(
  order: readonly ImageryProviderName[],
  unconfigured: ReadonlyMap<ImageryProviderName, ProviderAttempt>,
  chainAttempts: readonly ProviderAttempt[],
): ProviderAttempt[] {
  const out: ProviderAttempt[] = [];
  for (const name of order) {
    const skipped = unconfigured.get(name);
    if (skipped) out.push(skipped);
    const own = chainAttempts.filter((a) => a.provider === name);
    out.push(...own);
    if (own.some((a) => a.outcome === "used")) break;
  }
  return out;
}

export async function runAnalysis(
  deps: AnalysisDeps,
  input: InternalAnalyze,
  signal?: AbortSignal,
): Promise<AnalysisResponse> {
  const started = performance.now();
  const req = resolveAnalysisRequest(input.request, {
    providers: input.providers,
    minConfidence: DEFAULT_MIN_CONFIDENCE,
  });
  const resolutionM = analysisResolution(req.resolution_m, deps.model);
  const area = validateArea(req.area, { resolutionM });
  // The schema validated the area at the requested resolution; only a finer analysed one (a
  // request coarser than the trained range) can put it over the pixel or side limit here.
  if (!area.ok) {
    // The validator's advice (a coarser resolution_m) does not apply: the model goes no coarser.
    const why = area.issues.map((i) => i.message.replace(/: (use|split) .*$/, "")).join("; ");
    throw new AreaTooLargeError(
      `this model analyses imagery at ${resolutionM} m/px at the coarsest, and there the area is over the limits (${why}): request a smaller area`,
    );
  }
  const grid = targetGrid(area.value.bbox, resolutionM);

  const unconfigured = new Map<ImageryProviderName, ProviderAttempt>();
  const candidates: ImageryProvider[] = [];
  for (const name of input.providers) {
    const p = deps.providers.get(name);
    if (p) candidates.push(p);
    else
      unconfigured.set(name, {
        provider: name,
        outcome: "not_configured",
        reason: `${name} is not configured on this backend (not enabled, or enabled without its credentials)`,
      });
  }

  let t = performance.now();
  let chain: Awaited<ReturnType<typeof fetchFromChain>>;
  try {
    chain = await fetchFromChain(
      candidates,
      { grid, bboxLonLat: area.value.bbox, ...(signal ? { signal } : {}) },
      {
        maxGroundResolutionM: deps.model.manifest.trained_gsd_m?.max ?? 0.5,
        ...(deps.onProviderBug ? { onUnexpected: deps.onProviderBug } : {}),
      },
    );
  } catch (e) {
    if (e instanceof AllProvidersFailedError) {
      for (const f of e.failures) deps.onProvider?.(f.provider, f.reason);
      throw new NoImageryError(attemptsInOrder(input.providers, unconfigured, e.failures.map(attemptOf)));
    }
    throw e;
  }
  for (const f of chain.failures) deps.onProvider?.(f.provider, f.reason);
  deps.onProvider?.(chain.result.provider, "used");
  const attempts = attemptsInOrder(input.providers, unconfigured, [
    ...chain.failures.map(attemptOf),
    { provider: chain.result.provider as ImageryProviderName, outcome: "used" },
  ]);
  const imageryMs = performance.now() - t;
  deps.onStage?.("imagery", imageryMs);

  t = performance.now();
  const seg = await segmentRaster(deps.pool, asRgbRaster(chain.result.raster), {
    normalisation: deps.model.normalisation,
    sizeMultiple: deps.model.sizeMultiple,
    maxTile: deps.tile.size,
    overlap: deps.tile.overlap,
    batch: deps.tile.batch,
    ...(signal ? { signal } : {}),
  });
  const inferenceMs = performance.now() - t;
  deps.onStage?.("inference", inferenceMs);
  const image = asRgbRaster(chain.result.raster);
  deps.onSegmentation?.(seg, grid, image);

  // Nobody reads an answer to a caller who hung up during inference: spare the vectoriser's CPU.
  signal?.throwIfAborted();
  t = performance.now();
  const clip =
    req.area.type === "bbox"
      ? clipRegionFromBbox(grid, area.value.bbox)
      : clipRegionFromPolygon(grid, req.area.coordinates);
  const classIds = req.classes.map((n) => laneClassByName(n)!.id);
  const { collection } = vectoriseToFeatures(vectoriserInput(seg), grid, {
    clip,
    image,
    classes: classIds,
    // Imagery resampled up onto a finer grid resolves no finer widths than its own pixels do.
    ...(chain.result.groundResolutionM > 0 ? { sourceResolutionM: chain.result.groundResolutionM } : {}),
    // Judged on each line's reported confidence, after smoothing and clipping measured it for the
    // last time: a threshold on the whole traced line would drop a clipped piece that scores above it.
    minConfidence: req.min_confidence,
  });
  const features = collection.features;
  const vectoriseMs = performance.now() - t;
  deps.onStage?.("vectorise", vectoriseMs);

  const totals: Partial<Record<MarkingClassName, ClassTotals>> = {};
  for (const name of req.classes) totals[name] = { count: 0, length_m: 0 };
  for (const f of features) {
    const tot = totals[f.properties.class]!;
    tot.count++;
    tot.length_m = Math.round((tot.length_m + f.properties.length_m) * 100) / 100;
  }
  const gridGroundM = resolutionM;
  const imagery = chain.result;
  return {
    type: "FeatureCollection",
    // The area's extent in the key's terms, as analysis.request.area (shared by all who ask).
    bbox: answeredBbox(area.value.bbox),
    features,
    analysis: {
      id: input.analysis_id ?? `an_${randomHex(12)}`,
      // What was asked, as resolved: a result fetched again by id says what it answers.
      request: {
        area: answeredArea(req.area),
        resolution_m: resolutionM,
        classes: [...req.classes],
        providers: [...req.providers],
        min_confidence: req.min_confidence,
      },
      model: { name: deps.model.manifest.name, version: deps.model.manifest.version },
      imagery: {
        provider: imagery.provider as ImageryProviderName,
        attribution: imagery.attribution,
        // What the raster really resolves: the grid's pixel, or the source's if that is coarser;
        // rounded up to 0.1 mm, so it never reads finer than it is (0.34984 as 0.3498).
        resolution_m: Math.ceil(Math.max(gridGroundM, imagery.groundResolutionM || 0) * 1e4 - 1e-6) / 1e4,
        ...(imagery.captured ? { captured: imagery.captured } : {}),
      },
      area_m2: Math.round(area.value.areaM2 * 100) / 100,
      totals,
      cache: "MISS",
      providers_tried: attempts,
      created_at: new Date().toISOString(),
      timings_ms: {
        imagery: Math.round(imageryMs),
        inference: Math.round(inferenceMs),
        vectorise: Math.round(vectoriseMs),
        total: Math.round(performance.now() - started),
      },
    },
  };
}

function answeredBbox(bbox: readonly number[]): [number, number, number, number] {
  const [w, s, e, n] = bbox.map(keyedDegrees) as [number, number, number, number];
  return [w, s, e, n];
}

/**
 * The area as it was analysed, in the cache key's terms: without what the schema accepts and
 * ignores (a polygon's RFC 7946 `bbox` member, altitudes) and at the key's 1e-7° (about 1 cm).
 * Everyone who asks the same question shares this answer, so nothing the first asker chose freely
 * may appear in it (only where the ring starts and which way it runs, which the key also ignores).
 */
export function answeredArea(area: Area): Area {
  if (area.type === "bbox") return { type: "bbox", bbox: answeredBbox(area.bbox) };
  return answeredPolygon(area);
}

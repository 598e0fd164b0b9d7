/**
 * What to draw for a stored analysis: the render request for the backend (its bbox, the real
 * ground resolution and provider of the analysed imagery, and for overlays the lines, per-class
 * totals and a caption), and the lon/lat extent of the picture the backend will return (the grid
 * of the bbox at that resolution: origin at the north-west corner, it may reach less than one
 * pixel past the east and south edges), so a map can place the picture exactly.
 */
import {
  type AnalysisResponse,
  gridBoundsLonLat,
  gridForBbox,
  type LonLatBbox,
  type MercatorGrid,
} from "@lanesegnet/shared";

export type RenderKind = "imagery" | "overlay";

export interface RenderBody {
  readonly kind: RenderKind;
  readonly bbox: readonly [number, number, number, number];
  readonly resolution_m: number;
  readonly provider: string;
  readonly lines?: readonly { class_id: number; coordinates: readonly (readonly [number, number])[] }[];
  readonly totals?: AnalysisResponse["analysis"]["totals"];
  readonly caption?: string;
  /** The analysed polygon's ring, [lon, lat] only (overlay of a polygon area). */
  readonly area?: readonly (readonly [number, number])[];
}

/** The members of a stored result this module reads (the body is trusted: the edge wrote it). */
export type StoredResult = Pick<AnalysisResponse, "bbox" | "features" | "analysis">;

/** The analysed area's bbox (the backend always sets it; results without one cannot be drawn). */
export function resultBbox(result: StoredResult): LonLatBbox | null {
  return result.bbox ?? null;
}

export function renderBodyOf(kind: RenderKind, result: StoredResult, id: string): RenderBody | null {
  const bbox = resultBbox(result);
  if (!bbox) return null;
  const { imagery, model, created_at } = result.analysis;
  const area = result.analysis.request?.area;
  const base = {
    kind,
    bbox,
    resolution_m: imagery.resolution_m,
    provider: imagery.provider,
  } as const;
  if (kind === "imagery") return base;
  return {
    ...base,
    lines: result.features.map((f) => ({
      class_id: f.properties.class_id,
      coordinates: f.geometry.coordinates,
    })),
    totals: result.analysis.totals,
    ...(area?.type === "Polygon"
      ? { area: area.coordinates[0]!.map(([lon, lat]) => [lon!, lat!] as const) }
      : {}),
    caption: `analysis ${id.slice(0, 12)} · ${model.name} ${model.version} · ${created_at.slice(0, 10)}`,
  };
}

/** The extent and raster size of the picture of a result (see the module comment). */
export function pictureGrid(result: StoredResult): { grid: MercatorGrid; extent: LonLatBbox } | null {
  const bbox = resultBbox(result);
  if (!bbox) return null;
  const grid = gridForBbox(bbox, result.analysis.imagery.resolution_m);
  return { grid, extent: gridBoundsLonLat(grid) };
}

/**
 * The map: MapLibre GL with a style that needs nothing from the network — a background layer, the
 * analysed imagery (an image source placed at the picture's lon/lat extent), the markings as a
 * GeoJSON line layer coloured by class from the registry, the area's outline, and a box the user
 * draws with shift-drag, or in draw mode with a mouse or a finger. A click on a marking picks its
 * line. No tiles, glyphs or sprites: no text symbols at all.
 */
import {
  type ExpressionSpecification,
  type GeoJSONSource,
  type ImageSource,
  type LngLatBoundsLike,
  Map as MapLibreMap,
  type MapMouseEvent,
  type MapTouchEvent,
  NavigationControl,
  ScaleControl,
  type StyleSpecification,
  setWorkerUrl,
} from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import "maplibre-gl/dist/maplibre-gl.css";
import type { AnalysisFeature } from "./api.js";
import { type Bbox, bboxFromCorners, bboxRing } from "./bbox.js";
import { classColourExpression, DASHED_CLASS_IDS } from "./classes.js";

// The worker script is bundled as an asset of this app (MapLibre would look beside its own file).
setWorkerUrl(workerUrl);

/** What a GeoJSON source accepts (MapLibre's own type: no separate GeoJSON typings needed). */
type Geo = Exclude<Parameters<GeoJSONSource["setData"]>[0], string>;
const EMPTY: Geo = { type: "FeatureCollection", features: [] };

function polygon(ring: readonly (readonly number[])[]): Geo {
  return {
    type: "FeatureCollection",
    features: [
      {
        type: "Feature",
        properties: {},
        geometry: { type: "Polygon", coordinates: [ring.map((p) => [p[0]!, p[1]!])] },
      },
    ],
  };
}

const isDashed: ExpressionSpecification = ["in", ["get", "class_id"], ["literal", [...DASHED_CLASS_IDS]]];
const LINE_LAYOUT = { "line-cap": "round", "line-join": "round" } as const;

const STYLE: StyleSpecification = {
  version: 8,
  sources: {
    area: { type: "geojson", data: EMPTY },
    markings: { type: "geojson", data: EMPTY },
    draft: { type: "geojson", data: EMPTY },
  },
  layers: [
    { id: "background", type: "background", paint: { "background-color": "#1c2229" } },
    {
      id: "area-outline",
      type: "line",
      source: "area",
      paint: { "line-color": "#cfd8e3", "line-width": 1.5, "line-dasharray": [3, 2] },
    },
    {
      id: "markings-halo",
      type: "line",
      source: "markings",
      layout: LINE_LAYOUT,
      paint: { "line-color": "#000000", "line-opacity": 0.6, "line-width": 6 },
    },
    // The chosen line: a wide halo in a colour no class uses, under the line's own class colour
    // (a white highlight over it made every chosen line look like a white one).
    {
      id: "markings-selected",
      type: "line",
      source: "markings",
      filter: ["==", ["get", "id"], ""],
      layout: LINE_LAYOUT,
      paint: { "line-color": "#00e676", "line-width": 11, "line-opacity": 0.95 },
    },
    {
      id: "markings-solid",
      type: "line",
      source: "markings",
      filter: ["!", isDashed],
      layout: LINE_LAYOUT,
      paint: { "line-color": classColourExpression(), "line-width": 3 },
    },
    {
      id: "markings-dashed",
      type: "line",
      source: "markings",
      filter: isDashed,
      layout: { "line-join": "round" },
      paint: { "line-color": classColourExpression(), "line-width": 3, "line-dasharray": [2, 1.5] },
    },
    {
      id: "draft-fill",
      type: "fill",
      source: "draft",
      paint: { "fill-color": "#4fc3f7", "fill-opacity": 0.15 },
    },
    {
      id: "draft-outline",
      type: "line",
      source: "draft",
      paint: { "line-color": "#4fc3f7", "line-width": 2 },
    },
  ],
};

/** Layers a click picks a line from, and how near (px) the click must be: the lines are 3 px wide. */
const PICKABLE = ["markings-solid", "markings-dashed"];
const PICK_RADIUS_PX = 6;

function boundsOf(b: Bbox): LngLatBoundsLike {
  return [
    [b[0], b[1]],
    [b[2], b[3]],
  ];
}

export class MapView {
  readonly map: MapLibreMap;
  #drawMode = false;
  #locked = false;
  #dragStart: [number, number] | null = null;
  #imageryUrl: string | null = null;
  #loaded: Promise<void>;
  /** When (performance.now()) the last draw ended: the click that release makes picks nothing. */
  #drewAt = Number.NEGATIVE_INFINITY;
  /** Each shown line's lon/lat bounds, to bring a chosen line into view. */
  #lineBounds = new Map<string, Bbox>();

  constructor(
    private readonly container: HTMLElement,
    initial: Bbox,
    private readonly onBox: (bbox: Bbox) => void,
    /** Draw mode turned on or off: by the page, after a box, or after a click that drew none. */
    private readonly onDrawMode: (on: boolean) => void,
    /** A line was clicked on the map (its feature id). */
    private readonly onPick: (id: string) => void = () => {},
  ) {
    this.map = new MapLibreMap({
      container,
      style: STYLE,
      bounds: boundsOf(initial),
      fitBoundsOptions: { padding: 40 },
      attributionControl: false,
      // Shift-drag draws an area here instead of zooming to a box.
      boxZoom: false,
      maxZoom: 23,
    });
    this.map.addControl(new NavigationControl({ showCompass: false }), "top-right");
    this.map.addControl(new ScaleControl({ unit: "metric" }), "bottom-left");
    this.#loaded = new Promise((resolve) => this.map.once("load", () => resolve()));
    this.map.on("mousedown", (e) => this.#down(e));
    this.map.on("mousemove", (e) => this.#move(e));
    this.map.on("mouseup", (e) => this.#up(e));
    // A finger draws too, in draw mode (a phone has no Shift); two fingers still zoom.
    this.map.on("touchstart", (e) => this.#down(e));
    this.map.on("touchmove", (e) => this.#move(e));
    this.map.on("touchend", (e) => this.#up(e));
    this.map.on("touchcancel", () => this.#cancelDrag());
    this.map.on("click", (e) => this.#pick(e));
    container.ownerDocument.addEventListener("keydown", (e) => {
      if (e.key !== "Escape" || !(this.#drawMode || this.#dragStart)) return;
      this.#cancelDrag();
      this.setDrawMode(false);
    });
  }

  get drawMode(): boolean {
    return this.#drawMode;
  }

  setDrawMode(on: boolean): void {
    const next = on && !this.#locked;
    const changed = next !== this.#drawMode;
    this.#drawMode = next;
    this.container.classList.toggle("drawing", next);
    if (changed) this.onDrawMode(next);
  }

  /** While locked (an analysis runs) no box can be drawn, by draw mode or shift-drag. */
  lock(on: boolean): void {
    this.#locked = on;
    if (on) {
      this.setDrawMode(false);
      this.#cancelDrag();
    }
  }

  /** Drop a box being drawn (Escape, a lock, a cancelled touch). */
  #cancelDrag(): void {
    if (!this.#dragStart) return;
    this.#dragStart = null;
    this.map.dragPan.enable();
    (this.map.getSource("draft") as GeoJSONSource | undefined)?.setData(EMPTY);
  }

  /**
   * Outline an area: its box, or `ring` when it was a polygon (a result made through the API; the
   * form holds only boxes). `data-area-vertices` says which was drawn.
   */
  async showArea(b: Bbox, fit = true, ring?: readonly (readonly number[])[]): Promise<void> {
    await this.#loaded;
    const outline = ring ?? bboxRing(b);
    this.container.dataset.areaVertices = String(outline.length - 1);
    (this.map.getSource("area") as GeoJSONSource).setData(polygon(outline));
    (this.map.getSource("draft") as GeoJSONSource).setData(EMPTY);
    if (fit) this.map.fitBounds(boundsOf(b), { padding: 40, duration: 0 });
  }

  async showMarkings(features: readonly AnalysisFeature[]): Promise<void> {
    await this.#loaded;
    // The API's features are GeoJSON LineStrings (shared's LaneFeatureSchema) with readonly
    // arrays; MapLibre's GeoJSON types want mutable ones, and setData copies the data anyway.
    const data = { type: "FeatureCollection", features } as unknown as Geo;
    (this.map.getSource("markings") as GeoJSONSource).setData(data);
    this.#lineBounds = new Map(
      features.map((f) => {
        const lons = f.geometry.coordinates.map((c) => c[0]);
        const lats = f.geometry.coordinates.map((c) => c[1]);
        return [f.id, [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)] as const];
      }),
    );
    this.select(null);
  }

  /** Highlight one line (by feature id), or none; `reveal` brings it into view if it is not. */
  select(id: string | null, reveal = false): void {
    this.container.dataset.selected = id ?? "";
    if (!this.map.getLayer("markings-selected")) return;
    this.map.setFilter("markings-selected", ["==", ["get", "id"], id ?? ""]);
    const b = id === null ? undefined : this.#lineBounds.get(id);
    if (!reveal || !b) return;
    const view = this.map.getBounds();
    const inView = view.contains([b[0], b[1]]) && view.contains([b[2], b[3]]);
    if (!inView) this.map.fitBounds(boundsOf(b), { padding: 60, duration: 0, maxZoom: this.map.getZoom() });
  }

  /** Place the analysed imagery under the markings; resolves once the map has drawn it. */
  async showImagery(blob: Blob, extent: Bbox): Promise<void> {
    await this.#loaded;
    const url = URL.createObjectURL(blob);
    const [w, s, e, n] = extent;
    const coordinates: [[number, number], [number, number], [number, number], [number, number]] = [
      [w, n],
      [e, n],
      [e, s],
      [w, s],
    ];
    const existing = this.map.getSource("imagery") as ImageSource | undefined;
    if (existing) existing.updateImage({ url, coordinates });
    else {
      this.map.addSource("imagery", { type: "image", url, coordinates });
      this.map.addLayer(
        { id: "imagery", type: "raster", source: "imagery", paint: { "raster-fade-duration": 0 } },
        "area-outline",
      );
    }
    if (this.#imageryUrl) URL.revokeObjectURL(this.#imageryUrl);
    this.#imageryUrl = url;
    await this.idle();
  }

  clearImagery(): void {
    if (this.map.getLayer("imagery")) this.map.removeLayer("imagery");
    if (this.map.getSource("imagery")) this.map.removeSource("imagery");
    if (this.#imageryUrl) URL.revokeObjectURL(this.#imageryUrl);
    this.#imageryUrl = null;
  }

  /** Resolves when the map has finished loading and drawing what it was given. */
  idle(): Promise<void> {
    const idle = new Promise<void>((resolve) => this.map.once("idle", () => resolve()));
    // An already idle map fires "idle" again after one more frame.
    this.map.triggerRepaint();
    return idle;
  }

  #down(e: MapMouseEvent | MapTouchEvent): void {
    const touch = e.type === "touchstart";
    if (touch && (e as MapTouchEvent).points.length !== 1) {
      // A second finger: a pinch, not a box. Whatever the first finger began is dropped, and the
      // gesture's end draws nothing.
      this.#cancelDrag();
      return;
    }
    const shift = !touch && (e as MapMouseEvent).originalEvent.shiftKey;
    if (this.#locked || !(this.#drawMode || shift)) return;
    // Stops the map's own drag-pan for this gesture (mouse and touch alike).
    e.preventDefault();
    this.map.dragPan.disable();
    this.#dragStart = [e.lngLat.lng, e.lngLat.lat];
  }

  #pick(e: MapMouseEvent): void {
    // The click that ends a draw (a press and release without a drag) picks nothing: it follows
    // the release at once.
    const drew = performance.now() - this.#drewAt < 250;
    if (drew || this.#drawMode || this.#locked || !this.map.getLayer(PICKABLE[0]!)) return;
    const { x, y } = e.point;
    const r = PICK_RADIUS_PX;
    const hits = this.map.queryRenderedFeatures(
      [
        [x - r, y - r],
        [x + r, y + r],
      ],
      { layers: PICKABLE },
    );
    // The nearest line to the click, not the top-most one near it.
    let best: { id: string; d: number } | null = null;
    for (const hit of hits) {
      const id = hit.properties?.id;
      const coords = hit.geometry.type === "LineString" ? hit.geometry.coordinates : [];
      if (typeof id !== "string" || coords.length === 0) continue;
      const d = this.#distancePx(x, y, coords as [number, number][]);
      if (!best || d < best.d) best = { id, d };
    }
    if (best) this.onPick(best.id);
  }

  /** Screen distance (px) from (x, y) to a lon/lat polyline. */
  #distancePx(x: number, y: number, coords: readonly [number, number][]): number {
    const pts = coords.map((c) => this.map.project(c));
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < pts.length; i++) {
      const a = pts[i]!;
      const b = pts[Math.min(i + 1, pts.length - 1)]!;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len2 = dx * dx + dy * dy;
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x) * dx + (y - a.y) * dy) / len2));
      best = Math.min(best, Math.hypot(x - (a.x + t * dx), y - (a.y + t * dy)));
    }
    return best;
  }

  #move(e: MapMouseEvent | MapTouchEvent): void {
    if (!this.#dragStart) return;
    const b = bboxFromCorners(this.#dragStart, [e.lngLat.lng, e.lngLat.lat]);
    (this.map.getSource("draft") as GeoJSONSource).setData(polygon(bboxRing(b)));
  }

  #up(e: MapMouseEvent | MapTouchEvent): void {
    if (!this.#dragStart) return;
    this.#drewAt = performance.now();
    const b = bboxFromCorners(this.#dragStart, [e.lngLat.lng, e.lngLat.lat]);
    this.#dragStart = null;
    this.map.dragPan.enable();
    this.setDrawMode(false);
    // A click without a drag draws nothing (draw mode still ends, and the page hears of it).
    if (b[0] === b[2] || b[1] === b[3]) {
      (this.map.getSource("draft") as GeoJSONSource).setData(EMPTY);
      return;
    }
    this.onBox(b);
  }
}

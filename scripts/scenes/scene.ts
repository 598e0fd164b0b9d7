/**
 * renderScene(spec) → Scene: one aerial road scene with exactly known lane lines. Geometry comes
 * from the procedural layouts or from an AEL annotation; the look is drawn per scene; the image is
 * rendered by the coverage rasteriser; the mask comes ONLY from the shared label rule applied to
 * the full lane centrelines (so it covers dash gaps and paint hidden under vehicles and shadows).
 */
import {
  createMask,
  LANE_CLASS_NAMES,
  type LabelLane,
  laneClassById,
  rasterizeLanes,
} from "@lanesegnet/shared";
import { paintGround } from "./appearance/ground.js";
import { type Look, randomLook } from "./appearance/look.js";
import { paintCanopies, paintObjectShadows, paintRoofs, placeObjects } from "./appearance/objects.js";
import { applyOptics } from "./appearance/optics.js";
import { chooseMaterials, paintCarriageways, paintRoadsides } from "./appearance/surface.js";
import { paintVehicles, placeVehicles } from "./appearance/vehicles.js";
import { buildLayout, LAYOUT_WEIGHTS, type LayoutKind } from "./geometry/layouts.js";
import { buildLaneLines, type LaneLine, type RoadNetwork } from "./geometry/network.js";
import { clipPolylineToRect, type Pt } from "./geometry/polyline.js";
import { type Interval, shiftIntervals } from "./markings/dashes.js";
import { paintDistractors } from "./markings/distractors.js";
import { markingLabelWidthM } from "./markings/marking.js";
import { paintLaneLines } from "./markings/paint.js";
import { pickStyle, type RegionStyle, type StyleName, styleByName } from "./markings/styles.js";
import { hash32, Rng } from "./random.js";
import { createContext } from "./render/context.js";
import { GENERATOR_VERSION } from "./version.js";

/** A ready-made network and its lane lines in scene metres (e.g. from AEL annotations). */
export interface NetworkGeometry {
  kind: "network";
  network: RoadNetwork;
  lines: LaneLine[];
  /** Where the geometry came from, for the manifest. */
  source: string;
  style?: StyleName;
}

export interface SceneSpec {
  seed: number;
  width: number;
  height: number;
  /** Ground metres per pixel. */
  gsdM: number;
  /** Procedural (default) or a given network. */
  geometry?: NetworkGeometry;
  layout?: LayoutKind;
  style?: StyleName;
  /** No clutter, wear or degradations: for tests of geometry and paint. */
  clean?: boolean;
}

export interface SceneLane {
  classId: number;
  className: string;
  /** Centreline in continuous pixel coordinates (pixel centre at i + 0.5). */
  points: [number, number][];
  /** Width of the whole marking in metres (both strokes and the gap for doubles): the label width. */
  paintWidthM: number;
  strokeWidthM: number;
  doubleGapM: number | null;
  pattern: { region: string; dashM: number; gapM: number } | null;
  /** Painted intervals along the centreline, metres from its first point. */
  painted: Interval[];
  role: string;
  elevated: boolean;
}

export interface SceneMeta {
  generatorVersion: string;
  seed: number;
  source: string;
  layout: string;
  style: string;
  environment: string;
  jpegQuality: number;
  blurSigmaPx: number;
  noiseSigma: number;
}

export interface Scene {
  width: number;
  height: number;
  gsdM: number;
  rgb: Uint8Array;
  mask: Uint8Array;
  lanes: SceneLane[];
  meta: SceneMeta;
}

/** Lane pieces extend this far past the image edges so labels at the border are exact. */
export const LANE_CLIP_MARGIN_PX = 8;

export function renderScene(spec: SceneSpec): Scene {
  const { width, height, gsdM } = spec;
  if (!(width > 0 && height > 0 && gsdM > 0)) throw new RangeError("scene size and gsd must be positive");
  const rng = new Rng(hash32("scene", spec.seed));
  const style: RegionStyle =
    (spec.style ? styleByName(spec.style) : undefined) ??
    (spec.geometry?.style ? styleByName(spec.geometry.style) : undefined) ??
    pickStyle(rng.fork("style"));
  const look = randomLook(rng.fork("look"), style, spec.clean ?? false);
  const widthM = width * gsdM;
  const heightM = height * gsdM;
  let network: RoadNetwork;
  let lines: LaneLine[];
  let layout: string;
  let source: string;
  if (spec.geometry) {
    network = spec.geometry.network;
    lines = spec.geometry.lines;
    layout = "given";
    source = spec.geometry.source;
  } else {
    const kind = spec.layout ?? rng.fork("layout").weighted(LAYOUT_WEIGHTS);
    network = buildLayout(kind, {
      rect: { minX: 0, minY: 0, maxX: widthM, maxY: heightM },
      style,
      rng: rng.fork("build"),
    });
    lines = buildLaneLines(network, rng.fork("lines"));
    layout = kind;
    source = "procedural";
  }
  const rgb = paintScene(width, height, gsdM, look, network, lines, rng.fork("render"));
  const lanes = toSceneLanes(lines, network, gsdM, width, height);
  const mask = maskFromLanes(lanes, width, height, gsdM);
  return {
    width,
    height,
    gsdM,
    rgb,
    mask,
    lanes,
    meta: {
      generatorVersion: GENERATOR_VERSION,
      seed: spec.seed,
      source,
      layout,
      style: style.name,
      environment: look.environment,
      jpegQuality: look.optics.jpegQuality,
      blurSigmaPx: round(look.optics.blurSigmaPx, 3),
      noiseSigma: round(look.optics.noiseSigma, 3),
    },
  };
}

function round(v: number, d: number): number {
  const k = 10 ** d;
  return Math.round(v * k) / k;
}

/** The layer stack, bottom to top. */
function paintScene(
  width: number,
  height: number,
  gsd: number,
  look: Look,
  net: RoadNetwork,
  lines: LaneLine[],
  rng: Rng,
): Uint8Array {
  const ctx = createContext(width, height, gsd, look, rng);
  const elevatedIds = new Set(net.roads.filter((r) => r.elevated).map((r) => r.id));
  const materials = chooseMaterials(ctx, net);
  const main = [...net.roads].sort((a, b) => b.priority - a.priority)[0];
  if (main) {
    const [tx, ty] = main.path.tangentAt(main.path.length / 2);
    ctx.mainAngle = Math.atan2(ty, tx);
  }
  paintGround(ctx);
  const objects = placeObjects(ctx, net);
  for (const level of [false, true]) {
    paintRoadsides(ctx, net, level);
    paintCarriageways(ctx, net, materials, level);
    paintLaneLines(
      ctx,
      lines.filter((l) => elevatedIds.has(l.roadId) === level),
    );
    if (!level && !look.clean) paintDistractors(ctx, net);
    paintVehicles(ctx, placeVehicles(ctx, net, level));
  }
  paintObjectShadows(ctx, objects);
  paintRoofs(ctx, objects);
  paintCanopies(ctx, objects);
  applyOptics(ctx.canvas, look.optics, ctx.fields.lo, rng.fork("optics"));
  return ctx.canvas.toUint8();
}

/** Lane lines (metres) → scene lanes in pixels, clipped to the image plus a small margin. */
export function toSceneLanes(
  lines: readonly LaneLine[],
  net: RoadNetwork,
  gsd: number,
  width: number,
  height: number,
): SceneLane[] {
  const k = 1 / gsd;
  const m = LANE_CLIP_MARGIN_PX;
  const rect = { minX: -m, minY: -m, maxX: width + m, maxY: height + m };
  const elevated = new Set(net.roads.filter((r) => r.elevated).map((r) => r.id));
  const out: SceneLane[] = [];
  // Ground lanes first, then lanes on bridges (drawn over them in image and mask alike).
  const ordered = [
    ...lines.filter((l) => !elevated.has(l.roadId)),
    ...lines.filter((l) => elevated.has(l.roadId)),
  ];
  for (const line of ordered) {
    const px: Pt[] = line.points.map((p) => [p[0] * k, p[1] * k]);
    for (const piece of clipPolylineToRect(px, rect)) {
      const lengthPx = polyLen(piece.points);
      if (lengthPx < 1) continue;
      const painted = shiftIntervals(line.painted, piece.s0 * gsd, lengthPx * gsd);
      if (painted.length === 0) continue;
      out.push(sceneLane(line, piece.points, painted, elevated.has(line.roadId)));
    }
  }
  return out;
}

function polyLen(points: readonly Pt[]): number {
  let s = 0;
  for (let i = 1; i < points.length; i++)
    s += Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]);
  return s;
}

function sceneLane(line: LaneLine, points: Pt[], painted: Interval[], elevated: boolean): SceneLane {
  const cls = laneClassById(line.spec.classId);
  return {
    classId: cls.id,
    className: LANE_CLASS_NAMES[cls.id]!,
    points: points.map((p) => [p[0], p[1]]),
    paintWidthM: markingLabelWidthM(line.spec),
    strokeWidthM: line.spec.strokeWidthM,
    doubleGapM: cls.double ? line.spec.doubleGapM : null,
    pattern: line.spec.pattern ? { ...line.spec.pattern } : null,
    painted,
    role: line.role,
    elevated,
  };
}

/** The mask: the shared label rule over the lanes' centrelines, nothing else. */
export function maskFromLanes(
  lanes: readonly SceneLane[],
  width: number,
  height: number,
  gsdM: number,
): Uint8Array {
  const label: LabelLane[] = lanes.map((l) => ({
    classId: l.classId,
    points: l.points,
    paintWidthM: l.paintWidthM,
  }));
  return rasterizeLanes(createMask(width, height), label, gsdM).data;
}

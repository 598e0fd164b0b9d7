/**
 * The overlay drawn over analysed imagery, as SVG (sharp/librsvg rasterises it): the markings as
 * lines in the registry's display colours (dashed classes dashed, every line with a dark halo so
 * white paint stays visible on bright asphalt), for a polygon area its outline with everything
 * outside it dimmed (the picture is the polygon's bbox; nothing outside the polygon was
 * analysed, and must not read as road without markings), a legend of the requested classes with their
 * counts and lengths, and an attribution strip. Pure string building, so tests can check where lines land.
 *
 * Text needs a font: librsvg asks fontconfig for the families below (Debian's fonts-dejavu-core
 * provides DejaVu Sans). Without any font the text is simply not drawn; lines and swatches are.
 */
import {
  type ClassTotals,
  LANE_CLASSES,
  laneClassById,
  lonLatToPixel,
  MARKING_CLASS_IDS,
  type MarkingClassName,
  type MercatorGrid,
} from "@lanesegnet/shared";

export interface OverlayLine {
  readonly class_id: number;
  readonly coordinates: readonly (readonly [number, number])[];
}

export interface OverlayOptions {
  /** The grid the imagery was fetched on. */
  readonly grid: MercatorGrid;
  /** Size of the output picture (the grid scaled to fit the size limit). */
  readonly width: number;
  readonly height: number;
  readonly lines: readonly OverlayLine[];
  readonly totals?: Partial<Record<MarkingClassName, ClassTotals>>;
  readonly attribution: string;
  readonly caption?: string;
  /** The analysed polygon's ring (lon/lat), when the area was a polygon rather than its bbox. */
  readonly area?: readonly (readonly [number, number])[];
}

const FONT = "DejaVu Sans, Liberation Sans, Lato, sans-serif";
/** Average advance of a DejaVu Sans character in em (a safe over-estimate for lower case). */
const CHAR_EM = 0.6;

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );
}

/** "single_white_dashed" -> "single white dashed". */
export function classLabel(name: string): string {
  return name.replace(/_/g, " ");
}

/** Width in output pixels of the drawn lines: visible at any scale, thicker on large pictures. */
export function strokeWidthPx(width: number, height: number): number {
  return Math.max(2, Math.round(Math.min(width, height) / 350));
}

/** A line's vertices in output pixel coordinates (continuous: 0 is the left edge of pixel 0). */
export function projectLine(
  grid: MercatorGrid,
  width: number,
  height: number,
  coordinates: readonly (readonly [number, number])[],
): [number, number][] {
  const sx = width / grid.width;
  const sy = height / grid.height;
  return coordinates.map(([lon, lat]) => {
    const [px, py] = lonLatToPixel(grid, lon, lat);
    return [px * sx, py * sy];
  });
}

const round1 = (v: number) => Math.round(v * 10) / 10;

function polyline(points: readonly [number, number][], attrs: string): string {
  const d = points.map(([x, y]) => `${round1(x)},${round1(y)}`).join(" ");
  return `<polyline points="${d}" ${attrs}/>`;
}

function dashArray(strokePx: number): string {
  return `${4 * strokePx} ${3 * strokePx}`;
}

function linesSvg(o: OverlayOptions, stroke: number): string {
  const halo: string[] = [];
  const paint: string[] = [];
  for (const line of o.lines) {
    const cls = laneClassById(line.class_id);
    const pts = projectLine(o.grid, o.width, o.height, line.coordinates);
    halo.push(polyline(pts, ""));
    const dash = cls.dashed ? ` stroke-dasharray="${dashArray(stroke)}"` : "";
    paint.push(polyline(pts, `stroke="${cls.display}"${dash} data-class="${cls.name}"`));
  }
  return [
    `<g fill="none" stroke="#000" stroke-opacity="0.6" stroke-width="${stroke + 3}" stroke-linecap="round" stroke-linejoin="round">${halo.join("")}</g>`,
    `<g fill="none" stroke-width="${stroke}" stroke-linecap="round" stroke-linejoin="round">${paint.join("")}</g>`,
  ].join("");
}

/** Everything outside the polygon dimmed (even-odd: the picture minus the ring), and its outline. */
function areaSvg(o: OverlayOptions, stroke: number): string {
  if (!o.area || o.area.length < 4) return "";
  const ring = projectLine(o.grid, o.width, o.height, o.area)
    .map(([x, y], i) => `${i === 0 ? "M" : "L"}${round1(x)},${round1(y)}`)
    .join("");
  return [
    `<path d="M0,0H${o.width}V${o.height}H0Z${ring}Z" fill="#000" fill-opacity="0.45" fill-rule="evenodd" data-outside-area="1"/>`,
    `<path d="${ring}Z" fill="none" stroke="#fff" stroke-width="${Math.max(1, stroke - 1)}" stroke-dasharray="${dashArray(stroke)}" data-area="1"/>`,
  ].join("");
}

function legendSvg(o: OverlayOptions, stroke: number): string {
  const fs = Math.min(20, Math.max(11, Math.round(Math.min(o.width, o.height) / 65)));
  const pad = Math.round(fs * 0.6);
  const rowH = Math.round(fs * 1.5);
  const swatchW = fs * 2;
  // With totals, the classes the analysis was asked for (its totals name exactly those, found or
  // not): a class it never looked for must not read as "none here". Without, the whole registry.
  const rows = MARKING_CLASS_IDS.flatMap((id) => {
    const cls = LANE_CLASSES[id]!;
    if (o.totals && !(cls.name in o.totals)) return [];
    const t = o.totals?.[cls.name as MarkingClassName];
    const figures = t ? `  ${t.count} · ${t.length_m.toFixed(1)} m` : "";
    return [{ cls, text: `${classLabel(cls.name)}${figures}` }];
  });
  const title = "Lane markings";
  const longest = Math.max(title.length, ...rows.map((r) => r.text.length));
  const boxW = Math.ceil(pad * 3 + swatchW + longest * CHAR_EM * fs);
  const boxH = pad * 2 + rowH * (rows.length + 1);
  const out: string[] = [
    `<g font-family="${FONT}" font-size="${fs}">`,
    `<rect x="${pad}" y="${pad}" width="${boxW}" height="${boxH}" rx="${pad / 2}" fill="#000" fill-opacity="0.62"/>`,
    `<text x="${pad * 2}" y="${pad * 2 + fs}" fill="#fff" font-weight="bold">${title}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = pad * 2 + rowH * (i + 1) + fs * 0.5;
    const x0 = pad * 2;
    const dash = r.cls.dashed ? ` stroke-dasharray="${dashArray(stroke)}"` : "";
    out.push(
      `<line x1="${x0}" y1="${y}" x2="${x0 + swatchW}" y2="${y}" stroke="#000" stroke-opacity="0.6" stroke-width="${stroke + 3}"/>`,
      `<line x1="${x0}" y1="${y}" x2="${x0 + swatchW}" y2="${y}" stroke="${r.cls.display}" stroke-width="${stroke + 1}"${dash} data-legend="${r.cls.name}"/>`,
      `<text x="${x0 + swatchW + pad}" y="${y + fs * 0.35}" fill="#fff">${escapeXml(r.text)}</text>`,
    );
  });
  out.push("</g>");
  return out.join("");
}

function attributionSvg(o: OverlayOptions): string {
  const text = `Imagery: ${o.attribution}${o.caption ? ` · ${o.caption}` : ""}`;
  const pad = 4;
  // Shrink the font until the estimated width fits (never below 8 px; then it is clipped).
  const fits = Math.floor((o.width - 2 * pad) / (text.length * CHAR_EM));
  const fs = Math.max(8, Math.min(14, fits));
  const h = Math.round(fs * 1.6);
  return [
    `<rect x="0" y="${o.height - h}" width="${o.width}" height="${h}" fill="#000" fill-opacity="0.6"/>`,
    `<text x="${pad}" y="${o.height - Math.round(h * 0.32)}" font-family="${FONT}" font-size="${fs}" fill="#fff" data-attribution="1">${escapeXml(text)}</text>`,
  ].join("");
}

/** The whole overlay, the size of the output picture. */
export function overlaySvg(o: OverlayOptions): string {
  const stroke = strokeWidthPx(o.width, o.height);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${o.width}" height="${o.height}" viewBox="0 0 ${o.width} ${o.height}">`,
    areaSvg(o, stroke),
    linesSvg(o, stroke),
    legendSvg(o, stroke),
    attributionSvg(o),
    "</svg>",
  ].join("");
}

/**
 * The results panel: cache status, quota left, imagery and model, the totals by class and the table
 * of lines. Built with DOM calls and textContent only (values from the API never become markup).
 * Each length cell carries its exact value in `data-length-m` (what the totals add up).
 */
import type { AnalysisReply, AnalysisResult } from "./api.js";
import { classById, classLabel, MARKING_CLASSES } from "./classes.js";
import { formatDuration } from "./problems.js";
import type { RateLimitPolicy, RateLimitState } from "./ratelimit.js";
import { summarise } from "./summary.js";

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

export function swatch(classId: number): HTMLSpanElement {
  const cls = classById(classId);
  const s = el("span", undefined, cls?.dashed ? "swatch dashed" : "swatch");
  s.style.backgroundColor = cls?.display ?? "#888";
  return s;
}

function classCell(classId: number, name: string): HTMLTableCellElement {
  const td = el("td");
  td.append(swatch(classId), classLabel(name));
  return td;
}

const metres = (v: number) => v.toFixed(2);

/**
 * What the result was asked for, beyond the area: the resolution it was analysed at (and whether
 * the imagery was resampled up to it), the classes, the minimum confidence. A result opened from
 * its address may have been made with filters this form has no control for.
 */
function requestWords(
  req: NonNullable<AnalysisResult["analysis"]["request"]>,
  imageryResolutionM: number,
): string {
  const all = req.classes.length >= MARKING_CLASSES.length;
  const polygon =
    req.area.type === "Polygon"
      ? `a polygon of ${req.area.coordinates[0]!.length - 1} vertices (the form holds its bounding box) · `
      : "";
  const classes = all ? "all classes" : req.classes.map((c) => classLabel(c).toLowerCase()).join(", ");
  // The imagery's figure is rounded up to 0.1 mm: coarser by more than that is the imagery's own.
  const resampled =
    imageryResolutionM > req.resolution_m + 1e-4 ? ` (imagery ${imageryResolutionM} m/px, resampled up)` : "";
  return `${polygon}analysed at ${req.resolution_m} m/px${resampled} · ${classes} · minimum confidence ${req.min_confidence}`;
}

export function renderQuota(state: RateLimitState | null, policy: RateLimitPolicy | null): void {
  const q = byId("quota");
  if (!state) {
    q.textContent = "unknown";
    return;
  }
  q.textContent = `${state.remaining}${policy ? ` of ${policy.quota}` : ""} this hour (window resets in ${formatDuration(state.resetS)})`;
  q.dataset.remaining = String(state.remaining);
}

/** The class legend; folded at first on a narrow screen (the layout's phone width), where it covers the map. */
export function renderLegend(): void {
  byId<HTMLDetailsElement>("legend-box").open = !matchMedia("(max-width: 900px)").matches;
  const legend = byId("legend");
  legend.replaceChildren();
  for (const c of MARKING_CLASSES) {
    const row = el("div");
    row.append(swatch(c.id), classLabel(c.name));
    legend.append(row);
  }
}

/**
 * Mark the row of line `id` selected (aria-selected, the row's roving tab stop), or none; the
 * row scrolls into view when `reveal`. Returns the row's words for the status line, or null.
 */
export function selectRow(id: string | null, reveal = false): string | null {
  const body = byId<HTMLTableElement>("lines").tBodies[0]!;
  let chosen: HTMLTableRowElement | null = null;
  for (const tr of body.rows) {
    const on = id !== null && tr.dataset.featureId === id;
    tr.classList.toggle("selected", on);
    if (tr.dataset.featureId !== undefined) tr.setAttribute("aria-selected", String(on));
    if (on) chosen = tr;
  }
  if (!chosen) return null;
  moveTabStop(body, chosen);
  if (reveal) chosen.scrollIntoView({ block: "nearest" });
  return chosen.dataset.words ?? null;
}

/** The table is one Tab stop: the selected (or first) row; arrow keys move between rows. */
function moveTabStop(body: HTMLTableSectionElement, to: HTMLTableRowElement): void {
  for (const tr of body.rows) tr.tabIndex = tr === to ? 0 : -1;
}

const ROW_KEYS: Readonly<Record<string, (i: number, n: number) => number>> = {
  ArrowDown: (i, n) => Math.min(i + 1, n - 1),
  ArrowUp: (i) => Math.max(i - 1, 0),
  Home: () => 0,
  End: (_i, n) => n - 1,
  PageDown: (i, n) => Math.min(i + 10, n - 1),
  PageUp: (i) => Math.max(i - 10, 0),
};

export function renderResult(reply: AnalysisReply, onSelect: (id: string, words: string) => void): void {
  const r: AnalysisResult = reply.result;
  const a = r.analysis;
  byId("results").hidden = false;
  const cache = reply.cache ?? a.cache;
  byId("cache").textContent =
    cache === "HIT" ? "HIT — served from the cache" : "MISS — analysed for this request";
  byId("cache").dataset.cache = cache;
  if (reply.counted) renderQuota(reply.rateLimit, reply.policy);
  else {
    byId("quota").textContent = "not counted: opened by its id";
    delete byId("quota").dataset.remaining;
  }
  byId("imagery").textContent =
    `${a.imagery.provider} (${a.imagery.attribution}), ${a.imagery.resolution_m} m/px${a.imagery.captured ? `, captured ${a.imagery.captured}` : ""}`;
  byId("request-info").textContent = a.request ? requestWords(a.request, a.imagery.resolution_m) : "";
  byId("model").textContent = `${a.model.name} ${a.model.version}`;
  byId("analysis-id").textContent = a.id;
  // Which area these lines belong to, whatever the form shows now.
  byId("result-area").textContent = r.bbox ? r.bbox.map((v) => v.toFixed(6)).join(", ") : "";
  byId("results").dataset.analysisId = a.id;

  const lines = r.features.map((f) => f.properties);
  const summary = summarise(lines, new Set(Object.keys(a.totals)));
  const totals = byId<HTMLTableElement>("totals").tBodies[0]!;
  totals.replaceChildren(
    ...summary.classes.map((c) => {
      const tr = el("tr");
      tr.dataset.class = c.name;
      tr.append(
        classCell(c.classId, c.name),
        el("td", String(c.count), "num"),
        el("td", metres(c.lengthM), "num"),
      );
      return tr;
    }),
  );
  byId("total-count").textContent = String(summary.count);
  const total = byId("total-length");
  total.textContent = metres(summary.lengthM);
  total.dataset.totalM = String(summary.lengthM);

  const body = byId<HTMLTableElement>("lines").tBodies[0]!;
  const rows = [...r.features]
    .sort((x, y) => y.properties.length_m - x.properties.length_m)
    .map((f) => {
      const p = f.properties;
      const tr = el("tr");
      tr.dataset.featureId = p.id;
      tr.dataset.words = `Line ${p.id}, ${classLabel(p.class).toLowerCase()}, ${metres(p.length_m)} m`;
      tr.setAttribute("aria-selected", "false");
      const length = el("td", metres(p.length_m), "num");
      length.dataset.lengthM = String(p.length_m);
      tr.append(
        el("td", p.id, "id"),
        classCell(p.class_id, p.class),
        length,
        widthCell(p.width_m, p.width_resolved),
        el("td", `${Math.round(p.confidence * 100)} %`, "num"),
      );
      // A row is an option of the table (one Tab stop, arrow keys between rows): a click, or
      // Enter or Space on the focused row, highlights its line.
      tr.tabIndex = -1;
      const select = () => {
        selectRow(p.id);
        onSelect(p.id, tr.dataset.words ?? p.id);
      };
      tr.addEventListener("click", select);
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          select();
          return;
        }
        const move = ROW_KEYS[e.key];
        if (!move) return;
        e.preventDefault();
        const all = [...body.rows];
        const next = all[move(all.indexOf(tr), all.length)];
        if (next) {
          moveTabStop(body, next);
          next.focus();
        }
      });
      return tr;
    });
  if (rows.length === 0) {
    const tr = el("tr");
    const td = el("td", "No lane markings were found in this area.");
    td.colSpan = 5;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  if (rows[0]) rows[0].tabIndex = 0;
}

/** A line's width; "≤" where the imagery cannot resolve it and the value is only an upper bound. */
function widthCell(widthM: number, resolved: boolean | undefined): HTMLTableCellElement {
  const bound = resolved === false;
  const td = el("td", bound ? `≤ ${metres(widthM)}` : metres(widthM), "num");
  td.dataset.widthResolved = String(!bound);
  if (bound) td.title = "Upper bound: the marking is narrower than this imagery resolves.";
  return td;
}

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

export function renderQuota(state: RateLimitState | null, policy: RateLimitPolicy | null): void {
  const q = byId("quota");
  if (!state) {
    q.textContent = "unknown";
    return;
  }
  q.textContent = `${state.remaining}${policy ? ` of ${policy.quota}` : ""} this hour (window resets in ${formatDuration(state.resetS)})`;
  q.dataset.remaining = String(state.remaining);
}

export function renderLegend(): void {
  const legend = byId("legend");
  legend.replaceChildren();
  for (const c of MARKING_CLASSES) {
    const row = el("div");
    row.append(swatch(c.id), classLabel(c.name));
    legend.append(row);
  }
}

export function renderResult(reply: AnalysisReply, onSelect: (id: string) => void): void {
  const r: AnalysisResult = reply.result;
  const a = r.analysis;
  byId("results").hidden = false;
  const cache = reply.cache ?? a.cache;
  byId("cache").textContent =
    cache === "HIT" ? "HIT — served from the cache" : "MISS — analysed for this request";
  byId("cache").dataset.cache = cache;
  renderQuota(reply.rateLimit, reply.policy);
  byId("imagery").textContent =
    `${a.imagery.provider} (${a.imagery.attribution}), ${a.imagery.resolution_m} m/px${a.imagery.captured ? `, captured ${a.imagery.captured}` : ""}`;
  byId("model").textContent = `${a.model.name} ${a.model.version}`;
  byId("analysis-id").textContent = a.id;
  byId("results").dataset.analysisId = a.id;

  const lines = r.features.map((f) => f.properties);
  const summary = summarise(lines);
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
      const length = el("td", metres(p.length_m), "num");
      length.dataset.lengthM = String(p.length_m);
      tr.append(
        classCell(p.class_id, p.class),
        length,
        widthCell(p.width_m, p.width_resolved),
        el("td", `${Math.round(p.confidence * 100)} %`, "num"),
      );
      // A row is a control: a click, or Enter or Space on the focused row, highlights its line.
      tr.tabIndex = 0;
      const select = () => {
        for (const other of body.querySelectorAll("tr.selected")) other.classList.remove("selected");
        tr.classList.add("selected");
        onSelect(p.id);
      };
      tr.addEventListener("click", select);
      tr.addEventListener("keydown", (e) => {
        if (e.key !== "Enter" && e.key !== " ") return;
        e.preventDefault();
        select();
      });
      return tr;
    });
  if (rows.length === 0) {
    const tr = el("tr");
    const td = el("td", "No lane markings were found in this area.");
    td.colSpan = 4;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

/** A line's width; "≤" where the imagery cannot resolve it and the value is only an upper bound. */
function widthCell(widthM: number, resolved: boolean | undefined): HTMLTableCellElement {
  const bound = resolved === false;
  const td = el("td", bound ? `≤ ${metres(widthM)}` : metres(widthM), "num");
  td.dataset.widthResolved = String(!bound);
  if (bound) td.title = "Upper bound: the marking is narrower than this imagery resolves.";
  return td;
}

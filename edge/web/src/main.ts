/**
 * The road-engineering page: enter a key, choose an area (type it, draw it, or the demo), analyse,
 * then read the markings on the map and in the tables and download them. Served by the edge
 * Worker as static assets; every request goes to the same origin.
 */
import "./style.css";
import type { AnalysisLimitOptions } from "../../../shared/src/limits.js";
import { type AnalysisReply, ApiError, analyse, analysedRange, picture, storedAnalysis } from "./api.js";
import { areaSize } from "./area-size.js";
import { type Bbox, DEMO_BBOX, parseBbox, parseBoundsHeader } from "./bbox.js";
import { MapView } from "./map.js";
import type { FailureMessage } from "./problems.js";
import type { RateLimitPolicy, RateLimitState } from "./ratelimit.js";
import { renderLegend, renderQuota, renderResult, selectRow } from "./results.js";

const CREDENTIAL_KEY = "lanesegnet.credential";
const FIELDS = ["west", "south", "east", "north"] as const;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing #${id}`);
  return node as T;
}

const form = byId<HTMLFormElement>("analysis-form");
const credential = byId<HTMLInputElement>("credential");
const resolution = byId<HTMLSelectElement>("resolution");
const analyseButton = byId<HTMLButtonElement>("analyse");
const drawButton = byId<HTMLButtonElement>("draw");
const cancelButton = byId<HTMLButtonElement>("cancel");
const retryButton = byId<HTMLButtonElement>("retry-imagery");
const status = byId("status");
const mapElement = byId("map");
/** What a running request disables: everything that changes the area or starts another request. */
const LOCKED: readonly (HTMLInputElement | HTMLSelectElement | HTMLButtonElement)[] = [
  ...FIELDS.map((name) => byId<HTMLInputElement>(name)),
  resolution,
  drawButton,
  byId<HTMLButtonElement>("demo"),
  analyseButton,
  retryButton,
];

let current: AnalysisReply | null = null;
/** The model's analysed range (GET /health): the API judges an area at the resolution it analyses. */
let modelRange: AnalysisLimitOptions = {};

function setStatus(text: string): void {
  status.textContent = text;
}

/** Show a failure (or none) and give it keyboard focus, so it is read out and acted on. */
function showError(f: FailureMessage | null): void {
  const box = byId("error");
  box.hidden = f === null;
  retryButton.hidden = true;
  byId("error-title").textContent = f?.title ?? "";
  byId("error-message").textContent = f?.message ?? "";
  if (f) {
    box.scrollIntoView({ block: "nearest" });
    box.focus({ preventScroll: true });
  }
}

/** True when keyboard focus is nowhere useful: on the page itself, or on a disabled or hidden control. */
function focusLost(): boolean {
  const a = document.activeElement as HTMLButtonElement | null;
  return !a || a === document.body || a.disabled === true || a.closest("[hidden]") !== null;
}

/**
 * While a request runs (controller set) the area, resolution, Demo, Draw and Analyse are disabled,
 * so its result always belongs to the area shown; Cancel aborts it.
 */
function setBusy(controller: AbortController | null): void {
  const on = controller !== null;
  for (const control of LOCKED) control.disabled = on;
  view.lock(on);
  cancelButton.hidden = !on;
  cancelButton.onclick = controller ? () => controller.abort() : null;
  if (on && focusLost()) cancelButton.focus();
}

function failureOf(error: unknown): FailureMessage {
  if (error instanceof ApiError) return error.failure;
  return {
    title: "Something went wrong in this page",
    message: error instanceof Error ? error.message : String(error),
  };
}

function setBbox(b: Bbox): void {
  FIELDS.forEach((name, i) => {
    byId<HTMLInputElement>(name).value = String(b[i]);
  });
}

function readBbox() {
  return parseBbox(FIELDS.map((name) => byId<HTMLInputElement>(name).value));
}

/** Mark the area's inputs at fault (all four for its size), or none. */
function markInvalid(fields: readonly number[]): void {
  FIELDS.forEach((name, i) => {
    const input = byId<HTMLInputElement>(name);
    if (fields.includes(i)) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  });
}

type AreaCheck = { ok: true; bbox: Bbox } | { ok: false; message: string; fields: readonly number[] };

/**
 * The area's size under the inputs, and whether the API would take it, checked before sending:
 * a request the API refuses still costs one analysis of the hourly quota.
 */
function checkArea(): AreaCheck {
  const area = readBbox();
  const hint = byId("area-size");
  let check: AreaCheck;
  if (!area.ok) {
    hint.textContent = "";
    check = { ok: false, message: area.message, fields: [area.field] };
  } else {
    const size = areaSize(area.bbox, Number(resolution.value), modelRange);
    hint.textContent = size.problem ? `${size.summary}. ${size.problem}` : size.summary;
    check = size.problem ? { ok: false, message: size.problem, fields: [0, 1, 2, 3] } : area;
  }
  hint.dataset.invalid = String(!check.ok);
  markInvalid(check.ok ? [] : check.fields);
  return check;
}

function save(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const view = new MapView(
  mapElement,
  DEMO_BBOX,
  (b) => {
    setBbox(b);
    checkArea();
    void view.showArea(b, false);
    setStatus("Area drawn. Press Analyse.");
  },
  // Draw mode ends after a box, a click without a drag, Escape, or when an analysis starts.
  (on) => {
    drawButton.setAttribute("aria-pressed", String(on));
    setStatus(on ? "Drag a box on the map (Escape stops drawing)." : "");
  },
  // A line clicked on the map: its row is chosen too (and scrolled to, unless the table lies
  // below the map: scrolling there would take the map out of view).
  (id) => {
    const words = selectRow(id, !stacked.matches);
    view.select(id);
    if (words) setStatus(`${words}, highlighted.`);
  },
);

// Where the pointer is, in WGS84 degrees to 1e-6° (about 0.1 m): an engineer reads coordinates off
// the imagery; gone when the pointer leaves the map.
const cursorPosition = byId("cursor-position");
view.map.on("mousemove", (e) => {
  cursorPosition.textContent = `${e.lngLat.lng.toFixed(6)}, ${e.lngLat.lat.toFixed(6)}`;
  cursorPosition.hidden = false;
});
view.map.getCanvasContainer().addEventListener("mouseleave", () => {
  cursorPosition.hidden = true;
});

/** Narrow screens put the map above the panel: a line chosen in the table is shown there. */
const stacked = window.matchMedia("(max-width: 900px)");

function lineChosen(id: string, words: string): void {
  view.select(id, true);
  setStatus(`${words}, highlighted on the map.`);
  if (stacked.matches) byId("map-wrap").scrollIntoView({ block: "start" });
}

/** GET the imagery only (not counted against the quota); on failure, say so and offer a retry. */
async function showImagery(reply: AnalysisReply, signal: AbortSignal): Promise<void> {
  const id = reply.result.analysis.id;
  const lines = reply.result.features.length;
  mapElement.dataset.overlay = "loading";
  try {
    const img = await picture(credential.value.trim(), id, "imagery", { signal });
    const extent = parseBoundsHeader(img.bounds) ?? reply.result.bbox;
    if (!extent) throw new Error("the imagery came without its extent");
    if (current !== reply) return;
    await view.showImagery(img.blob, extent);
    mapElement.dataset.overlay = "ready";
    byId("map-attribution").textContent =
      `Imagery: ${reply.result.analysis.imagery.attribution} · Map: MapLibre`;
    setStatus(`Done: ${lines} lines.`);
  } catch (error) {
    if (current !== reply) return;
    mapElement.dataset.overlay = "failed";
    setStatus(`Found ${lines} lines; the imagery could not be shown.`);
    const f = failureOf(error);
    showError({ title: "The imagery could not be shown", message: `${f.title}. ${f.message}` });
    retryButton.hidden = false;
  }
}

async function run(): Promise<void> {
  if (analyseButton.disabled) return;
  showError(null);
  const key = credential.value.trim();
  if (!key) {
    showError({
      title: "An API key or token is needed",
      message: "Paste your API key (lsn_…) or token above.",
    });
    credential.focus();
    return;
  }
  const area = checkArea();
  if (!area.ok) {
    showError({ title: "The area is not valid", message: area.message });
    byId<HTMLInputElement>(FIELDS[area.fields[0] ?? 0] ?? "west").focus();
    return;
  }
  sessionStorage.setItem(CREDENTIAL_KEY, key);
  await request("Analysing… a new area can take several seconds.", area.bbox, (signal) =>
    analyse(key, area.bbox, Number(resolution.value), { signal }),
  );
}

/** The result's id in the page's address (#analysis=…): a reload or a shared link opens it again. */
const ANALYSIS_HASH = /^#analysis=([0-9a-f]{64})$/;

const openLinked = byId<HTMLButtonElement>("open-linked");

/**
 * Open the result the address names, by id: not an analysis, so no quota is spent. On its own (a
 * load, a changed address) only with a credential already in this tab; else the user is asked for
 * one and opens it with a button, so typing a key never swaps the area being edited.
 */
async function openFromAddress(): Promise<void> {
  const id = ANALYSIS_HASH.exec(location.hash)?.[1];
  openLinked.hidden = true;
  if (!id || current?.result.analysis.id === id || analyseButton.disabled) return;
  const key = credential.value.trim();
  if (!key) {
    setStatus("This link names an analysis: paste your API key or token, then open it.");
    openLinked.hidden = false;
    return;
  }
  showError(null);
  await request("Opening the analysis…", null, (signal) => storedAnalysis(key, id, { signal }));
}

/** The page's resolution option nearest to `m` (a result's analysed resolution may be clamped). */
function showResolution(m: number): void {
  let best: HTMLOptionElement | undefined;
  for (const o of resolution.options) {
    if (!best || Math.abs(Number(o.value) - m) < Math.abs(Number(best.value) - m)) best = o;
  }
  if (best) resolution.value = best.value;
}

/** The ring of a result's area when it was a polygon (undefined for a box). */
function ringOf(reply: AnalysisReply): readonly (readonly number[])[] | undefined {
  const area = reply.result.analysis.request?.area;
  return area?.type === "Polygon" ? area.coordinates[0] : undefined;
}

/** Run one call that answers a result, then show it: markings, tables, then its imagery. */
async function request(
  busyText: string,
  area: Bbox | null,
  call: (signal: AbortSignal) => Promise<AnalysisReply>,
): Promise<void> {
  const controller = new AbortController();
  setBusy(controller);
  setStatus(busyText);
  if (area) void view.showArea(area);
  try {
    const reply = await call(controller.signal);
    current = reply;
    history.replaceState(null, "", `#analysis=${reply.result.analysis.id}`);
    openLinked.hidden = true;
    const shownArea = reply.result.bbox;
    if (!area && shownArea) {
      // Opened by id: the form says what this result answers, so Analyse would ask the same (for
      // a polygon made through the API, its bounding box: the result's row says so).
      const analysedAt = reply.result.analysis.request?.resolution_m;
      if (analysedAt !== undefined) showResolution(analysedAt);
      setBbox(shownArea);
      checkArea();
      void view.showArea(shownArea, true, ringOf(reply));
    }
    renderResult(reply, lineChosen);
    view.clearImagery();
    await view.showMarkings(reply.result.features);
    setStatus(`Found ${reply.result.features.length} lines; loading the imagery…`);
    // Focus (and the panel) moves to the result; the form stays one scroll away.
    byId("results").scrollIntoView({ block: "start" });
    byId("results-title").focus({ preventScroll: true });
    await showImagery(reply, controller.signal);
  } catch (error) {
    const e = error as ApiError & { rateLimit?: RateLimitState | null; policy?: RateLimitPolicy | null };
    if (current && e.rateLimit !== undefined) renderQuota(e.rateLimit ?? null, e.policy ?? null);
    // The map goes on showing the last result: its outline, not the area that failed.
    const shown = current?.result.bbox;
    if (shown) void view.showArea(shown, false, current ? ringOf(current) : undefined);
    // …and the address names that result again, not one that could not be opened.
    history.replaceState(null, "", current ? `#analysis=${current.result.analysis.id}` : location.pathname);
    if (e instanceof ApiError && e.aborted === "cancelled") {
      setStatus("Analysis cancelled. Change the area or analyse again.");
    } else {
      setStatus("");
      showError(failureOf(error));
    }
  } finally {
    setBusy(null);
    if (focusLost()) analyseButton.focus();
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void run();
});

drawButton.addEventListener("click", () => {
  view.setDrawMode(!view.drawMode);
});

retryButton.addEventListener("click", async () => {
  const reply = current;
  if (!reply) return;
  showError(null);
  const controller = new AbortController();
  setBusy(controller);
  setStatus("Loading the imagery…");
  try {
    await showImagery(reply, controller.signal);
    if (mapElement.dataset.overlay === "ready") byId("results-title").focus();
  } finally {
    setBusy(null);
  }
});

byId("demo").addEventListener("click", () => {
  setBbox(DEMO_BBOX);
  checkArea();
  void view.showArea(DEMO_BBOX);
});

for (const name of FIELDS) {
  byId<HTMLInputElement>(name).addEventListener("change", () => {
    const area = checkArea();
    if (area.ok) void view.showArea(area.bbox);
  });
}
resolution.addEventListener("change", () => checkArea());

byId("download-geojson").addEventListener("click", () => {
  if (!current) return;
  const id = current.result.analysis.id;
  save(`lanesegnet-${id.slice(0, 12)}.geojson`, new Blob([current.text], { type: "application/geo+json" }));
});

byId("download-overlay").addEventListener("click", async () => {
  if (!current) return;
  const id = current.result.analysis.id;
  const button = byId<HTMLButtonElement>("download-overlay");
  button.disabled = true;
  setStatus("Drawing the overlay…");
  try {
    const png = await picture(credential.value.trim(), id, "overlay");
    save(`lanesegnet-${id.slice(0, 12)}-overlay.png`, png.blob);
    setStatus("Overlay downloaded.");
  } catch (error) {
    setStatus("");
    showError(failureOf(error));
  } finally {
    button.disabled = false;
  }
});

window.addEventListener("unhandledrejection", (e) => {
  showError(failureOf(e.reason));
});

credential.value = sessionStorage.getItem(CREDENTIAL_KEY) ?? "";
setBbox(DEMO_BBOX);
checkArea();
renderLegend();
void view.showArea(DEMO_BBOX);
openLinked.addEventListener("click", () => {
  const key = credential.value.trim();
  if (!key) {
    credential.focus();
    return;
  }
  sessionStorage.setItem(CREDENTIAL_KEY, key);
  void openFromAddress();
});
window.addEventListener("hashchange", () => void openFromAddress());
void openFromAddress();
void analysedRange({ timeoutMs: 10_000 }).then((range) => {
  if (!range) return;
  modelRange = { finestAnalysedM: range.min, coarsestAnalysedM: range.max };
  checkArea();
});

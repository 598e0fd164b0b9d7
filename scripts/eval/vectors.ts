/**
 * Vector-level evaluation through the whole backend (issue 5's targets), over several generated
 * worlds: each world is served as Web Mercator tiles by a loopback "Esri" server, the real backend
 * (model, tiling, vectoriser, physics filters, GeoJSON) analyses its central area, and the lines are
 * scored against the world's true lane lines (scripts/eval/vector-match.ts, 0.5 m tolerance).
 *
 *   npm run eval:vectors -- [--seeds 31,32,33] [--model FILE] [--resolution 0.25] [--min-confidence C]
 *                           [--params JSON ...] [--json FILE] [--lines FILE]
 *
 * Prints, per world and pooled over all: share of the painted length the model itself labels as a
 * marking within 0.5 m and the share the returned lines lie on (mask-coverage.ts), share of true
 * length found, share of reported length that is false, mean offset, class agreement, dashed
 * agreement and reported/true length ratio.
 * `--lines FILE` also writes one row per line (each reported line's width, confidence, length and
 * false share; each true line's class and found share): how the vectoriser thresholds in
 * gpu-backend/src/postprocess/params.ts were chosen, on seeds the report does not use. The test
 * world of test/backend/esri-e2e.test.ts is seed 31; other seeds are worlds no test looks at.
 * `--params '{"bridgeMinRadiusM":100}'` (repeatable) also vectorises each world's segmentation
 * again with those vectoriser parameters changed and prints a table per variant: a tuning run
 * costs one inference per world, whatever the number of variants.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AnalysisResponse, MercatorGrid } from "@lanesegnet/shared";
import { DEFAULT_MIN_CONFIDENCE } from "../../gpu-backend/src/analysis/internal-request.js";
import { vectoriserInput } from "../../gpu-backend/src/analysis/run-analysis.js";
import { loadConfig } from "../../gpu-backend/src/config.js";
import {
  clipRegionFromBbox,
  DEFAULT_PARAMS,
  type VectoriseParams,
  vectoriseToFeatures,
} from "../../gpu-backend/src/postprocess/index.js";
import { createEsriProvider } from "../../gpu-backend/src/providers/esri.js";
import type { RgbRaster, Segmentation } from "../../gpu-backend/src/runtime/segment.js";
import { startBackend } from "../../gpu-backend/src/server.js";
import { inputFile, numberFlag, outputFiles, runCli, UsageError } from "../cli/run.js";
import type { World } from "../scenes/world.js";
import { type DashMatch, medianAbs } from "./dash-match.js";
import {
  analyseSigned,
  dashesAgainstWorld,
  e2eArea,
  e2eWorld,
  linesAgainstWorld,
  paintAgainstWorld,
  scoreAgainstWorld,
  serveWorldTiles,
} from "./e2e-world.js";
import type { PaintCoverage } from "./mask-coverage.js";
import type { VectorMatch } from "./vector-match.js";

const SECRET = "eval-vectors-signing-secret-0123456789abcdef";

function fail(message: string): never {
  throw new UsageError(message);
}

const pct = (v: number | null) => (v === null ? "–" : `${(100 * v).toFixed(1)} %`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "31,32,33,34,35" },
      model: { type: "string" },
      resolution: { type: "string", default: "0.25" },
      "min-confidence": { type: "string" },
      json: { type: "string" },
      lines: { type: "string" },
      params: { type: "string", multiple: true, default: [] },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.info(
      "usage: npm run eval:vectors -- [--seeds 31,32,33,34,35] [--model FILE] [--resolution 0.25] [--min-confidence C] [--json FILE] [--lines FILE] [--params JSON ...]",
    );
    return;
  }
  await outputFiles({ "--json": values.json, "--lines": values.lines });
  const variants = values.params.map(parseVariant);
  const parts = values.seeds.split(",");
  const seeds = parts.map(Number);
  // Number("") is 0: an empty entry ("31,", "") must not become world 0.
  const wellFormed = parts.every((p) => /^\d+$/.test(p.trim()));
  if (!wellFormed || seeds.length === 0 || seeds.length > 50 || !seeds.every((s) => Number.isInteger(s))) {
    fail("--seeds must be 1-50 non-negative integers, comma-separated");
  }
  const resolutionM = numberFlag("resolution", values.resolution, { min: 0.05, max: 1 });
  const minConfidence =
    values["min-confidence"] === undefined
      ? undefined
      : numberFlag("min-confidence", values["min-confidence"], { min: 0, max: 1 });

  // Named before its card: the file given is what is missing, not the card beside it.
  if (values.model) await inputFile("model file", resolve(values.model));

  let world: World | undefined;
  const tiles = await serveWorldTiles(() => world as World);
  const config = loadConfig({
    BACKEND_SIGNING_SECRET: SECRET,
    BACKEND_PORT: "0",
    LOG_LEVEL: "silent",
    ...(values.model ? { MODEL_PATH: values.model } : {}),
  });
  // The model's class ids of the last analysis and their grid (to score what it labels).
  const last: { seg?: (Segmentation & { grid: MercatorGrid; image: RgbRaster }) | undefined } = {};
  const backend = await startBackend(config, {
    providers: new Map([["esri", createEsriProvider({ urlTemplate: tiles.template })]]),
    onSegmentation: (seg, grid, image) => {
      last.seg = { ...seg, grid, image };
    },
  });
  const variantRows: VariantRow[][] = [[], ...variants.map(() => [])];
  const perLine: Record<string, unknown>[] = [];
  try {
    for (const seed of seeds) {
      world = e2eWorld(seed);
      const bbox = e2eArea(world);
      const res = await analyseSigned(backend.url, SECRET, bbox, {
        resolutionM,
        ...(minConfidence === undefined ? {} : { minConfidence }),
      });
      if (res.status !== 200)
        throw new Error(`backend answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const result = (await res.json()) as AnalysisResponse;
      const seg = last.seg;
      last.seg = undefined;
      if (!seg) throw new Error("the backend reported no segmentation");
      const rowOf = (features: AnalysisResponse["features"]): VariantRow => {
        const paint = paintAgainstWorld(world as World, seg, features);
        return {
          seed,
          features: features.length,
          score: scoreAgainstWorld(world as World, features, bbox),
          dashes: dashesAgainstWorld(world as World, features),
          paint: paint.labelled,
          paintFound: paint.found,
        };
      };
      variantRows[0]!.push(rowOf(result.features));
      variants.forEach((v, k) => {
        const { collection } = vectoriseToFeatures(vectoriserInput(seg), seg.grid, {
          clip: clipRegionFromBbox(seg.grid, bbox),
          image: seg.image,
          minConfidence: minConfidence ?? DEFAULT_MIN_CONFIDENCE,
          params: v.params,
        });
        variantRows[k + 1]!.push(rowOf(collection.features));
      });
      if (values.lines)
        for (const row of linesAgainstWorld(world, result.features, bbox)) perLine.push({ seed, ...row });
      process.stderr.write(`eval:vectors: world ${seed}: ${result.features.length} lines\n`);
    }
  } finally {
    await backend.close();
    await tiles.close();
  }

  const reports = variantRows.map((rows) => pooledReport(rows));
  process.stdout.write(`${reports[0]!.table}\n`);
  variants.forEach((v, k) => {
    process.stdout.write(`\nVectorised again with ${v.label}:\n\n${reports[k + 1]!.table}\n`);
  });
  if (values.lines) await writeFile(values.lines, `${JSON.stringify(perLine)}\n`);
  if (values.json) {
    await writeFile(
      values.json,
      JSON.stringify(
        {
          resolutionM,
          minConfidence: minConfidence ?? null,
          rows: variantRows[0],
          pooled: reports[0]!.pooled,
          variants: variants.map((v, k) => ({
            params: v.params,
            rows: variantRows[k + 1],
            pooled: reports[k + 1]!.pooled,
          })),
        },
        null,
        2,
      ),
    );
  }
}

interface VariantRow {
  seed: number;
  features: number;
  score: VectorMatch;
  dashes: DashMatch;
  paint: PaintCoverage;
  paintFound: PaintCoverage;
}

/** A `--params` value: a JSON object of vectoriser parameters, each one the defaults have. */
function parseVariant(text: string): { label: string; params: Partial<VectoriseParams> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`--params ${text}: not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    fail(`--params ${text}: must be a JSON object`);
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(DEFAULT_PARAMS, key)) fail(`--params: no vectoriser parameter "${key}"`);
    const def = DEFAULT_PARAMS[key as keyof VectoriseParams];
    if (typeof value !== typeof def) fail(`--params: "${key}" must be a ${typeof def}, like its default`);
  }
  return { label: `\`${text}\``, params: parsed as Partial<VectoriseParams> };
}

/** Per-world rows and the length-weighted pool over all worlds, as a markdown table. */
function pooledReport(rows: readonly VariantRow[]) {
  const sum = (f: (s: VectorMatch) => number) => rows.reduce((a, r) => a + f(r.score), 0);
  const truthM = sum((s) => s.truthLengthM);
  const detM = sum((s) => s.detectedLengthM);
  const foundM = sum((s) => s.recall * s.truthLengthM);
  const falseM = sum((s) => s.falseShare * s.detectedLengthM);
  const paintedM = rows.reduce((a, r) => a + r.paint.paintedM, 0);
  const paintSeen = paintedM > 0 ? rows.reduce((a, r) => a + r.paint.coveredM, 0) / paintedM : 0;
  const paintFound = paintedM > 0 ? rows.reduce((a, r) => a + r.paintFound.coveredM, 0) / paintedM : 0;
  const pooled = {
    truthLengthM: truthM,
    detectedLengthM: detM,
    recall: truthM > 0 ? foundM / truthM : 0,
    falseShare: detM > 0 ? falseM / detM : 0,
    meanOffsetM: foundM > 0 ? sum((s) => s.meanOffsetM * s.recall * s.truthLengthM) / foundM : 0,
    classAgreement: foundM > 0 ? sum((s) => s.classAgreement * s.recall * s.truthLengthM) / foundM : 0,
    lengthRatio: truthM > 0 ? sum((s) => s.lengthRatio * s.truthLengthM) / truthM : 0,
    foundLengthRatio: foundM > 0 ? sum((s) => s.foundLengthRatio * s.recall * s.truthLengthM) / foundM : 0,
    paintSeen,
    paintFound,
    dashes: poolDashes(rows.map((r) => r.dashes)),
  };
  const seenOf = (p: PaintCoverage) => (p.paintedM > 0 ? p.coveredM / p.paintedM : 0);
  const table = [
    `| world | lines | true m | paint: labelled by the model | paint: found by the lines | found (≥ 90 %) | false (≤ 10 %) | offset m | class | dashed | length ratio (1 ± 0.02) | found length ratio |`,
    `| --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |`,
    ...rows.map(
      ({ seed, features, score: s, paint, paintFound: pf }) =>
        `| ${seed} | ${features} | ${s.truthLengthM.toFixed(0)} | ${pct(seenOf(paint))} | ${pct(seenOf(pf))} | ${pct(s.recall)} | ${pct(s.falseShare)} | ${s.meanOffsetM.toFixed(3)} | ${pct(s.classAgreement)} | ${pct(s.dashedAgreement)} | ${s.lengthRatio.toFixed(3)} | ${s.foundLengthRatio.toFixed(3)} |`,
    ),
    `| all | ${rows.reduce((a, r) => a + r.features, 0)} | ${truthM.toFixed(0)} | ${pct(paintSeen)} | ${pct(paintFound)} | ${pct(pooled.recall)} | ${pct(pooled.falseShare)} | ${pooled.meanOffsetM.toFixed(3)} | ${pct(pooled.classAgreement)} | | ${pooled.lengthRatio.toFixed(3)} | ${pooled.foundLengthRatio.toFixed(3)} |`,
    "",
    dashLine(pooled.dashes),
  ].join("\n");
  return { pooled, table };
}

runCli("eval:vectors", main);

function poolDashes(all: readonly DashMatch[]) {
  const dashErrorsM = all.flatMap((d) => d.dashErrorsM);
  const gapErrorsM = all.flatMap((d) => d.gapErrorsM);
  const onDashedLanes = all.reduce((a, d) => a + d.onDashedLanes, 0);
  const withStats = all.reduce((a, d) => a + d.withStats, 0);
  return {
    onDashedLanes,
    withStats,
    within25: all.reduce((a, d) => a + d.within25, 0),
    medianAbsDashErrorM: medianAbs(dashErrorsM),
    medianAbsGapErrorM: medianAbs(gapErrorsM),
  };
}

function dashLine(d: ReturnType<typeof poolDashes>): string {
  const m = (v: number | null) => (v === null ? "–" : `${v.toFixed(2)} m`);
  return `Dash statistics: ${d.withStats} of the ${d.onDashedLanes} dashed lines on true dashed lanes carry them; against the painted pattern, median |mean dash − true| ${m(d.medianAbsDashErrorM)}, |mean gap − true| ${m(d.medianAbsGapErrorM)}; both within 25 %: ${d.within25} of ${d.withStats}.`;
}

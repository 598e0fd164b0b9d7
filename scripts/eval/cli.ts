/**
 * Evaluation CLI: scores an ONNX model on an MMSegmentation-layout split with the production
 * pre-processing, tiling and runtime (gpu-backend/src/runtime), so the figures are the service's.
 *
 *   npm run eval -- --data ROOT --split test [--model FILE] [--pred-out DIR] [--json FILE]
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import sharp, { type OutputInfo } from "sharp";
import { loadModelManifest } from "../../gpu-backend/src/runtime/model-manifest.js";
import { InferencePool } from "../../gpu-backend/src/runtime/pool.js";
import { segmentRaster } from "../../gpu-backend/src/runtime/segment.js";
import {
  inputFile,
  numberFlag,
  outputFiles,
  outputFolder,
  outsideOf,
  runCli,
  UsageError,
} from "../cli/run.js";
import { SegmentationScore, type SplitMetrics } from "./metrics.js";

/** Each worker holds a model session and its tile buffers: more than this only thrashes memory. */
const MAX_WORKERS = 64;

const USAGE = `usage: npm run eval -- --data ROOT --split SPLIT [options]
  --data ROOT         MMSegmentation layout: ROOT/img_dir/SPLIT, ROOT/ann_dir/SPLIT
  --split NAME        train | val | test (default test)
  --model FILE        ONNX model (default models/lanesegnet-lite.onnx; its .json card beside it)
  --pred-out DIR      write each predicted mask as DIR/<id>.png (class ids)
  --json FILE         write the metrics as JSON
  --limit N           score only the first N images (sorted by id)
  --ep LIST           execution providers in order (default cpu), e.g. webgpu,cpu
  --workers N         inference workers (default 1, at most ${MAX_WORKERS})
  --tile N            largest tile side (default 1024)
  --overlap N         tile overlap in pixels (default 64)
  --record NAME       store the metrics in the model card's "metrics" under NAME`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      split: { type: "string", default: "test" },
      model: { type: "string", default: "models/lanesegnet-lite.onnx" },
      "pred-out": { type: "string" },
      json: { type: "string" },
      limit: { type: "string" },
      ep: { type: "string", default: "cpu" },
      workers: { type: "string", default: "1" },
      tile: { type: "string", default: "1024" },
      overlap: { type: "string", default: "64" },
      record: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return null;
  if (!values.data) throw new UsageError("--data ROOT is required");
  return {
    data: values.data,
    split: values.split!,
    model: values.model!,
    predOut: values["pred-out"],
    json: values.json,
    limit:
      values.limit === undefined ? undefined : numberFlag("limit", values.limit, { min: 1, integer: true }),
    eps: values.ep!.split(",").filter(Boolean),
    workers: numberFlag("workers", values.workers, { min: 1, max: MAX_WORKERS, integer: true }),
    tile: numberFlag("tile", values.tile, { min: 64, integer: true }),
    overlap: numberFlag("overlap", values.overlap, { min: 0, integer: true }),
    record: values.record,
  };
}

async function listPairs(root: string, split: string, limit?: number) {
  const imgDir = join(root, "img_dir", split);
  const annDir = join(root, "ann_dir", split);
  let files: string[];
  try {
    files = await readdir(imgDir);
  } catch {
    throw new UsageError(`no images folder ${imgDir}`);
  }
  const images = files.filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  if (images.length === 0) throw new UsageError(`no images in ${imgDir}`);
  const pairs = images.map((f) => ({
    id: basename(f, extname(f)),
    image: join(imgDir, f),
    mask: join(annDir, `${basename(f, extname(f))}.png`),
  }));
  return limit ? pairs.slice(0, limit) : pairs;
}

/**
 * A mask's class ids. 8-bit grey (or grey stored as colour) only: a palette PNG decodes to its
 * colours, and one channel of those would be read as wrong class ids without a word; a 16-bit one
 * decodes scaled to 8 bits (id / 257), which turns every class id into background, and a 1-, 2- or
 * 4-bit one scaled up to 8 bits.
 */
async function readClassIds(file: string, id: string): Promise<{ data: Buffer; info: OutputInfo }> {
  // libvips widens fewer bits to 8 by scaling too (1-bit 0/1 reads as 0/255: the ignore label).
  const { depth, bitsPerSample } = await sharp(file).metadata();
  if (depth !== "uchar" || (bitsPerSample !== undefined && bitsPerSample !== 8)) {
    throw new UsageError(
      `mask ${id} has ${bitsPerSample ?? depth}-bit samples: expected 8-bit greyscale class ids`,
    );
  }
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const c = info.channels;
  if (c === 1) return { data, info };
  for (let i = 0; i < data.length; i += c) {
    for (let k = 1; k < c; k++)
      if (data[i + k] !== data[i])
        throw new UsageError(`mask ${id} is a colour or palette image: expected 8-bit greyscale class ids`);
  }
  const grey = Buffer.alloc(info.width * info.height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[p * c]!;
  return { data: grey, info: { ...info, channels: 1 } };
}

function fmt(x: number | null): string {
  return x === null ? "  n/a" : x.toFixed(4);
}

function report(m: SplitMetrics, seconds: number): string {
  const lines = [
    `images ${m.images}, ${(m.pixels / 1e6).toFixed(1)} Mpx scored, ${(m.images / seconds).toFixed(2)} images/s`,
    "per-class IoU:",
    ...Object.entries(m.perClassIoU).map(([k, v]) => `  ${k.padEnd(22)} ${fmt(v)}`),
    `lane mIoU (classes 1-6 present)  ${fmt(m.laneMIoU)}`,
    `mIoU (MMSeg, incl. background)   ${fmt(m.mmsegMIoU)}`,
    `  the same over classes in GT or prediction (MMSeg's code; a false class counts 0): lane ${fmt(m.laneMIoUStrict)}, incl. background ${fmt(m.mmsegMIoUStrict)}`,
    `binary marking IoU               ${fmt(m.binaryIoU)}`,
    `relaxed F1 @3px                  ${fmt(m.relaxedF1_3px)} (P ${fmt(m.relaxedPrecision3px)}, R ${fmt(m.relaxedRecall3px)})`,
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  if (!opts) {
    console.info(USAGE);
    return;
  }
  await outputFiles({ "--json": opts.json });
  if (opts.predOut) {
    outsideOf("--pred-out", opts.predOut, {
      "the images": join(opts.data, "img_dir"),
      "the ground truth": join(opts.data, "ann_dir"),
    });
    await outputFolder("--pred-out", opts.predOut);
  }
  const modelPath = resolve(opts.model);
  // Named before its card: the file given is what is missing, not the card beside it.
  await inputFile("model file", modelPath);
  const model = await loadModelManifest(modelPath, modelPath.replace(/\.onnx$/, ".json"));
  const pairs = await listPairs(opts.data, opts.split, opts.limit);
  const tile = Math.floor(opts.tile / model.sizeMultiple) * model.sizeMultiple;
  const pool = await InferencePool.start({ modelPath, executionProviders: opts.eps, workers: opts.workers });
  if (opts.predOut) await mkdir(opts.predOut, { recursive: true });
  const score = new SegmentationScore();
  const started = performance.now();
  try {
    // Keep every worker busy: score images concurrently, one in flight per worker.
    let next = 0;
    const runOne = async () => {
      while (next < pairs.length) {
        const pair = pairs[next++]!;
        // sharp's own message ("Input file contains unsupported image format") names no file.
        const named = <T>(file: string, read: Promise<T>) =>
          read.catch((error: unknown) => {
            if (error instanceof UsageError) throw error;
            throw new Error(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
          });
        const [img, ann] = await Promise.all([
          named(
            pair.image,
            sharp(pair.image).removeAlpha().toColorspace("srgb").raw().toBuffer({ resolveWithObject: true }),
          ),
          named(pair.mask, readClassIds(pair.mask, pair.id)),
        ]);
        const { width, height } = img.info;
        if (ann.info.width !== width || ann.info.height !== height)
          throw new UsageError(`mask size differs from image: ${pair.id}`);
        const seg = await segmentRaster(
          pool,
          { width, height, rgb: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length) },
          {
            normalisation: model.normalisation,
            sizeMultiple: model.sizeMultiple,
            maxTile: tile,
            overlap: opts.overlap,
            batch: 1,
          },
        );
        score.add(
          seg.labels,
          new Uint8Array(ann.data.buffer, ann.data.byteOffset, ann.data.length),
          width,
          height,
        );
        if (opts.predOut) {
          // One 8-bit grey channel, like ann_dir: without "b-w" sharp writes three equal RGB channels.
          await sharp(seg.labels, { raw: { width, height, channels: 1 } })
            .toColourspace("b-w")
            .png()
            .toFile(join(opts.predOut, `${pair.id}.png`));
        }
      }
    };
    await Promise.all(Array.from({ length: opts.workers }, runOne));
  } finally {
    await pool.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const metrics = score.result();
  console.info(
    `model ${model.manifest.name} ${model.manifest.version} on ${pool.provider}; ${opts.data} [${opts.split}]`,
  );
  console.info(report(metrics, seconds));
  const result = {
    model: { name: model.manifest.name, version: model.manifest.version, sha256: model.manifest.sha256 },
    data: resolve(opts.data),
    split: opts.split,
    executionProvider: pool.provider,
    imagesPerSecond: metrics.images / seconds,
    tile,
    overlap: opts.overlap,
    ...metrics,
  };
  if (opts.json) await writeFile(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  if (opts.record) {
    const cardPath = modelPath.replace(/\.onnx$/, ".json");
    const card = JSON.parse(await readFile(cardPath, "utf8")) as { metrics?: Record<string, unknown> };
    card.metrics = {
      ...card.metrics,
      [opts.record]: { ...result, data: opts.data, evaluated: new Date().toISOString() },
    };
    await writeFile(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  }
}

runCli("eval", main);

/**
 * What one worker does for one scene: render (procedural or from AEL geometry) or convert (AEL with
 * its image), write the MMSeg sample, and report the manifest entry.
 */
import { readFileSync } from "node:fs";
import { createMask, mercatorToLonLat, rasterizeLanes } from "@lanesegnet/shared";
import { geometryFromAel } from "./geometry/ael-geometry.js";
import type { LayoutKind } from "./geometry/layouts.js";
import type { StyleName } from "./markings/styles.js";
import { AelAnnotationSchema, aelGroundGsd, aelLaneClass, aelLanePixels } from "./outputs/ael-format.js";
import type { ManifestScene } from "./outputs/manifest.js";
import { classPixels, type ImageFormat, writeMmsegSample } from "./outputs/mmseg.js";
import { type LonLat, placeScene } from "./place.js";
import { hash32, Rng } from "./random.js";
import { decodeRaw } from "./render/encode.js";
import { renderScene } from "./scene.js";

export interface ProceduralJob {
  kind: "procedural";
  id: string;
  split: string;
  seed: number;
  width: number;
  height: number;
  gsdM: number;
  at: LonLat;
  out: string;
  format: ImageFormat;
  layout?: LayoutKind;
  style?: StyleName;
}

export interface AelJob {
  kind: "ael";
  id: string;
  split: string;
  /** Annotation JSON path. */
  file: string;
  /** Image to convert as is; when absent the scene is rendered from the geometry. */
  image: string | null;
  seed: number;
  /** Output size when rendering (defaults to the annotation's resolution). */
  size: number | null;
  out: string;
  format: ImageFormat;
}

export type Job = ProceduralJob | AelJob;

export async function runJob(job: Job): Promise<ManifestScene> {
  return job.kind === "procedural" ? runProcedural(job) : runAel(job);
}

async function runProcedural(job: ProceduralJob): Promise<ManifestScene> {
  const scene = renderScene({
    seed: job.seed,
    width: job.width,
    height: job.height,
    gsdM: job.gsdM,
    ...(job.layout ? { layout: job.layout } : {}),
    ...(job.style ? { style: job.style } : {}),
  });
  const placed = placeScene(scene, job.at);
  await writeMmsegSample(
    job.out,
    job.split,
    job.id,
    {
      width: scene.width,
      height: scene.height,
      rgb: scene.rgb,
      mask: scene.mask,
      jpegQuality: scene.meta.jpegQuality,
    },
    job.format,
  );
  return {
    id: job.id,
    split: job.split,
    width: scene.width,
    height: scene.height,
    gsdM: round(scene.gsdM),
    footprint: placed.sidecar.region,
    centre: [job.at.lon, job.at.lat],
    lanes: scene.lanes.length,
    classPixels: classPixels(scene.mask),
    source: "procedural",
    layout: scene.meta.layout,
    style: scene.meta.style,
    environment: scene.meta.environment,
    jpegQuality: job.format === "jpg" ? scene.meta.jpegQuality : 100,
  };
}

async function runAel(job: AelJob): Promise<ManifestScene> {
  const ann = AelAnnotationSchema.parse(JSON.parse(readFileSync(job.file, "utf8")));
  const [minX, minY, maxX, maxY] = ann.region;
  const centre = mercatorToLonLat((minX + maxX) / 2, (minY + maxY) / 2);
  const base = { id: job.id, split: job.split, footprint: ann.region, centre };
  if (job.image) {
    // Convert: the image as is, the mask from the annotation by the shared rule.
    const [w, h] = ann.resolution;
    const encoded = readFileSync(job.image);
    const decoded = await decodeRaw(encoded);
    if (decoded.width !== w || decoded.height !== h) {
      throw new Error(`${job.id}: image is ${decoded.width}x${decoded.height}, annotation says ${w}x${h}`);
    }
    const gsd = aelGroundGsd(ann);
    const lanes = ann.lanes.map((l) => ({ classId: aelLaneClass(l), points: aelLanePixels(l) }));
    const mask = rasterizeLanes(createMask(w, h), lanes, gsd).data;
    const ext = job.image.toLowerCase().endsWith(".png") ? "png" : "jpg";
    await writeMmsegSample(
      job.out,
      job.split,
      job.id,
      { width: w, height: h, encoded, mask, jpegQuality: 0 },
      ext,
    );
    return {
      ...base,
      width: w,
      height: h,
      gsdM: round(gsd),
      lanes: lanes.length,
      classPixels: classPixels(mask),
      source: "ael-image",
    };
  }
  // Render from the real geometry with the generator's appearance model.
  const rng = new Rng(hash32("ael", job.seed, job.id));
  const { geometry, sourceGsdM } = geometryFromAel(ann, job.id, rng);
  const size = job.size ?? ann.resolution[0];
  const scale = size / ann.resolution[0];
  const height = Math.round(ann.resolution[1] * scale);
  const scene = renderScene({
    seed: hash32(job.seed, job.id),
    width: size,
    height,
    gsdM: sourceGsdM / scale,
    geometry,
  });
  await writeMmsegSample(
    job.out,
    job.split,
    job.id,
    { width: size, height, rgb: scene.rgb, mask: scene.mask, jpegQuality: scene.meta.jpegQuality },
    job.format,
  );
  return {
    ...base,
    width: size,
    height,
    gsdM: round(scene.gsdM),
    lanes: scene.lanes.length,
    classPixels: classPixels(scene.mask),
    source: "ael-render",
    style: scene.meta.style,
    environment: scene.meta.environment,
    jpegQuality: job.format === "jpg" ? scene.meta.jpegQuality : 100,
  };
}

function round(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}

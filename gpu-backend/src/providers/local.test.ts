import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CoverageIndex,
  groundResolution,
  type MercatorBbox,
  type MercatorGrid,
  mercatorToLonLat,
  pixelToMercator,
} from "@lanesegnet/shared";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildIndexFromStore } from "../coverage/store.js";
import { targetGrid } from "../raster/target-grid.js";
import { NoCoverageError, ProviderBadDataError, TooCoarseError } from "./errors.js";
import { coverageIndexLookup, createLocalProvider, type LocalCoverageLookup } from "./local.js";

const AX = -41_900;
const AY = 4_790_000;

interface StoreImage {
  readonly id: string;
  readonly ext: "jpg" | "png";
  readonly grid: MercatorGrid;
  readonly colour: (x: number, y: number) => [number, number, number];
}

// A: coarse (0.5 m), red-dominant, JPEG. B: fine (0.2 m), blue-dominant, PNG, overlapping A's
// east part and reaching 30 m beyond it.
const A: StoreImage = {
  id: "a",
  ext: "jpg",
  grid: { originX: AX, originY: AY, resolution: 0.5, width: 400, height: 300 },
  colour: (x, y) => [190 + 40 * Math.sin((x - AX) / 9), 90 + 30 * Math.sin((y - AY) / 13), 40],
};
const B: StoreImage = {
  id: "b",
  ext: "png",
  grid: { originX: AX + 130.3, originY: AY - 40.7, resolution: 0.2, width: 500, height: 400 },
  colour: (x, y) => [40, 90 + 30 * Math.sin((x - AX) / 11), 190 + 40 * Math.sin((y - AY) / 7)],
};

function footprint(g: MercatorGrid): MercatorBbox {
  return [g.originX, g.originY - g.height * g.resolution, g.originX + g.width * g.resolution, g.originY];
}

async function writeImage(dir: string, img: StoreImage): Promise<void> {
  const { width, height } = img.grid;
  const rgb = new Uint8Array(width * height * 3);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const [x, y] = pixelToMercator(img.grid, i + 0.5, j + 0.5);
      rgb.set(
        img.colour(x, y).map((v) => v + 0.5),
        (j * width + i) * 3,
      );
    }
  }
  const s = sharp(rgb, { raw: { width, height, channels: 3 } });
  await writeFile(
    path.join(dir, `${img.id}.${img.ext}`),
    await (img.ext === "jpg" ? s.jpeg({ quality: 95 }) : s.png()).toBuffer(),
  );
  const sidecar = {
    coordinates_type: "EPSG:3857",
    region: footprint(img.grid),
    resolution: [width, height],
    meters_per_pixel: img.grid.resolution,
    lanes: [],
  };
  await writeFile(path.join(dir, `${img.id}.json`), JSON.stringify(sidecar));
}

/** lon/lat bbox of Mercator offsets from (AX, AY): x east, y south. */
function bbox(left: number, top: number, right: number, bottom: number) {
  const [west, north] = mercatorToLonLat(AX + left, AY - top);
  const [east, south] = mercatorToLonLat(AX + right, AY - bottom);
  return [west, south, east, north] as const;
}

let dir: string;
let lookup: LocalCoverageLookup;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "local-provider-"));
  await Promise.all([writeImage(dir, A), writeImage(dir, B)]);
  const store = await buildIndexFromStore(dir);
  lookup = coverageIndexLookup(CoverageIndex.from(store.buffer));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("local store provider", () => {
  it("mosaics overlapping images with the finest on top and a seam exactly where the footprints say", async () => {
    const provider = createLocalProvider({ dir, lookup });
    const area = bbox(100, 45, 220, 110);
    const lat = (area[1] + area[3]) / 2;
    const grid = targetGrid(area, 0.3);
    const result = await provider.fetch({ grid, bboxLonLat: area });
    expect(result).toMatchObject({ provider: "local", coverage: 1 });
    // A supplies the west part, so the mosaic is only as fine as A.
    expect(result.groundResolutionM).toBeCloseTo(groundResolution(0.5, lat), 12);

    const [bx0, by0, bx1, by1] = footprint(B.grid);
    let wrongOwner = 0;
    let errA = 0;
    let nA = 0;
    let errB = 0;
    let nB = 0;
    for (let j = 0; j < grid.height; j++) {
      for (let i = 0; i < grid.width; i++) {
        const [x, y] = pixelToMercator(grid, i + 0.5, j + 0.5);
        const inB = x >= bx0 && x < bx1 && y > by0 && y <= by1;
        const o = (j * grid.width + i) * 3;
        const px = [...result.raster.rgb.subarray(o, o + 3)];
        const looksB = px[2]! > px[0]!;
        if (looksB !== inB) wrongOwner++;
        const want = (inB ? B : A).colour(x, y);
        const e = Math.abs(px[0]! - want[0]) + Math.abs(px[1]! - want[1]) + Math.abs(px[2]! - want[2]);
        if (inB) {
          errB += e;
          nB += 3;
        } else {
          errA += e;
          nA += 3;
        }
      }
    }
    expect(wrongOwner).toBe(0);
    expect(nA).toBeGreaterThan(0);
    expect(nB).toBeGreaterThan(0);
    expect(errA / nA).toBeLessThan(2.5); // JPEG + bilinear
    expect(errB / nB).toBeLessThan(1); // PNG + bilinear
  });

  it("reports the fine image's resolution when it alone fills the area", async () => {
    const provider = createLocalProvider({ dir, lookup });
    const area = bbox(140, 50, 220, 110);
    const result = await provider.fetch({ grid: targetGrid(area, 0.25), bboxLonLat: area });
    expect(result.groundResolutionM).toBeCloseTo(groundResolution(0.2, (area[1] + area[3]) / 2), 12);
  });

  it("refuses areas the images do not fully cover, with the covered fraction", async () => {
    const provider = createLocalProvider({ dir, lookup });
    // x 180..260: A ends at 200, B at 230.3; y 50..100 is inside B's rows.
    const area = bbox(180, 50, 260, 100);
    const err = await provider
      .fetch({ grid: targetGrid(area, 0.3), bboxLonLat: area })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoCoverageError);
    expect((err as NoCoverageError).coverage).toBeCloseTo(50.3 / 80, 2);
    const nowhere = bbox(1000, 1000, 1050, 1050);
    const none = await provider
      .fetch({ grid: targetGrid(nowhere, 0.3), bboxLonLat: nowhere })
      .catch((e: unknown) => e);
    expect(none).toBeInstanceOf(NoCoverageError);
    expect((none as NoCoverageError).coverage).toBe(0);
  });

  it("leaves out images coarser than the limit, and says too coarse when nothing is left", async () => {
    const provider = createLocalProvider({ dir, lookup });
    const onlyA = bbox(10, 10, 60, 60);
    const err = await provider
      .fetch({ grid: targetGrid(onlyA, 0.3), bboxLonLat: onlyA, maxGroundResolutionM: 0.3 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooCoarseError);
    const overlap = bbox(140, 50, 190, 100);
    const fine = await provider.fetch({
      grid: targetGrid(overlap, 0.3),
      bboxLonLat: overlap,
      maxGroundResolutionM: 0.3,
    });
    expect(fine.groundResolutionM).toBeLessThan(0.2);
  });

  it("decodes each file once while it stays in the byte-bounded cache", async () => {
    const provider = createLocalProvider({ dir, lookup });
    const area = bbox(100, 45, 220, 110);
    const req = { grid: targetGrid(area, 0.3), bboxLonLat: area };
    const first = await provider.fetch(req);
    expect(provider.cacheStats()).toMatchObject({
      misses: 2,
      hits: 0,
      entries: 2,
      bytes: (400 * 300 + 500 * 400) * 3,
    });
    const second = await provider.fetch(req);
    expect(provider.cacheStats()).toMatchObject({ misses: 2, hits: 2 });
    expect(second.raster.rgb).toEqual(first.raster.rgb);
    const tiny = createLocalProvider({ dir, lookup, cacheBytes: 500 * 400 * 3 - 1 });
    await tiny.fetch(req);
    await tiny.fetch(req);
    expect(tiny.cacheStats()).toMatchObject({ misses: 3, hits: 1, entries: 1 }); // only A fits
  });

  it("fills holes with a coarser image when the finest ones, over budget, all cover the same part", async () => {
    // Area x 0..100, y 0..50. Three fine images (0.2, 0.21, 0.22 m) cover only x < 60 (about);
    // a coarser one (0.3 m) covers everything. With maxImages 2 the two finest alone left x >= 60 empty.
    const fine = [0.2, 0.21, 0.22].map(
      (resolution, k): StoreImage => ({
        id: `fine${k}`,
        ext: "png",
        grid: {
          originX: AX - 10,
          originY: AY + 10,
          resolution,
          width: Math.round(70 / resolution),
          height: Math.round(70 / resolution),
        },
        colour: () => [40, 200, 60 + 60 * k],
      }),
    );
    const coarse: StoreImage = {
      id: "coarse",
      ext: "png",
      grid: { originX: AX - 10, originY: AY + 10, resolution: 0.3, width: 400, height: 240 },
      colour: () => [200, 60, 40],
    };
    const holes = await mkdtemp(path.join(tmpdir(), "local-provider-holes-"));
    try {
      await Promise.all([...fine, coarse].map((img) => writeImage(holes, img)));
      const store = await buildIndexFromStore(holes);
      const provider = createLocalProvider({
        dir: holes,
        lookup: coverageIndexLookup(CoverageIndex.from(store.buffer)),
        maxImages: 2,
      });
      const area = bbox(0, 0, 100, 50);
      const grid = targetGrid(area, 0.25);
      const result = await provider.fetch({ grid, bboxLonLat: area });
      expect(result.coverage).toBe(1);
      expect(result.groundResolutionM).toBeCloseTo(groundResolution(0.3, (area[1] + area[3]) / 2), 12);
      // Only the finest image and the coarse one were read: the other two add nothing.
      expect(provider.cacheStats()).toMatchObject({ misses: 2, entries: 2 });
      let wrong = 0;
      for (let j = 0; j < grid.height; j++) {
        for (let i = 0; i < grid.width; i++) {
          const [x] = pixelToMercator(grid, i + 0.5, j + 0.5);
          const want = x < AX + 60 ? [40, 200, 60] : [200, 60, 40];
          const o = (j * grid.width + i) * 3;
          if ([0, 1, 2].some((c) => Math.abs(result.raster.rgb[o + c]! - want[c]!) > 1)) wrong++;
        }
      }
      expect(wrong).toBe(0);
    } finally {
      await rm(holes, { recursive: true, force: true });
    }
  });

  it("one request hanging up does not fail another waiting on the same image", async () => {
    // The image is a FIFO, so its read blocks until the test writes it: the first request starts
    // the (shared) load, the second joins it, then the first hangs up mid-read.
    const fifoDir = await mkdtemp(path.join(tmpdir(), "local-provider-fifo-"));
    try {
      const g: MercatorGrid = { originX: AX, originY: AY, resolution: 0.5, width: 64, height: 64 };
      const png = await sharp(new Uint8Array(64 * 64 * 3).fill(120), {
        raw: { width: 64, height: 64, channels: 3 },
      })
        .png()
        .toBuffer();
      const file = path.join(fifoDir, "f.png");
      execFileSync("mkfifo", [file]);
      const ref = { id: "f", file: "f.png", footprint: footprint(g), width: 64, height: 64 };
      const provider = createLocalProvider({ dir: fifoDir, lookup: () => [ref], timeoutMs: 10_000 });
      const area = bbox(4, 4, 28, 28);
      const req = { grid: targetGrid(area, 0.5), bboxLonLat: area };
      const hangUp = new AbortController();
      const first = provider.fetch({ ...req, signal: hangUp.signal });
      // The first request owns the load (a miss), then the second joins it (a hit), then the
      // first hangs up: polled, not slept, so a slow machine cannot reorder them.
      const until = async (what: string, ok: () => boolean) => {
        const deadline = Date.now() + 10_000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 5));
        }
      };
      await until("the first request to start the load", () => provider.cacheStats().misses === 1);
      const second = provider.fetch(req);
      await until("the second request to join it", () => provider.cacheStats().hits === 1);
      hangUp.abort(new Error("client closed"));
      await expect(first).rejects.toThrow();
      await writeFile(file, png);
      // Before, the shared read used the first request's signal: the second got its AbortError.
      const result = await second;
      expect(result.coverage).toBe(1);
      expect(provider.cacheStats()).toMatchObject({ misses: 1 });
    } finally {
      await rm(fifoDir, { recursive: true, force: true });
    }
  });

  it("fails cleanly when one image is missing and the others, abandoned, turn out corrupt", async () => {
    // The missing first image aborts the rest while they are being read; their loads fail later.
    // Those failures once went unhandled and ended the backend's process.
    const broken = await mkdtemp(path.join(tmpdir(), "local-provider-broken-"));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const area = bbox(0, 0, 80, 40);
      const grid = targetGrid(area, 0.5);
      const strip = (grid.width * grid.resolution) / 8;
      const refs = Array.from({ length: 8 }, (_, k) => ({
        id: String(k),
        file: k === 0 ? "missing.jpg" : `c${k}.jpg`,
        footprint: [
          grid.originX + k * strip,
          grid.originY - grid.height * grid.resolution,
          grid.originX + (k + 1) * strip,
          grid.originY,
        ] as MercatorBbox,
        width: 100,
        height: 100,
      }));
      for (const ref of refs.slice(1)) await writeFile(path.join(broken, ref.file), Buffer.alloc(30_000, 7));
      const provider = createLocalProvider({ dir: broken, lookup: () => refs, timeoutMs: 8_000 });
      for (let run = 0; run < 3; run++) {
        // The operator's file names stay out of the message, which reaches clients (providers_tried).
        await expect(provider.fetch({ grid, bboxLonLat: area })).rejects.toThrow(
          new ProviderBadDataError("local", "image 0: its file, listed in the index, is missing"),
        );
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await rm(broken, { recursive: true, force: true });
    }
  });

  it("rejects an image whose size disagrees with its sidecar", async () => {
    const bad = await mkdtemp(path.join(tmpdir(), "local-provider-bad-"));
    try {
      await writeImage(bad, A);
      await writeFile(
        path.join(bad, "a.jpg"),
        await sharp({ create: { width: 100, height: 75, channels: 3, background: "#808080" } })
          .jpeg()
          .toBuffer(),
      );
      const store = await buildIndexFromStore(bad);
      const provider = createLocalProvider({
        dir: bad,
        lookup: coverageIndexLookup(CoverageIndex.from(store.buffer)),
      });
      const area = bbox(10, 10, 60, 60);
      await expect(provider.fetch({ grid: targetGrid(area, 0.5), bboxLonLat: area })).rejects.toThrow(
        ProviderBadDataError,
      );
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it("never reads a file outside the store, whatever the index says (a tampered or hand-made one)", async () => {
    const parent = await mkdtemp(path.join(tmpdir(), "local-provider-outside-"));
    try {
      const store = path.join(parent, "store");
      const sibling = path.join(parent, "store-evil");
      await Promise.all([mkdir(store), mkdir(sibling)]);
      // The same image inside the store, beside it, and in a folder whose name starts like it.
      await Promise.all([writeImage(store, A), writeImage(parent, A), writeImage(sibling, A)]);
      const real = coverageIndexLookup(CoverageIndex.from((await buildIndexFromStore(store)).buffer));
      const area = bbox(10, 10, 60, 60);
      const fetchWith = (file: (f: string) => string) =>
        createLocalProvider({
          dir: store,
          lookup: async (b) => (await real(b)).map((ref) => ({ ...ref, file: file(ref.file ?? "") })),
        }).fetch({ grid: targetGrid(area, 0.5), bboxLonLat: area });
      await expect(fetchWith((f) => f)).resolves.toBeDefined();
      for (const outside of [
        (f: string) => `../${f}`,
        (f: string) => `../store-evil/${f}`,
        (f: string) => path.join(parent, f),
      ]) {
        await expect(fetchWith(outside)).rejects.toThrow(ProviderBadDataError);
        await expect(fetchWith(outside)).rejects.toThrow(/file outside the store/);
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

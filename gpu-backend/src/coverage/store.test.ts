import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CoverageIndex } from "@lanesegnet/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aelAnnotationsDir } from "./ael-dir.js";
import { buildIndexFromStore, readIndexFile, StoreIndexError, writeIndexFile } from "./store.js";

const X0 = -41_909.78;
const Y0 = 4_782_162.06;
const SIZE = 373.33; // 1280 px at 0.29166 Mercator m/px

function sidecar(dx: number, dy: number): string {
  const region = [X0 + dx, Y0 + dy, X0 + dx + SIZE, Y0 + dy + SIZE];
  return JSON.stringify({
    coordinates_type: "EPSG:3857",
    region,
    resolution: [1280, 1280],
    meters_per_pixel: SIZE / 1280,
    lanes: [],
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "coverage-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(files: Record<string, string>): Promise<void> {
  await Promise.all(Object.entries(files).map(([name, body]) => writeFile(path.join(dir, name), body)));
}

describe("buildIndexFromStore", () => {
  it("indexes sidecars with their images and finds them by coordinate", async () => {
    await put({
      "b.json": sidecar(300, 0),
      "b.png": "png",
      "a.json": sidecar(0, 0),
      "a.jpg": "jpg",
      "c.jpg": "orphan",
    });
    const store = await buildIndexFromStore(dir);
    expect(store).toMatchObject({ count: 2, withImages: 2, skipped: [] });
    expect(store.warnings).toEqual([expect.stringMatching(/1 image\(s\) without a sidecar.*c\.jpg/)]);
    expect(store.bounds).toEqual([X0, Y0, X0 + 300 + SIZE, Y0 + SIZE]);
    const index = CoverageIndex.from(store.buffer);
    expect([index.image(0).id, index.image(1).id]).toEqual(["a", "b"]); // id order, not listing order
    const hits = index.search({ mercator: [X0 + 10, Y0 + 10, X0 + 20, Y0 + 20] });
    expect(hits.map((h) => [h.id, h.file])).toEqual([["a", "a.jpg"]]);
    expect(index.search({ mercator: [X0 + 320, Y0 + 10, X0 + 330, Y0 + 20] }).map((h) => h.file)).toEqual([
      "a.jpg",
      "b.png",
    ]); // same resolution and coverage: index order
  });

  it("fails on a bad sidecar naming the file, or skips it when asked", async () => {
    await put({
      "a.json": sidecar(0, 0),
      "a.jpg": "",
      "b.json": "{not json",
      "b.jpg": "",
      "c.json": JSON.stringify({ region: [0, 0, 1, 1] }),
      "c.jpg": "",
      "d.json": sidecar(10, 10), // no image
    });
    const err = await buildIndexFromStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreIndexError);
    expect((err as StoreIndexError).file).toBe(path.join(dir, "b.json"));
    expect((err as Error).message).toMatch(
      /bad sidecar .*b\.json: not JSON.*\(and 2 more bad sidecar\(s\)\)/,
    );

    const skipped = await buildIndexFromStore(dir, { onBadSidecar: "skip" });
    expect(skipped.count).toBe(1);
    expect(skipped.skipped.map((s) => [path.basename(s.file), s.reason.split(":")[0]])).toEqual([
      ["b.json", "not JSON"],
      ["c.json", "resolution"],
      ["d.json", "no image beside it"],
    ]);

    const lenient = await buildIndexFromStore(dir, { onBadSidecar: "skip", allowMissingImages: true });
    expect(lenient).toMatchObject({ count: 2, withImages: 1 });
    expect(CoverageIndex.from(lenient.buffer).image(1)).toMatchObject({ id: "d", file: null });
  });

  it("prefers jpg when several images share an id, and says so", async () => {
    await put({ "a.json": sidecar(0, 0), "a.png": "", "a.JPG": "" });
    const store = await buildIndexFromStore(dir);
    expect(CoverageIndex.from(store.buffer).image(0).file).toBe("a.JPG");
    expect(store.warnings).toEqual([expect.stringMatching(/several images for a, using a\.JPG/)]);
  });

  it("rejects a missing folder or a file given as folder", async () => {
    await expect(buildIndexFromStore(path.join(dir, "nope"))).rejects.toThrow(/imagery store not found/);
    await put({ "f.json": "{}" });
    await expect(buildIndexFromStore(path.join(dir, "f.json"))).rejects.toThrow(/not a folder/);
  });

  it("writes the index atomically and reads it back with the same answers", async () => {
    await put({ "a.json": sidecar(0, 0), "a.jpg": "" });
    const store = await buildIndexFromStore(dir);
    const out = path.join(dir, "out", "coverage.idx");
    await writeIndexFile(out, store.buffer);
    expect(await readdir(path.dirname(out))).toEqual(["coverage.idx"]);
    expect(new Uint8Array(await readFile(out))).toEqual(new Uint8Array(store.buffer));
    const q = { mercator: [X0 + 1, Y0 + 1, X0 + 2, Y0 + 2] } as const;
    expect((await readIndexFile(out)).search(q)).toEqual(CoverageIndex.from(store.buffer).search(q));
  });

  it("leaves no temp file behind when the index cannot be put in place (the output is a folder)", async () => {
    await put({ "a.json": sidecar(0, 0), "a.jpg": "" });
    const store = await buildIndexFromStore(dir);
    const out = path.join(dir, "taken");
    await mkdir(out);
    await expect(writeIndexFile(out, store.buffer)).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});

const ael = aelAnnotationsDir();
describe.skipIf(ael === null)("real AEL annotations (../shared/data/ael)", () => {
  it("indexes all 6,274 footprints and answers a known footprint's centre with that image", async () => {
    const store = await buildIndexFromStore(ael!, { allowMissingImages: true });
    expect(store).toMatchObject({ count: 6274, withImages: 0, skipped: [] });
    const index = CoverageIndex.from(store.buffer);
    for (const id of ["00000000", "20000100", "60001849"]) {
      const side = JSON.parse(await readFile(path.join(ael!, `${id}.json`), "utf8")) as { region: number[] };
      const [x0, y0, x1, y1] = side.region as [number, number, number, number];
      const cx = (x0 + x1) / 2;
      const cy = (y0 + y1) / 2;
      const hits = index.search({ mercator: [cx, cy, cx, cy] });
      expect(hits.map((h) => h.id)).toContain(id);
      const own = hits.find((h) => h.id === id)!;
      expect(own.footprint).toEqual(side.region);
      expect(own.file).toBeNull();
      // Every hit really contains the centre.
      for (const h of hits)
        expect(
          h.footprint[0] <= cx && cx <= h.footprint[2] && h.footprint[1] <= cy && cy <= h.footprint[3],
        ).toBe(true);
      const cover = index.covers({ mercator: [cx - 50, cy - 50, cx + 50, cy + 50] });
      expect(cover.fully).toBe(true);
      expect(cover.images.map((h) => h.id)).toContain(id);
    }
  });
});

describe("store: what the build reads", () => {
  const X0 = -41_909.78;
  const Y0 = 4_782_162.06;
  const SIZE = 373.33;
  const sidecar = () =>
    JSON.stringify({
      coordinates_type: "EPSG:3857",
      region: [X0, Y0, X0 + SIZE, Y0 + SIZE],
      resolution: [1280, 1280],
      meters_per_pixel: SIZE / 1280,
      lanes: [],
    });

  it("fails on a single bad sidecar, and ignores hidden files (macOS ._ files)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "audit-store-"));
    try {
      await writeFile(path.join(dir, "a.json"), sidecar());
      await writeFile(path.join(dir, "a.jpg"), "");
      await writeFile(path.join(dir, "._a.json"), "\u0000\u0005\u0016\u0007 AppleDouble");
      await expect(buildIndexFromStore(dir)).resolves.toMatchObject({ count: 1 });
      await writeFile(path.join(dir, "b.json"), "{not json");
      await writeFile(path.join(dir, "b.jpg"), "");
      await expect(buildIndexFromStore(dir)).rejects.toBeInstanceOf(StoreIndexError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

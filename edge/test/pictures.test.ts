/**
 * The analysis pictures (imagery.png, overlay.png) from the cache: a revalidation of a cached
 * picture (If-None-Match with its ETag) is answered from the entry's header line, never by carrying
 * the picture (megabytes for a large area) out of Redis; measured on the real Redis's own counter.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis, type TestRedisClient } from "../../test/harness/index.js";
import { createRedisClient } from "../src/redis/client.js";
import { KeySpace } from "../src/redis/keys.js";
import type { RenderKind } from "../src/render/from-result.js";
import { encodePicture, PictureStore, pictureEtag } from "../src/render/store.js";
import { createKey } from "./support/credentials.js";
import { type EdgeWorker, type Rig, startEdge, startRig } from "./support/edge.js";
import { get } from "./support/requests.js";

const ID = "c".repeat(64);
const BOUNDS = "153.02000000,-27.47100000,153.02100000,-27.47000000";
/** A cached picture of a large area: 3 MB of bytes, 4 MB of base64 in Redis. */
const PNG_BYTES = 3 * 1024 * 1024;

let rig: Rig;
let edge: EdgeWorker;
let key: string;
let direct: TestRedisClient;
const etags = new Map<RenderKind, string>();
const pngs = new Map<RenderKind, Uint8Array>();

beforeAll(async () => {
  rig = await startRig("pictures");
  edge = await startEdge(rig.env());
  key = await createKey(rig, "pictures-user");
  direct = await connectRedis(rig.stack.redisUrl);
  const store = new PictureStore(
    createRedisClient({ url: rig.stack.url, token: rig.stack.token, timeoutMs: 5_000 }),
    new KeySpace(rig.prefix),
    Number.MAX_SAFE_INTEGER,
  );
  // Stored as a render would store it (the entry limit would refuse one this large; reading does not ask).
  for (const kind of ["imagery", "overlay"] as const) {
    const png = new Uint8Array(randomBytes(PNG_BYTES));
    const etag = await pictureEtag(png);
    await direct.set(store.key(kind, ID), encodePicture({ png, etag, bounds: BOUNDS }), { PX: 600_000 });
    etags.set(kind, etag);
    pngs.set(kind, png);
  }
});

afterAll(async () => {
  await direct?.quit();
  await edge?.dispose();
  await rig?.close();
});

/** Bytes the Redis server has sent to all its clients so far (INFO stats). */
async function redisBytesOut(): Promise<number> {
  const stats = await direct.info("stats");
  return Number(/total_net_output_bytes:(\d+)/.exec(stats)?.[1]);
}

describe.each(["imagery", "overlay"] as const)("GET /v1/analyses/{id}/%s.png, cached", (kind) => {
  const path = `/v1/analyses/${ID}/${kind}.png`;

  it("serves the cached picture whole without a condition, or with one that does not match", async () => {
    for (const headers of [{}, { "if-none-match": '"someone-else"' }]) {
      const res = await get(edge, path, key, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-cache")).toBe("HIT");
      expect(res.headers.get("etag")).toBe(etags.get(kind));
      expect(Buffer.from(await res.arrayBuffer()).equals(pngs.get(kind)!)).toBe(true);
    }
  });

  it("answers revalidations with 304 from the entry's header line, not by reading the picture", async () => {
    const N = 20;
    const etag = etags.get(kind)!;
    // The Redis is shared with other suites running at once: their traffic only adds to the counter,
    // so the least of a few windows bounds what these requests cost. Reading the picture would cost
    // N x 4 MB in every window.
    let least = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3 && least >= N * 10_000; attempt++) {
      const before = await redisBytesOut();
      for (let i = 0; i < N; i++) {
        const res = await get(edge, path, key, { "if-none-match": etag });
        expect(res.status).toBe(304);
        expect(res.headers.get("etag")).toBe(etag);
        expect(res.headers.get("x-image-bounds")).toBe(BOUNDS);
        expect(res.headers.get("x-cache")).toBe("HIT");
        expect((await res.arrayBuffer()).byteLength).toBe(0);
      }
      least = Math.min(least, (await redisBytesOut()) - before);
    }
    expect(least).toBeLessThan(N * 10_000);

    const res = await get(edge, path, key, { "if-none-match": `"other", W/${etag}` });
    expect(res.status).toBe(304);
    expect((await edge.auditOf(res)).cache).toBe("HIT");
  }, 120_000);
});

describe("a revalidation of a picture that is not cached", () => {
  it("goes the whole way (here: no stored result, 404)", async () => {
    const res = await get(edge, `/v1/analyses/${"d".repeat(64)}/overlay.png`, key, {
      "if-none-match": etags.get("overlay")!,
    });
    expect(res.status).toBe(404);
  });
});

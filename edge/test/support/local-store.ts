/** Fixtures of suites with local coverage: a two-image coordinate index, a stored result's TTL. */
import { buildCoverageIndex, CACHE_KEY_PREFIX, lonLatToMercator } from "@lanesegnet/shared";
import { connectRedis } from "../../../test/harness/index.js";
import type { Rig } from "./edge.js";

/** Two side-by-side local images covering lon 153.02..153.03, lat -27.475..-27.465. */
export function twoImageIndex(): ArrayBuffer {
  const image = (id: string, w: number, e: number) => {
    const [x0, y0] = lonLatToMercator(w, -27.475);
    const [x1, y1] = lonLatToMercator(e, -27.465);
    return { id, file: `${id}.jpg`, footprint: [x0, y0, x1, y1] as const, width: 2000, height: 2000 };
  };
  return buildCoverageIndex([image("west", 153.02, 153.025), image("east", 153.025, 153.03)]);
}

/** Seconds the stored result of an analysis has left (Redis TTL). */
export async function storedTtlS(rig: Rig, id: string): Promise<number> {
  const direct = await connectRedis(rig.stack.redisUrl);
  try {
    return await direct.ttl(`${rig.prefix}${CACHE_KEY_PREFIX}${id}`);
  } finally {
    await direct.quit();
  }
}

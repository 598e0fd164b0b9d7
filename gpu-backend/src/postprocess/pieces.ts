/**
 * From the marking mask to refined, class-labelled pieces of centreline, ready for bridging:
 * thinning, tracing, pruning, junction pairing, class splitting, centring, end clean-up and
 * simplification. Every length is converted from metres with the ground resolution here.
 */
import type { BridgeOptions, Piece } from "./bridge.js";
import { buildChains } from "./chains.js";
import { splitByClass } from "./classify.js";
import type { MarkingRaster } from "./mask.js";
import type { VectoriseParams } from "./params.js";
import { plain } from "./polyline.js";
import { contractJunctions, pruneGraph } from "./prune.js";
import { centreOnMask, extendFreeEnds, trimEndHooks } from "./refine.js";
import { simplifyPoints } from "./simplify.js";
import { thinGuoHall } from "./thin.js";
import { traceSkeleton } from "./trace.js";
import type { EndKind } from "./types.js";

/** Longest half cross-section looked for (wider masks are blobs the width rule will reject). */
export function maxHalfWidthPx(gsdM: number): number {
  return Math.max(8, 1.5 / gsdM);
}

export function extractPieces(
  raster: MarkingRaster,
  gsdM: number,
  params: VectoriseParams,
  lap: (stage: string) => void = () => {},
): Piece[] {
  const px = (m: number): number => m / gsdM;
  const skelImg = new Uint8Array(raster.labels.length);
  for (let k = 0; k < raster.fgCount; k++) skelImg[raster.fg[k]!] = 1;
  const skel = thinGuoHall(skelImg, raster.stride, raster.fg, raster.fgCount);
  lap("thin");

  const graph = traceSkeleton(skelImg, raster.stride, skel);
  const alive = pruneGraph(graph, {
    spurPx: Math.max(px(params.spurM), 3),
    loopPx: Math.max(px(params.loopM), 6),
  });
  contractJunctions(graph, alive, Math.max(px(params.junctionMergeM), 4));
  const chains = buildChains(graph, alive, {
    maxTurnDeg: params.junctionMaxTurnDeg,
    directionPx: Math.max(px(1.5), 4),
  });
  lap("trace");

  const maxHalfPx = maxHalfWidthPx(gsdM);
  const endDirPx = Math.max(px(2), 6);
  const tolPx = px(params.simplifyToleranceM);
  const numClasses = raster.numClasses;
  const pieces: Piece[] = [];
  for (const chain of chains) {
    const split = splitByClass(chain, raster, {
      windowPts: Math.max(2, Math.round(px(0.5))),
      minRunPx: px(params.minClassRunM),
      numClasses,
    });
    for (const p of split) {
      if (p.pts.length < 2) continue;
      const kinds: [EndKind, EndKind] = [p.startKind, p.endKind];
      const centred = centreOnMask(p.pts, raster, maxHalfPx);
      const unhooked = trimEndHooks(centred, kinds, Math.max(px(1.5), 5), endDirPx);
      const ext = extendFreeEnds(unhooked, kinds, raster, endDirPx, Math.max(6, px(1)));
      pieces.push({
        classId: p.classId,
        line: plain(simplifyPoints(ext.pts, tolPx)),
        startKind: ext.kinds[0],
        endKind: ext.kinds[1],
      });
    }
  }
  lap("refine");
  return pieces;
}

export function bridgeOptions(gsdM: number, params: VectoriseParams): BridgeOptions {
  const px = (m: number): number => m / gsdM;
  return {
    maxGapSolidPx: px(params.bridgeMaxGapSolidM),
    maxGapDashedPx: px(params.bridgeMaxGapDashedM),
    maxAngleRad: (params.bridgeMaxAngleDeg * Math.PI) / 180,
    // Never under a pixel: the mask itself is only placed to the nearest pixel.
    lateralPx: Math.max(px(params.bridgeLateralM), 1),
    minRadiusPx: px(params.bridgeMinRadiusM),
    minPiecePx: px(params.bridgeMinPieceM),
    maxGapPerLength: params.bridgeMaxGapPerLength,
    // Long enough to see through the pixel staircase; on a 40 m radius it bends under 3°.
    directionPx: Math.max(px(4), 6),
  };
}

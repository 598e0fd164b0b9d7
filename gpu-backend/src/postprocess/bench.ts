/**
 * Vectorisation benchmark: a synthetic 1024 x 1024 scene at 0.15 m/px (a 150 m square) with a
 * six-lane road, a curved road crossing it, double centre lines, dashed lines with seen and unseen
 * gaps, vehicles over paint, hundreds of noise specks and probability noise. Prints median and
 * p95 of `vectorise` over 30 runs (after warm-up), and the median of each stage.
 *
 *   npx tsx gpu-backend/src/postprocess/bench.ts [runs]
 */
import { arcPoints, makeScene, type SynthLane } from "./synthetic.js";
import type { Pt } from "./types.js";
import { vectorise } from "./vectorise.js";

const SIZE = 1024;
const GSD = 0.15;
const runs = Number(process.argv[2] ?? 30);

function lanes(): SynthLane[] {
  const out: SynthLane[] = [];
  const px = (m: number): number => m / GSD;
  // A six-lane road across the scene, slightly rotated: edges, dashed separators, double centre.
  const angle = 0.08;
  const along = (offsetM: number, x0 = -5, x1 = 160): Pt[] => {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const y = 40 + offsetM;
    return [
      [px(x0 * c - y * s + 8), px(x0 * s + y * c)],
      [px(x1 * c - y * s + 8), px(x1 * s + y * c)],
    ];
  };
  for (const [off, classId] of [
    [0, 1],
    [3.6, 2],
    [7.2, 2],
    [10.6, 6],
    [14, 4],
    [17.6, 4],
    [21.2, 1],
  ] as const) {
    const lane: SynthLane = { classId, points: along(off) };
    if (classId === 2)
      lane.dash = { dashM: 3, gapM: 9, offsetM: off, gaps: off < 5 ? "uncertain" : "background" };
    if (classId === 4) lane.dash = { dashM: 6, gapM: 12, offsetM: off, gaps: "uncertain" };
    if (classId === 1) lane.holes = [[30 + off, 35 + off]];
    out.push(lane);
  }
  // A curved road (radius 90 m) crossing it: edges and a dashed centre.
  for (const [r, classId] of [
    [80, 1],
    [83.5, 2],
    [87, 1],
  ] as const) {
    const lane: SynthLane = {
      classId,
      points: arcPoints(px(150), px(150), px(r), Math.PI, 1.5 * Math.PI, 3),
    };
    if (classId === 2) lane.dash = { dashM: 3, gapM: 9, gaps: "background" };
    out.push(lane);
  }
  // Side streets: short solid and dashed stubs, stop lines, a double white.
  for (let k = 0; k < 8; k++) {
    const x = px(15 + k * 16);
    out.push({
      classId: k % 2 ? 3 : 1,
      points: [
        [x, px(75)],
        [x + px(2), px(100)],
      ],
    });
    out.push({
      classId: 5,
      points: [
        [x - px(3), px(110)],
        [x + px(4), px(110.5)],
      ],
    });
    out.push({
      classId: 2,
      points: [
        [x + px(1), px(115)],
        [x + px(3), px(150)],
      ],
      dash: { dashM: 3, gapM: 3, gaps: "uncertain" },
    });
  }
  return out;
}

const scene = makeScene(lanes(), { width: SIZE, height: SIZE, gsdM: GSD, seed: 42, blobs: 400, noise: 0.08 });
const times: number[] = [];
const stages: Record<string, number[]> = {};
let lines = 0;
let rejected = 0;
for (let i = 0; i < runs + 3; i++) {
  const t0 = performance.now();
  const r = vectorise(scene, { groundResolutionM: GSD });
  const dt = performance.now() - t0;
  if (i < 3) continue;
  times.push(dt);
  for (const [k, v] of Object.entries(r.timingsMs)) {
    stages[k] ??= [];
    stages[k].push(v);
  }
  lines = r.lines.length;
  rejected = r.rejected.length;
}
const pct = (v: number[], p: number): number => {
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
console.info(
  `vectorise ${SIZE}x${SIZE} @ ${GSD} m/px: ${lines} lines kept, ${rejected} rejected; ` +
    `median ${pct(times, 0.5).toFixed(1)} ms, p95 ${pct(times, 0.95).toFixed(1)} ms over ${runs} runs`,
);
console.info(
  `stages (median ms): ${Object.entries(stages)
    .map(([k, v]) => `${k} ${pct(v, 0.5).toFixed(1)}`)
    .join(", ")}`,
);

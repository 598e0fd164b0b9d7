/**
 * The per-scene look: every appearance parameter drawn once per scene (environment, materials,
 * paint, sun, traffic, vegetation, optics), so no two scenes share one look and a model cannot
 * learn a single renderer's quirks.
 */
import type { RegionStyle } from "../markings/styles.js";
import type { Rng } from "../random.js";

export type RGB = [number, number, number];

export type Environment = "urban" | "suburban" | "rural" | "arid" | "industrial" | "tropical";

export interface Look {
  environment: Environment;
  /** Ground materials blended by low-frequency noise. */
  ground: RGB[];
  groundTexture: number;
  /** Typical asphalt colour of the scene; roads vary around it. */
  asphalt: RGB;
  /** Probability that a major road is concrete. */
  concreteP: number;
  concrete: RGB;
  /** Road texture amplitudes (multiplicative, fraction of colour). */
  roadLowAmp: number;
  roadMidAmp: number;
  roadGrain: number;
  /** 0 (fresh) .. 1 (old): patches, cracks, seams. */
  roadAge: number;
  sidewalk: RGB;
  kerb: RGB;
  white: RGB;
  yellow: RGB;
  /** Overall paint opacity and wear (0 = pristine, 1 = nearly gone). */
  paintAlpha: number;
  wear: number;
  sun: {
    /** Direction shadows fall, radians (screen frame). */
    shadowAngle: number;
    /** Shadow length per metre of height. */
    shadowPerM: number;
    /** Remaining light in shadow (0.3 hard .. 0.9 overcast). */
    shadowLight: number;
  };
  trafficDensity: number;
  parkedP: number;
  treeDensity: number;
  buildingDensity: number;
  optics: Optics;
  /** Skip clutter and degradations (tests of geometry). */
  clean: boolean;
}

export interface Optics {
  gain: number;
  gamma: number;
  contrast: number;
  saturation: number;
  whiteBalance: RGB;
  haze: number;
  hazeColour: RGB;
  blurSigmaPx: number;
  motionPx: number;
  motionAngle: number;
  /** Unsharp-mask amount (0 = none) and radius. */
  sharpen: number;
  sharpenSigmaPx: number;
  noiseSigma: number;
  chromaNoise: number;
  vignette: number;
  jpegQuality: number;
}

/** Vary brightness by ±amount and hue only slightly, so colours stay plausible (no pink grass). */
const jitter = (rng: Rng, c: RGB, amount: number): RGB => {
  const k = 1 + rng.range(-amount, amount);
  const h = amount * 0.3;
  return [
    c[0] * k * (1 + rng.range(-h, h)),
    c[1] * k * (1 + rng.range(-h, h)),
    c[2] * k * (1 + rng.range(-h, h)),
  ];
};

const scale = (c: RGB, k: number): RGB => [c[0] * k, c[1] * k, c[2] * k];

const GROUND: Record<string, RGB> = {
  grass: [86, 98, 62],
  grassDark: [58, 70, 46],
  grassDry: [128, 124, 92],
  crop: [100, 112, 70],
  soil: [126, 110, 90],
  redSoil: [146, 100, 74],
  sand: [182, 168, 140],
  gravel: [140, 136, 128],
  concrete: [166, 164, 158],
  urbanGrey: [118, 116, 112],
  forest: [48, 58, 40],
};

const ENV_GROUND: Record<Environment, (keyof typeof GROUND)[][]> = {
  urban: [
    ["urbanGrey", "concrete", "grass"],
    ["concrete", "urbanGrey", "gravel"],
    ["urbanGrey", "grassDry", "concrete"],
  ],
  suburban: [
    ["grass", "grassDark", "soil"],
    ["grass", "grassDry", "concrete"],
    ["grassDry", "grass", "soil"],
  ],
  rural: [
    ["crop", "soil", "grass"],
    ["grassDry", "soil", "crop"],
    ["grass", "forest", "crop"],
  ],
  arid: [
    ["sand", "soil", "gravel"],
    ["soil", "sand", "grassDry"],
  ],
  industrial: [
    ["gravel", "concrete", "soil"],
    ["urbanGrey", "gravel", "grassDry"],
  ],
  tropical: [
    ["grass", "redSoil", "forest"],
    ["grassDark", "grass", "redSoil"],
  ],
};

function environmentFor(style: RegionStyle, rng: Rng): Environment {
  const tropical = style.name === "BR" || style.name === "MY" ? 1.5 : 0.1;
  const arid = style.name === "US" || style.name === "AU" ? 1 : 0.3;
  return rng.weighted([
    ["urban", 2],
    ["suburban", 2.5],
    ["rural", 1.5],
    ["arid", arid],
    ["industrial", 0.7],
    ["tropical", tropical],
  ] as const);
}

export function randomLook(rng: Rng, style: RegionStyle, clean = false): Look {
  const environment = environmentFor(style, rng);
  const ground = rng.pick(ENV_GROUND[environment]).map((k) => jitter(rng, GROUND[k]!, 0.08));
  // Often the second material is only a variant of the first: less camouflage, more real.
  if (rng.chance(0.5)) ground[1] = jitter(rng, ground[0]!, 0.1);
  // Asphalt from fresh black to old, bleached grey; slight blue or brown cast.
  const ageT = rng.next();
  const grey = 48 + ageT * 105 + rng.range(-8, 8);
  const cast = rng.range(-0.06, 0.06);
  const asphalt: RGB = [grey * (1 + cast), grey * (1 + cast * 0.2), grey * (1 - cast * 0.8)];
  // Grey levels with a small warm or cool tint: never a hue of their own.
  const tinted = (level: number, warm: number): RGB => [
    level * (1 + warm),
    level * (1 + warm * 0.3),
    level * (1 - warm * 0.7),
  ];
  const concrete = tinted(rng.range(155, 205), rng.range(-0.03, 0.06));
  const whiteLevel = rng.range(190, 245);
  const white: RGB = [
    whiteLevel * rng.range(0.97, 1.02),
    whiteLevel * rng.range(0.98, 1.02),
    whiteLevel * rng.range(0.96, 1.03),
  ];
  const yellowTone = rng.next();
  const yellow: RGB =
    yellowTone < 0.4
      ? [rng.range(215, 245), rng.range(170, 205), rng.range(30, 80)]
      : yellowTone < 0.7
        ? [rng.range(200, 235), rng.range(140, 175), rng.range(30, 70)]
        : [rng.range(185, 225), rng.range(170, 205), rng.range(95, 140)];
  const hardShadow = rng.chance(0.75);
  const elevation = rng.range(0.6, 1.35);
  const env = environment;
  const q = rng.next();
  const optics: Optics = {
    gain: rng.range(0.78, 1.22),
    gamma: rng.range(0.82, 1.2),
    contrast: rng.range(0.8, 1.2),
    saturation: rng.range(0.55, 1.1),
    whiteBalance: [rng.range(0.95, 1.05), rng.range(0.97, 1.03), rng.range(0.93, 1.07)],
    haze: rng.chance(0.4) ? rng.range(0.02, 0.28) : 0,
    hazeColour: jitter(rng, [175, 185, 200], 0.06),
    blurSigmaPx: rng.chance(0.75) ? rng.range(0.3, 1.3) : rng.range(0, 0.3),
    motionPx: rng.chance(0.15) ? rng.range(1, 3) : 0,
    motionAngle: rng.range(0, Math.PI),
    sharpen: rng.chance(0.3) ? rng.range(0.3, 1.2) : 0,
    sharpenSigmaPx: rng.range(0.8, 2),
    noiseSigma: rng.range(0.5, 7),
    chromaNoise: rng.range(0, 3),
    vignette: rng.chance(0.3) ? rng.range(0.02, 0.12) : 0,
    jpegQuality: Math.round(50 + 45 * Math.sqrt(q)),
  };
  const look: Look = {
    environment,
    ground,
    groundTexture:
      environment === "urban" || environment === "industrial" ? rng.range(0.04, 0.12) : rng.range(0.08, 0.22),
    asphalt,
    concreteP: rng.chance(0.25) ? rng.range(0.3, 0.9) : 0.05,
    concrete,
    roadLowAmp: rng.range(0.02, 0.1),
    roadMidAmp: rng.range(0.02, 0.08),
    roadGrain: rng.range(2, 9),
    roadAge: rng.next(),
    sidewalk: tinted(rng.range(140, 200), rng.range(-0.03, 0.07)),
    kerb: jitter(rng, rng.chance(0.8) ? [200, 200, 195] : [120, 118, 115], 0.08),
    white,
    yellow,
    paintAlpha: rng.range(0.6, 1),
    wear: rng.chance(0.3) ? rng.range(0.5, 0.9) : rng.range(0, 0.5),
    sun: {
      shadowAngle: rng.range(0, 2 * Math.PI),
      shadowPerM: 1 / Math.tan(elevation),
      shadowLight: hardShadow ? rng.range(0.3, 0.6) : rng.range(0.65, 0.9),
    },
    trafficDensity: rng.chance(0.15) ? 0 : rng.range(0.05, 0.7),
    parkedP: rng.range(0.2, 0.9),
    treeDensity:
      env === "arid"
        ? rng.range(0, 0.2)
        : env === "tropical"
          ? rng.range(0.5, 1)
          : env === "industrial"
            ? rng.range(0, 0.3)
            : rng.range(0.1, 0.9),
    buildingDensity:
      env === "urban"
        ? rng.range(0.6, 1)
        : env === "industrial"
          ? rng.range(0.4, 0.8)
          : env === "rural"
            ? rng.range(0, 0.2)
            : rng.range(0.2, 0.7),
    optics,
    clean,
  };
  if (clean) {
    look.paintAlpha = 1;
    look.wear = 0;
    look.trafficDensity = 0;
    look.treeDensity = 0;
    look.buildingDensity = 0;
    look.roadAge = 0;
    look.white = [240, 240, 240];
    look.optics = {
      ...optics,
      gain: 1,
      gamma: 1,
      contrast: 1,
      saturation: 1,
      whiteBalance: [1, 1, 1],
      haze: 0,
      blurSigmaPx: 0,
      motionPx: 0,
      sharpen: 0,
      noiseSigma: 0,
      chromaNoise: 0,
      vignette: 0,
      jpegQuality: 95,
    };
    look.asphalt = scale([70, 70, 72], 1);
    look.concreteP = 0;
  }
  return look;
}

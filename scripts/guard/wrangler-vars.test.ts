/**
 * The Worker's default [vars] name the model this repository ships: MODEL_NAME and MODEL_VERSION
 * are part of every cache key, and a backend answer made by another model is served but never
 * cached, so a stale pair in wrangler.toml means a deployment (or `wrangler dev`) that never hits.
 * MODEL_MAX_GSD_M is where the edge applies the area limits to coarser requests (the backend
 * analyses them there); a stale value refuses areas the backend could analyse, or passes ones it
 * refuses.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

function tomlString(text: string, key: string): string | undefined {
  return new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, "m").exec(text)?.[1];
}

describe("wrangler.toml", () => {
  it("names the shipped model's card name and version", () => {
    const toml = read("wrangler.toml");
    const card = JSON.parse(read("models/lanesegnet-lite.json")) as { name: string; version: string };
    expect({ name: tomlString(toml, "MODEL_NAME"), version: tomlString(toml, "MODEL_VERSION") }).toEqual({
      name: card.name,
      version: card.version,
    });
  });

  it("gives the shipped model's coarsest and finest analysed resolutions, where the edge applies the area limits", () => {
    const toml = read("wrangler.toml");
    const card = JSON.parse(read("models/lanesegnet-lite.json")) as {
      trained_gsd_m: { min: number; max: number };
    };
    expect(Number(tomlString(toml, "MODEL_MAX_GSD_M"))).toBe(card.trained_gsd_m.max);
    expect(Number(tomlString(toml, "MODEL_MIN_GSD_M"))).toBe(card.trained_gsd_m.min);
  });
});

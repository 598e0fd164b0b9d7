import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics, ERROR_KINDS } from "./metrics.js";

const SRC = join(import.meta.dirname, "..");

describe("lanesegnet_backend_errors_total", () => {
  it("has every kind at 0 from the first scrape, so an alert on increase() sees the first error", async () => {
    const text = await createMetrics().registry.metrics();
    for (const kind of ERROR_KINDS)
      expect(text).toContain(`lanesegnet_backend_errors_total{kind="${kind}"} 0`);
  });

  it("lists every kind the backend counts (a kind left out would start unseen)", () => {
    const counted = new Set<string>();
    for (const e of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith(".ts") || e.name.endsWith(".test.ts")) continue;
      const text = readFileSync(join(e.parentPath, e.name), "utf8");
      for (const m of text.matchAll(/errors\.inc\(\{\s*kind:\s*"(\w+)"/g)) counted.add(m[1]!);
    }
    expect(counted.size).toBeGreaterThan(5);
    expect([...counted].filter((k) => !(ERROR_KINDS as readonly string[]).includes(k))).toEqual([]);
  });
});

describe("lanesegnet_backend_execution_provider", () => {
  it("shows, at each scrape, 1 for every provider a live worker runs on and 0 for the others", async () => {
    let inUse = new Set(["cuda"]);
    const metrics = createMetrics({ executionProviders: () => ({ inUse, known: ["cuda", "cpu"] }) });
    const scrape = async () =>
      (await metrics.registry.metrics())
        .split("\n")
        .filter((l) => l.startsWith("lanesegnet_backend_execution_provider{"));
    expect(await scrape()).toEqual([
      'lanesegnet_backend_execution_provider{provider="cuda"} 1',
      'lanesegnet_backend_execution_provider{provider="cpu"} 0',
    ]);
    // A replacement fell back to the CPU beside a GPU worker; then the GPU worker is gone.
    inUse = new Set(["cuda", "cpu"]);
    expect(await scrape()).toContain('lanesegnet_backend_execution_provider{provider="cpu"} 1');
    inUse = new Set(["cpu"]);
    expect(await scrape()).toEqual([
      'lanesegnet_backend_execution_provider{provider="cuda"} 0',
      'lanesegnet_backend_execution_provider{provider="cpu"} 1',
    ]);
  });
});

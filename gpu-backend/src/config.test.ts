import { describe, expect, it } from "vitest";
import { inferenceLayout, loadConfig } from "./config.js";
import { ESRI_WORLD_IMAGERY_URL } from "./providers/esri.js";
import { MAPBOX_SATELLITE_URL } from "./providers/mapbox.js";

const SECRET = { BACKEND_SIGNING_SECRET: "config-test-secret-0123456789abcdef0123" };

describe("inferenceLayout", () => {
  it("on CPU alone, gives each core its own worker of one thread, up to four workers", () => {
    expect(inferenceLayout(["cpu"], 1, { workers: 0, threads: 0 })).toEqual({ workers: 1, threads: 1 });
    expect(inferenceLayout(["cpu"], 2, { workers: 0, threads: 0 })).toEqual({ workers: 2, threads: 1 });
    expect(inferenceLayout(["cpu"], 16, { workers: 0, threads: 0 })).toEqual({ workers: 4, threads: 4 });
  });

  it("with a GPU provider configured, keeps one worker (one session on the device)", () => {
    const eps = ["cuda", "webgpu", "cpu"];
    expect(inferenceLayout(eps, 16, { workers: 0, threads: 0 })).toEqual({ workers: 1, threads: 16 });
    expect(inferenceLayout(["webgpu"], 2, { workers: 0, threads: 0 })).toEqual({ workers: 1, threads: 2 });
  });

  it("keeps what the configuration sets", () => {
    expect(inferenceLayout(["cpu"], 2, { workers: 1, threads: 0 })).toEqual({ workers: 1, threads: 2 });
    expect(inferenceLayout(["cpu"], 2, { workers: 3, threads: 0 })).toEqual({ workers: 3, threads: 1 });
    expect(inferenceLayout(["cpu"], 8, { workers: 0, threads: 1 })).toEqual({ workers: 4, threads: 1 });
  });
});

describe("loadConfig", () => {
  it("reads INFERENCE_WORKERS and INFERENCE_THREADS, 0 or unset meaning chosen", () => {
    const set = loadConfig({ ...SECRET, INFERENCE_WORKERS: "1", INFERENCE_THREADS: "2" });
    expect(set.inference).toMatchObject({ workers: 1, threadsPerWorker: 2 });
    const chosen = loadConfig({ ...SECRET, EXECUTION_PROVIDERS: "cuda,cpu" });
    expect(chosen.inference.workers).toBe(1);
    expect(() => loadConfig({ ...SECRET, INFERENCE_WORKERS: "-1" })).toThrow(/INFERENCE_WORKERS/);
  });

  it("reads INFERENCE_RUN_TIMEOUT_MS, a minute by default, and refuses one under 100 ms", () => {
    expect(loadConfig(SECRET).inference.runTimeoutMs).toBe(60_000);
    expect(loadConfig({ ...SECRET, INFERENCE_RUN_TIMEOUT_MS: "5000" }).inference.runTimeoutMs).toBe(5_000);
    for (const bad of ["50", "-1", "1.5", "soon"])
      expect(() => loadConfig({ ...SECRET, INFERENCE_RUN_TIMEOUT_MS: bad })).toThrow(
        /INFERENCE_RUN_TIMEOUT_MS/,
      );
  });

  it("takes a variable set but empty as unset, so it keeps its default instead of becoming 0", () => {
    const c = loadConfig({
      ...SECRET,
      BACKEND_HOST: "",
      BACKEND_PORT: "",
      SHUTDOWN_GRACE_MS: " ",
      TILE_OVERLAP: "",
    });
    expect([c.host, c.port, c.shutdownGraceMs, c.inference.tileOverlap]).toEqual([
      "127.0.0.1",
      8788,
      30_000,
      64,
    ]);
    expect(() => loadConfig({ BACKEND_SIGNING_SECRET: " ".repeat(40) })).toThrow(/BACKEND_SIGNING_SECRET/);
    // Absent (or blank, which counts as unset): said to be required, not "received undefined".
    expect(() => loadConfig({ BACKEND_SIGNING_SECRET: " ".repeat(40) })).toThrow(
      "invalid configuration: BACKEND_SIGNING_SECRET: required: the secret the edge signs requests with, at least 32 characters (npm start's is in .dev.vars)",
    );
    // Too short: the variable is named once, then what it needs.
    expect(() => loadConfig({ BACKEND_SIGNING_SECRET: "short" })).toThrow(
      "invalid configuration: BACKEND_SIGNING_SECRET: at least 32 characters (use 32 random bytes, hex- or base64-encoded)",
    );
  });

  it("trims the signing secret as the edge does (a secret file's trailing newline)", () => {
    expect(loadConfig({ BACKEND_SIGNING_SECRET: `${SECRET.BACKEND_SIGNING_SECRET}\n` }).signingSecret).toBe(
      SECRET.BACKEND_SIGNING_SECRET,
    );
  });

  it.each([
    ["BACKEND_PORT", "70000"],
    ["PROVIDER_TIMEOUT_MS", "3000000000"],
    ["REPLAY_REDIS_TIMEOUT_MS", "3000000000"],
    ["SHUTDOWN_GRACE_MS", "2147483648"],
    ["TILE_SIZE", "65536"],
    ["TILE_BATCH", "1000"],
    ["INFERENCE_WORKERS", "1000"],
    ["REPLAY_REDIS_URL", "http://127.0.0.1:6379"],
    ["LOCAL_INDEX_FILE", "/nonexistent/index.bin"],
  ])("refuses %s=%s at once, naming it (it used to start and then fail or misbehave)", (name, value) => {
    expect(() => loadConfig({ ...SECRET, [name]: value })).toThrow(
      new RegExp(`^invalid configuration: ${name}: `),
    );
  });

  it("refuses a replay store URL without a host, and checks LOCAL_INDEX_FILE only where local reads it", () => {
    for (const url of ["redis://", "redis:/x", "redis:h", "not a url", "redis://:pw@/0"])
      expect(() => loadConfig({ ...SECRET, REPLAY_REDIS_URL: url }), url).toThrow(
        /^invalid configuration: REPLAY_REDIS_URL: /,
      );
    const missing = { ...SECRET, LOCAL_INDEX_FILE: "/nonexistent/index.bin" };
    expect(loadConfig({ ...missing, ENABLED_PROVIDERS: "esri" }).providers.local.indexFile).toBe(
      "/nonexistent/index.bin",
    );
    // A folder is no index file, nor a path through a file.
    for (const path of ["/tmp", "/etc/passwd/x"])
      expect(() => loadConfig({ ...SECRET, LOCAL_INDEX_FILE: path }), path).toThrow(
        /^invalid configuration: LOCAL_INDEX_FILE: /,
      );
  });

  it("takes a redis:// or rediss:// replay store", () => {
    for (const url of ["redis://127.0.0.1:6379", "rediss://user:pw@redis.example.com:6380/2"])
      expect(loadConfig({ ...SECRET, REPLAY_REDIS_URL: url }).replay.redisUrl).toBe(url);
  });

  it("takes provider URLs over https, or plain http to loopback (tests, the local stack) only", () => {
    expect(loadConfig(SECRET).providers.esri.urlTemplate).toMatch(/^https:/);
    const loopback = "http://127.0.0.1:9000/tile/{z}/{y}/{x}";
    expect(loadConfig({ ...SECRET, ESRI_TILE_URL: loopback }).providers.esri.urlTemplate).toBe(loopback);
    // A Mapbox token or an Earth Engine bearer token would travel in clear.
    for (const name of ["ESRI_TILE_URL", "MAPBOX_TILE_URL", "GEE_API_URL"]) {
      expect(() => loadConfig({ ...SECRET, [name]: "http://tiles.example.com/{z}/{x}/{y}" })).toThrow(
        new RegExp(`${name}: must be an https URL`),
      );
    }
  });
});

describe("provider URL defaults", () => {
  it("fetch Esri tiles as z/y/x and Mapbox as 512-px @2x tiles (what the providers decode)", () => {
    const c = loadConfig({ BACKEND_SIGNING_SECRET: "config-test-secret-0123456789abcdef0123" });
    expect(c.providers.esri.urlTemplate).toBe(ESRI_WORLD_IMAGERY_URL);
    expect(c.providers.mapbox.urlTemplate).toBe(MAPBOX_SATELLITE_URL);
    expect(ESRI_WORLD_IMAGERY_URL).toMatch(/\/tile\/\{z\}\/\{y\}\/\{x\}$/);
    expect(MAPBOX_SATELLITE_URL).toMatch(/\/\{z\}\/\{x\}\/\{y\}@2x\./);
  });
});

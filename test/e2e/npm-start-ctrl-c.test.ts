/**
 * Ctrl-C on `npm start`: the terminal sends SIGINT to its whole process group, so the parts get it
 * at the same moment as the command. The command must stop everything and exit 0, not take a part
 * that ended on that signal for a part that died (its "exited … while running" line and exit 1).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  alive,
  descendants,
  type NpmStart,
  START_TIMEOUT_MS,
  startNpmStart,
  waitFor,
} from "./support/npm-start.js";

let npm: NpmStart;

beforeAll(async () => {
  npm = await startNpmStart();
}, START_TIMEOUT_MS + 10_000);

afterAll(async () => {
  await npm?.dispose();
});

it("stops everything and exits 0 when the terminal's Ctrl-C reaches the whole group", async () => {
  const parts = descendants(npm.child.pid!);
  expect(parts.some((p) => p.args.includes("gpu-backend/src/main.ts"))).toBe(true);
  expect(parts.some((p) => p.args.includes("workerd"))).toBe(true);
  process.kill(-npm.child.pid!, "SIGINT");
  const within20s = new Promise((r) => setTimeout(() => r("still running 20 s later"), 20_000).unref());
  expect(await Promise.race([npm.exited, within20s])).toEqual({ code: 0, signal: null });
  expect(npm.output()).not.toMatch(/while running|stopping everything/);
  await waitFor("every part to be gone", () => parts.every((p) => !alive(p.pid)), 20_000, npm.output());
  const edge = await fetch(`http://127.0.0.1:${npm.ports.edge}/health`).then(
    () => "answered",
    () => "refused",
  );
  expect(edge).toBe("refused");
}, 60_000);

import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../../env.js";
import { audit } from "./index.js";

describe("audit", () => {
  it("logs every answer from 500 up at level error and the rest at info, thrown errors included", async () => {
    const lines: Record<string, unknown>[] = [];
    const app = new Hono<AppEnv>();
    app.use(audit((line) => lines.push({ ...line })));
    app.get("/status/:code", (c) => c.body(null, Number(c.req.param("code")) as 200));
    app.get("/throws", () => {
      throw new Error("a bug");
    });
    app.onError((_e, c) => c.text("internal error", 500));
    for (const path of ["/status/200", "/status/499", "/status/500", "/status/503", "/throws"]) {
      await app.request(path);
    }
    expect(lines.map((l) => [l.status, l.level])).toEqual([
      [200, "info"],
      [499, "info"],
      [500, "error"],
      [503, "error"],
      [500, "error"],
    ]);
    expect(lines.at(-1)).toMatchObject({ method: "GET", route: "/throws", msg: "request" });
  });
});

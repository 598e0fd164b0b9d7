/**
 * The middlewares that edit a finished response in place (CORS's Vary, the request id) also work
 * on a Response whose headers are immutable, e.g. one from Response.redirect() or fetch(); and an
 * OPTIONS request is answered by CORS whether or not it names an Origin.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { corsForBrowsers } from "./cors/index.js";
import { requestIds } from "./request-id/index.js";

function app(): Hono {
  const a = new Hono();
  a.use(requestIds(128));
  a.use(corsForBrowsers({ origin: ["https://app.example"] }));
  a.get("/redirect", () => Response.redirect("https://elsewhere.example/docs", 302));
  a.get("/plain", () => new Response("ok", { headers: { Vary: "Accept-Encoding" } }));
  return a;
}

describe("headers on a finished response", () => {
  it("a redirect (immutable headers) keeps its status and Location and gets Vary and X-Request-Id", async () => {
    const res = await app().request("/redirect", { headers: { "X-Request-Id": "abc-123" } });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://elsewhere.example/docs");
    expect(res.headers.get("vary")).toBe("Origin");
    expect(res.headers.get("x-request-id")).toBe("abc-123");
  });

  it("the same from a browser origin", async () => {
    const res = await app().request("/redirect", { headers: { Origin: "https://app.example" } });
    expect(res.status).toBe(302);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("an ordinary response is edited as it is, its own Vary kept", async () => {
    const res = await app().request("/plain");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
    expect(res.headers.get("vary")).toBe("Accept-Encoding, Origin");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("OPTIONS without an Origin is still answered by CORS (204 and the allowed methods), not 404", async () => {
    const res = await app().request("/plain", { method: "OPTIONS" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

/** RenderClient against a real loopback "backend" that signs whatever bytes it is told to answer. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RESPONSE_SIGNATURE_HEADER, signResponse } from "@lanesegnet/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RenderClient } from "./client.js";

const SECRET = "s".repeat(40);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2]);
let answer: Uint8Array = PNG;
let server: Server;
let client: RenderClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      const signature = await signResponse(SECRET, String(req.headers["x-lsn-nonce"]), 200, answer);
      res.writeHead(200, { "content-type": "image/png", [RESPONSE_SIGNATURE_HEADER]: signature });
      res.end(Buffer.from(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new RenderClient({ url, signingSecret: SECRET, timeoutMs: 5_000 });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("RenderClient", () => {
  const body = { kind: "imagery", bbox: [0, 0, 0.001, 0.001], resolution_m: 0.3, provider: "esri" } as const;

  it("takes a signed PNG, and refuses a signed answer that is not one (an error page is no picture)", async () => {
    answer = PNG;
    expect((await client.render(body, "r1")).ok).toBe(true);
    answer = new TextEncoder().encode("<html>error page</html>");
    expect((await client.render(body, "r2")).ok).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import { isSecureServiceUrl } from "./service-url.js";

describe("isSecureServiceUrl", () => {
  it("takes https anywhere and plain http to loopback only", () => {
    for (const ok of [
      "https://api.example.com/v1",
      "https://server.arcgisonline.com/tile/{z}/{y}/{x}",
      "http://127.0.0.1:8788",
      "http://localhost:8079/x",
      "http://[::1]:9000",
      "HTTPS://api.example.com",
      "Http://127.0.0.1:8788",
    ]) {
      expect(isSecureServiceUrl(ok), ok).toBe(true);
    }
  });

  it("refuses plain http elsewhere, other schemes and what is no URL", () => {
    for (const bad of [
      "http://10.0.0.5:8788",
      "http://api.example.com",
      "http://127.0.0.1.example.com",
      "http://localhost.evil.com",
      "HTTP://api.example.com",
      "ftp://example.com",
      "redis://127.0.0.1:6379",
      "//example.com",
      "https://",
      "",
    ]) {
      expect(isSecureServiceUrl(bad), bad).toBe(false);
    }
  });
});

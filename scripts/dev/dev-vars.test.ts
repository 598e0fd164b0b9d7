import { describe, expect, it } from "vitest";
import { completeDevVars, GENERATED, parseDevVars } from "./dev-vars.js";

const BRIDGE = "http://127.0.0.1:8079";
let n = 0;
const counting = (bytes: number) => Buffer.alloc(bytes, ++n);

describe(".dev.vars for npm start", () => {
  it("creates the file with a bridge URL and fresh secrets when there is none", () => {
    const r = completeDevVars(undefined, BRIDGE, counting);
    expect(r.changed).toBe(true);
    expect(r.text.startsWith(GENERATED)).toBe(true);
    const vars = parseDevVars(r.text);
    expect(vars).toEqual({
      UPSTASH_REDIS_REST_URL: BRIDGE,
      UPSTASH_REDIS_REST_TOKEN: r.token,
      BACKEND_SIGNING_SECRET: r.signingSecret,
    });
    expect(r.signingSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(r.token).not.toBe("");
  });

  it("keeps a complete file as it is", () => {
    const text =
      'UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079\nUPSTASH_REDIS_REST_TOKEN="tok"\nBACKEND_SIGNING_SECRET=sec\nJWT_SECRET=mine\n';
    expect(completeDevVars(text, BRIDGE, counting)).toEqual({
      token: "tok",
      signingSecret: "sec",
      text,
      changed: false,
    });
  });

  it("adds only what a developer's own file lacks, keeping every line of it", () => {
    const text =
      "# mine\nJWT_SECRET=keep-me\nCOVERAGE_INDEX_URL=http://127.0.0.1:9999/i\nBACKEND_SIGNING_SECRET=sec";
    const r = completeDevVars(text, BRIDGE, counting);
    expect(r.changed).toBe(true);
    expect(r.text.startsWith(`${text}\n`)).toBe(true);
    expect(r.signingSecret).toBe("sec");
    const vars = parseDevVars(r.text);
    expect(vars.JWT_SECRET).toBe("keep-me");
    expect(vars.COVERAGE_INDEX_URL).toBe("http://127.0.0.1:9999/i");
    expect(vars.UPSTASH_REDIS_REST_TOKEN).toBe(r.token);
    // The tools that read the file (npm run keys, npm run load) need the bridge's URL too.
    expect(vars.UPSTASH_REDIS_REST_URL).toBe(BRIDGE);
    expect(r.text.match(/BACKEND_SIGNING_SECRET=/g)).toHaveLength(1);
  });

  it("reads the file as wrangler does: quotes of any kind, trailing comments, CRLF", () => {
    expect(parseDevVars("A_B=\"x y\"\r\nC=1\r\n# D=2\r\nE='s3cret'\nF=tok # a comment\n")).toEqual({
      A_B: "x y",
      C: "1",
      E: "s3cret",
      F: "tok",
    });
  });
});

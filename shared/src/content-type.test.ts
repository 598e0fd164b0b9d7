import { describe, expect, it } from "vitest";
import { isJsonMediaType, jsonContentTypeProblem } from "./content-type.js";

describe("jsonContentTypeProblem", () => {
  it("takes JSON and +json types with any parameters and a UTF-8 charset or none", () => {
    for (const ct of [
      "application/json",
      "Application/JSON",
      "application/geo+json",
      "application/json;",
      "application/json; charset=utf-8",
      'application/json; charset="UTF-8"',
      "application/json;charset=utf8",
      "application/json; charset=US-ASCII",
      "application/json; profile=x; Charset = UTF-8 ",
    ]) {
      expect(jsonContentTypeProblem(ct), ct).toBeNull();
      expect(isJsonMediaType(ct), ct).toBe(true);
    }
  });

  it("refuses other media types, and names a charset that is not UTF-8", () => {
    for (const ct of [undefined, "", "text/plain", "application/jsonx", "multipart/form-data"]) {
      expect(jsonContentTypeProblem(ct), String(ct)).toBe(
        "Send the request body as JSON with Content-Type: application/json.",
      );
    }
    for (const [ct, named] of [
      ["application/json; charset=latin1", "latin1"],
      ['application/json; charset="ISO-8859-1"', "iso-8859-1"],
      ["application/json; charset=utf-16", "utf-16"],
      ["application/json; charset=", ""],
    ] as const) {
      expect(jsonContentTypeProblem(ct), ct).toBe(
        `Send the request body as UTF-8 JSON (RFC 8259): charset=${named} is not accepted; give charset=utf-8 or no charset.`,
      );
      expect(isJsonMediaType(ct), ct).toBe(false);
    }
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstDuplicateMember } from "./json-duplicates.js";

describe("firstDuplicateMember", () => {
  it("finds a repeated name with its path, nested in objects and arrays", () => {
    expect(firstDuplicateMember('{"a":1,"a":2}')).toEqual(["a"]);
    expect(firstDuplicateMember('{"x":[{"b":1},{"c":1, "c" : 2}]}')).toEqual(["x", 1, "c"]);
    expect(firstDuplicateMember('{"area":{"type":"bbox","bbox":[1,2,3,4],"type":"Polygon"}}')).toEqual([
      "area",
      "type",
    ]);
    // Equal once decoded, as JSON.parse sees them.
    expect(firstDuplicateMember('{"a":1,"\\u0061":2}')).toEqual(["a"]);
  });

  it("finds none where names repeat only across objects or inside strings", () => {
    expect(firstDuplicateMember('{"a":{"a":1},"b":{"a":2}}')).toBeNull();
    expect(firstDuplicateMember('[{"a":1},{"a":2}]')).toBeNull();
    expect(firstDuplicateMember('{"s":"{\\"a\\":1,\\"a\\":2}","t":"\\\\"}')).toBeNull();
    expect(firstDuplicateMember('{"a":"a","b":["a","a"]}')).toBeNull();
    expect(firstDuplicateMember('"a"')).toBeNull();
    expect(firstDuplicateMember("[]")).toBeNull();
  });

  it("finds none in any JSON.stringify output, and the one planted in it", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.boolean(),
        (value, pretty) => {
          const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
          expect(firstDuplicateMember(text)).toBeNull();
          // The first name again, ahead of everything: the original is then the repeat.
          const [first] = Object.keys(value) as [string];
          const planted = `{${JSON.stringify(first)}:0,${text.slice(1)}`;
          expect(firstDuplicateMember(planted)).toEqual([first]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

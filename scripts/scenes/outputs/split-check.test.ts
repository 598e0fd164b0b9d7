import { describe, expect, it } from "vitest";
import { Rng } from "../random.js";
import { assertDisjointSplits, findSplitOverlaps, SplitLeakError } from "./split-check.js";
import { assignByIndex, assignGroups, parseSplitRatios, splitCounts } from "./splits.js";

const box = (x: number, y: number, s = 100): [number, number, number, number] => [x, y, x + s, y + s];

describe("split checker", () => {
  it("passes disjoint splits, including touching edges and overlaps inside one split", () => {
    expect(() =>
      assertDisjointSplits([
        { id: "a", split: "train", bbox: box(0, 0) },
        { id: "b", split: "train", bbox: box(50, 0) },
        { id: "c", split: "test", bbox: box(150, 0) },
        { id: "d", split: "val", bbox: box(250, 0) },
      ]),
    ).not.toThrow();
  });

  it("catches a planted overlap across splits and names it", () => {
    const items = [
      { id: "a", split: "train", bbox: box(0, 0) },
      { id: "b", split: "test", bbox: box(500, 500) },
      { id: "planted", split: "test", bbox: box(90, 90) },
    ];
    expect(findSplitOverlaps(items)).toHaveLength(1);
    expect(() => assertDisjointSplits(items)).toThrow(SplitLeakError);
    expect(() => assertDisjointSplits(items)).toThrow(/a \(train\) x planted \(test\): 100\.0 m2/);
  });
});

describe("splits", () => {
  it("parses proportions and rejects nonsense", () => {
    expect(parseSplitRatios("70,10,20")).toEqual({ train: 0.7, val: 0.1, test: 0.2 });
    expect(() => parseSplitRatios("70,30")).toThrow();
    expect(() => parseSplitRatios("a,b,c")).toThrow();
    expect(() => parseSplitRatios("0,0,0")).toThrow();
  });

  it("assigns exact counts and whole groups", () => {
    expect(splitCounts(10, parseSplitRatios("70,10,20"))).toEqual({ train: 7, val: 1, test: 2 });
    const a = assignByIndex(101, parseSplitRatios("70,10,20"), new Rng(1));
    expect(a.filter((s) => s === "train")).toHaveLength(71);
    const g = assignGroups(
      [
        { key: "6", size: 3280 },
        { key: "0", size: 1593 },
        { key: "2", size: 955 },
        { key: "5", size: 238 },
        { key: "4", size: 208 },
      ],
      parseSplitRatios("70,10,20"),
    );
    expect(new Set(g.values())).toEqual(new Set(["train", "val", "test"]));
    expect(g.get("6")).toBe("train");
  });
});

import { describe, expect, it } from "vitest";
import { RefusedUsers } from "./refused-users.js";

describe("RefusedUsers", () => {
  it("holds a refusal until its slot frees or the user is admitted", () => {
    const refused = new RefusedUsers();
    refused.refuse("u", 2_000);
    expect(refused.isRefused("u", 1_999)).toBe(true);
    expect(refused.isRefused("other", 1_999)).toBe(false);
    expect(refused.isRefused("u", 2_000)).toBe(false);
    refused.refuse("u", 5_000);
    refused.admit("u");
    expect(refused.isRefused("u", 3_000)).toBe(false);
  });

  it("stays bounded: beyond its size the oldest refusal is forgotten", () => {
    const refused = new RefusedUsers(2);
    refused.refuse("a", 9_000);
    refused.refuse("b", 9_000);
    refused.refuse("c", 9_000);
    expect(refused.isRefused("a", 0)).toBe(false);
    expect(refused.isRefused("b", 0)).toBe(true);
    expect(refused.isRefused("c", 0)).toBe(true);
  });
});

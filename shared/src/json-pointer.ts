/** RFC 6901 JSON Pointers, used as the field path of every validation message. */

export type PathSegment = string | number;

/** ["area", "coordinates", 0, 3] -> "/area/coordinates/0/3"; [] -> "" (the whole document). */
export function toJsonPointer(segments: readonly PropertyKey[]): string {
  return segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

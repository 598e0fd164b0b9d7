/**
 * Repeated member names in a JSON text. JSON.parse keeps the last of two equal names without a
 * word; RFC 8259 says names SHOULD be unique and I-JSON (RFC 7493) that they MUST. A request whose
 * members repeat can be read one way here and another way by any other parser on its path (a WAF,
 * a log pipeline, a client library), so the API refuses it instead of guessing.
 *
 * Written by hand: a single pass over text JSON.parse has already accepted, so it only has to
 * follow strings, brackets, commas and colons; the libraries that report duplicates are whole
 * parsers with an AST, for a question this small.
 */
import type { PathSegment } from "./json-pointer.js";

type Frame =
  | { readonly kind: "object"; readonly names: Set<string>; name: string | undefined; expectName: boolean }
  | { readonly kind: "array"; index: number };

/**
 * The path of the first member whose name repeats one before it in the same object (as JSON
 * Pointer segments, the member's own name last), or null. `text` must be valid JSON.
 */
export function firstDuplicateMember(text: string): PathSegment[] | null {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "{") stack.push({ kind: "object", names: new Set(), name: undefined, expectName: true });
    else if (ch === "[") stack.push({ kind: "array", index: 0 });
    else if (ch === "}" || ch === "]") stack.pop();
    else if (ch === ",") {
      const top = stack[stack.length - 1];
      if (top?.kind === "object") top.expectName = true;
      else if (top?.kind === "array") top.index++;
    } else if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.kind === "object" && top.expectName) {
        // Decoded, so "\u0061" and "a" are the same name, as JSON.parse sees them.
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) return [...pathTo(stack), name];
        top.names.add(name);
        top.name = name;
        top.expectName = false;
      }
      i = end;
    }
  }
  return null;
}

/** Where the innermost frame sits: each enclosing object's current member, each array's index. */
function pathTo(stack: readonly Frame[]): PathSegment[] {
  return stack.slice(0, -1).map((f) => (f.kind === "object" ? (f.name ?? "") : f.index));
}

/**
 * JSON text in the project's formatter style (Biome: 2-space indent, 110 columns): objects one key
 * per line, arrays on one line when they fit, else one element per line. Generated files that are
 * committed (fixtures, demo store sidecars) then pass `biome check` as they are written.
 */
const WIDTH = 110;

export function formatJson(value: unknown): string {
  return `${fmt(value, 0, 0, 0)}\n`;
}

/** `prefix`: characters before the value on its line (indent + key); `suffix`: a trailing comma. */
function fmt(v: unknown, indent: number, prefix: number, suffix: number): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  const pad = " ".repeat(indent + 2);
  const end = " ".repeat(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const flat = v.every((x) => x === null || typeof x !== "object" || Array.isArray(x)) ? oneLine(v) : null;
    if (flat !== null && prefix + flat.length + suffix <= WIDTH) return flat;
    const items = v.map((x, i) => pad + fmt(x, indent + 2, indent + 2, i < v.length - 1 ? 1 : 0));
    return `[\n${items.join(",\n")}\n${end}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, x], i) => {
    const key = `${JSON.stringify(k)}: `;
    return pad + key + fmt(x, indent + 2, indent + 2 + key.length, i < entries.length - 1 ? 1 : 0);
  });
  return `{\n${lines.join(",\n")}\n${end}}`;
}

/** Single-line form of an array of primitives and arrays, or null if it holds an object. */
function oneLine(v: unknown): string | null {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (!Array.isArray(v)) return null;
  const parts: string[] = [];
  for (const x of v) {
    const s = oneLine(x);
    if (s === null) return null;
    parts.push(s);
  }
  return `[${parts.join(", ")}]`;
}

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * Lua scripts that start with a `#!lua flags=...` shebang.
 *
 * Upstash accepts `flags=allow-key-locking`, Redis 7.0 rejects it ("Unexpected flag in script
 * shebang"). The bridge blanks the shebang line (keeping the newline, so Lua error line numbers
 * still match the client's source) and remembers which original SHA1 maps to which stripped one,
 * so a client's EVALSHA of the original hash runs the stripped script directly.
 */
export interface ShebangScript {
  /** SHA1 of the script exactly as the client sent it (what the client will EVALSHA). */
  readonly originalSha: string;
  /** The script with its shebang line blanked; this is what Redis actually stores. */
  readonly stripped: string;
  readonly strippedSha: string;
}

export function sha1Hex(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

export function hasShebang(script: string): boolean {
  return script.startsWith("#!");
}

/** Replace the first line with an empty one; scripts without a shebang come back unchanged. */
export function stripShebang(script: string): string {
  if (!hasShebang(script)) return script;
  const newline = script.indexOf("\n");
  return newline === -1 ? "" : script.slice(newline);
}

export class ShebangScriptRegistry {
  readonly #bySha = new Map<string, ShebangScript>();
  readonly #byText = new Map<string, ShebangScript>();

  /** Remember a shebang script (idempotent) and return its mapping. */
  register(script: string): ShebangScript {
    const known = this.#byText.get(script);
    if (known) return known;
    const stripped = stripShebang(script);
    const entry: ShebangScript = {
      originalSha: sha1Hex(script),
      stripped,
      strippedSha: sha1Hex(stripped),
    };
    this.#byText.set(script, entry);
    this.#bySha.set(entry.originalSha, entry);
    return entry;
  }

  /** Look up by the original SHA1 the client computed (case-insensitive like Redis). */
  bySha(sha: string): ShebangScript | undefined {
    return this.#bySha.get(sha) ?? (sha.length === 40 ? this.#bySha.get(sha.toLowerCase()) : undefined);
  }

  get size(): number {
    return this.#bySha.size;
  }

  all(): ShebangScript[] {
    return [...this.#bySha.values()];
  }
}

/**
 * Read the shebang scripts that @upstash/ratelimit ships, straight from its installed bundle.
 *
 * The library does not export them, and it EVALSHAs hard-coded hashes. We pull every
 * `var name = \`#!lua ...\`` literal out of the bundle, substitute the simple `${constant}`
 * interpolations it uses, and keep only scripts whose SHA1 equals one of the hashes hard-coded in
 * the same bundle, so a change in the bundle's shape can only make us preload fewer scripts (they
 * are then learnt on the client's first NOSCRIPT -> EVAL), never wrong ones.
 * Returns [] when the package is not installed.
 */
export async function readRatelimitScripts(): Promise<string[]> {
  let source: string;
  try {
    const require = createRequire(import.meta.url);
    source = await readFile(require.resolve("@upstash/ratelimit"), "utf8");
  } catch {
    return [];
  }
  return extractVerifiedShebangScripts(source);
}

export function extractVerifiedShebangScripts(bundle: string): string[] {
  const hardCoded = new Set(Array.from(bundle.matchAll(/hash:\s*"([0-9a-f]{40})"/g), (m) => m[1]));
  const constants = new Map<string, string>();
  for (const m of bundle.matchAll(/\bvar (\w+) = (-?\d+(?:\.\d+)?|"[^"\\\n]*");/g)) {
    const [, name, literal] = m;
    if (name && literal) constants.set(name, literal.startsWith('"') ? literal.slice(1, -1) : literal);
  }
  const scripts: string[] = [];
  for (const m of bundle.matchAll(/`(#!lua[^`\\]*)`/g)) {
    const raw = m[1];
    if (raw === undefined) continue;
    let unresolved = false;
    const script = raw.replace(/\$\{(\w+)\}/g, (_all, name: string) => {
      const value = constants.get(name);
      if (value === undefined) unresolved = true;
      return value ?? "";
    });
    if (!unresolved && hardCoded.has(sha1Hex(script))) scripts.push(script);
  }
  return scripts;
}

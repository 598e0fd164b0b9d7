/**
 * Development secrets the guard must never find in a production build: the values of secret-named
 * variables in `.dev.vars` (written by `npm start`, git-ignored) and in `edge/dev.vars.example`,
 * plus the well-known placeholders. Short values (< 8 characters) and URLs are not secrets.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export const PLACEHOLDER_SECRETS = ["dev-token", "change-me"] as const;

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PRIVATE|_KEY$|^KEY$/i;

/** Secret values in a dotenv-style text (KEY=value lines; quotes stripped; comments ignored). */
export function secretValues(dotenv: string): string[] {
  const out: string[] = [];
  for (const raw of dotenv.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
    if (SECRET_NAME.test(name) && value.length >= 8 && !/^https?:\/\//.test(value)) out.push(value);
  }
  return out;
}

/** Every development secret known in this checkout (deduplicated). */
export async function devSecrets(root: string): Promise<string[]> {
  const found = new Set<string>(PLACEHOLDER_SECRETS);
  for (const file of [".dev.vars", "edge/dev.vars.example", "edge/.dev.vars"]) {
    const text = await readFile(join(root, file), "utf8").catch(() => "");
    for (const v of secretValues(text)) found.add(v);
  }
  return [...found];
}

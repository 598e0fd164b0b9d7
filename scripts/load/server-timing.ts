/**
 * The server's own time split, from its `Server-Timing` header (hono/timing:
 * `auth;dur=2.0,ratelimit;dur=3.0,key;dur=0.0,analysis;dur=8.0,total;dur=16.0;desc="Total Response Time"`),
 * collected per metric name over a load run.
 */
import { type Percentiles, percentiles } from "./stats.js";

/** Metric name -> duration in ms. Entries without a `dur` are left out; a repeated name keeps the first. */
export function parseServerTiming(header: string | undefined | null): Map<string, number> {
  const out = new Map<string, number>();
  if (!header) return out;
  for (const entry of splitOutsideQuotes(header, ",")) {
    const [rawName, ...params] = splitOutsideQuotes(entry, ";");
    const name = rawName?.trim();
    if (!name || out.has(name)) continue;
    for (const param of params) {
      const eq = param.indexOf("=");
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== "dur") continue;
      const value = Number(
        param
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, "$1"),
      );
      if (Number.isFinite(value) && value >= 0) out.set(name, value);
      break;
    }
  }
  return out;
}

/** Split on `sep` except inside double-quoted strings (a `desc="a, b"` must not split). */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === sep && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Server-Timing values of many responses, by metric name. */
export class ServerTimingCollector {
  readonly #values = new Map<string, number[]>();
  #responses = 0;
  #withHeader = 0;

  add(header: string | undefined | null): void {
    this.#responses++;
    const parsed = parseServerTiming(header);
    if (parsed.size === 0) return;
    this.#withHeader++;
    for (const [name, dur] of parsed) {
      let list = this.#values.get(name);
      if (!list) {
        list = [];
        this.#values.set(name, list);
      }
      list.push(dur);
    }
  }

  /** Percentiles per metric, in the order the server first reported them. */
  summary(): ServerTimingSummary {
    const metrics: Record<string, Percentiles> = {};
    for (const [name, list] of this.#values) metrics[name] = percentiles(list);
    return { responses: this.#responses, withHeader: this.#withHeader, metrics };
  }
}

export interface ServerTimingSummary {
  readonly responses: number;
  /** Responses that carried a parseable Server-Timing header. */
  readonly withHeader: number;
  readonly metrics: Readonly<Record<string, Percentiles>>;
}

/**
 * What a well-formed answer of this API is, and a ledger that proves that no request was lost:
 * every request sent got exactly one answer (a response, not a thrown error or a hang), each answer
 * is well-formed, and the Worker wrote exactly one audit line for it.
 */
import { randomBytes } from "node:crypto";
import type { Worker } from "./worker.js";

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** Text that must never appear in a body: internals, model files, stack frames. */
const NEVER_IN_BODY: readonly [RegExp, string][] = [
  [/\bat (?:async )?[\w$.<>[\]]+ \(?[^()\s]*:\d+:\d+\)?/, "a stack frame"],
  [/\n\s+at /, "a stack trace"],
  [/\.onnx\b/i, "a model file name"],
  [/\bmodels\//, "a model path"],
  [/onnxruntime|CUDA_ERROR|ECONNREFUSED|ECONNRESET|UND_ERR/i, "an internal error text"],
];

/**
 * Why an answer is not well-formed (empty list: it is). `secrets` are strings that must not appear
 * anywhere in the body (signing secret, Upstash token, ...). `operator`: an operators' endpoint
 * (Prometheus metrics), which may name onnxruntime; secrets and stack traces are still refused.
 */
export function answerFaults(
  answer: Answer,
  secrets: readonly string[] = [],
  options: { operator?: boolean } = {},
): string[] {
  const faults: string[] = [];
  const { status, headers, body } = answer;
  const type = headers.get("content-type") ?? "";
  const rules = options.operator ? NEVER_IN_BODY.slice(0, 2) : NEVER_IN_BODY;
  for (const [pattern, what] of rules) if (pattern.test(body)) faults.push(`body holds ${what}`);
  for (const secret of secrets) if (secret && body.includes(secret)) faults.push("body holds a secret");
  if (status < 200 || status > 599) faults.push(`status ${status}`);
  if (status === 304) {
    if (body !== "") faults.push("304 with a body");
    return faults;
  }
  if (status >= 400) {
    if (!type.startsWith("application/problem+json")) faults.push(`${status} as ${type || "no type"}`);
    try {
      const p = JSON.parse(body) as Record<string, unknown>;
      if (p.status !== status) faults.push(`problem status ${String(p.status)} under HTTP ${status}`);
      if (typeof p.type !== "string" || typeof p.title !== "string")
        faults.push("problem without type/title");
    } catch {
      faults.push(`${status} body is not JSON`);
    }
    if ((status === 503 || status === 429) && !/^\d+$/.test(headers.get("retry-after") ?? "")) {
      faults.push(`${status} without Retry-After`);
    }
    return faults;
  }
  if (type.startsWith("application/json") || type.startsWith("application/geo+json")) {
    try {
      JSON.parse(body);
    } catch {
      faults.push("JSON body that does not parse");
    }
  }
  return faults;
}

export interface Sent {
  readonly id: string;
  readonly label: string;
  answer?: Answer;
  error?: string;
}

let ledgers = 0;

/** Sends requests to a Worker and remembers each, for verify(). */
export class Ledger {
  readonly sent: Sent[] = [];
  readonly #prefix = `l${++ledgers}-${randomBytes(3).toString("hex")}`;

  constructor(
    private readonly worker: Worker,
    private readonly secrets: readonly string[] = [],
  ) {}

  /** Send one request with its own X-Request-Id; never throws (a failure is recorded). */
  async send(label: string, path: string, init: RequestInit = {}): Promise<Sent> {
    const sent: Sent = { id: `${this.#prefix}-${this.sent.length}`, label };
    this.sent.push(sent);
    const headers = new Headers(init.headers);
    headers.set("x-request-id", sent.id);
    try {
      const res = await this.worker.fetch(path, { ...init, headers });
      sent.answer = { status: res.status, headers: res.headers, body: await res.text() };
    } catch (error) {
      sent.error = error instanceof Error ? error.message : String(error);
    }
    return sent;
  }

  /**
   * Nothing lost: each request has exactly one well-formed answer and exactly one audit line with
   * the same status. Returns a list of violations (empty when all is well).
   */
  async violations(): Promise<string[]> {
    const out: string[] = [];
    const ids = new Set(this.sent.map((s) => s.id));
    const lines = await this.worker.auditWhere((l) => ids.has(l.client_request_id ?? ""), this.sent.length);
    for (const s of this.sent) {
      if (!s.answer) {
        out.push(`${s.id} (${s.label}): no answer: ${s.error ?? "?"}`);
        continue;
      }
      for (const f of answerFaults(s.answer, this.secrets)) out.push(`${s.id} (${s.label}): ${f}`);
      const audited = lines.filter((l) => l.client_request_id === s.id);
      if (audited.length !== 1) out.push(`${s.id} (${s.label}): ${audited.length} audit lines`);
      else if (audited[0]!.status !== s.answer.status)
        out.push(`${s.id} (${s.label}): audited ${audited[0]!.status}, answered ${s.answer.status}`);
    }
    return out;
  }

  /** Count of answers by status, e.g. {"200": 10, "503": 4}. */
  statuses(filter: (s: Sent) => boolean = () => true): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const s of this.sent.filter(filter)) {
      const k = s.answer ? String(s.answer.status) : "none";
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  }
}

/** The problem `type` of an answer, or undefined. */
export function problemType(answer: Answer | undefined): string | undefined {
  if (!answer || answer.status < 400) return undefined;
  try {
    return (JSON.parse(answer.body) as { type?: string }).type;
  } catch {
    return undefined;
  }
}

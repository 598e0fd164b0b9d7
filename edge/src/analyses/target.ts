/**
 * What a POST /v1/analyses is about (validated request, analysis id, area hash), worked out BEFORE
 * the rate limit, so the rate limiter's Redis script and the cached result's GET can travel in one
 * round trip (redis/batch.ts). Nothing is decided before the rate limit: an unreadable or invalid
 * body is answered after it (`requireValidAnalysis`, after the 415 check), so invalid requests
 * still count against the quota and carry its headers, as documented. The rate-limit decision is
 * always applied first; a prefetched result is only used once the request has passed everything.
 */
import {
  type AnalysisRequest,
  type AnalysisRequestSchema,
  analysisCacheKey,
  areaHash,
  firstDuplicateMember,
  isJsonMediaType,
  type PathSegment,
  problemResponse,
  type ResolvedAnalysisRequest,
  resolveAnalysisRequest,
  validationProblem,
} from "@lanesegnet/shared";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { endTime, startTime } from "hono/timing";
import { z } from "zod";
import type { AppEnv } from "../env.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../problems.js";
import { analysisIdOf } from "../redis/keys.js";
import type { AnalysisService, ResultReader, StoredResult } from "./service.js";
import type { WorkedOut, WorkedOutBodies } from "./worked-out-bodies.js";

export interface AnalysisTarget {
  readonly request: ResolvedAnalysisRequest;
  readonly id: string;
  readonly areaHash: string;
  /** Start reading the stored result through `via`, the rate limiter's batch (one round trip). */
  readonly prefetch: (via: ResultReader) => Promise<StoredResult | null>;
  /** What `prefetch` started (set by the rate-limit middleware). */
  stored?: Promise<StoredResult | null>;
}

/** The body of a POST /v1/analyses, read and validated once. */
export type AnalysisInput =
  | { readonly kind: "valid"; readonly target: AnalysisTarget }
  | { readonly kind: "invalid"; readonly error: z.ZodError }
  | { readonly kind: "unreadable"; readonly why?: "not_utf8" };

export interface AnalysisInputDeps {
  readonly results: Pick<AnalysisService, "stored">;
  readonly model: { readonly name: string; readonly version: string };
  /** The key analysis ids are made with (cache/id-key.ts). */
  readonly idKey: () => Promise<CryptoKey>;
  readonly defaults: Parameters<typeof resolveAnalysisRequest>[1];
  /** analysisRequestSchema() with the model's coarsest analysed resolution (the same as `defaults`'). */
  readonly schema: Pick<typeof AnalysisRequestSchema, "safeParse">;
  /** Valid bodies already worked out by this isolate (repeats skip validation and hashing). */
  readonly workedOut?: WorkedOutBodies;
}

/** Whether the request says its body is JSON (what the JSON check accepts). */
export function sendsJson(c: Context<AppEnv>): boolean {
  return isJsonMediaType(c.req.header("content-type"));
}

/** The analysis a valid request asks for: resolved, its id and area hash, and how to prefetch it. */
export async function analysisTarget(
  c: Context<AppEnv>,
  valid: AnalysisRequest,
  deps: AnalysisInputDeps,
): Promise<AnalysisTarget> {
  return targetOf(await workOut(c, valid, deps), deps);
}

/** The resolved request, its id and area hash (the `key` stage of Server-Timing). */
async function workOut(
  c: Context<AppEnv>,
  valid: AnalysisRequest,
  deps: AnalysisInputDeps,
): Promise<WorkedOut> {
  startTime(c, "key");
  const request = resolveAnalysisRequest(valid, deps.defaults);
  const [key, area] = await Promise.all([
    deps.idKey().then((idKey) => analysisCacheKey(request, deps.model, idKey)),
    areaHash(request.area),
  ]);
  endTime(c, "key");
  return { request, id: analysisIdOf(key), areaHash: area };
}

function targetOf(worked: WorkedOut, deps: AnalysisInputDeps): AnalysisTarget {
  const { id } = worked;
  const prefetch = (via: ResultReader) => deps.results.stored(id, via);
  return { request: worked.request, id, areaHash: worked.areaHash, prefetch };
}

/** JSON text is UTF-8 (RFC 8259): bytes that are not are refused, not read with replacement characters. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A request body read as strict UTF-8 text, or why it could not be. */
export type BodyText =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "unreadable"; readonly why?: "not_utf8" };

/** The body as text, refusing bytes that are not UTF-8 (shared by /v1 and the compatibility route). */
export async function readBodyText(c: Context<AppEnv>): Promise<BodyText> {
  let bytes: ArrayBuffer;
  try {
    bytes = await c.req.arrayBuffer();
  } catch {
    return { kind: "unreadable" };
  }
  try {
    return { kind: "text", text: STRICT_UTF8.decode(bytes) };
  } catch {
    return { kind: "unreadable", why: "not_utf8" };
  }
}

/** The JSON value of a body's text; a member named twice in one object is refused at its path. */
export function parseBodyJson(
  text: string,
): { readonly kind: "json"; readonly value: unknown } | Exclude<AnalysisInput, { kind: "valid" }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unreadable" };
  }
  const repeated = firstDuplicateMember(text);
  if (repeated) return { kind: "invalid", error: duplicateMemberError(repeated) };
  return { kind: "json", value };
}

async function readInput(c: Context<AppEnv>, deps: AnalysisInputDeps): Promise<AnalysisInput> {
  const read = await readBodyText(c);
  if (read.kind !== "text") return read;
  const { text } = read;
  const known = deps.workedOut?.get(text);
  if (known) return { kind: "valid", target: targetOf(known, deps) };
  const body = parseBodyJson(text);
  if (body.kind !== "json") return body;
  const parsed = deps.schema.safeParse(body.value);
  if (!parsed.success) return { kind: "invalid", error: parsed.error };
  const worked = await workOut(c, parsed.data, deps);
  deps.workedOut?.put(text, worked);
  return { kind: "valid", target: targetOf(worked, deps) };
}

/** A repeated member as a validation error at its own path, reported as every other field error. */
function duplicateMemberError(path: PathSegment[]): z.ZodError {
  const name = String(path[path.length - 1]);
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return new z.ZodError([
    {
      code: "custom",
      path,
      message: `member "${shown}" appears more than once in its object; each name may appear once (RFC 7493)`,
      input: undefined,
    },
  ]);
}

/**
 * Before the rate limit: read and validate a JSON body (nothing is decided here; a body that is
 * not JSON by its content type is left to the JSON check after the rate limit).
 */
export function analysisInput(deps: AnalysisInputDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (sendsJson(c)) c.set("analysisInput", await readInput(c, deps));
    await next();
  };
}

/**
 * After the rate limit and the JSON check: answer an unreadable or invalid body, exactly as the
 * route's validator would have (400 problem+json with each field; unparseable JSON through the
 * app's error handler), so the body is validated once per request, not twice.
 */
export function requireValidAnalysis(deps: AnalysisInputDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let input = c.get("analysisInput");
    if (!input) {
      input = await readInput(c, deps);
      c.set("analysisInput", input);
    }
    const refused = refusalOf(c, input);
    if (refused) return refused;
    await next();
  };
}

/**
 * The answer to a body that could not be read or was invalid: 400 problem+json (unparseable JSON
 * through the app's error handler, as a route's validator answers it); nothing for a valid one.
 */
export function refusalOf(c: Context<AppEnv>, input: AnalysisInput): Response | undefined {
  if (input.kind === "unreadable" && input.why === "not_utf8") {
    return problemJson(400, {
      type: EDGE_PROBLEM_TYPES.invalidRequest,
      title: "Invalid request",
      detail: "The request body is not valid UTF-8 (JSON text is UTF-8, RFC 8259).",
      instance: instanceOf(c),
    });
  }
  if (input.kind === "unreadable")
    throw new HTTPException(400, { message: "Malformed JSON in request body" });
  if (input.kind === "invalid")
    return problemResponse(validationProblem(input.error, { instance: instanceOf(c) }));
  return undefined;
}

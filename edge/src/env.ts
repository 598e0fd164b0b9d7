/**
 * The Hono environment of the edge app: per-request variables set by middleware. Read them with
 * `c.get(name)`, not `c.var.name`: hono's `c.var` builds a new object of every variable on each
 * access (~1 KB of garbage per access, ~3 KB per cache hit before this rule, measured with V8's
 * sampling heap profiler in workerd).
 */
import type { TimingVariables } from "hono/timing";
import type { AnalysisInput } from "./analyses/target.js";
import type { AuditRecord } from "./audit/log.js";
import type { DeferredKeyCheck } from "./auth/key-cache.js";

export interface Principal {
  readonly userId: string;
  readonly method: "api_key" | "jwt";
}

export type AppVariables = TimingVariables & {
  /** This edge's own id of the request (middleware/request-id). */
  requestId: string;
  /** The caller's `X-Request-Id` when short and plain. */
  clientRequestId: string | undefined;
  audit: AuditRecord;
  /** performance.now() when the request reached the Worker (set by the audit middleware). */
  startedAt: number;
  principal: Principal;
  /** POST /v1/analyses: its body read and validated once, before the rate limit. */
  analysisInput: AnalysisInput | undefined;
  /** An API key whose record the rate-limit middleware checks (in its own Redis round trip). */
  keyCheck: DeferredKeyCheck | undefined;
};

export type AppEnv = { Variables: AppVariables };

/** The Hono environment of the edge app: per-request variables set by middleware. */
import type { RequestIdVariables } from "hono/request-id";
import type { TimingVariables } from "hono/timing";
import type { AnalysisInput } from "./analyses/target.js";
import type { AuditRecord } from "./audit/log.js";
import type { DeferredKeyCheck } from "./auth/key-cache.js";

export interface Principal {
  readonly userId: string;
  readonly method: "api_key" | "jwt";
}

export type AppVariables = RequestIdVariables &
  TimingVariables & {
    audit: AuditRecord;
    principal: Principal;
    /** POST /v1/analyses: its body read and validated once, before the rate limit. */
    analysisInput: AnalysisInput | undefined;
    /** An API key whose record the rate-limit middleware checks (in its own Redis round trip). */
    keyCheck: DeferredKeyCheck | undefined;
  };

export type AppEnv = { Variables: AppVariables };

/** The Hono environment of the edge app: per-request variables set by middleware. */
import type { RequestIdVariables } from "hono/request-id";
import type { TimingVariables } from "hono/timing";
import type { AuditRecord } from "./audit/log.js";

export interface Principal {
  readonly userId: string;
  readonly method: "api_key" | "jwt";
}

export type AppVariables = RequestIdVariables &
  TimingVariables & {
    audit: AuditRecord;
    principal: Principal;
  };

export type AppEnv = { Variables: AppVariables };

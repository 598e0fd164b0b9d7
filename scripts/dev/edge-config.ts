/**
 * The edge's configuration as `wrangler dev` gives it to the Worker under `npm start`
 * (wrangler.toml's [vars], then .dev.vars, then npm start's own `--var` values), checked with the
 * Worker's own `loadConfig` before anything starts. Without this a bad value (say COVERAGE_INDEX_URL
 * over plain http to another host) showed only as `/health` answering a bare 500 (the Worker logs
 * the variable's name, but wrangler dev writes that to its log file), and npm start waited out its
 * 120 s for the edge to be ready.
 */
import { loadConfig } from "../../edge/src/config.js";
import { workerVars } from "./worker-runtime.js";

/** Throws the Worker's ConfigError (one line naming each bad variable) when it would refuse them. */
export function checkEdgeVars(
  devVars: Readonly<Record<string, string>>,
  overrides: Readonly<Record<string, string>>,
): void {
  loadConfig({ ...workerVars(), ...devVars, ...overrides });
}

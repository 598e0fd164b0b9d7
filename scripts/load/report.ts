/** Markdown for load results: one table row per phase, the server's time split, and the checks. */
import type { PhaseResult } from "./run-phase.js";
import type { ScenarioResult } from "./scenarios.js";
import { round } from "./stats.js";

function statusText(statuses: Readonly<Record<string, number>>): string {
  return Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}: ${n}`)
    .join(", ");
}

/** `name p50/p99` of each Server-Timing metric, e.g. `auth 1/3 · ratelimit 2/6 · total 5/20`. */
export function timingText(phase: PhaseResult): string {
  const parts: string[] = [];
  for (const [name, p] of Object.entries(phase.serverTiming.metrics)) {
    parts.push(`${name} ${round(p.p50)}/${round(p.p99)}`);
  }
  return parts.join(" · ") || "—";
}

export function phaseTable(rows: { scenario: string; phase: PhaseResult }[]): string {
  const lines = [
    "| scenario | phase | conns | s | responses | req/s | p50 ms | p90 ms | p99 ms | max ms | statuses | errors |",
    "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --- | --: |",
  ];
  for (const { scenario, phase: p } of rows) {
    lines.push(
      `| ${scenario} | ${p.name} | ${p.connections} | ${p.durationS} | ${p.requests} | ${p.throughputPerS} | ${p.latencyMs.p50} | ${p.latencyMs.p90} | ${p.latencyMs.p99} | ${p.latencyMs.max} | ${statusText(p.statuses)} | ${p.errors} |`,
    );
  }
  return lines.join("\n");
}

function cpuText(phase: PhaseResult): string {
  return (
    Object.entries(phase.cpuMsPerResponse)
      .map(([name, ms]) => `${name} ${round(ms)}`)
      .join(" · ") || "—"
  );
}

export function timingTable(rows: { scenario: string; phase: PhaseResult }[]): string {
  const lines = [
    "| scenario | phase | server time, p50/p99 ms per Server-Timing metric | CPU ms per response, by process |",
    "| --- | --- | --- | --- |",
  ];
  for (const { scenario, phase } of rows)
    lines.push(`| ${scenario} | ${phase.name} | ${timingText(phase)} | ${cpuText(phase)} |`);
  return lines.join("\n");
}

export function classTable(rows: { scenario: string; phase: PhaseResult }[]): string {
  const lines = [
    "| scenario | phase | class | count | p50 ms | p90 ms | p99 ms | max ms |",
    "| --- | --- | --- | --: | --: | --: | --: | --: |",
  ];
  let any = false;
  for (const { scenario, phase } of rows) {
    const groups = { ...phase.byClass, ...prefixKeys(phase.byTag, "tag ") };
    if (Object.keys(groups).length < 2) continue;
    for (const [cls, p] of Object.entries(groups)) {
      if (cls.startsWith("tag user-")) continue;
      any = true;
      lines.push(
        `| ${scenario} | ${phase.name} | ${cls} | ${p.count} | ${round(p.p50)} | ${round(p.p90)} | ${round(p.p99)} | ${round(p.max)} |`,
      );
    }
  }
  return any ? lines.join("\n") : "";
}

function prefixKeys<T>(o: Readonly<Record<string, T>>, prefix: string): Record<string, T> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [prefix + k, v]));
}

export function markdown(results: readonly ScenarioResult[]): string {
  const rows = results.flatMap((r) => r.phases.map((phase) => ({ scenario: r.scenario, phase })));
  const checks = results.flatMap((r) =>
    r.checks.map((c) => `- ${c.ok ? "PASS" : "FAIL"} ${r.scenario}: ${c.name} (${c.detail})`),
  );
  const classes = classTable(rows);
  return [
    phaseTable(rows),
    "",
    timingTable(rows),
    ...(classes ? ["", "Client-side latency by response class / request kind:", "", classes] : []),
    "",
    ...checks,
  ].join("\n");
}

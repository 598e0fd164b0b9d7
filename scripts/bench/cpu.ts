/**
 * CPU time used by the parts of a local stack (Linux /proc): this process, its descendants
 * (workerd, the bridge, the backend) and any redis-server. CPU time per request is a steadier
 * figure than throughput on a machine shared with other work: it says what a request costs, not
 * how much of the machine the test happened to get.
 */
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_S = 100; // USER_HZ on Linux

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, seconds. */
  readonly cpuS: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // After "(comm) ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      cpuS: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S,
    };
  } catch {
    return null;
  }
}

function label(p: ProcStat): string {
  if (p.comm !== "node") return p.comm;
  try {
    const cmd = readFileSync(`/proc/${p.pid}/cmdline`, "utf8");
    if (cmd.includes("upstash-bridge")) return "bridge";
    if (cmd.includes("gpu-backend")) return "backend";
  } catch {
    // gone
  }
  return "node";
}

/** CPU seconds so far by part: "load" (this process), workerd, bridge, backend, redis-server, ... */
export function cpuByPart(): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, s: number) => out.set(name, (out.get(name) ?? 0) + s);
  let all: ProcStat[];
  try {
    all = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map((d) => readStat(Number(d)))
      .filter((p): p is ProcStat => p !== null);
  } catch {
    return out; // not Linux
  }
  const children = new Map<number, ProcStat[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const self = all.find((p) => p.pid === process.pid);
  if (self) add("load", self.cpuS);
  const stack = [...(children.get(process.pid) ?? [])];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const p = stack.pop() as ProcStat;
    if (seen.has(p.pid)) continue;
    seen.add(p.pid);
    add(label(p), p.cpuS);
    stack.push(...(children.get(p.pid) ?? []));
  }
  for (const p of all) if (p.comm === "redis-server" && !seen.has(p.pid)) add("redis-server", p.cpuS);
  return out;
}

/** CPU milliseconds per request of each part between two snapshots. */
export function cpuMsPerRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  requests: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  if (requests <= 0) return out;
  for (const [name, s] of after) {
    const used = s - (before.get(name) ?? 0);
    if (used > 0) out[name] = Math.round(((used * 1000) / requests) * 1000) / 1000;
  }
  return out;
}

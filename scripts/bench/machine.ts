/** The machine a measurement ran on, for reports (figures mean little without it). */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

export interface MachineInfo {
  readonly cpuModel: string;
  /** `nproc`: CPUs this process may use. */
  readonly nproc: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the measurement started (other work on the machine). */
  readonly loadAverage1m: number;
  readonly date: string;
}

function nproc(): number {
  try {
    return Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {
    return cpus().length;
  }
}

function cpuModel(): string {
  const fromOs = cpus()[0]?.model?.trim();
  if (fromOs) return fromOs;
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    return m?.[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    nproc: nproc(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    date: new Date().toISOString(),
  };
}

export function machineLine(m: MachineInfo): string {
  return `${m.cpuModel}, nproc ${m.nproc}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, load average ${m.loadAverage1m} at start, ${m.date}`;
}

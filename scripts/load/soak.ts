/**
 * Soak: N uncached analyses through the whole local stack (edge in workerd, bridge, Redis, the CPU
 * backend), to show that the backend's memory stays flat and its latency does not drift.
 *
 *   npm run soak -- [--requests 1000] [--concurrency 2] [--side 100] [--seed 4242] [--json FILE]
 *
 * Every request is a distinct random square inside the demo imagery store (so every one is a real
 * inference, checked by X-Cache: MISS). The backend's resident memory (Linux /proc, the process and
 * its inference worker threads together) is sampled after each block of requests. Checks, printed
 * as PASS/FAIL: every answer a 200 MISS; RSS at the end within 10 % of RSS after the first block
 * (the warmed state: model sessions, pools and JIT settle during it); median latency of the last
 * block within 25 % of the second block's (the first warmed one). Each block also reports the
 * backend's CPU time per analysis, which says whether the work per request grows even when other
 * load on the machine moves the latencies. Loopback only; bounded by --requests and a per-request
 * timeout.
 */
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { numberFlag, outputFiles, runCli } from "../cli/run.js";
import { startLocalStack } from "../dev/stack.js";
import { analysisBody, storeAreas } from "./areas.js";
import { percentiles } from "./stats.js";

const PAGE_BYTES = 4096;

/** PIDs of this process's descendants whose command line names the backend. */
function backendPids(): number[] {
  const parents = new Map<number, number>();
  const cmd = new Map<number, string>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(d), Number(fields[1]));
      cmd.set(Number(d), readFileSync(`/proc/${d}/cmdline`, "utf8"));
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parents.get(pid), hops = 0; p !== undefined && hops < 32; p = parents.get(p), hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...cmd].filter(([pid, c]) => c.includes("gpu-backend") && mine(pid)).map(([pid]) => pid);
}

/** utime + stime of the processes, seconds (USER_HZ = 100 on Linux). */
function cpuS(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}

function rssMb(pids: readonly number[]): number {
  let pages = 0;
  for (const pid of pids) {
    try {
      pages += Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    } catch {
      // gone
    }
  }
  return Math.round((pages * PAGE_BYTES) / 2 ** 20);
}

interface Block {
  readonly upTo: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  readonly rssMb: number;
  /** Backend CPU time per analysis in this block, ms. */
  readonly cpuMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "2" },
      side: { type: "string", default: "100" },
      seed: { type: "string", default: "4242" },
      json: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.info(
      "usage: npm run soak -- [--requests N (20-100000)] [--concurrency N (1-16)] [--side M (10-500)] [--seed N] [--json FILE]",
    );
    return;
  }
  await outputFiles({ "--json": values.json });
  const total = numberFlag("requests", values.requests, { min: 20, max: 100_000, integer: true });
  const concurrency = numberFlag("concurrency", values.concurrency, { min: 1, max: 16, integer: true });
  const sideM = numberFlag("side", values.side, { min: 10, max: 500 });
  const seed = numberFlag("seed", values.seed, { min: 0, integer: true });
  const blockSize = Math.max(10, Math.round(total / 10));

  const log = (m: string) => process.stderr.write(`soak: ${m}\n`);
  const stack = await startLocalStack({ edgeVars: { RATE_LIMIT_PER_HOUR: "1000000" }, log });
  try {
    const pids = backendPids();
    if (pids.length === 0) throw new Error("the stack's backend process was not found in /proc");
    const areas = await storeAreas(undefined, seed);
    const keys = await Promise.all(
      Array.from({ length: concurrency }, (_, i) => stack.createApiKey(`soak-${i}`)),
    );
    const rssStart = rssMb(pids);
    log(
      `backend pid ${pids.join(",")}, RSS ${rssStart} MB before the first request; ${total} requests, ${concurrency} at a time`,
    );

    // In completion order, so each block is exactly the requests that completed in it (by start
    // order, a request still running when its block closed was an empty slot, and was never counted).
    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    const blocks: Block[] = [];
    let next = 0;
    let done = 0;
    const started = performance.now();
    let cpuMark = cpuS(pids);
    const closeBlock = () => {
      const from = blocks.length * blockSize;
      const cpuNow = cpuS(pids);
      const sample = latencies.slice(from, from + blockSize);
      const p = percentiles(sample);
      blocks.push({
        upTo: done,
        p50Ms: Math.round(p.p50),
        p95Ms: Math.round(p.p95),
        maxMs: Math.round(p.max),
        rssMb: rssMb(pids),
        cpuMs: Math.round(((cpuNow - cpuMark) * 1000) / Math.max(1, done - from)),
      });
      cpuMark = cpuNow;
      const b = blocks[blocks.length - 1] as Block;
      log(
        `${b.upTo}/${total}: p50 ${b.p50Ms} ms, p95 ${b.p95Ms} ms, backend RSS ${b.rssMb} MB, ${b.cpuMs} ms CPU/analysis`,
      );
    };
    const worker = async (w: number) => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        let label: string;
        try {
          const res = await fetch(`${stack.edgeUrl}/v1/analyses`, {
            method: "POST",
            headers: { authorization: `Bearer ${keys[w]}`, "content-type": "application/json" },
            body: analysisBody(areas.randomSquare(sideM)),
            signal: AbortSignal.timeout(60_000),
          });
          await res.arrayBuffer();
          label = `${res.status} ${res.headers.get("x-cache") ?? "-"}`;
        } catch (error) {
          label = `error ${error instanceof Error ? error.name : "unknown"}`;
        }
        latencies.push(performance.now() - t0);
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
        done++;
        if (done % blockSize === 0) closeBlock();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    if (done % blockSize !== 0) closeBlock();
    const wallS = (performance.now() - started) / 1000;

    const first = blocks[0] as Block;
    const warmed = (blocks[1] ?? first) as Block;
    const last = blocks[blocks.length - 1] as Block;
    const misses = statuses.get("200 MISS") ?? 0;
    const checks = [
      {
        name: "every answer a 200 MISS",
        ok: misses === total,
        detail: JSON.stringify(Object.fromEntries(statuses)),
      },
      {
        name: "backend RSS flat: end within 10 % of the warmed state (after the first block)",
        ok: last.rssMb <= first.rssMb * 1.1,
        detail: `${rssStart} MB at start, ${first.rssMb} MB after ${first.upTo}, ${last.rssMb} MB at the end`,
      },
      {
        name: "no latency drift: last block's median within 25 % of the first warmed block's",
        ok: last.p50Ms <= warmed.p50Ms * 1.25,
        detail: `${warmed.p50Ms} ms after ${warmed.upTo}, ${last.p50Ms} ms at the end; backend CPU ${warmed.cpuMs} → ${last.cpuMs} ms per analysis`,
      },
    ];
    const lines = [
      `| requests | p50 ms | p95 ms | max ms | backend RSS MB | backend CPU ms/analysis |`,
      `| --: | --: | --: | --: | --: | --: |`,
      `| 0 | | | | ${rssStart} | |`,
      ...blocks.map((b) => `| ${b.upTo} | ${b.p50Ms} | ${b.p95Ms} | ${b.maxMs} | ${b.rssMb} | ${b.cpuMs} |`),
    ];
    process.stdout.write(
      `${lines.join("\n")}\n\n${total} analyses in ${wallS.toFixed(0)} s (${(total / wallS).toFixed(2)}/s, ${concurrency} at a time, ${sideM} m squares)\n`,
    );
    for (const c of checks) process.stdout.write(`${c.ok ? "PASS" : "FAIL"} ${c.name} (${c.detail})\n`);
    if (values.json) {
      await writeFile(
        values.json,
        JSON.stringify(
          {
            total,
            concurrency,
            sideM,
            wallS,
            rssStartMb: rssStart,
            blocks,
            statuses: Object.fromEntries(statuses),
            checks,
          },
          null,
          2,
        ),
      );
    }
    if (!checks.every((c) => c.ok)) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
}

runCli("soak", main);

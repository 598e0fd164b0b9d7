/**
 * Build the coordinate-to-image index of a local imagery store.
 *   npm run index:build -- --src DIR --out FILE [--allow-missing-images] [--skip-bad] [--concurrency N]
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { COVERAGE_INDEX_MAGIC, mercatorToLonLat } from "@lanesegnet/shared";
import { buildIndexFromStore, writeIndexFile } from "../../gpu-backend/src/coverage/index.js";
import { isWithin, usageLine } from "../cli/run.js";

const USAGE =
  "usage: npm run index:build -- --src DIR --out FILE [--allow-missing-images] [--skip-bad] [--concurrency N]";

function die(message: string, code: number): never {
  console.error(`index:build: ${message}`);
  process.exit(code);
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (e) {
    die(`${usageLine((e as Error).message)} (${USAGE})`, 2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { src, out } = values;
  if (!src || !out) die(`--src and --out are required (${USAGE})`, 2);
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    die(`--concurrency must be a positive integer, got ${values.concurrency}`, 2);
  }
  // A wrong --src is a bad value (exit 2, as for every other bad flag), not a failed build.
  if (!existsSync(src) || !statSync(src).isDirectory()) die(`imagery store not found: ${src}`, 2);
  // Inside the store, a *.json is read as a sidecar and anything else already there is the store's
  // own (an image): the index may replace only an index.
  if (isWithin(src, out)) {
    if (out.toLowerCase().endsWith(".json"))
      die(`--out ${out} is inside --src and would be read as a sidecar`, 2);
    if (existsSync(out) && !isCoverageIndexFile(out)) {
      die(`--out ${out} is inside --src and is not an index: it would be overwritten`, 2);
    }
  }

  const started = performance.now();
  let store: Awaited<ReturnType<typeof buildIndexFromStore>>;
  try {
    store = await buildIndexFromStore(src, {
      allowMissingImages: values["allow-missing-images"] ?? false,
      onBadSidecar: values["skip-bad"] ? "skip" : "fail",
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    // An index of nothing is a wrong --src (or every sidecar skipped), not a store: say so rather
    // than write a file that makes every area "not covered".
    if (store.count === 0) {
      const skipped = store.skipped.length > 0 ? `, ${store.skipped.length} bad sidecar(s) skipped` : "";
      die(`no image sidecars (*.json) to index under ${src}${skipped}; nothing written`, 1);
    }
    await writeIndexFile(out, store.buffer);
  } catch (e) {
    const message = (e as Error).message;
    const hint = message.includes("no image beside it")
      ? " (sidecar-only store? pass --allow-missing-images)"
      : "";
    die(message + hint, 1);
  }
  const seconds = (performance.now() - started) / 1000;

  for (const w of store.warnings.slice(0, 10)) console.warn(`warning: ${w}`);
  for (const s of store.skipped.slice(0, 10)) console.warn(`skipped ${s.file}: ${s.reason}`);
  if (store.skipped.length > 10) console.warn(`skipped ${store.skipped.length - 10} more bad sidecar(s)`);

  console.info(
    `indexed ${store.count} image(s) (${store.withImages} with image files, ${store.skipped.length} skipped) from ${src} in ${seconds.toFixed(2)} s`,
  );
  if (store.bounds) {
    const [x0, y0, x1, y1] = store.bounds;
    const [w, s] = mercatorToLonLat(x0, y0);
    const [e, n] = mercatorToLonLat(x1, y1);
    console.info(`bbox EPSG:3857 [${[x0, y0, x1, y1].map((v) => v.toFixed(2)).join(", ")}]`);
    console.info(`bbox lon/lat   [${[w, s, e, n].map((v) => v.toFixed(6)).join(", ")}]`);
  }
  console.info(`wrote ${out} (${(store.buffer.byteLength / 1024).toFixed(1)} KiB)`);
}

function parse() {
  return parseArgs({
    options: {
      src: { type: "string" },
      out: { type: "string" },
      "allow-missing-images": { type: "boolean" },
      "skip-bad": { type: "boolean" },
      concurrency: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
    strict: true,
  });
}

await main();

/** Whether a file starts as a coverage index does (shared/coverage format's magic). */
function isCoverageIndexFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false; // unreadable: not an index to replace
  }
  try {
    const head = Buffer.alloc(COVERAGE_INDEX_MAGIC.length);
    return (
      readSync(fd, head, 0, head.length, 0) === head.length &&
      COVERAGE_INDEX_MAGIC.every((b, i) => head[i] === b)
    );
  } catch {
    return false; // a folder: not an index either
  } finally {
    closeSync(fd);
  }
}

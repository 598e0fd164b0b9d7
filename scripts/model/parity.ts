/**
 * ONNX parity check in onnxruntime-node against PyTorch (npm run model:parity).
 *
 *   npx tsx scripts/model/parity.ts --onnx models/NAME.onnx [--model-json models/NAME.json] --parity DIR
 *
 * DIR comes from models/training/parity.py. Exits 1 if argmax agreement < 99.9 % on any sample, or
 * the max absolute logit difference exceeds --max-diff x max(1, max |logit|), or the model JSON's
 * sha256 does not match the ONNX file.
 */
import { parseArgs } from "node:util";
import { numberFlag, runCli, UsageError } from "../cli/run.js";
import { checkParity, samplePasses } from "./parity-check.js";

const USAGE =
  "usage: npm run model:parity -- --onnx M.onnx [--model-json M.json] --parity DIR [--max-diff 1e-3] [--min-agreement 0.999] [--threads 2]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      onnx: { type: "string" },
      "model-json": { type: "string" },
      parity: { type: "string" },
      "max-diff": { type: "string", default: "1e-3" },
      "min-agreement": { type: "string", default: "0.999" },
      threads: { type: "string", default: "2" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.info(USAGE);
    return 0;
  }
  if (!values.onnx || !values.parity) throw new UsageError("--onnx and --parity are required");
  const minAgreement = numberFlag("min-agreement", values["min-agreement"], { min: 0, max: 1 });
  const maxDiff = numberFlag("max-diff", values["max-diff"], { min: 0 });
  const threads = numberFlag("threads", values.threads, { min: 1, max: 64, integer: true });
  const { results, shaOk } = await checkParity({
    onnx: values.onnx,
    modelJson: values["model-json"] ?? values.onnx.replace(/\.onnx$/, ".json"),
    parityDir: values.parity,
    maxDiff,
    threads,
  });
  let ok = shaOk;
  if (!shaOk) console.error("FAIL: the model JSON's sha256 does not match the ONNX file");
  for (const r of results) {
    const pass = samplePasses(r, minAgreement);
    ok &&= pass;
    console.info(
      `${pass ? "ok  " : "FAIL"} ${r.id}: max |logit diff| ${r.maxAbsDiff.toExponential(2)} (tol ${r.tolerance.toExponential(1)}), ` +
        `argmax agreement ${(r.argmaxAgreement * 100).toFixed(4)} %, input max |diff| ${r.inputMaxAbsDiff.toExponential(1)}`,
    );
  }
  if (results.length === 0) {
    console.error("FAIL: no parity samples");
    ok = false;
  }
  console.info(ok ? "parity: PASS" : "parity: FAIL");
  return ok ? 0 : 1;
}

runCli("model:parity", main);

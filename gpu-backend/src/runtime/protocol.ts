/** Messages between the inference pool and its worker threads. */

export interface WorkerInit {
  readonly modelPath: string;
  /** Execution providers to try in order; the first that creates a session wins. */
  readonly executionProviders: readonly string[];
  readonly intraOpNumThreads: number;
}

export type WorkerReady = {
  type: "ready";
  provider: string;
  fallbacks: { provider: string; error: string }[];
};
export type WorkerFailed = { type: "failed"; error: string };

export interface RunRequest {
  readonly type: "run";
  readonly id: number;
  /** Normalised NCHW input. Transferred, not copied. */
  readonly input: Float32Array;
  readonly dims: readonly [number, number, number, number];
}

export type RunReply =
  | { type: "result"; id: number; logits: Float32Array; classes: number; ms: number }
  | { type: "error"; id: number; error: string };

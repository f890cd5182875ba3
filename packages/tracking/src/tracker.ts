/**
 * The contract between the trainer and everything that records a run (console, run directory,
 * Weights & Biases, fan-out). The trainer only ever sees this interface, so a new backend is one
 * more class, not a change to the training loop.
 */

/** One row of sample completions, logged every loggingSteps. */
export interface CompletionRecord {
  step: number;
  prompt: string;
  completion: string;
  /** Reward function name → value (null = not applicable). */
  rewards: Record<string, number | null>;
  advantage: number;
}

/** Metric name (TRL naming: `loss`, `reward`, `rewards/<fn>/mean`, `eval_accuracy`, …) → value. */
export type Metrics = Record<string, number>;

/** What `init` receives: the run's display name, its full config, and (optionally) its length. */
export interface RunInfo {
  name: string;
  config: Record<string, unknown>;
  /** Total optimizer steps, when known: lets the console show a progress bar and an ETA. */
  totalSteps?: number;
  /** The step this process starts from (a resumed run); progress and ETA count from here. Default 0. */
  startStep?: number;
}

/**
 * What the trainer reports to. Implementations: console, local run directory, Weights & Biases,
 * and a fan-out to several at once. A tracker must never throw into the training loop for an
 * I/O failure: it warns and carries on.
 */
export interface Tracker {
  init(run: RunInfo): Promise<void>;
  log(metrics: Metrics, step: number): Promise<void>;
  logCompletions(rows: CompletionRecord[], step: number): Promise<void>;
  summary(values: Record<string, unknown>): Promise<void>;
  finish(): Promise<void>;
  /**
   * Optional, cheap and synchronous: called after every optimizer step (metrics are only logged
   * every loggingSteps) so a progress display can advance in between. `estimate` carries what the
   * trainer expects the rest of the run to cost besides optimizer steps (its evaluations).
   */
  progress?(step: number, estimate?: ProgressEstimate): void;
  /**
   * Optional, cheap and synchronous: called when an evaluation starts (`done` 0) and after each
   * generate call of it, so a progress display can show an evaluation under way.
   */
  evalProgress?(progress: EvalProgress): void;
}

/** What the trainer expects the rest of the run to cost besides its optimizer steps. */
export interface ProgressEstimate {
  /**
   * Seconds the evaluations still to come are expected to take (the periodic ones and the final
   * one), measured from the latest evaluation or, before the first, estimated from the rollouts.
   */
  evalSecondsLeft: number;
}

/** Where an evaluation under way stands. */
export interface EvalProgress {
  /** The optimizer step the evaluation belongs to. */
  step: number;
  /** Eval-set rows evaluated per model. */
  rows: number;
  /** Greedy completions to generate in all: rows × models (the base model's are cached after its first evaluation). */
  total: number;
  /** Completions generated so far (0 when the evaluation starts). */
  done: number;
  /** Seconds since the evaluation started. */
  seconds: number;
  /** True for the evaluation at the last step, false for a periodic one. */
  final: boolean;
}

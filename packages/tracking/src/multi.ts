/**
 * Fan-out: the trainer holds one Tracker; this forwards every call to several. Calls run side by
 * side and one backend's failure (a rejected promise, a thrown error) is warned about once per
 * tracker and method and never reaches the others or the trainer. Argument errors (TrackingError)
 * are the exception: they are bugs in the caller and are rethrown.
 */
import { TrackingError } from './errors.js';
import type { CompletionRecord, EvalProgress, Metrics, ProgressEstimate, RunInfo, Tracker } from './tracker.js';
import { defaultWarn, errorMessage, type Warn } from './warn.js';

/** Forwards to every tracker in `trackers`, isolating their failures. */
export class MultiTracker implements Tracker {
  private readonly warned = new Set<string>();

  constructor(
    readonly trackers: readonly Tracker[],
    private readonly warn: Warn = defaultWarn,
  ) {}

  /** The run directory of the first tracker that has one (the local tracker, after `init`). */
  get runDir(): string | undefined {
    for (const tracker of this.trackers) {
      const dir = tracker instanceof MultiTracker ? tracker.runDir : (tracker as { dir?: unknown }).dir;
      if (typeof dir === 'string') return dir;
    }
    return undefined;
  }

  /** Initializes every tracker. */
  init(run: RunInfo): Promise<void> {
    return this.each('init', (t) => t.init(run));
  }

  /** Logs `metrics` at `step` to every tracker. */
  log(metrics: Metrics, step: number): Promise<void> {
    return this.each('log', (t) => t.log(metrics, step));
  }

  /** Logs sample completions to every tracker. */
  logCompletions(rows: CompletionRecord[], step: number): Promise<void> {
    return this.each('logCompletions', (t) => t.logCompletions(rows, step));
  }

  /** Records summary values in every tracker. */
  summary(values: Record<string, unknown>): Promise<void> {
    return this.each('summary', (t) => t.summary(values));
  }

  /** Finishes every tracker (files closed, report written, W&B run ended). */
  finish(): Promise<void> {
    return this.each('finish', (t) => t.finish());
  }

  /** Advances every tracker that shows progress. */
  progress(step: number, estimate?: ProgressEstimate): void {
    this.eachSync('progress', (t) => t.progress?.(step, estimate));
  }

  /** Shows an evaluation under way on every tracker that shows progress. */
  evalProgress(progress: EvalProgress): void {
    this.eachSync('evalProgress', (t) => t.evalProgress?.(progress));
  }

  private eachSync(method: string, call: (tracker: Tracker) => void): void {
    for (const tracker of this.trackers) {
      try {
        call(tracker);
      } catch (error) {
        this.report(tracker, method, error);
      }
    }
  }

  private async each(method: string, call: (tracker: Tracker) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(this.trackers.map(async (tracker) => call(tracker)));
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.report(this.trackers[i], method, result.reason);
    });
  }

  private report(tracker: Tracker, method: string, error: unknown): void {
    if (error instanceof TrackingError) throw error;
    const key = `${this.trackers.indexOf(tracker)}:${method}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(`${tracker.constructor.name}.${method} failed (training continues): ${errorMessage(error)}`);
  }
}

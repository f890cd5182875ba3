/**
 * When the trainer evaluates, on which rows, and what the evaluations still to come will cost.
 * Periodic evaluations (every evalSteps) use every eval row, as the reference run did, or, with
 * periodicEvalSamples, the same seeded sample of them each time, so their curve stays comparable
 * and cheap; the final evaluation always uses every row.
 */
import { permutation } from '@grpojs/data';
import type { DatasetRow } from './types.js';

/**
 * The epoch number whose permutation picks the periodic eval sample: one the trainer's epoch
 * order never reaches and not @grpojs/data's HOLDOUT_EPOCH (2^31 − 1), so the sample is neither
 * the first rows of a training epoch nor tied to the held-out rows' order.
 */
export const EVAL_SAMPLE_EPOCH = 2 ** 31 - 2;

/**
 * Indices (ascending) of the rows periodic evaluations use: the first `samples` of
 * permutation(n, seed, EVAL_SAMPLE_EPOCH), or all n rows when `samples` is null or ≥ n.
 */
export function periodicEvalIndices(n: number, samples: number | null, seed: number): number[] {
  if (samples === null || samples >= n) return Array.from({ length: n }, (_, i) => i);
  return permutation(n, seed, EVAL_SAMPLE_EPOCH)
    .slice(0, samples)
    .sort((a, b) => a - b);
}

/** The evaluations from `fromStep` (included) to `totalSteps`: how many periodic ones, and the final one. */
export function evaluationsFrom(fromStep: number, totalSteps: number, evalSteps: number): { periodic: number; final: boolean } {
  if (fromStep > totalSteps) return { periodic: 0, final: false };
  const periodic = evalSteps > 0 ? Math.max(0, Math.floor((totalSteps - 1) / evalSteps) - Math.floor((Math.max(1, fromStep) - 1) / evalSteps)) : 0;
  return { periodic, final: true };
}

/** The eval rows of a run and which of them each evaluation uses. */
export class EvalPlan {
  /** Every eval row: the final evaluation's (and evaluate()'s). */
  readonly full: readonly DatasetRow[];
  /** The periodic evaluations' rows: `full`, or a seeded sample of it. */
  readonly periodic: readonly DatasetRow[];

  constructor(rows: readonly DatasetRow[], periodicEvalSamples: number | null, seed: number) {
    this.full = rows;
    const indices = periodicEvalIndices(rows.length, periodicEvalSamples, seed);
    this.periodic = indices.length === rows.length ? rows : indices.map((i) => rows[i]);
  }

  /** True when periodic evaluations use a sample (fewer rows than the final one). */
  get sampled(): boolean {
    return this.periodic !== this.full;
  }

  /**
   * Greedy completions the evaluations from `fromStep` to the end will generate: rows × 2 for the
   * first evaluation of a row set whose base-model scores are not cached yet, rows × 1 after.
   */
  completionsFrom(fromStep: number, totalSteps: number, evalSteps: number, cached: { periodic: boolean; full: boolean }): number {
    const { periodic, final } = evaluationsFrom(fromStep, totalSteps, evalSteps);
    let fullCached = cached.full;
    let count = 0;
    if (periodic > 0) {
      count += this.periodic.length * (periodic + (cached.periodic ? 0 : 1));
      if (!this.sampled) fullCached = true;
    }
    if (final) count += this.full.length * (fullCached ? 1 : 2);
    return count;
  }
}

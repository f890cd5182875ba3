/**
 * Eval rows held out of the training data, for a source that has no separate eval split (a single
 * .jsonl/.parquet file): what datasets' `train_test_split(test_size, seed=…)` does in Python, but
 * drawn with this package's documented {@link permutation} so any language can reproduce it.
 */
import { DataError } from './errors.js';
import { permutation } from './sampler.js';

/**
 * The epoch number whose permutation picks the held-out rows: one the trainer's epoch order never
 * reaches, so the held-out rows are not simply the first rows of the first training epoch.
 */
export const HOLDOUT_EPOCH = 2 ** 31 - 1;

/** Row indices of the two parts, each ascending (file order); together they are 0…n−1, once each. */
export interface Holdout {
  train: number[];
  eval: number[];
}

/**
 * Splits n rows into training and held-out eval rows: the eval rows are the first k of
 * permutation(n, seed, HOLDOUT_EPOCH), k = ceil(size · n) for a fraction 0 < size < 1 (as
 * train_test_split rounds test_size up) or k = size for a whole number ≥ 1.
 * @throws DataError for any other size, or one that leaves no training row.
 */
export function holdOut(n: number, size: number, seed: number): Holdout {
  const fraction = size > 0 && size < 1;
  if (!fraction && !(Number.isSafeInteger(size) && size >= 1)) {
    throw new DataError(`The eval holdout must be a fraction in (0, 1) or a whole number of rows ≥ 1, got ${size}.`);
  }
  const k = fraction ? Math.ceil(size * n) : size;
  if (k >= n) {
    throw new DataError(`Holding out ${k} of ${n} rows for evaluation (holdout ${size}) leaves no training row; hold out fewer.`);
  }
  const held = new Set(permutation(n, seed, HOLDOUT_EPOCH).slice(0, k));
  const train: number[] = [];
  const evalRows: number[] = [];
  for (let i = 0; i < n; i++) (held.has(i) ? evalRows : train).push(i);
  return { train, eval: evalRows };
}

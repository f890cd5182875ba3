/**
 * Seeded shuffling and epoch iteration. Each epoch visits every row once, in an order that depends
 * only on (seed, epoch), so the whole iterator state is `{ epoch, index }`: a trainer saves those two
 * numbers in its checkpoint and resumes on exactly the row it would have seen next.
 *
 * The order is not PyTorch's `RandomSampler` order (that needs torch's Mersenne Twister and randperm);
 * it is the small, documented algorithm below so that any language can reproduce it:
 *   epochSeed = lowbias32((lowbias32(seed mod 2^32) + epoch · 0x9E3779B9) mod 2^32)
 *   rng       = mulberry32(epochSeed)          (uniform in [0, 1), exact multiples of 2^-32)
 *   order     = Fisher–Yates: for i = n−1 … 1, swap(i, floor(rng() · (i + 1)))  starting from 0…n−1
 * test/fixtures/make_fixtures.py reimplements it in Python as an independent check.
 */
import { DataError } from './errors.js';

/** Chris Wellons' "lowbias32" integer hash: decorrelates neighbouring seeds and epochs. */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit-state PRNG, tiny and fast, plenty for
 * shuffling and token sampling. Its whole state is one integer (`state`), so a checkpoint can store
 * and restore it. Also the sampling PRNG of @grpojs/model's `generate`.
 */
export class Mulberry32 {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1) with 32 random bits (an exact multiple of 2^-32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * The {@link Mulberry32} stream of `seed` as a function.
 * @returns a function giving uniform floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  const rng = new Mulberry32(seed);
  return () => rng.next();
}

function checkInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DataError(`${name} must be an integer ≥ ${min}, got ${value}.`);
  }
}

/** The 32-bit seed of one epoch's shuffle (see the file header). */
export function epochSeed(seed: number, epoch: number): number {
  checkInteger('seed', seed, 0);
  checkInteger('epoch', epoch, 0);
  const base = lowbias32(seed % 4294967296);
  return lowbias32((base + Math.imul(epoch, 0x9e3779b9)) >>> 0);
}

/**
 * The row order of one epoch: a permutation of 0…n−1, the same for the same (n, seed, epoch).
 * @returns indices into the dataset, length n.
 */
export function permutation(n: number, seed: number, epoch: number): number[] {
  checkInteger('n', n, 0);
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32(epochSeed(seed, epoch));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

/** Where a sampler stands: the next row is position `index` of epoch `epoch`'s order. */
export interface SamplerState {
  epoch: number;
  index: number;
}

/** Options of {@link EpochSampler}. */
export interface SamplerOptions {
  /** Shuffle seed (the run's seed). Default 42. */
  seed?: number;
  /** Shuffle each epoch; false keeps dataset order (evaluation). Default true. */
  shuffle?: boolean;
  /** Stop after this many epochs. Default: never stop. */
  epochs?: number;
  /** Resume from a saved {@link EpochSampler.state}. Default `{ epoch: 0, index: 0 }`. */
  state?: SamplerState;
}

/** One sampled row and where it came from. */
export interface Sampled<T> {
  item: T;
  /** Row index in the dataset. */
  row: number;
  epoch: number;
  /** Position within the epoch's order. */
  index: number;
}

/**
 * Iterates rows epoch after epoch in seeded order. Deterministic: the same items, seed and state
 * give the same sequence, so `new EpochSampler(rows, { seed, state: saved.state })` resumes exactly.
 */
export class EpochSampler<T> implements IterableIterator<Sampled<T>> {
  private readonly items: readonly T[];
  private readonly seed: number;
  private readonly shuffle: boolean;
  private readonly epochs: number;
  private epoch: number;
  private index: number;
  private order: number[] | undefined;
  private orderEpoch = -1;

  /** @param items the dataset rows (not copied; do not mutate while sampling). */
  constructor(items: readonly T[], options: SamplerOptions = {}) {
    if (items.length === 0) throw new DataError('EpochSampler: items is empty; load at least one row.');
    this.items = items;
    this.seed = options.seed ?? 42;
    this.shuffle = options.shuffle ?? true;
    this.epochs = options.epochs ?? Number.POSITIVE_INFINITY;
    checkInteger('seed', this.seed, 0);
    if (this.epochs !== Number.POSITIVE_INFINITY) checkInteger('epochs', this.epochs, 1);
    const state = options.state ?? { epoch: 0, index: 0 };
    checkInteger('state.epoch', state.epoch, 0);
    checkInteger('state.index', state.index, 0);
    if (state.index > items.length) {
      throw new DataError(`state.index ${state.index} exceeds the ${items.length} rows; was the state saved for another dataset?`);
    }
    this.epoch = state.epoch;
    this.index = state.index;
  }

  /** The position of the next row; save it in a checkpoint and pass it back as `options.state`. */
  get state(): SamplerState {
    return { epoch: this.epoch, index: this.index };
  }

  /** Epochs completed as a fraction (TRL's `epoch` metric): 1.5 = halfway through the second epoch. */
  get progress(): number {
    return this.epoch + this.index / this.items.length;
  }

  /** The next row, or `done` once `epochs` epochs have been visited. */
  next(): IteratorResult<Sampled<T>> {
    if (this.index >= this.items.length) {
      this.epoch += 1;
      this.index = 0;
    }
    if (this.epoch >= this.epochs) return { done: true, value: undefined };
    if (this.orderEpoch !== this.epoch) {
      this.order = this.shuffle ? permutation(this.items.length, this.seed, this.epoch) : undefined;
      this.orderEpoch = this.epoch;
    }
    const row = this.order === undefined ? this.index : this.order[this.index];
    const value: Sampled<T> = { item: this.items[row], row, epoch: this.epoch, index: this.index };
    this.index += 1;
    return { done: false, value };
  }

  /** Up to `n` next rows (fewer only when the last epoch ends). */
  take(n: number): Sampled<T>[] {
    checkInteger('n', n, 0);
    const out: Sampled<T>[] = [];
    for (let i = 0; i < n; i++) {
      const step = this.next();
      if (step.done === true) break;
      out.push(step.value);
    }
    return out;
  }

  [Symbol.iterator](): IterableIterator<Sampled<T>> {
    return this;
  }
}

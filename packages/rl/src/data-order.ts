/**
 * Which prompts each generation batch uses. The order is a pure function of (seed, batch index):
 * epoch e is a seeded permutation of the dataset, cut into generation batches of
 * `promptsPerBatch` prompts (the permutation is @grpojs/data's documented seeded shuffle); the remainder of an epoch that does not fill a batch is dropped
 * (like a drop-last data loader). So the data position is fully described by the batch index.
 * Without shuffling (TRL shuffle_dataset=False) every epoch takes the rows in dataset order.
 */
import { GRPOTrainerError } from './errors.js';
import { permutation } from '@grpojs/data';

/** Where a generation batch sits in the data stream. */
export interface DataPosition {
  epoch: number;
  /** Index of the batch inside its epoch. */
  batchInEpoch: number;
  /** Dataset row indices of the batch, in order. */
  rows: number[];
}

/** Seeded, resumable epoch-by-epoch order of dataset rows. */
export class DataOrder {
  readonly batchesPerEpoch: number;
  private cachedEpoch = -1;
  private cachedPermutation: number[] = [];

  /**
   * @param datasetSize number of training prompts
   * @param promptsPerBatch prompts per generation batch (perDeviceTrainBatchSize × stepsPerGeneration, by default × gradientAccumulationSteps)
   * @param seed the config seed
   * @param shuffle false = dataset order in every epoch
   */
  constructor(
    readonly datasetSize: number,
    readonly promptsPerBatch: number,
    readonly seed: number,
    readonly shuffle = true,
  ) {
    if (datasetSize < promptsPerBatch) {
      throw new GRPOTrainerError(
        `trainDataset has ${datasetSize} rows but one generation batch needs ${promptsPerBatch} prompts ` +
          '(perDeviceTrainBatchSize × stepsPerGeneration, which defaults to gradientAccumulationSteps); add rows or lower those settings.',
      );
    }
    this.batchesPerEpoch = Math.floor(datasetSize / promptsPerBatch);
  }

  /** The rows of generation batch `batchIndex` (0-based, counted from the start of training). */
  batch(batchIndex: number): DataPosition {
    const epoch = Math.floor(batchIndex / this.batchesPerEpoch);
    const batchInEpoch = batchIndex % this.batchesPerEpoch;
    if (epoch !== this.cachedEpoch) {
      this.cachedPermutation = this.shuffle ? permutation(this.datasetSize, this.seed, epoch) : Array.from({ length: this.datasetSize }, (_, i) => i);
      this.cachedEpoch = epoch;
    }
    const start = batchInEpoch * this.promptsPerBatch;
    return { epoch, batchInEpoch, rows: this.cachedPermutation.slice(start, start + this.promptsPerBatch) };
  }
}

/**
 * Error classes of @grpojs/rl. Each names the field, argument, tensor or file at fault and says what
 * to do, so a failed run can be fixed without reading the trainer's source.
 */

/** A GRPO config field has a bad value (the message names the field and the accepted values). */
export class GRPOConfigError extends Error {
  override readonly name = 'GRPOConfigError';
}

/** The trainer was given inputs it cannot use (datasets, reward functions, model outputs). */
export class GRPOTrainerError extends Error {
  override readonly name = 'GRPOTrainerError';
}

/** A checkpoint folder is missing, incomplete or does not match this trainer (names the file). */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

/** A tensor argument has the wrong shape or dtype (names the argument, found and expected shape). */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

/**
 * Training stopped because its updates kept failing: too many optimizer steps in a row (or more
 * than half of all steps) were skipped for NaN/Inf loss, gradients or weights. The message gives
 * the counts, the config field and what to change; nothing non-finite was saved.
 */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
}

/**
 * Learning-rate schedules of transformers' get_scheduler: linear, cosine (half cycle) and constant,
 * each after a linear warmup. `learningRateAt(step)` is the rate used for the update at 0-based
 * optimizer step `step`, a pure function so resuming needs only the step.
 */

/** Schedule settings resolved from the config. */
export interface ScheduleOptions {
  type: 'linear' | 'cosine' | 'constant';
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Warmup steps: warmupSteps when > 0, else ceil(warmupRatio × totalSteps) (transformers' rule). */
export function resolveWarmupSteps(warmupSteps: number, warmupRatio: number, totalSteps: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}

/** The learning rate for the update at 0-based optimizer step `step`. */
export function learningRateAt(step: number, o: ScheduleOptions): number {
  if (step < o.warmupSteps) return (o.learningRate * step) / Math.max(1, o.warmupSteps);
  if (o.type === 'constant') return o.learningRate;
  const progress = (step - o.warmupSteps) / Math.max(1, o.totalSteps - o.warmupSteps);
  if (o.type === 'linear') return o.learningRate * Math.max(0, 1 - progress);
  return o.learningRate * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

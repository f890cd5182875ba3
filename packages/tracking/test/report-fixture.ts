/**
 * A synthetic run shaped like a real GRPO run's files (the metric names and counts of a `grpojs
 * train` run: 8 reward functions, clip ratios, timings — about 60 series, most of them flat at 0
 * early on), for the report tests. Deterministic: no randomness, values are smooth functions of the step.
 */
import type { CompletionRecord, MetricRow, ReportData } from '../src/index.js';

export const REWARD_FNS = ['correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity', 'length'];
/** Reward functions that never fire in this run (their mean and std stay 0). */
export const SILENT_FNS = ['correctness', 'strict_format', 'cot_clarity'];
export const STEPS = 40;
export const EVAL_STEPS = [10, 20, 30, 40];

export function syntheticRun(): ReportData {
  const metrics: MetricRow[] = [];
  for (let step = 1; step <= STEPS; step += 1) {
    const t = step / STEPS;
    const row: MetricRow = { step, time: new Date(Date.UTC(2026, 11, 5, 10, 0, step * 3)).toISOString() };
    Object.assign(row, {
      'completions/mean_length': 120 - 40 * t + 6 * Math.sin(step),
      'completions/min_length': 60 - 20 * t,
      'completions/max_length': 256,
      'completions/clipped_ratio': Math.max(0, 0.4 - 0.5 * t),
      'completions/mean_terminated_length': 90 - 20 * t,
      'completions/min_terminated_length': 40,
      'completions/max_terminated_length': 200 - 10 * Math.round(4 * t),
    });
    let reward = 0;
    REWARD_FNS.forEach((fn, i) => {
      const silent = SILENT_FNS.includes(fn);
      const mean = silent ? 0 : (0.2 + 0.6 * t) * (1 + 0.1 * Math.sin(step / 3 + i)) * (i % 2 === 0 ? 1 : 0.5);
      row[`rewards/${fn}/mean`] = mean;
      row[`rewards/${fn}/std`] = silent ? 0 : 0.1 + 0.05 * Math.cos(step / 4 + i);
      reward += mean;
    });
    Object.assign(row, {
      reward,
      reward_std: 0.3 + 0.1 * Math.cos(step / 5),
      frac_reward_zero_std: 0,
      skipped_nonfinite: 0,
      loss: 0.02 * Math.sin(step / 2) + 0.001 * t,
      'clip_ratio/low_mean': 0,
      'clip_ratio/low_min': 0,
      'clip_ratio/high_mean': 0,
      'clip_ratio/high_max': 0,
      'clip_ratio/region_mean': 0,
      kl: step === 25 ? null : 0.0004 * step * (1 + 0.2 * Math.sin(step)),
      // The narrow range that used to print five identical "10.82" tick labels.
      entropy: 10.8201 + 0.0033 * (0.5 + 0.5 * Math.sin(step / 6)),
      grad_norm: 0.5 + 0.3 * Math.cos(step / 2),
      learning_rate: 1e-5 * Math.min(1, step / 5),
      epoch: step / 20,
      num_tokens: step * 4096,
      step_time: 1.2 + 0.1 * Math.sin(step),
      'step_time/generation': 0.8,
      'step_time/training': 0.4 + 0.1 * Math.sin(step),
    });
    metrics.push(row);
    if (EVAL_STEPS.includes(step)) metrics.push(evalRow(step, t));
  }
  return {
    name: 'qwen2.5-0.5b-gsm8k-GRPO',
    totalSteps: STEPS,
    startedAt: '2026-12-05T10:00:00.000Z',
    config: { model: 'Qwen/Qwen2.5-0.5B-Instruct', learningRate: 1e-5, beta: 0.04, numGenerations: 4, rewards: REWARD_FNS },
    metrics,
    completions: completions(),
    summary: { globalStep: STEPS, skippedSteps: 0, finishedAt: '2026-12-05T10:02:03.000Z' },
  };
}

function evalRow(step: number, t: number): MetricRow {
  const row: MetricRow = { step, time: '2026-12-05T10:01:00.000Z', eval_reward: 0.8 + t, eval_accuracy: 0.18 + 0.2 * t, 'eval_completions/mean_length': 110 - 30 * t };
  Object.assign(row, { eval_base_reward: 0.8, eval_base_accuracy: 0.18, 'eval_base_completions/mean_length': 118 });
  REWARD_FNS.forEach((fn, i) => {
    row[`eval_rewards/${fn}/mean`] = SILENT_FNS.includes(fn) ? 0 : 0.1 * i * (1 + t);
    row[`eval_base_rewards/${fn}/mean`] = SILENT_FNS.includes(fn) ? 0 : 0.1 * i;
  });
  return row;
}

function completions(): CompletionRecord[] {
  const rows: CompletionRecord[] = [];
  for (const step of [10, 20, 30, 40]) {
    for (let g = 0; g < 4; g += 1) {
      rows.push({
        step,
        prompt: `<|im_start|>user\nSara had ${step + 40} dollars. She spent 18 dollars on a shirt. How many dollars does she have left?<|im_end|>\n<|im_start|>assistant\n`,
        completion: `<reasoning>\nStep ${step}, sample ${g}: ${step + 40} - 18 = ${step + 22}\n</reasoning>\n<answer>\n${step + 22 + (g % 2)}\n</answer>`,
        rewards: Object.fromEntries(REWARD_FNS.map((fn, i) => [fn, SILENT_FNS.includes(fn) ? 0 : Number((0.25 * ((g + i) % 3)).toFixed(2))])),
        advantage: [0.87, -0.87, 0.5, -0.5][g],
      });
    }
  }
  return rows;
}

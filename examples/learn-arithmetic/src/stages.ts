/**
 * The three measured stages on one model: its held-out scores (greedy, the seven reference rewards
 * and GSM8K exact match, through @grpojs/rl's evaluateModel), SFT with the SFTTrainer, and GRPO with
 * the GRPOTrainer, each with its own run directory and report.html.
 */
import { defaultRewards, evaluateModel, GRPOTrainer, gsm8kExactMatch, rewardNames, RunDirTracker, SFTTrainer, type CausalLM, type EvalScores, type GRPOConfigInput, type RewardFunction, type SFTConfigInput, type TextTokenizer } from 'grpojs';
import { join } from 'node:path';
import type { TaskRow } from './tasks.js';

/** Held-out scores of one stage. */
export interface StageScores {
  stage: string;
  /** Optimizer steps done in all when measured (the x axis of the summary report). */
  step: number;
  accuracy: number;
  reward: number;
  correctness: number;
  /** Share of held-out completions whose reasoning holds two or more equation lines. */
  stepsShare: number;
}

const quiet = { warn: (line: string) => console.warn(line), info: () => {} };

/** Greedy held-out scores, plus the share of completions that write their working as equation lines. */
export interface HeldOutScores extends EvalScores {
  stepsShare: number;
}

/** Whether a completion's reasoning holds two or more lines with an equation (the 'steps' style, right or wrong). */
export function writesSteps(completion: string): boolean {
  const reasoning = /<reasoning>(.*?)<\/reasoning>/s.exec(completion)?.[1] ?? '';
  return reasoning.split('\n').filter((line) => line.includes(' = ')).length >= 2;
}

/**
 * 1 for a completion that writes the steps, else 0: scored as an eighth reward function with
 * weight 0, so evaluateModel averages it over the held-out rows and the weighted reward is unchanged.
 */
const STEPS_METRIC = 'writes_steps';
const writesStepsScore: RewardFunction = Object.assign((completions: string[]) => completions.map((c) => (writesSteps(c) ? 1 : 0)), { rewardName: STEPS_METRIC });

const scoredFunctions = [...defaultRewards, writesStepsScore];

/** Greedy held-out scores of the model as it is now. */
export async function measure(lm: CausalLM, tokenizer: TextTokenizer, rows: readonly TaskRow[], maxCompletionLength: number): Promise<HeldOutScores> {
  const scores = await evaluateModel(
    {
      model: lm,
      tokenizer,
      rewardFunctions: scoredFunctions,
      rewardNames: rewardNames(scoredFunctions),
      rewardWeights: [...defaultRewards.map(() => 1), 0],
      isCorrect: gsm8kExactMatch,
      maxPromptLength: null,
      maxCompletionLength,
      batchSize: 64,
    },
    rows.map(({ prompt, answer }) => ({ prompt, answer })),
  );
  const { [STEPS_METRIC]: stepsShare, ...rewards } = scores.rewards;
  return { ...scores, rewards, stepsShare };
}

/** Supervised fine-tuning on prompt/completion rows (loss on the completion only, TRL's default). */
export async function runSft(lm: CausalLM, tokenizer: TextTokenizer, rows: readonly TaskRow[], outputDir: string, config: SFTConfigInput): Promise<void> {
  const trainer = new SFTTrainer({
    model: lm,
    tokenizer,
    trainDataset: rows.map(({ prompt, completion }) => ({ prompt, completion })),
    config: { outputDir, overwriteOutputDir: true, saveSteps: 0, ...config },
    tracker: new RunDirTracker({ dir: join(outputDir, 'run') }),
    logger: quiet,
  });
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
  }
}

/** GRPO with the seven reference rewards; `onEval` is called every `evalEvery` steps. */
export async function runGrpo(
  lm: CausalLM,
  tokenizer: TextTokenizer,
  rows: readonly TaskRow[],
  outputDir: string,
  config: GRPOConfigInput,
  evalEvery: number,
  onEval: (step: number) => Promise<void>,
): Promise<void> {
  const trainer = new GRPOTrainer({
    model: lm,
    tokenizer,
    rewardFunctions: defaultRewards,
    trainDataset: rows.map(({ prompt, answer }) => ({ prompt, answer })),
    config: { outputDir, overwriteOutputDir: true, saveSteps: 0, evalSteps: 0, logCompletions: false, ...config },
    tracker: new RunDirTracker({ dir: join(outputDir, 'run') }),
    onStep: async (step) => {
      if (step % evalEvery === 0) await onEval(step);
    },
    logger: quiet,
  });
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
  }
}

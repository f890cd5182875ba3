/**
 * The three problem sets, each from its own seed so they never share a problem stream: easy
 * problems for SFT (format and one-step arithmetic, plus some two-step ones, part of them solved
 * by a shortcut), harder ones for GRPO, and a fixed held-out set of the harder kind that every
 * stage is measured on (never trained on: rows identical to a held-out question are removed from
 * both training sets).
 */
import { arithmeticCompletion, generateArithmeticProblems, gsm8kPrompt, type ArithmeticProblem, type ArithmeticProblemOptions, type SolutionStyle } from 'grpojs';

/** What both trainers and the evaluation read: the prompt, the SFT target and the gold answer. */
export interface TaskRow {
  prompt: string;
  completion: string;
  /** The gold final answer (correctness reward and accuracy compare against it). */
  answer: string;
}

/** How many problems of each set. */
export interface TaskSizes {
  /** One-step SFT problems. */
  sftOneStep: number;
  /** Two-step SFT problems: the written-out ones teach a chain's layout and its arithmetic. */
  sftTwoStep: number;
  /**
   * The share of the generated two-step SFT problems whose target takes a shortcut instead of one
   * line per step, as cold-start data mixes careful and terse solutions: the model learns both, and
   * GRPO's correctness reward has to find out which one it executes more reliably.
   */
  sftShortcut: { style: Exclude<SolutionStyle, 'steps'>; share: number };
  grpoRows: number;
  heldOutRows: number;
}

const NUMBERS: Omit<ArithmeticProblemOptions, 'count' | 'seed' | 'minSteps' | 'maxSteps'> = { numberRange: [1, 9], factorRange: [2, 3], operations: ['+', '-', '*'] };
/** One arithmetic step: what SFT mostly teaches. */
export const EASY: Omit<ArithmeticProblemOptions, 'count' | 'seed'> = { ...NUMBERS, minSteps: 1, maxSteps: 1 };
/** Two chained steps: what GRPO trains on and every stage is measured on. */
export const HARD: Omit<ArithmeticProblemOptions, 'count' | 'seed'> = { ...NUMBERS, minSteps: 2, maxSteps: 2 };

/** The seed's prompt format (`user: <question>\n`, no system message): the tiny model learns the layout from SFT. */
export function toRow(problem: ArithmeticProblem, style: SolutionStyle): TaskRow {
  return { prompt: gsm8kPrompt(problem.question, { systemPrompt: null }).prompt, completion: arithmeticCompletion(problem, style), answer: problem.finalAnswer };
}

/** The three sets for one seed. The held-out set depends on `heldOutSeed` only, so every run measures the same rows. */
export function makeTasks(seed: number, sizes: TaskSizes, heldOutSeed = 1000): { sft: TaskRow[]; grpo: TaskRow[]; heldOut: TaskRow[] } {
  const heldOut = generateArithmeticProblems({ ...HARD, count: sizes.heldOutRows, seed: heldOutSeed }).map((p) => toRow(p, 'steps'));
  const held = new Set(heldOut.map((r) => r.prompt));
  const fresh = (rows: TaskRow[]) => rows.filter((r) => !held.has(r.prompt));
  // The problems come in random order, so the first `share` of them are a random subset.
  const shortcuts = Math.round(sizes.sftShortcut.share * sizes.sftTwoStep);
  const sft = [
    ...generateArithmeticProblems({ ...EASY, count: sizes.sftOneStep, seed: 3 * seed + 1 }).map((p) => toRow(p, 'steps')),
    ...generateArithmeticProblems({ ...HARD, count: sizes.sftTwoStep, seed: 3 * seed + 2 }).map((p, i) => toRow(p, i < shortcuts ? sizes.sftShortcut.style : 'steps')),
  ];
  return {
    sft: fresh(sft),
    grpo: fresh(generateArithmeticProblems({ ...HARD, count: sizes.grpoRows, seed: 3 * seed + 3 }).map((p) => toRow(p, 'steps'))),
    heldOut,
  };
}

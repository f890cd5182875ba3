/**
 * Learn arithmetic from nothing: a random character-level Llama is fine-tuned (all projections) on
 * word problems with the SFTTrainer (one-step ones, and two-step ones mostly answered directly),
 * then trained with GRPO and the seven reference rewards on two-step problems; the held-out
 * accuracy, rewards and solution style of random → SFT → GRPO are printed and plotted
 * (runs/summary/report.html; each trainer's curves in its own run folder).
 *
 *   pnpm start                    # the full run (606 s alone on 2 cores, 987 s beside another)
 *   pnpm start -- --quick         # the short run (255 s alone on 2 cores, 472 s beside another)
 *   options: --seed N  --out DIR  --check (exit 1 unless GRPO beats SFT by the mode's checkMinGain:
 *            5 points quick, 10 full)  --shortcut-share X (the share of two-step SFT targets that
 *            answer directly, 0.7 by default; 0 writes every target out, the README's comparison)
 */
import { loadCausalLM, RunDirTracker, type CausalLM, type TextTokenizer } from 'grpojs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, runGrpo, runSft, type StageScores } from './stages.js';
import { makeTasks, type TaskRow } from './tasks.js';
import { writeTinyCharLlama } from './tiny-llama.js';
import { FULL, QUICK, type Settings } from './settings.js';

// `pnpm start -- --quick` hands the script a leading `--`, which parseArgs reads as the end of the options.
const args = process.argv.slice(2);
const { values } = parseArgs({
  args: args[0] === '--' ? args.slice(1) : args,
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    check: { type: 'boolean', default: false },
    'shortcut-share': { type: 'string' },
  },
});
function parseShare(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const share = raw.trim() === '' ? NaN : Number(raw);
  if (!(share >= 0 && share <= 1)) throw new Error(`--shortcut-share must be a number from 0 to 1, got '${raw}'`);
  return share;
}
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be an integer >= 0, got ${values.seed}`);
const base: Settings = values.quick ? QUICK : FULL;
const shortcutShare = parseShare(values['shortcut-share'], base.tasks.sftShortcut.share);
const settings: Settings = { ...base, tasks: { ...base.tasks, sftShortcut: { ...base.tasks.sftShortcut, share: shortcutShare } } };
const mode = `${values.quick ? 'quick' : 'full'}${shortcutShare === base.tasks.sftShortcut.share ? '' : `-shortcut${shortcutShare}`}`;
const out = values.out ?? join('outputs', `${mode}-seed${seed}`);
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;

const tasks = makeTasks(seed, settings.tasks);
console.log(`learn-arithmetic (${mode}, seed ${seed}): ${tasks.sft.length} SFT rows, ${tasks.grpo.length} GRPO rows, ${tasks.heldOut.length} held-out rows`);
const modelDir = join(out, 'random-model');
await writeTinyCharLlama(modelDir, settings.model, seed);
const lm: CausalLM = await loadCausalLM(modelDir, { fullFineTuning: true });
const tokenizer = lm.tokenizer as TextTokenizer;

const summary = new RunDirTracker({ dir: join(out, 'runs', 'summary') });
await summary.init({ name: `learn-arithmetic-seed${seed}`, config: { seed, quick: values.quick, ...settings }, totalSteps: settings.sft.maxSteps + settings.grpo.maxSteps, startStep: 0 });
const stages: StageScores[] = [];
async function record(stage: string, step: number, rows: readonly TaskRow[]): Promise<StageScores> {
  const s = await measure(lm, tokenizer, rows, settings.grpo.maxCompletionLength);
  const scores = { stage, step, accuracy: s.accuracy ?? 0, reward: s.reward, correctness: s.rewards.correctness, stepsShare: s.stepsShare };
  await summary.log({ 'heldout/accuracy': scores.accuracy, 'heldout/steps_share': scores.stepsShare, 'heldout/reward': scores.reward, 'heldout/rewards/correctness/mean': scores.correctness, ...Object.fromEntries(Object.entries(s.rewards).map(([k, v]) => [`heldout/rewards/${k}/mean`, v])) }, step);
  console.log(`  [${elapsed()}] ${stage.padEnd(10)} held-out accuracy ${(100 * scores.accuracy).toFixed(1)}%  reward ${scores.reward.toFixed(3)}  correctness ${scores.correctness.toFixed(3)}  writes the steps ${(100 * scores.stepsShare).toFixed(1)}%`);
  return scores;
}

stages.push(await record('random', 0, tasks.heldOut));
console.log(`SFT: ${settings.sft.maxSteps} steps of ${settings.sft.perDeviceTrainBatchSize} rows…`);
await runSft(lm, tokenizer, tasks.sft, join(out, 'sft'), { ...settings.sft, seed });
stages.push(await record('SFT', settings.sft.maxSteps, tasks.heldOut));
console.log(`GRPO: ${settings.grpo.maxSteps} steps of ${settings.grpo.perDeviceTrainBatchSize * (settings.grpo.gradientAccumulationSteps)} prompts × ${settings.grpo.numGenerations} completions…`);
await runGrpo(lm, tokenizer, tasks.grpo, join(out, 'grpo'), { ...settings.grpo, seed }, settings.evalEvery, async (step) => {
  const scores = await record(step === settings.grpo.maxSteps ? 'GRPO' : `GRPO@${step}`, settings.sft.maxSteps + step, tasks.heldOut);
  if (step === settings.grpo.maxSteps) stages.push(scores);
});
await summary.summary(Object.fromEntries(stages.flatMap((s) => [[`${s.stage}/accuracy`, s.accuracy], [`${s.stage}/reward`, s.reward], [`${s.stage}/correctness`, s.correctness], [`${s.stage}/steps_share`, s.stepsShare]])));
await summary.finish();

console.log(`\nHeld-out (${tasks.heldOut.length} rows, seed ${seed}, ${elapsed()}):`);
console.log('| stage | accuracy | mean reward (7 rewards) | mean correctness reward | writes the steps |');
console.log('|---|---|---|---|---|');
for (const s of stages) console.log(`| ${s.stage} | ${(100 * s.accuracy).toFixed(1)}% | ${s.reward.toFixed(3)} | ${s.correctness.toFixed(3)} | ${(100 * s.stepsShare).toFixed(1)}% |`);
console.log(`report: ${join(out, 'runs', 'summary', 'report.html')}`);
lm.dispose();

if (values.check) {
  const [, sft, grpo] = stages;
  const gain = grpo.accuracy - sft.accuracy;
  // In whole rows: 0.19 − 0.14 is 0.0499… in floating point.
  const rows = tasks.heldOut.length;
  if (!(Math.round(gain * rows) >= Math.round(settings.checkMinGain * rows) && grpo.correctness > sft.correctness)) {
    console.error(`check failed: GRPO − SFT held-out accuracy ${(100 * gain).toFixed(1)} points (need ≥ ${100 * settings.checkMinGain}), correctness ${sft.correctness.toFixed(3)} → ${grpo.correctness.toFixed(3)}`);
    process.exit(1);
  }
  console.log(`check passed: GRPO − SFT held-out accuracy +${(100 * gain).toFixed(1)} points, correctness ${sft.correctness.toFixed(3)} → ${grpo.correctness.toFixed(3)}`);
}

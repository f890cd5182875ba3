/**
 * Example: answer questions with a trained output folder, as the reference README's inference
 * snippet does with `PeftModel.from_pretrained(base, "outputs/distilgpt2-GRPO")`.
 *
 *   node dist/main.js outputs/distilgpt2-GRPO "What is 12 * 7?"
 *
 * Without arguments (CI) it first trains a tiny random GPT-2 for one step, offline, and then uses
 * that folder. The adapter folder names its base model (adapter_config.json), which is loaded
 * first; `withAdaptersDisabled` answers with the base model for comparison, no second copy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerQuestion, loadTrainedModel, train, writeTinyGPT2 } from 'grpojs';

/** A saved folder to use: the first argument, or one trained here on a tiny model. */
async function savedFolder(): Promise<string> {
  if (process.argv[2] !== undefined) return process.argv[2];
  const work = mkdtempSync(join(tmpdir(), 'grpojs-inference-'));
  const data = join(work, 'problems.jsonl');
  writeFileSync(data, JSON.stringify({ question: 'Ann has 3 pens and buys 4 more. How many pens does she have?', answer: '3+4=7\n#### 7' }) + '\n');
  const report = await train({
    model: await writeTinyGPT2(join(work, 'tiny-gpt2')),
    data,
    outputDir: join(work, 'out'),
    reportTo: [],
    maxSteps: 1,
    gradientAccumulationSteps: 1,
    maxCompletionLength: 8,
    evalSplit: null,
  });
  return report.outputDir;
}

const dir = await savedFolder();
const question = process.argv[3] ?? 'A box has 5 rows of 6 eggs. How many eggs are in the box?';
const model = await loadTrainedModel(dir);
try {
  const tuned = await answerQuestion(model, question, { maxNewTokens: process.argv[2] ? 128 : 12 });
  const base = await model.withAdaptersDisabled(() => answerQuestion(model, question, { maxNewTokens: process.argv[2] ? 128 : 12 }));
  assert.ok(tuned.prompt.includes(question), 'the prompt holds the question');
  assert.ok(tuned.completionIds.length > 0, 'something was generated');
  console.log(`Q: ${question}\n\nfine-tuned:\n${tuned.completion}\n\nbase:\n${base.completion}`);
} finally {
  model.dispose();
}

/**
 * One SFT run of a tiny random Llama in its own process, for sft-two-processes.test.ts: full fine-
 * tuning on the real runtime (BLAS matmuls above OpenBLAS's threading threshold, the native vocab
 * and Llama kernels where present). Prints one JSON line: every step's loss and grad norm, and a
 * SHA-256 of the trained weights' bytes.
 *   node sft-run-child.mjs <modelDir> <outputDir> <steps>
 */
import { createHash } from 'node:crypto';
import { loadCausalLM } from '@grpojs/model';
import { SFTTrainer } from '../../dist/index.js';

const [modelDir, outputDir, steps] = process.argv.slice(2);
const lm = await loadCausalLM(modelDir, { fullFineTuning: true });
// Rows long enough that a batch has ~700 tokens: the MLP products (700 × 128 × 512) run threaded.
const rows = Array.from({ length: 64 }, (_, i) => ({ prompt: `What is ${i} plus ${(7 * i) % 50}? `, completion: `${i} + ${(7 * i) % 50} = ${i + ((7 * i) % 50)}. The answer is ${i + ((7 * i) % 50)}.` }));
const steps_ = [];
const trainer = new SFTTrainer({
  model: lm,
  tokenizer: lm.tokenizer,
  trainDataset: rows,
  config: { outputDir, overwriteOutputDir: true, saveSteps: 0, evalSteps: 0, maxSteps: Number(steps), perDeviceTrainBatchSize: 16, learningRate: 3e-3, lrSchedulerType: 'constant', maxGradNorm: 1, seed: 3 },
  onStep: (_, m) => void steps_.push({ loss: m.loss, gradNorm: m.grad_norm }),
  logger: { warn: (line) => console.error(line), info: () => {} },
});
await trainer.train();
const hash = createHash('sha256');
for (const v of lm.trainableVariables()) hash.update(Buffer.from(v.dataSync().buffer));
trainer.dispose();
console.log(JSON.stringify({ steps: steps_, weights: hash.digest('hex') }));

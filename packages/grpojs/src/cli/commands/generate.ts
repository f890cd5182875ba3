/**
 * The `generate` command: load a saved output folder (the PEFT adapter plus the base model it
 * names, or a full model folder) and answer one prompt in the prompt format training used, like
 * the reference README's inference snippet (`PeftModel.from_pretrained(base, out)` then `generate`).
 */
import { answerQuestion, loadGsm8k, loadTrainedModel, type PromptFormat, type TrainConfig } from '../../index.js';
import { CliUsageError } from '../errors.js';

/** Flags of `generate`. */
export interface GenerateFlags {
  prompt: string;
  raw?: boolean;
  baseModel?: string;
  compareBase?: boolean;
  maxNewTokens: number;
  sample?: boolean;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  backend?: string;
  quantization: 'nf4' | 'int8' | 'none';
  /** Default: the format recorded in the folder's report.json, else auto. */
  promptFormat?: PromptFormat;
}

const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** Loads `dir` and prints the model's answer (and the base model's, with --compare-base). */
export async function runGenerate(dir: string, flags: GenerateFlags): Promise<void> {
  if (flags.backend !== undefined && !(BACKENDS as readonly string[]).includes(flags.backend)) {
    throw new CliUsageError(`--backend ${flags.backend}: expected one of ${BACKENDS.join(', ')}.`);
  }
  const model = await loadTrainedModel(dir, {
    quantization: flags.quantization,
    ...(flags.baseModel !== undefined ? { baseModel: flags.baseModel } : {}),
    ...(flags.backend !== undefined ? { backend: flags.backend as (typeof BACKENDS)[number] } : {}),
    ...(flags.promptFormat !== undefined ? { promptFormat: flags.promptFormat } : {}),
  });
  try {
    const options = {
      raw: flags.raw === true,
      maxNewTokens: flags.maxNewTokens,
      doSample: flags.sample === true,
      temperature: flags.temperature,
      topP: flags.topP,
      topK: flags.topK,
      seed: flags.seed,
    };
    const result = await answerQuestion(model, flags.prompt, options);
    process.stdout.write(`${result.completion}\n`);
    if (flags.compareBase) {
      const base = await model.withAdaptersDisabled(() => answerQuestion(model, flags.prompt, options));
      process.stdout.write(`\n--- base model (adapters disabled) ---\n${base.completion}\n`);
    }
  } finally {
    model.dispose();
  }
}

/**
 * Reloads a just-trained folder and answers `question` (default: the first eval question of
 * `config`); the smoke run's proof that the saved adapter loads and generates.
 */
export async function generateFromSaved(
  dir: string,
  options: { question?: string; config: TrainConfig; maxNewTokens: number },
): Promise<{ question: string; completion: string }> {
  let question = options.question;
  if (question === undefined) {
    const { config } = options;
    const evalSet = await loadGsm8k({ source: config.evalData ?? config.data, split: config.evalSplit ?? config.trainSplit, config: config.dataConfig, limit: 1 });
    question = evalSet.rows[0].question;
  }
  // The base quantized as in training, so the answer matches what training evaluated.
  const { quantization, doubleQuant, backend, accel, promptFormat } = options.config;
  const model = await loadTrainedModel(dir, { quantization, doubleQuant, accel, promptFormat, ...(backend !== null ? { backend } : {}) });
  try {
    const result = await answerQuestion(model, question, { maxNewTokens: options.maxNewTokens, systemPrompt: options.config.systemPrompt });
    return { question, completion: result.completion };
  } finally {
    model.dispose();
  }
}

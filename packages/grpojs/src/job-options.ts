/**
 * The options of a whole training job that are not the trainer's: which model (and how it is
 * quantized and adapted), which data, where the numbers go. Together with @grpojs/rl's
 * GRPOConfigSchema this is the one schema `train(config)` validates and the CLI turns into flags,
 * so defaults, types and help text live here and nowhere else.
 */
import { SYSTEM_PROMPT } from '@grpojs/data';
import { GRPOConfigSchema, parseGRPOConfig, type GRPOConfig } from '@grpojs/rl';
import { z } from 'zod';
import { TrainConfigError, type ConfigIssue } from './errors.js';
import { PROMPT_FORMATS } from './prompt-format.js';

/**
 * The job options in three sections — model, data, output and tracking — so each place that groups
 * them (the CLI's `--help` sections, the docs) reads the grouping from here (the reference job's
 * values are the defaults).
 */
export const ModelOptionsSchema = z.object({
  model: z.string().min(1).default('distilgpt2').describe(
    'Base model: a hub id (distilgpt2, openai-community/gpt2, …) or a local folder with config.json, model.safetensors and tokenizer files.'),
  revision: z.string().min(1).default('main').describe('Hub branch, tag or commit of the model.'),
  tokenizer: z.string().min(1).nullable().default(null).describe(
    'Tokenizer: a hub id or folder, or "embedded" for the built-in GPT-2 BPE (no download); null = the model\'s own files.'),
  quantization: z.enum(['nf4', 'int8', 'none']).default('nf4').describe(
    'How the frozen base weights are stored: 4-bit NF4 (bitsandbytes load_in_4bit), 8-bit absmax, or fp32.'),
  doubleQuant: z.boolean().default(true).describe('Quantize the NF4 block scales too (bnb_4bit_use_double_quant).'),
  loraR: z.number().int().positive().default(16).describe('LoRA rank r.'),
  loraAlpha: z.number().positive().default(64).describe('LoRA alpha; the update is scaled by alpha / r.'),
  loraDropout: z.number().min(0).max(1).default(0.05).describe('Dropout on the LoRA input while training.'),
  loraTargetModules: z.array(z.string().min(1)).min(1).optional().describe(
    'Modules that get adapters (PEFT target_modules), e.g. c_attn,c_proj,c_fc for GPT-2 or q_proj,k_proj,v_proj,o_proj for the Llama family. ' +
      "Default: PEFT's default for the architecture — c_attn for GPT-2, q_proj,v_proj for the Llama family."),
  gradientCheckpointing: z.boolean().default(true).describe(
    'Recompute block activations in the backward pass instead of keeping them (less memory, ~30% slower).'),
  backend: z.enum(['tensorflow', 'wasm', 'cpu']).nullable().default(null).describe(
    'tfjs backend (process-wide, @grpojs/model initRuntime); null = GRPOJS_BACKEND, else the fastest installed (tfjs-node, then wasm, then cpu).'),
  accel: z.boolean().default(true).describe(
    "Run wasm/cpu matmuls and native kernels through @grpojs/accel when it is installed (an optional dependency of @grpojs/model; process-wide, @grpojs/model's initRuntime; GRPOJS_ACCEL=0 also turns it off)."),
  cacheDir: z.string().min(1).nullable().default(null).describe(
    'Hugging Face hub cache; null = HF_HUB_CACHE or ~/.cache/huggingface/hub (shared with Python).'),
  offline: z.boolean().default(false).describe('Use only the hub cache, never the network (HF_HUB_OFFLINE).'),
});

/** Training and evaluation data, and how a row becomes a prompt. */
export const DataOptionsSchema = z.object({
  data: z.string().min(1).default('openai/gsm8k').describe(
    'Training data in GSM8K format: a hub dataset id, a .jsonl/.parquet file, or a folder with train.jsonl/test.jsonl.'),
  dataConfig: z.string().min(1).default('main').describe('Dataset config (parquet sub-folder): main or socratic.'),
  trainSplit: z.string().min(1).default('train').describe('Split used for training.'),
  evalData: z.string().min(1).nullable().default(null).describe('Evaluation data source; null = the same as data.'),
  evalSplit: z.string().min(1).nullable().default('test').describe('Split used for evaluation; null = no evaluation.'),
  evalHoldout: z.number().positive().nullable().default(null).describe(
    'Evaluate on rows held out of the training data instead of an eval split (for a single .jsonl/.parquet file): a fraction (0.1 = 10%, rounded up) ' +
      'or a row count, drawn with seed, never trained on. null = evalSplit of evalData (or data); an eval split that is the training data is an error.'),
  maxTrainSamples: z.number().int().positive().nullable().default(null).describe(
    'Train on the first N rows only; null = all.'),
  systemPrompt: z.string().nullable().default(SYSTEM_PROMPT).describe(
    'System message before each question; null = the question alone. Default: the reference <reasoning>/<answer> format prompt.'),
  promptFormat: z.enum(PROMPT_FORMATS).default('auto').describe(
    'How system prompt and question become the prompt text: chat-template = the tokenizer\'s own chat_template (tokenizer_config.json) ending with ' +
      'the generation prompt, an error when it has none; seed = the reference run\'s "role: content" lines; auto = chat-template when the tokenizer ships one (instruct models), else seed.'),
});

/** What the job writes besides the adapter (the merged model) and where its metrics go. */
export const OutputOptionsSchema = z.object({
  saveMerged: z.boolean().default(false).describe(
    'Also write <outputDir>/merged: a plain HF model folder with the LoRA update folded into the (dequantized) base, loadable by transformers without peft.'),
  reportTo: z.array(z.enum(['console', 'local', 'wandb', 'none'])).default(['console', 'local', 'wandb']).describe(
    'Trackers: console, local (runs/<name>-<time>/ with report.html), wandb (WANDB_API_KEY from .env or the environment).'),
  wandbProject: z.string().min(1).nullable().default(null).describe(
    'Weights & Biases project; null = WANDB_PROJECT from the environment or .env, else gsm8k-grpo.'),
  wandbEntity: z.string().min(1).nullable().default(null).describe('Weights & Biases entity; null = the key\'s default.'),
  runsDir: z.string().min(1).default('runs').describe('Parent folder of the local run directories.'),
});

/** The model, data and output/tracking options of a job. */
export const JobOptionsSchema = z.object({ ...ModelOptionsSchema.shape, ...DataOptionsSchema.shape, ...OutputOptionsSchema.shape }).strict();

/**
 * The whole job: trainer fields (TRL names, see docs/configuration.md) and job options. `outputDir`
 * is optional here because its default depends on the model: `outputs/<model name>-GRPO`.
 */
export const TrainConfigSchema = GRPOConfigSchema.extend(JobOptionsSchema.shape)
  .extend({
    outputDir: z.string().min(1).optional().describe(
      'Folder for the final adapter, checkpoint-<step>/ folders and completions.jsonl; default outputs/<model name>-GRPO. (TRL: output_dir)'),
  })
  .strict();

/** What a user writes: every field optional. */
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;
/** The job options, resolved. */
export type JobOptions = z.output<typeof JobOptionsSchema>;
/** The resolved job: every field present, outputDir filled in. */
export type TrainConfig = GRPOConfig & JobOptions;

/** `outputs/<last path segment of the model>-GRPO`, the reference pipeline's folder name. */
export function defaultOutputDir(model: string): string {
  const name = model.replace(/[\\/]+$/, '').split(/[\\/]/).pop() || 'model';
  return `outputs/${name}-GRPO`;
}

/** Turns zod issues into field/message pairs (unknown keys become one issue per key). */
export function configIssues(error: z.ZodError): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const prefix = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...prefix, key].join('.'), message: 'unknown field (check the spelling: fields are camelCase, e.g. learningRate)' }));
    }
    return [{ field: prefix.length > 0 ? prefix.join('.') : '(config)', message: issue.message }];
  });
}

/**
 * Validates a job config and fills every default. Throws TrainConfigError listing each bad field
 * (unknown ones too, so `learning_rate` is caught rather than ignored).
 * @param source where the config came from, for the message (e.g. `train.yaml`).
 */
export function parseTrainConfig(input: unknown = {}, source = 'config'): TrainConfig {
  const result = TrainConfigSchema.safeParse(input ?? {});
  if (!result.success) throw new TrainConfigError(source, configIssues(result.error));
  const { outputDir, ...rest } = result.data;
  const resolved = { ...rest, outputDir: outputDir ?? defaultOutputDir(rest.model) };
  const holdoutIssues = evalHoldoutIssues(resolved);
  if (holdoutIssues.length > 0) throw new TrainConfigError(source, holdoutIssues);
  try {
    // The trainer's own cross-field checks (e.g. epsilonHigh >= epsilon).
    parseGRPOConfig(splitTrainConfig(resolved).grpo);
  } catch (error) {
    throw new TrainConfigError(source, [{ field: '(config)', message: (error as Error).message }]);
  }
  return resolved;
}

/** evalHoldout is a fraction or a whole count, and replaces evalData; it needs evaluation on (evalSplit not null). */
function evalHoldoutIssues(job: JobOptions): ConfigIssue[] {
  const holdout = job.evalHoldout;
  if (holdout === null) return [];
  const issues: ConfigIssue[] = [];
  if (holdout >= 1 && !Number.isInteger(holdout)) issues.push({ field: 'evalHoldout', message: `${holdout} is neither a fraction in (0, 1) nor a whole number of rows.` });
  if (job.evalData !== null) issues.push({ field: 'evalHoldout', message: 'set together with evalData; hold out training rows or name eval data (CLI: --eval-data), not both.' });
  if (job.evalSplit === null) issues.push({ field: 'evalHoldout', message: 'set while evalSplit is null (no evaluation); unset one of them.' });
  return issues;
}

/** Splits a resolved job into the trainer's GRPOConfig and the job options. */
export function splitTrainConfig(config: TrainConfig): { grpo: GRPOConfig; job: JobOptions } {
  const grpo: Record<string, unknown> = {};
  const job: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key in GRPOConfigSchema.shape) grpo[key] = value;
    else job[key] = value;
  }
  return { grpo: grpo as GRPOConfig, job: job as JobOptions };
}

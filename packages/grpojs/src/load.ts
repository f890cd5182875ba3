/**
 * Loading what a job needs from its options: the GSM8K rows (train and eval, as trainer
 * PromptRows) and the policy model (quantized base + LoRA). Hub failures become one
 * HubUnavailableError that says how to run from local files instead.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { HubOfflineError, HubUnreachableError, loadGsm8k, type Gsm8kExample } from '@grpojs/data';
import { ModelFilesNotFoundError, embeddedGPT2Tokenizer, loadCausalLM, loadTokenizer, type CausalLM, type TextTokenizer } from '@grpojs/model';
import type { PromptRow } from '@grpojs/rl';
import { HubUnavailableError } from './errors.js';
import type { JobOptions } from './job-options.js';
import { renderPrompt, resolvePromptFormat, type ResolvedPromptFormat } from './prompt-format.js';

/** True for errors that mean "the hub was needed and could not be used". */
export function isHubFailure(error: unknown, source: string): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof HubUnreachableError || e instanceof HubOfflineError) return true;
    // @grpojs/model re-words hub failures as ModelFilesNotFoundError("Cannot get model …").
    if (e instanceof ModelFilesNotFoundError && !existsSync(source) && /hub/i.test(e.message)) return true;
  }
  return false;
}

/** A local path is passed on absolute, so the saved adapter_config.json records where the base is. */
function sourcePath(source: string): string {
  return existsSync(source) ? resolve(source) : source;
}

/**
 * The job's hub settings as loader options, leaving out the unset ones (null in the job options) so
 * each loader's own default applies. Internal to this package.
 */
export function jobHubOptions(job: JobOptions): { cacheDir?: string; offline?: true } {
  return { ...(job.cacheDir !== null ? { cacheDir: job.cacheDir } : {}), ...(job.offline ? { offline: true as const } : {}) };
}

/** The trainer's row: the rendered prompt plus the columns reward functions read. */
function toPromptRow(example: Gsm8kExample): PromptRow {
  return { prompt: example.prompt, question: example.question, answer: example.answer };
}

/** Train and eval rows of a job (eval is empty when evalSplit is null). */
export interface JobData {
  train: PromptRow[];
  eval: PromptRow[];
}

/** What {@link loadJobData} loads. */
export interface LoadJobDataOptions {
  /** Rows of the eval split to keep (the trainer's evalMaxSamples); null = all. */
  evalLimit?: number | null;
  /** Load only the eval split (train stays empty), e.g. to evaluate a saved adapter. */
  evalOnly?: boolean;
}

/**
 * Loads the train split and (unless evalSplit is null) the eval split, prompts rendered with the
 * seed template; {@link renderPrompts} renders them in the job's resolved prompt format.
 */
export async function loadJobData(job: JobOptions, options: LoadJobDataOptions = {}): Promise<JobData> {
  const hub = jobHubOptions(job);
  const load = async (source: string, split: string, limit: number | null | undefined) => {
    try {
      return await loadGsm8k({ source: sourcePath(source), split, config: job.dataConfig, systemPrompt: job.systemPrompt, ...(limit ? { limit } : {}), ...hub });
    } catch (error) {
      if (isHubFailure(error, source)) throw new HubUnavailableError('data', source, error);
      throw error;
    }
  };
  const train = options.evalOnly ? null : await load(job.data, job.trainSplit, job.maxTrainSamples);
  const evalSet = job.evalSplit === null ? null : await load(job.evalData ?? job.data, job.evalSplit, options.evalLimit);
  return { train: (train?.rows ?? []).map(toPromptRow), eval: (evalSet?.rows ?? []).map(toPromptRow) };
}

/** Renders every prompt in `format` (see {@link resolvePromptFormat}), in place. */
export function renderPrompts(data: JobData, format: ResolvedPromptFormat, systemPrompt: string | null): void {
  for (const row of [...data.train, ...data.eval]) row.prompt = renderPrompt(row.question as string, format, systemPrompt);
}

/** Where the job's tokenizer comes from, as the log and errors name it: the `tokenizer` option, else the model. */
export function jobTokenizerName(job: JobOptions): string {
  return job.tokenizer ?? job.model;
}

/** A model whose tokenizer is known to be there (loadCausalLM leaves it undefined when the folder has none). */
export type CausalLMWithTokenizer = CausalLM & { readonly tokenizer: TextTokenizer };

/** Narrows `model.tokenizer`; a folder without tokenizer files is an error that says what to do. */
export function withTokenizer(model: CausalLM, source: string): CausalLMWithTokenizer {
  if (model.tokenizer === undefined) {
    model.dispose();
    throw new ModelFilesNotFoundError(
      `${source}: no tokenizer files (tokenizer.json, or vocab.json + merges.txt). Copy them into the folder, or set tokenizer ` +
        '(CLI: --tokenizer) to a hub id, a folder, or "embedded" for the built-in GPT-2 tokenizer.',
      source,
    );
  }
  return model as CausalLMWithTokenizer;
}

/**
 * The job's `tokenizer` option as a tokenizer: "embedded", a folder or a hub id; undefined = the
 * model's own, which loadCausalLM reads — except with promptFormat 'chat-template', where it is
 * read here first so that a tokenizer without a template fails before the weights load.
 */
async function jobTokenizer(job: JobOptions): Promise<TextTokenizer | undefined> {
  let tokenizer: TextTokenizer | undefined;
  if (job.tokenizer === 'embedded') tokenizer = await embeddedGPT2Tokenizer();
  else if (job.tokenizer !== null) tokenizer = await loadTokenizer(sourcePath(job.tokenizer), jobHubOptions(job));
  else if (job.promptFormat === 'chat-template') {
    // A folder without tokenizer files is left to loadCausalLM and withTokenizer, which say what to do.
    tokenizer = await loadTokenizer(sourcePath(job.model), { ...jobHubOptions(job), revision: job.revision }).catch((error: unknown) =>
      error instanceof ModelFilesNotFoundError && existsSync(job.model) ? undefined : Promise.reject(error),
    );
  }
  if (tokenizer !== undefined) resolvePromptFormat(job.promptFormat, tokenizer, jobTokenizerName(job));
  return tokenizer;
}

/**
 * Loads the policy of a job: the base model quantized as configured, with fresh LoRA adapters
 * (B = 0, so it starts equal to the base) on loraTargetModules (unset = the architecture's default,
 * resolved by the model: read it back from `model.lora.targetModules`).
 * @throws PromptFormatError with promptFormat 'chat-template' when the tokenizer has no chat template.
 */
export async function loadJobModel(job: JobOptions, seed: number, log?: (line: string) => void): Promise<CausalLMWithTokenizer> {
  let model: CausalLM;
  try {
    const tokenizer = await jobTokenizer(job);
    model = await loadCausalLM(sourcePath(job.model), {
      quantization: job.quantization,
      doubleQuant: job.doubleQuant,
      lora: { r: job.loraR, alpha: job.loraAlpha, dropout: job.loraDropout, targetModules: job.loraTargetModules, seed },
      gradientCheckpointing: job.gradientCheckpointing,
      accel: job.accel,
      revision: job.revision,
      ...(job.backend !== null ? { backend: job.backend } : {}),
      ...jobHubOptions(job),
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(log !== undefined ? { log } : {}),
    });
  } catch (error) {
    if (isHubFailure(error, job.model)) throw new HubUnavailableError('model', job.model, error);
    throw error;
  }
  return withTokenizer(model, job.model);
}

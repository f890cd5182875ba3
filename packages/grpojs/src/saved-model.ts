/**
 * Using a trained output folder: reload it (the PEFT adapter on the base model it names, or a full
 * merged model folder) with the tokenizer and prompt format training used, and answer a question
 * the way training prompted, i.e. the reference README's inference snippet
 * (`PeftModel.from_pretrained(base, out)`, then `generate`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SYSTEM_PROMPT } from '@grpojs/data';
import { loadCausalLM, loadPeftAdapter, loadTokenizer, ModelFilesNotFoundError, type TextTokenizer } from '@grpojs/model';
import { HubUnavailableError } from './errors.js';
import { isHubFailure, withTokenizer, type CausalLMWithTokenizer } from './load.js';
import { renderPrompt, resolvePromptFormat, type PromptFormat, type ResolvedPromptFormat } from './prompt-format.js';
import { initJobRuntime } from './runtime-options.js';

/** How to rebuild the model of a saved folder. */
export interface LoadTrainedModelOptions {
  /** Base model of an adapter folder; default its adapter_config.json `base_model_name_or_path`. */
  baseModel?: string;
  /** Storage of the frozen base. Default 'none' (fp32, as PEFT inference loads it). */
  quantization?: 'nf4' | 'int8' | 'none';
  doubleQuant?: boolean;
  backend?: 'tensorflow' | 'wasm' | 'cpu';
  cacheDir?: string;
  offline?: boolean;
  /** Use @grpojs/accel's BLAS matmul when installed. Default true. */
  accel?: boolean;
  /**
   * How questions are rendered. Default 'auto': the format recorded by training (report.json of
   * `dir`, or of its parent for a checkpoint-<step> folder), else the tokenizer's chat template
   * when it has one, else the seed template. 'seed' and 'chat-template' force one.
   */
  promptFormat?: PromptFormat;
}

/** A reloaded model, with the prompt format its questions are rendered in. */
export type TrainedModel = CausalLMWithTokenizer & { readonly promptFormat: ResolvedPromptFormat };

/** The prompt format a training run recorded for `dir` (its report.json), or null when none did. */
export async function recordedPromptFormat(dir: string): Promise<'seed' | 'chat-template' | null> {
  const folders = /^checkpoint-\d+$/.test(basename(dir)) ? [dir, dirname(dir)] : [dir];
  for (const folder of folders) {
    const file = join(folder, 'report.json');
    if (!existsSync(file)) continue;
    let report: { config?: { promptFormat?: unknown } };
    try {
      report = JSON.parse(await readFile(file, 'utf8')) as typeof report;
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message}); fix or delete it, or pass promptFormat (CLI: --prompt-format).`);
    }
    const format = report.config?.promptFormat;
    if (format === 'seed' || format === 'chat-template') return format;
  }
  return null;
}

/** The tokenizer saved with the adapter (training writes it next to the adapter), if there is one. */
async function savedTokenizer(dir: string): Promise<TextTokenizer | undefined> {
  return loadTokenizer(dir).catch((error: unknown) => (error instanceof ModelFilesNotFoundError ? undefined : Promise.reject(error)));
}

/**
 * Loads a saved output folder: `adapter_config.json` + `adapter_model.safetensors` (LoRA on its
 * base model; the tokenizer saved next to it, else the base's), or a full model folder
 * (`config.json` + `model.safetensors`, e.g. merged), and resolves its prompt format.
 * @throws ModelFilesNotFoundError when `dir` holds neither, or the adapter names no base model;
 *   PromptFormatError for promptFormat 'chat-template' when the tokenizer has no chat template.
 */
export async function loadTrainedModel(dir: string, options: LoadTrainedModelOptions = {}): Promise<TrainedModel> {
  const requested = options.promptFormat ?? 'auto';
  const format = requested === 'auto' ? ((await recordedPromptFormat(dir)) ?? 'auto') : requested;
  const withFormat = (model: CausalLMWithTokenizer, tokenizerName: string): TrainedModel => {
    try {
      return Object.assign(model, { promptFormat: resolvePromptFormat(format, model.tokenizer, tokenizerName) });
    } catch (error) {
      model.dispose();
      throw error;
    }
  };
  await initJobRuntime({ backend: options.backend ?? null, accel: options.accel ?? true });
  const common = {
    quantization: options.quantization ?? 'none',
    ...(options.doubleQuant !== undefined ? { doubleQuant: options.doubleQuant } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
  };
  if (existsSync(join(dir, 'adapter_config.json'))) {
    const { config } = await loadPeftAdapter(dir);
    const base = options.baseModel ?? config.baseModelNameOrPath;
    if (base === null || base === '') {
      throw new ModelFilesNotFoundError(`${join(dir, 'adapter_config.json')} names no base_model_name_or_path; pass the base model (CLI: --base-model).`, dir);
    }
    const tokenizer = await savedTokenizer(dir);
    // A wrong format fails before the base model's weights load.
    if (tokenizer !== undefined) resolvePromptFormat(format, tokenizer, dir);
    try {
      const model = withTokenizer(await loadCausalLM(base, { ...common, adapterPath: dir, ...(tokenizer !== undefined ? { tokenizer } : {}) }), base);
      return withFormat(model, tokenizer !== undefined ? dir : base);
    } catch (error) {
      if (isHubFailure(error, base)) throw new HubUnavailableError('model', base, error);
      throw error;
    }
  }
  if (existsSync(join(dir, 'config.json'))) return withFormat(withTokenizer(await loadCausalLM(dir, common), dir), dir);
  throw new ModelFilesNotFoundError(
    `${dir}: no adapter_config.json (a trained adapter) and no config.json (a full model). Pass the outputDir of a training run.`,
    dir,
  );
}

/** How to prompt and decode. */
export interface AnswerOptions {
  /** Send `question` as is, without the system prompt and prompt format. Default false. */
  raw?: boolean;
  /** System message (default the training default, SYSTEM_PROMPT; null = none). */
  systemPrompt?: string | null;
  /** Default 128 (the reference maxCompletionLength). */
  maxNewTokens?: number;
  /** Sample (true) or greedy-decode (false, default). */
  doSample?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
}

/** A generated answer. */
export interface Answer {
  /** The exact text the model was prompted with. */
  prompt: string;
  completion: string;
  /** Completion token ids (up to and including EOS). */
  completionIds: number[];
  /** False when cut at maxNewTokens. */
  terminated: boolean;
}

/**
 * Asks `model` one question, formatted as in training: the system prompt and the question in the
 * model's prompt format (a {@link TrainedModel}'s; for another model, 'auto' for its tokenizer).
 * @example const a = await answerQuestion(await loadTrainedModel('outputs/distilgpt2-GRPO'), 'What is 7 * 6?');
 */
export async function answerQuestion(
  model: CausalLMWithTokenizer & { readonly promptFormat?: ResolvedPromptFormat },
  question: string,
  options: AnswerOptions = {},
): Promise<Answer> {
  const tokenizer = model.tokenizer;
  const systemPrompt = options.systemPrompt === undefined ? SYSTEM_PROMPT : options.systemPrompt;
  const format = model.promptFormat ?? resolvePromptFormat('auto', tokenizer, 'the model');
  const prompt = options.raw ? question : renderPrompt(question, format, systemPrompt);
  const out = await model.generate([tokenizer.encode(prompt)], {
    maxNewTokens: options.maxNewTokens ?? 128,
    doSample: options.doSample ?? false,
    temperature: options.temperature ?? 1,
    topP: options.topP ?? 1,
    topK: options.topK ?? 0,
    seed: options.seed ?? 42,
    eosTokenId: tokenizer.eosTokenId,
    padTokenId: tokenizer.padTokenId,
  });
  const completionIds = out.completionIds[0];
  return { prompt, completion: tokenizer.decode(completionIds, { skipSpecialTokens: true }), completionIds, terminated: out.terminated[0] };
}

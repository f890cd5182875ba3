/**
 * Using a trained output folder: reload it (the PEFT adapter on the base model it names, or a full
 * merged model folder) and answer a question the way training prompted, i.e. the reference
 * README's inference snippet (`PeftModel.from_pretrained(base, out)`, then `generate`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gsm8kPrompt, SYSTEM_PROMPT } from '@grpojs/data';
import { loadCausalLM, loadPeftAdapter, ModelFilesNotFoundError } from '@grpojs/model';
import { HubUnavailableError } from './errors.js';
import { isHubFailure, withTokenizer, type CausalLMWithTokenizer } from './load.js';

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
}

/**
 * Loads a saved output folder: `adapter_config.json` + `adapter_model.safetensors` (LoRA on its
 * base model), or a full model folder (`config.json` + `model.safetensors`, e.g. merged).
 * @throws ModelFilesNotFoundError when `dir` holds neither, or the adapter names no base model.
 */
export async function loadTrainedModel(dir: string, options: LoadTrainedModelOptions = {}): Promise<CausalLMWithTokenizer> {
  const common = {
    quantization: options.quantization ?? 'none',
    ...(options.accel !== undefined ? { accel: options.accel } : {}),
    ...(options.doubleQuant !== undefined ? { doubleQuant: options.doubleQuant } : {}),
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
  };
  if (existsSync(join(dir, 'adapter_config.json'))) {
    const { config } = await loadPeftAdapter(dir);
    const base = options.baseModel ?? config.baseModelNameOrPath;
    if (base === null || base === '') {
      throw new ModelFilesNotFoundError(`${join(dir, 'adapter_config.json')} names no base_model_name_or_path; pass the base model (CLI: --base-model).`, dir);
    }
    try {
      return withTokenizer(await loadCausalLM(base, { ...common, adapterPath: dir }), base);
    } catch (error) {
      if (isHubFailure(error, base)) throw new HubUnavailableError('model', base, error);
      throw error;
    }
  }
  if (existsSync(join(dir, 'config.json'))) return withTokenizer(await loadCausalLM(dir, common), dir);
  throw new ModelFilesNotFoundError(
    `${dir}: no adapter_config.json (a trained adapter) and no config.json (a full model). Pass the outputDir of a training run.`,
    dir,
  );
}

/** How to prompt and decode. */
export interface AnswerOptions {
  /** Send `question` as is, without the system prompt and chat template. Default false. */
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
 * Asks `model` one question, formatted as in training (system prompt + chat template).
 * @example const a = await answerQuestion(await loadTrainedModel('outputs/distilgpt2-GRPO'), 'What is 7 * 6?');
 */
export async function answerQuestion(model: CausalLMWithTokenizer, question: string, options: AnswerOptions = {}): Promise<Answer> {
  const tokenizer = model.tokenizer;
  const systemPrompt = options.systemPrompt === undefined ? SYSTEM_PROMPT : options.systemPrompt;
  const prompt = options.raw
    ? question
    : gsm8kPrompt(question, { systemPrompt, ...(tokenizer.chatTemplate !== undefined ? { chatTemplate: tokenizer.chatTemplate } : {}) }).prompt;
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

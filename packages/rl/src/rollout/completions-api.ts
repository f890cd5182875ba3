/**
 * The subset of vLLM's OpenAI-compatible API the server rollout speaks, as request builders and
 * response schemas; `grpojs serve` implements the same bodies. Field names and meanings follow
 * vLLM's documented protocol (vllm/entrypoints/openai/protocol.py, docs "OpenAI-Compatible Server"
 * and "LoRA Adapters"), so the same client works against vLLM unchanged.
 */
import { z } from 'zod';

/** What one /v1/completions call asks for. */
export interface CompletionsParams {
  /** The served name: a LoRA adapter's lora_name, or the base model's name. */
  model: string;
  /** Token-id prompts ("prompt: list[int] | list[list[int]]"); one choice group per prompt. */
  prompt: number[][];
  n: number;
  maxTokens: number;
  /** null = greedy (temperature 0). */
  sampling: { temperature: number; topP: number; topK: number | null; seed: number } | null;
  /** Token that ends a completion (sent as stop_token_ids, kept in the output ids). */
  eosTokenId: number;
}

/**
 * The JSON body of POST /v1/completions. Besides OpenAI's fields (model, prompt, n, max_tokens,
 * temperature, top_p, seed, logprobs), it uses vLLM's extra sampling parameters:
 * - `top_k`: "Integer that controls the number of top tokens to consider. Set to 0 (or -1) to
 *   consider all tokens." — -1 when off: vLLM before 0.8 and SGLang refuse 0 ("top_k must be -1
 *   (disable), or at least 1"), and vLLM since then still accepts -1;
 * - `min_p` (0 = off) and `repetition_penalty` (1 = off): sent, as `top_k` always is, because vLLM
 *   fills each sampling field a request leaves out from the model's generation_config.json (its
 *   default `--generation-config auto`; e.g. top_k 20 and repetition_penalty 1.05 for
 *   Qwen2.5-Instruct), which would sample from another distribution than the trainer's;
 * - `return_token_ids`: "If specified, the result will include token IDs alongside the generated
 *   text." — each choice then has `prompt_token_ids` and `token_ids`;
 * - `stop_token_ids`: "List of tokens that stop the generation when they are generated. The
 *   returned output will contain the stop tokens unless the stop tokens are special tokens."
 * `logprobs: 0` asks for the sampled token's log-prob only (OpenAI: "the API will always return the
 * logprob of the sampled token"), with no alternatives.
 */
export function completionsBody(p: CompletionsParams): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: p.model,
    prompt: p.prompt,
    n: p.n,
    max_tokens: p.maxTokens,
    logprobs: 0,
    return_token_ids: true,
    stop_token_ids: [p.eosTokenId],
    stream: false,
  };
  if (p.sampling === null) {
    body.temperature = 0;
  } else {
    body.temperature = p.sampling.temperature;
    body.top_p = p.sampling.topP;
    body.top_k = p.sampling.topK !== null && p.sampling.topK > 0 ? p.sampling.topK : -1;
    body.seed = p.sampling.seed;
  }
  body.min_p = 0;
  body.repetition_penalty = 1;
  return body;
}

/**
 * vLLM's CompletionLogProbs: `text_offset: list[int]`, `token_logprobs: list[float | None]`,
 * `tokens: list[str]`, `top_logprobs: list[dict[str, float] | None]`, one entry per generated token.
 */
export const CompletionLogProbsSchema = z.object({
  text_offset: z.array(z.number().int()),
  token_logprobs: z.array(z.number().nullable()),
  tokens: z.array(z.string()),
  top_logprobs: z.array(z.record(z.string(), z.number()).nullable()),
});

/**
 * vLLM's CompletionResponseChoice: `index: int`, `text: str`, `logprobs: CompletionLogProbs | None`,
 * `finish_reason: str | None` ("stop" when an EOS/stop token ended it, "length" at max_tokens),
 * `stop_reason: int | str | None`, and with return_token_ids `prompt_token_ids`/`token_ids`.
 * Choices are numbered prompt-major: prompt i's j-th sample has index i·n + j.
 */
export const CompletionChoiceSchema = z.object({
  index: z.number().int().nonnegative(),
  text: z.string(),
  logprobs: CompletionLogProbsSchema.nullable(),
  finish_reason: z.string().nullable(),
  stop_reason: z.union([z.number().int(), z.string()]).nullable().optional(),
  prompt_token_ids: z.array(z.number().int()).nullable().optional(),
  token_ids: z.array(z.number().int()).nullable().optional(),
});

/** vLLM's CompletionResponse (non-streaming): id, object "text_completion", created, model, choices, usage. */
export const CompletionResponseSchema = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(CompletionChoiceSchema),
  usage: z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int().nullable().optional(), total_tokens: z.number().int() }),
});

export type CompletionResponse = z.infer<typeof CompletionResponseSchema>;

/**
 * vLLM's LoadLoRAAdapterRequest for POST /v1/load_lora_adapter: `lora_name: str`, `lora_path: str`,
 * `load_inplace: bool = False` (replace the weights of an adapter already loaded under that name).
 * The server must run with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora.
 * `load_inplace` stays false: every policy version has a new name, and vLLM keeps the flag on the
 * stored request (vllm/entrypoints/openai/models/serving.py stores the LoRARequest built with it), so
 * every later generation with that adapter would re-read it from disk (vllm-project/vllm#33791).
 * A name that is already loaded is unloaded and loaded again instead (ServerRollout.syncPolicy).
 */
export function loadLoraBody(loraName: string, loraPath: string): Record<string, unknown> {
  return { lora_name: loraName, lora_path: loraPath, load_inplace: false };
}

/** vLLM's UnloadLoRAAdapterRequest for POST /v1/unload_lora_adapter: `lora_name: str`. */
export function unloadLoraBody(loraName: string): Record<string, unknown> {
  return { lora_name: loraName };
}

/** SGLang's UpdateWeightFromDiskReqInput for POST /update_weights_from_disk: `model_path: str` (an HF folder). */
export function updateWeightsFromDiskBody(modelPath: string): Record<string, unknown> {
  return { model_path: modelPath };
}

/** One sampled row read from a response. */
export interface SampledRow {
  tokenIds: number[];
  logProbs: number[];
  terminated: boolean;
}

/**
 * Reads `response` into prompt-major rows (prompts × n), checking that every choice is there once
 * and carries its token ids and one finite log-prob per token; throws naming the bad field.
 */
export function readCompletionRows(response: unknown, prompts: number, n: number): SampledRow[] {
  const parsed = CompletionResponseSchema.safeParse(response);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`the /v1/completions response is not vLLM's CompletionResponse: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
  }
  const rows: (SampledRow | undefined)[] = new Array(prompts * n);
  for (const choice of parsed.data.choices) {
    const at = `choices[index ${choice.index}]`;
    if (choice.index >= rows.length || rows[choice.index] !== undefined) throw new Error(`${at}: index out of range or repeated (expected ${rows.length} choices numbered 0…${rows.length - 1})`);
    if (!choice.token_ids) throw new Error(`${at}: no token_ids (the server must support return_token_ids, vLLM >= 0.10.2)`);
    const logProbs = choice.logprobs?.token_logprobs ?? null;
    if (logProbs === null || logProbs.length !== choice.token_ids.length || logProbs.some((v) => v === null || !Number.isFinite(v))) {
      throw new Error(`${at}: logprobs.token_logprobs must hold one finite log-prob per token id (${choice.token_ids.length})`);
    }
    rows[choice.index] = { tokenIds: choice.token_ids, logProbs: logProbs as number[], terminated: choice.finish_reason === 'stop' };
  }
  const missing = rows.findIndex((r) => r === undefined);
  if (missing >= 0) throw new Error(`choice ${missing} is missing (${parsed.data.choices.length} of ${rows.length} returned)`);
  return rows as SampledRow[];
}

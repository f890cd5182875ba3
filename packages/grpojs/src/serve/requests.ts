/**
 * Request bodies `grpojs serve` accepts, as zod schemas: the subset of vLLM's OpenAI-compatible
 * API that the server rollout (@grpojs/rl rollout/) sends. Unknown fields are refused rather than
 * ignored, so a client that asks for something this server does not do (streaming, stop strings,
 * penalties) gets a 400 naming the field instead of silently different samples.
 */
import { z } from 'zod';

const tokenIds = z.array(z.number().int().nonnegative()).min(1);

/** POST /v1/completions (vLLM CompletionRequest, token-id prompts only). */
export const CompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    // vLLM: "prompt: list[int] | list[list[int]] | str | list[str]"; text is refused: the trainer
    // tokenizes, so the server never re-tokenizes differently.
    prompt: z.union([tokenIds, z.array(tokenIds).min(1)], { error: 'must be token ids: a list of ints or a list of lists of ints (text prompts are not supported)' }),
    n: z.number().int().min(1).max(1024).default(1),
    max_tokens: z.number().int().min(1).default(16),
    temperature: z.number().min(0).default(1),
    top_p: z.number().gt(0).max(1).default(1),
    // vLLM: "Set to 0 (or -1) to consider all tokens."
    top_k: z.number().int().min(-1).nullable().default(0),
    seed: z.number().int().nullable().optional(),
    // Sent by the server rollout at their neutral values (vLLM would otherwise take them from the
    // model's generation_config); other values are not implemented.
    min_p: z.literal(0, { error: 'only 0 (off) is supported' }).nullable().optional(),
    repetition_penalty: z.literal(1, { error: 'only 1 (off) is supported' }).nullable().optional(),
    // OpenAI: "the API will always return the logprob of the sampled token"; alternatives (> 0) are not implemented.
    logprobs: z.number().int().min(0).max(0, { error: 'only 0 (the sampled token\'s log-prob) is supported' }).nullable().optional(),
    return_token_ids: z.boolean().nullable().optional(),
    stop_token_ids: z.array(z.number().int().nonnegative()).max(1, { error: 'at most one stop token id (the EOS) is supported' }).nullable().optional(),
    stream: z.literal(false, { error: 'streaming is not supported' }).nullable().optional(),
    echo: z.literal(false).nullable().optional(),
    user: z.string().nullable().optional(),
  })
  .strict();

export type CompletionRequest = z.output<typeof CompletionRequestSchema>;

/** POST /v1/load_lora_adapter (vLLM LoadLoRAAdapterRequest). */
export const LoadLoraRequestSchema = z
  .object({ lora_name: z.string().min(1), lora_path: z.string().min(1), load_inplace: z.boolean().default(false) })
  .strict();

/** POST /v1/unload_lora_adapter (vLLM UnloadLoRAAdapterRequest). */
export const UnloadLoraRequestSchema = z.object({ lora_name: z.string().min(1), lora_int_id: z.number().int().nullable().optional() }).strict();

/** POST /update_weights_from_disk (SGLang UpdateWeightFromDiskReqInput: a full HF model folder). */
export const UpdateWeightsRequestSchema = z
  .object({ model_path: z.string().min(1), load_format: z.enum(['auto', 'safetensors']).nullable().optional(), weight_version: z.string().nullable().optional() })
  .strict();

/** The first issue of a failed parse as one line naming the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
  return `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}:${keys} ${issue.message}`;
}

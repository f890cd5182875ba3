/**
 * The rollout fields of the GRPO config (spread into GRPOConfigSchema, so each is a CLI flag): where
 * completions are sampled, how a server rollout reaches its servers, and TRL's importance-sampling
 * correction of the sampler/trainer mismatch. docs/scale-out.md explains each setup.
 */
import { z } from 'zod';
import { GRPOConfigError } from '../errors.js';
import { SAMPLING_CORRECTION_MODES, type SamplingCorrectionMode } from './is-correction.js';

export const RolloutConfigShape = {
  rolloutKind: z.enum(['local', 'server']).default('local').describe(
    'Where completions are sampled: "local" (this process, the trained model) or "server" (OpenAI-compatible servers at rolloutUrls: vLLM, SGLang or `grpojs serve`; docs/scale-out.md). (TRL: none; vllm_mode="server" with use_vllm)'),
  rolloutUrls: z.array(z.string().regex(/^https?:\/\/[^\s/]+\/?$/, { error: 'must be an http(s)://host:port base URL without a path (the server root, not an OpenAI base_url ending in /v1: the /v1/... paths are added)' })).default([]).describe(
    'Base URLs of the rollout servers (http://host:port, comma-separated); the generation batch is spread over them and a failing server\'s share is retried on the others. (TRL: none; vllm_server_base_url takes one server)'),
  rolloutModel: z.string().min(1).nullable().default(null).describe(
    'The base model\'s name on the servers (vLLM: --served-model-name, else the path given to `vllm serve`; grpojs serve: the --model folder name). Required with rolloutKind "server". (TRL: none)'),
  rolloutAdapterDir: z.string().min(1).nullable().default(null).describe(
    'Folder the servers read at the same path: each policy version is written to <dir>/policy-<step> and loaded from there; null = <outputDir>/rollout-policy. (TRL: none; TRL pushes weights over NCCL)'),
  rolloutWeightSync: z.enum(['lora', 'sglang_merged']).default('lora').describe(
    'How a new policy reaches the servers: "lora" (PEFT adapter + /v1/load_lora_adapter: vLLM, grpojs serve) or "sglang_merged" (merged full-weight folder + SGLang /update_weights_from_disk, for models a server cannot serve with LoRA, e.g. GPT-2 on vLLM). (TRL: none)'),
  rolloutRequestTimeout: z.number().positive().default(600).describe(
    'Seconds one /v1/completions call may take before its server counts as failed and its prompts go to the others. (TRL: none)'),
  rolloutLoadTimeout: z.number().positive().default(120).describe(
    'Seconds one adapter or weight load may take before its server counts as failed. (TRL: none; vllm_server_timeout is the wait for the server to start)'),
  vllmImportanceSamplingCorrection: z.boolean().default(true).describe(
    'With rolloutKind "server": weight the loss by the trainer/sampler probability ratio of the sampled tokens (truncated or masked importance sampling), which corrects the servers\' numeric mismatch. (TRL: vllm_importance_sampling_correction)'),
  vllmImportanceSamplingMode: z.enum(SAMPLING_CORRECTION_MODES as [SamplingCorrectionMode, ...SamplingCorrectionMode[]]).default('sequence_mask').describe(
    'Per token or per completion ratio; outside [clip min, clip max] clipped ("truncate") or zeroed ("mask"). (TRL: vllm_importance_sampling_mode)'),
  vllmImportanceSamplingClipMax: z.number().positive().nullable().default(3).describe(
    'Upper bound C_max of the importance-sampling ratio (truncate: clipped to it; mask: zeroed above it); null = none. TRL before 1.6 called it vllm_importance_sampling_cap. (TRL: vllm_importance_sampling_clip_max)'),
  vllmImportanceSamplingClipMin: z.number().nonnegative().nullable().default(null).describe(
    'Lower bound C_min of the importance-sampling ratio (truncate: clipped to it; mask: zeroed below it); null = none. (TRL: vllm_importance_sampling_clip_min)'),
} as const;

/** The rollout fields the cross-field checks read. */
interface RolloutChecked {
  rolloutKind: 'local' | 'server';
  rolloutUrls: readonly string[];
  rolloutModel: string | null;
  vllmImportanceSamplingCorrection: boolean;
  vllmImportanceSamplingMode: SamplingCorrectionMode;
  vllmImportanceSamplingClipMin: number | null;
  vllmImportanceSamplingClipMax: number | null;
}

/** Cross-field checks of the rollout fields (called by parseGRPOConfig); throws GRPOConfigError naming the fields. */
export function checkRolloutConfig(config: RolloutChecked): void {
  const { vllmImportanceSamplingClipMin: min, vllmImportanceSamplingClipMax: max } = config;
  // As TRL's GRPOConfig.__post_init__.
  if (min !== null && max !== null && min >= max) {
    throw new GRPOConfigError(`Invalid GRPO config: vllmImportanceSamplingClipMin (${min}) must be less than vllmImportanceSamplingClipMax (${max}).`);
  }
  if (config.vllmImportanceSamplingCorrection && config.vllmImportanceSamplingMode.endsWith('truncate') && min === null && max === null) {
    throw new GRPOConfigError(`Invalid GRPO config: vllmImportanceSamplingMode "${config.vllmImportanceSamplingMode}" needs vllmImportanceSamplingClipMin or vllmImportanceSamplingClipMax (both are null).`);
  }
  if (config.rolloutKind !== 'server') return;
  const missing = [
    config.rolloutUrls.length === 0 ? "rolloutUrls (the servers' base URLs)" : null,
    config.rolloutModel === null ? "rolloutModel (the base model's name on the servers)" : null,
  ].filter((m) => m !== null);
  if (missing.length > 0) throw new GRPOConfigError(`Invalid GRPO config: rolloutKind "server" needs ${missing.join(' and ')}; see docs/scale-out.md.`);
}

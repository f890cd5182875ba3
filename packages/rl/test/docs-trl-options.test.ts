/**
 * docs/rl.md's table of TRL options covers every field of TRL 1.9's GRPOConfig (the names below
 * are the dataclass fields of huggingface/trl v1.9.0 trl/trainer/grpo_config.py, in order), and
 * every grpojs field that names a TRL counterpart ("(TRL: name)") appears in it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeGRPOConfig } from '../src/config-docs.js';

const TRL_1_9_GRPO_CONFIG_FIELDS = [
  'learning_rate', 'model_init_kwargs', 'trust_remote_code', 'router_aux_loss_coef', 'disable_dropout',
  'cast_lm_head_to_fp32', 'remove_unused_columns', 'num_generations', 'num_generations_eval',
  'max_completion_length', 'ds3_gather_for_generation', 'shuffle_dataset', 'pad_to_multiple_of',
  'generation_batch_size', 'steps_per_generation', 'temperature', 'top_p', 'top_k', 'min_p',
  'generation_kwargs', 'chat_template_kwargs', 'repetition_penalty', 'cache_implementation', 'use_vllm',
  'vllm_mode', 'vllm_model_impl', 'vllm_enable_sleep_mode', 'vllm_structured_outputs_regex',
  'vllm_server_base_url', 'vllm_server_host', 'vllm_server_port', 'vllm_server_timeout', 'vllm_group_port',
  'vllm_gpu_memory_utilization', 'vllm_max_model_length', 'vllm_tensor_parallel_size', 'beta',
  'num_iterations', 'epsilon', 'delta', 'epsilon_high', 'sapo_temperature_neg', 'sapo_temperature_pos',
  'vespo_k_pos', 'vespo_lambda_pos', 'vespo_k_neg', 'vespo_lambda_neg', 'importance_sampling_level',
  'reward_weights', 'multi_objective_aggregation', 'scale_rewards', 'loss_type', 'mask_truncated_completions',
  'sync_ref_model', 'ref_model_mixup_alpha', 'ref_model_sync_steps', 'top_entropy_quantile', 'entropy_coef',
  'use_adaptive_entropy', 'entropy_coef_min', 'entropy_coef_max', 'entropy_coef_delta', 'entropy_target',
  'max_tool_calling_iterations', 'vllm_importance_sampling_correction', 'vllm_importance_sampling_mode',
  'vllm_importance_sampling_clip_max', 'vllm_importance_sampling_clip_min', 'off_policy_mask_threshold',
  'use_bias_correction_kl', 'log_completions', 'log_multimodal', 'num_completions_to_print',
  'log_unique_prompts', 'log_completions_hub_repo', 'use_transformers_continuous_batching',
  'transformers_continuous_batching_config', 'use_transformers_paged', 'vllm_importance_sampling_cap',
];

const doc = readFileSync(new URL('../../../docs/rl.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('## Every TRL GRPOConfig option'), doc.indexOf('## Design choices'));

describe('docs/rl.md: every TRL GRPOConfig option', () => {
  it('has the section', () => {
    expect(section.length).toBeGreaterThan(1000);
  });

  it('lists each TRL 1.9 GRPOConfig field with a status', () => {
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    for (const field of TRL_1_9_GRPO_CONFIG_FIELDS) {
      const row = rows.find((r) => r.split('|')[1].includes(`\`${field}\``));
      expect(row, field).toBeDefined();
      expect(row, field).toMatch(/\| (supported|differently|not applicable|not supported|not yet)/);
    }
  });

  it('names every TRL counterpart the config schema declares', () => {
    for (const f of describeGRPOConfig()) {
      for (const name of (f.trlName ?? '').split(/[^a-z_0-9]+/).filter((n) => /^[a-z][a-z_0-9]*$/.test(n))) {
        expect(section, `${f.name} (TRL: ${name})`).toContain(`\`${name}\``);
      }
    }
  });
});

/**
 * Llama-family checkpoints on disk ↔ the tensor map the model is built from. The names are
 * transformers' own (`model.layers.0.self_attn.q_proj.weight`, nn.Linear layout [out, in]), so
 * loading only validates: every tensor present with the shape config.json implies, rotary buffers
 * dropped, and a tied `lm_head.weight` checked against the embedding and dropped.
 */
import { CheckpointTensorError } from '../../io/errors.js';
import type { LinearModuleCatalog } from '../../adapters/lora-targets.js';
import type { HostTensor } from '../../io/safetensors.js';
import { assertTiedHead } from '../tied-head.js';
import type { LlamaConfig } from './config.js';

/** The nn.Linear modules of one decoder layer, in the order of a forward pass. */
export const LLAMA_LINEAR_MODULES = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
] as const;
export type LlamaLinearModule = (typeof LLAMA_LINEAR_MODULES)[number];

/** `model.layers.{layer}`: the module path prefix of a decoder layer. */
export function llamaLayerPrefix(layer: number): string {
  return `model.layers.${layer}`;
}

/** [out, in] of a layer's Linear, and whether it has a bias. */
export function llamaLinearShape(config: LlamaConfig, module: LlamaLinearModule): { out: number; in: number; bias: boolean } {
  const { hiddenSize: C, intermediateSize: I, numAttentionHeads: H, numKeyValueHeads: KV, headDim: D } = config;
  switch (module) {
    case 'self_attn.q_proj':
      return { out: H * D, in: C, bias: config.qkvBias };
    case 'self_attn.k_proj':
    case 'self_attn.v_proj':
      return { out: KV * D, in: C, bias: config.qkvBias };
    case 'self_attn.o_proj':
      return { out: C, in: H * D, bias: config.oBias };
    case 'mlp.gate_proj':
    case 'mlp.up_proj':
      return { out: I, in: C, bias: config.mlpBias };
    case 'mlp.down_proj':
      return { out: C, in: I, bias: config.mlpBias };
  }
}

/** Every tensor name of a checkpoint with its shape, in model order (`lm_head.weight` only when untied). */
export function llamaTensorShapes(config: LlamaConfig): Map<string, number[]> {
  const C = config.hiddenSize;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [config.vocabSize, C]]]);
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = llamaLayerPrefix(i);
    shapes.set(`${p}.input_layernorm.weight`, [C]);
    for (const m of LLAMA_LINEAR_MODULES) {
      const s = llamaLinearShape(config, m);
      shapes.set(`${p}.${m}.weight`, [s.out, s.in]);
      if (s.bias) shapes.set(`${p}.${m}.bias`, [s.out]);
      if (m === 'self_attn.k_proj' && config.qkNorm) {
        shapes.set(`${p}.self_attn.q_norm.weight`, [config.headDim]);
        shapes.set(`${p}.self_attn.k_norm.weight`, [config.headDim]);
      }
    }
    shapes.set(`${p}.post_attention_layernorm.weight`, [C]);
  }
  shapes.set('model.norm.weight', [C]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [config.vocabSize, C]);
  return shapes;
}

/** Buffers some checkpoints carry that hold no learned values (rotary frequencies are recomputed). */
function isBuffer(name: string): boolean {
  return name.endsWith('.rotary_emb.inv_freq');
}

/**
 * Validates a checkpoint's tensors against `config` and returns them in model order (arrays shared).
 * @param source the folder, named in errors.
 * @throws CheckpointTensorError naming the tensor: missing, unexpected, wrong shape, or a stored
 *   `lm_head.weight` that differs from the embedding although the config says tied.
 */
export function checkLlamaTensors(tensors: Map<string, HostTensor>, config: LlamaConfig, source: string): Map<string, HostTensor> {
  const expected = llamaTensorShapes(config);
  let tiedHead: HostTensor | undefined;
  for (const [name, tensor] of tensors) {
    if (isBuffer(name)) continue;
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) {
      tiedHead = tensor;
      continue;
    }
    if (!expected.has(name)) {
      throw new CheckpointTensorError(
        `${source}: unexpected tensor "${name}" for a ${config.family} with ${config.numHiddenLayers} layers${name.endsWith('.bias') ? ' (config.json says this projection has no bias: check attention_bias / mlp_bias)' : ''}. The weights do not match config.json.`,
        source,
      );
    }
  }
  const result = new Map<string, HostTensor>();
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name);
    if (tensor === undefined) {
      throw new CheckpointTensorError(`${source}: missing tensor "${name}" (expected shape [${shape.join(', ')}]). The checkpoint is incomplete or does not match config.json.`, source);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, k) => d !== shape[k])) {
      throw new CheckpointTensorError(
        `${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}] but config.json implies [${shape.join(', ')}]. The weights do not match config.json.`,
        source,
      );
    }
    result.set(name, tensor);
  }
  if (tiedHead !== undefined) assertTiedHead(tiedHead, result.get('model.embed_tokens.weight')!, 'model.embed_tokens.weight', source);
  return result;
}

/** PEFT's default LoRA targets for the Llama family (its `q_proj`, `v_proj` mapping). */
export const LLAMA_DEFAULT_LORA_TARGETS: readonly string[] = ['q_proj', 'v_proj'];

/** The projections LoRA can target in this model (`model.layers.{i}.self_attn.q_proj`, …). */
export function llamaLinearModules(config: LlamaConfig): LinearModuleCatalog {
  const paths: string[] = [];
  for (let i = 0; i < config.numHiddenLayers; i++) for (const m of LLAMA_LINEAR_MODULES) paths.push(`${llamaLayerPrefix(i)}.${m}`);
  return { architecture: config.family, paths, prefix: '', blockModules: LLAMA_LINEAR_MODULES, defaultTargets: LLAMA_DEFAULT_LORA_TARGETS };
}

/**
 * Hugging Face GPT-2 checkpoints ↔ the canonical tensor map the model is built from: strips the
 * `transformer.` prefix (GPT2LMHeadModel saves it, GPT2Model and the original hub files do not),
 * drops buffers, and checks every tensor's presence and shape against the config before anything
 * is built.
 */
import { type GPT2Config, gpt2InnerSize } from './config.js';
import { CheckpointTensorError } from '../../io/errors.js';
import type { HostTensor } from '../../io/safetensors.js';
import { assertTiedHead } from '../tied-head.js';

/**
 * The canonical GPT-2 tensor names and shapes for a config, in model order. Conv1D weights are
 * [in, out] (HF layout); c_attn packs q|k|v along the output axis. `lm_head.weight` [vocab, C] is
 * included only when the embeddings are not tied.
 */
export function gpt2TensorShapes(config: GPT2Config): Map<string, number[]> {
  const C = config.nEmbd;
  const inner = gpt2InnerSize(config);
  const shapes = new Map<string, number[]>([
    ['wte.weight', [config.vocabSize, C]],
    ['wpe.weight', [config.nPositions, C]],
  ]);
  for (let i = 0; i < config.nLayer; i++) {
    const p = `h.${i}.`;
    shapes.set(`${p}ln_1.weight`, [C]);
    shapes.set(`${p}ln_1.bias`, [C]);
    shapes.set(`${p}attn.c_attn.weight`, [C, 3 * C]);
    shapes.set(`${p}attn.c_attn.bias`, [3 * C]);
    shapes.set(`${p}attn.c_proj.weight`, [C, C]);
    shapes.set(`${p}attn.c_proj.bias`, [C]);
    shapes.set(`${p}ln_2.weight`, [C]);
    shapes.set(`${p}ln_2.bias`, [C]);
    shapes.set(`${p}mlp.c_fc.weight`, [C, inner]);
    shapes.set(`${p}mlp.c_fc.bias`, [inner]);
    shapes.set(`${p}mlp.c_proj.weight`, [inner, C]);
    shapes.set(`${p}mlp.c_proj.bias`, [C]);
  }
  shapes.set('ln_f.weight', [C]);
  shapes.set('ln_f.bias', [C]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [config.vocabSize, C]);
  return shapes;
}

/** Non-parameter buffers older transformers versions saved; they carry no learned values. */
function isBuffer(name: string): boolean {
  return /^h\.\d+\.attn\.(bias|masked_bias)$/.test(name);
}

/**
 * Maps HF GPT-2 tensors to canonical names and validates them against the config.
 * Strips `transformer.`, drops attention buffers, and drops `lm_head.weight` when embeddings are
 * tied (after checking it equals `wte.weight`). The returned map shares the input's arrays.
 * @param source the folder or file, for error messages.
 * @throws CheckpointTensorError naming the tensor: missing, unexpected, wrong shape, or an
 *   `lm_head.weight` that differs from `wte.weight` although the config says tied.
 */
export function canonicalGPT2Tensors(tensors: Map<string, HostTensor>, config: GPT2Config, source: string): Map<string, HostTensor> {
  const expected = gpt2TensorShapes(config);
  const found = new Map<string, HostTensor>();
  let lmHead: HostTensor | undefined;
  for (const [fullName, tensor] of tensors) {
    const name = fullName.startsWith('transformer.') ? fullName.slice('transformer.'.length) : fullName;
    if (isBuffer(name)) continue;
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) {
      lmHead = tensor;
      continue;
    }
    if (!expected.has(name)) {
      throw new CheckpointTensorError(
        `${source}: unexpected tensor "${fullName}" for a GPT-2 with n_layer=${config.nLayer}. The weights do not match config.json; use the config saved with these weights.`,
        source,
      );
    }
    if (found.has(name)) {
      throw new CheckpointTensorError(`${source}: tensor "${name}" appears both with and without the "transformer." prefix.`, source);
    }
    found.set(name, tensor);
  }
  const result = new Map<string, HostTensor>();
  for (const [name, shape] of expected) {
    const tensor = found.get(name);
    if (tensor === undefined) {
      throw new CheckpointTensorError(`${source}: missing tensor "${name}" (expected shape [${shape.join(', ')}]). The checkpoint is incomplete or not a GPT-2.`, source);
    }
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, k) => d !== shape[k])) {
      throw new CheckpointTensorError(
        `${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}] but config.json implies [${shape.join(', ')}]. The weights do not match config.json.`,
        source,
      );
    }
    result.set(name, tensor);
  }
  if (lmHead !== undefined) assertTiedHead(lmHead, result.get('wte.weight')!, 'wte.weight', source);
  return result;
}

/**
 * Canonical names → the names `GPT2LMHeadModel.save_pretrained` writes (`transformer.` prefix;
 * `lm_head.weight` only when untied, as transformers drops the tied copy).
 */
export function toHFGPT2TensorNames(canonical: Map<string, HostTensor>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, tensor] of canonical) out.set(name === 'lm_head.weight' ? name : `transformer.${name}`, tensor);
  return out;
}

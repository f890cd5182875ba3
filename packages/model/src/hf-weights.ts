/**
 * Hugging Face GPT-2 checkpoints on disk ↔ the canonical tensor map the model is built from.
 * Reads single-file and sharded safetensors folders, strips the `transformer.` prefix
 * (GPT2LMHeadModel saves it, GPT2Model and the original hub files do not), drops buffers,
 * and checks every tensor's presence and shape against the config before anything is built.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type GPT2Config, gpt2InnerSize } from './config.js';
import { CheckpointTensorError, ModelConfigError, ModelFilesNotFoundError } from './io-errors.js';
import { type HostTensor, readSafetensors } from './safetensors.js';

const SINGLE_FILE = 'model.safetensors';
const INDEX_FILE = 'model.safetensors.index.json';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads all weights of a model folder: `model.safetensors`, or the shards listed in
 * `model.safetensors.index.json`. A path to a `.safetensors` file is read as is.
 * @throws ModelFilesNotFoundError when there are no safetensors weights (e.g. only
 *   `pytorch_model.bin`, which must be converted), CheckpointTensorError when the index lists a
 *   tensor its shard lacks.
 */
export async function readSafetensorsFolder(dir: string): Promise<Map<string, HostTensor>> {
  if (dir.endsWith('.safetensors')) return readSafetensors(dir);
  const indexPath = join(dir, INDEX_FILE);
  if (await exists(indexPath)) return readShardedFolder(dir, indexPath);
  if (await exists(join(dir, SINGLE_FILE))) return readSafetensors(join(dir, SINGLE_FILE));

  let files: string[] = [];
  try {
    files = await readdir(dir);
  } catch (error) {
    throw new ModelFilesNotFoundError(`${dir}: cannot list the model folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, dir);
  }
  if (files.some((f) => f.startsWith('pytorch_model') && (f.endsWith('.bin') || f.endsWith('.bin.index.json')))) {
    throw new ModelFilesNotFoundError(
      `${dir}: only PyTorch pickle weights (pytorch_model.bin) were found; grpojs reads safetensors only. ` +
        'Convert them in Python: `AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`, ' +
        'or use the hub revision that has model.safetensors.',
      dir,
    );
  }
  throw new ModelFilesNotFoundError(
    `${dir}: no ${SINGLE_FILE} or ${INDEX_FILE} found (files: ${files.join(', ') || 'none'}). Point to a Hugging Face model folder with safetensors weights.`,
    dir,
  );
}

async function readShardedFolder(dir: string, indexPath: string): Promise<Map<string, HostTensor>> {
  let weightMap: Record<string, string>;
  try {
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: unknown };
    if (index.weight_map === null || typeof index.weight_map !== 'object') throw new Error('missing "weight_map" object');
    weightMap = index.weight_map as Record<string, string>;
  } catch (error) {
    throw new ModelConfigError(`${indexPath}: invalid shard index (${(error as Error).message}).`, indexPath);
  }
  const shards = [...new Set(Object.values(weightMap))].sort();
  const all = new Map<string, HostTensor>();
  for (const shard of shards) {
    const shardPath = join(dir, shard);
    if (!(await exists(shardPath))) {
      throw new ModelFilesNotFoundError(`${indexPath}: lists shard "${shard}", which is missing from ${dir}. Re-download the model.`, shardPath);
    }
    for (const [name, tensor] of await readSafetensors(shardPath)) {
      if (all.has(name)) {
        throw new CheckpointTensorError(`${shardPath}: tensor "${name}" also appears in another shard.`, shardPath);
      }
      all.set(name, tensor);
    }
  }
  for (const [name, shard] of Object.entries(weightMap)) {
    if (!all.has(name)) {
      throw new CheckpointTensorError(`${join(dir, shard)}: tensor "${name}" listed in ${INDEX_FILE} is not in that shard.`, join(dir, shard));
    }
  }
  return all;
}

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

/** Largest |a − b| over two equal-length arrays. */
function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max || Number.isNaN(d)) max = d;
  }
  return max;
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
  if (lmHead !== undefined) {
    const wte = result.get('wte.weight')!;
    const sameShape = lmHead.shape.length === 2 && lmHead.shape[0] === wte.shape[0] && lmHead.shape[1] === wte.shape[1];
    const diff = sameShape ? maxAbsDiff(lmHead.data, wte.data) : Infinity;
    // 1e-2 tolerates the head having been stored in a lower precision than wte.
    if (!(diff <= 1e-2)) {
      throw new CheckpointTensorError(
        `${source}: "lm_head.weight" differs from "wte.weight" (max |diff| ${diff}) but config.json has tie_word_embeddings=true. Set tie_word_embeddings to false to use a separate head.`,
        source,
      );
    }
  }
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

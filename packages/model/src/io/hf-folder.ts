/**
 * The weights of a Hugging Face model folder, whatever the architecture: `model.safetensors`, or
 * the shards listed in `model.safetensors.index.json`, every shard checked against the index.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathInside } from '@grpojs/data';
import { CheckpointTensorError, ModelConfigError, ModelFilesNotFoundError } from './errors.js';
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

/**
 * The `weight_map` of a `model.safetensors.index.json` (tensor name → shard file name) and its
 * shards, sorted, each checked to be a file inside `dir`: the names come from a downloaded file.
 * @throws ModelConfigError when the index is not JSON or has no `weight_map` object,
 *   UnsafePathError (from @grpojs/data) naming the shard, the tensor and the index file when a
 *   shard name is absolute, has `..` or odd characters.
 */
export async function readShardIndex(indexPath: string, dir: string): Promise<{ weightMap: Record<string, string>; shards: string[] }> {
  let weightMap: Record<string, string>;
  try {
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: unknown };
    if (index.weight_map === null || typeof index.weight_map !== 'object') throw new Error('missing "weight_map" object');
    weightMap = index.weight_map as Record<string, string>;
  } catch (error) {
    throw new ModelConfigError(`${indexPath}: invalid shard index (${(error as Error).message}).`, indexPath);
  }
  for (const [tensor, shard] of Object.entries(weightMap)) {
    pathInside(dir, shard, 'shard file name', `${indexPath} weight_map[${JSON.stringify(tensor)}]`);
  }
  return { weightMap, shards: [...new Set(Object.values(weightMap))].sort() };
}

async function readShardedFolder(dir: string, indexPath: string): Promise<Map<string, HostTensor>> {
  const { weightMap, shards } = await readShardIndex(indexPath, dir);
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

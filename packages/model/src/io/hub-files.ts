/**
 * "A local folder or a hub id" → a local folder holding a model's files, the way
 * `from_pretrained` accepts both. Hub files land in the Python `huggingface_hub` cache (through
 * `@grpojs/data`), so a model downloaded by Python is reused here and the other way round.
 */
import { HubOfflineError, HubUnreachableError, hubDownload, resolveLocalOrHub } from '@grpojs/data';
import { dirname, join } from 'node:path';
import { ModelFilesNotFoundError } from './errors.js';
import { readShardIndex } from './hf-folder.js';

/** Where and how to fetch hub files; every field falls back to the env variable Python reads. */
export interface ModelSourceOptions {
  /** Branch, tag or commit of the hub repository. Default `main`. */
  revision?: string;
  /** Hub cache root (default `HF_HUB_CACHE`, else `$HF_HOME/hub`, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** Access token (default `HF_TOKEN`). */
  token?: string;
  /** Use the cache only (default `HF_HUB_OFFLINE`). */
  offline?: boolean;
  /** Hub base URL (default `HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
}

/** Tokenizer and settings files copied along with a model when the repository has them. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'vocab.json', 'merges.txt'] as const;

const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json'] as const;

function hubOptions(options: ModelSourceOptions): Parameters<typeof hubDownload>[2] {
  return {
    repoType: 'model',
    ...(options.revision !== undefined ? { revision: options.revision } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
  };
}

/** Adds what to do to hub errors: grpojs can always run from a local folder instead. */
function withLocalHint(error: unknown, pathOrHubId: string): never {
  if (error instanceof HubUnreachableError || error instanceof HubOfflineError) {
    throw new ModelFilesNotFoundError(
      `Cannot get model "${pathOrHubId}": ${error.message} To run without the hub, pass a local model folder ` +
        '(e.g. --model ./models/distilgpt2 holding config.json and model.safetensors) or use the offline preset.',
      pathOrHubId,
    );
  }
  throw error;
}

/**
 * Resolves a model to a local folder with `config.json` and safetensors weights (+ tokenizer
 * files when the repository has them). Sharded hub checkpoints download every shard.
 * @param pathOrHubId a local folder, or a hub id such as `distilgpt2` or `openai-community/gpt2`.
 * @returns the local folder (for hub ids: the cache snapshot folder of the resolved commit).
 * @throws ModelFilesNotFoundError when the hub cannot be reached (saying to pass a local path), or
 *   when the repository has only `pytorch_model.bin`.
 */
export async function resolveModelFiles(pathOrHubId: string, options: ModelSourceOptions = {}): Promise<string> {
  try {
    const resolved = await resolveLocalOrHub(pathOrHubId, ['config.json'], {
      ...hubOptions(options),
      optional: [...WEIGHT_FILES, 'generation_config.json', ...TOKENIZER_FILES],
    });
    if (resolved.source === 'local') return resolved.folder;
    if (resolved.files['model.safetensors.index.json'] !== undefined) {
      await downloadShards(pathOrHubId, resolved.files['model.safetensors.index.json'], options);
    } else if (resolved.files['model.safetensors'] === undefined) {
      missingWeights(pathOrHubId, options);
    }
    return resolved.folder;
  } catch (error) {
    return withLocalHint(error, pathOrHubId);
  }
}

async function downloadShards(repoId: string, indexPath: string, options: ModelSourceOptions): Promise<void> {
  const { shards } = await readShardIndex(indexPath, dirname(indexPath));
  for (const shard of shards) await hubDownload(repoId, shard, hubOptions(options));
}

function missingWeights(repoId: string, options: ModelSourceOptions): never {
  throw new ModelFilesNotFoundError(
    `Hub model "${repoId}"${options.revision ? ` at revision ${options.revision}` : ''} has no model.safetensors or ` +
      'model.safetensors.index.json. grpojs reads safetensors only: pick a revision that has them, or, if the repository ' +
      'has only pytorch_model.bin, convert it in Python with save_pretrained(dir, safe_serialization=True) and pass the folder.',
    repoId,
  );
}

/**
 * Resolves the tokenizer files of a model: `tokenizer.json`, else `vocab.json` + `merges.txt`,
 * plus `tokenizer_config.json`, `special_tokens_map.json` and `config.json` when present.
 * @returns the folder and which files exist in it (repo-relative name → absolute path).
 */
export async function resolveTokenizerFiles(
  pathOrHubId: string,
  options: ModelSourceOptions = {},
): Promise<{ folder: string; files: Record<string, string> }> {
  try {
    const first = await resolveLocalOrHub(pathOrHubId, [], {
      ...hubOptions(options),
      optional: ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'config.json'],
    });
    if (first.files['tokenizer.json'] !== undefined) return { folder: first.folder, files: first.files };
    const bpe = await resolveLocalOrHub(pathOrHubId, [], { ...hubOptions(options), optional: ['vocab.json', 'merges.txt'] });
    if (bpe.files['vocab.json'] === undefined || bpe.files['merges.txt'] === undefined) {
      const where = first.source === 'local' ? first.folder : `hub model "${pathOrHubId}"`;
      throw new ModelFilesNotFoundError(
        `${where}: no tokenizer.json and no vocab.json + merges.txt. Copy the tokenizer files of the base model into the folder.`,
        join(first.folder || pathOrHubId, 'tokenizer.json'),
      );
    }
    return { folder: bpe.folder || first.folder, files: { ...first.files, ...bpe.files } };
  } catch (error) {
    return withLocalHint(error, pathOrHubId);
  }
}

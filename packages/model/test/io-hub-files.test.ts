import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpt2ConfigToJson, readGPT2Config } from '../src/architectures/gpt2/config.js';
import { canonicalGPT2Tensors, toHFGPT2TensorNames } from '../src/architectures/gpt2/weights.js';
import { readSafetensorsFolder } from '../src/io/hf-folder.js';
import { resolveModelFiles } from '../src/io/hub-files.js';
import { ModelFilesNotFoundError } from '../src/io/errors.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { embeddedGPT2Tokenizer, loadTokenizer } from '../src/io/tokenizer.js';
import { type FakeHub, startFakeHub } from './io-hub-server.js';
import { tempDir, tinyConfig, tinyTensors } from './io-helpers.js';

const COMMIT_A = 'a'.repeat(40);
const COMMIT_B = 'b'.repeat(40);
const config = tinyConfig();
const tensors = tinyTensors(config);

/** The bytes of a file written by one of our writers. */
async function bytesOf(write: (file: string) => Promise<void>): Promise<Buffer> {
  const file = join(await tempDir(), 'f');
  await write(file);
  return readFile(file);
}

let hub: FakeHub;
let files: Record<string, Buffer>;

beforeAll(async () => {
  const tokenizerDir = await tempDir();
  await (await embeddedGPT2Tokenizer()).save(tokenizerDir);
  const hf = toHFGPT2TensorNames(tensors);
  const names = [...hf.keys()].sort();
  const firstHalf = new Map(names.slice(0, 10).map((n) => [n, hf.get(n)!]));
  const secondHalf = new Map(names.slice(10).map((n) => [n, hf.get(n)!]));
  const weightMap = Object.fromEntries(names.map((n, i) => [n, i < 10 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors']));
  files = {
    'config.json': Buffer.from(JSON.stringify(gpt2ConfigToJson(config))),
    'model.safetensors': await bytesOf((f) => writeSafetensors(f, hf, { metadata: { format: 'pt' } })),
    'tokenizer.json': await readFile(join(tokenizerDir, 'tokenizer.json')),
    'tokenizer_config.json': await readFile(join(tokenizerDir, 'tokenizer_config.json')),
    'model-00001-of-00002.safetensors': await bytesOf((f) => writeSafetensors(f, firstHalf)),
    'model-00002-of-00002.safetensors': await bytesOf((f) => writeSafetensors(f, secondHalf)),
    'model.safetensors.index.json': Buffer.from(JSON.stringify({ weight_map: weightMap })),
  };
  const pick = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, files[k]]));
  hub = await startFakeHub([
    { id: 'distilgpt2', commit: COMMIT_A, files: pick('config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json') },
    {
      id: 'openai-community/gpt2',
      commit: COMMIT_B,
      files: pick('config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer.json'),
    },
    { id: 'old/pickle-only', commit: COMMIT_A, files: { 'config.json': files['config.json'], 'pytorch_model.bin': Buffer.from('pickle') } },
  ]);
});
afterAll(async () => hub?.close());

async function expectLoadable(folder: string): Promise<void> {
  const loaded = canonicalGPT2Tensors(await readSafetensorsFolder(folder), await readGPT2Config(folder), folder);
  for (const [name, t] of tensors) expect(Array.from(loaded.get(name)!.data), name).toEqual(Array.from(t.data));
}

describe('resolveModelFiles', () => {
  it('returns a local folder as is', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), files['config.json']);
    await writeFile(join(dir, 'model.safetensors'), files['model.safetensors']);
    expect(await resolveModelFiles(dir)).toBe(dir);
    await expectLoadable(dir);
  });

  it('downloads a hub model into the Python cache layout, with its tokenizer', async () => {
    const cacheDir = await tempDir();
    const folder = await resolveModelFiles('distilgpt2', { endpoint: hub.url, cacheDir });
    expect(folder).toBe(join(cacheDir, 'models--distilgpt2', 'snapshots', COMMIT_A));
    await expectLoadable(folder);
    expect((await loadTokenizer('distilgpt2', { endpoint: hub.url, cacheDir })).encode('Hello, my name is')).toEqual([15496, 11, 616, 1438, 318]);
    expect(await readFile(join(cacheDir, 'models--distilgpt2', 'refs', 'main'), 'utf8')).toBe(COMMIT_A);
    const before = hub.paths.length;
    expect(await resolveModelFiles('distilgpt2', { endpoint: hub.url, cacheDir, offline: true })).toBe(folder);
    expect(hub.paths.length).toBe(before);
  });

  it('downloads every shard of a sharded checkpoint at a pinned revision', async () => {
    const cacheDir = await tempDir();
    const folder = await resolveModelFiles('openai-community/gpt2', { endpoint: hub.url, cacheDir, revision: COMMIT_B });
    expect(folder).toBe(join(cacheDir, 'models--openai-community--gpt2', 'snapshots', COMMIT_B));
    await expectLoadable(folder);
    expect(hub.paths).toContain(`/openai-community/gpt2/resolve/${COMMIT_B}/model-00002-of-00002.safetensors`);
  });

  it('explains a repository without safetensors weights', async () => {
    const cacheDir = await tempDir();
    await expect(resolveModelFiles('old/pickle-only', { endpoint: hub.url, cacheDir })).rejects.toThrow(
      /Hub model "old\/pickle-only" has no model\.safetensors .*only pytorch_model\.bin, convert it/,
    );
  });

  it('says to pass a local folder when the hub is unreachable or offline without a cache', async () => {
    const cacheDir = await tempDir();
    const closed = await startFakeHub([]);
    await closed.close();
    const attempt = resolveModelFiles('distilgpt2', { endpoint: closed.url, cacheDir });
    await expect(attempt).rejects.toThrow(ModelFilesNotFoundError);
    await expect(resolveModelFiles('distilgpt2', { endpoint: closed.url, cacheDir })).rejects.toThrow(/Cannot get model "distilgpt2": .*pass a local model folder/);
    await expect(resolveModelFiles('distilgpt2', { cacheDir, offline: true })).rejects.toThrow(/Cannot get model "distilgpt2": Offline mode/);
  });
});

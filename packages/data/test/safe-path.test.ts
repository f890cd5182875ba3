import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HubOfflineError,
  UnsafePathError,
  assertHubRepoId,
  assertHubRevision,
  assertRelativeFileName,
  hubDownload,
  hubRepoFolder,
  pathInside,
  resolveLocalOrHub,
} from '../src/index.js';
import { type HubServer, startHubServer } from './hub-server.js';

describe('the validators of names from outside', () => {
  it('hub ids: a namespace and a name, nothing that could leave the cache or collide in it', () => {
    for (const id of ['distilgpt2', 'openai/gsm8k', 'Qwen/Qwen2.5-0.5B-Instruct', 'HuggingFaceTB/SmolLM2-135M']) {
      expect(assertHubRepoId(id, 'test')).toBe(id);
    }
    for (const id of ['', '..', '../x', 'a/..', 'a/../b', '/etc', 'a/b/c', 'a--b', 'a..b', 'a\u0000b', '.hidden', 'a\\b', 'x.']) {
      expect(() => assertHubRepoId(id, 'the model option'), id).toThrow(UnsafePathError);
    }
    expect(() => assertHubRepoId('../x', 'the model option')).toThrow(/repoId "\.\.\/x" \(the model option\) is not a hub id/);
    expect(() => hubRepoFolder('../../x')).toThrow(UnsafePathError);
  });

  it('revisions: branches, tags, refs/pr/N and commits, never ".." or an absolute path', () => {
    for (const rev of ['main', 'v1.0', 'refs/pr/12', 'release/2024-01', 'a'.repeat(40)]) expect(assertHubRevision(rev, 'test')).toBe(rev);
    for (const rev of ['', '..', '../../x', '/abs', 'a//b', 'a/./b', 'x\n', 'a\\b', 'a b', 'main.lock', 'a..b']) {
      expect(() => assertHubRevision(rev, 'the revision option'), rev).toThrow(UnsafePathError);
    }
  });

  it('relative file names: inside their folder, with the file and field named in the error', () => {
    expect(assertRelativeFileName('main/train-00000-of-00001.parquet', 'file', 'test')).toBe('main/train-00000-of-00001.parquet');
    expect(pathInside('/models/m', 'model-00001-of-00002.safetensors', 'shard', 'test')).toBe('/models/m/model-00001-of-00002.safetensors');
    const bad = ['', '..', '../secret', 'a/../../b', '/etc/passwd', 'a//b', './a', 'a\u0000b', 'C:\\x', 'a\\..\\b', 'x:stream'];
    for (const name of bad) expect(() => pathInside('/models/m', name, 'shard file name', 'index.json weight_map["w"]'), name).toThrow(UnsafePathError);
    const error = (() => {
      try {
        pathInside('/models/m', '../../etc/passwd', 'shard file name', '/models/m/model.safetensors.index.json weight_map["lm_head.weight"]');
      } catch (e) {
        return e as UnsafePathError;
      }
    })();
    expect(error?.message).toMatch(/shard file name "\.\.\/\.\.\/etc\/passwd" \(\/models\/m\/model\.safetensors\.index\.json weight_map\["lm_head\.weight"\]\) must be a relative file path inside its folder, but it contains "\.\."/);
    expect(error?.value).toBe('../../etc/passwd');
    expect(error?.source).toMatch(/weight_map/);
    expect(() => assertRelativeFileName(42, 'file', 'test')).toThrow(/not a non-empty string/);
  });
});

describe('hub downloads keep every path inside the cache', () => {
  let server: HubServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('a revision with ".." is refused before a mirror that answers any revision can make us write refs/ outside the cache', async () => {
    const root = mkdtempSync(join(tmpdir(), 'grpojs-safe-'));
    const cacheDir = join(root, 'cache');
    server = await startHubServer(
      [{ type: 'model', id: 'distilgpt2', commit: 'b'.repeat(40), files: [{ path: 'config.json', content: Buffer.from('{}') }] }],
      { anyRevision: true },
    );
    const error = await hubDownload('distilgpt2', 'config.json', { cacheDir, endpoint: server.url, revision: '../../../escaped', token: 'hf_x1234' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnsafePathError);
    expect((error as Error).message).toMatch(/revision "\.\.\/\.\.\/\.\.\/escaped" \(hubDownload option "revision"\)/);
    expect(existsSync(join(root, 'escaped'))).toBe(false);
    expect(server.requests).toEqual([]);
  });

  it('a refs/ file that names no commit is not followed out of the cache', async () => {
    const root = mkdtempSync(join(tmpdir(), 'grpojs-safe-'));
    const cacheDir = join(root, 'cache');
    mkdirSync(join(root, 'outside'), { recursive: true });
    writeFileSync(join(root, 'outside', 'config.json'), '{"stolen": true}');
    mkdirSync(join(cacheDir, 'models--distilgpt2', 'refs'), { recursive: true });
    writeFileSync(join(cacheDir, 'models--distilgpt2', 'refs', 'main'), '../../../outside');
    await expect(hubDownload('distilgpt2', 'config.json', { cacheDir, offline: true })).rejects.toThrow(HubOfflineError);
  });

  it('a local folder: a file name with ".." is refused instead of resolving next to the folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'grpojs-safe-'));
    mkdirSync(join(root, 'model'));
    writeFileSync(join(root, 'model', 'config.json'), '{}');
    writeFileSync(join(root, 'secret.json'), '{}');
    await expect(resolveLocalOrHub(join(root, 'model'), ['config.json'], { optional: ['../secret.json'] })).rejects.toThrow(
      /file "\.\.\/secret\.json" \(resolveLocalOrHub in .*model\) must be a relative file path inside its folder/,
    );
  });
});

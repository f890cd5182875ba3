import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HubAuthError,
  HubFileNotFoundError,
  HubOfflineError,
  HubUnreachableError,
  hubCacheDir,
  hubDownload,
  loadGsm8k,
  resolveLocalOrHub,
} from '../src/index.js';
import { type HubServer, type ServedRepo, etagOf, startHubServer } from './hub-server.js';

const COMMIT = 'a'.repeat(39) + '1';
const TOKEN = 'hf_testtoken123';
const ENV = ['HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME', 'HF_TOKEN', 'HF_TOKEN_PATH', 'HF_ENDPOINT', 'HF_HUB_OFFLINE'];

function gsm8kRepo(): ServedRepo {
  const split = (questions: string[]): Buffer =>
    Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: 'question', data: questions, type: 'STRING' },
          { name: 'answer', data: questions.map((_, i) => `work\n#### ${i + 1}`), type: 'STRING' },
        ],
      }),
    );
  return {
    type: 'dataset',
    id: 'openai/gsm8k',
    commit: COMMIT,
    files: [
      { path: 'main/train-00000-of-00001.parquet', content: split(['Q1?', 'Q2?', 'Q3?']), lfs: true },
      { path: 'main/test-00000-of-00001.parquet', content: split(['T1?']), lfs: true },
      { path: 'README.md', content: Buffer.from('# gsm8k\n') },
    ],
  };
}

const modelRepo = (): ServedRepo => ({
  type: 'model',
  id: 'distilgpt2',
  commit: 'b'.repeat(40),
  files: [{ path: 'config.json', content: Buffer.from('{"model_type":"gpt2"}') }],
});

let saved: Record<string, string | undefined>;
let cache: string;
let server: HubServer;

beforeEach(async () => {
  saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));
  for (const name of ENV) delete process.env[name];
  cache = mkdtempSync(join(tmpdir(), 'grpojs-hub-'));
  server = await startHubServer([gsm8kRepo(), modelRepo()], { token: TOKEN });
  // The environment variables Python reads, so no option is needed.
  process.env['HF_HUB_CACHE'] = cache;
  process.env['HF_ENDPOINT'] = server.url;
  process.env['HF_TOKEN'] = TOKEN;
});

afterEach(async () => {
  await server.close().catch(() => undefined);
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('hubDownload over HTTP into the Python cache layout', () => {
  it('downloads, writes blobs/ snapshots/<commit>/ refs/main, and sends the token', async () => {
    const repo = gsm8kRepo();
    const parquet = repo.files[0];
    const path = await hubDownload('openai/gsm8k', parquet.path, { repoType: 'dataset' });
    const folder = join(cache, 'datasets--openai--gsm8k');
    expect(path).toBe(join(folder, 'snapshots', COMMIT, 'main', 'train-00000-of-00001.parquet'));
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path)).toBe(join('..', '..', '..', 'blobs', etagOf(parquet))); // relative, as Python makes it
    expect(realpathSync(path)).toBe(realpathSync(join(folder, 'blobs', etagOf(parquet))));
    expect(readFileSync(path).equals(parquet.content)).toBe(true);
    expect(readFileSync(join(folder, 'refs', 'main'), 'utf8')).toBe(COMMIT);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const routes = server.requests.map((r) => `${r.method} ${r.url}`);
    expect(routes).toContain(`GET /api/datasets/openai/gsm8k/revision/main`);
    expect(routes).toContain(`POST /api/datasets/openai/gsm8k/paths-info/${COMMIT}`);
    expect(routes).toContain(`GET /datasets/openai/gsm8k/resolve/${COMMIT}/main/train-00000-of-00001.parquet`);

    // Concurrent calls for one file share one download.
    server.requests.length = 0;
    const test = 'main/test-00000-of-00001.parquet';
    const [a, b] = await Promise.all([0, 1].map(() => hubDownload('openai/gsm8k', test, { repoType: 'dataset' })));
    expect(a).toBe(b);
    expect(server.requests.filter((r) => r.url.endsWith(`/resolve/${COMMIT}/${test}`) && r.range === undefined)).toHaveLength(1);
    expect(readFileSync(a).equals(repo.files[1].content)).toBe(true);

    // Cached: a second online call only asks which commit main is, and downloads nothing.
    server.requests.length = 0;
    expect(await hubDownload('openai/gsm8k', parquet.path, { repoType: 'dataset' })).toBe(path);
    expect(server.requests.map((r) => r.url)).toEqual(['/api/datasets/openai/gsm8k/revision/main']);
  });

  it('loadGsm8k downloads a split of the hub dataset (default source openai/gsm8k) and reads it', async () => {
    const ds = await loadGsm8k({ split: 'test' });
    expect(ds.files).toEqual([join(cache, 'datasets--openai--gsm8k', 'snapshots', COMMIT, 'main', 'test-00000-of-00001.parquet')]);
    expect(ds.availableSplits).toEqual(['train', 'test']);
    expect(ds.rows.map((r) => [r.question, r.answer])).toEqual([['T1?', '1']]);
    await expect(loadGsm8k({ split: 'validation' })).rejects.toThrow(/Available splits: train, test/);
  });

  it('works with the server stopped: offline option, HF_HUB_OFFLINE, and the unreachable fall-back', async () => {
    const first = await hubDownload('openai/gsm8k', 'main/train-00000-of-00001.parquet', { repoType: 'dataset' });
    await server.close();
    expect(await hubDownload('openai/gsm8k', 'main/train-00000-of-00001.parquet', { repoType: 'dataset', offline: true })).toBe(first);
    process.env['HF_HUB_OFFLINE'] = '1';
    const ds = await loadGsm8k({ split: 'train' }); // default source: the openai/gsm8k hub repo
    expect(ds.rows.map((r) => [r.question, r.answer])).toEqual([
      ['Q1?', '1'],
      ['Q2?', '2'],
      ['Q3?', '3'],
    ]);
    expect(ds.files).toEqual([first]);
    delete process.env['HF_HUB_OFFLINE'];
    // Not offline, but the hub is down: the cached snapshot of main is used, as in Python.
    expect(await hubDownload('openai/gsm8k', 'main/train-00000-of-00001.parquet', { repoType: 'dataset' })).toBe(first);
  });

  it('offline and not cached, or unreachable and not cached: errors name the repo and file and suggest local paths', async () => {
    const offline = await hubDownload('openai/gsm8k', 'main/test-00000-of-00001.parquet', { repoType: 'dataset', offline: true }).catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(HubOfflineError);
    expect((offline as Error).message).toMatch(/dataset "openai\/gsm8k" file "main\/test-00000-of-00001\.parquet" \(revision main\) is not in the cache/);
    expect(server.requests).toHaveLength(0);
    await server.close();
    const down = await loadGsm8k({ split: 'test' }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(HubUnreachableError);
    expect((down as Error).message).toContain(`Could not reach the Hugging Face hub at ${server.url}`);
    expect((down as Error).message).toContain('main/test-00000-of-00001.parquet');
    expect((down as Error).message).toContain('Pass a local folder or file path instead');
    // A mistyped local folder reads as a hub id: the message says no such local path exists.
    await expect(resolveLocalOrHub('models/my-gpt2', ['config.json'])).rejects.toThrow(/"models\/my-gpt2" was treated as a hub id because no local path .* exists/);
  });

  it('a new commit on main gets its own snapshot; the unchanged blob is reused, not downloaded again', async () => {
    const first = await hubDownload('distilgpt2', 'config.json');
    expect(first).toBe(join(cache, 'models--distilgpt2', 'snapshots', 'b'.repeat(40), 'config.json'));
    await server.close();
    const pushed = modelRepo();
    pushed.commit = 'c'.repeat(40);
    server = await startHubServer([pushed], { token: TOKEN });
    process.env['HF_ENDPOINT'] = server.url;
    const second = await hubDownload('distilgpt2', 'config.json');
    expect(second).toBe(join(cache, 'models--distilgpt2', 'snapshots', 'c'.repeat(40), 'config.json'));
    expect(readFileSync(join(cache, 'models--distilgpt2', 'refs', 'main'), 'utf8')).toBe('c'.repeat(40));
    expect(server.requests.some((r) => r.url.includes('/resolve/'))).toBe(false);
    expect(readFileSync(second, 'utf8')).toBe('{"model_type":"gpt2"}');
    // A pinned commit is served from its snapshot without any request.
    server.requests.length = 0;
    expect(await hubDownload('distilgpt2', 'config.json', { revision: 'b'.repeat(40) })).toBe(first);
    expect(server.requests).toHaveLength(0);
  });

  it('wrong token, missing file, malformed arguments', async () => {
    await expect(hubDownload('distilgpt2', 'config.json', { token: 'hf_wrong' })).rejects.toThrow(HubAuthError);
    await expect(hubDownload('distilgpt2', 'config.json', { token: 'nothf' })).rejects.toThrow(/does not start with "hf_"/);
    const missing = await hubDownload('distilgpt2', 'model.safetensors').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HubFileNotFoundError);
    expect((missing as Error).message).toContain('model "distilgpt2" file "model.safetensors"');
    await expect(hubDownload('openai/gsm8k', 'x', { repoType: 'model' })).rejects.toThrow(HubFileNotFoundError);
    await expect(hubDownload('not a repo', 'config.json')).rejects.toThrow(/repoId "not a repo" \(hubDownload\) is not a hub id/);
    await expect(hubDownload('distilgpt2', '../escape')).rejects.toThrow(/must be a relative file path/);
  });
});

describe('a cache written by Python huggingface_hub', () => {
  it('is read offline: refs/main → snapshots/<commit>/<path> → relative symlink into blobs/', async () => {
    // The layout hf_hub_download("openai/gsm8k", "main/test-00000-of-00001.parquet", repo_type="dataset") leaves.
    const repo = gsm8kRepo();
    const file = repo.files[1];
    const folder = join(cache, 'datasets--openai--gsm8k');
    const commit = 'd'.repeat(40);
    mkdirSync(join(folder, 'blobs'), { recursive: true });
    mkdirSync(join(folder, 'refs'), { recursive: true });
    mkdirSync(join(folder, 'snapshots', commit, 'main'), { recursive: true });
    writeFileSync(join(folder, 'blobs', etagOf(file)), file.content);
    writeFileSync(join(folder, 'refs', 'main'), commit);
    symlinkSync(join('..', '..', '..', 'blobs', etagOf(file)), join(folder, 'snapshots', commit, file.path));
    process.env['HF_HUB_OFFLINE'] = 'true';
    const ds = await loadGsm8k({ split: 'test' });
    expect(ds.files).toEqual([join(folder, 'snapshots', commit, file.path)]);
    expect(ds.rows.map((r) => r.question)).toEqual(['T1?']);
    expect(server.requests).toHaveLength(0);
  });
});

describe('resolveLocalOrHub', () => {
  it('uses an existing local folder, else downloads; optional files may be missing', async () => {
    const local = mkdtempSync(join(tmpdir(), 'grpojs-local-'));
    writeFileSync(join(local, 'config.json'), '{}');
    const fromDisk = await resolveLocalOrHub(local, ['config.json'], { optional: ['tokenizer.json'] });
    expect(fromDisk).toEqual({ folder: local, files: { 'config.json': join(local, 'config.json') }, missing: ['tokenizer.json'], source: 'local' });
    await expect(resolveLocalOrHub(local, ['config.json', 'model.safetensors'])).rejects.toThrow(/lacks model\.safetensors/);
    await expect(resolveLocalOrHub('./no/such/folder', ['config.json'])).rejects.toThrow(/does not exist/);

    const fromHub = await resolveLocalOrHub('distilgpt2', ['config.json'], { optional: ['generation_config.json'] });
    const snapshot = join(cache, 'models--distilgpt2', 'snapshots', 'b'.repeat(40));
    expect(fromHub).toEqual({ folder: snapshot, files: { 'config.json': join(snapshot, 'config.json') }, missing: ['generation_config.json'], source: 'hub' });
    await server.close();
    const offline = await resolveLocalOrHub('distilgpt2', ['config.json'], { offline: true });
    expect(offline.files['config.json']).toBe(join(snapshot, 'config.json'));
  });
});

describe('hubCacheDir follows Python precedence', () => {
  it('HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub', () => {
    process.env['HF_HUB_CACHE'] = '/x/hub-cache';
    process.env['HF_HOME'] = '/y/home';
    expect(hubCacheDir()).toBe('/x/hub-cache');
    delete process.env['HF_HUB_CACHE'];
    expect(hubCacheDir()).toBe('/y/home/hub');
    delete process.env['HF_HOME'];
    process.env['XDG_CACHE_HOME'] = '/z/xdg';
    expect(hubCacheDir()).toBe('/z/xdg/huggingface/hub');
    delete process.env['XDG_CACHE_HOME'];
    expect(hubCacheDir()).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('reads the token file that huggingface-cli login writes when HF_TOKEN is unset', async () => {
    const home = mkdtempSync(join(tmpdir(), 'grpojs-home-'));
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'token'), `${TOKEN}\n`);
    delete process.env['HF_TOKEN'];
    process.env['HF_HOME'] = home;
    await hubDownload('distilgpt2', 'config.json');
    expect(server.requests.at(-1)?.authorization).toBe(`Bearer ${TOKEN}`);
  });
});

import { mkdtempSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WandbTracker, syncOfflineRun } from '../src/index.js';
import { WandbWorkerClient } from '../src/wandb-client.js';
import { startFakeWandb, type FakeWandbServer } from './fake-wandb-server.js';

// A key-shaped secret (40 characters, like a real W&B key) that must never appear in any output.
const KEY = 'k3y5ecret0123456789abcdef0123456789abcdef';
const CONFIG = { learningRate: 1e-5, beta: 0.04, model: 'distilgpt2', rewardWeights: [1, 0.5] };

let server: FakeWandbServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

/** Captures warn/info lines and anything written to process stdout/stderr. */
function capture() {
  const lines: string[] = [];
  const warnings: string[] = [];
  const write = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(write as never);
  vi.spyOn(process.stderr, 'write').mockImplementation(write as never);
  return {
    warnings,
    lines,
    warn: (m: string) => warnings.push(m),
    info: (m: string) => lines.push(m),
  };
}

/** Every file under `dir`, concatenated (debug.log, run.json, …). */
function allFiles(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'))
    .join('\n');
}

function expectNoKey(out: ReturnType<typeof capture>, cwd: string) {
  const everything = [...out.lines, ...out.warnings, allFiles(cwd)].join('\n');
  expect(everything).not.toContain(KEY);
  expect(everything).not.toContain(Buffer.from(`api:${KEY}`).toString('base64'));
}

function tracker(cwd: string, out: ReturnType<typeof capture>, env: Record<string, string>, extra = {}) {
  return new WandbTracker({ cwd, env, warn: out.warn, info: out.info, finishTimeoutMs: 20_000, ...extra });
}

describe('WandbTracker online (against a local fake W&B server)', () => {
  it('creates the run with the config and sends metrics with their steps, one row per step', async () => {
    server = await startFakeWandb();
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-online-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url, WANDB_PROJECT: 'grpo-test', WANDB_ENTITY: 'my-team' });
    await t.init({ name: 'gsm8k-run', config: { ...CONFIG, wandbApiKey: KEY, notes: `oops ${KEY}` } });
    expect(t.runUrl).toContain(`/my-team/grpo-test/runs/${t.runId}`);
    await t.log({ loss: 0.5, reward: 0.25, 'rewards/correctness/mean': 0.1 }, 10);
    await t.log({ loss: 0.4, reward: 0.5 }, 20);
    await t.log({ eval_accuracy: 0.125 }, 20);
    await t.summary({ final_eval_accuracy: 0.125 });
    await t.finish();

    const upsert = server.upserts()[0];
    expect(upsert.project).toBe('grpo-test');
    expect(upsert.entity).toBe('my-team');
    expect(upsert.displayName).toBe('gsm8k-run');
    expect(upsert.name).toBe(t.runId);
    const sentConfig = JSON.parse(upsert.config);
    expect(sentConfig).toMatchObject(CONFIG);
    expect(sentConfig.wandbApiKey).toBe('[redacted]');
    expect(sentConfig.notes).toBe('oops [redacted]');

    const rows = server.history();
    expect(rows.map((r) => r._step)).toEqual([10, 20]);
    expect(rows[0]).toMatchObject({ loss: 0.5, reward: 0.25, 'rewards/correctness/mean': 0.1 });
    expect(rows[1]).toMatchObject({ loss: 0.4, reward: 0.5, eval_accuracy: 0.125, final_eval_accuracy: 0.125 });
    expect(server.completed()).toBe(true);
    const auth = server.requests.find((r) => r.url.endsWith('/file_stream'))?.authorization;
    expect(auth).toBe(`Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`);
    expect(out.warnings).toEqual([]);
    expectNoKey(out, cwd);
  });

  it('server answering 500: warns once, never throws, and gives up within the init timeout', async () => {
    server = await startFakeWandb({ failWith: 500 });
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-500-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url }, { initTimeoutMs: 4000 });
    const started = Date.now();
    await t.init({ name: 'r', config: CONFIG });
    for (let step = 1; step <= 3; step += 1) await t.log({ loss: 1 }, step);
    await t.summary({ a: 1 });
    await t.finish();
    expect(Date.now() - started).toBeLessThan(6000);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/W&B: server error \(HTTP status above 404\)/);
    expect(server.history()).toEqual([]);
    expectNoKey(out, cwd);
  });

  it('bad key (server answers 401): warns once and carries on', async () => {
    server = await startFakeWandb({ failWith: 401 });
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-401-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url }, { initTimeoutMs: 8000 });
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain('HTTP 401 (check WANDB_API_KEY');
    expect(readFileSync(join(t.localDir!, 'debug.log'), 'utf8')).toContain('Fatal HTTP error (401)');
    expectNoKey(out, cwd);
  });

  it('run creation refused (403): one warning naming the status, no run, training goes on', async () => {
    server = await startFakeWandb({ failUpsertWith: 403 });
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-403-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url }, { initTimeoutMs: 8000 });
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(server.upserts()).toHaveLength(1);
    expect(out.warnings).toHaveLength(1);
    expect(t.runUrl).toBeUndefined();
    expectNoKey(out, cwd);
  });

  it('closed port: warns once and carries on', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-closed-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: `http://127.0.0.1:${port}` }, { initTimeoutMs: 8000 });
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/W&B: wandb.init failed: .*ECONNREFUSED/);
    expectNoKey(out, cwd);
  });

  it('silent server: gives up after the init timeout with one warning', async () => {
    server = await startFakeWandb({ silent: true });
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-silent-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url, WANDB_INIT_TIMEOUT: '1' });
    const started = Date.now();
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out.warnings).toEqual([`W&B: no answer from ${server.url} within 1s (server unreachable or failing). W&B logging is off for this run; training continues and local files are unaffected.`]);
    expectNoKey(out, cwd);
  });

  it('no API key: one warning, no network, no files', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-nokey-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_BASE_URL: 'http://127.0.0.1:9' });
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toContain('WANDB_API_KEY is not set');
  });
});

describe('WandbWorkerClient output redaction', () => {
  it('scrubs the key from everything the SDK prints, even when the SDK itself prints it', async () => {
    server = await startFakeWandb({ failUpsertWith: 403 });
    const lines: string[] = [];
    const problems: string[] = [];
    // The config is deliberately not redacted here: the SDK dumps the failed request (config included) to stderr.
    const client = new WandbWorkerClient(
      { apiKey: KEY, baseUrl: server.url, id: 'abc12345', project: 'p', name: 'n', config: { leaked: KEY } },
      { initTimeoutMs: 8000, finishTimeoutMs: 1000, onProblem: (m) => problems.push(m), onOutput: (l) => lines.push(l) },
    );
    expect(await client.start()).toBeNull();
    await client.finish();
    const output = lines.join('\n');
    expect(output).toContain('Fatal HTTP error (403)');
    expect(output).toContain('[redacted]');
    expect(output + problems.join('\n')).not.toContain(KEY);
    expect(problems).toEqual(['server answered HTTP 403 (check WANDB_API_KEY and WANDB_ENTITY)']);
  });
});

describe('WandbTracker offline and disabled', () => {
  it('offline writes the documented folder, and syncOfflineRun uploads it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-offline-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_MODE: 'offline', WANDB_PROJECT: 'p', WANDB_API_KEY: KEY });
    await t.init({ name: 'offline-run', config: CONFIG });
    await t.log({ loss: 0.5, reward: Number.NaN }, 1);
    await t.log({ loss: 0.25 }, 2);
    await t.log({ eval_accuracy: 0.5 }, 2);
    await t.finish();
    const dir = t.localDir!;
    expect(dir).toMatch(/wandb[\\/]offline-run-\d{8}_\d{6}-[a-z0-9]{8}$/);
    const meta = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(meta).toMatchObject({ format: 'grpojs-wandb-offline/1', id: t.runId, project: 'p', name: 'offline-run', config: CONFIG });
    const rows = readFileSync(join(dir, 'wandb-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r._step)).toEqual([1, 2]);
    expect(rows[0].reward).toBeNull();
    expect(rows[1]).toMatchObject({ loss: 0.25, eval_accuracy: 0.5 });
    expect(JSON.parse(readFileSync(join(dir, 'wandb-summary.json'), 'utf8'))).toMatchObject({ loss: 0.25, eval_accuracy: 0.5 });
    expect(out.warnings).toEqual([]);

    server = await startFakeWandb();
    const run = await syncOfflineRun(dir, { env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url }, warn: out.warn, initTimeoutMs: 8000 });
    expect(run?.id).toBe(t.runId);
    expect(JSON.parse(server.upserts()[0].config)).toMatchObject(CONFIG);
    expect(server.history().map((r) => [r._step, r.loss])).toEqual([[1, 0.5], [2, 0.25]]);
    expect(JSON.parse(readFileSync(join(dir, 'synced.json'), 'utf8')).url).toContain(t.runId);
    expectNoKey(out, cwd);
  });

  it('disabled does nothing', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wandb-disabled-'));
    const out = capture();
    const t = tracker(cwd, out, { WANDB_MODE: 'disabled', WANDB_API_KEY: KEY });
    await t.init({ name: 'r', config: CONFIG });
    await t.log({ loss: 1 }, 1);
    await t.finish();
    expect(existsSync(join(cwd, 'wandb'))).toBe(false);
    expect(out.warnings).toEqual([]);
  });

  it('rejects a malformed WANDB_MODE, naming the variable', () => {
    expect(() => new WandbTracker({ env: { WANDB_MODE: 'sometimes' } })).toThrow(/WANDB_MODE must be one of online, offline, disabled/);
  });
});

describe('WandbTracker project resolution', () => {
  const project = (options: ConstructorParameters<typeof WandbTracker>[0]): string => new WandbTracker(options).settings.project;

  it('takes an explicit project over WANDB_PROJECT, WANDB_PROJECT over the caller default, the default over "grpojs"', () => {
    const env = { WANDB_MODE: 'disabled', WANDB_PROJECT: 'from-env' };
    expect(project({ env, project: 'explicit', defaultProject: 'job-default' })).toBe('explicit');
    expect(project({ env, defaultProject: 'job-default' })).toBe('from-env');
    expect(project({ env: { WANDB_MODE: 'disabled' }, defaultProject: 'job-default' })).toBe('job-default');
    expect(project({ env: { WANDB_MODE: 'disabled', WANDB_PROJECT: '  ' }, defaultProject: 'job-default' })).toBe('job-default');
    expect(project({ env: { WANDB_MODE: 'disabled' } })).toBe('grpojs');
  });
});

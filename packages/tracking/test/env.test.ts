import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEnv, readWandbEnv, redactConfig, redactText } from '../src/index.js';

describe('loadEnv', () => {
  it('loads <cwd>/.env without overriding variables already set, and returns only names', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'env-'));
    writeFileSync(join(cwd, '.env'), 'WANDB_API_KEY=from-dotenv-file\nWANDB_PROJECT=dotenv-project\n# comment\nWANDB_MODE="offline"\n');
    const env: NodeJS.ProcessEnv = { WANDB_PROJECT: 'from-shell' };
    const set = loadEnv(cwd, env);
    expect(set.sort()).toEqual(['WANDB_API_KEY', 'WANDB_MODE']);
    expect(env).toEqual({ WANDB_PROJECT: 'from-shell', WANDB_API_KEY: 'from-dotenv-file', WANDB_MODE: 'offline' });
  });

  it('is a no-op without a .env file', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadEnv(mkdtempSync(join(tmpdir(), 'env-')), env)).toEqual([]);
    expect(env).toEqual({});
  });
});

describe('readWandbEnv', () => {
  it('applies defaults', () => {
    expect(readWandbEnv({})).toEqual({
      apiKey: undefined, project: 'grpojs', entity: undefined, mode: 'online', baseUrl: 'https://api.wandb.ai', dir: undefined, initTimeoutMs: 30_000,
    });
  });

  it('reads every variable, accepts Python aliases, strips a trailing slash', () => {
    const env = readWandbEnv({
      WANDB_API_KEY: 'k', WANDB_PROJECT: 'p', WANDB_ENTITY: 'e', WANDB_MODE: 'dryrun', WANDB_BASE_URL: 'http://127.0.0.1:8080/', WANDB_DIR: '/tmp/x', WANDB_INIT_TIMEOUT: '2.5',
    });
    expect(env).toEqual({ apiKey: 'k', project: 'p', entity: 'e', mode: 'offline', baseUrl: 'http://127.0.0.1:8080', dir: '/tmp/x', initTimeoutMs: 2500 });
  });

  it('names the bad variable', () => {
    expect(() => readWandbEnv({ WANDB_BASE_URL: 'localhost:8080' })).toThrow(/WANDB_BASE_URL must start with http/);
    expect(() => readWandbEnv({ WANDB_INIT_TIMEOUT: 'soon' })).toThrow(/WANDB_INIT_TIMEOUT must be a positive number/);
  });
});

describe('redaction', () => {
  it('redacts secret-named config fields at any depth', () => {
    expect(redactConfig({ a: 1, wandb: { apiKey: 'x', project: 'p' }, list: [{ hf_token: 't' }], password: '' })).toEqual({
      a: 1, wandb: { apiKey: '[redacted]', project: 'p' }, list: [{ hf_token: '[redacted]' }], password: '',
    });
    // Token-ish names that are not credentials stay.
    const model = { padTokenId: 50256, maxNewTokens: 128, eos_token: '<|endoftext|>', token: 'hf_x', WANDB_API_KEY: 'k', clientSecret: 's' };
    expect(redactConfig(model)).toEqual({ padTokenId: 50256, maxNewTokens: 128, eos_token: '<|endoftext|>', token: '[redacted]', WANDB_API_KEY: '[redacted]', clientSecret: '[redacted]' });
  });

  it('scrubs known secret values from string fields under any name', () => {
    expect(redactConfig({ note: 'key is abcdef0123456789!', n: 1 }, ['abcdef0123456789'])).toEqual({ note: 'key is [redacted]!', n: 1 });
  });

  it('removes a key and its HTTP Basic form from text', () => {
    const key = 'abcdef0123456789';
    const basic = Buffer.from(`api:${key}`).toString('base64');
    expect(redactText(`key=${key} auth=Basic ${basic}`, [key])).toBe('key=[redacted] auth=Basic [redacted]');
  });
});

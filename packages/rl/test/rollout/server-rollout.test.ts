/**
 * ServerRollout against scripted servers (an in-memory fetch): the request bodies field by field as
 * vLLM documents them, the prompt-major reading of choices, the spread over servers, the retry of
 * a failed server's share, the stop when none is left, and the per-version adapter folders with
 * the unload of the previous version. The same client against real `grpojs serve` processes is
 * tested in packages/grpojs/test/serve-rollout.test.ts.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completionsBody, readCompletionRows } from '../../src/rollout/completions-api.js';
import { NoRolloutServerLeftError } from '../../src/rollout/errors.js';
import type { FetchLike } from '../../src/rollout/http.js';
import { ServerRollout } from '../../src/rollout/server.js';

interface Call {
  url: string;
  body: Record<string, unknown>;
}

/** A fake fleet: each completion's token ids are [prompt[0] * 10 + j] and log-prob -(j + 1). */
function fleet(down: Set<string>) {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const body = JSON.parse(init.body) as Record<string, unknown>;
    calls.push({ url, body });
    if ([...down].some((d) => url.startsWith(d))) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    if (url.endsWith('/v1/completions')) {
      const prompts = body.prompt as number[][];
      const n = body.n as number;
      // Shuffled on purpose: a client must order choices by index, not by position.
      const choices = prompts.flatMap((p, i) => Array.from({ length: n }, (_, j) => ({
        index: i * n + j, text: 'x', finish_reason: j === 0 ? 'stop' : 'length', stop_reason: null,
        logprobs: { text_offset: [0], token_logprobs: [-(j + 1)], tokens: ['x'], top_logprobs: [{ x: -(j + 1) }] },
        prompt_token_ids: p, token_ids: [p[0] * 10 + j],
      }))).reverse();
      const response = { id: 'cmpl-1', object: 'text_completion', created: 1, model: body.model, choices, usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
      return { ok: true, status: 200, text: async () => JSON.stringify(response) };
    }
    return { ok: true, status: 200, text: async () => 'Success' };
  };
  return { calls, fetch };
}

const policy = (saved: string[]) => ({
  save: async (dir: string) => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'adapter_config.json'), '{}');
    saved.push(dir);
  },
});

const request = { promptIds: [[1], [2], [3]], numGenerations: 2, maxNewTokens: 5, eosTokenId: 9, padTokenId: 9, sampling: { temperature: 0.7, topP: 0.9, topK: 4, seed: 11 } };

describe('completionsBody (vLLM /v1/completions request)', () => {
  it('sends exactly the documented fields: token-id prompts, n, max_tokens, sampling, seed, logprobs 0, return_token_ids', () => {
    // top_k (-1 = off), min_p 0 and repetition_penalty 1 are always sent: a field left out takes the model's
    // generation_config value on vLLM (e.g. top_k 20, repetition_penalty 1.05 for Qwen2.5-Instruct).
    expect(completionsBody({ model: 'policy-3', prompt: [[1, 2]], n: 4, maxTokens: 8, sampling: { temperature: 0.9, topP: 1, topK: null, seed: 5 }, eosTokenId: 50256 })).toEqual({
      model: 'policy-3', prompt: [[1, 2]], n: 4, max_tokens: 8, temperature: 0.9, top_p: 1, top_k: -1, min_p: 0, repetition_penalty: 1, seed: 5, logprobs: 0, return_token_ids: true, stop_token_ids: [50256], stream: false,
    });
    expect(completionsBody({ model: 'm', prompt: [[1]], n: 1, maxTokens: 1, sampling: { temperature: 1, topP: 0.5, topK: 3, seed: 0 }, eosTokenId: 2 }).top_k).toBe(3);
    expect(completionsBody({ model: 'm', prompt: [[1]], n: 1, maxTokens: 1, sampling: null, eosTokenId: 2 })).toEqual({
      model: 'm', prompt: [[1]], n: 1, max_tokens: 1, temperature: 0, min_p: 0, repetition_penalty: 1, logprobs: 0, return_token_ids: true, stop_token_ids: [2], stream: false,
    });
  });

  it('readCompletionRows refuses a response without token_ids or with a log-prob per token missing, naming the choice', () => {
    const ok = { id: 'c', object: 'text_completion', created: 1, model: 'm', usage: { prompt_tokens: 1, total_tokens: 2 }, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: { text_offset: [0], token_logprobs: [-1], tokens: ['a'], top_logprobs: [null] }, token_ids: [7] }] };
    expect(readCompletionRows(ok, 1, 1)).toEqual([{ tokenIds: [7], logProbs: [-1], terminated: true }]);
    expect(() => readCompletionRows({ ...ok, choices: [{ ...ok.choices[0], token_ids: undefined }] }, 1, 1)).toThrow(/choices\[index 0\]: no token_ids/);
    expect(() => readCompletionRows({ ...ok, choices: [{ ...ok.choices[0], logprobs: null }] }, 1, 1)).toThrow(/one finite log-prob per token id/);
    expect(() => readCompletionRows(ok, 1, 2)).toThrow(/choice 1 is missing/);
    expect(() => readCompletionRows({ ...ok, object: 'chat.completion' }, 1, 1)).toThrow(/object/);
  });
});

describe('ServerRollout', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'grpojs-rollout-'));

  it('loads each version under its own name and folder, unloads the previous one, and names the version in requests', async () => {
    const { calls, fetch } = fleet(new Set());
    const saved: string[] = [];
    const adapterDir = dir();
    const rollout = new ServerRollout({ urls: ['http://a:1', 'http://b:2'], model: 'base', adapterDir, weightSync: 'lora', policy: policy(saved), requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch, logger: { warn: () => {}, info: () => {} } });
    await rollout.syncPolicy(0);
    await rollout.syncPolicy(1);
    expect(saved).toEqual([join(adapterDir, 'policy-0'), join(adapterDir, 'policy-1')]);
    expect(existsSync(join(adapterDir, 'policy-0'))).toBe(false);
    expect(existsSync(join(adapterDir, 'policy-1'))).toBe(true);
    const loads = calls.filter((c) => c.url.endsWith('/v1/load_lora_adapter'));
    expect(loads.map((c) => [c.url, c.body])).toEqual([
      ['http://a:1/v1/load_lora_adapter', { lora_name: 'policy-0', lora_path: join(adapterDir, 'policy-0'), load_inplace: false }],
      ['http://b:2/v1/load_lora_adapter', { lora_name: 'policy-0', lora_path: join(adapterDir, 'policy-0'), load_inplace: false }],
      ['http://a:1/v1/load_lora_adapter', { lora_name: 'policy-1', lora_path: join(adapterDir, 'policy-1'), load_inplace: false }],
      ['http://b:2/v1/load_lora_adapter', { lora_name: 'policy-1', lora_path: join(adapterDir, 'policy-1'), load_inplace: false }],
    ]);
    expect(calls.filter((c) => c.url.endsWith('/v1/unload_lora_adapter')).map((c) => c.body)).toEqual([{ lora_name: 'policy-0' }, { lora_name: 'policy-0' }]);

    const out = await rollout.sample(request);
    const completions = calls.filter((c) => c.url.endsWith('/v1/completions'));
    // 3 prompts over 2 servers: contiguous shares [1] and [2, 3].
    expect(completions.map((c) => [c.url, c.body.prompt])).toEqual([['http://a:1/v1/completions', [[1]]], ['http://b:2/v1/completions', [[2], [3]]]]);
    completions.forEach((c) => expect(c.body).toMatchObject({ model: 'policy-1', n: 2, max_tokens: 5, temperature: 0.7, top_p: 0.9, top_k: 4, seed: 11, logprobs: 0, return_token_ids: true }));
    expect(out.completionIds).toEqual([[10], [11], [20], [21], [30], [31]]);
    expect(out.samplerLogProbs).toEqual([[-1], [-2], [-1], [-2], [-1], [-2]]);
    expect(out.terminated).toEqual([true, false, true, false, true, false]);
    await rollout.close();
    expect(existsSync(join(adapterDir, 'policy-1'))).toBe(false);
  });

  it('retries a failing server\'s prompts on the others with a log line, and stops only when none is left', async () => {
    const down = new Set<string>();
    const { calls, fetch } = fleet(down);
    const warnings: string[] = [];
    const rollout = new ServerRollout({ urls: ['http://a:1', 'http://b:2'], model: 'base', adapterDir: dir(), weightSync: 'lora', policy: policy([]), requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch, logger: { warn: (w: string) => warnings.push(w), info: () => {} } });
    await rollout.syncPolicy(0);
    down.add('http://b:2');
    const out = await rollout.sample(request);
    expect(out.completionIds).toEqual([[10], [11], [20], [21], [30], [31]]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rollout server http:\/\/b:2 failed \(POST http:\/\/b:2\/v1\/completions failed: fetch failed \(connect ECONNREFUSED\)\); retrying its 2 prompt\(s\) on http:\/\/a:1/);
    expect(calls.filter((c) => c.url === 'http://a:1/v1/completions').map((c) => c.body.prompt)).toEqual([[[1]], [[2], [3]]]);
    expect(rollout.servers).toEqual(['http://a:1']);
    down.add('http://a:1');
    await expect(rollout.sample(request)).rejects.toThrow(NoRolloutServerLeftError);
  });

  it('drops a server that fails a load, and refuses to continue when every load failed', async () => {
    const down = new Set<string>(['http://a:1']);
    const { fetch } = fleet(down);
    const warnings: string[] = [];
    const rollout = new ServerRollout({ urls: ['http://a:1', 'http://b:2'], model: 'base', adapterDir: dir(), weightSync: 'lora', policy: policy([]), requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch, logger: { warn: (w: string) => warnings.push(w), info: () => {} } });
    await rollout.syncPolicy(0);
    expect(rollout.servers).toEqual(['http://b:2']);
    expect(warnings[0]).toMatch(/http:\/\/a:1 failed loading policy version 0/);
    down.add('http://b:2');
    await expect(rollout.syncPolicy(1)).rejects.toThrow(/Every rollout server failed loading policy version 1/);
  });

  it('a version name a stopped run left loaded is unloaded and loaded again (never load_inplace, which vLLM keeps on the stored request)', async () => {
    const { calls, fetch: inner } = fleet(new Set());
    const stale = new Set(['http://a:1']);
    const fetch: FetchLike = async (url, init) => {
      const server = url.slice(0, url.indexOf('/', 'http://'.length));
      if (url.endsWith('/v1/load_lora_adapter') && stale.has(server)) {
        calls.push({ url, body: JSON.parse(init.body) as Record<string, unknown> });
        // vLLM's answer (models/serving.py _check_load_lora_adapter_request), in OpenAI's error shape.
        const message = "The lora adapter 'policy-3' has already been loaded. If you want to load the adapter in place, set 'load_inplace' to True.";
        return { ok: false, status: 400, text: async () => JSON.stringify({ error: { message, type: 'InvalidUserInput', param: null, code: 400 } }) };
      }
      if (url.endsWith('/v1/unload_lora_adapter')) stale.delete(server);
      return inner(url, init);
    };
    const infos: string[] = [];
    const rollout = new ServerRollout({ urls: ['http://a:1', 'http://b:2'], model: 'base', adapterDir: dir(), weightSync: 'lora', policy: policy([]), requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch, logger: { warn: (w: string) => infos.push(`warn ${w}`), info: (i: string) => infos.push(i) } });
    await rollout.syncPolicy(3);
    const a = calls.filter((c) => c.url.startsWith('http://a:1')).map((c) => [c.url.slice('http://a:1'.length), c.body.lora_name, c.body.load_inplace]);
    expect(a).toEqual([['/v1/load_lora_adapter', 'policy-3', false], ['/v1/unload_lora_adapter', 'policy-3', undefined], ['/v1/load_lora_adapter', 'policy-3', false]]);
    expect(rollout.servers).toEqual(['http://a:1', 'http://b:2']);
    expect(infos).toEqual([`grpojs: rollout server http://a:1 still had policy-3 loaded; replacing it with ${calls[0].body.lora_path as string}.`]);
    // Any other 400 is a failed load: the server is dropped.
    const broken: FetchLike = async (url, init) =>
      url.endsWith('/v1/load_lora_adapter') && url.startsWith('http://a:1') ? { ok: false, status: 400, text: async () => '{"error":{"message":"LoRA rank 64 is greater than max_lora_rank 16."}}' } : inner(url, init);
    const other = new ServerRollout({ urls: ['http://a:1', 'http://b:2'], model: 'base', adapterDir: dir(), weightSync: 'lora', policy: policy([]), requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch: broken, logger: { warn: () => {}, info: () => {} } });
    await other.syncPolicy(0);
    expect(other.servers).toEqual(['http://b:2']);
  });

  it('a server that does not answer within requestTimeoutMs counts as failed', async () => {
    const { fetch: inner } = fleet(new Set());
    const slow: FetchLike = (url, init) =>
      url.startsWith('http://slow') && url.endsWith('/v1/completions')
        ? new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
        : inner(url, init);
    const warnings: string[] = [];
    const rollout = new ServerRollout({ urls: ['http://slow:1', 'http://b:2'], model: 'base', adapterDir: dir(), weightSync: 'lora', policy: policy([]), requestTimeoutMs: 50, loadTimeoutMs: 1000, fetch: slow, logger: { warn: (w: string) => warnings.push(w), info: () => {} } });
    await rollout.syncPolicy(0);
    const out = await rollout.sample(request);
    expect(out.completionIds).toHaveLength(6);
    expect(warnings[0]).toMatch(/no answer within 0.05 s/);
  });

  it('sglang_merged: writes a merged folder, posts update_weights_from_disk, and requests name the base model', async () => {
    const calls: Call[] = [];
    const { fetch: inner } = fleet(new Set());
    const fetch: FetchLike = async (url, init) => {
      if (url.endsWith('/update_weights_from_disk')) {
        calls.push({ url, body: JSON.parse(init.body) });
        return { ok: true, status: 200, text: async () => JSON.stringify({ success: true, message: 'ok' }) };
      }
      const r = await inner(url, init);
      calls.push({ url, body: JSON.parse(init.body) });
      return r;
    };
    const options: unknown[] = [];
    const adapterDir = dir();
    const rollout = new ServerRollout({
      urls: ['http://s:1'], model: 'gpt2', adapterDir, weightSync: 'sglang_merged', requestTimeoutMs: 1000, loadTimeoutMs: 1000, fetch,
      policy: { save: async (d: string, o?: unknown) => void options.push(o) },
    });
    await rollout.syncPolicy(4);
    expect(options).toEqual([{ merged: true }]);
    expect(calls[0]).toEqual({ url: 'http://s:1/update_weights_from_disk', body: { model_path: join(adapterDir, 'policy-4') } });
    await rollout.sample(request);
    expect(calls[1].body.model).toBe('gpt2');
  });
});

describe('rollout config', () => {
  it('rolloutKind "server" without rolloutUrls or rolloutModel is refused, naming both', async () => {
    const { parseGRPOConfig } = await import('../../src/config.js');
    expect(() => parseGRPOConfig({ rolloutKind: 'server' })).toThrow(/rolloutKind "server" needs rolloutUrls .* and rolloutModel/);
    expect(() => parseGRPOConfig({ rolloutKind: 'server', rolloutUrls: ['http://a:1'] })).toThrow(/needs rolloutModel/);
    expect(parseGRPOConfig({ rolloutKind: 'server', rolloutUrls: ['http://a:1'], rolloutModel: 'm' }).rolloutKind).toBe('server');
    expect(() => parseGRPOConfig({ rolloutUrls: ['a:1'] })).toThrow(/rolloutUrls.0: must be an http\(s\):\/\/host:port base URL/);
    expect(() => parseGRPOConfig({ rolloutUrls: ['http://a:1', 'http://b:2/v1'] })).toThrow(/rolloutUrls.1: must be an http\(s\):\/\/host:port base URL without a path/);
    expect(parseGRPOConfig({ rolloutUrls: ['http://a:1/', 'https://b.example:443'] }).rolloutUrls).toEqual(['http://a:1/', 'https://b.example:443']);
  });

  it('the importance-sampling bounds default as TRL 1.9 (C_min none, C_max 3) and are checked as TRL checks them', async () => {
    const { parseGRPOConfig } = await import('../../src/config.js');
    expect(parseGRPOConfig({})).toMatchObject({ vllmImportanceSamplingMode: 'sequence_mask', vllmImportanceSamplingClipMin: null, vllmImportanceSamplingClipMax: 3 });
    expect(() => parseGRPOConfig({ vllmImportanceSamplingClipMin: 2, vllmImportanceSamplingClipMax: 2 })).toThrow(/vllmImportanceSamplingClipMin \(2\) must be less than vllmImportanceSamplingClipMax \(2\)/);
    expect(() => parseGRPOConfig({ vllmImportanceSamplingMode: 'token_truncate', vllmImportanceSamplingClipMax: null })).toThrow(/"token_truncate" needs vllmImportanceSamplingClipMin or vllmImportanceSamplingClipMax/);
    expect(parseGRPOConfig({ vllmImportanceSamplingMode: 'token_mask', vllmImportanceSamplingClipMax: null }).vllmImportanceSamplingClipMax).toBeNull();
    expect(parseGRPOConfig({ vllmImportanceSamplingCorrection: false, vllmImportanceSamplingMode: 'token_truncate', vllmImportanceSamplingClipMax: null }).vllmImportanceSamplingCorrection).toBe(false);
  });
});

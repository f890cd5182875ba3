/**
 * `serve()` in process on 127.0.0.1: the vLLM-shaped bodies of /v1/models and /v1/completions
 * (parsed with rl's CompletionResponseSchema, the client's own reading), per-token log-probs equal
 * to the model's own temperature-scaled ones, runtime adapter load/unload, and the 4xx answers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompletionResponseSchema, loadCausalLM, readCompletionRows, serve, tf, writeTinyGPT2, type CausalLM, type RunningServer } from '../../src/index.js';

const BACKEND = 'wasm' as const;
let server: RunningServer;
let reference: CausalLM;
let adapterDir: string;
const lines: string[] = [];

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
};

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'grpojs-serve-api-'));
  const modelDir = await writeTinyGPT2(join(root, 'tiny'));
  // An adapter with non-zero B, so it changes the outputs.
  reference = await loadCausalLM(modelDir, { backend: BACKEND, lora: { r: 2, alpha: 4, seed: 1 } });
  reference.trainableVariables().forEach((v, i) => v.assign(v.add(0.05 * (i + 1))));
  adapterDir = join(root, 'adapter-a');
  await reference.save(adapterDir, { adapterOnly: true });
  server = await serve({ model: modelDir, port: 0, loadOptions: { backend: BACKEND }, maxBodyBytes: 4096, log: (l) => lines.push(l) });
});

afterAll(async () => {
  await server?.close();
  reference?.dispose();
});

describe('grpojs serve API', () => {
  it('binds to 127.0.0.1 by default; /health answers 200; /v1/models lists the base model', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { object: string; data: { id: string; object: string; parent: string | null }[] };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => [m.id, m.object, m.parent])).toEqual([['tiny', 'model', null]]);
  });

  it('loads an adapter at run time, serves it by name with its own log-probs, and unloads it', async () => {
    const load = await post('/v1/load_lora_adapter', { lora_name: 'policy-0', lora_path: adapterDir, load_inplace: true });
    expect(load.status).toBe(200);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as { data: { id: string; parent: string | null; root: string }[] };
    expect(models.data[1]).toMatchObject({ id: 'policy-0', parent: 'tiny', root: adapterDir });

    const prompts = [[464, 3290, 318], [40, 588]];
    const body = { model: 'policy-0', prompt: prompts, n: 3, max_tokens: 5, temperature: 0.8, top_p: 1, top_k: -1, min_p: 0, repetition_penalty: 1, seed: 4, logprobs: 0, return_token_ids: true, stop_token_ids: [50256] };
    const res = await post('/v1/completions', body);
    expect(res.status).toBe(200);
    const parsed = CompletionResponseSchema.parse(res.json());
    expect(parsed.model).toBe('policy-0');
    expect(parsed.choices.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
    parsed.choices.forEach((c, i) => {
      expect(c.prompt_token_ids).toEqual(prompts[Math.floor(i / 3)]);
      expect(c.logprobs!.tokens).toHaveLength(c.token_ids!.length);
      expect(['stop', 'length']).toContain(c.finish_reason);
    });
    expect(parsed.usage.completion_tokens).toBe(parsed.choices.reduce((s, c) => s + c.token_ids!.length, 0));
    // The log-probs are the adapter model's own, at the request's temperature (checked in process).
    const rows = readCompletionRows(res.json(), 2, 3);
    const expanded = prompts.flatMap((p) => [p, p, p]);
    const lp = reference.tokenLogProbs(expanded, rows.map((r) => r.tokenIds), { temperature: 0.8 });
    const values = lp.logProbs.arraySync();
    lp.logProbs.dispose();
    lp.mask.dispose();
    rows.forEach((r, i) => r.logProbs.forEach((v, t) => expect(Math.abs(v - values[i][t])).toBeLessThan(1e-4)));
    // The same seed gives the same samples; the base model (adapter off) gives other log-probs.
    expect(readCompletionRows((await post('/v1/completions', body)).json(), 2, 3)).toEqual(rows);
    const base = readCompletionRows((await post('/v1/completions', { ...body, model: 'tiny' })).json(), 2, 3);
    expect(base.map((r) => r.logProbs)).not.toEqual(rows.map((r) => r.logProbs));

    expect((await post('/v1/load_lora_adapter', { lora_name: 'policy-0', lora_path: adapterDir })).status).toBe(400); // no load_inplace
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'policy-0' })).status).toBe(200);
    expect((await post('/v1/completions', { ...body, model: 'policy-0' })).status).toBe(404);
    expect((await post('/v1/unload_lora_adapter', { lora_name: 'policy-0' })).status).toBe(404);
    expect(lines).toContain(`grpojs serve: loaded adapter policy-0 from ${adapterDir}`);
    expect(lines).toContain('grpojs serve: unloaded adapter policy-0');
  });

  it('frees every tensor of a request: tf.memory().numTensors is flat over requests', async () => {
    const body = { model: 'tiny', prompt: [[464, 3290]], n: 2, max_tokens: 4, temperature: 0.9, seed: 1, logprobs: 0, return_token_ids: true };
    expect((await post('/v1/completions', body)).status).toBe(200);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) expect((await post('/v1/completions', { ...body, seed: i })).status).toBe(200);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('answers bad requests with a 4xx naming the field, in OpenAI\'s error shape', async () => {
    const bad = async (path: string, body: unknown, status: number, pattern: RegExp) => {
      const res = await post(path, body);
      expect(res.status, res.text).toBe(status);
      const error = res.json().error as { message: string; code: number };
      expect(error.code).toBe(status);
      expect(error.message).toMatch(pattern);
    };
    await bad('/v1/completions', { model: 'tiny', prompt: 'text' }, 400, /prompt: must be token ids/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], best_of: 2 }, 400, /best_of/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], logprobs: 5 }, 400, /logprobs: only 0/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], repetition_penalty: 1.05 }, 400, /repetition_penalty: only 1/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], min_p: 0.1 }, 400, /min_p: only 0/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], max_tokens: 0 }, 400, /max_tokens/);
    await bad('/v1/completions', { model: 'tiny', prompt: [[1]], stream: true }, 400, /stream/);
    await bad('/v1/completions', { model: 'nope', prompt: [[1]] }, 404, /"nope" does not exist/);
    await bad('/v1/completions', '{not json', 400, /not JSON/);
    await bad('/v1/completions', { model: 'tiny', prompt: [Array.from({ length: 3000 }, () => 1)] }, 413, /larger than 4096 bytes/);
    await bad('/v1/completions', { model: 'tiny', prompt: [Array.from({ length: 300 }, () => 1)], max_tokens: 2 }, 400, /exceeds the model's n_positions 256/);
    await bad('/v1/load_lora_adapter', { lora_name: 'x', lora_path: '/does/not/exist' }, 400, /Cannot load the adapter at lora_path \/does\/not\/exist/);
    await bad('/update_weights_from_disk', { model_path: '/does/not/exist' }, 400, /Cannot load the model at model_path \/does\/not\/exist/);
    await bad('/update_weights_from_disk', { model_path: '/x', flush_cache: true }, 400, /flush_cache/);
    await bad('/v1/nothing', {}, 404, /No route POST \/v1\/nothing/);
    expect((await fetch(`${server.url}/v1/completions`)).status).toBe(405);
  });
});

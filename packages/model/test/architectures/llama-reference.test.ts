/**
 * The Llama family (Llama, Qwen2, Qwen3) against the independent float64 torch reference in
 * fixtures/llama (make_llama_fixtures.py, written from transformers' modeling files): logits of a
 * left-padded batch (≤ 1e-4 at real positions), greedy tokens through the KV cache, KV cache vs full
 * recompute, LoRA log-probs and gradients from a PEFT adapter, saving the adapter and a merged model.
 * The variants cover GQA and MQA, llama3 rope scaling, q/k/v/o and MLP biases, Qwen3's q/k norm with
 * head_dim ≠ hidden/heads, tied and untied heads, BF16, F16 and sharded files.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../../src/causal-lm.js';
import { generate } from '../../src/inference/generate.js';
import { readSafetensorsFolder } from '../../src/io/hf-folder.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/llama');
const LOGIT_TOL = 1e-4;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  logits: number[][][];
  greedy: { new_tokens: number; tokens: number[][] };
  lora?: {
    prompts: number[][];
    completions: number[][];
    logprobs: number[][];
    base_logprobs: number[][];
    loss: number;
    grads: Record<string, number[][]>;
  };
}

const VARIANTS = ['llama-gqa-untied', 'llama-mqa-tied-rope3-bias', 'qwen2-qkv-bias-sharded', 'qwen3-qknorm'] as const;
const expected = (variant: string): Expected => JSON.parse(readFileSync(join(FIXTURES, variant, 'expected.json'), 'utf8')) as Expected;
const unpadded = (ids: number[][], mask: number[][]): number[][] => ids.map((row, b) => row.filter((_, t) => mask[b][t] === 1));

/** Largest |ours − reference| over the positions where mask = 1. */
function maskedLogitDiff(ours: Float32Array, ref: number[][][], mask: number[][]): number {
  const V = ref[0][0].length;
  const T = ref[0].length;
  let worst = 0;
  ref.forEach((row, b) =>
    row.forEach((logits, t) => {
      if (mask[b][t] !== 1) return;
      for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(ours[(b * T + t) * V + v] - logits[v]));
    }),
  );
  return worst;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpojs-llama-ref-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.each(VARIANTS)('%s vs the float64 torch reference', (variant) => {
  const fx = expected(variant);
  const dir = join(FIXTURES, variant);

  it(`logits of a left-padded batch within ${LOGIT_TOL}`, async () => {
    const lm = await loadCausalLM(dir);
    const { logits, hidden } = lm.model.forward(fx.input_ids, { attentionMask: fx.attention_mask });
    expect(maskedLogitDiff(logits!.dataSync() as Float32Array, fx.logits, fx.attention_mask)).toBeLessThan(LOGIT_TOL);
    tf.dispose([logits!, hidden]);
    lm.dispose();
  });

  it('greedy tokens of the padded batch through the KV cache equal the reference', async () => {
    const lm = await loadCausalLM(dir);
    const prompts = unpadded(fx.input_ids, fx.attention_mask);
    const out = await lm.generate(prompts, { maxNewTokens: fx.greedy.new_tokens, doSample: false });
    expect(out.completionIds).toEqual(fx.greedy.tokens);
    lm.dispose();
  });

  it('each KV-cache step gives the logits of a full recompute (≤ 1e-4), and no tensor leaks', async () => {
    const lm = await loadCausalLM(dir);
    const prompts = unpadded(fx.input_ids, fx.attention_mask);
    const steps: Float32Array[] = [];
    const before = tf.memory().numTensors;
    const out = await generate(lm.model, prompts, { maxNewTokens: 4, doSample: false, eosTokenId: [] }, null, {
      onLogits: (_, logits) => steps.push(Float32Array.from(logits)),
    });
    expect(tf.memory().numTensors).toBe(before);
    const V = lm.model.dims.vocabSize;
    for (let s = 0; s < steps.length; s++) {
      const rows = prompts.map((p, b) => [...p, ...out.completionIds[b].slice(0, s)]);
      const P = Math.max(...rows.map((r) => r.length));
      const ids = rows.map((r) => [...new Array<number>(P - r.length).fill(0), ...r]);
      const mask = rows.map((r) => [...new Array<number>(P - r.length).fill(0), ...new Array<number>(r.length).fill(1)]);
      const full = lm.model.forward(ids, { attentionMask: mask, logits: 'last' });
      const last = full.logits!.dataSync() as Float32Array;
      let worst = 0;
      for (let i = 0; i < rows.length * V; i++) worst = Math.max(worst, Math.abs(last[i] - steps[s][i]));
      expect(worst).toBeLessThan(1e-4);
      tf.dispose([full.logits!, full.hidden]);
    }
    lm.dispose();
  });
});

describe.each(['llama-gqa-untied', 'qwen3-qknorm'])('%s with the reference PEFT adapter on all seven projections', (variant) => {
  const fx = expected(variant);
  const lora = fx.lora!;
  const dir = join(FIXTURES, variant);
  const adapterDir = join(dir, 'adapter');

  const sumLogProbs = (lm: Awaited<ReturnType<typeof loadCausalLM>>, gradientCheckpointing = false) => {
    if ('gradientCheckpointing' in lm.model) lm.model.gradientCheckpointing = gradientCheckpointing;
    return tf.variableGrads(() => {
      const { logProbs, mask } = lm.tokenLogProbs(lora.prompts, lora.completions);
      return tf.sum(tf.mul(logProbs, mask)) as tf.Scalar;
    }, lm.trainableVariables());
  };

  it('token log-probs with and without the adapter, the loss and every LoRA gradient match', async () => {
    const lm = await loadCausalLM(dir, { adapterPath: adapterDir });
    expect(lm.trainableVariables()).toHaveLength(2 * 7 * 2);
    const { logProbs, mask } = lm.tokenLogProbs(lora.prompts, lora.completions);
    const ours = logProbs.arraySync();
    const base = lm.withAdaptersDisabled(() => lm.tokenLogProbs(lora.prompts, lora.completions));
    const oursBase = base.logProbs.arraySync();
    lora.completions.forEach((c, b) =>
      c.forEach((_, t) => {
        expect(Math.abs(ours[b][t] - lora.logprobs[b][t])).toBeLessThan(LOGIT_TOL);
        expect(Math.abs(oursBase[b][t] - lora.base_logprobs[b][t])).toBeLessThan(LOGIT_TOL);
      }),
    );
    tf.dispose([logProbs, mask, base.logProbs, base.mask]);

    for (const checkpointing of [false, true]) {
      const { value, grads } = sumLogProbs(lm, checkpointing);
      expect(Math.abs(value.dataSync()[0] - lora.loss)).toBeLessThan(1e-3);
      for (const [peftName, ref] of Object.entries(lora.grads)) {
        const name = peftName.replace(/^base_model\.model\./, '');
        const g = grads[name];
        expect(g, `${name} has a gradient`).toBeDefined();
        const flat = ref.flat();
        const scale = Math.max(...flat.map(Math.abs));
        const got = g.dataSync();
        let worst = 0;
        flat.forEach((r, i) => (worst = Math.max(worst, Math.abs(got[i] - r))));
        expect(worst / scale, `${name} (checkpointing ${checkpointing})`).toBeLessThan(1e-3);
      }
      tf.dispose([value, ...Object.values(grads)]);
    }
    lm.dispose();
  });

  it('keeps tf.memory().numTensors flat over repeated training passes (with and without checkpointing) and generations', async () => {
    const lm = await loadCausalLM(dir, { adapterPath: adapterDir });
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { value, grads } = sumLogProbs(lm, i % 2 === 1);
      tf.dispose([value, ...Object.values(grads)]);
      await lm.generate(lora.prompts, { maxNewTokens: 3, seed: i });
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    lm.dispose();
  });

  it('saves the adapter with PEFT names and shapes, and a merged model transformers loads as a plain checkpoint', async () => {
    const lm = await loadCausalLM(dir, { adapterPath: adapterDir });
    const adapterOut = join(root, `${variant}-adapter`);
    await lm.save(adapterOut, { adapterOnly: true });
    const config = JSON.parse(await readFile(join(adapterOut, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.fan_in_fan_out).toBe(false);
    expect(config.target_modules).toEqual(['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    const saved = await readSafetensorsFolder(join(adapterOut, 'adapter_model.safetensors'));
    const reference = await readSafetensorsFolder(join(adapterDir, 'adapter_model.safetensors'));
    expect([...saved.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [name, t] of reference) {
      expect(saved.get(name)!.shape).toEqual(t.shape);
      expect(Buffer.from(saved.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }

    const mergedOut = join(root, `${variant}-merged`);
    await lm.save(mergedOut, { merged: true });
    const mergedTensors = await readSafetensorsFolder(mergedOut);
    const baseTensors = await readSafetensorsFolder(dir);
    expect([...mergedTensors.keys()].sort()).toEqual([...baseTensors.keys()].sort());
    for (const [name, t] of baseTensors) expect(mergedTensors.get(name)!.shape).toEqual(t.shape);
    const merged = await loadCausalLM(mergedOut);
    expect(merged.trainableVariables()).toHaveLength(0);
    const { logProbs, mask } = merged.tokenLogProbs(lora.prompts, lora.completions);
    const ours = logProbs.arraySync();
    lora.completions.forEach((c, b) => c.forEach((_, t) => expect(Math.abs(ours[b][t] - lora.logprobs[b][t])).toBeLessThan(LOGIT_TOL)));
    tf.dispose([logProbs, mask]);
    merged.dispose();
    lm.dispose();
  });
});

/**
 * LoraConv1D against torch (fixtures/make_adapter_fixtures.py): forward values and the gradients
 * of a loss w.r.t. lora_A and lora_B through one Conv1D and through a GPT-2 attention block with
 * adapters on c_attn and c_proj; PEFT init; adapters off = base exactly; dropout only in training.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoraError } from '../src/adapters/errors.js';
import { LoraConv1D, kaimingUniformBound } from '../src/adapters/lora.js';
import { attentionBlock, f32, maxRelErr, readFixture, testDense, useWasm } from './adapter-helpers.js';

type B64 = string;
interface LoraFixture {
  conv1d: { n: number; in: number; out: number; r: number; alpha: number; x: B64; w: B64; b: B64; A: B64; B: B64; G: B64; y: B64; loss: number; dA: B64; dB: B64; merged: B64 };
  attention: Record<string, B64> & { t: number; c: number; nHead: number; r: number; alpha: number; loss: number };
  kaimingBounds: Record<string, number>;
}

const fx = readFixture<LoraFixture>('adapter-lora.json');

beforeAll(useWasm);

/** ‖a − b‖ / ‖b‖. */
function relNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function convLayer(options: Partial<{ dropout: number; seed: number; enabled: boolean }> = {}) {
  const c = fx.conv1d;
  const adapterSwitch = { enabled: options.enabled ?? true };
  const layer = new LoraConv1D(testDense(f32(c.w), f32(c.b), c.in, c.out), {
    r: c.r,
    alpha: c.alpha,
    dropout: options.dropout ?? 0,
    name: 'h.0.attn.c_attn',
    seed: options.seed ?? 1,
    adapterSwitch,
  });
  layer.loadPeftTensors({ shape: [c.r, c.in], data: f32(c.A) }, { shape: [c.out, c.r], data: f32(c.B) });
  return { layer, adapterSwitch, x: tf.tensor2d(f32(c.x), [c.n, c.in]) };
}

describe('LoRA init (PEFT)', () => {
  it("uses torch's kaiming_uniform_(a=√5) bound and zero B", () => {
    for (const [fanIn, bound] of Object.entries(fx.kaimingBounds)) expect(kaimingUniformBound(Number(fanIn))).toBe(bound);
    const s = { enabled: true };
    const make = (name: string, seed: number) =>
      new LoraConv1D(testDense(new Float32Array(768 * 64), new Float32Array(64), 768, 64), { r: 8, alpha: 16, dropout: 0, name, seed, adapterSwitch: s });
    const l1 = make('h.0.attn.c_attn', 5);
    const l2 = make('h.0.attn.c_attn', 5);
    const l3 = make('h.1.attn.c_attn', 5);
    const a = l1.loraA.dataSync();
    const bound = kaimingUniformBound(768);
    expect(Math.max(...a)).toBeLessThanOrEqual(bound);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-bound);
    const meanSq = Array.from(a).reduce((s2, v) => s2 + v * v, 0) / a.length;
    expect(Math.abs(meanSq / (bound * bound / 3) - 1)).toBeLessThan(0.1); // uniform variance
    expect(Array.from(l2.loraA.dataSync())).toEqual(Array.from(a)); // seeded
    expect(Array.from(l3.loraA.dataSync())).not.toEqual(Array.from(a)); // layers differ
    expect(l1.loraB.dataSync().every((v) => v === 0)).toBe(true);
    expect(l1.loraA.trainable && l1.loraB.trainable).toBe(true);
    expect(l1.scaling).toBe(2);
    for (const l of [l1, l2, l3]) l.dispose();
  });

  it('construction and dispose leave no tensors behind', () => {
    const before = tf.memory().numTensors;
    const layer = new LoraConv1D(testDense(new Float32Array(40), new Float32Array(10), 4, 10), { r: 2, alpha: 4, dropout: 0, name: 'm', seed: 1, adapterSwitch: { enabled: true } });
    expect(tf.memory().numTensors).toBe(before + 4); // W, b, A, B
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a fresh adapter leaves the output unchanged', () => {
    const c = fx.conv1d;
    const base = testDense(f32(c.w), f32(c.b), c.in, c.out);
    const layer = new LoraConv1D(testDense(f32(c.w), f32(c.b), c.in, c.out), { r: 4, alpha: 8, dropout: 0, name: 'x', seed: 3, adapterSwitch: { enabled: true } });
    const x = tf.tensor2d(f32(c.x), [c.n, c.in]);
    expect(Array.from(layer.apply(x, { training: false }).dataSync())).toEqual(Array.from(base.apply(x).dataSync()));
    layer.dispose();
    base.dispose();
  });

  it('rejects bad settings with errors naming the field', () => {
    const base = testDense(new Float32Array(12), new Float32Array(3), 4, 3);
    const o = { r: 2, alpha: 4, dropout: 0, name: 'h.0.mlp.c_fc', seed: 1, adapterSwitch: { enabled: true } };
    expect(() => new LoraConv1D(base, { ...o, r: 0 })).toThrow(LoraError);
    expect(() => new LoraConv1D(base, { ...o, r: 4 })).toThrow(/h\.0\.mlp\.c_fc.*r = 4 exceeds/);
    expect(() => new LoraConv1D(base, { ...o, dropout: 1 })).toThrow(/dropout/);
    expect(() => new LoraConv1D(base, { ...o, alpha: -1 })).toThrow(/alpha/);
    base.dispose();
  });
});

describe('LoRA vs torch', () => {
  it('Conv1D: forward and d loss/d lora_A, lora_B match within 1e-4 relative', () => {
    const c = fx.conv1d;
    const { layer, x } = convLayer();
    const g = tf.tensor2d(f32(c.G), [c.n, c.out]);
    const y = layer.apply(x, { training: true });
    expect(maxRelErr(y.dataSync(), f32(c.y), 1e-3)).toBeLessThan(1e-5);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.tanh(layer.apply(x, { training: true })), g)) as tf.Scalar, [layer.loraA, layer.loraB]);
    expect(Math.abs(value.dataSync()[0] - c.loss) / Math.abs(c.loss)).toBeLessThan(1e-5);
    expect(relNorm(grads[layer.loraA.name].dataSync(), f32(c.dA))).toBeLessThan(1e-4);
    expect(relNorm(grads[layer.loraB.name].dataSync(), f32(c.dB))).toBeLessThan(1e-4);
    expect(maxRelErr(grads[layer.loraA.name].dataSync(), f32(c.dA), 1e-2)).toBeLessThan(1e-4);
    expect(maxRelErr(grads[layer.loraB.name].dataSync(), f32(c.dB), 1e-2)).toBeLessThan(1e-4);
    tf.dispose([g, y, x, value, ...Object.values(grads)]);
    layer.dispose();
  });

  it('GPT-2 attention block (LoRA on c_attn and c_proj): output and all four gradients match', () => {
    const a = fx.attention;
    const s = { enabled: true };
    const mk = (w: string, b: string, inn: number, out: number, A: string, B: string, name: string) => {
      const l = new LoraConv1D(testDense(f32(a[w]), f32(a[b]), inn, out), { r: a.r, alpha: a.alpha, dropout: 0, name, seed: 0, adapterSwitch: s });
      l.loadPeftTensors({ shape: [a.r, inn], data: f32(a[A]) }, { shape: [out, a.r], data: f32(a[B]) });
      return l;
    };
    const cAttn = mk('attn_w', 'attn_b', a.c, 3 * a.c, 'attn_A', 'attn_B', 'h.0.attn.c_attn');
    const cProj = mk('proj_w', 'proj_b', a.c, a.c, 'proj_A', 'proj_B', 'h.0.attn.c_proj');
    const x = tf.tensor2d(f32(a.x), [a.t, a.c]);
    const g = tf.tensor2d(f32(a.G), [a.t, a.c]);
    const vars = [cAttn.loraA, cAttn.loraB, cProj.loraA, cProj.loraB];
    const { value, grads } = tf.variableGrads(() => {
      const out = attentionBlock(x, cAttn, cProj, a.nHead, true);
      return tf.add(tf.sum(tf.mul(out, g)), tf.mul(0.5, tf.sum(tf.square(out)))) as tf.Scalar;
    }, vars);
    expect(Math.abs(value.dataSync()[0] - a.loss) / Math.abs(a.loss)).toBeLessThan(1e-4);
    const refs = [a.d_attn_A, a.d_attn_B, a.d_proj_A, a.d_proj_B];
    vars.forEach((v, i) => {
      expect(relNorm(grads[v.name].dataSync(), f32(refs[i]))).toBeLessThan(1e-4);
      expect(maxRelErr(grads[v.name].dataSync(), f32(refs[i]), 1e-2)).toBeLessThan(1e-4);
    });
    const out = attentionBlock(x, cAttn, cProj, a.nHead);
    expect(maxRelErr(out.dataSync(), f32(a.out), 1e-2)).toBeLessThan(1e-4);
    tf.dispose([x, g, value, out, ...Object.values(grads)]);
    cAttn.dispose();
    cProj.dispose();
  });
});

describe('AdapterSwitch and dropout', () => {
  it('adapters off gives exactly the base output, without copying weights', () => {
    const c = fx.conv1d;
    const { layer, adapterSwitch, x } = convLayer();
    const base = testDense(f32(c.w), f32(c.b), c.in, c.out);
    const on = layer.apply(x, { training: false });
    adapterSwitch.enabled = false;
    const before = tf.memory().numTensors;
    const off = layer.apply(x, { training: true });
    expect(tf.memory().numTensors).toBe(before + 1); // only the output
    expect(Array.from(off.dataSync())).toEqual(Array.from(base.apply(x).dataSync()));
    expect(Array.from(on.dataSync())).not.toEqual(Array.from(off.dataSync()));
    tf.dispose([on, off, x]);
    layer.dispose();
    base.dispose();
  });

  it('dropout only acts in training, with seeded masks that change between steps', () => {
    const c = fx.conv1d;
    const run = (seed: number) => {
      const { layer, x } = convLayer({ dropout: 0.5, seed });
      const evalA = layer.apply(x, { training: false }).arraySync();
      const evalB = layer.apply(x, { training: false }).arraySync();
      const t1 = layer.apply(x, { training: true }).arraySync();
      const t2 = layer.apply(x, { training: true }).arraySync();
      layer.dispose();
      x.dispose();
      return { evalA, evalB, t1, t2 };
    };
    const r1 = run(11);
    const r2 = run(11);
    expect(r1.evalA).toEqual(r1.evalB);
    expect(maxRelErr(r1.evalA.flat(), f32(c.y), 1e-3)).toBeLessThan(1e-5); // eval = no dropout
    expect(r1.t1).not.toEqual(r1.evalA);
    expect(r1.t1).not.toEqual(r1.t2);
    expect(r2.t1).toEqual(r1.t1); // same seed → same masks
    expect(run(12).t1).not.toEqual(r1.t1);
  });

  it('with a dropout clock, masks depend on the step only (checkpoint recompute sees the same mask)', () => {
    const c = fx.conv1d;
    const clock = { step: 0 };
    const layer = new LoraConv1D(testDense(f32(c.w), f32(c.b), c.in, c.out), { r: c.r, alpha: c.alpha, dropout: 0.5, name: 'h.0.attn.c_attn', seed: 4, adapterSwitch: { enabled: true }, dropoutClock: clock });
    layer.loadPeftTensors({ shape: [c.r, c.in], data: f32(c.A) }, { shape: [c.out, c.r], data: f32(c.B) });
    const x = tf.tensor2d(f32(c.x), [c.n, c.in]);
    const a = layer.apply(x, { training: true }).arraySync();
    const b = layer.apply(x, { training: true }).arraySync();
    clock.step++;
    const d = layer.apply(x, { training: true }).arraySync();
    expect(b).toEqual(a);
    expect(d).not.toEqual(a);
    x.dispose();
    layer.dispose();
  });
});

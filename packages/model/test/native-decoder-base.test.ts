/**
 * The decoder logic both native engines share (native-decoder-base.ts), against a recording engine,
 * so it runs without the addon: frozen projections go in once (as NF4 codes while the runtime option
 * nativeDecodeNf4Codes is on, fp32 again when it turns off), LoRA projections at every prepare, an
 * architecture that declines the codes gets the dequantized weight, the prefill's cache and the
 * step/sampler hand-offs carry the right named options, and a missing host tensor names its reader.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LoraConv1D } from '../src/adapters/lora.js';
import { Mulberry32, type SamplingOptions } from '../src/inference/sampling.js';
import type { KVCache } from '../src/inference/kv-cache.js';
import { type DecodeSessionEngine, type EngineProjection, hostWeights, NativeDecodeError, NativeDecoderBase } from '../src/inference/native-decoder-base.js';
import { createQuantizedConv1D, type NF4State } from '../src/quant/quantized-conv1d.js';
import { initBackend } from '../src/runtime/runtime.js';
import type { CausalTransformer } from '../src/transformer.js';
import { testDense } from './adapter-helpers.js';
import { setDecodeRuntime } from './native-helpers.js';

const IN = 64; // one NF4 block of 64 along `in`: codes in [in, out] order
const OUT = 8;
const VOCAB = 5;
const PLAIN: SamplingOptions = { doSample: true, temperature: 1, topK: 0, topP: 1 };

type Call = { method: string; options: Record<string, unknown> };

function recordingEngine(calls: Call[]): DecodeSessionEngine {
  const record = (method: string) => (options: object) => void calls.push({ method, options: options as Record<string, unknown> });
  return {
    reset: record('reset'),
    loadCache: record('loadCache'),
    step: (options) => {
      calls.push({ method: 'step', options });
      options.logits.fill(0.5);
    },
    sampleRows: record('sampleRows'),
    info: () => ({ threads: 1, simd: 'portable', length: 0, capacity: 0, batch: 0, bytes: 123, nf4Projections: 0 }),
    dispose: () => void calls.push({ method: 'dispose', options: {} }),
  };
}

interface TestProjection extends EngineProjection {
  name: string;
}

/** What an architecture file would hold, reduced to recording which projection went in how. */
class TestDecoder extends NativeDecoderBase<DecodeSessionEngine, TestProjection> {
  readonly set: string[] = [];
  fixedCalls = 0;
  /** Makes the next setLinear throw (a weight copy that fails). */
  failNextSetLinear = false;

  constructor(
    engine: DecodeSessionEngine,
    private readonly projections: TestProjection[],
    private readonly takesCodes: boolean,
  ) {
    super(engine, { numLayers: 2, vocabSize: VOCAB, label: 'test engine, ', who: 'TestDecoder' });
  }

  protected setFixedWeights(): TestProjection[] {
    this.fixedCalls++;
    return this.projections;
  }

  protected setLinear(p: TestProjection, weight: Float32Array, bias: Float32Array): void {
    expect([weight.length, bias.length]).toEqual([IN * OUT, OUT]);
    if (this.failNextSetLinear) {
      this.failNextSetLinear = false;
      throw new NativeDecodeError(`copy of ${p.name} failed`);
    }
    this.set.push(`${p.name}:fp32`);
  }

  protected setLinearNf4(p: TestProjection, nf4: NF4State, bias: Float32Array): boolean {
    if (!this.takesCodes) return false;
    expect([nf4.blockSize, bias.length]).toEqual([64, OUT]);
    this.set.push(`${p.name}:nf4`);
    return true;
  }

  protected pathOf(p: TestProjection): string {
    return `layers.${p.layer}.${p.name}`;
  }
}

function layers(): TestProjection[] {
  const w = Float32Array.from({ length: IN * OUT }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: OUT }, (_, i) => i / 10);
  const frozen = createQuantizedConv1D({ data: w, shape: [IN, OUT] }, { data: b, shape: [OUT] }, 'nf4');
  const lora = new LoraConv1D(testDense(w, b, IN, OUT), { r: 2, alpha: 4, dropout: 0, name: 'lora', seed: 1, adapterSwitch: { enabled: true } });
  return [
    { layer: 0, name: 'frozen', linear: frozen },
    { layer: 1, name: 'lora', linear: lora },
  ];
}

beforeAll(async () => {
  await initBackend();
});
afterEach(async () => {
  await setDecodeRuntime({});
});

describe('NativeDecoderBase', () => {
  it('sets fixed weights once, frozen NF4 as codes until nativeDecodeNf4Codes turns off, LoRA at every prepare', async () => {
    await setDecodeRuntime({ nativeDecodeNf4Codes: true });
    const calls: Call[] = [];
    const projections = layers();
    const decoder = new TestDecoder(recordingEngine(calls), projections, true);
    expect(decoder.description).toBe('test engine, portable, 1 thread');
    expect(decoder.busy).toBe(false);
    decoder.prepare();
    expect(decoder.busy).toBe(true);
    decoder.end();
    expect(decoder.busy).toBe(false);
    expect(decoder.set).toEqual(['frozen:nf4', 'lora:fp32']);
    decoder.prepare();
    decoder.end();
    expect(decoder.set).toEqual(['frozen:nf4', 'lora:fp32', 'lora:fp32']);
    await setDecodeRuntime({ nativeDecodeNf4Codes: false });
    decoder.prepare();
    decoder.end();
    expect(decoder.set.slice(3)).toEqual(['frozen:fp32', 'lora:fp32']);
    expect(decoder.fixedCalls).toBe(1);
    expect(decoder.memory()).toEqual({ bytes: 123, nf4Projections: 0 });
    decoder.dispose();
    expect(calls.map((c) => c.method)).toEqual(['dispose']);
    projections.forEach((p) => p.linear.dispose());
  });

  it('an architecture that declines the codes gets the dequantized fp32 weight', async () => {
    await setDecodeRuntime({ nativeDecodeNf4Codes: true });
    const projections = layers();
    const decoder = new TestDecoder(recordingEngine([]), projections, false);
    const before = tf.memory().numTensors;
    decoder.prepare();
    expect(tf.memory().numTensors).toBe(before); // the weight and bias tensors read for the engine are freed
    expect(decoder.set).toEqual(['frozen:fp32', 'lora:fp32']);
    projections.forEach((p) => p.linear.dispose());
  });

  it('a prepare that throws leaves the decoder free, so the next generate can use it again', async () => {
    const projections = layers();
    const decoder = new TestDecoder(recordingEngine([]), projections, false);
    decoder.failNextSetLinear = true;
    expect(() => decoder.prepare()).toThrow(/copy of frozen failed/);
    expect(decoder.busy).toBe(false);
    decoder.prepare();
    expect(decoder.busy).toBe(true);
    expect(decoder.set).toEqual(['frozen:fp32', 'lora:fp32']);
    projections.forEach((p) => p.linear.dispose());
  });

  it('begin, step and sample hand the engine its named options', () => {
    const calls: Call[] = [];
    const decoder = new TestDecoder(recordingEngine(calls), [], true);
    const srcCapacity = 4;
    const buffers = (layer: number) => ({
      keys: tf.fill([2, 1, srcCapacity, 2], layer + 1),
      values: tf.fill([2, 1, srcCapacity, 2], -(layer + 1)),
    });
    const held = [buffers(0), buffers(1)];
    const cache = { capacity: srcCapacity, length: 3, buffers: (layer: number) => held[layer] } as unknown as KVCache;
    decoder.begin(cache, [0, 2], 9);
    expect(calls[0]).toEqual({ method: 'reset', options: { batch: 2, capacity: 9 } });
    expect(calls.slice(1).map((c) => [c.options.layer, c.options.srcCapacity, c.options.length, Array.from(c.options.starts as Int32Array)])).toEqual([
      [0, srcCapacity, 3, [0, 2]],
      [1, srcCapacity, 3, [0, 2]],
    ]);
    expect(Array.from(calls[2].options.keys as Float32Array).slice(0, 2)).toEqual([2, 2]);
    expect(Array.from(calls[2].options.values as Float32Array).slice(0, 2)).toEqual([-2, -2]);
    const logits = decoder.step([3, 4], [3, 1]);
    expect(logits.length).toBe(2 * VOCAB);
    expect(calls[3].method).toBe('step');
    expect(Array.from(calls[3].options.tokens as Int32Array)).toEqual([3, 4]);
    expect(Array.from(calls[3].options.positions as Int32Array)).toEqual([3, 1]);
    expect(calls[3].options.logits).toBe(logits);

    expect(decoder.sample(logits, { ...PLAIN, doSample: false }, [false, false], new Mulberry32(1))).toBeNull();
    const rng = new Mulberry32(7);
    const expectedDraw = new Mulberry32(7).next();
    const tokens = decoder.sample(logits, { ...PLAIN, temperature: 0.7 }, [true, false], rng);
    const sampled = calls[4].options;
    expect(calls[4].method).toBe('sampleRows');
    expect(sampled.temperature).toBe(0.7);
    expect(Array.from(sampled.us as Float64Array)).toEqual([-1, expectedDraw]);
    expect(sampled.tokens).toBe(tokens);
    tf.dispose(held.flatMap((h) => [h.keys, h.values]));
  });

  it('a missing host tensor throws NativeDecodeError naming the reader and the tensor', () => {
    const model = { hostTensors: () => new Map() } as unknown as CausalTransformer;
    const get = hostWeights(model, 'NativeTestDecoder');
    expect(() => get('wte.weight')).toThrow(NativeDecodeError);
    expect(() => get('wte.weight')).toThrow(/NativeTestDecoder: the model's host tensors lack wte\.weight/);
  });
});

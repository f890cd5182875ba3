/**
 * The choice, per model, between a native decode engine (native-decode.ts for GPT-2,
 * native-llama-decode.ts for the Llama family) and generate's tfjs decode steps: the runtime option
 * nativeDecode, the backend and the model's family decide; the decoder is created on first use and
 * the path is logged once per change.
 */
import * as tf from '@tensorflow/tfjs-core';
import { runtimeOptions } from '../runtime/runtime.js';
import { GPT2Model } from '../architectures/gpt2/model.js';
import { LlamaModel } from '../architectures/llama/model.js';
import type { CausalTransformer } from '../transformer.js';
import { gpt2EngineHasActivation, NativeDecoder } from './native-decode.js';
import { NativeLlamaDecoder } from './native-llama-decode.js';
import type { NativeDecodeSession } from './native-decode-session.js';

/**
 * Why generate cannot use a native engine for `model` now (a phrase for the log line), or null:
 * the runtime option nativeDecode off, a model family without an engine, a backend other than
 * wasm/cpu, or an activation the GPT-2 engine lacks.
 */
export function nativeDecodeBlocked(model: CausalTransformer): string | null {
  if (!runtimeOptions().nativeDecode) return 'runtime option nativeDecode: false';
  if (!(model instanceof GPT2Model) && !(model instanceof LlamaModel)) return `the native engines implement GPT-2 and the Llama family, not ${model.architecture}`;
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return `backend '${backend}' keeps its own kernels`;
  if (model instanceof LlamaModel) return null;
  const act = model.config.activationFunction;
  if (!gpt2EngineHasActivation(act)) return `activation '${act}' is not implemented by the engine`;
  return null;
}

/** The last decode-path line reported (one line per process and change, as the matmul line). */
let lastDecodeLine: string | null = null;

/**
 * A model's native decoder, created on first use, and the choice between it and the tfjs path
 * (CausalLM holds one; its `dispose` frees the engine).
 */
export class NativeDecodeSlot {
  private readonly model: CausalTransformer;
  private readonly options: { enabled: boolean; threads?: number; log?: (line: string) => void };
  /** undefined: not created yet; null: unavailable (the reason is in `reason`). */
  private decoder: NativeDecodeSession | null | undefined;
  private reason = '';

  constructor(model: CausalTransformer, options: { enabled: boolean; threads?: number; log?: (line: string) => void }) {
    this.model = model;
    this.options = options;
  }

  /** The decoder to use now (null: tfjs) and the line describing the path, logged once per change. */
  async choose(): Promise<{ decoder: NativeDecodeSession | null; line: string }> {
    const blocked = this.options.enabled ? nativeDecodeBlocked(this.model) : 'nativeDecode: false';
    if (blocked === null && this.decoder === undefined) {
      const options = { threads: this.options.threads };
      const made = this.model instanceof LlamaModel ? await NativeLlamaDecoder.create(this.model, options) : await NativeDecoder.create(this.model as GPT2Model, options);
      this.decoder = made.decoder;
      this.reason = made.reason;
    }
    const decoder = blocked === null ? (this.decoder ?? null) : null;
    const line = decoder
      ? `generate: native decode engine (@grpojs/accel, ${decoder.description}; the runtime option nativeDecode: false turns it off)`
      : `generate: tfjs decode steps (${blocked ?? this.reason})`;
    if (line !== lastDecodeLine) this.options.log?.(line);
    lastDecodeLine = line;
    return { decoder, line };
  }

  /**
   * {@link choose}'s decoder with this call's weights copied in (its `prepare`);
   * null (tfjs) while another generate call holds it. The caller must call `end()` when done.
   */
  async prepared(): Promise<NativeDecodeSession | null> {
    const { decoder } = await this.choose();
    if (decoder === null || decoder.busy) return null;
    decoder.prepare();
    return decoder;
  }

  /** Frees the engine; later calls take the tfjs path. */
  dispose(): void {
    this.decoder?.dispose();
    this.decoder = null;
    this.reason = 'the model was disposed';
  }
}

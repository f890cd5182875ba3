/**
 * The policy model the GRPO trainer sees: a causal transformer of any supported architecture
 * (architectures/index.ts) with an optional quantized frozen base and LoRA adapters, its
 * tokenizer, and the methods rl's PolicyModel port asks for (generate, tokenLogProbs,
 * withAdaptersDisabled, trainableVariables, save). `loadCausalLM` wires the pieces: IO's folder
 * resolution and safetensors reader, the architecture's model, ADAPTERS' quantized and LoRA layers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './runtime/runtime-options.js';
import { initRuntimeForModel } from './runtime/runtime.js';
import { DenseConv1D } from './ops/dense.js';
import { generate } from './inference/generate.js';
import type { Conv1DFactory } from './ops/dense.js';
import { readSafetensorsFolder } from './io/hf-folder.js';
import type { GPT2Config } from './architectures/gpt2/config.js';
import {
  type ModelConfig,
  buildTransformer,
  checkTensors,
  linearCheckpointTensors,
  linearModuleCatalog,
  modelConfigOf,
  readModelConfig,
  saveModelFolder,
} from './architectures/index.js';
import type { LlamaConfig } from './architectures/llama/config.js';
import { readGenerationDefaults } from './io/generation-config.js';
import { type CausalTransformer, hostCopy } from './transformer.js';
import { resolveModelFiles, type ModelSourceOptions } from './io/hub-files.js';
import { ModelFilesNotFoundError } from './io/errors.js';
import { LoraError } from './adapters/errors.js';
import type { AdapterSwitch, Conv1DLayer } from './ops/linear.js';
import { LogProbsError, tokenLogProbs } from './inference/logprobs.js';
import { LoraConv1D, type DropoutClock } from './adapters/lora.js';
import { NativeDecodeSlot } from './inference/native-decode-slot.js';
import { type LinearModuleCatalog, collectPeftTensors, expandAllLinear, loadPeftTensors, resolveLoraTargets } from './adapters/lora-targets.js';
import { QuantCacheScope, quantizedLayers } from './quant/quant-cache.js';
import { createQuantizedConv1D } from './quant/quantized-conv1d.js';
import { loadPeftAdapter, savePeftAdapter } from './adapters/peft-files.js';
import type { HostTensor } from './io/safetensors.js';
import { loadTokenizer, type TextTokenizer } from './io/tokenizer.js';
import type { GenerateOptions, GenerateOutput, TokenLogProbsOptions, TokenLogProbsOutput } from './types.js';

/** LoRA settings of {@link loadCausalLM}. */
export interface LoraOptions {
  r: number;
  alpha: number;
  dropout?: number;
  /**
   * PEFT-style names (`c_attn`, `q_proj`, `self_attn.o_proj`, …), `all-linear`, or one regular
   * expression. Default: PEFT's for the architecture (['c_attn'] for GPT-2, ['q_proj', 'v_proj'] for
   * the Llama family).
   */
  targetModules?: string[] | string;
  /** Seed of the A init and dropout masks. Default 0. */
  seed?: number;
  useRslora?: boolean;
}

/** Options of {@link loadCausalLM}. */
export interface LoadCausalLMOptions extends ModelSourceOptions {
  /**
   * The backend this model needs. The backend is process-wide (initRuntime): before initRuntime this
   * initialises the runtime with it; afterwards it must be the runtime's (else a RuntimeOptionsError).
   */
  backend?: BackendName;
  /**
   * Whether this model may use @grpojs/accel's kernels. Process-wide like `backend`: it initialises
   * the runtime before initRuntime; afterwards `false` needs a runtime with accel off (else a
   * RuntimeOptionsError), and `true` takes them when the runtime has them.
   */
  accel?: boolean;
  /** Frozen base weights: fp32 ('none', default), bitsandbytes-style NF4, or int8 absmax. */
  quantization?: 'none' | 'nf4' | 'int8';
  /** NF4 double quantization of the block scales. Default true. */
  doubleQuant?: boolean;
  /** Add fresh LoRA adapters (only they are trainable). */
  lora?: LoraOptions;
  /**
   * Full fine-tuning: every linear projection's weight and bias is trainable (trainableVariables()).
   * A projection the checkpoint has no bias for (Llama's) trains its weight only, as in transformers.
   * Embeddings and norms stay frozen. Needs an fp32 base and no LoRA. Default false.
   */
  fullFineTuning?: boolean;
  /** Load a PEFT adapter folder into the LoRA layers (implies `lora` from its adapter_config.json). */
  adapterPath?: string;
  /** Recompute each block in the backward pass (less memory, ~1.3× compute). Default false. */
  gradientCheckpointing?: boolean;
  /**
   * With a quantized base: keep the dequantized fp32 weights for the duration of each `generate`
   * call (decoded once per call instead of once per token), freed when it returns. Faster
   * generation for a temporary fp32-sized weight peak; see docs/model.md. Default true.
   */
  quantCacheDuringGenerate?: boolean;
  /**
   * Run generate's decode steps (every token after the prompt) on @grpojs/accel's native engine
   * when it is installed, on the wasm/cpu backends (docs/model.md). For this model only; the runtime
   * option nativeDecode: false turns it off for every model. Default true.
   */
  nativeDecode?: boolean;
  /** Threads of the native decode engine. Default: the CPU count. */
  nativeDecodeThreads?: number;
  /** Use this tokenizer instead of the folder's. */
  tokenizer?: TextTokenizer;
  /** Receives one line per loading milestone (e.g. the weight memory report). */
  log?: (line: string) => void;
}

/** Backend bytes of the weights: as fp32, and as actually held (quantized base + adapters). */
export interface WeightMemoryReport {
  fp32Bytes: number;
  loadedBytes: number;
}

/** A causal LM of any supported architecture, with what the trainer's PolicyModel port asks for. */
export class CausalLM {
  readonly model: CausalTransformer;
  /** The validated config.json, tagged by architecture. */
  readonly modelConfig: ModelConfig;
  readonly config: GPT2Config | LlamaConfig;
  readonly tokenizer: TextTokenizer | undefined;
  /** The projections LoRA can target and their PEFT names. */
  readonly linearModules: LinearModuleCatalog;
  /** The LoRA layers by module path (`h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`), in model order. */
  readonly loraLayers: ReadonlyMap<string, LoraConv1D>;
  readonly lora: (Required<Omit<LoraOptions, 'targetModules'>> & { targetModules: string[] }) | undefined;
  /** Where the base model came from (hub id or folder), recorded in adapter_config.json. */
  readonly baseModelNameOrPath: string;
  readonly memory: WeightMemoryReport;
  private readonly adapterSwitch: AdapterSwitch;
  private readonly dropoutClock: DropoutClock;
  private readonly quantCache: QuantCacheScope | null;
  private readonly nativeDecode: NativeDecodeSlot;

  constructor(parts: {
    model: CausalTransformer;
    tokenizer?: TextTokenizer;
    loraLayers?: Map<string, LoraConv1D>;
    lora?: CausalLM['lora'];
    adapterSwitch?: AdapterSwitch;
    dropoutClock?: DropoutClock;
    baseModelNameOrPath?: string;
    fp32Bytes?: number;
    /** See {@link LoadCausalLMOptions.quantCacheDuringGenerate}. Default true. */
    quantCacheDuringGenerate?: boolean;
    /** See {@link LoadCausalLMOptions.nativeDecode}. Default true. */
    nativeDecode?: boolean;
    nativeDecodeThreads?: number;
    /** Receives the line saying which decode path generate uses (once per process and change). */
    log?: (line: string) => void;
  }) {
    this.model = parts.model;
    this.modelConfig = modelConfigOf(parts.model);
    this.config = this.modelConfig.config;
    this.linearModules = linearModuleCatalog(this.modelConfig);
    this.tokenizer = parts.tokenizer;
    this.loraLayers = parts.loraLayers ?? new Map();
    this.lora = parts.lora;
    this.adapterSwitch = parts.adapterSwitch ?? { enabled: true };
    this.dropoutClock = parts.dropoutClock ?? { step: 0 };
    this.baseModelNameOrPath = parts.baseModelNameOrPath ?? '';
    const loadedBytes = this.model.weightBytes();
    this.memory = { fp32Bytes: parts.fp32Bytes ?? loadedBytes, loadedBytes };
    const quantized = quantizedLayers(this.model.linearLayers().values());
    this.quantCache = (parts.quantCacheDuringGenerate ?? true) && quantized.length > 0 ? new QuantCacheScope(quantized) : null;
    this.nativeDecode = new NativeDecodeSlot(this.model, { enabled: parts.nativeDecode ?? true, threads: parts.nativeDecodeThreads, log: parts.log });
  }

  /**
   * Sampled or greedy generation (batched, left-padded internally); runs with adapters as currently switched, never training.
   * A quantized base is dequantized once for the call (unless `quantCacheDuringGenerate` is false).
   * The decode steps run on the native engine when available (see {@link decodePath}).
   */
  generate(promptIds: number[][], options: GenerateOptions): Promise<GenerateOutput> {
    const run = async (): Promise<GenerateOutput> => {
      const decoder = await this.nativeDecode.prepared();
      try {
        return await generate(this.model, promptIds, options, decoder);
      } finally {
        decoder?.end();
      }
    };
    return this.quantCache ? this.quantCache.run(run) : run();
  }

  /**
   * Which path generate's decode steps take now: "native decode engine (…)" or "tfjs (reason)".
   * Creates the engine on first use; the same line goes to the `log` option once per change.
   */
  async decodePath(): Promise<string> {
    return (await this.nativeDecode.choose()).line;
  }

  /**
   * Log-probs of the completion tokens after the prompts, differentiable w.r.t. the LoRA variables. A training call with `seed` draws the LoRA dropout masks
   * from (LoRA seed, `seed`, layer name) only; one without draws fresh masks from the instance's
   * counter. The masks stay fixed until the next training call, so checkpointing's recompute in
   * the backward pass sees the same ones.
   */
  tokenLogProbs(promptIds: number[][], completionIds: number[][], options: TokenLogProbsOptions = {}): TokenLogProbsOutput {
    if (options.training) {
      if (options.seed !== undefined && !Number.isFinite(options.seed)) {
        throw new LogProbsError(`tokenLogProbs: options.seed must be a finite number, got ${options.seed}.`);
      }
      this.dropoutClock.step++;
      this.dropoutClock.seed = options.seed;
    }
    return tokenLogProbs(this.model, promptIds, completionIds, options);
  }

  /** Runs `fn` with every LoRA adapter off (the frozen base); restores the switch afterwards, also for async `fn`. */
  withAdaptersDisabled<T>(fn: () => T): T {
    const previous = this.adapterSwitch.enabled;
    this.adapterSwitch.enabled = false;
    let result: T;
    try {
      result = fn();
    } catch (error) {
      this.adapterSwitch.enabled = previous;
      throw error;
    }
    if (result instanceof Promise) {
      return result.finally(() => {
        this.adapterSwitch.enabled = previous;
      }) as T;
    }
    this.adapterSwitch.enabled = previous;
    return result;
  }

  /** Trainable variables in model order (per block, per projection in forward order; A before B). */
  trainableVariables(): tf.Variable[] {
    return this.model.trainableVariables();
  }

  /** Turns gradient checkpointing on or off. */
  setGradientCheckpointing(on: boolean): void {
    this.model.gradientCheckpointing = on;
  }

  /**
   * The whole model's host tensors under its checkpoint names and layouts (GPT-2's Conv1D [in, out],
   * nn.Linear [out, in]); with `merged`, every LoRA update is folded into its weight (as PEFT's
   * merge_and_unload). Quantized bases are dequantized.
   */
  hostTensors(merged: boolean): Map<string, HostTensor> {
    const out = this.model.hostTensors();
    for (const [path, layer] of this.model.linearLayers()) {
      const lora = layer instanceof LoraConv1D ? layer : null;
      const base = readable(lora ? lora.base : layer, path);
      const [w, b] = tf.tidy(() => [base.readWeight(), base.readBias()]);
      const read = Float32Array.from(w.dataSync() as Float32Array);
      const weight = { shape: [...w.shape], data: lora && merged ? lora.mergedWeight(read) : read }; // [in, out]
      const bias = hostCopy(b);
      tf.dispose([w, b]);
      for (const [name, t] of linearCheckpointTensors(this.modelConfig, path, weight, bias)) out.set(name, t);
    }
    return out;
  }

  /**
   * Saves to `dir`. With LoRA layers and not `merged`: the PEFT adapter (adapter_config.json +
   * adapter_model.safetensors) plus, unless `adapterOnly`, the tokenizer files. With `merged`, or
   * without LoRA: a full HF model folder (config.json, model.safetensors, generation_config.json,
   * tokenizer files) that transformers loads without peft.
   */
  async save(dir: string, options: { adapterOnly?: boolean; merged?: boolean } = {}): Promise<void> {
    if (options.merged || this.loraLayers.size === 0 || this.lora === undefined) {
      await saveModelFolder(dir, this.modelConfig, {
        tensors: this.hostTensors(true),
        ...(this.tokenizer ? { tokenizer: this.tokenizer } : {}),
        eosTokenIds: this.model.dims.eosTokenIds,
      });
      return;
    }
    const { r, alpha, dropout, targetModules } = this.lora;
    await savePeftAdapter(dir, {
      loraConfig: { r, alpha, dropout, targetModules, fanInFanOut: this.modelConfig.kind === 'gpt2' },
      baseModelNameOrPath: this.baseModelNameOrPath,
      tensors: collectPeftTensors(this.loraLayers, this.linearModules),
    });
    if (!options.adapterOnly && this.tokenizer) await this.tokenizer.save(dir);
  }

  /** Frees every tensor and variable of the model, and the native decode engine's memory. */
  dispose(): void {
    this.nativeDecode.dispose();
    this.model.dispose();
  }
}

type ReadableLayer = Conv1DLayer & { readWeight(): tf.Tensor2D; readBias(): tf.Tensor1D };

function readable(layer: Conv1DLayer, path: string): ReadableLayer {
  const l = layer as Partial<ReadableLayer>;
  if (typeof l.readWeight !== 'function' || typeof l.readBias !== 'function') {
    throw new TypeError(`CausalLM.save: the Conv1D at ${path} cannot expose its weight (no readWeight/readBias).`);
  }
  return layer as ReadableLayer;
}

/** fp32 bytes of a set of host tensors. */
function fp32Bytes(tensors: Map<string, HostTensor>): number {
  let n = 0;
  for (const t of tensors.values()) n += 4 * t.data.length;
  return n;
}

const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Loads a causal LM of any supported architecture (GPT-2, Llama, Qwen2, Qwen3: config.json's
 * `architectures`) from a local HF folder or a hub id (downloaded to the HF cache), optionally with
 * a quantized frozen base and LoRA adapters (fresh, or from `adapterPath`).
 */
export async function loadCausalLM(pathOrHubId: string, options: LoadCausalLMOptions = {}): Promise<CausalLM> {
  const backend = await initRuntimeForModel(
    { ...(options.backend !== undefined ? { backend: options.backend } : {}), ...(options.accel !== undefined ? { accel: options.accel } : {}) },
    options.log,
  );
  const dir = await resolveModelFiles(pathOrHubId, options);
  const modelConfig = await readModelConfig(dir);
  const tensors = checkTensors(modelConfig, await readSafetensorsFolder(dir), dir);
  const generation = await readGenerationDefaults(dir);
  const tokenizer = options.tokenizer ?? (await loadTokenizer(dir).catch((e: unknown) => (e instanceof ModelFilesNotFoundError ? undefined : Promise.reject(e))));
  const catalog = linearModuleCatalog(modelConfig);

  let lora = options.lora;
  let adapter: Awaited<ReturnType<typeof loadPeftAdapter>> | undefined;
  if (options.adapterPath !== undefined) {
    adapter = await loadPeftAdapter(options.adapterPath);
    const c = adapter.config;
    lora = { r: c.r, alpha: c.alpha, dropout: c.dropout, targetModules: c.targetModules, useRslora: c.useRslora, seed: lora?.seed };
  }
  const requested = lora ? expandAllLinear(lora.targetModules ?? catalog.defaultTargets, catalog) : [];
  const targets = new Set(lora ? resolveLoraTargets(requested, catalog) : []);
  const resolvedLora = lora && {
    r: lora.r,
    alpha: lora.alpha,
    dropout: lora.dropout ?? 0,
    seed: lora.seed ?? 0,
    useRslora: lora.useRslora ?? false,
    // A regular expression is saved as the module paths it matched (PEFT suffix-matches list entries).
    targetModules: typeof requested === 'string' ? [...targets] : [...requested],
  };
  const adapterSwitch: AdapterSwitch = { enabled: true };
  const dropoutClock: DropoutClock = { step: 0 };
  const loraLayers = new Map<string, LoraConv1D>();
  const quant = options.quantization ?? 'none';
  if (options.fullFineTuning && (quant !== 'none' || lora)) {
    throw new LoraError(`loadCausalLM(${pathOrHubId}): fullFineTuning trains the fp32 projections themselves; it cannot be combined with ${quant !== 'none' ? `quantization '${quant}'` : 'LoRA adapters'}.`);
  }
  const makeConv1D: Conv1DFactory = (name, weight, bias, spec) => {
    const base: Conv1DLayer =
      quant === 'none'
        ? new DenseConv1D(weight, bias, { name, trainable: options.fullFineTuning ?? false, trainableBias: spec?.hasBias ?? true })
        : createQuantizedConv1D(weight, bias, quant, { name, doubleQuant: options.doubleQuant ?? true });
    if (!resolvedLora || !targets.has(name)) return base;
    const layer = new LoraConv1D(base, { ...resolvedLora, name, adapterSwitch, dropoutClock });
    loraLayers.set(name, layer);
    return layer;
  };
  const model = buildTransformer(modelConfig, tensors, {
    makeConv1D,
    gradientCheckpointing: options.gradientCheckpointing,
    ...(generation.eosTokenIds ? { eosTokenIds: generation.eosTokenIds } : {}),
  });
  if (adapter) loadPeftTensors(loraLayers, adapter.tensors, options.adapterPath as string, catalog);
  const lm = new CausalLM({
    model,
    tokenizer,
    loraLayers,
    lora: resolvedLora,
    adapterSwitch,
    dropoutClock,
    baseModelNameOrPath: pathOrHubId,
    fp32Bytes: fp32Bytes(tensors),
    quantCacheDuringGenerate: options.quantCacheDuringGenerate,
    nativeDecode: options.nativeDecode,
    nativeDecodeThreads: options.nativeDecodeThreads,
    log: options.log,
  });
  options.log?.(
    `loaded ${pathOrHubId} (${model.architecture}) on ${backend}: weights ${MiB(lm.memory.fp32Bytes)} as fp32 → ${MiB(lm.memory.loadedBytes)} held (${quant}${resolvedLora ? `, LoRA r=${resolvedLora.r} on ${targets.size} modules` : ''})`,
  );
  return lm;
}

/**
 * The model `grpojs serve` samples with and its named LoRA adapters. Adapters are held as host
 * tensors and copied into the model's LoRA layers when a request names another one; an adapter with
 * another rank, alpha or target set reloads the model with it. One request runs at a time (see
 * server.ts), so the weights never change under a generate call.
 */
import { basename, resolve } from 'node:path';
import { type CausalLM, type HostTensor, type PeftAdapterConfig, loadCausalLM, loadPeftAdapter, loadPeftTensors } from '@grpojs/model';

/** How the slot loads models. */
export interface PolicySlotOptions {
  /** The base model folder (or hub id). */
  model: string;
  /** Name clients use for the base model; default the folder's name. */
  servedModelName?: string;
  loadOptions?: Omit<Parameters<typeof loadCausalLM>[1], 'adapterPath' | 'lora'>;
}

interface Adapter {
  path: string;
  config: PeftAdapterConfig;
  tensors: Map<string, HostTensor>;
  loadedAt: number;
}

/** See the file comment. */
export class PolicySlot {
  readonly servedModelName: string;
  private readonly adapters = new Map<string, Adapter>();
  /** The adapter whose tensors are in the model's LoRA layers. */
  private applied: string | null = null;
  /** Where the base weights come from: the --model folder, or the latest update_weights_from_disk folder. */
  private baseSource: string;

  private constructor(
    private model: CausalLM,
    private readonly options: PolicySlotOptions,
  ) {
    this.servedModelName = options.servedModelName ?? basename(resolve(options.model));
    this.baseSource = options.model;
  }

  static async open(options: PolicySlotOptions): Promise<PolicySlot> {
    return new PolicySlot(await loadCausalLM(options.model, { ...options.loadOptions }), options);
  }

  /** The loaded adapters, oldest first. */
  adapterList(): { name: string; path: string; loadedAt: number }[] {
    return [...this.adapters].map(([name, a]) => ({ name, path: a.path, loadedAt: a.loadedAt }));
  }

  has(name: string): boolean {
    return name === this.servedModelName || this.adapters.has(name);
  }

  /** Reads a PEFT folder under `name`; replaces an adapter of that name only with `inplace`. */
  async load(name: string, path: string, inplace: boolean): Promise<void> {
    if (name === this.servedModelName) throw new SlotRequestError(400, `lora_name "${name}" is the base model's name; pick another.`);
    if (this.adapters.has(name) && !inplace) throw new SlotRequestError(400, `The lora adapter "${name}" has already been loaded; pass load_inplace: true to replace it.`);
    let read: Awaited<ReturnType<typeof loadPeftAdapter>>;
    try {
      read = await loadPeftAdapter(path);
    } catch (error) {
      throw new SlotRequestError(400, `Cannot load the adapter at lora_path ${path}: ${(error as Error).message}`);
    }
    this.adapters.set(name, { path, config: read.config, tensors: read.tensors, loadedAt: Date.now() });
    if (this.applied === name) this.applied = null; // new weights under the same name
  }

  /**
   * Replaces the base weights with a full model folder (SGLang's update_weights_from_disk), served
   * under the same name; loaded adapters are applied on the new base when next requested.
   */
  async replaceBase(path: string): Promise<void> {
    let next: CausalLM;
    try {
      next = await loadCausalLM(path, { ...this.options.loadOptions });
    } catch (error) {
      throw new SlotRequestError(400, `Cannot load the model at model_path ${path}: ${(error as Error).message}`);
    }
    this.model.dispose();
    this.model = next;
    this.baseSource = path;
    this.applied = null;
  }

  unload(name: string): void {
    if (!this.adapters.delete(name)) throw new SlotRequestError(404, `The lora adapter "${name}" is not loaded.`);
    if (this.applied === name) this.applied = null;
  }

  /**
   * Runs `fn` with the model set up for `name`: the base model (adapters off), or that adapter's
   * weights in the LoRA layers.
   */
  async with<T>(name: string, fn: (model: CausalLM) => Promise<T>): Promise<T> {
    if (name === this.servedModelName) {
      const model = this.model;
      return model.loraLayers.size > 0 ? model.withAdaptersDisabled(() => fn(model)) : fn(model);
    }
    const adapter = this.adapters.get(name);
    if (!adapter) throw new SlotRequestError(404, `The model "${name}" does not exist (served: ${[this.servedModelName, ...this.adapters.keys()].join(', ')}).`);
    if (this.applied !== name) {
      if (!this.fits(adapter.config)) {
        const next = await loadCausalLM(this.baseSource, { ...this.options.loadOptions, adapterPath: adapter.path });
        this.model.dispose();
        this.model = next;
      } else {
        loadPeftTensors(this.model.loraLayers, adapter.tensors, adapter.path, this.model.linearModules);
      }
      this.applied = name;
    }
    return fn(this.model);
  }

  /** True when the model's LoRA layers have the adapter's rank, scaling and targets. */
  private fits(config: PeftAdapterConfig): boolean {
    const lora = this.model.lora;
    if (!lora || this.model.loraLayers.size === 0) return false;
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);
    return lora.r === config.r && lora.alpha === config.alpha && lora.useRslora === config.useRslora && same(lora.targetModules, config.targetModules);
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** A request the slot refuses, with the HTTP status to answer. */
export class SlotRequestError extends Error {
  override readonly name = 'SlotRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

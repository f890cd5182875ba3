/**
 * LoRA adapters in the PEFT folder format (`PeftModel.from_pretrained(base, dir)` loads what we
 * save, and we load what PEFT saves): adapter_config.json with sorted keys and
 * adapter_model.safetensors with metadata {"format": "pt"} and names
 * `base_model.model.<module>.lora_A.weight` [r, in] / `lora_B.weight` [out, r], e.g.
 * `base_model.model.transformer.h.0.attn.c_attn` (GPT-2), `base_model.model.model.layers.0.self_attn.q_proj` (Llama).
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic-write.js';
import { CheckpointTensorError, ModelConfigError, ModelFilesNotFoundError } from '../io/errors.js';
import { type HostTensor, readSafetensors, writeSafetensors } from '../io/safetensors.js';

/** The LoRA hyper-parameters stored in adapter_config.json. */
export interface LoraFileConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names as PEFT matches them (`c_attn`, `c_proj`, …). */
  targetModules: string[];
  /** Whether the base weights are stored [in, out] (GPT-2's Conv1D: true, the default) or as nn.Linear [out, in] (false). */
  fanInFanOut?: boolean;
}

/** A loaded adapter_config.json. `raw` keeps every key, known or not. */
export interface PeftAdapterConfig extends LoraFileConfig {
  baseModelNameOrPath: string | null;
  /** true for GPT-2 (Conv1D stores weights [in, out]). */
  fanInFanOut: boolean;
  /** Scaling alpha/√r instead of alpha/r. */
  useRslora: boolean;
  raw: Record<string, unknown>;
}

/** What {@link savePeftAdapter} writes. */
export interface SavePeftAdapterOptions {
  loraConfig: LoraFileConfig;
  /** Hub id or path of the base model, recorded for `PeftModel.from_pretrained`. */
  baseModelNameOrPath: string;
  /** PEFT tensor name → tensor (see the file header for names and shapes). */
  tensors: Map<string, HostTensor>;
}

const LORA_NAME = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/** The adapter_config.json object PEFT writes for a LoRA (GPT-2's Conv1D unless `fanInFanOut` is false), keys sorted. */
export function peftAdapterConfigJson(lora: LoraFileConfig, baseModelNameOrPath: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    alpha_pattern: {},
    base_model_name_or_path: baseModelNameOrPath,
    bias: 'none',
    fan_in_fan_out: lora.fanInFanOut ?? true,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...lora.targetModules].sort(),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}

/**
 * Checks adapter tensors: PEFT names, 2-D, A is [r, in], B is [out, r], every A has its B.
 * @throws CheckpointTensorError naming the tensor.
 */
function validateLoraTensors(tensors: Map<string, HostTensor>, r: number, source: string): void {
  const modules = new Map<string, { A?: HostTensor; B?: HostTensor }>();
  for (const [name, tensor] of tensors) {
    const match = LORA_NAME.exec(name);
    if (match === null) {
      throw new CheckpointTensorError(
        `${source}: tensor "${name}" is not a PEFT LoRA name (expected base_model.model.<module>.lora_A.weight / lora_B.weight).`,
        source,
      );
    }
    const [, module, which] = match;
    const [rows, cols] = tensor.shape;
    const rankOk = tensor.shape.length === 2 && (which === 'A' ? rows === r : cols === r);
    if (!rankOk) {
      const expected = which === 'A' ? `[${r}, in]` : `[out, ${r}]`;
      throw new CheckpointTensorError(`${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}]; expected ${expected} for r=${r}.`, source);
    }
    const entry = modules.get(module) ?? {};
    entry[which as 'A' | 'B'] = tensor;
    modules.set(module, entry);
  }
  for (const [module, { A, B }] of modules) {
    if (A === undefined || B === undefined) {
      const missing = `base_model.model.${module}.lora_${A === undefined ? 'A' : 'B'}.weight`;
      throw new CheckpointTensorError(`${source}: missing tensor "${missing}" (each LoRA module needs lora_A and lora_B).`, source);
    }
  }
}

/**
 * Writes a PEFT LoRA adapter folder: adapter_config.json and adapter_model.safetensors (F32,
 * metadata {"format": "pt"}), atomically.
 * @throws CheckpointTensorError when a tensor name or shape does not fit the PEFT layout.
 */
export async function savePeftAdapter(dir: string, options: SavePeftAdapterOptions): Promise<void> {
  const { loraConfig } = options;
  if (!(Number.isInteger(loraConfig.r) && loraConfig.r > 0)) {
    throw new ModelConfigError(`savePeftAdapter(${dir}): loraConfig.r must be a positive integer, got ${loraConfig.r}.`, dir);
  }
  validateLoraTensors(options.tensors, loraConfig.r, `savePeftAdapter(${dir})`);
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'adapter_model.safetensors'), options.tensors, { metadata: { format: 'pt' } });
  await writeJsonAtomic(join(dir, 'adapter_config.json'), peftAdapterConfigJson(loraConfig, options.baseModelNameOrPath));
}

function field<T>(raw: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string, file: string): T {
  const value = raw[key];
  if (!check(value)) {
    throw new ModelConfigError(`${file}: field "${key}" = ${JSON.stringify(value)} is invalid; expected ${what}.`, file);
  }
  return value;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Parses and validates an adapter_config.json object (only LoRA adapters are supported). */
export function parsePeftAdapterConfig(raw: Record<string, unknown>, file: string): PeftAdapterConfig {
  if (raw.peft_type !== 'LORA') {
    throw new ModelConfigError(`${file}: field "peft_type" = ${JSON.stringify(raw.peft_type)}; only "LORA" adapters are supported.`, file);
  }
  const r = field(raw, 'r', (v): v is number => Number.isInteger(v) && (v as number) > 0, 'a positive integer', file);
  const alpha = field(raw, 'lora_alpha', isNumber, 'a number', file);
  const dropout = raw.lora_dropout === undefined ? 0 : field(raw, 'lora_dropout', isNumber, 'a number in [0, 1)', file);
  const targets = raw.target_modules;
  const targetModules =
    typeof targets === 'string' ? [targets] : field(raw, 'target_modules', (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'a list of module names', file);
  const base = raw.base_model_name_or_path;
  return {
    r,
    alpha,
    dropout,
    targetModules: [...targetModules],
    baseModelNameOrPath: typeof base === 'string' ? base : null,
    fanInFanOut: raw.fan_in_fan_out === true,
    useRslora: raw.use_rslora === true,
    raw,
  };
}

/**
 * Reads a PEFT LoRA adapter folder (ours or one PEFT saved).
 * @returns the parsed config and the tensors by PEFT name (f32).
 * @throws ModelFilesNotFoundError when the files are missing (or only adapter_model.bin exists),
 *   ModelConfigError / CheckpointTensorError naming the field or tensor at fault.
 */
export async function loadPeftAdapter(dir: string): Promise<{ config: PeftAdapterConfig; tensors: Map<string, HostTensor> }> {
  const configFile = join(dir, 'adapter_config.json');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFilesNotFoundError(`${configFile}: not found; ${dir} is not a PEFT adapter folder.`, configFile);
    throw new ModelConfigError(`${configFile}: not valid JSON (${(error as Error).message}).`, configFile);
  }
  const config = parsePeftAdapterConfig(raw, configFile);
  const weights = join(dir, 'adapter_model.safetensors');
  try {
    await access(weights);
  } catch {
    const hasBin = await access(join(dir, 'adapter_model.bin')).then(
      () => true,
      () => false,
    );
    throw new ModelFilesNotFoundError(
      `${weights}: not found${hasBin ? ' (only adapter_model.bin, a PyTorch pickle: re-save it with safe_serialization=True)' : ''}.`,
      weights,
    );
  }
  const tensors = await readSafetensors(weights);
  validateLoraTensors(tensors, config.r, weights);
  return { config, tensors };
}

/**
 * Which GPT-2 Conv1D modules get LoRA adapters, and their PEFT tensor names. PEFT matches a
 * target string against each module's full name: equal, or a suffix after a dot. So `c_proj`
 * targets both `attn.c_proj` and `mlp.c_proj`, `attn.c_proj` only the attention one, and
 * `h.0.attn.c_attn` a single layer.
 */
import type { HostTensor } from './safetensors.js';
import { LoraError } from './adapter-errors.js';
import type { LoraConv1D } from './lora.js';

/** The Conv1D modules of a GPT-2 block, in the order of a forward pass. */
export const GPT2_CONV1D_MODULES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;

/** PEFT's default target for GPT-2. */
export const DEFAULT_LORA_TARGETS: readonly string[] = ['c_attn'];

/**
 * Module paths (`h.{i}.attn.c_attn`, …) matched by `targetModules` in a model of `nLayer` blocks,
 * ordered by layer then module. A list matches by name suffix; a single string is, as in PEFT, a
 * regular expression that must match the whole module name (`transformer.h.0.attn.c_attn`).
 * Throws when a target matches nothing (as PEFT does).
 */
export function resolveLoraTargets(targetModules: readonly string[] | string, nLayer: number): string[] {
  if (typeof targetModules === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${targetModules})$`);
    } catch (error) {
      throw new LoraError(`lora.targetModules: '${targetModules}' is not a valid regular expression (${(error as Error).message}).`);
    }
    const found: string[] = [];
    for (let i = 0; i < nLayer; i++) for (const m of GPT2_CONV1D_MODULES) if (re.test(`transformer.h.${i}.${m}`)) found.push(`h.${i}.${m}`);
    if (found.length === 0) {
      throw new LoraError(`lora.targetModules: the regular expression '${targetModules}' matches no module name like 'transformer.h.0.attn.c_attn'.`);
    }
    return found;
  }
  if (targetModules.length === 0) {
    throw new LoraError(`lora.targetModules is empty; use e.g. ["c_attn"] or any of ${GPT2_CONV1D_MODULES.join(', ')}.`);
  }
  const paths: string[] = [];
  for (let i = 0; i < nLayer; i++) for (const m of GPT2_CONV1D_MODULES) paths.push(`h.${i}.${m}`);
  const matches = (path: string, target: string): boolean => {
    const key = `transformer.${path}`;
    return key === target || key.endsWith(`.${target}`);
  };
  for (const t of targetModules) {
    if (!paths.some((p) => matches(p, t))) {
      throw new LoraError(
        `lora.targetModules: '${t}' matches no Conv1D of this GPT-2 (${nLayer} layers); valid names: c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj, h.<i>.attn.c_attn, ….`,
      );
    }
  }
  return paths.filter((p) => targetModules.some((t) => matches(p, t)));
}

/** `base_model.model.transformer.{modulePath}`, the PEFT prefix of a module's lora tensors. */
export function peftPrefix(modulePath: string): string {
  return `base_model.model.transformer.${modulePath}`;
}

const PEFT_NAME = /^base_model\.model\.transformer\.(h\.\d+\.(?:attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj))\.lora_([AB])\.weight$/;

/** Parses a PEFT GPT-2 LoRA tensor name; null when it is not one. */
export function peftNameToModulePath(name: string): { modulePath: string; which: 'A' | 'B' } | null {
  const m = PEFT_NAME.exec(name);
  return m ? { modulePath: m[1], which: m[2] as 'A' | 'B' } : null;
}

/** All adapters' tensors under their PEFT names (host copies), for savePeftAdapter. */
export function collectPeftTensors(layers: ReadonlyMap<string, LoraConv1D>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [path, layer] of layers) for (const [k, v] of layer.peftTensors(peftPrefix(path))) out.set(k, v);
  return out;
}

/**
 * Loads PEFT tensors into the given adapters. Every adapter must find its A and B, and every
 * tensor must belong to an adapter; errors name the tensor and `source` (the adapter file).
 */
export function loadPeftTensors(
  layers: ReadonlyMap<string, LoraConv1D>,
  tensors: ReadonlyMap<string, HostTensor>,
  source: string,
): void {
  for (const name of tensors.keys()) {
    const parsed = peftNameToModulePath(name);
    if (!parsed || !layers.has(parsed.modulePath)) {
      throw new LoraError(
        `${source}: tensor '${name}' has no matching LoRA layer (this model adapts ${[...layers.keys()].join(', ') || 'nothing'}); check target_modules.`,
      );
    }
  }
  for (const [path, layer] of layers) {
    const prefix = peftPrefix(path);
    const a = tensors.get(`${prefix}.lora_A.weight`);
    const b = tensors.get(`${prefix}.lora_B.weight`);
    if (!a || !b) throw new LoraError(`${source}: missing '${prefix}.lora_${a ? 'B' : 'A'}.weight'.`);
    layer.loadPeftTensors(a, b, `${source}: ${prefix}`);
  }
}

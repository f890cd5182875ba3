/**
 * Which projections get LoRA adapters (GPT-2's Conv1Ds, any architecture's through its
 * {@link LinearModuleCatalog}), and their PEFT tensor names. PEFT matches a
 * target string against each module's full name: equal, or a suffix after a dot. So `c_proj`
 * targets both `attn.c_proj` and `mlp.c_proj`, `attn.c_proj` only the attention one, and
 * `h.0.attn.c_attn` a single layer.
 */
import type { HostTensor } from '../io/safetensors.js';
import { LoraError } from './errors.js';
import type { LoraConv1D } from './lora.js';

/** The Conv1D modules of a GPT-2 block, in the order of a forward pass. */
export const GPT2_CONV1D_MODULES = ['attn.c_attn', 'attn.c_proj', 'mlp.c_fc', 'mlp.c_proj'] as const;

/** PEFT's default target for GPT-2. */
export const DEFAULT_LORA_TARGETS: readonly string[] = ['c_attn'];

/** PEFT's special target: every linear projection of the blocks (not the LM head). */
export const ALL_LINEAR = 'all-linear';

/** The projections of an architecture that LoRA can target, and how PEFT names them. */
export interface LinearModuleCatalog {
  /** Named in errors (`GPT-2`, `llama`). */
  architecture: string;
  /** Module paths in model order, as the model's `linearLayers()` keys them. */
  paths: readonly string[];
  /** What turns a path into the module's name in the transformers model (`transformer.` for GPT-2). */
  prefix: string;
  /** The per-block module names, for error hints (`attn.c_attn`, `self_attn.q_proj`, …). */
  blockModules: readonly string[];
  /** PEFT's default targets for this architecture. */
  defaultTargets: readonly string[];
}

/** GPT-2's catalog for `nLayer` blocks (`h.{i}.attn.c_attn`, … under `transformer.`). */
export function gpt2LinearModules(nLayer: number): LinearModuleCatalog {
  const paths: string[] = [];
  for (let i = 0; i < nLayer; i++) for (const m of GPT2_CONV1D_MODULES) paths.push(`h.${i}.${m}`);
  return { architecture: 'GPT-2', paths, prefix: 'transformer.', blockModules: GPT2_CONV1D_MODULES, defaultTargets: DEFAULT_LORA_TARGETS };
}

/** `all-linear` (alone, as a string or a one-element list) → every distinct module leaf name; other values unchanged. */
export function expandAllLinear(targetModules: readonly string[] | string, catalog: LinearModuleCatalog): readonly string[] | string {
  const isAll = targetModules === ALL_LINEAR || (Array.isArray(targetModules) && targetModules.length === 1 && targetModules[0] === ALL_LINEAR);
  if (!isAll) return targetModules;
  return [...new Set(catalog.blockModules.map((m) => m.slice(m.lastIndexOf('.') + 1)))];
}

/**
 * Module paths matched by `targetModules`, in model order. A list matches by name suffix; a single
 * string is, as in PEFT, a regular expression that must match the whole module name
 * (`transformer.h.0.attn.c_attn`, `model.layers.0.self_attn.q_proj`); `all-linear` is every
 * projection. `modules` is the architecture's catalog, or a GPT-2 block count.
 * Throws when a target matches nothing (as PEFT does).
 */
export function resolveLoraTargets(targetModules: readonly string[] | string, modules: number | LinearModuleCatalog): string[] {
  const catalog = typeof modules === 'number' ? gpt2LinearModules(modules) : modules;
  const targets = expandAllLinear(targetModules, catalog);
  const fullName = (path: string): string => `${catalog.prefix}${path}`;
  const example = fullName(catalog.paths[0] ?? '');
  if (typeof targets === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${targets})$`);
    } catch (error) {
      throw new LoraError(`lora.targetModules: '${targets}' is not a valid regular expression (${(error as Error).message}).`);
    }
    const found = catalog.paths.filter((p) => re.test(fullName(p)));
    if (found.length === 0) {
      throw new LoraError(`lora.targetModules: the regular expression '${targets}' matches no module name like '${example}'.`);
    }
    return found;
  }
  if (targets.length === 0) {
    throw new LoraError(`lora.targetModules is empty; use e.g. ${JSON.stringify(catalog.defaultTargets)} or any of ${catalog.blockModules.join(', ')}.`);
  }
  const matches = (path: string, target: string): boolean => {
    const key = fullName(path);
    return key === target || key.endsWith(`.${target}`);
  };
  for (const t of targets) {
    if (!catalog.paths.some((p) => matches(p, t))) {
      const leaves = [...new Set(catalog.blockModules.map((m) => m.slice(m.lastIndexOf('.') + 1)))];
      throw new LoraError(
        `lora.targetModules: '${t}' matches no ${catalog.architecture === 'GPT-2' ? 'Conv1D of this GPT-2' : `projection of this ${catalog.architecture}`} (${catalog.paths.length / catalog.blockModules.length} layers); valid names: ${[...leaves, ...catalog.blockModules.filter((m) => !leaves.includes(m))].join(', ')}, ${catalog.paths[0]}, ….`,
      );
    }
  }
  return catalog.paths.filter((p) => targets.some((t) => matches(p, t)));
}

/** `base_model.model.{prefix}{modulePath}`, the PEFT prefix of a module's lora tensors (GPT-2's prefix by default). */
export function peftPrefix(modulePath: string, catalog?: LinearModuleCatalog): string {
  return `base_model.model.${catalog?.prefix ?? 'transformer.'}${modulePath}`;
}

const PEFT_NAME = /^base_model\.model\.transformer\.(h\.\d+\.(?:attn\.c_attn|attn\.c_proj|mlp\.c_fc|mlp\.c_proj))\.lora_([AB])\.weight$/;
const PEFT_ANY_NAME = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/** Parses a PEFT LoRA tensor name (GPT-2's, or one of `catalog`'s modules); null when it is not one. */
export function peftNameToModulePath(name: string, catalog?: LinearModuleCatalog): { modulePath: string; which: 'A' | 'B' } | null {
  if (catalog === undefined) {
    const m = PEFT_NAME.exec(name);
    return m ? { modulePath: m[1], which: m[2] as 'A' | 'B' } : null;
  }
  const m = PEFT_ANY_NAME.exec(name);
  if (!m || !m[1].startsWith(catalog.prefix)) return null;
  const modulePath = m[1].slice(catalog.prefix.length);
  return catalog.paths.includes(modulePath) ? { modulePath, which: m[2] as 'A' | 'B' } : null;
}

/** All adapters' tensors under their PEFT names (host copies), for savePeftAdapter. */
export function collectPeftTensors(layers: ReadonlyMap<string, LoraConv1D>, catalog?: LinearModuleCatalog): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [path, layer] of layers) for (const [k, v] of layer.peftTensors(peftPrefix(path, catalog))) out.set(k, v);
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
  catalog?: LinearModuleCatalog,
): void {
  for (const name of tensors.keys()) {
    const parsed = peftNameToModulePath(name, catalog);
    if (!parsed || !layers.has(parsed.modulePath)) {
      throw new LoraError(
        `${source}: tensor '${name}' has no matching LoRA layer (this model adapts ${[...layers.keys()].join(', ') || 'nothing'}); check target_modules.`,
      );
    }
  }
  for (const [path, layer] of layers) {
    const prefix = peftPrefix(path, catalog);
    const a = tensors.get(`${prefix}.lora_A.weight`);
    const b = tensors.get(`${prefix}.lora_B.weight`);
    if (!a || !b) throw new LoraError(`${source}: missing '${prefix}.lora_${a ? 'B' : 'A'}.weight'.`);
    layer.loadPeftTensors(a, b, `${source}: ${prefix}`);
  }
}

/**
 * Folding LoRA adapters into (and back out of) GPT-2 Conv1D weights on the host, for export as a
 * plain HF checkpoint that loads in `transformers` without `peft` (PEFT's `merge_and_unload`):
 * W[in, out] ± scaling · (B·A)ᵀ with A = lora_A.weight [r, in], B = lora_B.weight [out, r]. The
 * update is accumulated in float64 and added once, so merge followed by unmerge returns W to
 * within one float32 rounding of each element.
 */
import type { HostTensor } from '../io/safetensors.js';
import { LoraError } from './errors.js';
import { peftNameToModulePath } from './lora-targets.js';

/** Shape of one adapter. */
export interface LoraShape {
  r: number;
  inFeatures: number;
  outFeatures: number;
}

/**
 * W + sign · scaling · (B·A)ᵀ for a flattened Conv1D weight [in, out]; returns a new array.
 * `name` is used in errors.
 */
export function addLoraDelta(
  weightInOut: Float32Array,
  loraA: Float32Array,
  loraB: Float32Array,
  shape: LoraShape,
  scaling: number,
  name: string,
  sign: 1 | -1 = 1,
): Float32Array {
  const { r, inFeatures: nIn, outFeatures: nOut } = shape;
  if (weightInOut.length !== nIn * nOut || loraA.length !== r * nIn || loraB.length !== nOut * r) {
    throw new LoraError(
      `${name}: weight has ${weightInOut.length} values, lora_A ${loraA.length}, lora_B ${loraB.length}; expected [${nIn}, ${nOut}], [${r}, ${nIn}], [${nOut}, ${r}].`,
    );
  }
  const out = new Float32Array(weightInOut.length);
  const col = new Float64Array(r);
  for (let o = 0; o < nOut; o++) {
    for (let k = 0; k < r; k++) col[k] = loraB[o * r + k];
    for (let i = 0; i < nIn; i++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += col[k] * loraA[k * nIn + i];
      out[i * nOut + o] = weightInOut[i * nOut + o] + sign * scaling * s;
    }
  }
  return out;
}

/** LoRA hyper-parameters needed to merge (PEFT adapter_config.json: r, lora_alpha, use_rslora). */
export interface LoraMergeConfig {
  r: number;
  alpha: number;
  useRslora?: boolean;
}

function applyAdapters(
  canonical: Map<string, HostTensor>,
  peft: Map<string, HostTensor>,
  config: LoraMergeConfig,
  sign: 1 | -1,
): Map<string, HostTensor> {
  const scaling = config.useRslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
  const modules = new Set<string>();
  for (const name of peft.keys()) {
    const parsed = peftNameToModulePath(name);
    if (!parsed) {
      throw new LoraError(
        `Adapter tensor '${name}' is not a PEFT LoRA name (base_model.model.transformer.<module>.lora_{A,B}.weight).`,
      );
    }
    modules.add(parsed.modulePath);
  }
  const out = new Map(canonical);
  for (const modulePath of [...modules].sort()) {
    const prefix = `base_model.model.transformer.${modulePath}`;
    const a = peft.get(`${prefix}.lora_A.weight`);
    const b = peft.get(`${prefix}.lora_B.weight`);
    const w = canonical.get(`${modulePath}.weight`);
    if (!a || !b) throw new LoraError(`Adapter for '${modulePath}' lacks ${a ? 'lora_B' : 'lora_A'}.weight.`);
    if (!w) throw new LoraError(`Adapter targets '${modulePath}' but the model has no tensor '${modulePath}.weight'.`);
    const [nIn, nOut] = w.shape;
    const shape = { r: config.r, inFeatures: nIn, outFeatures: nOut };
    if (a.shape[0] !== config.r || a.shape[1] !== nIn || b.shape[0] !== nOut || b.shape[1] !== config.r) {
      throw new LoraError(
        `${prefix}: lora_A [${a.shape.join(', ')}] / lora_B [${b.shape.join(', ')}] do not fit weight [${nIn}, ${nOut}] with r = ${config.r} (expected [${config.r}, ${nIn}] / [${nOut}, ${config.r}]).`,
      );
    }
    out.set(`${modulePath}.weight`, {
      shape: [nIn, nOut],
      data: addLoraDelta(w.data, a.data, b.data, shape, scaling, prefix, sign),
    });
  }
  return out;
}

/**
 * Merges a PEFT adapter into canonical GPT-2 tensors (`h.{i}.attn.c_attn.weight` …, see
 * canonicalGPT2Tensors). Returns a new map; untouched tensors are shared, not copied.
 */
export function mergeLoraIntoTensors(
  canonical: Map<string, HostTensor>,
  peft: Map<string, HostTensor>,
  config: LoraMergeConfig,
): Map<string, HostTensor> {
  return applyAdapters(canonical, peft, config, 1);
}

/** The inverse of {@link mergeLoraIntoTensors} (subtracts the same update). */
export function unmergeLoraFromTensors(
  canonical: Map<string, HostTensor>,
  peft: Map<string, HostTensor>,
  config: LoraMergeConfig,
): Map<string, HostTensor> {
  return applyAdapters(canonical, peft, config, -1);
}

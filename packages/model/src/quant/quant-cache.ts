/**
 * A scoped dequantized-weight cache for generation. A quantized layer decodes its weight on every
 * call, which during token-by-token generation means one full decode (and, on wasm, one XNNPACK
 * re-pack of the fresh weight) per layer per token. The frozen base cannot change during one
 * rollout, so {@link QuantCacheScope.run} keeps every quantized layer's fp32 weight for the
 * duration of one call and frees it after: memory goes up to the fp32 size of the projections
 * while the call runs and back to the packed size when it returns.
 */
import type { Conv1DLayer } from '../ops/linear.js';
import type { QuantizedConv1D } from './quantized-conv1d.js';

function isQuantized(layer: Conv1DLayer): layer is QuantizedConv1D {
  return typeof (layer as Partial<QuantizedConv1D>).setDequantizedCache === 'function';
}

/** The quantized layers among `layers`, looking through wrappers (`base`, e.g. LoRA). */
export function quantizedLayers(layers: Iterable<Conv1DLayer>): QuantizedConv1D[] {
  const out: QuantizedConv1D[] = [];
  for (let layer of layers) {
    for (;;) {
      if (isQuantized(layer)) {
        out.push(layer);
        break;
      }
      const base = (layer as { base?: Conv1DLayer }).base;
      if (base === undefined) break;
      layer = base;
    }
  }
  return out;
}

/**
 * Turns the dequantized cache of a fixed set of quantized layers on for the duration of
 * {@link run} calls (nested or overlapping calls share one cache; it is freed when the last one
 * ends). Layers whose cache was already on when the first call began are left as they were.
 */
export class QuantCacheScope {
  private depth = 0;
  private switched: QuantizedConv1D[] = [];

  constructor(private readonly layers: readonly QuantizedConv1D[]) {}

  /** Runs `fn` with every layer's fp32 weight cached; frees the caches it created afterwards. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.depth++ === 0) {
      this.switched = this.layers.filter((l) => !l.dequantizedCacheEnabled);
      for (const l of this.switched) l.setDequantizedCache(true);
    }
    try {
      return await fn();
    } finally {
      if (--this.depth === 0) {
        for (const l of this.switched) l.setDequantizedCache(false);
        this.switched = [];
      }
    }
  }
}

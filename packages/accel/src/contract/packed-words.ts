// The int32 word layout of small fields (4-bit NF4 codes, 8-bit bytes) that @grpojs/model's
// quantized layers produce (quant/packing.ts, packHalves) and accel's dequantization kernels and
// decode engines read (native/napi/nf4.cc over native/kernels/nf4.h, the engines' setLinearNf4): tfjs has no uint8 dtype.
//
// Each word holds two 16-bit halves. With m words, the low halves carry fields [0, m·F) and the
// high halves fields [m·F, 2m·F), F = halfBits / bits fields per half, lowest bits first; missing
// fields at the end are padding.

/** The layout, as constants both sides check themselves against (model with `satisfies`). */
export const PACKED_WORDS = {
  wordBits: 32,
  halfBits: 16,
  /** Field j of m words sits in the low halves for j < m·F, in the high halves after. */
  order: 'low-halves-first',
  /** Within a half, field f occupies bits [bits·f, bits·(f+1)). */
  fieldOrder: 'lowest-bits-first',
  nf4Bits: 4,
  int8Bits: 8,
} as const;
export type PackedWordLayout = typeof PACKED_WORDS;

/**
 * Error classes for LoRA adapters and weight quantization. Messages name the argument, tensor or
 * module at fault, what was found, what was expected, and what to do.
 */

/** Bad input to a quantizer or a quantized layer (length, shape, block size, non-finite weight). */
export class QuantizationError extends Error {
  override name = 'QuantizationError';
}

/** Bad LoRA settings (r, alpha, dropout, target modules) or an adapter tensor of the wrong name/shape. */
export class LoraError extends Error {
  override name = 'LoraError';
}

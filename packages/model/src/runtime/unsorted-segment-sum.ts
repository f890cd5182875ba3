/**
 * `UnsortedSegmentSum` for the wasm backend, which ships without it.
 *
 * tfjs-core's gradient of `gather` (the token/position embedding lookup) is an
 * unsorted segment sum, so without this kernel any gradient that flows into an
 * embedding table fails on wasm. XNNPACK has no segment-sum primitive, so this
 * is a plain JS loop over the tensors' host-visible data: one pass over `x`,
 * which is as fast as the op can be without SIMD.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm this kernel uses. */
interface WasmLikeBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.TypedArray): tf.TensorInfo;
}

/**
 * out[s, ...] = Σ_{i : segmentIds[i] = s} x[i, ...], for s in [0, numSegments).
 * x: [...idShape, ...rest], segmentIds: idShape (int32) → [numSegments, ...rest]. Ids outside
 * [0, numSegments) are dropped, as in TensorFlow.
 */
export function unsortedSegmentSumHost(
  x: ArrayLike<number>,
  xShape: number[],
  segmentIds: ArrayLike<number>,
  idRank: number,
  numSegments: number,
  dtype: 'float32' | 'int32',
): { values: Float32Array | Int32Array; shape: number[] } {
  const rest = xShape.slice(idRank);
  const inner = rest.reduce((a, b) => a * b, 1);
  const values = dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < segmentIds.length; i++) {
    const s = segmentIds[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) values[dst + j] += x[src + j];
  }
  return { values, shape: [numSegments, ...rest] };
}

/** Registers the kernel on the wasm backend (idempotent). */
export function registerWasmUnsortedSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const wasm = backend as unknown as WasmLikeBackend;
      const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
      const { values, shape } = unsortedSegmentSumHost(
        wasm.readSync(x.dataId),
        x.shape,
        wasm.readSync(segmentIds.dataId),
        segmentIds.shape.length,
        numSegments,
        dtype,
      );
      return wasm.makeOutput(shape, dtype, undefined, values);
    },
  });
}

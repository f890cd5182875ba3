// The contract between @grpojs/accel and @grpojs/model, typed once: kernel names with their
// inputs and attrs, the decode-engine interfaces, the packed-word (NF4/int8) layout, the native
// sampler and the handle model loads. Pure TypeScript: no tfjs, no addon, so importing it
// (`@grpojs/accel/contract`) costs nothing and model imports only its types (`import type`,
// erased), getting values at run time through the loaded package's `accelApi`.
//
// Adding a kernel family: (1) its kernel names in ACCEL_KERNELS and their inputs/attrs/outputs in
// AccelKernelSignatures (kernels.ts); (2) the family and its kernel keys in ACCEL_KERNEL_FAMILIES,
// which makes it a switch of enableBlasMatMul's `kernels` option (accel/src/index.ts registers it);
// (3) in @grpojs/model: the family's field in the runtime options' `accel` switches
// (runtime/runtime-options.ts, whose type check fails until it is there), its GRPOJS_ACCEL_<NAME>
// variable in runtimeOptionsFromEnv, and the row in docs/accel.md's switch table; the op in
// model/src/ops runs the kernels with runAccelKernel and owns their gradient (tf.customGrad or a
// registered gradient beside the op).
export * from './api.js';
export * from './decode-engine.js';
export * from './kernels.js';
export * from './llama-decode-engine.js';
export * from './packed-words.js';

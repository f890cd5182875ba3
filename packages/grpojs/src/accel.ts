/**
 * Faster matmuls when available: @grpojs/accel swaps the wasm/cpu backends' matmul kernels for
 * the system BLAS (several times faster on a multi-core CPU). It is an optional dependency — a
 * machine without a compiler or BLAS installs without it — so it is imported dynamically and its
 * absence only means tfjs keeps its own kernels.
 */

/**
 * Turns on the BLAS matmul unless `wanted` is false or GRPOJS_ACCEL=0; returns a one-line status
 * (what is used, or why not) for the log. Call after the model is loaded (the backend is set).
 */
export async function enableAccel(wanted: boolean): Promise<string> {
  if (!wanted || process.env.GRPOJS_ACCEL === '0') return 'BLAS matmul off (accel: false or GRPOJS_ACCEL=0)';
  let accel: typeof import('@grpojs/accel');
  try {
    accel = await import('@grpojs/accel');
  } catch {
    return 'BLAS matmul not installed (optional @grpojs/accel); using the backend\'s own matmul';
  }
  const status = accel.enableBlasMatMul();
  return status.enabled
    ? `BLAS matmul on ${status.backends.join('/')} (${status.blas ?? 'BLAS'}, ${status.threads ?? '?'} threads)`
    : `BLAS matmul unavailable: ${status.reason}`;
}

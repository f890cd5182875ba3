// This package's tests exercise the kernels themselves, so the user-level switches that turn them
// off (GRPOJS_ACCEL=0 for an A/B run of the whole suite, GRPOJS_ACCEL_VOCAB, GRPOJS_ACCEL_GELU) are
// cleared here; lifecycle.test.ts sets GRPOJS_ACCEL itself to test that switch.
for (const name of ['GRPOJS_ACCEL', 'GRPOJS_ACCEL_VOCAB', 'GRPOJS_ACCEL_GELU']) delete process.env[name];

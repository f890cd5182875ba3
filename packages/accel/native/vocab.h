// Vocab-sized kernels of the addon (native/vocab.cc): the fused log-softmax + gather of the
// log-probs and its gradient. Registered on the module's exports by accel.cc's Init.
#pragma once
#include <napi.h>

#include <cstdint>

namespace grpojs {
void InitVocab(Napi::Env env, Napi::Object exports);

// One token drawn from row x [V] with one uniform u in [0, 1), operation for operation as
// @grpojs/model's sampleToken (so the JS sampler, the addon's sampleRow and the decode engine's
// sampleRows pick the same token): z = float(double(x) / temperature), e = ExpSampling(double(z −
// max)) over the z ≥ threshold (−Infinity: all; top-k/top-p thresholds come from JS), then the
// first index whose running sum (serially, in index order) exceeds u · Σe — the last kept one if
// rounding leaves u · Σe past the total. `scaled` [V] and `e` [V] are the caller's scratch.
int64_t SampleFromRow(const float* x, int64_t V, double temperature, float threshold, double u, float* scaled, double* e);
}  // namespace grpojs

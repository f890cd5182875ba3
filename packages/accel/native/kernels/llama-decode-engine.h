// A native decode step for the Llama family (LlamaForCausalLM, Qwen2, Qwen3), for GRPO rollouts,
// as gpt2-decode-engine.h is for GPT-2: weights in native memory, a KV cache, one token per row per
// call. Each layer: x += o_proj(attention(rotary(q, k))) on RMSNorm(x), then x += down_proj(
// silu(gate_proj(h)) · up_proj(h)) on h = RMSNorm(x); a final RMSNorm and the LM head. The cache
// holds only the key/value heads (grouped-query attention reads KV head h / group); Qwen3's per-head
// q/k RMSNorm and q/k/v/o/MLP biases are options.
//
// Weights are column panels [⌈out/8⌉][in][8] (panel-linear.h; the tied LM head is the embedding
// packed so, and embedding rows are read back from it): each panel streams contiguously once per
// step and tiles of 3 panels × 4 rows keep the FMAs fed. Frozen NF4 projections stay 4-bit codes in
// the same panel order (≈ 0.53 byte per weight), each panel group decoded to fp32 right before its
// tiles (decode-engine-base.h). Binding-free: napi/llama-decode.cc unpacks the JS options into these calls.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "decode-engine-base.h"
#include "rms-norm.h"
#include "rotary.h"
#include "swiglu.h"

namespace grpojs {

struct LlamaDecodeSpec {
  int numLayers = 0, hiddenSize = 0, numHeads = 0, numKvHeads = 0, headDim = 0, intermediateSize = 0, vocabSize = 0, maxPositions = 0;
  float rmsNormEps = 0;
  double ropeTheta = 0;
  RopeScaling ropeScaling;
  bool qkNorm = false;  // Qwen3's per-head RMSNorm of q and k
  bool tiedHead = false;
  int threads = 1;
  bool avx2 = false;  // use the AVX2 kernels (the caller checked the CPU)
};

// The linear modules of a layer, in the order of a forward pass (@grpojs/model's LLAMA_LINEAR_MODULES).
enum LlamaModule { kQ, kK, kV, kO, kGate, kUp, kDown, kLlamaModuleCount };
inline constexpr const char* kLlamaModuleNames[kLlamaModuleCount] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                                               "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

// A layer's RMSNorm weights: before attention, before the MLP, and Qwen3's per-head q and k norms.
enum class LlamaNorm { kInput, kPost, kQ, kK };

class LlamaDecodeEngine : public DecodeEngineBase {
 public:
  explicit LlamaDecodeEngine(const LlamaDecodeSpec& spec)
      : DecodeEngineBase({spec.numLayers, spec.hiddenSize, spec.vocabSize, spec.maxPositions, spec.numKvHeads, spec.headDim, spec.tiedHead},
                         spec.threads, spec.avx2),
        spec_(spec),
        invFreq_(spec.headDim / 2),
        layers_(spec.numLayers) {
    RopeInverseFrequencies(spec.headDim, spec.ropeTheta, spec.ropeScaling, invFreq_.data());
    const int C = spec.hiddenSize, QD = spec.numHeads * spec.headDim, KD = spec.numKvHeads * spec.headDim, I = spec.intermediateSize;
    const int ins[] = {C, C, C, QD, C, C, I};
    const int outs[] = {QD, KD, KD, C, I, I, C};
    SizeProjections(kLlamaModuleCount, ins, outs);
  }

  const LlamaDecodeSpec& spec() const { return spec_; }

  // A norm weight of layer `layer` ([headDim] for kQ/kK, else [hidden]); the caller checks the range.
  void SetLayerNorm(int layer, LlamaNorm which, const float* w) {
    Layer& k = layers_[layer];
    const bool head = which == LlamaNorm::kQ || which == LlamaNorm::kK;
    std::vector<float>& dst = which == LlamaNorm::kInput ? k.inputNorm : which == LlamaNorm::kPost ? k.postNorm : which == LlamaNorm::kQ ? k.qNorm : k.kNorm;
    dst.assign(w, w + (head ? spec_.headDim : spec_.hiddenSize));
  }

  // The final norm [hidden].
  void SetFinalNorm(const float* w) { finalNorm_.assign(w, w + spec_.hiddenSize); }

  // What a step still needs, as the text of an error ("" when complete).
  std::string Missing() const {
    if (!embeddingSet()) return "the token embedding (setEmbedding)";
    if (!spec_.tiedHead && !headSet()) return "the LM head (setHead)";
    if (finalNorm_.empty()) return "the final norm (setNorm which 'final')";
    for (int l = 0; l < spec_.numLayers; ++l) {
      const Layer& k = layers_[l];
      if (k.inputNorm.empty() || k.postNorm.empty() || (spec_.qkNorm && (k.qNorm.empty() || k.kNorm.empty()))) {
        return "a norm of layer " + std::to_string(l) + " (setNorm)";
      }
      for (int m = 0; m < kLlamaModuleCount; ++m) {
        if (!projection(l, m).set) return std::string(kLlamaModuleNames[m]) + " of layer " + std::to_string(l) + " (setLinear)";
      }
    }
    return "";
  }

  // Sizes the step scratch with the cache (DecodeEngineBase::ResetCache).
  void Reset(int batch, int capacity) {
    ResetCache(batch, capacity);
    const size_t B = static_cast<size_t>(batch), C = spec_.hiddenSize, D = spec_.headDim;
    x_.Reset(B * C), a_.Reset(B * C);
    q_.Reset(B * spec_.numHeads * D), y_.Reset(B * spec_.numHeads * D);
    k_.Reset(B * spec_.numKvHeads * D), v_.Reset(B * spec_.numKvHeads * D);
    gate_.Reset(B * spec_.intermediateSize), up_.Reset(B * spec_.intermediateSize);
    cos_.Reset(B * D / 2), sin_.Reset(B * D / 2);
  }

  // One token per row at cache position length() (rotary angles from positions), then length() += 1:
  // logits [B][V]. The caller checked that nothing is Missing(), the cache has room, and every
  // token and position is in range.
  void Step(const int32_t* tokens, const int32_t* positions, float* logits) {
    const int B = batch(), C = spec_.hiddenSize, H = spec_.numHeads, KV = spec_.numKvHeads, D = spec_.headDim, I = spec_.intermediateSize;
    const int half = D / 2, QD = H * D, KD = KV * D;
    const float eps = spec_.rmsNormEps;
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    Embed(tokens, B, x_.data());
    for (int b = 0; b < B; ++b) {
      RotaryAngles(positions[b], invFreq_.data(), half, cos_.data() + static_cast<size_t>(b) * half, sin_.data() + static_cast<size_t>(b) * half);
    }
    for (int l = 0; l < spec_.numLayers; ++l) {
      const Layer& w = layers_[l];
      RmsNormRows(w.inputNorm, B);
      Products({{&projection(l, kQ), a_.data(), q_.data(), QD, false},
                {&projection(l, kK), a_.data(), k_.data(), KD, false},
                {&projection(l, kV), a_.data(), v_.data(), KD, false}},
               B);
      for (int b = 0; b < B; ++b) {
        const float* c = cos_.data() + static_cast<size_t>(b) * half;
        const float* s = sin_.data() + static_cast<size_t>(b) * half;
        for (int h = 0; h < H; ++h) {
          float* q = q_.data() + static_cast<size_t>(b) * QD + h * D;
          if (spec_.qkNorm) RmsNorm(q, w.qNorm.data(), D, eps, q);
          ApplyRotary(q, c, s, half);
        }
        for (int h = 0; h < KV; ++h) {
          float* k = k_.data() + static_cast<size_t>(b) * KD + h * D;
          if (spec_.qkNorm) RmsNorm(k, w.kNorm.data(), D, eps, k);
          ApplyRotary(k, c, s, half);
        }
      }
      AppendKv(l, B, k_.data(), KD, v_.data(), KD);
      Attend(l, B, H, q_.data(), QD, scale, y_.data(), QD);
      Products({{&projection(l, kO), y_.data(), x_.data(), C, true}}, B);
      RmsNormRows(w.postNorm, B);
      Products({{&projection(l, kGate), a_.data(), gate_.data(), I, false}, {&projection(l, kUp), a_.data(), up_.data(), I, false}}, B);
      SwiGlu(gate_.data(), up_.data(), B * I, gate_.data());
      Products({{&projection(l, kDown), gate_.data(), x_.data(), C, true}}, B);
    }
    Advance();
    RmsNormRows(finalNorm_, B);
    Products({{&head(), a_.data(), logits, spec_.vocabSize, false}}, B);
  }

  // Bytes of the weights, the cache and the decoded NF4 scratch.
  double Bytes() const {
    double bytes = SharedBytes() + 4.0 * finalNorm_.size();
    for (const Layer& k : layers_) bytes += 4.0 * (k.inputNorm.size() + k.postNorm.size() + k.qNorm.size() + k.kNorm.size());
    return bytes;
  }

  // Frees the weights, the cache and the threads; the engine cannot step until its weights are set again.
  void Dispose() {
    layers_.assign(spec_.numLayers, Layer());
    finalNorm_ = {};
    x_.Reset(0), a_.Reset(0), q_.Reset(0), k_.Reset(0), v_.Reset(0), y_.Reset(0), gate_.Reset(0), up_.Reset(0), cos_.Reset(0), sin_.Reset(0);
    ReleaseShared();
  }

 private:
  struct Layer {
    std::vector<float> inputNorm, postNorm, qNorm, kNorm;  // empty: not set
  };

  // a_ = RMSNorm of B rows of x_ with `weight` [hidden].
  void RmsNormRows(const std::vector<float>& weight, int B) {
    const int C = spec_.hiddenSize;
    for (int b = 0; b < B; ++b) RmsNorm(x_.data() + static_cast<size_t>(b) * C, weight.data(), C, spec_.rmsNormEps, a_.data() + static_cast<size_t>(b) * C);
  }

  LlamaDecodeSpec spec_;
  std::vector<double> invFreq_;  // [headDim / 2]
  std::vector<Layer> layers_;
  std::vector<float> finalNorm_;
  // Step scratch: x, normed a [B·C]; q, y [B·H·D]; k, v [B·KV·D]; gate, up [B·I]; cos, sin [B·D/2].
  AlignedFloats x_, a_, q_, k_, v_, y_, gate_, up_, cos_, sin_;
};

}  // namespace grpojs

// A native GPT-2 decode step for GRPO rollouts. One token per row through the whole model is a
// handful of matrix-vector products with B ≤ ~16 rows: bound by streaming the weights from memory
// (distilgpt2: 324 MB per step), not by arithmetic. Through tfjs the step costs ~315 kernel
// dispatches and runs sgemm at M = 8 far below the memory bandwidth; here the weights sit in
// native memory packed as column panels (each streams contiguously once per step), the small ops
// between the products are plain loops, and a tiny persistent thread pool splits every product by
// output columns and the attention by (row, head). Frozen NF4 projections can stay 4-bit codes in
// panel order (~0.56 byte per weight streamed instead of 4), decoded panel group by panel group
// right before their product (decode-engine-base.h).
//
// The LayerNorm, activation, attention, NF4 and sampling math is shared with the training kernels
// and the Llama engine; this file holds the GPT-2 weights and the order of one step.
// Binding-free: napi/decode.cc unpacks the JS options into these calls.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "decode-engine-base.h"
#include "layer-norm.h"

namespace grpojs {

struct Gpt2DecodeSpec {
  int nLayer = 0, nHead = 0, nEmbd = 0, nInner = 0, vocabSize = 0, nPositions = 0;
  Activation activation = Activation::kGeluNew;  // of the MLP
  int threads = 0;                               // 0: one per hardware thread
  double eps = 0;                                // of every LayerNorm
  bool tiedHead = false;
  std::vector<float> attnScales;  // [nLayer]: the attention's score scale per layer
  bool avx2 = false;              // use the AVX2 kernels (the caller checked the CPU)
};

class Gpt2DecodeEngine : public DecodeEngineBase {
 public:
  // The projections of a block, as setLinear's `projection` numbers them.
  enum Projection { kAttn = 0, kAttnProj = 1, kFc = 2, kMlpProj = 3, kProjectionCount = 4 };

  explicit Gpt2DecodeEngine(const Gpt2DecodeSpec& spec)
      : DecodeEngineBase({spec.nLayer, spec.nEmbd, spec.vocabSize, spec.nPositions, spec.nHead, spec.nEmbd / spec.nHead, spec.tiedHead},
                         spec.threads > 0 ? spec.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), spec.avx2),
        spec_(spec),
        blocks_(spec.nLayer) {
    const int C = spec.nEmbd, I = spec.nInner;
    const int ins[] = {C, C, C, I};
    const int outs[] = {3 * C, C, I, C};
    SizeProjections(kProjectionCount, ins, outs);
  }

  const Gpt2DecodeSpec& spec() const { return spec_; }

  // index 2l = h.l.ln_1, 2l+1 = h.l.ln_2, 2·nLayer = ln_f (the caller checks the range); gamma, beta [C].
  void SetLayerNorm(int index, const float* gamma, const float* beta) {
    const int C = spec_.nEmbd;
    Norm& n = index == 2 * spec_.nLayer ? final_ : index % 2 == 0 ? blocks_[index / 2].ln1 : blocks_[index / 2].ln2;
    n.gamma.assign(gamma, gamma + C), n.beta.assign(beta, beta + C);
  }

  // wpe [nPositions][C].
  void SetPositionEmbedding(const float* w) { wpe_.assign(w, w + static_cast<size_t>(spec_.nPositions) * spec_.nEmbd); }

  // What a step still needs, as the text of an error ("" when complete).
  std::string Missing() const {
    if (!embeddingSet() || !headSet()) return "the token embedding / LM head (setTokenEmbedding, setHead when untied)";
    if (wpe_.empty()) return "the position embedding (setPositionEmbedding)";
    if (final_.gamma.empty()) return "ln_f (setLayerNorm)";
    for (int l = 0; l < spec_.nLayer; ++l) {
      const Block& k = blocks_[l];
      if (k.ln1.gamma.empty() || k.ln2.gamma.empty()) return "a LayerNorm of layer " + std::to_string(l) + " (setLayerNorm)";
      for (int p = 0; p < kProjectionCount; ++p) {
        if (!projection(l, p).set) return "a projection of layer " + std::to_string(l) + " (setLinear)";
      }
    }
    return "";
  }

  // Sizes the step scratch with the cache (DecodeEngineBase::ResetCache).
  void Reset(int batch, int capacity) {
    ResetCache(batch, capacity);
    const size_t B = static_cast<size_t>(batch), C = spec_.nEmbd;
    x_.Reset(B * C), a_.Reset(B * C), y_.Reset(B * C), qkv_.Reset(B * 3 * C), f_.Reset(B * spec_.nInner);
  }

  // One token per row at cache position length(), then length() += 1: logits [B][V]. The caller
  // checked that nothing is Missing(), the cache has room, and every token and position is in range.
  void Step(const int32_t* tokens, const int32_t* positions, float* logits) {
    const int B = batch(), C = spec_.nEmbd;
    float* x = x_.data();
    Embed(tokens, B, x);
    for (int b = 0; b < B; ++b) {
      const float* pe = wpe_.data() + static_cast<size_t>(positions[b]) * C;
      float* xb = x + static_cast<size_t>(b) * C;
      for (int c = 0; c < C; ++c) xb[c] += pe[c];
    }
    for (int l = 0; l < spec_.nLayer; ++l) {
      const Block& k = blocks_[l];
      LayerNorm(x, k.ln1, B);
      Products({{&projection(l, kAttn), a_.data(), qkv_.data(), 3 * C, false}}, B);
      // qkv rows are [q | k | v], each C = nHead · headDim wide.
      AppendKv(l, B, qkv_.data() + C, 3 * C, qkv_.data() + 2 * C, 3 * C);
      Attend(l, B, spec_.nHead, qkv_.data(), 3 * C, spec_.attnScales[l], y_.data(), C);
      Products({{&projection(l, kAttnProj), y_.data(), x, C, true}}, B);
      LayerNorm(x, k.ln2, B);
      Products({{&projection(l, kFc), a_.data(), f_.data(), spec_.nInner, false, spec_.activation}}, B);
      Products({{&projection(l, kMlpProj), f_.data(), x, C, true}}, B);
    }
    Advance();
    LayerNorm(x, final_, B);
    Products({{&head(), a_.data(), logits, spec_.vocabSize, false}}, B);
  }

  // Bytes of the weights, the cache and the decoded NF4 scratch.
  double Bytes() const { return SharedBytes() + 4.0 * wpe_.size(); }

  // Frees every buffer and stops the threads; the engine cannot step until its weights are set again.
  void Dispose() {
    for (Block& k : blocks_) k.ln1 = {}, k.ln2 = {};
    final_ = {}, wpe_ = {};
    x_.Reset(0), a_.Reset(0), qkv_.Reset(0), y_.Reset(0), f_.Reset(0);
    ReleaseShared();
  }

 private:
  struct Norm {
    std::vector<float> gamma, beta;  // [C]; empty: not set
  };
  struct Block {
    Norm ln1, ln2;
  };

  // a_ = LayerNorm of B rows of x (layer-norm.h: the training kernel's row code).
  void LayerNorm(const float* x, const Norm& n, int B) {
    const int C = spec_.nEmbd;
    for (int b = 0; b < B; ++b) {
      LayerNormRow(x + static_cast<size_t>(b) * C, n.gamma.data(), n.beta.data(), C, spec_.eps, a_.data() + static_cast<size_t>(b) * C, nullptr,
                   nullptr);
    }
  }

  Gpt2DecodeSpec spec_;
  std::vector<Block> blocks_;
  Norm final_;  // ln_f
  std::vector<float> wpe_;
  // Step scratch: x, a (normed), y (attention) [B·C]; qkv [B·3C]; f (MLP) [B·nInner].
  AlignedFloats x_, a_, y_, qkv_, f_;
};

}  // namespace grpojs

// What the two decode engines (gpt2-decode-engine.h, llama-decode-engine.h) share: one token per row
// per step on weights held in native memory as column panels (panel-linear.h; frozen NF4 weights as
// their 4-bit codes in panel order, nf4.h), a KV cache, a small thread pool with per-thread scratch,
// and the lifecycle around them: reset and load the cache, sample rows, report the memory held,
// dispose. Binding-free; napi/decode-engine-binding.h validates the JS options and calls these.
//
// Determinism: every output element is computed by exactly one thread with the same instruction
// sequence whatever the thread count or timing (threads take whole panel groups / whole (row, head)
// pairs from a shared counter, so a preempted thread's share is picked up by the others), so 1
// and N threads give bit-identical logits.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <vector>

#include "../cpu.h"
#include "aligned-floats.h"
#include "gqa-attention.h"
#include "kv-cache.h"
#include "nf4.h"
#include "panel-linear.h"
#include "panel-weights.h"
#include "thread-pool.h"
#include "vocab.h"

namespace grpojs {

// One (row, head) of the attention (gqa-attention.h), compiled for the build's baseline ISA and again for AVX2.
inline void AttendPortable(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores, float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#if GRPOJS_AVX2
GRPOJS_TARGET_AVX2 inline void AttendAvx2(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores,
                                          float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#endif

// The shape both engines' shared state is sized by.
struct DecodeShape {
  int layers;     // transformer blocks
  int hidden;     // the residual width C
  int vocab;      // V
  int maxPositions;  // the longest sequence (a cache's capacity is at most this)
  int kvHeads;    // key/value heads per row in the cache
  int headDim;
  bool tiedHead;  // the LM head is the token embedding
};

class DecodeEngineBase {
 public:
  // threads ≥ 1; `avx2`: use the AVX2 tiles and decoders (the caller checked the CPU).
  DecodeEngineBase(const DecodeShape& shape, int threads, bool avx2) : shape_(shape), avx2_(avx2) {
    MakeTileTable(avx2_, tiles_);
    head_.in = shape.hidden, head_.out = shape.vocab;
    StartThreads(threads);
  }

  const DecodeShape& shape() const { return shape_; }
  int threads() const { return pool_->size(); }
  bool avx2() const { return avx2_; }
  int batch() const { return batch_; }
  int capacity() const { return cap_; }
  int length() const { return length_; }
  bool embeddingSet() const { return embeddingSet_; }
  bool headSet() const { return head_.set; }
  // The LM head's panels (the token embedding when tied).
  const PanelWeights& head() const { return head_; }

  // Projection p of layer `layer` (the caller checks both ranges); its in/out are set.
  PanelWeights& projection(int layer, int p) { return projections_[static_cast<size_t>(layer) * perLayer_ + p]; }
  const PanelWeights& projection(int layer, int p) const { return projections_[static_cast<size_t>(layer) * perLayer_ + p]; }

  // How many projections are held as NF4 codes.
  int Nf4Projections() const {
    int n = 0;
    for (const PanelWeights& L : projections_) n += L.nf4() ? 1 : 0;
    return n;
  }

  // The token embedding [V][C]: tied, packed as the LM head's panels (rows are read back from them);
  // untied, kept as rows.
  void SetEmbedding(const float* w) {
    if (shape_.tiedHead) {
      head_.SetDense(w, true);
    } else {
      embeddingRows_.Assign(w, static_cast<size_t>(shape_.vocab) * shape_.hidden);
    }
    embeddingSet_ = true;
  }

  // An untied LM head [V][C] (logits = h · weightᵀ).
  void SetHead(const float* w) { head_.SetDense(w, true); }

  // Grows every thread's scratch to decode the panel groups of an NF4 projection of `in` rows; call
  // it with the projection's PanelWeights::SetNf4. It allocates here, on the calling thread, since a
  // product's parallel region must not (a bad_alloc on a pool thread would terminate the process).
  void ReserveDecodedScratch(int in) {
    const size_t need = DecodedFloats(in);
    for (Scratch& s : perThread_) {
      if (s.decoded.size() < need) s.decoded.Reset(need);
    }
  }

  // An empty KV cache for `batch` rows and `capacity` ≤ maxPositions (0, 0 frees it). A cache at least
  // as large is reused: positions are written (LoadCacheLayer, a step) before they are read.
  void ResetCache(int batch, int capacity) {
    batch_ = batch, cap_ = capacity, length_ = 0;
    starts_.assign(batch, 0);
    const size_t kv = static_cast<size_t>(shape_.layers) * batch * shape_.kvHeads * capacity * shape_.headDim;
    keys_.Reuse(kv), values_.Reuse(kv);
    for (Scratch& s : perThread_) s.scores.assign(std::max(capacity, 1), 0.f);
  }

  // The first `length` positions (≤ capacity) of one layer of a prefill's keys and values
  // [batch, kvHeads, srcCapacity, headDim]; starts[b] in [0, length] is row b's first valid position
  // (left padding before it is masked). The caller checked the ranges.
  void LoadCacheLayer(int layer, const float* keys, const float* values, int srcCapacity, int length, const int32_t* starts) {
    std::copy(starts, starts + batch_, starts_.begin());
    CopyLayerIntoKvCache(keys, values, layer, batch_ * shape_.kvHeads, srcCapacity, cap_, shape_.headDim, length, keys_.data(),
                         values_.data());
    length_ = length;
  }

  // tokens[b] = the token drawn from logits row b [V] with uniform us[b] in [0, 1) (vocab.h's
  // SampleFromRow, @grpojs/model's sampleToken arithmetic); rows with us[b] < 0 are skipped
  // (tokens[b] = −1). Rows run in parallel.
  void SampleRows(const float* logits, int rows, double temperature, const float* thresholds, const double* us, int32_t* tokens) {
    const int V = shape_.vocab;
    for (Scratch& s : perThread_) s.scaled.resize(V), s.weights.resize(V);
    pool_->ForIndexed(rows, 1, [&](int64_t lo, int64_t, int t) {
      Scratch& s = perThread_[t];
      tokens[lo] = us[lo] < 0 ? -1
                              : static_cast<int32_t>(SampleFromRow(logits + static_cast<size_t>(lo) * V, V, temperature, thresholds[lo], us[lo],
                                                                   s.scaled.data(), s.weights.data()));
    });
  }

 protected:
  ~DecodeEngineBase() = default;

  // `perLayer` projections in every layer, projection p of in[p] → out[p].
  void SizeProjections(int perLayer, const int* in, const int* out) {
    perLayer_ = perLayer;
    projections_.clear();
    projections_.resize(static_cast<size_t>(shape_.layers) * perLayer);
    for (size_t i = 0; i < projections_.size(); ++i) projections_[i].in = in[i % perLayer], projections_[i].out = out[i % perLayer];
  }

  // The bytes of the projections, the embedding, the head, the KV cache and the threads' decoded
  // NF4 panel groups; each engine adds its own weights and scratch.
  double SharedBytes() const {
    double bytes = 4.0 * (embeddingRows_.size() + keys_.size() + values_.size()) + head_.bytes();
    for (const PanelWeights& L : projections_) bytes += L.bytes();
    for (const Scratch& s : perThread_) bytes += 4.0 * s.decoded.size();
    return bytes;
  }

  // Frees the projections, the embedding, the head, the cache and the scratch, and stops the
  // threads: the engine cannot step until its weights are set again.
  void ReleaseShared() {
    for (PanelWeights& L : projections_) L.Clear();
    head_.Clear(), embeddingRows_.Reset(0), embeddingSet_ = false;
    keys_.Reset(0), values_.Reset(0), starts_ = {};
    batch_ = cap_ = length_ = 0;
    pool_.reset();
    StartThreads(1);
  }

  // x[b] = the embedding row of tokens[b] (the caller checked 0 ≤ tokens[b] < V).
  void Embed(const int32_t* tokens, int B, float* x) const {
    const int C = shape_.hidden;
    for (int b = 0; b < B; ++b) {
      float* xb = x + static_cast<size_t>(b) * C;
      if (shape_.tiedHead) {
        const float* panel = head_.w.data() + static_cast<size_t>(tokens[b] / kPanel) * C * kPanel + tokens[b] % kPanel;
        for (int c = 0; c < C; ++c) xb[c] = panel[static_cast<size_t>(c) * kPanel];
      } else {
        std::memcpy(xb, embeddingRows_.data() + static_cast<size_t>(tokens[b]) * C, sizeof(float) * C);
      }
    }
  }

  // The N products of one parallel region: work items of kGroup panels numbered across them, about
  // 8 runs per thread. A group's panels are read once (NF4: decoded once into the thread's scratch,
  // L2-resident) by every row block.
  template <size_t N>
  void Products(const Product (&jobs)[N], int B) {
    static_assert(N > 0, "a region needs a product");
    constexpr size_t n = N;
    int64_t total = 0;
    int64_t firsts[N];
    for (size_t p = 0; p < n; ++p) firsts[p] = total, total += (jobs[p].weights->panels + kGroup - 1) / kGroup;
    for (size_t p = 0; p < n; ++p) {
      // ReserveDecodedScratch sized the scratch; a region cannot throw, so a short one stops here.
      if (jobs[p].weights->nf4() && perThread_[0].decoded.size() < DecodedFloats(jobs[p].weights->in)) {
        throw std::logic_error("DecodeEngineBase::Products: an NF4 projection was set without ReserveDecodedScratch");
      }
    }
    pool_->ForIndexed(total, total / (8 * pool_->size()), [&](int64_t lo, int64_t hi, int t) {
      alignas(32) float tile[kGroup * kRowBlock * kPanel];
      const AlignedFloats& decoded = perThread_[t].decoded;
      for (int64_t item = lo; item < hi; ++item) {
        size_t p = n - 1;
        while (item < firsts[p]) --p;
        const Product& job = jobs[p];
        const PanelWeights& L = *job.weights;
        const int p0 = static_cast<int>(item - firsts[p]) * kGroup;
        const int np = std::min(kGroup, L.panels - p0);
        const float* panels = L.w.data() + static_cast<size_t>(p0) * L.in * kPanel;
        if (L.nf4()) {
          for (int i = 0; i < np; ++i) {
            const size_t q = static_cast<size_t>(p0 + i);
            const uint32_t* codes = L.codes.data() + q * L.in;
            const float* scales = L.scales.data() + q * (L.in / L.blockSize) * kPanel;
            float* dst = decoded.data() + static_cast<size_t>(i) * L.in * kPanel;
#if GRPOJS_AVX2
            if (avx2_) {
              DecodeNf4PanelAvx2(codes, scales, L.in, L.blockSize, L.table, dst);
              continue;
            }
#endif
            DecodeNf4Panel(codes, scales, L.in, L.blockSize, L.table, dst);
          }
          panels = decoded.data();
        }
        const float* bias = L.bias.empty() ? nullptr : L.bias.data();
        float* const out = job.out;
        const int ldo = job.ldo;
        const bool addTo = job.addTo;
        const Activation act = job.act;
        for (int b0 = 0; b0 < B; b0 += kRowBlock) {
          const int nb = std::min(kRowBlock, B - b0);
          tiles_[np - 1][nb - 1](panels, L.in, job.x + static_cast<size_t>(b0) * L.in, L.in, tile);
          for (int i = 0; i < np; ++i) {
            const int o0 = (p0 + i) * kPanel;
            const int width = std::min(kPanel, L.out - o0);
            for (int b = 0; b < nb; ++b) {
              const float* tb = tile + (i * nb + b) * kPanel;
              float* y = out + static_cast<size_t>(b0 + b) * ldo + o0;
              for (int j = 0; j < width; ++j) {
                float v = tb[j];
                if (bias != nullptr) v += bias[o0 + j];
                if (act != Activation::kNone) v = Activate(v, act);
                y[j] = addTo ? y[j] + v : v;
              }
            }
          }
        }
      }
    });
  }

  // Appends this step's keys and values at position length(): KV head g of row b from
  // k + b·kStride + g·headDim (v likewise).
  void AppendKv(int layer, int B, const float* k, size_t kStride, const float* v, size_t vStride) {
    const int KV = shape_.kvHeads, D = shape_.headDim;
    for (int b = 0; b < B; ++b) {
      for (int g = 0; g < KV; ++g) {
        const size_t dst = (((static_cast<size_t>(layer) * B + b) * KV + g) * cap_ + length_) * D;
        std::memcpy(keys_.data() + dst, k + b * kStride + static_cast<size_t>(g) * D, sizeof(float) * D);
        std::memcpy(values_.data() + dst, v + b * vStride + static_cast<size_t>(g) * D, sizeof(float) * D);
      }
    }
  }

  // y = softmax(q·Kᵀ·scale)·V per (row b, query head h) over the row's valid positions
  // [start, length()] of KV head h / (heads / kvHeads): q of (b, h) at q + b·qStride + h·headDim,
  // its output at y + b·yStride + h·headDim. Threads take whole (row, head) pairs.
  void Attend(int layer, int B, int heads, const float* q, size_t qStride, float scale, float* y, size_t yStride) {
    const int KV = shape_.kvHeads, D = shape_.headDim, group = heads / KV, L = length_;
    pool_->ForIndexed(B * heads, B * heads / (4 * pool_->size()), [&](int64_t lo, int64_t hi, int t) {
      float* scores = perThread_[t].scores.data();
      for (int64_t bh = lo; bh < hi; ++bh) {
        const int b = static_cast<int>(bh) / heads, h = static_cast<int>(bh) % heads;
        const size_t base = ((static_cast<size_t>(layer) * B + b) * KV + h / group) * cap_ * D;
        const float* qh = q + b * qStride + static_cast<size_t>(h) * D;
        float* yh = y + b * yStride + static_cast<size_t>(h) * D;
#if GRPOJS_AVX2
        if (avx2_) {
          AttendAvx2(qh, keys_.data() + base, values_.data() + base, starts_[b], L, D, scale, scores, yh);
          continue;
        }
#endif
        AttendPortable(qh, keys_.data() + base, values_.data() + base, starts_[b], L, D, scale, scores, yh);
      }
    });
  }

  // Ends a step: the cache holds one more position.
  void Advance() { length_ += 1; }

 private:
  // How long idle pool threads spin before sleeping: a step runs a few short parallel regions per layer.
  static constexpr int kSpinMicros = 100;

  // The floats of one NF4 panel group of `in` rows decoded to fp32 [kGroup][in][8].
  static size_t DecodedFloats(int in) { return static_cast<size_t>(kGroup) * in * kPanel; }

  void StartThreads(int threads) {
    pool_ = std::make_unique<KernelPool>(threads, kSpinMicros);
    perThread_.clear();
    perThread_.resize(pool_->size());
  }

  struct Scratch {
    std::vector<float> scores;  // [capacity]
    std::vector<float> scaled;  // [V]
    std::vector<double> weights;  // [V]
    AlignedFloats decoded;  // an NF4 panel group decoded to fp32 [kGroup][in][8]
  };

  DecodeShape shape_;
  bool avx2_;
  TileTable tiles_;
  PanelWeights head_;
  std::vector<PanelWeights> projections_;  // [layer][perLayer_]
  int perLayer_ = 0;
  AlignedFloats embeddingRows_;  // untied: [V][C]; tied: empty
  bool embeddingSet_ = false;
  // KV cache [layer][row][kvHead][capacity][headDim]; starts_[b]: row b's first valid position.
  AlignedFloats keys_, values_;
  std::vector<int> starts_;
  int batch_ = 0, cap_ = 0, length_ = 0;
  std::unique_ptr<KernelPool> pool_;
  std::vector<Scratch> perThread_;
};

}  // namespace grpojs

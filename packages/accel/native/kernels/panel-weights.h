// A decode engine's projection weights and the products over them: one in → out weight held as
// column panels (panel-linear.h), fp32 or as frozen NF4 codes in panel order (nf4.h), and the
// epilogue a product applies (bias, an activation, store or add). Binding-free; the engines
// (decode-engine-base.h) schedule the products on their threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "aligned-floats.h"
#include "gelu.h"
#include "nf4.h"
#include "panel-linear.h"

namespace grpojs {

// One projection of in → out: fp32 panels w [panels][in][8] (padded columns 0), or for a frozen NF4
// weight its panel codes [panels][in] (nibble j of a word = column p·8 + j; padded columns code 7 =
// 0.0) and block scales [panels][in / blockSize][8], decoded panel by panel inside the product
// (table[code] · absmax, the dequantization's own multiply, so the logits do not change by a bit).
struct PanelWeights {
  int in = 0, out = 0, panels = 0;
  AlignedFloats w;  // empty when NF4
  std::vector<uint32_t> codes;
  AlignedFloats scales;
  AlignedFloats bias;  // [out]; empty: none
  int blockSize = 0;
  float table[16] = {};
  bool set = false;

  bool nf4() const { return !codes.empty(); }
  double bytes() const { return 4.0 * (w.size() + codes.size() + scales.size() + bias.size()); }

  // A weight [in, out] (`rowsAreOutputs`: [out, in], an LM head) packed as fp32 panels; drops any codes.
  void SetDense(const float* src, bool rowsAreOutputs) {
    panels = PanelCount(out);
    w.Reset(static_cast<size_t>(panels) * in * kPanel);
    PackPanels(src, in, out, rowsAreOutputs, w.data());
    codes = {}, scales.Reset(0), blockSize = 0;
    set = true;
  }

  // NF4 codes in @grpojs/model's packHalves layout (m words; field k·out + o of the [in, out] weight),
  // absmax [out][in / bs], table [16]; bs must divide in (the caller checks).
  void SetNf4(const uint32_t* words, int64_t m, int bs, const float* absmax, const float* codeTable) {
    panels = PanelCount(out);
    w.Reset(0);
    codes.assign(static_cast<size_t>(panels) * in, 0u);
    scales.Reset(static_cast<size_t>(panels) * (in / bs) * kPanel);
    PackNf4Panels(words, m, in, out, bs, absmax, codes.data(), scales.data());
    std::memcpy(table, codeTable, sizeof table);
    blockSize = bs;
    set = true;
  }

  // bias [out], or nullptr for none.
  void SetBias(const float* b) {
    if (b == nullptr) {
      bias.Reset(0);
    } else {
      bias.Assign(b, static_cast<size_t>(out));
    }
  }

  // Frees the weights; the sizes stay.
  void Clear() { w.Reset(0), codes = {}, scales.Reset(0), bias.Reset(0), blockSize = 0, panels = 0, set = false; }
};

// The activations an epilogue can apply (gelu.h: the same gelu_new as the training kernel).
enum class Activation { kNone, kGeluNew, kRelu, kGelu };

inline float Activate(float v, Activation act) {
  switch (act) {
    case Activation::kRelu:
      return v < 0.f ? 0.f : v;
    case Activation::kGelu:
      return GeluErf(v);
    case Activation::kGeluNew:
      return GeluNew(v);
    default:
      return v;
  }
}

// One product of a parallel region: out rows b (stride ldo) = act(x[b] · W + bias), stored or added to out.
struct Product {
  const PanelWeights* weights;
  const float* x;  // [B][in]
  float* out;
  int ldo;
  bool addTo;
  Activation act = Activation::kNone;
};

}  // namespace grpojs

// A native decode step for the Llama family (LlamaForCausalLM, Qwen2, Qwen3), for GRPO rollouts,
// as native/napi/decode.cc is for GPT-2: weights in native memory, a KV cache, one token per row per
// call. Each layer: x += o_proj(attention(rotary(q, k))) on RMSNorm(x), then x += down_proj(
// silu(gate_proj(h)) · up_proj(h)) on h = RMSNorm(x); a final RMSNorm and the LM head. The cache
// holds only the key/value heads (grouped-query attention reads KV head h / group); Qwen3's per-head
// q/k RMSNorm and q/k/v/o/MLP biases are options. The math is in native/kernels/*.h (binding-free);
// this file unpacks named options objects and schedules the work on a small thread pool.
//
// Weights are packed as the GPT-2 engine's column panels [⌈out/8⌉][in][8] (kernels/panel-linear.h; the
// tied LM head is the embedding packed so, and embedding rows are read back from it): each panel
// streams contiguously once per step and tiles of 3 panels × 4 rows keep the FMAs fed. Frozen NF4
// projections stay 4-bit codes in the same panel order (≈ 0.53 byte per weight), each panel group
// decoded to fp32 right before its tiles (kernels/nf4.h). Every output element is computed by one
// thread with one instruction sequence, so 1 and N threads give the same bits.
#include "llama-decode-binding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernels/gqa-attention.h"
#include "../kernels/kv-cache.h"
#include "../kernels/nf4.h"
#include "../kernels/panel-linear.h"
#include "../kernels/rms-norm.h"
#include "../kernels/rotary.h"
#include "../kernels/swiglu.h"
#include "../kernels/thread-pool.h"
#include "../kernels/vocab.h"
#include "napi-options.h"

namespace grpojs {

RopeScaling RopeScalingOpt(const Napi::Object& options, const std::string& where) {
  RopeScaling s;
  const Napi::Value v = options.Get("ropeScaling");
  if (v.IsNull() || v.IsUndefined()) return s;
  if (!v.IsObject()) throw Napi::TypeError::New(options.Env(), where + ": options.ropeScaling must be null or an object");
  const Napi::Object o = v.As<Napi::Object>();
  const std::string inner = where + " (ropeScaling)";
  s.factor = NumberOpt(o, "factor", inner);
  s.lowFreqFactor = NumberOpt(o, "lowFreqFactor", inner);
  s.highFreqFactor = NumberOpt(o, "highFreqFactor", inner);
  s.originalMax = NumberOpt(o, "originalMaxPositionEmbeddings", inner);
  if (!(s.factor > 0) || !(s.lowFreqFactor > 0) || !(s.highFreqFactor > s.lowFreqFactor) || !(s.originalMax > 0)) {
    throw Napi::RangeError::New(options.Env(), inner + ": need factor > 0, 0 < lowFreqFactor < highFreqFactor, originalMaxPositionEmbeddings > 0");
  }
  return s;
}

namespace {

// How long idle pool threads spin before sleeping: a step runs ~5 short parallel regions per layer.
constexpr int kSpinMicros = 100;

// The linear modules of a layer, in the order of a forward pass (@grpojs/model's LLAMA_LINEAR_MODULES).
const char* const kModules[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
enum Module { kQ, kK, kV, kO, kGate, kUp, kDown, kModuleCount };

// One projection: fp32 panels w [panels][in][8] (padded columns 0), or for a frozen NF4 weight its
// panel codes [panels][in] and scales [panels][in / blockSize][8] (kernels/nf4.h's PackNf4Panels).
struct HeldLinear {
  int in = 0, out = 0, panels = 0;
  PanelFloats w;  // empty when NF4
  std::vector<uint32_t> codes;
  std::vector<float> scales;
  std::vector<float> bias;  // empty: none
  int blockSize = 0;
  float table[16] = {};
  bool set = false;
  bool nf4() const { return !codes.empty(); }
  double bytes() const { return 4.0 * (w.size() + codes.size() + scales.size() + bias.size()); }
};

struct Layer {
  std::vector<float> inputNorm, postNorm, qNorm, kNorm;
  HeldLinear linear[kModuleCount];
};

// One product of a fused parallel region: out rows (stride ldo) = x · Wᵀ + bias (added to out when addTo).
struct Product {
  const HeldLinear* L;
  const float* x;
  float* out;
  int ldo;
  bool addTo;
};

void AttendPortable(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores, float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#if GRPOJS_AVX2
GRPOJS_TARGET_AVX2 void AttendAvx2(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores, float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#endif

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);

  explicit Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
    const std::string where = "new LlamaDecodeEngine";
    const Napi::Object o = OptionsArg(info, where);
    nLayer_ = IntOpt(o, "numLayers", where);
    C_ = IntOpt(o, "hiddenSize", where);
    H_ = IntOpt(o, "numHeads", where);
    KV_ = IntOpt(o, "numKvHeads", where);
    D_ = IntOpt(o, "headDim", where);
    I_ = IntOpt(o, "intermediateSize", where);
    V_ = IntOpt(o, "vocabSize", where);
    nPos_ = IntOpt(o, "maxPositions", where);
    eps_ = static_cast<float>(NumberOpt(o, "rmsNormEps", where));
    const double theta = NumberOpt(o, "ropeTheta", where);
    qkNorm_ = BoolOpt(o, "qkNorm", false);
    tied_ = BoolOpt(o, "tiedHead", false);
    const int threads = IntOpt(o, "threads", where);
    for (int v : {nLayer_, C_, H_, KV_, D_, I_, V_, nPos_, threads}) {
      if (v <= 0) throw Napi::RangeError::New(info.Env(), where + ": every size and threads must be > 0");
    }
    if (H_ % KV_ != 0) throw Napi::RangeError::New(info.Env(), where + ": numHeads must be a multiple of numKvHeads");
    if (D_ % 2 != 0) throw Napi::RangeError::New(info.Env(), where + ": headDim must be even (rotary pairs)");
    invFreq_.resize(D_ / 2);
    RopeInverseFrequencies(D_, theta, RopeScalingOpt(o, where), invFreq_.data());
    avx2_ = CpuHasAvx2() && !BoolOpt(o, "portable", false);
    MakeTileTable(avx2_, tiles_);
    layers_.resize(nLayer_);
    for (Layer& layer : layers_) {
      const int ins[] = {C_, C_, C_, H_ * D_, C_, C_, I_};
      const int outs[] = {H_ * D_, KV_ * D_, KV_ * D_, C_, I_, I_, C_};
      for (int m = 0; m < kModuleCount; ++m) layer.linear[m].in = ins[m], layer.linear[m].out = outs[m];
    }
    pool_ = std::make_unique<KernelPool>(threads, kSpinMicros);
    perThread_.resize(threads);
    for (Scratch& s : perThread_) s.decoded.resize(static_cast<size_t>(kGroup) * std::max({C_, H_ * D_, I_}) * kPanel);
  }

 private:
  Napi::Value SetNorm(const Napi::CallbackInfo& info);
  Napi::Value SetLinear(const Napi::CallbackInfo& info);
  Napi::Value SetLinearNf4(const Napi::CallbackInfo& info);
  Napi::Value SetEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value LoadCache(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value SampleRows(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  HeldLinear& LinearArg(const Napi::Object& o, const std::string& where);
  std::string Missing() const;
  void Products(const std::vector<Product>& products, int B);
  void Attention(int layer, int B);

  int nLayer_ = 0, C_ = 0, H_ = 0, KV_ = 0, D_ = 0, I_ = 0, V_ = 0, nPos_ = 0;
  float eps_ = 0;
  bool qkNorm_ = false, tied_ = false, avx2_ = false, embedSet_ = false;
  TileTable tiles_;
  std::vector<double> invFreq_;
  std::vector<Layer> layers_;
  std::vector<float> embed_, finalNorm_;  // untied: embed [V][C]; tied: empty (rows read from head_)
  HeldLinear head_;                       // the LM head's panels (the embedding when tied)
  // KV cache [layer][batch][kvHead][capacity][headDim]; starts_[b]: row b's first valid position.
  std::vector<float> keys_, values_;
  std::vector<int> starts_;
  int batch_ = 0, cap_ = 0, length_ = 0;
  // Step scratch: x, normed a [B·C]; q, y [B·H·D]; k, v [B·KV·D]; gate, up [B·I]; cos, sin [B·D/2].
  std::vector<float> x_, a_, q_, k_, v_, y_, gate_, up_, cos_, sin_;
  struct Scratch {
    std::vector<float> scores, scaled;
    std::vector<double> weights;
    PanelFloats decoded;  // an NF4 panel group decoded to fp32 [kGroup][in][8]
  };
  std::vector<Scratch> perThread_;
  std::unique_ptr<KernelPool> pool_;
};

HeldLinear& Engine::LinearArg(const Napi::Object& o, const std::string& where) {
  const int l = IntOpt(o, "layer", where);
  const std::string module = StringOpt(o, "module", where);
  if (l < 0 || l >= nLayer_) throw Napi::RangeError::New(o.Env(), where + ": options.layer " + std::to_string(l) + " is outside [0, numLayers)");
  for (int m = 0; m < kModuleCount; ++m) {
    if (module == kModules[m]) return layers_[l].linear[m];
  }
  throw Napi::RangeError::New(o.Env(), where + ": options.module '" + module + "' is not one of self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj");
}

// setNorm({ layer, which: 'input' | 'post' | 'q' | 'k', weight }) or setNorm({ which: 'final', weight }).
Napi::Value Engine::SetNorm(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setNorm";
  const Napi::Object o = OptionsArg(info, where);
  const std::string which = StringOpt(o, "which", where);
  if (which == "final") {
    const float* w = FloatsOpt(o, "weight", C_, where);
    finalNorm_.assign(w, w + C_);
    return info.Env().Undefined();
  }
  const int l = IntOpt(o, "layer", where);
  if (l < 0 || l >= nLayer_) throw Napi::RangeError::New(info.Env(), where + ": options.layer is outside [0, numLayers)");
  Layer& layer = layers_[l];
  const bool head = which == "q" || which == "k";
  if (head && !qkNorm_) throw Napi::RangeError::New(info.Env(), where + ": q/k norms need qkNorm: true");
  std::vector<float>* dst = which == "input" ? &layer.inputNorm : which == "post" ? &layer.postNorm : which == "q" ? &layer.qNorm : which == "k" ? &layer.kNorm : nullptr;
  if (dst == nullptr) throw Napi::RangeError::New(info.Env(), where + ": options.which must be 'input', 'post', 'q', 'k' or 'final'");
  const int n = head ? D_ : C_;
  const float* w = FloatsOpt(o, "weight", n, where);
  dst->assign(w, w + n);
  return info.Env().Undefined();
}

// The optional `bias` [out] of setLinear / setLinearNf4 (absent or null: no bias).
static void ReadOptionalBias(const Napi::Object& o, HeldLinear& L, const std::string& where) {
  const Napi::Value b = o.Get("bias");
  if (b.IsUndefined() || b.IsNull()) {
    L.bias = {};
    return;
  }
  const float* bias = FloatsOpt(o, "bias", L.out, where);
  L.bias.assign(bias, bias + L.out);
}

// Packs a weight of L.in × L.out into L's fp32 panels (kernels/panel-linear.h); `rowsAreOutputs`: src
// is [out, in] (an LM head), else [in, out]. Drops any NF4 codes.
static void Pack(const float* src, bool rowsAreOutputs, HeldLinear& L) {
  L.panels = PanelCount(L.out);
  L.w.assign(static_cast<size_t>(L.panels) * L.in * kPanel, 0.f);
  PackPanels(src, L.in, L.out, rowsAreOutputs, L.w.data());
  L.codes = {}, L.scales = {}, L.blockSize = 0;
  L.set = true;
}

// setLinear({ layer, module, weight [in·out] in the Conv1D layout [in, out], bias? [out] }).
Napi::Value Engine::SetLinear(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setLinear";
  const Napi::Object o = OptionsArg(info, where);
  HeldLinear& L = LinearArg(o, where);
  const float* w = FloatsOpt(o, "weight", static_cast<int64_t>(L.in) * L.out, where);
  Pack(w, false, L);
  ReadOptionalBias(o, L, where);
  L.set = true;
  return info.Env().Undefined();
}

// setLinearNf4({ layer, module, codeWords, absmax, blockSize, table, bias? }): a frozen NF4
// projection kept as codes. codeWords: @grpojs/model's packHalves words of the in·out codes in
// [in, out] order (field k·out + o); absmax [out][in / blockSize]; blockSize must divide `in`.
Napi::Value Engine::SetLinearNf4(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setLinearNf4";
  const Napi::Object o = OptionsArg(info, where);
  HeldLinear& L = LinearArg(o, where);
  const int bs = IntOpt(o, "blockSize", where);
  if (bs <= 0 || bs % 2 != 0 || L.in % bs != 0) {
    throw Napi::RangeError::New(info.Env(), where + ": blockSize " + std::to_string(bs) + " must be even and divide in = " + std::to_string(L.in) + "; pass the dequantized weight to setLinear instead");
  }
  const size_t n = static_cast<size_t>(L.in) * L.out;
  const size_t m = (n + 7) / 8;
  const uint32_t* words = reinterpret_cast<const uint32_t*>(IntsOpt(o, "codeWords", static_cast<int64_t>(m), where));
  const int perRow = L.in / bs;
  const float* absmax = FloatsOpt(o, "absmax", static_cast<int64_t>(L.out) * perRow, where);
  const float* table = FloatsOpt(o, "table", 16, where);
  L.panels = PanelCount(L.out);
  L.w = {};
  L.codes.assign(static_cast<size_t>(L.panels) * L.in, 0u);
  L.scales.assign(static_cast<size_t>(L.panels) * perRow * kPanel, 0.f);
  PackNf4Panels(words, static_cast<int64_t>(m), L.in, L.out, bs, absmax, L.codes.data(), L.scales.data());
  std::memcpy(L.table, table, sizeof L.table);
  L.blockSize = bs;
  ReadOptionalBias(o, L, where);
  L.set = true;
  return info.Env().Undefined();
}

// setEmbedding({ weight [vocab·hidden] }): the token embedding; when tied, packed as the LM head's
// panels only (a token's row is read back from them).
Napi::Value Engine::SetEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setEmbedding";
  const float* w = FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(V_) * C_, where);
  if (tied_) {
    head_.in = C_, head_.out = V_;
    Pack(w, true, head_);
  } else {
    embed_.assign(w, w + static_cast<size_t>(V_) * C_);
  }
  embedSet_ = true;
  return info.Env().Undefined();
}

// setHead({ weight [vocab·hidden] }) of an untied head (logits = h · weightᵀ).
Napi::Value Engine::SetHead(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.setHead";
  if (tied_) throw Napi::RangeError::New(info.Env(), where + ": the head is tied to the embedding; use setEmbedding");
  const float* w = FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(V_) * C_, where);
  head_.in = C_, head_.out = V_;
  Pack(w, true, head_);
  return info.Env().Undefined();
}

// reset({ batch, capacity }): an empty KV cache ({0, 0} frees it). A large enough allocation is
// reused: every position is written (loadCache, step) before it is read.
Napi::Value Engine::Reset(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.reset";
  const Napi::Object o = OptionsArg(info, where);
  const int B = IntOpt(o, "batch", where);
  const int cap = IntOpt(o, "capacity", where);
  if (B < 0 || cap < 0 || cap > nPos_) throw Napi::RangeError::New(info.Env(), where + ": batch must be ≥ 0 and capacity in [0, maxPositions]");
  batch_ = B, cap_ = cap, length_ = 0;
  starts_.assign(B, 0);
  const size_t kv = static_cast<size_t>(nLayer_) * B * KV_ * cap * D_;
  if (kv == 0) {
    keys_ = {}, values_ = {};
  } else {
    keys_.resize(kv), values_.resize(kv);
  }
  x_.assign(static_cast<size_t>(B) * C_, 0.f), a_.assign(static_cast<size_t>(B) * C_, 0.f);
  q_.assign(static_cast<size_t>(B) * H_ * D_, 0.f), y_.assign(static_cast<size_t>(B) * H_ * D_, 0.f);
  k_.assign(static_cast<size_t>(B) * KV_ * D_, 0.f), v_.assign(static_cast<size_t>(B) * KV_ * D_, 0.f);
  gate_.assign(static_cast<size_t>(B) * I_, 0.f), up_.assign(static_cast<size_t>(B) * I_, 0.f);
  cos_.assign(static_cast<size_t>(B) * D_ / 2, 0.f), sin_.assign(static_cast<size_t>(B) * D_ / 2, 0.f);
  for (Scratch& s : perThread_) s.scores.assign(std::max(cap, 1), 0.f);
  return info.Env().Undefined();
}

// loadCache({ layer, keys, values, srcCapacity, length, starts }): the first `length` positions
// of a prefill's rotated keys and values [batch, kvHeads, srcCapacity, headDim] (@grpojs/model's
// KVCache layout); starts[b] is row b's first valid position (left padding before it is masked).
Napi::Value Engine::LoadCache(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.loadCache";
  const Napi::Object o = OptionsArg(info, where);
  const int l = IntOpt(o, "layer", where);
  const int srcCap = IntOpt(o, "srcCapacity", where);
  const int len = IntOpt(o, "length", where);
  if (l < 0 || l >= nLayer_) throw Napi::RangeError::New(info.Env(), where + ": options.layer is outside [0, numLayers)");
  if (len < 0 || len > srcCap || len > cap_) throw Napi::RangeError::New(info.Env(), where + ": length must be ≤ srcCapacity and ≤ the reset capacity");
  const int64_t n = static_cast<int64_t>(batch_) * KV_ * srcCap * D_;
  const float* k = FloatsOpt(o, "keys", n, where);
  const float* v = FloatsOpt(o, "values", n, where);
  const int32_t* starts = IntsOpt(o, "starts", batch_, where);
  for (int b = 0; b < batch_; ++b) {
    if (starts[b] < 0 || starts[b] > len) throw Napi::RangeError::New(info.Env(), where + ": every start must be in [0, length]");
    starts_[b] = starts[b];
  }
  CopyLayerIntoKvCache(k, v, l, batch_ * KV_, srcCap, cap_, D_, len, keys_.data(), values_.data());
  length_ = len;
  return info.Env().Undefined();
}

std::string Engine::Missing() const {
  if (!embedSet_) return "the token embedding (setEmbedding)";
  if (!tied_ && !head_.set) return "the LM head (setHead)";
  if (finalNorm_.empty()) return "the final norm (setNorm which 'final')";
  for (int l = 0; l < nLayer_; ++l) {
    const Layer& k = layers_[l];
    if (k.inputNorm.empty() || k.postNorm.empty() || (qkNorm_ && (k.qNorm.empty() || k.kNorm.empty()))) {
      return "a norm of layer " + std::to_string(l) + " (setNorm)";
    }
    for (int m = 0; m < kModuleCount; ++m) {
      if (!k.linear[m].set) return std::string(kModules[m]) + " of layer " + std::to_string(l) + " (setLinear)";
    }
  }
  return "";
}

// The products in one parallel region: work items of kGroup panels, numbered across them. A
// group's panels are read once (NF4: decoded once into the thread's scratch) by every row block.
void Engine::Products(const std::vector<Product>& products, int B) {
  int64_t total = 0;
  int64_t firsts[4];
  for (size_t p = 0; p < products.size(); ++p) firsts[p] = total, total += (products[p].L->panels + kGroup - 1) / kGroup;
  pool_->ForIndexed(total, total / (8 * pool_->size()), [&](int64_t lo, int64_t hi, int t) {
    alignas(32) float tile[kGroup * kRowBlock * kPanel];
    float* decoded = perThread_[t].decoded.data();
    for (int64_t item = lo; item < hi; ++item) {
      size_t p = products.size() - 1;
      while (item < firsts[p]) --p;
      const Product& job = products[p];
      const HeldLinear& L = *job.L;
      const int p0 = static_cast<int>(item - firsts[p]) * kGroup;
      const int np = std::min(kGroup, L.panels - p0);
      const float* panels = L.w.data() + static_cast<size_t>(p0) * L.in * kPanel;
      if (L.nf4()) {
        for (int i = 0; i < np; ++i) {
          const size_t q = static_cast<size_t>(p0 + i);
          const uint32_t* codes = L.codes.data() + q * L.in;
          const float* scales = L.scales.data() + q * (L.in / L.blockSize) * kPanel;
          float* dst = decoded + static_cast<size_t>(i) * L.in * kPanel;
#if GRPOJS_AVX2
          if (avx2_) {
            DecodeNf4PanelAvx2(codes, scales, L.in, L.blockSize, L.table, dst);
            continue;
          }
#endif
          DecodeNf4Panel(codes, scales, L.in, L.blockSize, L.table, dst);
        }
        panels = decoded;
      }
      const float* bias = L.bias.empty() ? nullptr : L.bias.data();
      for (int b0 = 0; b0 < B; b0 += kRowBlock) {
        const int nb = std::min(kRowBlock, B - b0);
        tiles_[np - 1][nb - 1](panels, L.in, job.x + static_cast<size_t>(b0) * L.in, L.in, tile);
        for (int i = 0; i < np; ++i) {
          const int o0 = (p0 + i) * kPanel;
          const int width = std::min(kPanel, L.out - o0);
          for (int b = 0; b < nb; ++b) {
            const float* tb = tile + (i * nb + b) * kPanel;
            float* y = job.out + static_cast<size_t>(b0 + b) * job.ldo + o0;
            for (int j = 0; j < width; ++j) {
              const float v = bias != nullptr ? tb[j] + bias[o0 + j] : tb[j];
              y[j] = job.addTo ? y[j] + v : v;
            }
          }
        }
      }
    }
  });
}

// Appends this step's k, v at position length_, then y = softmax(q·Kᵀ/√D)·V per (row, query head)
// over the row's valid positions [start, length_], reading KV head h / (H / KV).
void Engine::Attention(int layer, int B) {
  const int group = H_ / KV_, L = length_;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D_)));
  for (int b = 0; b < B; ++b) {
    for (int g = 0; g < KV_; ++g) {
      const size_t base = ((static_cast<size_t>(layer) * B + b) * KV_ + g) * cap_ * D_ + static_cast<size_t>(L) * D_;
      std::memcpy(keys_.data() + base, k_.data() + (static_cast<size_t>(b) * KV_ + g) * D_, sizeof(float) * D_);
      std::memcpy(values_.data() + base, v_.data() + (static_cast<size_t>(b) * KV_ + g) * D_, sizeof(float) * D_);
    }
  }
  pool_->ForIndexed(B * H_, B * H_ / (4 * pool_->size()), [&](int64_t lo, int64_t hi, int t) {
    float* scores = perThread_[t].scores.data();
    for (int64_t bh = lo; bh < hi; ++bh) {
      const int b = static_cast<int>(bh) / H_, h = static_cast<int>(bh) % H_;
      const size_t base = ((static_cast<size_t>(layer) * B + b) * KV_ + h / group) * cap_ * D_;
      const float* q = q_.data() + static_cast<size_t>(bh) * D_;
      float* y = y_.data() + static_cast<size_t>(bh) * D_;
#if GRPOJS_AVX2
      if (avx2_) {
        AttendAvx2(q, keys_.data() + base, values_.data() + base, starts_[b], L, D_, scale, scores, y);
        continue;
      }
#endif
      AttendPortable(q, keys_.data() + base, values_.data() + base, starts_[b], L, D_, scale, scores, y);
    }
  });
}

// step({ tokens Int32Array[B], positions Int32Array[B], logits Float32Array[B·V] }): one token per
// row at cache position `length` (rotary angles from `positions`), then length += 1.
Napi::Value Engine::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "LlamaDecodeEngine.step";
  const std::string missing = Missing();
  if (!missing.empty()) throw Napi::Error::New(env, where + ": " + missing + " was never set");
  if (batch_ == 0) throw Napi::Error::New(env, where + ": call reset({ batch, capacity }) first");
  if (length_ >= cap_) throw Napi::RangeError::New(env, where + ": the KV cache is full (" + std::to_string(cap_) + " positions); reset with a larger capacity");
  const Napi::Object o = OptionsArg(info, where);
  const int B = batch_, half = D_ / 2;
  const int32_t* tokens = IntsOpt(o, "tokens", B, where);
  const int32_t* positions = IntsOpt(o, "positions", B, where);
  float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V_, where);
  for (int b = 0; b < B; ++b) {
    if (tokens[b] < 0 || tokens[b] >= V_) throw Napi::RangeError::New(env, where + ": tokens[" + std::to_string(b) + "] = " + std::to_string(tokens[b]) + " is outside the vocabulary");
    if (positions[b] < 0 || positions[b] >= nPos_) throw Napi::RangeError::New(env, where + ": positions[" + std::to_string(b) + "] = " + std::to_string(positions[b]) + " is outside [0, maxPositions)");
    float* xb = x_.data() + static_cast<size_t>(b) * C_;
    if (tied_) {
      const float* panel = head_.w.data() + static_cast<size_t>(tokens[b] / kPanel) * C_ * kPanel + tokens[b] % kPanel;
      for (int c = 0; c < C_; ++c) xb[c] = panel[static_cast<size_t>(c) * kPanel];
    } else {
      std::memcpy(xb, embed_.data() + static_cast<size_t>(tokens[b]) * C_, sizeof(float) * C_);
    }
    RotaryAngles(positions[b], invFreq_.data(), half, cos_.data() + static_cast<size_t>(b) * half, sin_.data() + static_cast<size_t>(b) * half);
  }
  const int QD = H_ * D_, KD = KV_ * D_;
  for (int l = 0; l < nLayer_; ++l) {
    const Layer& w = layers_[l];
    for (int b = 0; b < B; ++b) RmsNorm(x_.data() + static_cast<size_t>(b) * C_, w.inputNorm.data(), C_, eps_, a_.data() + static_cast<size_t>(b) * C_);
    Products({{&w.linear[kQ], a_.data(), q_.data(), QD, false},
              {&w.linear[kK], a_.data(), k_.data(), KD, false},
              {&w.linear[kV], a_.data(), v_.data(), KD, false}},
             B);
    for (int b = 0; b < B; ++b) {
      const float* c = cos_.data() + static_cast<size_t>(b) * half;
      const float* s = sin_.data() + static_cast<size_t>(b) * half;
      for (int h = 0; h < H_; ++h) {
        float* q = q_.data() + static_cast<size_t>(b) * QD + h * D_;
        if (qkNorm_) RmsNorm(q, w.qNorm.data(), D_, eps_, q);
        ApplyRotary(q, c, s, half);
      }
      for (int h = 0; h < KV_; ++h) {
        float* k = k_.data() + static_cast<size_t>(b) * KD + h * D_;
        if (qkNorm_) RmsNorm(k, w.kNorm.data(), D_, eps_, k);
        ApplyRotary(k, c, s, half);
      }
    }
    Attention(l, B);
    Products({{&w.linear[kO], y_.data(), x_.data(), C_, true}}, B);
    for (int b = 0; b < B; ++b) RmsNorm(x_.data() + static_cast<size_t>(b) * C_, w.postNorm.data(), C_, eps_, a_.data() + static_cast<size_t>(b) * C_);
    Products({{&w.linear[kGate], a_.data(), gate_.data(), I_, false}, {&w.linear[kUp], a_.data(), up_.data(), I_, false}}, B);
    SwiGlu(gate_.data(), up_.data(), B * I_, gate_.data());
    Products({{&w.linear[kDown], gate_.data(), x_.data(), C_, true}}, B);
  }
  length_ += 1;
  for (int b = 0; b < B; ++b) RmsNorm(x_.data() + static_cast<size_t>(b) * C_, finalNorm_.data(), C_, eps_, a_.data() + static_cast<size_t>(b) * C_);
  Products({{&head_, a_.data(), logits, V_, false}}, B);
  return env.Undefined();
}

// sampleRows({ logits [B·V], temperature, thresholds [B], us Float64Array[B], tokens Int32Array[B] }):
// tokens[b] drawn from row b with uniform us[b] (kernels/vocab.h's SampleFromRow, @grpojs/model's
// sampleToken arithmetic); rows with us[b] < 0 are skipped (tokens[b] = −1). Rows run in parallel.
Napi::Value Engine::SampleRows(const Napi::CallbackInfo& info) {
  const std::string where = "LlamaDecodeEngine.sampleRows";
  const Napi::Object o = OptionsArg(info, where);
  const double temperature = NumberOpt(o, "temperature", where);
  if (!(temperature > 0) || std::isinf(temperature)) throw Napi::RangeError::New(info.Env(), where + ": temperature must be finite and > 0");
  size_t rows = 0;
  const double* us = ArrayOpt<double>(o, "us", napi_float64_array, "Float64Array", -1, where, &rows);
  const int B = static_cast<int>(rows);
  int32_t* tokens = IntsOpt(o, "tokens", B, where);
  const float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V_, where);
  const float* thresholds = FloatsOpt(o, "thresholds", B, where);
  for (int b = 0; b < B; ++b) {
    if (!(us[b] < 1)) throw Napi::RangeError::New(info.Env(), where + ": every us value must be < 1 (negative: skip the row)");
  }
  for (Scratch& s : perThread_) s.scaled.resize(V_), s.weights.resize(V_);
  pool_->ForIndexed(B, 1, [&](int64_t lo, int64_t, int t) {
    Scratch& s = perThread_[t];
    tokens[lo] = us[lo] < 0 ? -1 : static_cast<int32_t>(SampleFromRow(logits + static_cast<size_t>(lo) * V_, V_, temperature, thresholds[lo], us[lo], s.scaled.data(), s.weights.data()));
  });
  return info.Env().Undefined();
}

// info(): { threads, simd: 'avx2' | 'portable', length, capacity, batch, bytes, nf4Projections }.
Napi::Value Engine::Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", pool_->size());
  o.Set("simd", avx2_ ? "avx2" : "portable");
  o.Set("length", length_);
  o.Set("capacity", cap_);
  o.Set("batch", batch_);
  double bytes = 4.0 * (embed_.size() + finalNorm_.size() + keys_.size() + values_.size()) + head_.bytes();
  int nf4 = 0;
  for (const Layer& k : layers_) {
    bytes += 4.0 * (k.inputNorm.size() + k.postNorm.size() + k.qNorm.size() + k.kNorm.size());
    for (const HeldLinear& L : k.linear) bytes += L.bytes(), nf4 += L.codes.empty() ? 0 : 1;
  }
  o.Set("bytes", bytes);
  o.Set("nf4Projections", nf4);
  return o;
}

// dispose(): frees the weights, the cache and the threads; the engine cannot step afterwards.
Napi::Value Engine::Dispose(const Napi::CallbackInfo& info) {
  layers_.assign(nLayer_, Layer());
  for (Layer& layer : layers_) {
    const int ins[] = {C_, C_, C_, H_ * D_, C_, C_, I_};
    const int outs[] = {H_ * D_, KV_ * D_, KV_ * D_, C_, I_, I_, C_};
    for (int m = 0; m < kModuleCount; ++m) layer.linear[m].in = ins[m], layer.linear[m].out = outs[m];
  }
  embed_ = {}, finalNorm_ = {}, head_ = HeldLinear(), embedSet_ = false;
  keys_ = {}, values_ = {}, starts_ = {};
  x_ = {}, a_ = {}, q_ = {}, k_ = {}, v_ = {}, y_ = {}, gate_ = {}, up_ = {}, cos_ = {}, sin_ = {};
  batch_ = cap_ = length_ = 0;
  pool_ = std::make_unique<KernelPool>(1, kSpinMicros);
  perThread_.assign(1, Scratch());
  perThread_[0].decoded.resize(static_cast<size_t>(kGroup) * std::max({C_, H_ * D_, I_}) * kPanel);
  return info.Env().Undefined();
}

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "LlamaDecodeEngine",
                     {InstanceMethod("setNorm", &Engine::SetNorm), InstanceMethod("setLinear", &Engine::SetLinear),
                      InstanceMethod("setLinearNf4", &Engine::SetLinearNf4), InstanceMethod("setEmbedding", &Engine::SetEmbedding),
                      InstanceMethod("setHead", &Engine::SetHead), InstanceMethod("reset", &Engine::Reset),
                      InstanceMethod("loadCache", &Engine::LoadCache), InstanceMethod("step", &Engine::Step),
                      InstanceMethod("sampleRows", &Engine::SampleRows), InstanceMethod("info", &Engine::Info),
                      InstanceMethod("dispose", &Engine::Dispose)});
}

}  // namespace

void InitLlamaDecode(Napi::Env env, Napi::Object exports) { exports.Set("LlamaDecodeEngine", Engine::Define(env)); }

}  // namespace grpojs

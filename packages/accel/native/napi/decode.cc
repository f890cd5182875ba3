// A native GPT-2 decode step for GRPO rollouts. One token per row through the whole model is a
// handful of matrix-vector products with B ≤ ~16 rows: bound by streaming the weights from memory
// (distilgpt2: 324 MB per step), not by arithmetic. Through tfjs the step costs ~315 kernel
// dispatches and runs sgemm at M = 8 far below the memory bandwidth; here the weights sit in
// native memory packed as column panels (each streams contiguously once per step), the small ops
// between the products are plain loops, and a tiny persistent thread pool splits every product by
// output columns and the attention by (row, head). Frozen NF4 projections can stay 4-bit codes in
// panel order (setLinearNf4, ~0.56 byte per weight streamed instead of 4): each panel group is
// decoded to fp32 (table[code] · absmax, the dequantization's own multiply) right before its
// product, which then runs the same tiles, so the logits do not change by a bit.
//
// The LayerNorm, activation, attention, NF4 and sampling math is shared with the training kernels
// and the Llama engine (native/kernels/*.h); this file holds the packed-panel products, the N-API
// methods (each takes one named options object, napi-options.h) and the scheduling.
//
// Determinism: every output element is computed by exactly one thread with the same instruction
// sequence whatever the thread count or timing (threads take whole panel groups / whole (row, head)
// pairs from a shared counter, so a preempted thread's share is picked up by the others), so 1
// and N threads give bit-identical logits.
#include "decode-binding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../cpu.h"

#include "../kernels/gelu.h"
#include "../kernels/gqa-attention.h"
#include "../kernels/kv-cache.h"
#include "../kernels/layer-norm.h"
#include "../kernels/nf4.h"
#include "../kernels/panel-linear.h"
#include "../kernels/thread-pool.h"
#include "../kernels/vocab.h"
#include "napi-options.h"

namespace grpojs {
namespace {

// How long the engine's idle pool threads spin before sleeping: a decode step runs dozens of short
// parallel regions back to back.
constexpr int kSpinMicros = 100;

enum Act : int32_t { kGeluNew = 0, kRelu = 1, kGelu = 2 };
enum Epilogue { kStore, kAddTo, kActivate };

// A zero-filled float buffer aligned to 64 bytes (outside the JS heap).
class Floats {
 public:
  Floats() = default;
  Floats(const Floats&) = delete;
  Floats& operator=(const Floats&) = delete;
  ~Floats() { std::free(p_); }
  void Reset(size_t n) {
    std::free(p_);
    p_ = nullptr;
    n_ = n;
    held_ = 0;
    if (n == 0) return;
    const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (p_ == nullptr) throw std::bad_alloc();
    std::memset(p_, 0, bytes);
    held_ = n;
  }
  // n floats whose contents the caller overwrites before reading: the allocation is kept when it
  // is large enough (no fresh pages to fault in, no zeroing; the KV cache per rollout).
  void Reuse(size_t n) {
    if (n == 0 || n > held_) {
      Reset(n);
      return;
    }
    n_ = n;
  }
  float* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
  size_t held_ = 0;
};

// y = x·W + b with W [in, out] stored as panels [ceil(out/8)][in][8] (padded columns are zero),
// or, for a frozen NF4 layer (setLinearNf4), as its 4-bit codes in the same panel order plus the
// block scales: w(k, o) = table[code] · absmax, decoded panel by panel inside the product.
struct Linear {
  int in = 0;
  int out = 0;
  int panels = 0;
  Floats w;
  Floats bias;  // [out]; size 0 = no bias
  bool set = false;
  // NF4: codes [panels][in] (nibble j of a word = column p·8 + j; padded columns code 7 = 0.0),
  // scales [panels][in / blockSize][8] (padded columns 0); w is then empty.
  bool nf4 = false;
  int blockSize = 0;
  std::vector<uint32_t> codes;
  Floats scales;
  float table[16] = {};
};

// Packs a weight into dst's panels (kernels/panel-linear.h); `rowsAreOutputs`: src is [out, in] (an
// LM head), else [in, out].
void Pack(const float* src, int in, int out, bool rowsAreOutputs, Linear& dst) {
  dst.in = in;
  dst.out = out;
  dst.panels = PanelCount(out);
  dst.w.Reset(static_cast<size_t>(dst.panels) * in * kPanel);
  PackPanels(src, in, out, rowsAreOutputs, dst.w.data());
  dst.set = true;
}

// The MLP activation (kernels/gelu.h: the same gelu_new as the training kernel).
inline float Activate(float v, int32_t act) {
  switch (act) {
    case kRelu:
      return v < 0.f ? 0.f : v;
    case kGelu:
      return GeluErf(v);
    default:
      return GeluNew(v);
  }
}

// One (row, head) of the attention (kernels/gqa-attention.h), compiled for the build's baseline ISA
// and again for AVX2.
using AttendFn = void (*)(const float*, const float*, const float*, int, int, int, float, float*, float*);
void AttendPortable(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores, float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#if GRPOJS_AVX2
GRPOJS_TARGET_AVX2 void AttendAvx2(const float* q, const float* k, const float* v, int s, int e, int D, float scale, float* scores, float* y) {
  AttendHead(q, k, v, s, e, D, scale, scores, y);
}
#endif

struct Block {
  std::vector<float> ln1g, ln1b, ln2g, ln2b;
  Linear attn, proj, fc, mproj;  // c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj
  bool ln1 = false, ln2 = false;
};

class Engine : public Napi::ObjectWrap<Engine> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Engine(const Napi::CallbackInfo& info);

 private:
  Napi::Value SetLayerNorm(const Napi::CallbackInfo& info);
  Napi::Value SetLinear(const Napi::CallbackInfo& info);
  Napi::Value SetLinearNf4(const Napi::CallbackInfo& info);
  Napi::Value SetPositionEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetTokenEmbedding(const Napi::CallbackInfo& info);
  Napi::Value SetHead(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value LoadCache(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value SampleRows(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  void Gemv(const Linear& L, const float* x, int B, float* out, int ldo, Epilogue epi);
  void Attention(int layer, int B);
  void LayerNorm(const float* x, const std::vector<float>& g, const std::vector<float>& b, float* out, int B) const;
  std::string Missing() const;
  Linear& ProjectionOpt(const Napi::Object& o, const std::string& where, int* in, int* out);

  int nLayer_, nHead_, C_, inner_, V_, nPos_;
  double eps_;
  int32_t act_;
  bool tied_;
  std::vector<float> scales_;
  std::vector<Block> blocks_;
  std::vector<float> lnfG_, lnfB_, wpe_;
  bool lnf_ = false, wpeSet_ = false, wteSet_ = false;
  Linear head_;
  Floats wteRows_;  // untied: the token embedding [V, C]; tied: the embedding is read from head_
  int batch_ = 0, cap_ = 0, length_ = 0;
  std::vector<int> starts_;
  Floats keys_, values_;  // [layer][row][head][cap][headDim]
  Floats x_, a_, qkv_, y_, f_;
  std::vector<std::vector<float>> scores_;  // per thread, [cap]
  std::vector<std::vector<float>> scaled_;  // per thread, [V] (sampleRows)
  std::vector<std::vector<double>> weights_;  // per thread, [V] (sampleRows)
  std::unique_ptr<KernelPool> pool_;
  std::unique_ptr<Floats[]> decoded_;  // per thread: an NF4 panel group decoded to fp32 [kGroup][in][8]
  bool avx2_;
  TileTable tiles_;
};

[[noreturn]] void Fail(Napi::Env env, const std::string& what) { throw Napi::RangeError::New(env, "DecodeEngine." + what); }

int IntField(Napi::Env env, Napi::Object o, const char* name, int lo) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber()) Fail(env, std::string("constructor: spec.") + name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (d != std::floor(d) || d < lo || d > 1e9) Fail(env, std::string("constructor: spec.") + name + " must be an integer ≥ " + std::to_string(lo));
  return static_cast<int>(d);
}

Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) Fail(env, "constructor: expected one spec object");
  const Napi::Object s = info[0].As<Napi::Object>();
  nLayer_ = IntField(env, s, "nLayer", 1);
  nHead_ = IntField(env, s, "nHead", 1);
  C_ = IntField(env, s, "nEmbd", 1);
  inner_ = IntField(env, s, "nInner", 1);
  V_ = IntField(env, s, "vocabSize", 1);
  nPos_ = IntField(env, s, "nPositions", 1);
  act_ = IntField(env, s, "activation", 0);
  int threads = IntField(env, s, "threads", 0);
  if (C_ % nHead_ != 0) Fail(env, "constructor: spec.nEmbd must be divisible by spec.nHead");
  if (act_ > kGelu) Fail(env, "constructor: spec.activation must be 0 (gelu_new), 1 (relu) or 2 (gelu)");
  eps_ = NumberOpt(s, "eps", "new DecodeEngine");
  tied_ = s.Get("tiedHead").ToBoolean().Value();
  const Napi::Value sc = s.Get("attnScales");
  if (!sc.IsTypedArray() || sc.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      sc.As<Napi::Float32Array>().ElementLength() != static_cast<size_t>(nLayer_)) {
    Fail(env, "constructor: spec.attnScales must be a Float32Array of nLayer values");
  }
  const Napi::Float32Array scales = sc.As<Napi::Float32Array>();
  scales_.assign(scales.Data(), scales.Data() + nLayer_);
  blocks_ = std::vector<Block>(nLayer_);
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  pool_ = std::make_unique<KernelPool>(threads, kSpinMicros);
  decoded_ = std::make_unique<Floats[]>(threads);
  scores_.assign(pool_->size(), {});
  avx2_ = CpuHasAvx2() && !s.Get("portable").ToBoolean().Value();
  MakeTileTable(avx2_, tiles_);
}

// setLayerNorm({ index, gamma [C], beta [C] }): index 2l = h.l.ln_1, 2l+1 = h.l.ln_2, 2·nLayer = ln_f.
Napi::Value Engine::SetLayerNorm(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setLayerNorm";
  const Napi::Object o = OptionsArg(info, where);
  const int i = IntOpt(o, "index", where);
  if (i < 0 || i > 2 * nLayer_) Fail(info.Env(), "setLayerNorm: options.index is outside [0, 2·nLayer]");
  const float* g = FloatsOpt(o, "gamma", C_, where);
  const float* b = FloatsOpt(o, "beta", C_, where);
  if (i == 2 * nLayer_) {
    lnfG_.assign(g, g + C_), lnfB_.assign(b, b + C_), lnf_ = true;
  } else if (i % 2 == 0) {
    Block& k = blocks_[i / 2];
    k.ln1g.assign(g, g + C_), k.ln1b.assign(b, b + C_), k.ln1 = true;
  } else {
    Block& k = blocks_[i / 2];
    k.ln2g.assign(g, g + C_), k.ln2b.assign(b, b + C_), k.ln2 = true;
  }
  return info.Env().Undefined();
}

// The projection `options.projection` (0 = c_attn, 1 = attn.c_proj, 2 = mlp.c_fc, 3 = mlp.c_proj)
// of block `options.layer`, and its [in, out] sizes.
Linear& Engine::ProjectionOpt(const Napi::Object& o, const std::string& where, int* in, int* out) {
  const int l = IntOpt(o, "layer", where);
  const int which = IntOpt(o, "projection", where);
  if (l < 0 || l >= nLayer_ || which < 0 || which > 3) {
    throw Napi::RangeError::New(o.Env(), where + ": options.layer " + std::to_string(l) + " or options.projection " + std::to_string(which) + " out of range");
  }
  const int ins[] = {C_, C_, C_, inner_};
  const int outs[] = {3 * C_, C_, inner_, C_};
  *in = ins[which], *out = outs[which];
  Block& k = blocks_[l];
  Linear* dst[] = {&k.attn, &k.proj, &k.fc, &k.mproj};
  return *dst[which];
}

// setLinear({ layer, projection, weight [in·out] (HF Conv1D [in, out]), bias [out] }). Replaces only
// that projection.
Napi::Value Engine::SetLinear(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setLinear";
  const Napi::Object o = OptionsArg(info, where);
  int in = 0, out = 0;
  Linear& L = ProjectionOpt(o, where, &in, &out);
  const float* w = FloatsOpt(o, "weight", static_cast<int64_t>(in) * out, where);
  const float* b = FloatsOpt(o, "bias", out, where);
  Pack(w, in, out, false, L);
  L.nf4 = false;
  L.codes = {};
  L.scales.Reset(0);
  L.bias.Reset(out);
  std::memcpy(L.bias.data(), b, sizeof(float) * out);
  return info.Env().Undefined();
}

// setLinearNf4({ layer, projection, codeWords Int32Array, absmax, blockSize, table [16], bias [out] }):
// a frozen NF4 projection kept as codes. codeWords: the 4-bit codes of the Conv1D weight [in, out]
// (field k·out + o) in @grpojs/model's packHalves layout (m words of two 16-bit halves, 4 codes per
// half lowest bits first, the low halves holding fields [0, 4m), the high halves [4m, 8m)); absmax:
// the fp32 scale of every block of blockSize weights along `in` of each output column,
// [out][in / blockSize] (bitsandbytes' blocks over the [out, in] weight). Requires in % blockSize = 0
// (else pass the dequantized weight to setLinear).
Napi::Value Engine::SetLinearNf4(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "DecodeEngine.setLinearNf4";
  const Napi::Object o = OptionsArg(info, where);
  int in = 0, out = 0;
  Linear& L = ProjectionOpt(o, where, &in, &out);
  const int bs = IntOpt(o, "blockSize", where);
  if (bs <= 0 || in % bs != 0) Fail(env, "setLinearNf4: options.blockSize " + std::to_string(bs) + " must be > 0 and divide in = " + std::to_string(in) + "; pass the dequantized weight to setLinear instead");
  const size_t n = static_cast<size_t>(in) * out;
  const size_t m = (n + 7) / 8;
  const uint32_t* words = reinterpret_cast<const uint32_t*>(IntsOpt(o, "codeWords", static_cast<int64_t>(m), where));
  const int perCol = in / bs;
  const float* absmax = FloatsOpt(o, "absmax", static_cast<int64_t>(out) * perCol, where);
  const float* table = FloatsOpt(o, "table", 16, where);
  const float* b = FloatsOpt(o, "bias", out, where);
  L.in = in, L.out = out, L.panels = (out + kPanel - 1) / kPanel;
  L.w.Reset(0);
  L.codes.assign(static_cast<size_t>(L.panels) * in, 0u);
  L.scales.Reset(static_cast<size_t>(L.panels) * perCol * kPanel);
  PackNf4Panels(words, static_cast<int64_t>(m), in, out, bs, absmax, L.codes.data(), L.scales.data());
  std::memcpy(L.table, table, sizeof L.table);
  L.blockSize = bs;
  L.nf4 = true;
  L.bias.Reset(out);
  std::memcpy(L.bias.data(), b, sizeof(float) * out);
  L.set = true;
  return env.Undefined();
}

// setPositionEmbedding({ weight [nPositions·C] }): wpe.
Napi::Value Engine::SetPositionEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setPositionEmbedding";
  const float* w = FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(nPos_) * C_, where);
  wpe_.assign(w, w + static_cast<size_t>(nPos_) * C_);
  wpeSet_ = true;
  return info.Env().Undefined();
}

// setTokenEmbedding({ weight [V·C] }): wte; tied heads pack it as the head, untied keep it as rows.
Napi::Value Engine::SetTokenEmbedding(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setTokenEmbedding";
  const size_t n = static_cast<size_t>(V_) * C_;
  const float* w = FloatsOpt(OptionsArg(info, where), "weight", static_cast<int64_t>(n), where);
  if (tied_) {
    Pack(w, C_, V_, true, head_);
  } else {
    wteRows_.Reset(n);
    std::memcpy(wteRows_.data(), w, n * sizeof(float));
  }
  wteSet_ = true;
  return info.Env().Undefined();
}

// setHead({ weight [V·C] }) of an untied head (logits = h · weightᵀ).
Napi::Value Engine::SetHead(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.setHead";
  const Napi::Object o = OptionsArg(info, where);
  if (tied_) Fail(info.Env(), "setHead: the head is tied to the token embedding; use setTokenEmbedding");
  Pack(FloatsOpt(o, "weight", static_cast<int64_t>(V_) * C_, where), C_, V_, true, head_);
  return info.Env().Undefined();
}

// reset({ batch, capacity }): an empty KV cache for `batch` rows and `capacity` positions (0, 0
// frees it). A cache at least as large is reused: positions are written (loadCache, step) before read.
Napi::Value Engine::Reset(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.reset";
  const Napi::Object o = OptionsArg(info, where);
  const int B = IntOpt(o, "batch", where);
  const int cap = IntOpt(o, "capacity", where);
  if (B < 0 || cap < 0 || cap > nPos_) Fail(info.Env(), "reset: options.batch must be ≥ 0 and options.capacity in [0, nPositions]");
  batch_ = B, cap_ = cap, length_ = 0;
  starts_.assign(B, 0);
  const size_t kv = static_cast<size_t>(nLayer_) * B * cap * C_;
  keys_.Reuse(kv), values_.Reuse(kv);
  x_.Reset(static_cast<size_t>(B) * C_), a_.Reset(static_cast<size_t>(B) * C_), y_.Reset(static_cast<size_t>(B) * C_);
  qkv_.Reset(static_cast<size_t>(B) * 3 * C_), f_.Reset(static_cast<size_t>(B) * inner_);
  for (auto& s : scores_) s.assign(cap, 0.f);
  return info.Env().Undefined();
}

// loadCache({ layer, keys, values, srcCapacity, length, starts Int32Array[batch] }): copies the
// first `length` positions of a prefill's keys/values [batch, heads, srcCapacity, headDim];
// `starts[b]` is row b's first valid position (left padding before it is masked).
Napi::Value Engine::LoadCache(const Napi::CallbackInfo& info) {
  const std::string where = "DecodeEngine.loadCache";
  const Napi::Object o = OptionsArg(info, where);
  const int l = IntOpt(o, "layer", where);
  const int srcCap = IntOpt(o, "srcCapacity", where);
  const int len = IntOpt(o, "length", where);
  if (l < 0 || l >= nLayer_) Fail(info.Env(), "loadCache: options.layer is outside [0, nLayer)");
  if (len < 0 || len > srcCap || len > cap_) Fail(info.Env(), "loadCache: options.length must be ≤ options.srcCapacity and ≤ the reset capacity");
  const int D = C_ / nHead_;
  const int64_t n = static_cast<int64_t>(batch_) * nHead_ * srcCap * D;
  const float* k = FloatsOpt(o, "keys", n, where);
  const float* v = FloatsOpt(o, "values", n, where);
  const int32_t* starts = IntsOpt(o, "starts", batch_, where);
  for (int b = 0; b < batch_; ++b) {
    if (starts[b] < 0 || starts[b] > len) Fail(info.Env(), "loadCache: every value of options.starts must be in [0, options.length]");
    starts_[b] = starts[b];
  }
  CopyLayerIntoKvCache(k, v, l, batch_ * nHead_, srcCap, cap_, D, len, keys_.data(), values_.data());
  length_ = len;
  return info.Env().Undefined();
}

std::string Engine::Missing() const {
  if (!wteSet_ || !head_.set) return "the token embedding / LM head (setTokenEmbedding, setHead when untied)";
  if (!wpeSet_) return "the position embedding (setPositionEmbedding)";
  if (!lnf_) return "ln_f (setLayerNorm)";
  for (int l = 0; l < nLayer_; ++l) {
    const Block& k = blocks_[l];
    if (!k.ln1 || !k.ln2) return "a LayerNorm of layer " + std::to_string(l) + " (setLayerNorm)";
    if (!k.attn.set || !k.proj.set || !k.fc.set || !k.mproj.set) return "a projection of layer " + std::to_string(l) + " (setLinear)";
  }
  return "";
}

// LayerNorm of B rows of C (kernels/layer-norm.h: the training kernel's row code).
void Engine::LayerNorm(const float* x, const std::vector<float>& g, const std::vector<float>& beta, float* out, int B) const {
  for (int b = 0; b < B; ++b) {
    LayerNormRow(x + static_cast<size_t>(b) * C_, g.data(), beta.data(), C_, eps_, out + static_cast<size_t>(b) * C_, nullptr, nullptr);
  }
}

// out[b][o] (row stride ldo) = x[b]·W + bias, then per epilogue: stored, added to out, or activated.
// Threads take runs of whole kGroup-panel groups (about 8 runs per thread).
void Engine::Gemv(const Linear& L, const float* x, int B, float* out, int ldo, Epilogue epi) {
  const int groups = (L.panels + kGroup - 1) / kGroup;
  const float* bias = L.bias.size() > 0 ? L.bias.data() : nullptr;
  pool_->ForIndexed(groups, groups / (8 * pool_->size()), [&](int64_t g0, int64_t g1, int t) {
    alignas(32) float tile[kGroup * kRowBlock * kPanel];
    Floats& decoded = decoded_[t];
    if (L.nf4) decoded.Reuse(static_cast<size_t>(kGroup) * L.in * kPanel);
    for (int g = static_cast<int>(g0); g < g1; ++g) {
      const int p0 = g * kGroup;
      const int np = std::min(kGroup, L.panels - p0);
      const float* panels = L.w.data() + static_cast<size_t>(p0) * L.in * kPanel;
      if (L.nf4) {
        // The group's panels decoded once (L2-resident) and then read by every row block.
        for (int i = 0; i < np; ++i) {
          const size_t p = static_cast<size_t>(p0 + i);
          const uint32_t* codes = L.codes.data() + p * L.in;
          const float* scales = L.scales.data() + p * (L.in / L.blockSize) * kPanel;
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
      for (int b0 = 0; b0 < B; b0 += kRowBlock) {
        const int nb = std::min(kRowBlock, B - b0);
        tiles_[np - 1][nb - 1](panels, L.in, x + static_cast<size_t>(b0) * L.in, L.in, tile);
        for (int i = 0; i < np; ++i) {
          const int o0 = (p0 + i) * kPanel;
          const int width = std::min(kPanel, L.out - o0);
          for (int b = 0; b < nb; ++b) {
            const float* t = tile + (i * nb + b) * kPanel;
            float* row = out + static_cast<size_t>(b0 + b) * ldo + o0;
            for (int j = 0; j < width; ++j) {
              float v = t[j];
              if (bias != nullptr) v += bias[o0 + j];
              if (epi == kActivate) v = Activate(v, act_);
              row[j] = epi == kAddTo ? row[j] + v : v;
            }
          }
        }
      }
    }
  });
}

// Appends this step's k, v (from qkv_) at position length_, then y_ = softmax(q·Kᵀ·scale) · V over
// each row's valid positions [start, length_], per (row, head) (kernels/gqa-attention.h, one KV head
// per query head).
void Engine::Attention(int layer, int B) {
  const int H = nHead_, D = C_ / H, L = length_;
  const float scale = scales_[layer];
  AttendFn attend = AttendPortable;
#if GRPOJS_AVX2
  if (avx2_) attend = AttendAvx2;
#endif
  pool_->ForIndexed(B * H, B * H / (4 * pool_->size()), [&](int64_t lo, int64_t hi, int t) {
    float* s = scores_[t].data();
    for (int bh = static_cast<int>(lo); bh < hi; ++bh) {
      const int b = bh / H, h = bh % H;
      const float* q = qkv_.data() + static_cast<size_t>(b) * 3 * C_ + h * D;
      const size_t base = (static_cast<size_t>(layer) * B * H + bh) * cap_ * D;
      float* K = keys_.data() + base;
      float* Vv = values_.data() + base;
      std::memcpy(K + static_cast<size_t>(L) * D, q + C_, sizeof(float) * D);
      std::memcpy(Vv + static_cast<size_t>(L) * D, q + 2 * C_, sizeof(float) * D);
      attend(q, K, Vv, starts_[b], L, D, scale, s, y_.data() + static_cast<size_t>(b) * C_ + h * D);
    }
  });
}

// step({ tokens Int32Array[B], positions Int32Array[B], logits Float32Array[B·V] }): one token per
// row at cache position `length`, then length += 1.
Napi::Value Engine::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "DecodeEngine.step";
  const Napi::Object o = OptionsArg(info, where);
  const std::string missing = Missing();
  if (!missing.empty()) Fail(env, "step: " + missing + " was never set");
  if (batch_ == 0) Fail(env, "step: call reset({ batch, capacity }) first");
  if (length_ >= cap_) Fail(env, "step: the KV cache is full (" + std::to_string(cap_) + " positions); reset with a larger capacity");
  const int B = batch_;
  const int32_t* tokens = IntsOpt(o, "tokens", B, where);
  const int32_t* positions = IntsOpt(o, "positions", B, where);
  float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V_, where);
  float* x = x_.data();
  for (int b = 0; b < B; ++b) {
    const int tok = tokens[b], pos = positions[b];
    if (tok < 0 || tok >= V_) Fail(env, "step: options.tokens[" + std::to_string(b) + "] = " + std::to_string(tok) + " is outside the vocabulary");
    if (pos < 0 || pos >= nPos_) Fail(env, "step: options.positions[" + std::to_string(b) + "] = " + std::to_string(pos) + " is outside [0, nPositions)");
    const float* pe = wpe_.data() + static_cast<size_t>(pos) * C_;
    float* xr = x + static_cast<size_t>(b) * C_;
    if (tied_) {
      const float* panel = head_.w.data() + static_cast<size_t>(tok / kPanel) * C_ * kPanel + tok % kPanel;
      for (int c = 0; c < C_; ++c) xr[c] = panel[static_cast<size_t>(c) * kPanel] + pe[c];
    } else {
      const float* te = wteRows_.data() + static_cast<size_t>(tok) * C_;
      for (int c = 0; c < C_; ++c) xr[c] = te[c] + pe[c];
    }
  }
  for (int l = 0; l < nLayer_; ++l) {
    Block& k = blocks_[l];
    LayerNorm(x, k.ln1g, k.ln1b, a_.data(), B);
    Gemv(k.attn, a_.data(), B, qkv_.data(), 3 * C_, kStore);
    Attention(l, B);
    Gemv(k.proj, y_.data(), B, x, C_, kAddTo);
    LayerNorm(x, k.ln2g, k.ln2b, a_.data(), B);
    Gemv(k.fc, a_.data(), B, f_.data(), inner_, kActivate);
    Gemv(k.mproj, f_.data(), B, x, C_, kAddTo);
  }
  length_ += 1;
  LayerNorm(x, lnfG_, lnfB_, a_.data(), B);
  Gemv(head_, a_.data(), B, logits, V_, kStore);
  return env.Undefined();
}


// sampleRows({ logits Float32Array[B·V], temperature, thresholds Float32Array[B], us Float64Array[B],
// tokens Int32Array[B] }): per row b with us[b] in [0, 1), tokens[b] = the token drawn with uniform
// us[b] (see SampleFromRow in kernels/vocab.h); rows with us[b] < 0 are skipped (tokens[b] = −1). Rows
// run in parallel.
Napi::Value Engine::SampleRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string where = "DecodeEngine.sampleRows";
  const Napi::Object o = OptionsArg(info, where);
  const double temperature = NumberOpt(o, "temperature", where);
  if (!(temperature > 0) || std::isinf(temperature)) Fail(env, "sampleRows: options.temperature must be finite and > 0");
  size_t rows = 0;
  const double* u = ArrayOpt<double>(o, "us", napi_float64_array, "Float64Array", -1, where, &rows);
  const int B = static_cast<int>(rows);
  int32_t* out = IntsOpt(o, "tokens", B, where);
  const float* logits = FloatsOpt(o, "logits", static_cast<int64_t>(B) * V_, where);
  const float* thresholds = FloatsOpt(o, "thresholds", B, where);
  for (int b = 0; b < B; ++b) {
    if (!(u[b] < 1)) Fail(env, "sampleRows: every value of options.us must be < 1 (negative: skip the row)");
  }
  const int T = pool_->size();
  if (scaled_.size() != static_cast<size_t>(T)) scaled_.assign(T, {}), weights_.assign(T, {});
  for (int t = 0; t < T; ++t) scaled_[t].resize(V_), weights_[t].resize(V_);
  pool_->ForIndexed(B, 1, [&](int64_t lo, int64_t, int t) {
    out[lo] = u[lo] < 0 ? -1 : static_cast<int32_t>(SampleFromRow(logits + static_cast<size_t>(lo) * V_, V_, temperature, thresholds[lo], u[lo], scaled_[t].data(), weights_[t].data()));
  });
  return env.Undefined();
}

// info(): { threads, simd: 'avx2' | 'portable', length, capacity, batch, bytes, nf4Projections }.
Napi::Value Engine::Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", pool_ ? pool_->size() : 0);
  o.Set("simd", avx2_ ? "avx2" : "portable");
  o.Set("length", length_);
  o.Set("capacity", cap_);
  o.Set("batch", batch_);
  double bytes = 4.0 * (head_.w.size() + wteRows_.size() + wpe_.size() + keys_.size() + values_.size());
  int nf4 = 0;
  for (const Block& k : blocks_) {
    for (const Linear* L : {&k.attn, &k.proj, &k.fc, &k.mproj}) {
      bytes += 4.0 * (L->w.size() + L->bias.size() + L->codes.size() + L->scales.size());
      nf4 += L->nf4 ? 1 : 0;
    }
  }
  for (int t = 0; t < (pool_ ? pool_->size() : 0); ++t) bytes += 4.0 * decoded_[t].size();
  o.Set("bytes", bytes);
  o.Set("nf4Projections", nf4);
  return o;
}

// dispose(): frees every buffer and stops the threads; the engine cannot step afterwards.
Napi::Value Engine::Dispose(const Napi::CallbackInfo& info) {
  for (Block& k : blocks_) {
    for (Linear* L : {&k.attn, &k.proj, &k.fc, &k.mproj}) L->w.Reset(0), L->bias.Reset(0), L->codes = {}, L->scales.Reset(0), L->nf4 = L->set = false;
    k.ln1 = k.ln2 = false;
  }
  head_.w.Reset(0), head_.set = false;
  wteRows_.Reset(0), keys_.Reset(0), values_.Reset(0);
  x_.Reset(0), a_.Reset(0), qkv_.Reset(0), y_.Reset(0), f_.Reset(0);
  wpe_ = {}, lnfG_ = {}, lnfB_ = {};
  wteSet_ = wpeSet_ = lnf_ = false;
  batch_ = cap_ = length_ = 0;
  pool_.reset();
  pool_ = std::make_unique<KernelPool>(1);
  decoded_ = std::make_unique<Floats[]>(1);
  scores_.assign(1, {});
  scaled_.clear(), weights_.clear();
  return info.Env().Undefined();
}

Napi::Function Engine::Define(Napi::Env env) {
  return DefineClass(env, "DecodeEngine",
                     {InstanceMethod("setLayerNorm", &Engine::SetLayerNorm), InstanceMethod("setLinear", &Engine::SetLinear),
                      InstanceMethod("setLinearNf4", &Engine::SetLinearNf4),
                      InstanceMethod("setPositionEmbedding", &Engine::SetPositionEmbedding),
                      InstanceMethod("setTokenEmbedding", &Engine::SetTokenEmbedding), InstanceMethod("setHead", &Engine::SetHead),
                      InstanceMethod("reset", &Engine::Reset), InstanceMethod("loadCache", &Engine::LoadCache),
                      InstanceMethod("step", &Engine::Step), InstanceMethod("sampleRows", &Engine::SampleRows),
                      InstanceMethod("info", &Engine::Info),
                      InstanceMethod("dispose", &Engine::Dispose)});
}

}  // namespace

void InitDecode(Napi::Env env, Napi::Object exports) { exports.Set("DecodeEngine", Engine::Define(env)); }

}  // namespace grpojs

#include "tests/op_cases.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "engine/core/quant_blocks.h"

namespace gemmeter::test {
namespace {

// ---------------------------------------------------------------- error budgets
//
// The oracle accumulates in double and rounds once to float32, so its own error is below
// u = 2^-24 (float32 unit roundoff) relative per element, negligible next to a float32
// backend's. Each budget bounds what a *correct* float32 implementation may differ by:
// an error model from the number and size of the roundings on the op's longest chain,
// times a stated margin. Rounding errors are modelled as independent, each ~u^2/3 in
// variance relative to the value rounded. test_op_suite checks that a naive float32
// implementation (op_test_backends' FloatBackend: sequential sums, the worst order) passes
// every case, and the measured fractions of each budget are in the comments below.
constexpr double kU = 0x1p-24;
constexpr double kU2 = kU * kU;  // 3.6e-15

// add, embedding: one rounding of the exact result (a + b; row * scale), which every
// correct float32 backend performs identically: expect 0. u^2, the NMSE of one extra
// rounding, is room for nothing more.
Budget OneRounding() { return {Metric::kNmse, kU2}; }

// copy_rows moves bits: any difference is a bug.
Budget Exact() { return {Metric::kExact, 0.0}; }

// geglu, softcap: a tanh and ~10 flops per element; a few ulp with libm (measured NMSE
// ~1e-14), up to ~1e-6 relative for vectorized tanh/exp approximations (SLEEF/oneDNN
// class). 1e-10 admits 1e-5 rms relative error, and still catches GELU's erf form in
// place of the tanh form (NMSE 2.2e-8 at gate_std 2) by 200x.
Budget Transcendental() { return {Metric::kNmse, 1e-10}; }

// rms_norm: the mean square is a float sum of `width` squares whose relative error, a
// random walk of `width` roundings, scales the whole row (halved by the square root);
// then ~4 roundings per element: NMSE ~ (width/4 + 4) u^2 / 3. Budget 10 u^2 (width + 16),
// ~100x that (sequential float: <1% of it). The x_std=1e-3 case, whose mean square equals
// eps, is what catches a misplaced or missing eps (an O(1) error there).
Budget RmsNormBudget(int64_t width) { return {Metric::kNmse, 10 * kU2 * (width + 16)}; }

// matmul, f32 weights: each output is a float dot product of length K. Sequential
// accumulation rounds partial sums of size ~sqrt(k), so NMSE ~ u^2 K / 6 (measured
// u^2 K / 11); blocked or pairwise sums and FMA do better, and the epilogue adds ~3
// roundings. Budget 10 u^2 (K + 16), ~100x over sequential (measured: <1%). TF32
// (u = 2^-11: NMSE ~1e-7) or bf16 activations (2.8e-6) fail by >1000x.
Budget MatMulF32(int64_t k) { return {Metric::kNmse, 10 * kU2 * (k + 16)}; }

// matmul, bf16 weights: a backend may round the activations to bf16 too and multiply
// bf16 x bf16 -> f32 (oneDNN's and ggml's fast path). One bf16 rounding (8-bit
// significand, round to nearest even) has relative variance (2^-7)^2 / 12 * E[1/m^2]
// = 2.75e-6 for log-uniform significands m, and a dot product of independently perturbed
// terms keeps that relative variance: NMSE ~ 2.8e-6 (measured 2.5..3.1e-6). Budget
// 1e-5 = 3.6x that: room for a second bf16 rounding (e.g. of `multiply`), not for f16-
// or bf16-level errors on top; a wrong row or missing K block gives >= 1e-3. The NMSE of
// a few outputs is a heavy-tailed ratio: in simulation 7% of random 1x7x5 products exceed
// 1e-5, while with >= ~100 outputs the 99.9th percentile stays below 1e-5, so bf16 cases
// have at least 50 outputs (checked by test_op_suite).
Budget MatMulBf16() { return {Metric::kNmse, 1e-5}; }

// Block-format weights decode to float32: exactly (d q, d (code - offset), d sc q), except
// q4_k/q5_k's d sc q - dmin m, which a kernel may fuse into one multiply-add, moving a
// value by up to u |d sc q| (one product's rounding); |d sc q| is within a few |y| for
// these random blocks, so a decoded row has NMSE ~ a few u^2. Embedding: that, then the
// scale's rounding. Budget 16 u^2: an undecoded nibble, a wrong sub-block scale or a
// missing min moves values by O(1) (NMSE >= 1e-3). Matmuls keep MatMulF32(K): the
// decoding perturbs each weight by <= ~u relative, adding ~u^2 to an NMSE budget of
// 10 u^2 (K + 16).
Budget BlockDecode() { return {Metric::kNmse, 16 * kU2}; }

// Row widths for block-format cases: Gemma 270M's hidden width 640 (20 blocks of 32) and
// three blocks for the "_0" formats; 768 (3 super-blocks) and one super-block for the
// K-quants.
std::vector<int64_t> BlockWidths(DType d) {
  if (BlockValues(d) == kBlockK) return {768, 256};
  return {640, 96};
}

// rope: the contract forms angles in float32 (inv_freq = float(1 / theta^(2i/d) /
// scaling), angle = float(position * inv_freq), as transformers does). A backend whose
// pow differs by an ulp (a GPU libm, or pow in double) or that rounds the product
// differently moves each angle by up to ~1.5 ulp, i.e. ~angle u, which the rotation turns
// into that relative error: NMSE ~ mean_i(angle_i^2) u^2 at the largest position, plus ~5
// roundings of sin/cos and the rotation. Budget 4 u^2 (mean_i(angle_i^2) + 16), with the
// mean over the case's frequencies at max_position (measured with pow in double: ~10% of
// it). Float32 angles near 4000 rad are only good to ~2e-4 rad, which is why this budget
// grows with position; a fast sin/cos without range reduction, the interleaved rotation
// instead of rotate-half, or a wrong theta or scaling is orders of magnitude beyond it.
Budget RopeBudget(const RopeCase& r) {
  double mean_square = 0.0;
  const int64_t half = r.head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double angle = r.max_position * std::pow(double{r.theta}, -2.0 * i / r.head_dim) /
                         r.scaling;
    mean_square += angle * angle / static_cast<double>(half);
  }
  return {Metric::kNmse, 4 * kU2 * (mean_square + 16)};
}

// attention: a score is a float dot product of length Dh summing to ~score_std, so it
// errs by ~score_std sqrt(Dh / 3) u absolutely, which softmax turns into the same relative
// error of the weights; the softmax sum and the weighted sum over L keys add ~sqrt(L) u
// relative, exp/tanh a few ulp: NMSE ~ u^2 (score_std^2 Dh + L + Dh) / 3. Budget 10 u^2
// (score_std^2 Dh + L + Dh + 64), ~30x that, which covers online (flash) softmax's
// rescaling steps too (two-pass float32 measured at <4%); a bf16 or f16 P V product
// (>= 1e-7) or a masking error (O(1)) fails.
Budget AttentionBudget(const AttentionCase& a) {
  int64_t keys = 0;
  for (const AttentionSeqSpec& s : a.sequences) {
    const int64_t visible = a.window > 0 ? std::min<int64_t>(a.window, s.start + s.count)
                                         : s.start + s.count;
    keys = std::max(keys, visible);
  }
  const double s2 = static_cast<double>(a.score_std) * a.score_std;
  return {Metric::kNmse, 10 * kU2 * (s2 * a.head_dim + keys + a.head_dim + 64)};
}

// log_softmax_gather: log_prob = x_t - max - log(sum_j exp(x_j - max)). A float sum of V
// positive terms loses every term below half an ulp of the running sum: worst case
// (V - 1) u relative, and a sequential sum of N(0, 16) logits measured 0.025 V u at
// V = 262144 (3.7e-4 nats; lane-parallel sums lose about lane-count times less); log()
// turns that into the same absolute error. Budget |diff| <= V u / 16 + 1e-5 (the 1e-5 for
// rounding |log_prob| <= ~40 and a few terms' exp/log): 1e-3 at Gemma 3's 262144, 1.3e-4 at
// 32k, 1.1e-5 at 1000, small enough that a row missing its tail or its maximum fails.
// Widely spread logits add the float32 rounding of the log-prob itself, |log p| u/2 per
// rounding: 2 u per unit of |l_t - max| <= ~10 logit_std (a log-prob of -4000 cannot be
// stored closer than 2.4e-4).
Budget LogSoftmaxBudget(int64_t vocab, float logit_std) {
  return {Metric::kMaxAbs,
          static_cast<double>(vocab) * kU / 16 + 1e-5 + 2 * kU * 10 * static_cast<double>(logit_std)};
}

// ---------------------------------------------------------------- names

// 10000 -> "1e4", 8 -> "8", 0.5 -> "0.5".
std::string Num(double v) {
  const double lg = std::log10(std::fabs(v));
  if (v != 0 && std::fabs(v) >= 1000 && lg == std::round(lg)) {
    return fmt::format("{}1e{}", v < 0 ? "-" : "", static_cast<int>(lg));
  }
  return fmt::format("{:g}", v);
}

std::string DTypeTag(DType d) { return std::string(DTypeName(d)); }

OpCase Make(Op op, DType dtype, OpParams params, Budget budget, std::string name) {
  return OpCase{op, dtype, std::move(params), budget, std::move(name)};
}

// ---------------------------------------------------------------- cases per op

void AddEmbeddingCases(std::vector<OpCase>& out) {
  const EmbeddingCase shapes[] = {
      {1000, 640, 1, 25.3f}, {1000, 640, 33, 25.3f}, {263, 1152, 7, 33.9f}, {50, 7, 9, 1.0f}};
  auto add = [&](DType d, const EmbeddingCase& e, Budget budget) {
    out.push_back(Make(Op::kEmbedding, d, e, budget,
                       fmt::format("embedding V={} D={} T={} scale={} table={}", e.vocab,
                                   e.hidden, e.tokens, Num(e.scale), DTypeTag(d))));
  };
  for (DType d : {DType::kF32, DType::kBF16}) {
    for (const EmbeddingCase& e : shapes) add(d, e, OneRounding());
  }
  for (DType d : kBlockDTypes) {
    const std::vector<int64_t> widths = BlockWidths(d);
    add(d, {300, widths[0], 9, 25.3f}, BlockDecode());
    add(d, {50, widths[1], 1, 1.0f}, BlockDecode());
    add(d, {320, widths[1], 5, 1.0f}, BlockDecode());  // whole 16-row groups
  }
}

void AddRmsNormCases(std::vector<OpCase>& out) {
  std::vector<RmsNormCase> cases = {
      {.rows = 1, .cols = 640},   {.rows = 7, .cols = 640},  {.rows = 33, .cols = 1152},
      {.rows = 3, .cols = 2048},  {.rows = 5, .cols = 7},    {.rows = 3, .cols = 33},
      {.rows = 2, .cols = 1153},  {.rows = 0, .cols = 640},
      {.rows = 7, .cols = 640, .in_place = true},
      {.rows = 4, .cols = 640, .input_std = 300.0f},  // Gemma's residual stream
      {.rows = 3, .cols = 256, .input_std = 1e-3f},   // mean square = eps
      // Per-head q/k norm: [T, H, Dh] views of a [T, H * Dh] projection, in place as the
      // model runs it.
      {.rows = 7, .cols = 256, .heads = 4, .in_place = true},
      {.rows = 1, .cols = 256, .heads = 1},
      {.rows = 5, .cols = 64, .heads = 8},
      {.rows = 4096, .cols = 640},  // a 4096-token prefill
  };
  for (const RmsNormCase& r : cases) {
    std::string name = r.heads > 0
                           ? fmt::format("rms_norm T={} H={} Dh={}", r.rows, r.heads, r.cols)
                           : fmt::format("rms_norm T={} D={}", r.rows, r.cols);
    if (r.input_std != 1.0f) name += fmt::format(" x_std={}", Num(r.input_std));
    if (r.in_place) name += " in_place";
    out.push_back(Make(Op::kRmsNorm, DType::kF32, r, RmsNormBudget(r.cols), name));
  }
}

void AddMatMulCases(std::vector<OpCase>& out) {
  // Gemma-like K and N (270M: hidden 640, q 4 x 256, kv 256, ffn 2048; 1B: hidden 1152),
  // with few rows so the double-precision oracle stays fast.
  std::vector<MatMulCase> cases = {
      {.m = 1, .k = 640, .n = 1024},   {.m = 7, .k = 640, .n = 256},
      {.m = 33, .k = 1024, .n = 640},  {.m = 1, .k = 1152, .n = 1152},
      {.m = 2, .k = 256, .n = 640},    {.m = 3, .k = 33, .n = 17},
      {.m = 4, .k = 7, .n = 33},       {.m = 0, .k = 640, .n = 256},
      {.m = 5, .k = 640, .n = 2048, .gelu_tanh = true, .multiply = true},  // GeGLU gate
      {.m = 3, .k = 2048, .n = 640, .accumulate = true},                   // down + residual
      {.m = 64, .k = 640, .n = 640},   // a prefill block (blocked GEMM paths)
      {.m = 2, .k = 640, .n = 4099},   // tied LM head, N past a power of two
      {.m = 4096, .k = 256, .n = 96},  // a 4096-token prefill: many rows, panels shared
  };
  // Every epilogue combination at 4 rows (decode-sized: a backend may use a GEMV kernel)
  // and at 9 rows (prefill-sized: a GEMM library with fused post-ops).
  for (int64_t rows : {4, 9}) {
    for (int bits = 1; bits < 8; ++bits) {
      cases.push_back({.m = rows, .k = 256, .n = 96, .gelu_tanh = (bits & 1) != 0,
                       .multiply = (bits & 2) != 0, .accumulate = (bits & 4) != 0});
    }
  }
  auto add = [&](DType d, const MatMulCase& m) {
    std::string name = fmt::format("matmul M={} K={} N={} w={}", m.m, m.k, m.n, DTypeTag(d));
    if (m.gelu_tanh) name += " gelu";
    if (m.multiply) name += " multiply";
    if (m.accumulate) name += " accumulate";
    out.push_back(Make(Op::kMatMul, d, m, d == DType::kBF16 ? MatMulBf16() : MatMulF32(m.k),
                       name));
  };
  for (DType d : {DType::kF32, DType::kBF16}) {
    for (const MatMulCase& m : cases) add(d, m);
  }
  // Block formats at decode sizes (M <= 4: a GEMV on the blocks) and prefill sizes (a
  // GEMM on widened panels), odd N, every epilogue step, both row widths; N of whole
  // 16-row groups (64, 96, 160: the onednn backend's row groups) and not.
  for (DType d : kBlockDTypes) {
    for (int64_t k : BlockWidths(d)) {
      for (const MatMulCase& m : {
               MatMulCase{.m = 1, .k = k, .n = 257},
               MatMulCase{.m = 1, .k = k, .n = 96},
               MatMulCase{.m = 2, .k = k, .n = 160, .accumulate = true},
               MatMulCase{.m = 9, .k = k, .n = 160, .gelu_tanh = true},
               MatMulCase{.m = 3, .k = k, .n = 64, .gelu_tanh = true, .multiply = true},
               MatMulCase{.m = 4, .k = k, .n = 33, .accumulate = true},
               MatMulCase{.m = 9, .k = k, .n = 100},
               MatMulCase{.m = 33, .k = k, .n = 129, .gelu_tanh = true, .multiply = true,
                          .accumulate = true},
           }) {
        add(d, m);
      }
    }
  }
}

void AddElementwiseCases(std::vector<OpCase>& out) {
  for (const AddCase& a : {AddCase{1, 640}, AddCase{7, 1152}, AddCase{5, 7},
                           AddCase{33, 640, true}, AddCase{0, 640}, AddCase{4096, 640}}) {
    const std::string name = fmt::format("add T={} D={}", a.rows, a.cols);
    out.push_back(Make(Op::kAdd, DType::kF32, a, OneRounding(),
                       a.in_place ? name + " in_place" : name));
  }
  for (const GeGluCase& g :
       {GeGluCase{1, 2048}, GeGluCase{7, 6912}, GeGluCase{3, 33}, GeGluCase{4096, 2048}}) {
    out.push_back(Make(Op::kGeGlu, DType::kF32, g, Transcendental(),
                       fmt::format("geglu T={} D={}", g.rows, g.cols)));
  }
  // Final-logit capping (Gemma 2: 30) on vocab-wide rows, attention-style capping (50).
  // Vocab-wide rows of Gemma 2 (256000), and infinite inputs, which must cap to +-cap.
  for (const SoftcapCase& s : {SoftcapCase{2, 32768, 30.0f, 30.0f},
                               SoftcapCase{1, 7, 50.0f, 100.0f},
                               SoftcapCase{7, 1000, 30.0f, 5.0f},
                               SoftcapCase{1, 256000, 30.0f, 30.0f},
                               SoftcapCase{3, 1000, 30.0f, 1e6f, true},
                               SoftcapCase{2, 77, 50.0f, 3.0f, true}}) {
    out.push_back(Make(Op::kSoftcap, DType::kF32, s, Transcendental(),
                       fmt::format("softcap T={} D={} cap={} x_std={}{}", s.rows, s.cols,
                                   Num(s.cap), Num(s.input_std), s.infinities ? " inf" : "")));
  }
}

void AddRopeCases(std::vector<OpCase>& out) {
  const RopeCase cases[] = {
      {1, 4, 256, 1e4f, 1.0f, 0, 0},          // position 0: the identity
      {7, 4, 256, 1e4f, 1.0f, 0, 50},         // local layers of a short prompt
      {33, 1, 256, 1e6f, 8.0f, 0, 4000},      // Gemma 3 global layers: theta 1e6, scaling 8
      {5, 8, 256, 1e6f, 1.0f, 3000, 4000},    // far into the context
      {9, 3, 64, 1e4f, 1.0f, 0, 4000},        // small head
      {4, 2, 6, 1e4f, 1.0f, 0, 100},          // odd half width
      {3, 1, 2, 1e6f, 8.0f, 0, 4000},         // smallest head
      {4096, 1, 256, 1e6f, 8.0f, 0, 4095},    // a 4096-token prefill
  };
  for (const RopeCase& r : cases) {
    out.push_back(Make(Op::kRope, DType::kF32, r, RopeBudget(r),
                       fmt::format("rope T={} H={} Dh={} theta={} scale={} pos={}..{}",
                                   r.tokens, r.heads, r.head_dim, Num(r.theta), Num(r.scaling),
                                   r.min_position, r.max_position)));
  }
}

std::string AttentionName(const AttentionCase& a) {
  std::string counts, starts;
  for (const AttentionSeqSpec& s : a.sequences) {
    counts += fmt::format("{}{}", counts.empty() ? "" : "+", s.count);
    starts += fmt::format("{}{}", starts.empty() ? "" : "+", s.start);
  }
  std::string name = fmt::format("attention T={} start={} H={} KV={} Dh={} window={} softcap={}",
                                 counts, starts, a.heads, a.kv_heads, a.head_dim, a.window,
                                 Num(a.softcap));
  if (a.score_std != 3.0f) name += fmt::format(" score_std={}", Num(a.score_std));
  if (a.shared_cache) name += " shared_cache";
  for (size_t i = 0; i < a.sequences.size(); ++i) {
    if (a.sequences[i].shared.empty()) continue;
    name += fmt::format(" shared[{}]={}", i, fmt::join(a.sequences[i].shared, "+"));
    if (a.common_prefix) break;
  }
  if (a.common_prefix) name += " common_prefix";
  return name;
}

void AddAttentionCases(std::vector<OpCase>& out) {
  using S = std::vector<AttentionSeqSpec>;
  const AttentionCase cases[] = {
      // window shorter than T, soft-capped (Gemma 2 style), MQA (ratio 8)
      {.heads = 8, .kv_heads = 1, .head_dim = 256, .window = 16, .softcap = 50, .score_std = 20,
       .sequences = S{{33, 0}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .sequences = S{{1, 0}}},  // first token
      // decode over a filled cache, full and windowed
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .sequences = S{{1, 200}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .window = 64, .sequences = S{{1, 200}}},
      // a prefill chunk continuing a cached prefix; window longer than the context
      {.heads = 8, .kv_heads = 2, .head_dim = 64, .window = 512, .sequences = S{{7, 40}}},
      {.heads = 4, .kv_heads = 4, .head_dim = 32, .sequences = S{{33, 0}}},  // MHA
      {.heads = 4, .kv_heads = 2, .head_dim = 256, .window = 4, .softcap = 50,
       .sequences = S{{9, 3}}},
      {.heads = 8, .kv_heads = 1, .head_dim = 16, .window = 1, .sequences = S{{16, 0}}},
      {.heads = 2, .kv_heads = 1, .head_dim = 256, .window = 33, .sequences = S{{33, 0}}},
      {.heads = 16, .kv_heads = 8, .head_dim = 128, .window = 8, .sequences = S{{7, 2}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 24, .sequences = S{{5, 11}}},  // odd head width
      // a head width of 48: AVX-512 passes of 32 value columns end with one of 16; 76 keys,
      // more than one key tile
      {.heads = 2, .kv_heads = 1, .head_dim = 48, .sequences = S{{6, 70}}},
      {.heads = 8, .kv_heads = 4, .head_dim = 256, .window = 512, .sequences = S{{1, 1000}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .score_std = 10, .sequences = S{{7, 0}}},
      // several sequences in one call: separate caches, one shared cache, an empty one
      {.heads = 8, .kv_heads = 4, .head_dim = 64, .window = 16,
       .sequences = S{{5, 0}, {1, 30}, {3, 10}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .softcap = 50, .score_std = 20,
       .sequences = S{{4, 0}, {1, 7}, {1, 100}}, .shared_cache = true},
      {.heads = 8, .kv_heads = 2, .head_dim = 32, .window = 3,
       .sequences = S{{3, 0}, {0, 5}, {2, 1}}},
      // continuations over a shared read-only prefix (evaluation's shared-prefix
      // scoring): one prefix for all, tiles crossing the prefix boundary, two levels of
      // prefix (few-shot header, then a question), a window reaching into the prefix
      {.heads = 4, .kv_heads = 1, .head_dim = 256,
       .sequences = S{{9, 70, {70}}, {1, 70, {70}}, {17, 75, {70}}}, .common_prefix = true},
      {.heads = 8, .kv_heads = 2, .head_dim = 64, .softcap = 50, .score_std = 20,
       .sequences = S{{5, 130, {100, 30}}, {3, 131, {100, 30}}}, .common_prefix = true},
      {.heads = 4, .kv_heads = 2, .head_dim = 32, .window = 20,
       .sequences = S{{30, 40, {33}}, {1, 63, {1, 60}}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 24, .window = 512,
       .sequences = S{{4, 3, {3}}, {4, 3, {0, 3}}}, .shared_cache = true},
      // decode split into shares of 64 keys, merged: a window of 300, and continuations
      // over a 450-position shared prefix (a share across its boundary)
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .window = 300, .sequences = S{{1, 700}}},
      {.heads = 8, .kv_heads = 2, .head_dim = 64,
       .sequences = S{{2, 600, {450}}, {1, 520, {450}}}, .common_prefix = true},
      // 4096 positions: decode at the end of a full context (global and local layers), a
      // 4096-token prefill with Gemma 3's 512-token window, and a full causal one
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .sequences = S{{1, 4095}}},
      {.heads = 4, .kv_heads = 1, .head_dim = 256, .window = 1024, .sequences = S{{1, 4095}}},
      {.heads = 2, .kv_heads = 1, .head_dim = 32, .window = 512, .sequences = S{{4096, 0}}},
      {.heads = 1, .kv_heads = 1, .head_dim = 16, .softcap = 50, .score_std = 20,
       .sequences = S{{4096, 0}}},
  };
  for (const AttentionCase& a : cases) {
    out.push_back(Make(Op::kAttention, DType::kF32, a, AttentionBudget(a), AttentionName(a)));
  }
}

void AddLogSoftmaxCases(std::vector<OpCase>& out) {
  const LogSoftmaxCase cases[] = {
      {1, 32768}, {7, 32000}, {2, 262144},  // Llama-size and Gemma 3's vocabulary
      {5, 1001},  {3, 7},     {1, 1},      {6, 1000, 4.0f, true}, {3, 50000, 16.0f},
      // several targets per row (MMLU's four letters at one position), rows without any
      {3, 262144, 4.0f, false, 4}, {9, 1000, 4.0f, true, 3, true}, {4, 7, 4.0f, false, 0},
      // Extreme values: huge and very negative logits (only the maximum's removal keeps
      // exp finite), logits so spread that most probabilities underflow, all-equal rows.
      {3, 1000, 4.0f, false, 2, false, 1e4f},     {3, 262144, 4.0f, false, 2, false, -1e4f},
      {3, 1000, 4.0f, true, 2, false, -1e30f},
      {4, 32768, 1000.0f, false, 3},              {2, 262144, 4.0f, false, 3, false, 7.5f, true},
      {3, 1000, 4.0f, false, 2, false, -1e30f, true},
  };
  for (const LogSoftmaxCase& l : cases) {
    std::string name = fmt::format("log_softmax_gather R={} V={} logit_std={}", l.rows, l.vocab,
                                   Num(l.logit_std));
    if (l.ties) name += " ties";
    if (l.targets != 1) name += fmt::format(" targets={}", l.targets);
    if (l.mixed_counts) name += " mixed_counts";
    if (l.all_equal) name += fmt::format(" all_equal={}", Num(l.offset));
    else if (l.offset != 0.0f) name += fmt::format(" offset={}", Num(l.offset));
    out.push_back(Make(Op::kLogSoftmaxGather, DType::kF32, l, LogSoftmaxBudget(l.vocab, l.logit_std), name));
  }
}

void AddCopyRowsCases(std::vector<OpCase>& out) {
  struct Spec {
    DType dtype;
    CopyRowsCase c;
  };
  const Spec specs[] = {
      {DType::kF32, {10, 40, 256, 2, 17, 7}},    // appending keys to a cache
      {DType::kF32, {33, 4, 1152, 32, 3, 1}},    // gathering a sequence's last row
      {DType::kF32, {6, 6, 640, 0, 0, 0}},       // nothing
      {DType::kBF16, {9, 12, 7, 1, 4, 5}},       // 14-byte rows: unaligned
      {DType::kBF16, {5, 5, 640, 0, 0, 5}},      // everything
  };
  for (const Spec& s : specs) {
    const CopyRowsCase& c = s.c;
    out.push_back(Make(Op::kCopyRows, s.dtype, c, Exact(),
                       fmt::format("copy_rows W={} src[{}:{}] of {} -> dst[{}:{}] of {} {}",
                                   c.cols, c.src_row, c.src_row + c.count, c.src_rows, c.dst_row,
                                   c.dst_row + c.count, c.dst_rows, DTypeTag(s.dtype))));
  }
}

}  // namespace

const std::vector<OpCase>& AllOpCases() {
  static const std::vector<OpCase> cases = [] {
    std::vector<OpCase> all;
    AddEmbeddingCases(all);
    AddRmsNormCases(all);
    AddMatMulCases(all);
    AddElementwiseCases(all);
    AddRopeCases(all);
    AddAttentionCases(all);
    AddLogSoftmaxCases(all);
    AddCopyRowsCases(all);
    return all;
  }();
  return cases;
}

uint64_t CaseSeed(const OpCase& c) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, 64-bit
  for (unsigned char ch : c.name) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kNmse: return "nmse";
    case Metric::kExact: return "exact";
    case Metric::kMaxAbs: return "max_abs";
  }
  return "?";
}

}  // namespace gemmeter::test

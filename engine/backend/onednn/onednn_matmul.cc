#include "engine/backend/onednn/onednn_matmul.h"

#include <algorithm>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/core/error.h"

namespace gemmeter {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// dst and the multiplier may be column blocks of wider matrices: row stride ld.
memory::desc Strided(int64_t M, int64_t N, int64_t ld) { return memory::desc({M, N}, dt::f32, {ld, 1}); }

dnnl::matmul::primitive_desc MakeDesc(dnnl::engine& engine, int64_t M, int64_t N, int64_t K,
                                      int64_t ld, bool bf16, bool gelu, bool multiply, bool accumulate) {
  const dt in = bf16 ? dt::bf16 : dt::f32;
  const memory::desc src({M, K}, in, tag::ab);
  const memory::desc weights({K, N}, in, tag::ba);  // W [N, K] row-major is K x N "ba"
  const memory::desc dst = Strided(M, N, ld);
  // Post-ops apply in order to x W^T; `sum` adds the old dst at its place in the chain,
  // so it goes last: out = gelu(y) * multiply + out.
  dnnl::post_ops ops;
  if (gelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
  if (multiply) ops.append_binary(dnnl::algorithm::binary_mul, dst);
  if (accumulate) ops.append_sum(1.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, engine);
}

// Weight rows widened to f32 per panel: up to 8 MiB of scratch, so every block matrix of
// the small Gemmas (<= 2048 x 1152) is one panel and one oneDNN call. (2 MiB panels
// measured the same within this machine's noise, +-10% on the 270M model's prefill.)
constexpr int64_t kWidenValues = int64_t{1} << 21;

}  // namespace

OnednnMatMul::OnednnMatMul(dnnl::engine& engine, dnnl::stream& stream)
    : engine_(engine), stream_(stream) {
  try {
    MakeDesc(engine_, 1, 64, 64, 64, /*bf16=*/true, false, false, false);
    supports_bf16_ = true;
  } catch (const dnnl::error&) {
    supports_bf16_ = false;  // no bf16 matmul implementation for this CPU
  }
}

dnnl::matmul& OnednnMatMul::Primitive(const Key& key) {
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const auto [M, N, K, ld, bf16, gelu, multiply, accumulate] = key;
  try {
    auto pd = MakeDesc(engine_, M, N, K, ld, bf16, gelu, multiply, accumulate);
    return cache_.emplace(key, dnnl::matmul(pd)).first->second;
  } catch (const dnnl::error& e) {
    Fail("onednn: cannot create a {} matmul [{}, {}] x [{}, {}]^T: {}", bf16 ? "bf16" : "f32", M, K,
         N, K, e.what());
  }
}

void OnednnMatMul::RunColumns(const void* src, bool bf16, int64_t M, int64_t K, const void* w,
                              int64_t n0, int64_t n, const Tensor& out, const MatMulEpilogue& e) {
  const int64_t N = out.cols();
  dnnl::matmul& matmul =
      Primitive({M, n, K, N, bf16, e.gelu_tanh, e.multiply != nullptr, e.accumulate});
  const dt in = bf16 ? dt::bf16 : dt::f32;
  memory src_mem({{M, K}, in, tag::ab}, engine_, const_cast<void*>(src));
  memory weights_mem({{K, n}, in, tag::ba}, engine_, const_cast<void*>(w));
  memory dst_mem(Strided(M, n, N), engine_, static_cast<float*>(out.data()) + n0);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, weights_mem}, {DNNL_ARG_DST, dst_mem}};
  if (e.multiply != nullptr) {
    // A binary post-op's index is its position in the chain (after gelu).
    const int index = e.gelu_tanh ? 1 : 0;
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1,
                 memory(Strided(M, n, N), engine_, static_cast<float*>(e.multiply->data()) + n0));
  }
  matmul.execute(stream_, args);
  stream_.wait();
}

void OnednnMatMul::Run(const Tensor& x, const Tensor& weight, const Tensor& out,
                       const MatMulEpilogue& e) {
  const int64_t M = x.rows(), K = x.cols(), N = weight.dim(0);
  const DType w_dtype = weight.dtype();
  if (M <= kGemvRows) {
    cpu::Gemv(static_cast<const float*>(x.data()), M, K, weight.data(), w_dtype, N,
              static_cast<float*>(out.data()), e,
              e.multiply ? static_cast<const float*>(e.multiply->data()) : nullptr);
    return;
  }
  if (w_dtype == DType::kF32) {
    RunColumns(x.data(), false, M, K, weight.data(), 0, N, out, e);
    return;
  }
  if (w_dtype == DType::kBF16 && supports_bf16_) {
    // Native bf16: round the activations, then oneDNN's bf16 matmul with f32 output.
    uint16_t* rounded = bf16_activations_.Get(static_cast<size_t>(M * K));
    cpu::ToBF16(static_cast<const float*>(x.data()), rounded, M * K);
    RunColumns(rounded, true, M, K, weight.data(), 0, N, out, e);
    return;
  }
  // Block formats (and bf16 without a bf16 matmul): panels of weight rows widened to
  // float32 in scratch, each multiplied in f32; activations stay float32.
  const size_t row_bytes = RowBytes(w_dtype, K);
  const int64_t panel_rows = std::max<int64_t>(16, kWidenValues / K);
  float* panel = widened_weights_.Get(static_cast<size_t>(std::min(N, panel_rows) * K));
  for (int64_t n0 = 0; n0 < N; n0 += panel_rows) {
    const int64_t n = std::min(panel_rows, N - n0);
    cpu::WidenRows(static_cast<const uint8_t*>(weight.data()) + static_cast<size_t>(n0) * row_bytes,
                   w_dtype, n, K, panel);
    RunColumns(x.data(), false, M, K, panel, n0, n, out, e);
  }
}

}  // namespace gemmeter

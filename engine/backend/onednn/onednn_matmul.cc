#include "engine/backend/onednn/onednn_matmul.h"

#include <omp.h>

#include <algorithm>

#include "engine/backend/cpu/cpu_kernels.h"
#include "engine/core/error.h"
#include "engine/core/parallel.h"

namespace gemmeter {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

// y [M, N] = x [M, K] W^T, then gelu_tanh(y) if `gelu`, into a dense dst: oneDNN 2.6
// picks its brgemm kernels (~95 GFLOP/s per thread here) only for a dense dst; a column
// block of a wider matrix got gemm:jit, at 60. The rest of the epilogue is ours.
dnnl::matmul::primitive_desc MakeDesc(dnnl::engine& engine, int64_t M, int64_t N, int64_t K,
                                      bool bf16, bool gelu) {
  const dt in = bf16 ? dt::bf16 : dt::f32;
  const memory::desc src({M, K}, in, tag::ab);
  const memory::desc weights({K, N}, in, tag::ba);  // W [N, K] row-major is K x N "ba"
  const memory::desc dst({M, N}, dt::f32, tag::ab);
  dnnl::post_ops ops;
  if (gelu) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), attr, engine);
}

// While alive, oneDNN runs single-threaded in this thread (its OpenMP runtime reads the
// calling thread's thread count): the panels are the threads' work. The caller's own
// setting comes back afterwards.
class SingleThreadedOnednn {
 public:
  SingleThreadedOnednn() : previous_(omp_get_max_threads()) {
    if (previous_ != 1) omp_set_num_threads(1);
  }
  ~SingleThreadedOnednn() {
    if (previous_ != 1) omp_set_num_threads(previous_);
  }

 private:
  int previous_;
};

// The most threads a matmul can use (ParallelThreadIndex() must stay below).
constexpr int kMaxThreads = 1024;

}  // namespace

struct OnednnMatMul::Entry {
  dnnl::matmul primitive;
  memory::desc scratchpad;
};

struct OnednnMatMul::ThreadState {
  explicit ThreadState(dnnl::engine& engine) : stream(engine) {}
  dnnl::stream stream;
  Scratch<uint8_t> scratchpad;  // oneDNN's, for this thread's calls
  Scratch<float> widened;       // a panel of weight rows widened to f32
  Scratch<float> product;       // a panel's x W^T before the epilogue's multiply/add
};

OnednnMatMul::OnednnMatMul(dnnl::engine& engine) : engine_(engine) {
  const SingleThreadedOnednn single_threaded;
  try {
    MakeDesc(engine_, 1, 64, 64, /*bf16=*/true, /*gelu=*/false);
    supports_bf16_ = true;
  } catch (const dnnl::error&) {
    supports_bf16_ = false;  // no bf16 matmul implementation for this CPU
  }
}

OnednnMatMul::~OnednnMatMul() = default;

int64_t OnednnMatMul::PanelColumns(int64_t N, int threads) {
  const int64_t per_thread = std::max<int64_t>(1, N / (int64_t{threads} * 256));
  const int64_t panels = per_thread * threads;
  return ((N + panels - 1) / panels + 15) & ~int64_t{15};
}

const OnednnMatMul::Entry& OnednnMatMul::Primitive(const Key& key) {
  auto it = cache_.find(key);
  if (it != cache_.end()) return *it->second;
  const auto [M, N, K, bf16, gelu] = key;
  // oneDNN fixes a primitive's thread count when it is created, from the creating thread.
  const SingleThreadedOnednn single_threaded;
  try {
    auto pd = MakeDesc(engine_, M, N, K, bf16, gelu);
    auto entry = std::make_unique<Entry>(Entry{dnnl::matmul(pd), pd.scratchpad_desc()});
    return *cache_.emplace(key, std::move(entry)).first->second;
  } catch (const dnnl::error& e) {
    Fail("onednn: cannot create a {} matmul [{}, {}] x [{}, {}]^T: {}", bf16 ? "bf16" : "f32", M, K,
         N, K, e.what());
  }
}

OnednnMatMul::ThreadState& OnednnMatMul::State() {
  const auto index = static_cast<size_t>(ParallelThreadIndex());
  Check(index < threads_.size(), "onednn: matmul called from pool thread {} of at most {}", index,
        threads_.size());
  if (!threads_[index]) threads_[index] = std::make_unique<ThreadState>(engine_);
  return *threads_[index];
}

void OnednnMatMul::RunColumns(const Entry& entry, const void* src, bool bf16, int64_t M,
                              int64_t K, const void* w, int64_t n0, int64_t n, const Tensor& out,
                              const MatMulEpilogue& e) {
  ThreadState& state = State();
  const dt in = bf16 ? dt::bf16 : dt::f32;
  float* panel_out = state.product.Get(static_cast<size_t>(M * n));
  memory src_mem({{M, K}, in, tag::ab}, engine_, const_cast<void*>(src));
  memory weights_mem({{K, n}, in, tag::ba}, engine_, const_cast<void*>(w));
  memory dst_mem({{M, n}, dt::f32, tag::ab}, engine_, panel_out);
  const size_t scratch_bytes = entry.scratchpad.get_size();
  memory scratch_mem(entry.scratchpad, engine_,
                     state.scratchpad.Get(std::max<size_t>(1, scratch_bytes)));
  {
    const SingleThreadedOnednn single_threaded;
    entry.primitive.execute(state.stream, {{DNNL_ARG_SRC, src_mem},
                                           {DNNL_ARG_WEIGHTS, weights_mem},
                                           {DNNL_ARG_DST, dst_mem},
                                           {DNNL_ARG_SCRATCHPAD, scratch_mem}});
    state.stream.wait();
  }
  // The rest of the epilogue, written into the panel's columns of out: y * multiply, then
  // + out (the order of oneDNN's binary_mul and sum post-ops).
  const int64_t N = out.cols();
  const float* multiply = e.multiply ? static_cast<const float*>(e.multiply->data()) : nullptr;
  for (int64_t m = 0; m < M; ++m) {
    const float* y = panel_out + m * n;
    float* o = static_cast<float*>(out.data()) + m * N + n0;
    const float* f = multiply ? multiply + m * N + n0 : nullptr;
    for (int64_t j = 0; j < n; ++j) {
      const float v = f ? y[j] * f[j] : y[j];
      o[j] = e.accumulate ? o[j] + v : v;
    }
  }
}

void OnednnMatMul::Run(const Tensor& x, const Tensor& weight, const Tensor& out,
                       const MatMulEpilogue& e) {
  const int64_t M = x.rows(), K = x.cols(), N = weight.dim(0);
  const DType w_dtype = weight.dtype();
  if (M <= kGemvRows) {
    cpu::Gemv(static_cast<const float*>(x.data()), M, cpu::HostMatrixOf(weight), N,
              static_cast<float*>(out.data()), e,
              e.multiply ? static_cast<const float*>(e.multiply->data()) : nullptr);
    return;
  }
  if (threads_.empty()) threads_.resize(kMaxThreads);
  // Native bf16: activations rounded once, then oneDNN's bf16 matmul with f32 output.
  // Block formats (and bf16 without a bf16 matmul): each panel widened to f32 first.
  const bool bf16 = w_dtype == DType::kBF16 && supports_bf16_;
  const bool widen = w_dtype != DType::kF32 && !bf16;
  const void* src = x.data();
  if (bf16) {
    uint16_t* rounded = bf16_activations_.Get(static_cast<size_t>(M * K));
    cpu::ToBF16(static_cast<const float*>(x.data()), rounded, M * K);
    src = rounded;
  }
  // Every panel is panel_columns wide but the last: both primitives exist before the
  // threads start (the cache is only read inside the loop).
  const auto key = [&](int64_t n) {
    return Key{M, n, K, bf16, e.gelu_tanh};
  };
  const int64_t panel_columns = PanelColumns(N, ParallelLimit());
  const int64_t full = std::min(N, panel_columns), last = N % panel_columns;
  const Entry& full_entry = Primitive(key(full));
  const Entry* last_entry = last != 0 ? &Primitive(key(last)) : &full_entry;
  const size_t row_bytes = RowBytes(w_dtype, K);
  const auto* rows = static_cast<const uint8_t*>(weight.data());
  ParallelChunks(N, panel_columns, [&](int64_t begin, int64_t end) {
    for (int64_t n0 = begin; n0 < end; n0 += panel_columns) {
      const int64_t n = std::min(panel_columns, end - n0);
      const void* w = rows + static_cast<size_t>(n0) * row_bytes;
      if (widen) {
        ThreadState& state = State();
        float* panel = state.widened.Get(static_cast<size_t>(n * K));
        cpu::WidenRows(cpu::HostMatrixOf(weight), n0, n, panel);  // in a loop: this thread
        w = panel;
      }
      RunColumns(n == full ? full_entry : *last_entry, src, bf16, M, K, w, n0, n, out, e);
    }
  });
}

}  // namespace gemmeter

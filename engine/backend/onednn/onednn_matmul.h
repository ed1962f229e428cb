// Matrix multiplies: y = epilogue(x W^T) with W [N, K] (PyTorch layout, oneDNN's "ba"
// for a K x N weights matrix).
//
// - M <= kGemvRows (decode): our own matrix-vector kernel (kernels_gemv.cc), which
//   reads each weight once and reads bf16 weights at half the bytes.
// - Otherwise oneDNN 2.6 matmul primitives, created once per shape and cached, with
//   gelu_tanh fused as a post-op; each panel's product goes to a dense scratch (only
//   then does oneDNN pick its brgemm kernels), and the multiply and accumulate of the
//   epilogue are applied as it is copied into out.
// - bf16 weights with larger M: oneDNN's bf16 x bf16 -> f32 matmul (activations rounded
//   to bf16) where the CPU has it (oneDNN 2.6 needs AVX-512); elsewhere, and for GGUF
//   block formats, each panel of weight rows is widened to f32 into the thread's scratch
//   (it stays in L2 for its product) and multiplied in f32, so the weights stay compact
//   in memory and activations are never rounded. Widening costs N K operations against
//   the product's 2 M N K.
// - Threads: the output columns are split into panels of PanelColumns(N) weight rows that
//   the threads of engine/core/parallel.h claim (widen if needed, then one single-thread
//   oneDNN call each). oneDNN's own OpenMP threading is not used: its fork/join barrier
//   at the end of every matmul waited for any thread the scheduler had taken away, and
//   its idle threads spun on the cores our loops needed. Primitives use the user-managed
//   scratchpad (one per thread), the mode in which oneDNN allows one primitive to run in
//   several threads at once; each thread has its own stream.
//
// Weights stay in the plain [N, K] layout: on the AVX2 machine this was measured on,
// oneDNN's preferred ("any") weights layout was not faster for these shapes, and a
// decode-sized GEMV reads the plain layout at full bandwidth.
#pragma once

#include <dnnl.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/cpu_kernels.h"

namespace gemmeter {

// Scratch that only grows (a std::vector would zero-fill whenever a larger matrix follows
// a smaller one: megabytes per layer).
template <class T>
class Scratch {
 public:
  T* Get(size_t n) {
    if (n > size_) {
      data_.reset(new T[n]);
      size_ = n;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<T[]> data_;
  size_t size_ = 0;
};

class OnednnMatMul {
 public:
  explicit OnednnMatMul(dnnl::engine& engine);
  ~OnednnMatMul();

  static constexpr int64_t kGemvRows = cpu::kMaxGemvRows;
  // Weight rows per panel for `threads` threads: N split into a multiple of `threads`
  // panels of about 256 rows or more (rounded up to 16). Measured single-threaded on
  // this Zen 4 (oneDNN's gemm:jit, M = 128, K = 640): 50 GFLOP/s at 64 columns, 98 at
  // 256, so panels are wide; an equal count per thread keeps a quiet machine's threads
  // finishing together (640 columns on 2 threads: 2 x 320, not 256 + 256 + 128).
  static int64_t PanelColumns(int64_t N, int threads);
  bool NativeBf16() const { return supports_bf16_; }
  void Run(const Tensor& x, const Tensor& weight, const Tensor& out, const MatMulEpilogue& epilogue);
  size_t cached_primitives() const { return cache_.size(); }

 private:
  // (M, N, K, weights bf16?, gelu)
  using Key = std::tuple<int64_t, int64_t, int64_t, bool, bool>;
  struct Entry;       // a primitive and its scratchpad size
  struct ThreadState;  // a stream and scratch buffers per pool thread
  // Creates (in the calling thread, before a loop) or finds the primitive for `key`.
  const Entry& Primitive(const Key& key);
  ThreadState& State();
  // oneDNN matmul of src [M, K] (f32, or bf16 when `bf16`) with the n weight rows at `w`
  // (same type) into the thread's scratch, then the epilogue into columns [n0, n0 + n) of
  // out (row stride out.cols()).
  void RunColumns(const Entry& entry, const void* src, bool bf16, int64_t M, int64_t K,
                  const void* w, int64_t n0, int64_t n, const Tensor& out,
                  const MatMulEpilogue& epilogue);

  dnnl::engine& engine_;
  bool supports_bf16_ = false;
  std::map<Key, std::unique_ptr<Entry>> cache_;
  // Indexed by ParallelThreadIndex(); each entry is touched only by its own thread.
  std::vector<std::unique_ptr<ThreadState>> threads_;
  Scratch<uint16_t> bf16_activations_;  // x rounded to bf16
};

}  // namespace gemmeter

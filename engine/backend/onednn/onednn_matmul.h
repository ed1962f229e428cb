// Matrix multiplies: y = epilogue(x W^T) with W [N, K] (PyTorch layout, oneDNN's "ba"
// for a K x N weights matrix).
//
// - M <= kGemvRows (decode): our own matrix-vector kernel (kernels_gemv.cc), which
//   reads each weight once and reads bf16 weights at half the bytes.
// - Otherwise oneDNN 2.6 matmul primitives, created once per shape and epilogue and
//   cached, with the epilogue fused as post-ops (gelu_tanh -> eltwise_gelu_tanh,
//   multiply -> binary_mul, accumulate -> sum).
// - bf16 weights with larger M: oneDNN's bf16 x bf16 -> f32 matmul (activations rounded
//   to bf16) where the CPU has it (oneDNN 2.6 needs AVX-512); elsewhere, and for GGUF
//   block formats, panels of weight rows are widened to f32 into a scratch buffer and
//   multiplied in f32, so the weights stay compact in memory and activations are never
//   rounded. Widening costs N K operations against the product's 2 M N K.
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

namespace gemmeter {

class OnednnMatMul {
 public:
  explicit OnednnMatMul(dnnl::engine& engine, dnnl::stream& stream);

  static constexpr int64_t kGemvRows = 4;
  bool NativeBf16() const { return supports_bf16_; }
  void Run(const Tensor& x, const Tensor& weight, const Tensor& out, const MatMulEpilogue& epilogue);
  size_t cached_primitives() const { return cache_.size(); }

 private:
  // (M, N, K, row stride of dst, weights bf16?, gelu, multiply, accumulate)
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, bool, bool, bool, bool>;
  dnnl::matmul& Primitive(const Key& key);
  // oneDNN matmul of src [M, K] (f32, or bf16 when `bf16`) with the n weight rows at `w`
  // (same type), writing columns [n0, n0 + n) of out (row stride out.cols()).
  void RunColumns(const void* src, bool bf16, int64_t M, int64_t K, const void* w, int64_t n0,
                  int64_t n, const Tensor& out, const MatMulEpilogue& epilogue);

  dnnl::engine& engine_;
  dnnl::stream& stream_;
  bool supports_bf16_ = false;
  std::map<Key, dnnl::matmul> cache_;
  // Scratch that only grows (a std::vector would zero-fill whenever a larger matrix
  // follows a smaller one: megabytes per layer).
  template <class T>
  struct Scratch {
    std::unique_ptr<T[]> data;
    size_t size = 0;
    T* Get(size_t n) {
      if (n > size) {
        data.reset(new T[n]);
        size = n;
      }
      return data.get();
    }
  };
  Scratch<uint16_t> bf16_activations_;  // x rounded to bf16
  Scratch<float> widened_weights_;      // a panel of weight rows widened to f32
};

}  // namespace gemmeter

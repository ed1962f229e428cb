// The reference ops: plain scalar C++ on raw float pointers, written to be read.
//
// These are the oracle for every other backend (the op test suite compares against
// them) and the implementation behind the `reference` backend. Sums are accumulated
// in double so that the oracle's own rounding error is far below any fast backend's.
// Each function states its formula and where the formula comes from.
#pragma once

#include <cstdint>

#include <span>

#include "engine/backend/backend.h"
#include "engine/backend/host_memory.h"

#include "engine/core/dtype.h"

namespace gemmeter::ref {

// y[m, n] = sum_k x[m, k] * w[n, k]. x [M, K] f32, w [N, K] of `w_dtype` (f32, bf16, f16
// or a block format: each row decoded to float32 first, exactly), y [M, N]. Parallel over
// n on up to `threads` threads (0: ParallelThreads()); every y[m, n] is the same serial
// sum whatever the thread count.
void MatMul(const float* x, const void* w, DType w_dtype, float* y, int64_t M, int64_t N,
            int64_t K, int threads = 0);

// Gemma RMSNorm (transformers GemmaRMSNorm, in float32):
//   y = x * rsqrt(mean(x^2) + eps) * gain, per row of `cols` values.
void RmsNorm(const float* x, const float* gain, float* y, int64_t rows, int64_t cols, float eps);

// tanh approximation of GELU ("gelu_pytorch_tanh"):
//   gelu(x) = 0.5 x (1 + tanh( sqrt(2/pi) (x + 0.044715 x^3) )).
double GeluTanh(double x);
// y = gelu_tanh(gate) * up (Gemma's GeGLU feed-forward).
void GeGlu(const float* gate, const float* up, float* y, int64_t n);

// x = cap * tanh(x / cap) (Gemma 2 attention and final-logit soft-capping).
void Softcap(float* x, int64_t n, float cap);

// Rotate-half ("NeoX") RoPE, as transformers' apply_rotary_pos_emb:
//   for i < d/2: angle = position * inv_freq[i],
//   x'[i]       = x[i] cos(angle) - x[i + d/2] sin(angle)
//   x'[i + d/2] = x[i + d/2] cos(angle) + x[i] sin(angle)
//   inv_freq[i] = 1 / theta^(2i/d) / scaling_factor.
// x is [tokens, heads * head_dim]; rotated in place.
void Rope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, const int32_t* positions,
          float theta, float scaling_factor);

// log_probs[i] = row[targets[i]] - log(sum_j exp(row[j])) for each of `count` targets,
// summed in double after subtracting the maximum; argmax = index of the largest value
// (lowest on ties).
void LogSoftmaxGather(const float* row, int64_t n, const int32_t* targets, int64_t count,
                      float* log_probs, int32_t* argmax);

// Causal attention of one sequence's new queries over its cached keys/values.
//   q [count, H * Dh]; out [count, H * Dh]; the keys/values of positions [0, start + count)
//   are rows of the ranges `kv` ([rows, KV * Dh] each, in position order).
//   s_j = scale * q.k_j; if softcap: s_j = softcap * tanh(s_j / softcap);
//   key j is visible to the query at position p iff j <= p and (window == 0 or p - j < window);
//   out = sum_j softmax(s)_j v_j.
void Attention(const float* q, int64_t count, int64_t start_position,
               std::span<const HostKvRange> kv, const AttentionParams& params, float* out);

}  // namespace gemmeter::ref

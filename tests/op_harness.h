// What op_runner needs to run one case on one backend: deterministic random inputs,
// guarded tensors, and the per-op code that builds the operands and calls the op.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "tests/op_cases.h"

namespace gemmeter::test {

// splitmix64 and integer arithmetic: fast, and the same sequence on every platform
// (unlike std::normal_distribution), so a failing case reproduces anywhere.
//
// The normal vectors drawn (the bulk of a case's inputs) are kept on a tape: after
// Rewind() the same calls return the same values again without recomputing them, so the
// backend under test gets exactly the reference's inputs at half the cost.
class Rng;
// rows x cols values of block format `dtype` as random blocks: random bits everywhere,
// then every half-precision scale (d, and q4_k/q5_k's dmin) set to u * c with u uniform
// in [0.5, 1.5] and c chosen so the decoded values have standard deviation `stddev`.
std::vector<uint8_t> RandomBlocks(Rng& rng, DType dtype, int64_t rows, int64_t cols,
                                  double stddev);

class Rng {
 public:
  explicit Rng(uint64_t seed) : seed_(seed), state_(seed) {}
  uint64_t Next();
  double Uniform();                                    // [0, 1), 53 bits
  int64_t Int(int64_t lo, int64_t hi);                 // uniform in [lo, hi]
  std::vector<float> Normal(int64_t n, float stddev);  // approximately normal, mean 0
  // Replays the same sequence from the start.
  void Rewind();

 private:
  struct Recorded {
    std::vector<float> values;
    uint64_t state_after;
  };
  uint64_t seed_, state_;
  std::vector<Recorded> tape_;
  size_t replay_ = 0;
  bool replaying_ = false;
};

// The sentinels that fill guards (and outputs before the op): quiet NaNs with a payload
// no arithmetic produces, compared bit for bit.
inline constexpr uint32_t kSentinelF32 = 0x7fc0deadu;
inline constexpr uint16_t kSentinelBf16 = 0x7fdeu;
inline constexpr int32_t kSentinelI32 = 0x7eadbeef;

// The tensors of one run of one case on one backend. Each is allocated with guard rows
// before and after it (at least 64 elements each side) and handed out as the middle view.
class Session {
 public:
  explicit Session(Backend& backend) : backend_(backend) {}
  Backend& backend() { return backend_; }

  // An operand the op only reads: `host` (host_dtype) uploaded into a `dtype` tensor. It
  // must be bit-for-bit unchanged after the op, guards included.
  Tensor Input(std::string label, const Shape& shape, DType dtype, const void* host,
               DType host_dtype);
  Tensor Input(std::string label, const Shape& shape, const std::vector<float>& values);
  // A block-format weight as the model loader hands it over: imported (ImportWeights)
  // from host bytes with guard rows of all-ones bytes (NaN scales) before and after it, so
  // a kernel that reads past its rows makes NaN. The host bytes, guards included, must be
  // unchanged after the op. (A backend may keep its own copy: the onednn backend puts
  // q8_0, q4_0 and q5_0 matrices of whole 16-row groups in row groups.)
  Tensor Weights(std::string label, const Shape& shape, DType dtype,
                 const std::vector<uint8_t>& bytes);
  // An output the op must fill completely; it starts as the sentinel.
  Tensor Output(std::string label, const Shape& shape);
  // An output the op reads first (in place, accumulate); starts as `values` (f32 host data
  // converted to `dtype`).
  Tensor InOut(std::string label, const Shape& shape, DType dtype,
               const std::vector<float>& values);

  std::vector<float> Read(const Tensor& view);
  // A problem found by the op's own code (e.g. a host output's guard).
  void AddProblem(std::string problem) { problems_.push_back(std::move(problem)); }
  // After the op: every guard and input that changed, plus the problems added.
  std::vector<std::string> CheckIntegrity();

 private:
  struct Tracked {
    std::string label;
    Tensor full;             // the guarded allocation
    int64_t guard_elements;  // at each end of `full`
    bool input;
    std::vector<float> snapshot;  // `full` downloaded right after the uploads
  };
  Tensor Allocate(std::string label, const Shape& shape, DType dtype, bool input, const void* host,
                  DType host_dtype);

  struct Imported {
    std::string label;
    std::shared_ptr<std::vector<uint8_t>> host;  // guards, the weight's bytes, guards
    std::vector<uint8_t> snapshot;
  };
  Backend& backend_;
  std::vector<Tracked> tracked_;
  std::vector<Imported> imported_;
  std::vector<std::string> problems_;
};

// What one run of a case produced, on the host.
struct OpOutput {
  std::vector<float> values;    // the output tensor, or log_softmax_gather's log-probs
  int64_t cols = 1;             // row width of `values`, for messages
  std::vector<int32_t> argmax;  // log_softmax_gather only
  std::vector<float> logits;    // log_softmax_gather only: its input, for near-tie checks
};

// Draws the case's inputs from `rng` (seeded with CaseSeed(c)), runs the op on
// s.backend(), reads the outputs back.
OpOutput Execute(Session& s, const OpCase& c, Rng& rng);

}  // namespace gemmeter::test

// The cross-backend op suite (op_cases.h, op_runner.h): every backend compiled into this
// build against the reference backend on every case, plus the checks that the suite
// itself is sound: its budgets admit a plain float32 implementation, and it reports
// backends broken on purpose (wrong values, writes past an output, unwritten outputs,
// modified inputs, exceptions) instead of passing them.
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <set>
#include <variant>

#include "engine/backend/backend.h"
#include "engine/backend/cpu/isa.h"
#include "engine/core/error.h"
#include "tests/op_cases.h"
#include "tests/op_runner.h"
#include "tests/op_test_backends.h"

namespace gemmeter::test {
namespace {

void CheckReport(const SuiteReport& report) {
  if (std::getenv("GEMMETER_OP_SUITE_VERBOSE") != nullptr) fmt::print("{}", FormatCases(report));
  fmt::print("{}\n", FormatSummary(report));
  for (const CaseResult& r : report.results) {
    if (!r.passed()) FAIL_CHECK(FormatFailure(r));
  }
  CHECK(report.failed() == 0);
}

TEST_CASE("every backend matches the reference on every op case", "[op_suite]") {
  // meson runs this suite once per kernel variant (GEMMETER_ISA); one this CPU lacks is
  // skipped with a message rather than failed.
  if (const char* forced = std::getenv("GEMMETER_ISA"); forced != nullptr) {
    bool available = false;
    for (cpu::Isa isa : cpu::AvailableIsas()) available |= cpu::IsaName(isa) == forced;
    if (!available) {
      WARN("GEMMETER_ISA=" << forced << ": this CPU does not run that variant; skipped");
      return;
    }
    fmt::print("op suite with the {} kernels\n", forced);
  }
  for (std::string_view name : AvailableBackends()) {
    DYNAMIC_SECTION("backend " << name) {
      // The reference against itself exercises the harness (guards, sentinels, uploads of
      // views); a fast backend is checked against it numerically.
      auto backend = MakeBackend(name);
      CheckReport(RunSuite(*backend, AllOpCases()));
    }
  }
}

TEST_CASE("a plain float32 implementation passes every budget", "[op_suite]") {
  // Budgets too tight would fail correct fast backends; this is the least careful correct
  // one (sequential float sums), and then its matmul with bf16 activations.
  SECTION("float32") {
    FloatBackend backend;
    CheckReport(RunSuite(backend, AllOpCases()));
  }
  SECTION("float32 with bf16 activations in bf16 matmuls") {
    FloatBackend backend(/*round_bf16_activations=*/true);
    CheckReport(RunSuite(backend, CasesOf(AllOpCases(), Op::kMatMul)));
  }
}

// ---------------------------------------------------------------- broken on purpose

// Runs the cases of one op; returns the failures' messages, one string per failed case.
struct OpRun {
  std::vector<OpCase> cases;
  SuiteReport report;
  std::vector<std::string> failures;
};
OpRun RunOp(Backend& backend, Op op) {
  OpRun run{CasesOf(AllOpCases(), op), {}, {}};
  run.report = RunSuite(backend, run.cases);
  if (std::getenv("GEMMETER_OP_SUITE_VERBOSE") != nullptr) {
    fmt::print("{}\n", FormatSummary(run.report));
  }
  for (const CaseResult& r : run.report.results) {
    if (!r.passed()) run.failures.push_back(FormatFailure(r));
  }
  return run;
}

bool AllContain(const std::vector<std::string>& texts, const std::string& word) {
  for (const std::string& t : texts) {
    if (t.find(word) == std::string::npos) return false;
  }
  return true;
}

float* Data(const Tensor& t) { return static_cast<float*>(t.data()); }

// Scales every matmul output by 1 + 1e-4: NMSE 1e-8, over every f32 budget, under bf16's.
class ScaledMatMul : public WrappedBackend {
 public:
  ScaledMatMul() : WrappedBackend("scaled-matmul") {}
  void DoMatMul(const Tensor& x, const Tensor& w, const Tensor& out,
                const MatMulEpilogue& e) override {
    inner_.MatMul(x, w, out, e);
    for (int64_t i = 0; i < out.numel(); ++i) Data(out)[i] *= 1.0f + 1e-4f;
  }
};

// Writes one element past the end of its output.
class OverrunAdd : public WrappedBackend {
 public:
  OverrunAdd() : WrappedBackend("overrun-add") {}
  void DoAdd(const Tensor& a, const Tensor& b, const Tensor& out) override {
    inner_.Add(a, b, out);
    Data(out)[out.numel()] = 0.0f;
  }
};

// Writes one element before the start of its (in-place) output.
class UnderrunRope : public WrappedBackend {
 public:
  UnderrunRope() : WrappedBackend("underrun-rope") {}
  void DoRope(const Tensor& x, int d, std::span<const int32_t> pos, float theta, float s) override {
    inner_.Rope(x, d, pos, theta, s);
    Data(x)[-1] = 1.0f;
  }
};

// Leaves the last output element unwritten.
class ShortGeGlu : public WrappedBackend {
 public:
  ShortGeGlu() : WrappedBackend("short-geglu") {}
  void DoGeGlu(const Tensor& gate, const Tensor& up, const Tensor& out) override {
    const int64_t n = gate.numel();
    inner_.GeGlu(gate.Reshaped({n}).Rows(0, n - 1), up.Reshaped({n}).Rows(0, n - 1),
                 out.Reshaped({n}).Rows(0, n - 1));
  }
};

// Normalizes x in place, then copies it to out: right values, clobbered input.
class ClobberingRmsNorm : public WrappedBackend {
 public:
  ClobberingRmsNorm() : WrappedBackend("clobbering-rms-norm") {}
  void DoRmsNorm(const Tensor& x, const Tensor& gain, float eps, const Tensor& out) override {
    inner_.RmsNorm(x, gain, eps, x);
    if (out.data() != x.data())
      inner_.CopyRows(x.Reshaped({x.rows(), x.cols()}), 0, out.Reshaped({x.rows(), x.cols()}), 0,
                      x.rows());
  }
};

// Ignores the sliding window.
class WindowlessAttention : public WrappedBackend {
 public:
  WindowlessAttention() : WrappedBackend("windowless-attention") {}
  void DoAttention(const Tensor& q, std::span<const AttentionSequence> seqs,
                   const AttentionParams& params, const Tensor& out) override {
    AttentionParams p = params;
    p.window = 0;
    inner_.Attention(q, seqs, p, out);
  }
};

// Resolves exact ties to the highest index, and shifts log-probs by `offset`.
class SloppyLogSoftmax : public WrappedBackend {
 public:
  explicit SloppyLogSoftmax(float offset) : WrappedBackend("sloppy-log-softmax"), offset_(offset) {}
  void DoLogSoftmaxGather(const Tensor& logits, std::span<const int64_t> offsets,
                          std::span<const int32_t> targets, std::span<float> log_probs,
                          std::span<int32_t> argmax) override {
    inner_.LogSoftmaxGather(logits, offsets, targets, log_probs, argmax);
    for (float& lp : log_probs) lp += offset_;
    for (size_t r = 0; r < argmax.size(); ++r) {
      const float* row = Data(logits) + r * logits.cols();
      for (int64_t j = logits.cols() - 1; j > argmax[r]; --j) {
        if (row[j] == row[argmax[r]]) argmax[r] = static_cast<int32_t>(j);
      }
    }
  }

 private:
  float offset_;
};

// Supports nothing in bf16, and throws on every copy.
class PartialBackend : public WrappedBackend {
 public:
  PartialBackend() : WrappedBackend("partial") {}
  bool Supports(Op op, DType dtype) const override {
    return dtype != DType::kBF16 && inner_.Supports(op, dtype);
  }
  void DoCopyRows(const Tensor&, int64_t, const Tensor&, int64_t, int64_t) override {
    Fail("copy_rows is not implemented");
  }
};

TEST_CASE("the suite reports backends broken on purpose", "[op_suite]") {
  SECTION("values off by 1e-4 relative fail the f32 matmul budget, not the bf16 one") {
    ScaledMatMul backend;
    const OpRun run = RunOp(backend, Op::kMatMul);
    for (const CaseResult& r : run.report.results) {
      const auto& m = std::get<MatMulCase>(r.op_case->params);
      INFO(FormatFailure(r) << r.op_case->name);
      CHECK(r.passed() == (r.op_case->dtype == DType::kBF16 || m.m == 0));
    }
    CHECK(AllContain(run.failures, "nmse"));
  }
  SECTION("a write past the end of an output breaks its guard") {
    OverrunAdd backend;
    const OpRun run = RunOp(backend, Op::kAdd);
    CHECK(run.report.failed() == run.report.run());
    CHECK(AllContain(run.failures, "guard after"));
  }
  SECTION("a write before the start of an in-place output breaks its guard") {
    UnderrunRope backend;
    const OpRun run = RunOp(backend, Op::kRope);
    CHECK(run.report.failed() == run.report.run());
    CHECK(AllContain(run.failures, "guard before"));
  }
  SECTION("an output element left unwritten is a NaN") {
    ShortGeGlu backend;
    const OpRun run = RunOp(backend, Op::kGeGlu);
    CHECK(run.report.failed() == run.report.run());
    CHECK(AllContain(run.failures, "non-finite"));
  }
  SECTION("a modified input is reported even when the output is right") {
    ClobberingRmsNorm backend;
    const OpRun run = RunOp(backend, Op::kRmsNorm);
    for (const CaseResult& r : run.report.results) {
      const auto& p = std::get<RmsNormCase>(r.op_case->params);
      INFO(r.op_case->name);
      CHECK(r.passed() == (p.in_place || p.rows == 0));
    }
    CHECK(AllContain(run.failures, "x: input (or its guards) changed"));
  }
  SECTION("ignoring the sliding window fails the cases where it hides keys") {
    WindowlessAttention backend;
    const OpRun run = RunOp(backend, Op::kAttention);
    for (const CaseResult& r : run.report.results) {
      const auto& a = std::get<AttentionCase>(r.op_case->params);
      bool window_hides_keys = false;
      for (const AttentionSeqSpec& s : a.sequences) {
        window_hides_keys |= a.window > 0 && s.count > 0 && s.start + s.count > a.window;
      }
      INFO(r.op_case->name);
      CHECK(r.passed() == !window_hides_keys);
    }
    CHECK(AllContain(run.failures, "nmse"));
  }
  SECTION("log_softmax_gather: exact ties go to the lowest index; log-probs within budget") {
    SloppyLogSoftmax ties_only(0.0f);
    const OpRun run = RunOp(ties_only, Op::kLogSoftmaxGather);
    for (const CaseResult& r : run.report.results) {
      INFO(r.op_case->name);
      const auto& l = std::get<LogSoftmaxCase>(r.op_case->params);
      CHECK(r.passed() == !(l.ties || l.all_equal));  // an all-equal row is one big tie
    }
    CHECK(AllContain(run.failures, "exact tie"));
    SloppyLogSoftmax shifted(3e-3f);  // 3x the budget at V = 262144
    const OpRun shifted_run = RunOp(shifted, Op::kLogSoftmaxGather);
    for (const CaseResult& r : shifted_run.report.results) {
      INFO(r.op_case->name);
      CHECK(r.passed() == (std::get<LogSoftmaxCase>(r.op_case->params).targets == 0));
    }
  }
  SECTION("unsupported cases are counted, not failed; exceptions are failures") {
    PartialBackend backend;
    std::vector<OpCase> cases = CasesOf(AllOpCases(), Op::kEmbedding);
    for (const OpCase& c : CasesOf(AllOpCases(), Op::kCopyRows)) cases.push_back(c);
    const SuiteReport report = RunSuite(backend, cases);
    int64_t bf16_cases = 0, copy_f32_cases = 0;
    for (const OpCase& c : cases) {
      bf16_cases += c.dtype == DType::kBF16;
      copy_f32_cases += c.op == Op::kCopyRows && c.dtype == DType::kF32;
    }
    CHECK(bf16_cases > 0);
    CHECK(copy_f32_cases > 0);
    CHECK(report.unsupported() == bf16_cases);
    CHECK(report.failed() == copy_f32_cases);
    for (const CaseResult& r : report.results) {
      if (!r.passed()) CHECK(FormatFailure(r).find("threw: copy_rows is not") != std::string::npos);
    }
  }
}

// ---------------------------------------------------------------- the case list itself

TEST_CASE("the case list covers the ops, dtypes and edge shapes", "[op_suite]") {
  const auto& cases = AllOpCases();
  std::set<std::string> names;
  std::set<Op> ops;
  std::set<int> gqa_ratios, head_dims;
  std::set<std::string> seen;  // features, by name
  for (const OpCase& c : cases) {
    CHECK(names.insert(c.name).second);  // unique: names seed the inputs
    ops.insert(c.op);
    if (const auto* a = std::get_if<AttentionCase>(&c.params)) {
      gqa_ratios.insert(a->heads / a->kv_heads);
      head_dims.insert(a->head_dim);
      for (const AttentionSeqSpec& s : a->sequences) {
        if (a->window > 0 && a->window < s.count) seen.insert("window < T");
        if (a->window > s.start + s.count) seen.insert("window > context");
        if (s.start > 0 && s.count == 1) seen.insert("decode over a filled cache");
        if (s.count == 1 && s.start == 0) seen.insert("attention T=1");
      }
      if (a->sequences.size() > 1) seen.insert("several sequences");
      seen.insert(a->softcap > 0 ? "softcap on" : "softcap off");
    } else if (const auto* m = std::get_if<MatMulCase>(&c.params)) {
      // The bf16 budget needs enough outputs for a stable NMSE (op_cases.cc).
      if (c.dtype == DType::kBF16 && m->m > 0) CHECK(m->m * m->n >= 50);
      seen.insert(fmt::format("matmul {} {}{}{}", DTypeName(c.dtype), m->gelu_tanh, m->multiply,
                              m->accumulate));
    } else if (const auto* r = std::get_if<RopeCase>(&c.params)) {
      seen.insert(fmt::format("rope theta {:g} scaling {:g}", r->theta, r->scaling));
      if (r->max_position >= 4000) seen.insert("rope position 4000");
    } else if (const auto* n = std::get_if<RmsNormCase>(&c.params)) {
      seen.insert(fmt::format("rms_norm width {}", n->cols));
    } else if (c.op == Op::kEmbedding || c.op == Op::kCopyRows) {
      seen.insert(fmt::format("{} {}", OpName(c.op), DTypeName(c.dtype)));
    }
  }
  CHECK(ops.size() == AllOps().size());  // every op of the table has cases
  CHECK(gqa_ratios == std::set<int>{1, 2, 4, 8});
  CHECK(head_dims.count(256) == 1);
  CHECK(*head_dims.begin() <= 32);
  for (const char* feature :
       {"window < T", "window > context", "decode over a filled cache", "attention T=1",
        "several sequences", "softcap on", "softcap off", "rope theta 10000 scaling 1",
        "rope theta 1e+06 scaling 8", "rope position 4000", "rms_norm width 640",
        "rms_norm width 256", "rms_norm width 7", "embedding f32", "embedding bf16",
        "copy_rows f32", "copy_rows bf16"}) {
    INFO(feature);
    CHECK(seen.count(feature) == 1);
  }
  for (DType d : kBlockDTypes) {  // every block format: lookups, GEMV and GEMM, epilogues
    for (const std::string& feature :
         {fmt::format("embedding {}", DTypeName(d)), fmt::format("matmul {} falsefalsefalse", DTypeName(d)),
          fmt::format("matmul {} truetruetrue", DTypeName(d))}) {
      INFO(feature);
      CHECK(seen.count(feature) == 1);
    }
  }
  for (DType d : {DType::kF32, DType::kBF16}) {
    for (int bits = 0; bits < 8; ++bits) {
      const std::string combo = fmt::format("matmul {} {}{}{}", DTypeName(d), (bits & 1) != 0,
                                            (bits & 2) != 0, (bits & 4) != 0);
      INFO(combo);
      CHECK(seen.count(combo) == 1);
    }
  }
}

}  // namespace
}  // namespace gemmeter::test

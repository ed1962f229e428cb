#include "tests/op_harness.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "engine/core/error.h"
#include "engine/core/quant_blocks.h"

namespace gemmeter::test {

// ---------------------------------------------------------------- Rng

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1p-53; }

std::vector<uint8_t> RandomBlocks(Rng& rng, DType dtype, int64_t rows, int64_t cols,
                                  double stddev) {
  const size_t bytes = static_cast<size_t>(rows) * RowBytes(dtype, cols);
  std::vector<uint8_t> data(bytes);
  for (size_t i = 0; i < bytes; i += 8) {
    const uint64_t r = rng.Next();
    std::memcpy(data.data() + i, &r, std::min<size_t>(8, bytes - i));
  }
  const std::vector<size_t> offsets = HalfScaleOffsets(dtype);
  std::vector<float> u;
  const size_t scales = bytes / BlockBytes(dtype) * offsets.size();
  for (size_t i = 0; i < scales; ++i) u.push_back(static_cast<float>(0.5 + rng.Uniform()));
  auto set_scales = [&](double c) {
    size_t i = 0;
    for (size_t block = 0; block < bytes; block += BlockBytes(dtype)) {
      for (size_t offset : offsets) {
        const uint16_t h = FloatToF16(static_cast<float>(u[i++] * c));
        std::memcpy(data.data() + block + offset, &h, 2);
      }
    }
  };
  set_scales(1.0);
  std::vector<float> decoded(static_cast<size_t>(rows * cols));
  ConvertToF32(data.data(), dtype, decoded.size(), decoded.data());
  double sum_squares = 0;
  for (float v : decoded) sum_squares += double(v) * v;
  const double rms = decoded.empty() ? 1.0 : std::sqrt(sum_squares / double(decoded.size()));
  set_scales(rms > 0 ? stddev / rms : 1.0);
  return data;
}

int64_t Rng::Int(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
}

std::vector<float> Rng::Normal(int64_t n, float stddev) {
  if (replaying_) {
    Check(replay_ < tape_.size() && tape_[replay_].values.size() == static_cast<size_t>(n),
          "op harness: the second run drew different inputs than the first");
    state_ = tape_[replay_].state_after;
    return tape_[replay_++].values;
  }
  // Irwin-Hall: the sum of four 16-bit uniforms from one 64-bit draw, centred and scaled
  // to unit variance (each uniform has variance 1/12). Close to normal, tails cut at
  // +-2 sqrt(3) = 3.46 sigma, and ~10x cheaper than Box-Muller; the inputs only need to be
  // generic, and the scaling by an irrational constant fills every mantissa bit.
  const float scale = stddev * static_cast<float>(std::sqrt(3.0)) / 65536.0f;
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) {
    const uint64_t r = Next();
    const int64_t sum = static_cast<int64_t>((r & 0xffff) + ((r >> 16) & 0xffff) +
                                             ((r >> 32) & 0xffff) + (r >> 48));
    x = static_cast<float>(sum - 2 * 65535) * scale;
  }
  tape_.push_back({v, state_});
  return v;
}

void Rng::Rewind() {
  state_ = seed_;
  replay_ = 0;
  replaying_ = true;
}

// ---------------------------------------------------------------- Session

namespace {

uint32_t Bits(float f) { return std::bit_cast<uint32_t>(f); }

// Guard rows at each end: at least 64 elements (a 256-byte stretch of f32, more than one
// vector store of any SIMD width) and at least one row.
int64_t GuardRows(int64_t row_elements) {
  return std::max<int64_t>(1, (64 + row_elements - 1) / std::max<int64_t>(row_elements, 1));
}

}  // namespace

Tensor Session::Allocate(std::string label, const Shape& shape, DType dtype, bool input,
                         const void* host, DType host_dtype) {
  Check(!shape.empty(), "op harness: {} needs at least one dimension", label);
  int64_t row_elements = 1;
  for (size_t i = 1; i < shape.size(); ++i) row_elements *= shape[i];
  const int64_t guard_rows = GuardRows(row_elements);
  Shape full_shape = shape;
  full_shape[0] += 2 * guard_rows;
  Tensor full = backend_.Allocate(full_shape, dtype);

  // Sentinel everywhere, then the data into the middle.
  const auto n = static_cast<size_t>(full.numel());
  if (dtype == DType::kBF16) {
    const std::vector<uint16_t> sentinel(n, kSentinelBf16);
    backend_.Upload(full, sentinel.data(), DType::kBF16);
  } else if (IsBlockFormat(dtype)) {
    // All-ones bytes: every scale is a NaN half, so every guard value decodes to NaN.
    const std::vector<uint8_t> sentinel(full.bytes(), 0xff);
    backend_.Upload(full, sentinel.data(), dtype);
  } else {
    Check(dtype == DType::kF32, "op harness: unsupported dtype for {}", label);
    const std::vector<uint32_t> sentinel(n, kSentinelF32);
    backend_.Upload(full, sentinel.data(), DType::kF32);
  }
  Tensor view = full.Rows(guard_rows, shape[0]);
  if (host != nullptr && view.numel() > 0) backend_.Upload(view, host, host_dtype);

  Tracked t{std::move(label), full, guard_rows * row_elements, input, std::vector<float>(n)};
  backend_.Download(full, t.snapshot.data());
  tracked_.push_back(std::move(t));
  return view;
}

Tensor Session::Weights(std::string label, const Shape& shape, DType dtype,
                        const std::vector<uint8_t>& bytes) {
  Check(IsBlockFormat(dtype) && shape.size() == 2, "op harness: {} is not a block matrix", label);
  const size_t row_bytes = RowBytes(dtype, shape[1]);
  Check(bytes.size() == static_cast<size_t>(shape[0]) * row_bytes, "op harness: {} size", label);
  const size_t guard_bytes = static_cast<size_t>(GuardRows(shape[1])) * row_bytes;
  auto host = std::make_shared<std::vector<uint8_t>>(bytes.size() + 2 * guard_bytes, 0xff);
  std::copy(bytes.begin(), bytes.end(), host->begin() + static_cast<std::ptrdiff_t>(guard_bytes));
  imported_.push_back({label, host, *host});
  return backend_.ImportWeights(shape, dtype, host->data() + guard_bytes, host);
}

Tensor Session::Input(std::string label, const Shape& shape, DType dtype, const void* host,
                      DType host_dtype) {
  return Allocate(std::move(label), shape, dtype, true, host, host_dtype);
}

Tensor Session::Input(std::string label, const Shape& shape, const std::vector<float>& values) {
  Check(static_cast<int64_t>(values.size()) == NumElements(shape), "op harness: {} size", label);
  return Allocate(std::move(label), shape, DType::kF32, true, values.data(), DType::kF32);
}

Tensor Session::Output(std::string label, const Shape& shape) {
  return Allocate(std::move(label), shape, DType::kF32, false, nullptr, DType::kF32);
}

Tensor Session::InOut(std::string label, const Shape& shape, DType dtype,
                      const std::vector<float>& values) {
  Check(static_cast<int64_t>(values.size()) == NumElements(shape), "op harness: {} size", label);
  return Allocate(std::move(label), shape, dtype, false, values.data(), DType::kF32);
}

std::vector<float> Session::Read(const Tensor& view) {
  std::vector<float> host(static_cast<size_t>(view.numel()));
  if (!host.empty()) backend_.Download(view, host.data());
  return host;
}

std::vector<std::string> Session::CheckIntegrity() {
  std::vector<std::string> problems = problems_;
  for (const Imported& w : imported_) {
    if (*w.host != w.snapshot) {
      problems.push_back(fmt::format("{}: the imported weight's host bytes (or guards) changed",
                                     w.label));
    }
  }
  for (const Tracked& t : tracked_) {
    std::vector<float> now(t.snapshot.size());
    backend_.Download(t.full, now.data());
    const auto n = static_cast<int64_t>(now.size());
    const int64_t g = t.guard_elements;
    const int64_t view_elements = n - 2 * g;
    // Ranges that must be unchanged: the whole of an input, the two guards of an output.
    struct Range {
      const char* what;
      int64_t begin, end;
    };
    std::vector<Range> ranges;
    if (t.input) {
      ranges.push_back({"input (or its guards)", 0, n});
    } else {
      ranges.push_back({"guard before", 0, g});
      ranges.push_back({"guard after", n - g, n});
    }
    for (const Range& r : ranges) {
      int64_t changed = 0, first = -1;
      for (int64_t i = r.begin; i < r.end; ++i) {
        if (Bits(now[i]) != Bits(t.snapshot[i])) {
          if (first < 0) first = i;
          ++changed;
        }
      }
      if (changed == 0) continue;
      problems.push_back(fmt::format(
          "{}: {} changed in {} element(s); first at element {} of the {}-element view: bits "
          "{:#010x}, was {:#010x}",
          t.label, r.what, changed, first - g, view_elements, Bits(now[first]),
          Bits(t.snapshot[first])));
    }
  }
  return problems;
}

}  // namespace gemmeter::test

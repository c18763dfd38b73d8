// The sealed encoding (ChunkEncoding::kPacked): a timestamp column and a value column,
// each encoded with the smallest of several codecs. Layout: docs/format/chunks.md#packed.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>

#include "tsdb/chunk.h"
#include "tsdb/chunk_codec.h"

namespace perfwatch::tsdb::chunk_internal {
namespace {

constexpr double kPow10[kMaxDecimals + 1] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53
constexpr uint8_t kNotDecimal = 255;

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

uint64_t ZigZagDecodeU(uint64_t v) { return static_cast<uint64_t>(UnZigZag(v)); }

int UvarintSize(uint64_t v) { return v == 0 ? 1 : (BitWidth(v) + 6) / 7; }

uint32_t HeaderCount(IntTransform t) {
  switch (t) {
    case IntTransform::kDelta:
      return 1;
    case IntTransform::kDeltaDelta:
      return 2;
    default:
      return 0;
  }
}

// An int column ready to be written: transform, header, residual frame.
struct IntPlan {
  IntTransform transform = IntTransform::kValues;
  uint64_t h0 = 0, h1 = 0;
  uint64_t base = 0, gcd = 1;
  int width = 0;
  std::vector<uint64_t> packed;  // (r - base) / gcd
  size_t size = 0;               // encoded bytes
};

// Plans column `x` under one transform (`step` for kGrid). Arithmetic wraps mod 2^64, so
// any int64 sequence round-trips.
void PlanInt(std::span<const uint64_t> x, IntTransform t, uint64_t step, IntPlan* p) {
  p->transform = t;
  p->h0 = p->h1 = 0;
  size_t n = x.size();
  p->packed.clear();
  std::vector<uint64_t>& r = p->packed;
  r.reserve(n);
  switch (t) {
    case IntTransform::kValues:
      r.assign(x.begin(), x.end());
      break;
    case IntTransform::kDelta:
      p->h0 = x[0];
      for (size_t i = 1; i < n; ++i) r.push_back(x[i] - x[i - 1]);
      break;
    case IntTransform::kDeltaDelta: {
      p->h0 = x[0];
      p->h1 = x[1] - x[0];
      uint64_t d = p->h1;
      for (size_t i = 2; i < n; ++i) {
        uint64_t di = x[i] - x[i - 1];
        r.push_back(di - d);
        d = di;
      }
      break;
    }
    case IntTransform::kGrid:
      p->h0 = step;
      for (size_t i = 0; i < n; ++i) r.push_back(x[i] - static_cast<uint64_t>(i) * step);
      break;
  }
  int64_t lo = 0;
  bool any = false;
  for (uint64_t v : r) {
    int64_t s = static_cast<int64_t>(v);
    if (!any || s < lo) lo = s;
    any = true;
  }
  p->base = static_cast<uint64_t>(lo);
  uint64_t g = 0, hi = 0;
  for (uint64_t& v : r) {
    v -= p->base;
    g = std::gcd(g, v);
    hi = std::max(hi, v);
  }
  p->gcd = g == 0 ? 1 : g;
  if (p->gcd > 1) {
    for (uint64_t& v : r) v /= p->gcd;
    hi /= p->gcd;
  }
  p->width = BitWidth(hi);
}

// Headers are stored zigzagged (as signed): small negative deltas stay short.
void PlanIntZ(std::span<const uint64_t> x, IntTransform t, uint64_t step, IntPlan* p) {
  PlanInt(x, t, step, p);
  uint32_t hc = HeaderCount(t);
  p->size =
      1 +
      (hc >= 1 || t == IntTransform::kGrid ? UvarintSize(ZigZag(static_cast<int64_t>(p->h0))) : 0) +
      (hc >= 2 ? UvarintSize(ZigZag(static_cast<int64_t>(p->h1))) : 0) +
      UvarintSize(ZigZag(static_cast<int64_t>(p->base))) + 1 +
      (p->width > 0 ? UvarintSize(p->gcd) : 0) + PackedBytes(p->packed.size(), p->width);
}

// Candidate grid steps: the mean step and the median delta.
std::vector<uint64_t> GridSteps(std::span<const uint64_t> x) {
  std::vector<uint64_t> steps;
  size_t n = x.size();
  if (n < 3) return steps;
  __int128 span = static_cast<__int128>(static_cast<int64_t>(x[n - 1])) -
                  static_cast<__int128>(static_cast<int64_t>(x[0]));
  __int128 den = static_cast<__int128>(n - 1);
  __int128 q = span >= 0 ? (span + den / 2) / den : -((-span + den / 2) / den);
  steps.push_back(static_cast<uint64_t>(static_cast<int64_t>(q)));
  std::vector<int64_t> d;
  d.reserve(n - 1);
  for (size_t i = 1; i < n; ++i) d.push_back(static_cast<int64_t>(x[i] - x[i - 1]));
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  uint64_t med = static_cast<uint64_t>(d[d.size() / 2]);
  if (med != steps[0]) steps.push_back(med);
  return steps;
}

// Picks the smallest plan for column `x` (or the forced transform, when valid).
void BestInt(std::span<const uint64_t> x, std::optional<IntTransform> force, IntPlan* best) {
  IntPlan cand;
  bool have = false;
  auto consider = [&](IntTransform t, uint64_t step) {
    PlanIntZ(x, t, step, &cand);
    if (!have || cand.size < best->size) {
      std::swap(*best, cand);
      have = true;
    }
  };
  for (int ti = 0; ti < kNumIntTransforms; ++ti) {
    auto t = static_cast<IntTransform>(ti);
    if (force && *force != t) continue;
    if (x.size() < HeaderCount(t)) continue;
    if (t == IntTransform::kGrid) {
      for (uint64_t step : GridSteps(x)) consider(t, step);
    } else {
      consider(t, 0);
    }
  }
  if (!have) BestInt(x, std::nullopt, best);  // forced transform invalid for this data
}

void WriteInt(std::vector<uint8_t>& out, const IntPlan& p) {
  out.push_back(static_cast<uint8_t>(p.transform));
  uint32_t hc = HeaderCount(p.transform);
  if (hc >= 1 || p.transform == IntTransform::kGrid) PutVarint(out, static_cast<int64_t>(p.h0));
  if (hc >= 2) PutVarint(out, static_cast<int64_t>(p.h1));
  PutVarint(out, static_cast<int64_t>(p.base));
  out.push_back(static_cast<uint8_t>(p.width));
  if (p.width > 0) PutUvarint(out, p.gcd);
  PackBits(out, p.packed, p.width);
}

// Smallest number of decimals d with v == x / 10^d exactly, |x| <= 2^53; kNotDecimal if
// none (NaN, ±Inf, -0.0, too many digits).
uint8_t DecimalsNeeded(double v, int64_t* x_out) {
  if (!std::isfinite(v) || (v == 0 && std::signbit(v))) return kNotDecimal;
  for (int d = 0; d <= kMaxDecimals; ++d) {
    double s = v * kPow10[d];
    if (!(std::fabs(s) <= kMaxExactInt)) return kNotDecimal;
    int64_t x = std::llround(s);
    if (Bits(static_cast<double>(x) / kPow10[d]) == Bits(v)) {
      *x_out = x;
      return static_cast<uint8_t>(d);
    }
  }
  return kNotDecimal;
}

struct ValuePlan {
  ValueKind kind = ValueKind::kXor;
  std::vector<uint8_t> bytes;  // the encoded column
};

void EncodeXorValues(std::span<const Sample> s, std::vector<uint8_t>& out) {
  out.push_back(static_cast<uint8_t>(ValueKind::kXor));
  BitWriter w(&out);
  XorValueEncoder enc;
  for (const Sample& x : s) enc.Append(w, Bits(x.v));
}

// Tries kDecimal with `d` decimals; false if too many samples would be exceptions.
bool EncodeDecimal(std::span<const Sample> s, std::span<const uint8_t> need, int d,
                   std::optional<IntTransform> force, std::vector<uint8_t>& out) {
  size_t n = s.size();
  std::vector<uint64_t> x(n);
  std::vector<uint32_t> exc;
  for (size_t i = 0; i < n; ++i) {
    bool ok = need[i] <= d;
    if (ok) {
      int64_t xi = std::llround(s[i].v * kPow10[d]);
      ok = Bits(static_cast<double>(xi) / kPow10[d]) == Bits(s[i].v);
      x[i] = static_cast<uint64_t>(xi);
    }
    if (!ok) exc.push_back(static_cast<uint32_t>(i));
  }
  if (exc.size() == n || exc.size() > n / 4 + 1) return false;
  // Exceptions hold the previous decodable value (the first decodable one for a leading
  // run) so they do not widen the frame.
  size_t first_ok = 0;
  while (std::binary_search(exc.begin(), exc.end(), static_cast<uint32_t>(first_ok))) ++first_ok;
  for (uint32_t i : exc) x[i] = i == 0 || i < first_ok ? x[first_ok] : x[i - 1];
  out.push_back(static_cast<uint8_t>(ValueKind::kDecimal));
  out.push_back(static_cast<uint8_t>(d));
  PutUvarint(out, exc.size());
  uint32_t prev = 0;
  for (uint32_t i : exc) {
    PutUvarint(out, i - prev);
    PutFixed64(out, Bits(s[i].v));
    prev = i;
  }
  IntPlan p;
  BestInt(x, force, &p);
  WriteInt(out, p);
  return true;
}

void EncodeValues(std::span<const Sample> s, const SealOptions& opts, std::vector<uint8_t>& out) {
  size_t n = s.size();
  auto want = [&](ValueKind k) { return !opts.value_kind || *opts.value_kind == k; };
  std::vector<uint8_t> best, cand;
  auto keep = [&]() {
    if (best.empty() || cand.size() < best.size()) std::swap(best, cand);
    cand.clear();
  };
  bool constant = true;
  for (size_t i = 1; i < n && constant; ++i) constant = Bits(s[i].v) == Bits(s[0].v);
  if (constant && want(ValueKind::kConstant)) {
    cand.push_back(static_cast<uint8_t>(ValueKind::kConstant));
    PutFixed64(cand, Bits(s[0].v));
    keep();
  }
  if (want(ValueKind::kDecimal)) {
    std::vector<uint8_t> need(n);
    int64_t unused;
    for (size_t i = 0; i < n; ++i) need[i] = DecimalsNeeded(s[i].v, &unused);
    std::vector<uint8_t> ds;
    for (uint8_t d : need) {
      if (d != kNotDecimal) ds.push_back(d);
    }
    std::sort(ds.begin(), ds.end());
    ds.erase(std::unique(ds.begin(), ds.end()), ds.end());
    for (uint8_t d : ds) {
      if (EncodeDecimal(s, need, d, opts.value_transform, cand)) keep();
      cand.clear();
    }
  }
  if (want(ValueKind::kRawBits)) {
    std::vector<uint64_t> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = Bits(s[i].v);
    IntPlan p;
    BestInt(x, opts.value_transform, &p);
    cand.push_back(static_cast<uint8_t>(ValueKind::kRawBits));
    WriteInt(cand, p);
    keep();
  }
  if (want(ValueKind::kXor) || best.empty()) {
    EncodeXorValues(s, cand);
    keep();
  }
  out.insert(out.end(), best.begin(), best.end());
}

}  // namespace

std::vector<uint8_t> EncodePacked(std::span<const Sample> samples, const SealOptions& opts) {
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>(ChunkEncoding::kPacked));
  size_t n = std::min<size_t>(samples.size(), kMaxChunkSamples);
  samples = samples.first(n);
  PutUvarint(out, n);
  if (n == 0) return out;
  std::vector<uint64_t> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = static_cast<uint64_t>(samples[i].t);
  IntPlan p;
  BestInt(ts, opts.time_transform, &p);
  WriteInt(out, p);
  EncodeValues(samples, opts, out);
  return out;
}

// ---- decoding -------------------------------------------------------------------------

bool IntColumnDecoder::Init(ByteReader& r, uint32_t n) {
  uint8_t t = r.U8();
  if (!r.ok() || t >= kNumIntTransforms) return false;
  transform_ = static_cast<IntTransform>(t);
  n_ = n;
  i_ = 0;
  header_count_ = HeaderCount(transform_);
  if (n < header_count_) return false;
  if (header_count_ >= 1 || transform_ == IntTransform::kGrid) h0_ = ZigZagDecodeU(r.Uvarint());
  if (header_count_ >= 2) h1_ = ZigZagDecodeU(r.Uvarint());
  base_ = ZigZagDecodeU(r.Uvarint());
  width_ = r.U8();
  if (!r.ok() || width_ > 64) return false;
  gcd_ = width_ > 0 ? r.Uvarint() : 1;
  packed_size_ = PackedBytes(n - header_count_, width_);
  auto packed = r.Take(packed_size_);
  packed_ = packed.data();
  return r.ok();
}

int64_t IntColumnDecoder::Next() {
  uint32_t i = i_++;
  auto residual = [&]() {
    return base_ + gcd_ * UnpackAt(packed_, packed_size_, i - header_count_, width_);
  };
  uint64_t x;
  switch (transform_) {
    case IntTransform::kValues:
      x = residual();
      break;
    case IntTransform::kDelta:
      x = i == 0 ? h0_ : prev_ + residual();
      break;
    case IntTransform::kDeltaDelta:
      if (i == 0) {
        x = h0_;
      } else if (i == 1) {
        delta_ = h1_;
        x = prev_ + delta_;
      } else {
        delta_ += residual();
        x = prev_ + delta_;
      }
      break;
    case IntTransform::kGrid:
    default:
      x = residual() + static_cast<uint64_t>(i) * h0_;
      break;
  }
  prev_ = x;
  return static_cast<int64_t>(x);
}

void IntColumnDecoder::DecodeAll(uint64_t* out) {
  const uint32_t n = n_;
  const uint32_t hc = header_count_;
  // Raw packed residuals first (out[hc..n)), then the transform in place.
  if (n > hc) UnpackAll(packed_, packed_size_, n - hc, width_, out + hc);
  auto residual = [&](uint32_t i) { return base_ + gcd_ * out[i]; };
  switch (transform_) {
    case IntTransform::kValues:
      for (uint32_t i = 0; i < n; ++i) out[i] = residual(i);
      break;
    case IntTransform::kDelta:
      if (n > 0) out[0] = h0_;
      for (uint32_t i = 1; i < n; ++i) out[i] = out[i - 1] + residual(i);
      break;
    case IntTransform::kDeltaDelta: {
      if (n > 0) out[0] = h0_;
      uint64_t delta = h1_;
      if (n > 1) out[1] = out[0] + delta;
      for (uint32_t i = 2; i < n; ++i) {
        delta += residual(i);
        out[i] = out[i - 1] + delta;
      }
      break;
    }
    case IntTransform::kGrid:
    default:
      for (uint32_t i = 0; i < n; ++i) out[i] = residual(i) + static_cast<uint64_t>(i) * h0_;
      break;
  }
  i_ = n;
}

Status PackedChunkDecoder::DecodeAll(Sample* out) {
  if (i_ != 0) return Internal("packed chunk: DecodeAll after Next");
  const uint32_t n = n_;
  thread_local std::vector<uint64_t> column;
  if (column.size() < n) column.resize(n);
  times_.DecodeAll(column.data());
  for (uint32_t i = 0; i < n; ++i) out[i].t = static_cast<int64_t>(column[i]);
  switch (kind_) {
    case ValueKind::kConstant: {
      double v;
      std::memcpy(&v, &const_bits_, sizeof v);
      for (uint32_t i = 0; i < n; ++i) out[i].v = v;
      break;
    }
    case ValueKind::kDecimal: {
      ints_.DecodeAll(column.data());
      const double scale = kPow10[decimals_];
      for (uint32_t i = 0; i < n; ++i) out[i].v = static_cast<double>(static_cast<int64_t>(column[i])) / scale;
      // Exceptions: raw bits at listed indexes (validated by Init).
      uint32_t idx = next_exception_;
      for (uint32_t left = exceptions_left_; left > 0; --left) {
        uint64_t bits = exceptions_.Fixed64();
        std::memcpy(&out[idx].v, &bits, sizeof bits);
        if (left > 1) idx += static_cast<uint32_t>(exceptions_.Uvarint());
      }
      exceptions_left_ = 0;
      break;
    }
    case ValueKind::kRawBits:
      ints_.DecodeAll(column.data());
      for (uint32_t i = 0; i < n; ++i) std::memcpy(&out[i].v, &column[i], sizeof(double));
      break;
    case ValueKind::kXor:
      for (uint32_t i = 0; i < n; ++i) {
        uint64_t bits;
        if (!xor_.Next(xor_reader_, &bits)) {
          i_ = n_;
          return DataLoss("packed chunk: value " + std::to_string(i) + " of " + std::to_string(n_) +
                          " is truncated or corrupt");
        }
        std::memcpy(&out[i].v, &bits, sizeof bits);
      }
      break;
  }
  i_ = n_;
  return Status::Ok();
}

Status PackedChunkDecoder::Init(std::span<const uint8_t> chunk) {
  ByteReader r(chunk);
  if (r.U8() != static_cast<uint8_t>(ChunkEncoding::kPacked)) {
    return DataLoss("packed chunk: bad encoding byte");
  }
  uint64_t n = r.Uvarint();
  if (!r.ok() || n > kMaxChunkSamples) return DataLoss("packed chunk: bad sample count");
  n_ = static_cast<uint32_t>(n);
  if (n_ == 0) return Status::Ok();
  if (!times_.Init(r, n_)) return DataLoss("packed chunk: corrupt timestamp column");
  uint8_t kind = r.U8();
  if (!r.ok() || kind >= kNumValueKinds) return DataLoss("packed chunk: bad value kind");
  kind_ = static_cast<ValueKind>(kind);
  switch (kind_) {
    case ValueKind::kConstant:
      const_bits_ = r.Fixed64();
      break;
    case ValueKind::kDecimal: {
      decimals_ = r.U8();
      if (decimals_ > kMaxDecimals) return DataLoss("packed chunk: bad decimal scale");
      uint64_t count = r.Uvarint();
      if (!r.ok() || count > n_) return DataLoss("packed chunk: bad exception count");
      exceptions_left_ = static_cast<uint32_t>(count);
      exceptions_ = ByteReader(r.rest());
      // Validate the exception list once: indexes strictly increasing and below n.
      uint64_t idx = 0;
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t gap = r.Uvarint();
        r.Fixed64();
        if (k > 0 && gap == 0) return DataLoss("packed chunk: repeated exception index");
        idx += gap;
        if (!r.ok() || idx >= n_) return DataLoss("packed chunk: bad exception list");
      }
      if (count > 0) next_exception_ = static_cast<uint32_t>(exceptions_.Uvarint());
      if (!ints_.Init(r, n_)) return DataLoss("packed chunk: corrupt value column");
      break;
    }
    case ValueKind::kRawBits:
      if (!ints_.Init(r, n_)) return DataLoss("packed chunk: corrupt value column");
      break;
    case ValueKind::kXor:
      xor_reader_ = BitReader(r.rest());
      return Status::Ok();
  }
  if (!r.ok()) return DataLoss("packed chunk: truncated value column");
  if (r.remaining() != 0) return DataLoss("packed chunk: trailing bytes");
  return Status::Ok();
}

bool PackedChunkDecoder::Next(int64_t* t, double* v, Status* status) {
  if (i_ >= n_) return false;
  uint64_t bits = 0;
  switch (kind_) {
    case ValueKind::kConstant:
      bits = const_bits_;
      break;
    case ValueKind::kDecimal: {
      int64_t x = ints_.Next();
      if (exceptions_left_ > 0 && i_ == next_exception_) {
        bits = exceptions_.Fixed64();
        if (--exceptions_left_ > 0) next_exception_ += static_cast<uint32_t>(exceptions_.Uvarint());
      } else {
        bits = Bits(static_cast<double>(x) / kPow10[decimals_]);
      }
      break;
    }
    case ValueKind::kRawBits:
      bits = static_cast<uint64_t>(ints_.Next());
      break;
    case ValueKind::kXor:
      if (!xor_.Next(xor_reader_, &bits)) {
        *status = DataLoss("packed chunk: value " + std::to_string(i_) + " of " +
                           std::to_string(n_) + " is truncated or corrupt");
        i_ = n_;
        return false;
      }
      break;
  }
  *t = times_.Next();
  std::memcpy(v, &bits, sizeof bits);
  ++i_;
  return true;
}

}  // namespace perfwatch::tsdb::chunk_internal

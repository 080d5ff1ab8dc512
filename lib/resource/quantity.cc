// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Behaviour follows k8s.io/apimachinery pkg/api/resource (quantity.go,
// amount.go, suffix.go): same grammar, nano rounding on parse, BinarySI cap,
// canonical form. The arithmetic is our own: an int64 mantissa with a decimal
// scale, and internal::BigDecimal when that is not enough.

#include "vkubelet/resource/quantity.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "resource/decimal.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::resource {

using internal::BigDecimal;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

constexpr int64_t kPow10[] = {1LL,
                              10LL,
                              100LL,
                              1000LL,
                              10000LL,
                              100000LL,
                              1000000LL,
                              10000000LL,
                              100000000LL,
                              1000000000LL,
                              10000000000LL,
                              100000000000LL,
                              1000000000000LL,
                              10000000000000LL,
                              100000000000000LL,
                              1000000000000000LL,
                              10000000000000000LL,
                              100000000000000000LL,
                              1000000000000000000LL};
constexpr int kMaxPow10 = 18;

// Exponents written after e/E are clamped to this before use; anything that
// large is out of range (or rounds to 1n) anyway.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// a × 10^k without overflow, k >= 0.
bool MulPow10(int64_t a, int64_t k, int64_t* out) {
  if (a == 0) {
    *out = 0;
    return true;
  }
  if (k > kMaxPow10) return false;
  return !__builtin_mul_overflow(a, kPow10[k], out);
}

// Largest multiple of 3 that is <= e.
int64_t FloorToMultipleOf3(int64_t e) {
  int64_t r = e % 3;
  if (r < 0) r += 3;
  return e - r;
}

void AppendSuffix(int64_t exponent, Format format, std::string* out) {
  if (format == Format::kDecimalSI) {
    switch (exponent) {
      case -9: out->push_back('n'); return;
      case -6: out->push_back('u'); return;
      case -3: out->push_back('m'); return;
      case 0: return;
      case 3: out->push_back('k'); return;
      case 6: out->push_back('M'); return;
      case 9: out->push_back('G'); return;
      case 12: out->push_back('T'); return;
      case 15: out->push_back('P'); return;
      case 18: out->push_back('E'); return;
      default: break;  // no SI prefix: fall back to an exponent, as upstream
    }
  }
  if (exponent != 0) absl::StrAppend(out, "e", exponent);
}

constexpr const char* kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
constexpr int kMaxBinaryPower = 6;

absl::Status ParseError(std::string_view text, std::string_view why) {
  return errdefs::InvalidInput(absl::StrCat("invalid quantity \"", ::vkubelet::internal::ToAbsl(text), "\": ", ::vkubelet::internal::ToAbsl(why)));
}


// What a suffix means: value = number × base^exponent.
struct SuffixInfo {
  int base = 10;
  int64_t exponent = 0;
  Format format = Format::kDecimalSI;
};

bool LookupTableSuffix(std::string_view s, SuffixInfo* info) {
  if (s.size() == 0) {
    *info = {10, 0, Format::kDecimalSI};
    return true;
  }
  if (s.size() == 1) {
    int64_t e;
    switch (s[0]) {
      case 'n': e = -9; break;
      case 'u': e = -6; break;
      case 'm': e = -3; break;
      case 'k': e = 3; break;
      case 'M': e = 6; break;
      case 'G': e = 9; break;
      case 'T': e = 12; break;
      case 'P': e = 15; break;
      case 'E': e = 18; break;
      default: return false;
    }
    *info = {10, e, Format::kDecimalSI};
    return true;
  }
  if (s.size() == 2 && s[1] == 'i') {
    for (int p = 1; p <= kMaxBinaryPower; ++p) {
      if (s[0] == kBinarySuffixes[p][0]) {
        *info = {2, 10 * p, Format::kBinarySI};
        return true;
      }
    }
  }
  return false;
}

// Interprets everything after the number. `offset` is where the suffix starts
// in `text`, for error messages.
absl::Status InterpretSuffix(std::string_view text, size_t offset, SuffixInfo* info) {
  std::string_view s = text.substr(offset);
  if (LookupTableSuffix(s, info)) return absl::OkStatus();
  // Name the first character that cannot be part of any suffix; otherwise
  // the suffix as a whole is unknown.
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (alnum || c == '+' || c == '-') continue;
    std::string shown = (c >= 0x21 && c < 0x7f)
                            ? absl::StrCat("'", std::string(1, c), "'")
                            : absl::StrCat("byte 0x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') shown = "whitespace";
    return ParseError(text, absl::StrCat("unexpected ", shown, " at offset ", offset + i));
  }
  if (s.size() > 1 && (s[0] == 'e' || s[0] == 'E')) {
    std::string_view digits = s.substr(1);
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    bool all_digits = !digits.empty();
    int64_t e = 0;
    for (char c : digits) {
      if (!IsDigit(c)) {
        all_digits = false;
        break;
      }
      e = std::min(kExponentClamp, e * 10 + (c - '0'));
    }
    if (all_digits) {
      *info = {10, negative ? -e : e, Format::kDecimalExponent};
      return absl::OkStatus();
    }
  }
  return ParseError(text, absl::StrCat("unknown suffix \"", ::vkubelet::internal::ToAbsl(s),
                                       "\" (want n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exponent>)"));
}

std::string_view StripLeadingZeros(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && s[i] == '0') ++i;
  return s.substr(i);
}

// Accumulates up to 18 significant digits (leading zeros allowed).
int64_t AccumulateDigits(std::string_view a, std::string_view b) {
  int64_t v = 0;
  for (char c : a) v = v * 10 + (c - '0');
  for (char c : b) v = v * 10 + (c - '0');
  return v;
}

// The canonical decimal rendering of ±digits × 10^exponent where digits has
// no trailing zeros removed yet.
void AppendCanonicalDecimal(BigDecimal d, Format format, std::string* out) {
  d.StripTrailingZeros();
  int64_t target = FloorToMultipleOf3(d.exponent);
  d.magnitude.MulPow10(d.exponent - target);
  if (d.negative) out->push_back('-');
  d.magnitude.AppendTo(out);
  AppendSuffix(target, format, out);
}

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kDecimalSI: return "DecimalSI";
    case Format::kBinarySI: return "BinarySI";
    case Format::kDecimalExponent: return "DecimalExponent";
  }
  return "DecimalSI";
}

// --- Construction ----------------------------------------------------------------

Quantity Quantity::FromInt(int64_t value, Format format) { return Quantity(value, 0, format); }

Quantity Quantity::FromMilli(int64_t milli_value, Format format) { return Quantity(milli_value, kMilli, format); }

Quantity Quantity::FromScaled(int64_t value, int32_t scale, Format format) {
  assert(scale >= -kMaxDecimalExponent && scale <= kMaxDecimalExponent);
  scale = std::clamp<int32_t>(scale, -kMaxDecimalExponent, kMaxDecimalExponent);
  return Quantity(value, scale, format);
}

Quantity Quantity::FromBig(BigDecimal big, Format format) {
  int64_t mantissa;
  int32_t scale;
  if (big.ToSmall(&mantissa, &scale)) return Quantity(mantissa, scale, format);
  Quantity q(0, 0, format);
  q.big_ = std::make_shared<const BigDecimal>(std::move(big));
  return q;
}

BigDecimal Quantity::ToBig() const {
  if (big_ != nullptr) return *big_;
  return BigDecimal::FromInt64(value_, scale_);
}

absl::StatusOr<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return errdefs::InvalidInput("invalid quantity \"\": empty string");
  size_t pos = 0;
  const size_t n = text.size();
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++pos;
  }
  size_t begin = pos;
  while (pos < n && IsDigit(text[pos])) ++pos;
  std::string_view int_digits = text.substr(begin, pos - begin);
  std::string_view frac_digits;
  bool has_point = pos < n && text[pos] == '.';
  if (has_point) {
    begin = ++pos;
    while (pos < n && IsDigit(text[pos])) ++pos;
    frac_digits = text.substr(begin, pos - begin);
  }
  if (int_digits.empty() && frac_digits.empty()) {
    return ParseError(text, pos == n ? "no digits" : "expected digits before the suffix");
  }
  SuffixInfo suffix;
  if (absl::Status s = InterpretSuffix(text, pos, &suffix); !s.ok()) return s;

  // Significant digits: the number without leading zeros.
  std::string_view sig_int = StripLeadingZeros(int_digits);
  std::string_view sig_frac = sig_int.empty() ? StripLeadingZeros(frac_digits) : frac_digits;
  const int64_t sig_count = static_cast<int64_t>(sig_int.size() + sig_frac.size());
  if (sig_count == 0) {
    return Quantity(0, 0, suffix.format);
  }
  const int64_t frac_count = static_cast<int64_t>(frac_digits.size());

  // Fast paths: the common cases fit an int64 mantissa directly.
  if (sig_count <= kMaxPow10) {
    int64_t mantissa = AccumulateDigits(sig_int, sig_frac);
    if (suffix.base == 10) {
      int64_t scale = suffix.exponent - frac_count;
      if (scale >= kNano && scale + sig_count <= kMaxDecimalExponent) {
        return Quantity(negative ? -mantissa : mantissa, static_cast<int32_t>(scale), suffix.format);
      }
    } else if (frac_count == 0 && mantissa <= (kInt64Max >> suffix.exponent)) {
      int64_t v = mantissa << suffix.exponent;
      return Quantity(negative ? -v : v, 0, suffix.format);
    }
  }

  BigDecimal d;
  d.negative = negative;
  d.magnitude = internal::BigUint::FromDigits(absl::StrCat(::vkubelet::internal::ToAbsl(sig_int),
                                                           ::vkubelet::internal::ToAbsl(sig_frac)));
  if (suffix.base == 10) {
    d.exponent = suffix.exponent - frac_count;
    if (d.AdjustedExponent() > kMaxDecimalExponent) {
      return ParseError(text, absl::StrCat("out of range (the magnitude must be below 1e", kMaxDecimalExponent, ")"));
    }
  } else {
    d.exponent = -frac_count;
    d.magnitude.MulPow2(static_cast<int>(suffix.exponent));
  }
  // Keep nano precision; a finer non-zero amount rounds away from zero, so
  // asking for a tiny amount of a resource still asks for some.
  d.RoundUpToExponent(kNano);

  Format format = suffix.format;
  if (suffix.base == 2) {
    static const BigDecimal kBinaryMax = BigDecimal::FromInt64(kInt64Max, 0);
    static const BigDecimal kOne = BigDecimal::FromInt64(1, 0);
    BigDecimal magnitude = d;
    magnitude.negative = false;
    if (BigDecimal::Compare(magnitude, kBinaryMax) > 0) {
      d = negative ? kBinaryMax.Negated() : kBinaryMax;
    } else if (BigDecimal::Compare(magnitude, kOne) < 0) {
      // A fraction of one byte has no binary suffix; upstream switches format.
      format = Format::kDecimalSI;
    }
  }
  return FromBig(std::move(d), format);
}

absl::StatusOr<Quantity> Quantity::FromProto(const resourcepb::Quantity& proto) {
  if (!proto.has_string()) return Quantity();
  return Parse(proto.string());
}

resourcepb::Quantity Quantity::ToProto() const {
  resourcepb::Quantity proto;
  ToProto(&proto);
  return proto;
}

void Quantity::ToProto(resourcepb::Quantity* out) const { out->set_string(ToString()); }

Quantity Quantity::WithFormat(Format format) const {
  Quantity q = *this;
  q.format_ = format;
  return q;
}

// --- Output ------------------------------------------------------------------------

std::string Quantity::ToString() const {
  if (IsZero()) return "0";
  std::string out;
  Format format = format_;
  if (format == Format::kBinarySI) {
    static const Quantity k1024 = FromInt(1024);
    static const Quantity kMinus1024 = FromInt(-1024);
    if (Compare(kMinus1024) > 0 && Compare(k1024) < 0) {
      format = Format::kDecimalSI;
    } else if (big_ == nullptr && scale_ >= 0 && scale_ <= kMaxPow10) {
      int64_t v;
      if (MulPow10(value_, scale_, &v)) {
        int power = 0;
        while (power < kMaxBinaryPower && v % 1024 == 0) {
          v /= 1024;
          ++power;
        }
        absl::StrAppend(&out, v, kBinarySuffixes[power]);
        return out;
      }
    }
    if (format == Format::kBinarySI) {
      BigDecimal d = ToBig();
      if (!d.RoundUpToExponent(0)) {
        // Binary suffixes cannot show a fraction: print exactly in DecimalSI.
        format = Format::kDecimalSI;
      } else {
        d.magnitude.MulPow10(d.exponent);
        int power = 0;
        while (power < kMaxBinaryPower) {
          internal::BigUint m = d.magnitude;
          if (m.DivSmall(1024) != 0) break;
          d.magnitude = std::move(m);
          ++power;
        }
        if (d.negative) out.push_back('-');
        d.magnitude.AppendTo(&out);
        out += kBinarySuffixes[power];
        return out;
      }
    }
  }

  if (big_ == nullptr) {
    int64_t m = value_;
    int64_t e = scale_;
    while (m % 10 == 0) {
      m /= 10;
      ++e;
    }
    int64_t target = FloorToMultipleOf3(e);
    if (MulPow10(m, e - target, &m)) {
      absl::StrAppend(&out, m);
      AppendSuffix(target, format, &out);
      return out;
    }
  }
  AppendCanonicalDecimal(ToBig(), format, &out);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Quantity& q) { return os << q.ToString(); }

// --- Comparison and arithmetic --------------------------------------------------

bool Quantity::IsZero() const { return big_ == nullptr && value_ == 0; }

int Quantity::Sign() const {
  if (big_ != nullptr) return big_->Sign();
  return value_ == 0 ? 0 : (value_ < 0 ? -1 : 1);
}

int Quantity::Compare(const Quantity& other) const {
  if (big_ == nullptr && other.big_ == nullptr) {
    int sa = Sign();
    int sb = other.Sign();
    if (sa != sb) return sa < sb ? -1 : 1;
    if (sa == 0) return 0;
    int64_t a = value_;
    int64_t b = other.value_;
    // Bring the coarser-scaled value down to the finer scale.
    bool aligned = true;
    if (scale_ > other.scale_) {
      aligned = MulPow10(a, int64_t{scale_} - other.scale_, &a);
    } else if (other.scale_ > scale_) {
      aligned = MulPow10(b, int64_t{other.scale_} - scale_, &b);
    }
    if (aligned) return a < b ? -1 : (a > b ? 1 : 0);
  }
  return BigDecimal::Compare(ToBig(), other.ToBig());
}

Quantity Quantity::Add(const Quantity& other) const {
  if (IsZero()) return other;  // takes other's format, as upstream
  if (other.IsZero()) return *this;
  if (big_ == nullptr && other.big_ == nullptr) {
    int64_t a = value_;
    int64_t b = other.value_;
    int32_t scale = std::min(scale_, other.scale_);
    int64_t sum;
    if (MulPow10(a, int64_t{scale_} - scale, &a) && MulPow10(b, int64_t{other.scale_} - scale, &b) &&
        !__builtin_add_overflow(a, b, &sum)) {
      return Quantity(sum, sum == 0 ? 0 : scale, format_);
    }
  }
  return FromBig(BigDecimal::Add(ToBig(), other.ToBig()), format_);
}

Quantity Quantity::Sub(const Quantity& other) const {
  if (IsZero()) return other.Neg();  // takes other's format, as upstream
  Quantity result = Add(other.Neg());
  result.format_ = format_;
  return result;
}

Quantity Quantity::Neg() const {
  if (big_ == nullptr && value_ != kInt64Min) return Quantity(-value_, scale_, format_);
  return FromBig(ToBig().Negated(), format_);
}

// --- Conversions -----------------------------------------------------------------

int64_t Quantity::ScaledValue(int32_t scale) const {
  if (IsZero()) return 0;
  const int sign = Sign();
  const int64_t saturated = sign < 0 ? kInt64Min : kInt64Max;
  if (big_ == nullptr) {
    int64_t delta = int64_t{scale_} - scale;
    if (delta >= 0) {
      int64_t v;
      return MulPow10(value_, delta, &v) ? v : saturated;
    }
    // |value_| < 10^19, so dividing by 10^19 or more leaves only the rounding.
    if (-delta > kMaxPow10) return sign;
    int64_t divisor = kPow10[-delta];
    int64_t q = value_ / divisor;
    if (value_ % divisor != 0) q += sign;
    return q;
  }
  BigDecimal d = *big_;
  d.RoundUpToExponent(scale);
  if (d.AdjustedExponent() - scale > 19) return saturated;
  d.magnitude.MulPow10(d.exponent - scale);
  std::optional<uint64_t> mag = d.magnitude.ToUint64();
  const uint64_t limit = sign < 0 ? uint64_t{1} << 63 : static_cast<uint64_t>(kInt64Max);
  if (!mag.has_value() || *mag > limit) return saturated;
  return sign < 0 ? static_cast<int64_t>(0 - *mag) : static_cast<int64_t>(*mag);
}

std::optional<int64_t> Quantity::AsInt64() const {
  if (big_ == nullptr) {
    if (scale_ >= 0) {
      int64_t v;
      if (MulPow10(value_, scale_, &v)) return v;
      return std::nullopt;
    }
    if (-int64_t{scale_} > kMaxPow10) {
      return value_ == 0 ? std::optional<int64_t>(0) : std::nullopt;
    }
    if (value_ % kPow10[-scale_] != 0) return std::nullopt;
    return value_ / kPow10[-scale_];
  }
  BigDecimal d = *big_;
  if (!d.RoundUpToExponent(0)) return std::nullopt;  // has a fraction
  if (d.AdjustedExponent() > 19) return std::nullopt;
  d.magnitude.MulPow10(d.exponent);
  std::optional<uint64_t> mag = d.magnitude.ToUint64();
  const uint64_t limit = d.negative ? uint64_t{1} << 63 : static_cast<uint64_t>(kInt64Max);
  if (!mag.has_value() || *mag > limit) return std::nullopt;
  return d.negative ? static_cast<int64_t>(0 - *mag) : static_cast<int64_t>(*mag);
}

double Quantity::AsDouble() const {
  if (big_ == nullptr) {
    constexpr int64_t kExactLimit = int64_t{1} << 53;
    static constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (value_ > -kExactLimit && value_ < kExactLimit && scale_ >= -22 && scale_ <= 22) {
      // Both operands are exact doubles, so one IEEE operation rounds correctly.
      double v = static_cast<double>(value_);
      return scale_ >= 0 ? v * kExactPow10[scale_] : v / kExactPow10[-scale_];
    }
  }
  BigDecimal d = ToBig();
  std::string text;
  if (d.negative) text.push_back('-');
  d.magnitude.AppendTo(&text);
  absl::StrAppend(&text, "e", d.exponent);
  return std::strtod(text.c_str(), nullptr);
}

// --- ResourceList ------------------------------------------------------------------

absl::StatusOr<ResourceList> ResourceListFromProto(
    const google::protobuf::Map<std::string, resourcepb::Quantity>& proto) {
  ResourceList list;
  for (const auto& [name, value] : proto) {
    absl::StatusOr<Quantity> q = Quantity::FromProto(value);
    if (!q.ok()) {
      return errdefs::InvalidInput(absl::StrCat("resource \"", name, "\": ", q.status().message()));
    }
    list.emplace(name, *std::move(q));
  }
  return list;
}

void ResourceListToProto(const ResourceList& list, google::protobuf::Map<std::string, resourcepb::Quantity>* out) {
  out->clear();
  for (const auto& [name, q] : list) q.ToProto(&(*out)[name]);
}

}  // namespace vkubelet::resource

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "resource/decimal.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace vkubelet::resource::internal {
namespace {

constexpr uint32_t kPow10[] = {1,      10,      100,      1000,      10000,
                               100000, 1000000, 10000000, 100000000, 1000000000};

int DigitsOf(uint32_t v) {
  int n = 1;
  while (n < 10 && v >= kPow10[n]) ++n;
  return n;
}

}  // namespace

BigUint BigUint::FromUint64(uint64_t v) {
  BigUint r;
  while (v != 0) {
    r.limbs_.push_back(static_cast<uint32_t>(v % kBase));
    v /= kBase;
  }
  return r;
}

BigUint BigUint::FromDigits(std::string_view digits) {
  BigUint r;
  r.limbs_.reserve(digits.size() / kBaseDigits + 1);
  // Digits group into limbs from the least significant end.
  int64_t end = static_cast<int64_t>(digits.size());
  while (end > 0) {
    int64_t begin = std::max<int64_t>(0, end - kBaseDigits);
    uint32_t limb = 0;
    for (int64_t i = begin; i < end; ++i) limb = limb * 10 + static_cast<uint32_t>(digits[i] - '0');
    r.limbs_.push_back(limb);
    end = begin;
  }
  r.Trim();
  return r;
}

void BigUint::Trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

int64_t BigUint::NumDigits() const {
  if (limbs_.empty()) return 0;
  return static_cast<int64_t>(limbs_.size() - 1) * kBaseDigits + DigitsOf(limbs_.back());
}

int64_t BigUint::TrailingZeros() const {
  if (limbs_.empty()) return 0;
  int64_t n = 0;
  size_t i = 0;
  while (limbs_[i] == 0) {
    n += kBaseDigits;
    ++i;
  }
  uint32_t limb = limbs_[i];
  while (limb % 10 == 0) {
    ++n;
    limb /= 10;
  }
  return n;
}

void BigUint::MulSmall(uint32_t m) {
  if (m == 0) {
    limbs_.clear();
    return;
  }
  uint64_t carry = 0;
  for (uint32_t& limb : limbs_) {
    uint64_t cur = static_cast<uint64_t>(limb) * m + carry;
    limb = static_cast<uint32_t>(cur % kBase);
    carry = cur / kBase;
  }
  while (carry != 0) {
    limbs_.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
}

void BigUint::AddSmall(uint32_t a) {
  uint64_t carry = a;
  for (size_t i = 0; carry != 0; ++i) {
    if (i == limbs_.size()) limbs_.push_back(0);
    uint64_t cur = limbs_[i] + carry;
    limbs_[i] = static_cast<uint32_t>(cur % kBase);
    carry = cur / kBase;
  }
}

uint32_t BigUint::DivSmall(uint32_t d) {
  assert(d >= 1 && d <= kBase);
  uint64_t rem = 0;
  for (size_t i = limbs_.size(); i-- > 0;) {
    uint64_t cur = rem * kBase + limbs_[i];
    limbs_[i] = static_cast<uint32_t>(cur / d);
    rem = cur % d;
  }
  Trim();
  return static_cast<uint32_t>(rem);
}

void BigUint::MulPow2(int k) {
  while (k > 0) {
    int step = std::min(k, 30);
    MulSmall(uint32_t{1} << step);
    k -= step;
  }
}

void BigUint::MulPow10(int64_t k) {
  assert(k >= 0);
  if (limbs_.empty() || k == 0) return;
  int64_t whole = k / kBaseDigits;
  limbs_.insert(limbs_.begin(), static_cast<size_t>(whole), 0u);
  int part = static_cast<int>(k % kBaseDigits);
  if (part != 0) MulSmall(kPow10[part]);
}

bool BigUint::DivPow10(int64_t k) {
  assert(k >= 0);
  if (limbs_.empty() || k == 0) return false;
  if (k > NumDigits()) {
    limbs_.clear();
    return true;
  }
  bool inexact = false;
  int64_t whole = k / kBaseDigits;
  for (int64_t i = 0; i < whole; ++i) {
    if (limbs_[i] != 0) inexact = true;
  }
  limbs_.erase(limbs_.begin(), limbs_.begin() + whole);
  int part = static_cast<int>(k % kBaseDigits);
  if (part != 0 && DivSmall(kPow10[part]) != 0) inexact = true;
  Trim();
  return inexact;
}

std::optional<uint64_t> BigUint::ToUint64() const {
  if (limbs_.size() > 3) return std::nullopt;
  unsigned __int128 v = 0;
  for (size_t i = limbs_.size(); i-- > 0;) v = v * kBase + limbs_[i];
  if (v > std::numeric_limits<uint64_t>::max()) return std::nullopt;
  return static_cast<uint64_t>(v);
}

void BigUint::AppendTo(std::string* out) const {
  if (limbs_.empty()) {
    out->push_back('0');
    return;
  }
  char buf[16];
  size_t i = limbs_.size() - 1;
  int n = 0;
  uint32_t top = limbs_[i];
  do {
    buf[n++] = static_cast<char>('0' + top % 10);
    top /= 10;
  } while (top != 0);
  while (n > 0) out->push_back(buf[--n]);
  while (i-- > 0) {
    uint32_t limb = limbs_[i];
    for (int d = kBaseDigits - 1; d >= 0; --d) {
      buf[d] = static_cast<char>('0' + limb % 10);
      limb /= 10;
    }
    out->append(buf, kBaseDigits);
  }
}

std::string BigUint::ToString() const {
  std::string s;
  AppendTo(&s);
  return s;
}

int BigUint::Compare(const BigUint& a, const BigUint& b) {
  if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
  for (size_t i = a.limbs_.size(); i-- > 0;) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  }
  return 0;
}

BigUint BigUint::Add(const BigUint& a, const BigUint& b) {
  BigUint r;
  size_t n = std::max(a.limbs_.size(), b.limbs_.size());
  r.limbs_.resize(n);
  uint32_t carry = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t cur = carry;
    if (i < a.limbs_.size()) cur += a.limbs_[i];
    if (i < b.limbs_.size()) cur += b.limbs_[i];
    carry = cur >= kBase ? 1 : 0;
    r.limbs_[i] = cur - carry * kBase;
  }
  if (carry != 0) r.limbs_.push_back(carry);
  return r;
}

BigUint BigUint::Sub(const BigUint& a, const BigUint& b) {
  assert(Compare(a, b) >= 0);
  BigUint r = a;
  int64_t borrow = 0;
  for (size_t i = 0; i < r.limbs_.size(); ++i) {
    int64_t cur = static_cast<int64_t>(r.limbs_[i]) - borrow - (i < b.limbs_.size() ? b.limbs_[i] : 0);
    borrow = cur < 0 ? 1 : 0;
    r.limbs_[i] = static_cast<uint32_t>(cur + borrow * kBase);
  }
  r.Trim();
  return r;
}

BigDecimal BigDecimal::FromInt64(int64_t value, int64_t exponent) {
  BigDecimal d;
  d.negative = value < 0;
  // Two's complement negation in uint64 also covers INT64_MIN.
  uint64_t mag = d.negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  d.magnitude = BigUint::FromUint64(mag);
  d.exponent = exponent;
  return d;
}

int64_t BigDecimal::AdjustedExponent() const {
  if (IsZero()) return std::numeric_limits<int64_t>::min();
  return magnitude.NumDigits() + exponent;
}

void BigDecimal::StripTrailingZeros() {
  int64_t tz = magnitude.TrailingZeros();
  if (tz > 0) {
    magnitude.DivPow10(tz);
    exponent += tz;
  }
}

bool BigDecimal::RoundUpToExponent(int64_t target) {
  if (exponent >= target) return true;
  if (IsZero()) {
    exponent = target;
    return true;
  }
  bool inexact = magnitude.DivPow10(target - exponent);
  if (inexact) magnitude.AddSmall(1);
  exponent = target;
  return !inexact;
}

bool BigDecimal::ToSmall(int64_t* mantissa, int32_t* scale) const {
  if (IsZero()) {
    *mantissa = 0;
    *scale = 0;
    return true;
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  int64_t exp = exponent;
  std::optional<uint64_t> mag = magnitude.ToUint64();
  if (!mag.has_value() || *mag > limit) {
    BigDecimal stripped = *this;
    stripped.StripTrailingZeros();
    mag = stripped.magnitude.ToUint64();
    if (!mag.has_value() || *mag > limit) return false;
    exp = stripped.exponent;
  }
  if (exp < std::numeric_limits<int32_t>::min() || exp > std::numeric_limits<int32_t>::max()) return false;
  *mantissa = negative ? static_cast<int64_t>(0 - *mag) : static_cast<int64_t>(*mag);
  *scale = static_cast<int32_t>(exp);
  return true;
}

BigDecimal BigDecimal::Negated() const {
  BigDecimal r = *this;
  if (!r.IsZero()) r.negative = !r.negative;
  return r;
}

namespace {

// Compares magnitudes |a| and |b| of non-zero values.
int CompareMagnitude(const BigDecimal& a, const BigDecimal& b) {
  int64_t ea = a.AdjustedExponent();
  int64_t eb = b.AdjustedExponent();
  if (ea != eb) return ea < eb ? -1 : 1;
  // Same leading position: the exponent gap is at most the digit-count gap,
  // so aligning costs no more than the operands' own size.
  if (a.exponent == b.exponent) return BigUint::Compare(a.magnitude, b.magnitude);
  if (a.exponent > b.exponent) {
    BigUint m = a.magnitude;
    m.MulPow10(a.exponent - b.exponent);
    return BigUint::Compare(m, b.magnitude);
  }
  BigUint m = b.magnitude;
  m.MulPow10(b.exponent - a.exponent);
  return BigUint::Compare(a.magnitude, m);
}

}  // namespace

int BigDecimal::Compare(const BigDecimal& a, const BigDecimal& b) {
  int sa = a.Sign();
  int sb = b.Sign();
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int c = CompareMagnitude(a, b);
  return sa > 0 ? c : -c;
}

BigDecimal BigDecimal::Add(const BigDecimal& a, const BigDecimal& b) {
  if (b.IsZero()) return a;
  if (a.IsZero()) return b;
  BigUint ma = a.magnitude;
  BigUint mb = b.magnitude;
  int64_t exp = std::min(a.exponent, b.exponent);
  ma.MulPow10(a.exponent - exp);
  mb.MulPow10(b.exponent - exp);
  BigDecimal r;
  r.exponent = exp;
  if (a.negative == b.negative) {
    r.magnitude = BigUint::Add(ma, mb);
    r.negative = a.negative;
    return r;
  }
  int c = BigUint::Compare(ma, mb);
  if (c == 0) {
    r.exponent = 0;
    return r;
  }
  if (c > 0) {
    r.magnitude = BigUint::Sub(ma, mb);
    r.negative = a.negative;
  } else {
    r.magnitude = BigUint::Sub(mb, ma);
    r.negative = b.negative;
  }
  return r;
}

}  // namespace vkubelet::resource::internal

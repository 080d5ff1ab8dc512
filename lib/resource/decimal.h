// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Arbitrary-precision decimal numbers for resource::Quantity values that do
// not fit an int64 mantissa. Internal: only lib/resource and its tests use it.
//
// A BigDecimal is sign × magnitude × 10^exponent with an unnormalised
// exponent, so a value like 1e900 stays one limb until it is added to a value
// of a very different scale.

#ifndef VKUBELET_LIB_RESOURCE_DECIMAL_H_
#define VKUBELET_LIB_RESOURCE_DECIMAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace vkubelet::resource::internal {

// A non-negative integer stored as little-endian base-10^9 limbs, so that
// decimal digits map directly to limbs and powers of ten are cheap.
class BigUint {
 public:
  static constexpr uint32_t kBase = 1000000000;
  static constexpr int kBaseDigits = 9;

  BigUint() = default;
  static BigUint FromUint64(uint64_t v);
  // `digits` must be ASCII decimal digits only (may be empty: zero).
  static BigUint FromDigits(std::string_view digits);

  bool IsZero() const { return limbs_.empty(); }
  // Number of decimal digits; 0 for zero.
  int64_t NumDigits() const;
  // Number of trailing decimal zeros; 0 for zero.
  int64_t TrailingZeros() const;

  void MulSmall(uint32_t m);
  void AddSmall(uint32_t a);
  // Divides in place by d (1 <= d <= kBase) and returns the remainder.
  uint32_t DivSmall(uint32_t d);
  // Multiplies by 2^k.
  void MulPow2(int k);
  // Multiplies by 10^k, k >= 0.
  void MulPow10(int64_t k);
  // Divides by 10^k (k >= 0), truncating; returns true when a non-zero
  // remainder was dropped.
  bool DivPow10(int64_t k);

  std::optional<uint64_t> ToUint64() const;
  std::string ToString() const;
  void AppendTo(std::string* out) const;

  // -1, 0, 1.
  static int Compare(const BigUint& a, const BigUint& b);
  static BigUint Add(const BigUint& a, const BigUint& b);
  // Requires a >= b.
  static BigUint Sub(const BigUint& a, const BigUint& b);

 private:
  void Trim();
  // Most significant limb last; no zero limbs at the back.
  absl::InlinedVector<uint32_t, 4> limbs_;
};

struct BigDecimal {
  bool negative = false;  // never true for zero
  BigUint magnitude;
  int64_t exponent = 0;

  static BigDecimal FromInt64(int64_t value, int64_t exponent);

  bool IsZero() const { return magnitude.IsZero(); }
  int Sign() const { return IsZero() ? 0 : (negative ? -1 : 1); }
  // Position of the most significant digit: value is in
  // [10^(AdjustedExponent()-1), 10^AdjustedExponent()). Zero gives INT64_MIN.
  int64_t AdjustedExponent() const;

  // Moves trailing zeros of the magnitude into the exponent.
  void StripTrailingZeros();
  // Rounds away from zero to a multiple of 10^exponent (no-op when already
  // that coarse). Returns true when the value was exact.
  bool RoundUpToExponent(int64_t exponent);

  // If the value is mantissa × 10^scale with an int64 mantissa and an int32
  // scale (after removing trailing zeros if needed), stores them and returns
  // true.
  bool ToSmall(int64_t* mantissa, int32_t* scale) const;

  BigDecimal Negated() const;
  static int Compare(const BigDecimal& a, const BigDecimal& b);
  static BigDecimal Add(const BigDecimal& a, const BigDecimal& b);
};

}  // namespace vkubelet::resource::internal

#endif  // VKUBELET_LIB_RESOURCE_DECIMAL_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// resource::Quantity: the fixed-point number Kubernetes uses for CPU, memory
// and every other resource amount ("100m", "1.5Gi", "2e3"), with the same
// parsing, exact arithmetic and canonical string form as the API server
// (k8s.io/apimachinery pkg/api/resource).
//
//   VK_ASSIGN_OR_RETURN(auto mem, resource::Quantity::Parse("1.5Gi"));
//   mem.ToString();                      // "1536Mi"
//   mem.Value();                         // 1610612736
//   auto cpu = resource::Quantity::FromMilli(250);   // "250m"
//   cpu + resource::Quantity::FromInt(1) == *resource::Quantity::Parse("1250m");
//
// Always compare quantities numerically, never as strings: "1000m" == "1".

#ifndef VKUBELET_RESOURCE_QUANTITY_H_
#define VKUBELET_RESOURCE_QUANTITY_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/map.h"
#include "k8s.io/apimachinery/pkg/api/resource/generated.pb.h"

namespace vkubelet {
namespace resourcepb = ::k8s::io::apimachinery::pkg::api::resource;
}  // namespace vkubelet

namespace vkubelet::resource {

namespace internal {
struct BigDecimal;
}  // namespace internal

// How a quantity is written out. A parsed quantity remembers the family of its
// suffix and is re-emitted in the same family, in canonical form.
enum class Format {
  kDecimalSI,        // 12M, 100m, 5 (suffixes n u m "" k M G T P E)
  kBinarySI,         // 12Mi (suffixes Ki Mi Gi Ti Pi Ei)
  kDecimalExponent,  // 12e6
};

// "DecimalSI", "BinarySI" or "DecimalExponent", as upstream names them.
std::string_view FormatName(Format format);

// Decimal scales for FromScaled/ScaledValue: value × 10^scale.
inline constexpr int32_t kNano = -9;
inline constexpr int32_t kMicro = -6;
inline constexpr int32_t kMilli = -3;
inline constexpr int32_t kKilo = 3;
inline constexpr int32_t kMega = 6;
inline constexpr int32_t kGiga = 9;
inline constexpr int32_t kTera = 12;
inline constexpr int32_t kPeta = 15;
inline constexpr int32_t kExa = 18;

// An exact decimal amount plus the Format it prints in.
//
// Values are exact: an int64 mantissa with a power-of-ten scale covers every
// everyday quantity, and anything larger or finer than that switches to an
// arbitrary-precision representation, so sums never overflow or round.
// Parsing keeps nano precision (finer non-zero amounts round away from zero:
// "0.1n" is 1n) and caps binary-suffix amounts at 2^63-1 ("9Ei"), as upstream.
//
// A Quantity is an immutable value: every operation returns a new one.
// Copying is cheap; distinct objects may be used from different threads.
class Quantity {
 public:
  // Parse rejects decimal amounts whose magnitude is 10^kMaxDecimalExponent or
  // more. No Kubernetes resource comes close, and the bound keeps the cost of
  // arithmetic on untrusted input small.
  static constexpr int kMaxDecimalExponent = 1000;

  // Zero, DecimalSI.
  Quantity() = default;

  // Parses `<signedNumber><suffix>`: an optional sign, digits with an optional
  // decimal point ("1", "1.5", ".5", "5."), then one of the suffixes
  // n u m k M G T P E | Ki Mi Gi Ti Pi Ei | e<int> E<int> | nothing.
  // No whitespace anywhere. Errors (errdefs::InvalidInput): empty input, no
  // digits ("Gi", "."), a second point ("1.2.3Gi"), unknown suffix ("1Gb",
  // "1K"), and decimal magnitudes of 10^kMaxDecimalExponent or more.
  // Upstream accepts a bare suffix or "." as zero; this parser does not.
  static absl::StatusOr<Quantity> Parse(std::string_view text);

  // value in `format`: FromInt(5, Format::kBinarySI).
  static Quantity FromInt(int64_t value, Format format = Format::kDecimalSI);
  // value / 1000: FromMilli(1500) prints "1500m".
  static Quantity FromMilli(int64_t milli_value, Format format = Format::kDecimalSI);
  // value × 10^scale, kept exact (no nano rounding). |scale| must not exceed
  // kMaxDecimalExponent; out-of-range scales are clamped.
  static Quantity FromScaled(int64_t value, int32_t scale, Format format = Format::kDecimalSI);

  // From the protobuf message (field `string`). An unset field is zero; a set
  // one must parse (so an empty string is an error, as upstream).
  static absl::StatusOr<Quantity> FromProto(const resourcepb::Quantity& proto);
  resourcepb::Quantity ToProto() const;
  void ToProto(resourcepb::Quantity* out) const;

  Format format() const { return format_; }
  // The same amount printed in another format.
  Quantity WithFormat(Format format) const;

  // Canonical form, exactly as the API server writes it: no fractional digits,
  // the largest suffix that loses nothing, "-" only for negatives, "0" for
  // zero. 1.5 → "1500m", 1.5Gi → "1536Mi", 0.5Ki → "512", "1000m" → "1",
  // "0.1m" → "100u", 1e21 (DecimalSI) → "1e21". BinarySI amounts below 1024 or
  // with a fraction print as DecimalSI.
  std::string ToString() const;

  bool IsZero() const;
  // -1, 0 or 1.
  int Sign() const;
  // -1, 0 or 1 by numeric value; formats are ignored.
  int Compare(const Quantity& other) const;

  // Exact. The result keeps this quantity's format, or takes `other`'s when
  // this one is zero (as upstream).
  Quantity Add(const Quantity& other) const;
  Quantity Sub(const Quantity& other) const;
  Quantity Neg() const;

  // ceil(|q|) with q's sign (rounded away from zero), as an int64. Values
  // outside the int64 range saturate to INT64_MIN/INT64_MAX (upstream leaves
  // them undefined); check with Compare or AsInt64 first if that matters.
  int64_t Value() const { return ScaledValue(0); }
  // Value() of q × 1000, e.g. CPU in millicores. Saturates likewise.
  int64_t MilliValue() const { return ScaledValue(kMilli); }
  // q / 10^scale rounded away from zero: FromInt(1).ScaledValue(kMilli) == 1000.
  int64_t ScaledValue(int32_t scale) const;
  // The value when it is an integer that fits an int64; nullopt otherwise.
  std::optional<int64_t> AsInt64() const;
  // The nearest double (correctly rounded); ±inf beyond the double range.
  double AsDouble() const;

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.Compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    int c = a.Compare(b);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
  }
  friend Quantity operator+(const Quantity& a, const Quantity& b) { return a.Add(b); }
  friend Quantity operator-(const Quantity& a, const Quantity& b) { return a.Sub(b); }
  Quantity operator-() const { return Neg(); }
  Quantity& operator+=(const Quantity& other) { return *this = Add(other); }
  Quantity& operator-=(const Quantity& other) { return *this = Sub(other); }

 private:
  Quantity(int64_t value, int32_t scale, Format format) : value_(value), scale_(scale), format_(format) {}
  static Quantity FromBig(internal::BigDecimal big, Format format);
  internal::BigDecimal ToBig() const;

  // The value is value_ × 10^scale_ unless big_ is set.
  int64_t value_ = 0;
  int32_t scale_ = 0;
  Format format_ = Format::kDecimalSI;
  std::shared_ptr<const internal::BigDecimal> big_;
};

// Prints ToString().
std::ostream& operator<<(std::ostream& os, const Quantity& q);

// Resource name ("cpu", "memory", "nvidia.com/gpu", ...) → amount, the C++
// side of the ResourceList maps in PodSpec (requests/limits), NodeStatus
// (capacity/allocatable) and friends.
using ResourceList = std::map<std::string, Quantity, std::less<>>;

// Parses every entry; the error names the offending key.
absl::StatusOr<ResourceList> ResourceListFromProto(
    const google::protobuf::Map<std::string, resourcepb::Quantity>& proto);
// Replaces the contents of `out` with `list` in canonical form.
void ResourceListToProto(const ResourceList& list, google::protobuf::Map<std::string, resourcepb::Quantity>* out);

}  // namespace vkubelet::resource

#endif  // VKUBELET_RESOURCE_QUANTITY_H_

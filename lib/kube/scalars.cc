// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Scalar formats of the Kubernetes JSON mapping: RFC 3339 times, Go duration
// strings and base64.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vkubelet/internal/status_macros.h"
#include "kube/json_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/resource/quantity.h"

namespace vkubelet::kube {
namespace {

using ::vkubelet::internal::ToAbsl;

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  out += "\"";
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
bool ReadDigits(std::string_view s, size_t& pos, int n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string FormatRfc3339Time(absl::Time t) {
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%SZ", absl::FromUnixSeconds(absl::ToUnixSeconds(t)),
                          absl::UTCTimeZone());
}

std::string FormatRfc3339MicroTime(absl::Time t) {
  // Truncate towards the past, like Go's Time.Truncate on positive times.
  int64_t micros = absl::ToUnixMicros(t);
  absl::Time truncated = absl::FromUnixMicros(micros);
  return absl::FormatTime("%E4Y-%m-%d%ET%H:%M:%E6SZ", truncated, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseRfc3339Time(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid time ", ToAbsl(Quote(text)), " (want RFC 3339 like \"2024-05-01T12:00:00Z\"): ",
                     ToAbsl(why)));
  };
  size_t pos = 0;
  int64_t year, month, day, hour, minute, second;
  if (!ReadDigits(text, pos, 4, &year) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, &month) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, &day)) {
    return bad("malformed date");
  }
  if (!Expect(text, pos, 'T') || !ReadDigits(text, pos, 2, &hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, &minute) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, &second)) {
    return bad("malformed time of day");
  }
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!ReadDigits(text, pos, 2, &oh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, &om) || oh > 23 ||
        om > 59) {
      return bad("malformed zone offset");
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad("missing zone (Z or +hh:mm)");
  }
  if (pos != text.size()) return bad("trailing characters");
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return bad("field out of range");
  absl::CivilSecond civil(year, static_cast<int>(month), static_cast<int>(day), static_cast<int>(hour),
                          static_cast<int>(minute), static_cast<int>(second));
  if (civil.day() != day || civil.month() != month) return bad("day out of range");
  absl::Time t = absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Seconds(offset_seconds) +
                 absl::Nanoseconds(nanos);
  // Go cannot write years outside 0000-9999 in JSON; an offset must not push
  // the UTC time there either.
  int64_t utc_year = absl::ToCivilYear(t, absl::UTCTimeZone()).year();
  if (utc_year < 0 || utc_year > 9999) return bad("year outside 0000-9999 in UTC");
  return t;
}

// ---------------------------------------------------------------------------
// Go durations

namespace {

// Writes v / 10^prec with trailing fraction zeros removed (Go's fmtFrac +
// fmtInt): "1.5", "300", "0.001".
void AppendFrac(std::string& out, uint64_t v, int prec) {
  uint64_t pow = 1;
  for (int i = 0; i < prec; ++i) pow *= 10;
  uint64_t whole = v / pow;
  uint64_t frac = v % pow;
  absl::StrAppend(&out, whole);
  if (frac != 0) {
    std::string digits = absl::StrFormat("%0*d", prec, frac);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
}

}  // namespace

std::string FormatGoDuration(absl::Duration d) {
  int64_t ns;
  if (d >= absl::Nanoseconds(INT64_MAX)) {
    ns = INT64_MAX;
  } else if (d <= absl::Nanoseconds(INT64_MIN)) {
    ns = INT64_MIN;
  } else {
    ns = absl::ToInt64Nanoseconds(d);
  }
  if (ns == 0) return "0s";
  bool neg = ns < 0;
  uint64_t u = neg ? (~static_cast<uint64_t>(ns) + 1) : static_cast<uint64_t>(ns);
  std::string out;
  if (neg) out += '-';
  if (u < 1000000000ULL) {
    if (u < 1000ULL) {
      absl::StrAppend(&out, u, "ns");
    } else if (u < 1000000ULL) {
      AppendFrac(out, u, 3);
      out += "\xC2\xB5s";  // µs, U+00B5 as Go writes it
    } else {
      AppendFrac(out, u, 6);
      out += "ms";
    }
    return out;
  }
  uint64_t secs = u / 1000000000ULL;
  uint64_t frac = u % 1000000000ULL;
  uint64_t hours = secs / 3600;
  uint64_t minutes = (secs / 60) % 60;
  uint64_t seconds = secs % 60;
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (hours > 0 || minutes > 0) absl::StrAppend(&out, minutes, "m");
  AppendFrac(out, seconds * 1000000000ULL + frac, 9);
  out += 's';
  return out;
}

absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid duration ", ToAbsl(Quote(text)), " (want Go syntax like \"1m30s\"): ", ToAbsl(why)));
  };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return bad("empty");
  // Accumulate in nanoseconds as unsigned; the limit is 2^63 for a negative
  // value and 2^63-1 otherwise.
  const uint64_t limit = neg ? (1ULL << 63) : static_cast<uint64_t>(INT64_MAX);
  uint64_t total = 0;
  while (!s.empty()) {
    uint64_t whole = 0;
    bool whole_overflow = false;
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (whole > (UINT64_MAX - 9) / 10) whole_overflow = true;
      whole = whole * 10 + (s[i] - '0');
      ++i;
    }
    bool had_whole = i > 0;
    uint64_t frac = 0;
    uint64_t frac_scale = 1;
    bool had_frac = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && IsDigit(s[i])) {
        had_frac = true;
        if (frac_scale < 1000000000000000000ULL) {  // ignore digits beyond 18
          frac = frac * 10 + (s[i] - '0');
          frac_scale *= 10;
        }
        ++i;
      }
    }
    if (!had_whole && !had_frac) return bad("expected a number");
    if (whole_overflow) return bad("overflow");
    size_t unit_start = i;
    while (i < s.size() && !IsDigit(s[i]) && s[i] != '.') ++i;
    std::string_view unit = s.substr(unit_start, i - unit_start);
    uint64_t scale;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1000000;
    } else if (unit == "s") {
      scale = 1000000000ULL;
    } else if (unit == "m") {
      scale = 60ULL * 1000000000ULL;
    } else if (unit == "h") {
      scale = 3600ULL * 1000000000ULL;
    } else if (unit.empty()) {
      return bad("missing unit");
    } else {
      return bad(absl::StrCat("unknown unit ", ToAbsl(Quote(unit))));
    }
    if (whole > limit / scale) return bad("overflow");
    uint64_t v = whole * scale;
    if (frac > 0) {
      // frac / frac_scale * scale without overflow: frac < frac_scale <= 1e18
      // and scale <= 3.6e12, so use long double for the product.
      long double f = static_cast<long double>(frac) * static_cast<long double>(scale) /
                      static_cast<long double>(frac_scale);
      v += static_cast<uint64_t>(f);
    }
    if (v > limit || total > limit - v) return bad("overflow");
    total += v;
    s.remove_prefix(i);
  }
  if (neg) {
    if (total == (1ULL << 63)) return absl::Nanoseconds(INT64_MIN);
    return absl::Nanoseconds(-static_cast<int64_t>(total));
  }
  return absl::Nanoseconds(static_cast<int64_t>(total));
}

// ---------------------------------------------------------------------------
// base64

namespace {
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += kBase64Alphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t v = p[i] << 16;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

absl::StatusOr<std::string> Base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int n = 0;        // sextets in the current quantum
  int padding = 0;  // '=' seen
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (n < 2) {
        return absl::InvalidArgumentError(absl::StrCat("invalid base64: misplaced '=' at offset ", i));
      }
      ++padding;
      ++n;
      if (n == 4) {
        // The quantum is complete: nothing but line breaks may follow.
        for (size_t j = i + 1; j < text.size(); ++j) {
          if (text[j] != '\r' && text[j] != '\n') {
            return absl::InvalidArgumentError(absl::StrCat("invalid base64: data after padding at offset ", j));
          }
        }
        acc <<= 6 * padding;
        out += static_cast<char>((acc >> 16) & 0xff);
        if (padding == 1) out += static_cast<char>((acc >> 8) & 0xff);
        return out;
      }
      continue;
    }
    if (padding > 0) {
      return absl::InvalidArgumentError(absl::StrCat("invalid base64: data after padding at offset ", i));
    }
    int v = Base64Value(c);
    if (v < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("invalid base64: illegal byte 0x%02x at offset %d", static_cast<int>(c), i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++n == 4) {
      out += static_cast<char>((acc >> 16) & 0xff);
      out += static_cast<char>((acc >> 8) & 0xff);
      out += static_cast<char>(acc & 0xff);
      acc = 0;
      n = 0;
    }
  }
  if (n != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid base64: input ends inside a 4-character group (", n, " left over; missing padding?)"));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Quantity syntax

namespace internal {

// The API server's own grammar and limits (resource::Quantity::Parse). The
// text is kept as given: canonicalising is the server's job on write.
absl::Status ValidateQuantity(std::string_view text) {
  auto q = resource::Quantity::Parse(text);
  if (q.ok()) return absl::OkStatus();
  constexpr size_t kMax = 64;
  std::string shown(text.substr(0, kMax));
  if (text.size() > kMax) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat("invalid quantity \"", shown, "\" (want e.g. \"100m\", \"1.5Gi\", \"2e3\"): ",
                                                 q.status().message()));
}

}  // namespace internal

}  // namespace vkubelet::kube

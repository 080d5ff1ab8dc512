// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "stats/json_format.h"

#include <charconv>
#include <cmath>

#include "absl/time/civil_time.h"

namespace vkubelet::stats::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string* out, uint32_t cp) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xF]);
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n;
  uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return n;
}

void Append2(std::string* out, int v) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void JsonOut::AppendString(std::string_view s) {
  out_->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out_->append("\\\"");
          break;
        case '\\':
          out_->append("\\\\");
          break;
        case '\n':
          out_->append("\\n");
          break;
        case '\r':
          out_->append("\\r");
          break;
        case '\t':
          out_->append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          AppendUnicodeEscape(out_, c);
          break;
        default:
          if (c < 0x20) {
            AppendUnicodeEscape(out_, c);
          } else {
            out_->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = Utf8SequenceLength(s, i, &cp);
    if (n == 0) {
      out_->append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      AppendUnicodeEscape(out_, cp);
    } else {
      out_->append(s.substr(i, n));
    }
    i += n;
  }
  out_->push_back('"');
}

void JsonOut::Uint(uint64_t v) {
  Comma();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  need_comma_ = true;
}

void JsonOut::Int(int64_t v) {
  Comma();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  need_comma_ = true;
}

void JsonOut::Double(double v) {
  Comma();
  AppendGoJsonFloat(out_, v);
  need_comma_ = true;
}

void JsonOut::Time(absl::Time t) {
  Comma();
  if (IsZeroTime(t)) {
    out_->append("null");
  } else {
    out_->push_back('"');
    AppendRfc3339Seconds(out_, t);
    out_->push_back('"');
  }
  need_comma_ = true;
}

bool IsZeroTime(absl::Time t) { return t == absl::Time() || t == absl::InfinitePast(); }

void AppendRfc3339Seconds(std::string* out, absl::Time t) {
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  int64_t year = cs.year();
  if (year < 0 || year > 9999) {
    // Go refuses such times; write something parseable rather than garbage.
    year = year < 0 ? 0 : 9999;
  }
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof(buf), year);
  for (size_t pad = static_cast<size_t>(r.ptr - buf); pad < 4; ++pad) out->push_back('0');
  out->append(buf, static_cast<size_t>(r.ptr - buf));
  out->push_back('-');
  Append2(out, cs.month());
  out->push_back('-');
  Append2(out, cs.day());
  out->push_back('T');
  Append2(out, cs.hour());
  out->push_back(':');
  Append2(out, cs.minute());
  out->push_back(':');
  Append2(out, cs.second());
  out->push_back('Z');
}

void AppendGoJsonFloat(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  double a = std::fabs(v);
  char buf[64];
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    // Go writes e-07 as e-7.
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
      out->append(s.substr(0, n - 2));
      out->push_back(s[n - 1]);
    } else {
      out->append(s);
    }
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace vkubelet::stats::internal

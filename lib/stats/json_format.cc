// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "stats/json_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/time/civil_time.h"

namespace vkubelet::stats::internal {
namespace {

constexpr char kHex[] = "0123456789abcdef";

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

// Bytes that cannot be copied as they are: control characters, '"', '\\',
// the HTML characters Go escapes, and everything non-ASCII (validated and
// checked for U+2028/U+2029 separately).
constexpr auto kSpecial = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  t['"'] = t['\\'] = t['<'] = t['>'] = t['&'] = true;
  return t;
}();

// The first 10 characters of "2006-01-02T15:04:05Z" for days since the Unix
// epoch (proleptic Gregorian; H. Hinnant's civil_from_days).
void FormatDate(char* p, int64_t days) {
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  p[0] = static_cast<char>('0' + y / 1000);
  p[1] = static_cast<char>('0' + y / 100 % 10);
  p[2] = static_cast<char>('0' + y / 10 % 10);
  p[3] = static_cast<char>('0' + y % 10);
  p[4] = '-';
  p[5] = static_cast<char>('0' + m / 10);
  p[6] = static_cast<char>('0' + m % 10);
  p[7] = '-';
  p[8] = static_cast<char>('0' + d / 10);
  p[9] = static_cast<char>('0' + d % 10);
}

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr int64_t kMinFastSecond = -62167219200;
constexpr int64_t kMaxFastSecond = 253402300799;

}  // namespace

void JsonOut::Grow(size_t n) {
  size_t want = len_ + n;
  size_t size = std::max<size_t>(out_->size() * 2, 4096);
  while (size < want) size *= 2;
  out_->resize(size);
}

void JsonOut::Flush(bool more) {
  if (!sink_) return;
  out_->resize(len_);
  if (ok_ && !out_->empty()) ok_ = sink_(*out_);
  len_ = 0;
  out_->clear();
  // The sink may have taken the buffer: get the room for the next piece in
  // one step rather than by doubling from nothing.
  if (more) out_->resize(std::max(out_->capacity(), flush_bytes_ + (16 << 10)));
}

void JsonOut::Finish() {
  if (sink_) {
    Flush(false);
  } else {
    out_->resize(len_);
  }
}

void JsonOut::AppendString(std::string_view s) {
  // Worst case 6 bytes per input byte ("\u003c"), plus the quotes.
  char* p = Reserve(s.size() * 6 + 2);
  *p++ = '"';
  const unsigned char* in = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  auto escape = [&p](uint32_t cp) {
    p[0] = '\\';
    p[1] = 'u';
    p[2] = kHex[(cp >> 12) & 0xF];
    p[3] = kHex[(cp >> 8) & 0xF];
    p[4] = kHex[(cp >> 4) & 0xF];
    p[5] = kHex[cp & 0xF];
    p += 6;
  };
  while (i < n) {
    size_t run = i;
    while (run < n && !kSpecial[in[run]]) ++run;
    if (run > i) {
      std::memcpy(p, in + i, run - i);
      p += run - i;
      i = run;
      if (i == n) break;
    }
    unsigned char c = in[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          *p++ = '\\';
          *p++ = '"';
          break;
        case '\\':
          *p++ = '\\';
          *p++ = '\\';
          break;
        case '\n':
          *p++ = '\\';
          *p++ = 'n';
          break;
        case '\r':
          *p++ = '\\';
          *p++ = 'r';
          break;
        case '\t':
          *p++ = '\\';
          *p++ = 't';
          break;
        default:  // other control characters and < > &
          escape(c);
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = Utf8SequenceLength(s, i, &cp);
    if (len == 0) {
      escape(0xFFFD);
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      escape(cp);
    } else {
      std::memcpy(p, in + i, len);
      p += len;
    }
    i += len;
  }
  *p++ = '"';
  len_ = static_cast<size_t>(p - out_->data());
}

void JsonOut::Uint(uint64_t v) {
  Comma();
  char* p = Reserve(24);
  auto r = std::to_chars(p, p + 24, v);
  len_ = static_cast<size_t>(r.ptr - out_->data());
  need_comma_ = true;
}

void JsonOut::Int(int64_t v) {
  Comma();
  char* p = Reserve(24);
  auto r = std::to_chars(p, p + 24, v);
  len_ = static_cast<size_t>(r.ptr - out_->data());
  need_comma_ = true;
}

void JsonOut::Double(double v) {
  Comma();
  std::string tmp;
  AppendGoJsonFloat(&tmp, v);
  Append(tmp);
  need_comma_ = true;
}

void JsonOut::Time(absl::Time t) {
  Comma();
  need_comma_ = true;
  if (IsZeroTime(t)) {
    Append("null");
    return;
  }
  int64_t sec = absl::ToUnixSeconds(t);  // rounds down, like ToCivilSecond
  if (sec < kMinFastSecond || sec > kMaxFastSecond) {
    std::string tmp = "\"";
    AppendRfc3339Seconds(&tmp, t);
    tmp.push_back('"');
    Append(tmp);
    return;
  }
  if (sec != cached_second_) {
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t sod = sec - days * 86400;
    char* p = cached_time_;
    p[0] = '"';
    FormatDate(p + 1, days);
    p[11] = 'T';
    p[12] = static_cast<char>('0' + sod / 36000);
    p[13] = static_cast<char>('0' + sod / 3600 % 10);
    p[14] = ':';
    p[15] = static_cast<char>('0' + sod % 3600 / 600);
    p[16] = static_cast<char>('0' + sod % 3600 / 60 % 10);
    p[17] = ':';
    p[18] = static_cast<char>('0' + sod % 60 / 10);
    p[19] = static_cast<char>('0' + sod % 10);
    p[20] = 'Z';
    p[21] = '"';
    cached_second_ = sec;
  }
  Append(std::string_view(cached_time_, 22));
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

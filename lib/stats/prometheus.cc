// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/stats/prometheus.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "stats/prometheus_text.h"

namespace vkubelet::stats {
namespace {

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) { return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9'); }

void AppendName(std::string* out, std::string_view name, bool colon_ok) {
  if (name.empty()) {
    out->push_back('_');
    return;
  }
  // Names are nearly always valid: check, then copy at once.
  size_t i = IsNameStart(name[0], colon_ok) ? 1 : 0;
  if (i == 1) {
    while (i < name.size() && IsNameChar(name[i], colon_ok)) ++i;
    if (i == name.size()) {
      out->append(name);
      return;
    }
  }
  out->append(name.substr(0, i));
  for (; i < name.size(); ++i) {
    char c = name[i];
    bool ok = i == 0 ? IsNameStart(c, colon_ok) : IsNameChar(c, colon_ok);
    out->push_back(ok ? c : '_');
  }
}

void AppendEscapedLabelValue(std::string* out, std::string_view v) {
  size_t start = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char* esc;
    switch (v[i]) {
      case '\\':
        esc = "\\\\";
        break;
      case '"':
        esc = "\\\"";
        break;
      case '\n':
        esc = "\\n";
        break;
      default:
        continue;
    }
    out->append(v.substr(start, i - start));
    out->append(esc, 2);
    start = i + 1;
  }
  out->append(v.substr(start));
}

// Writes v the way Go's strconv.FormatFloat(v, 'g', -1, 64) does; returns the
// length. `buf` holds at least 64 bytes.
size_t FormatValue(char* buf, double v) {
  auto put = [buf](std::string_view s) {
    std::memcpy(buf, s.data(), s.size());
    return s.size();
  };
  if (v == 0) return put("0");
  if (std::isnan(v)) return put("NaN");
  if (std::isinf(v)) return put(v > 0 ? "+Inf" : "-Inf");
  // Integers below 1e6 (byte counts of small things, counts) print as such.
  if (v > -1e6 && v < 1e6 && v == static_cast<double>(static_cast<int64_t>(v))) {
    auto r = std::to_chars(buf, buf + 64, static_cast<int64_t>(v));
    return static_cast<size_t>(r.ptr - buf);
  }
  // The shortest digits that round-trip, in scientific form, tell the decimal
  // exponent Go's 'g' verb decides on (it uses %e from exponent 6 on, or
  // below -4, when printing the shortest representation).
  char sci[64];
  auto r = std::to_chars(sci, sci + sizeof(sci), v, std::chars_format::scientific);
  std::string_view s(sci, static_cast<size_t>(r.ptr - sci));
  size_t e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  if (exp < -4 || exp >= 6) return put(s);  // "1.2345e+07": C and Go agree on the two-digit exponent
  // The same shortest digits with the point moved: "d.ddd" → fixed.
  char* p = buf;
  std::string_view mant = s.substr(0, e);
  if (mant[0] == '-') {
    *p++ = '-';
    mant.remove_prefix(1);
  }
  char digits[32];
  size_t nd = 0;
  for (char c : mant) {
    if (c != '.') digits[nd++] = c;
  }
  if (exp < 0) {
    *p++ = '0';
    *p++ = '.';
    for (int k = -1; k > exp; --k) *p++ = '0';
    std::memcpy(p, digits, nd);
    p += nd;
  } else {
    size_t int_digits = static_cast<size_t>(exp) + 1;
    for (size_t k = 0; k < int_digits; ++k) *p++ = k < nd ? digits[k] : '0';
    if (nd > int_digits) {
      *p++ = '.';
      std::memcpy(p, digits + int_digits, nd - int_digits);
      p += nd - int_digits;
    }
  }
  return static_cast<size_t>(p - buf);
}

void AppendValue(std::string* out, double v) {
  char buf[64];
  out->append(buf, FormatValue(buf, v));
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

void PrometheusWriter::Family(std::string_view name, std::string_view help, MetricType type) {
  std::string clean;
  AppendName(&clean, name, true);
  if (!families_.insert(clean).second) return;
  out_->append("# HELP ");
  out_->append(clean);
  out_->push_back(' ');
  out_->append(EscapePrometheusHelp(help));
  out_->append("\n# TYPE ");
  out_->append(clean);
  out_->push_back(' ');
  out_->append(MetricTypeName(type));
  out_->push_back('\n');
}

void PrometheusWriter::Sample(std::string_view name, std::span<const LabelPair> labels, double value,
                              std::optional<int64_t> timestamp_ms) {
  AppendName(out_, name, true);
  if (!labels.empty()) {
    out_->push_back('{');
    bool first = true;
    for (const LabelPair& l : labels) {
      if (!first) out_->push_back(',');
      first = false;
      AppendName(out_, l.name, false);
      out_->append("=\"");
      AppendEscapedLabelValue(out_, l.value);
      out_->push_back('"');
    }
    out_->push_back('}');
  }
  out_->push_back(' ');
  AppendValue(out_, value);
  if (timestamp_ms.has_value()) {
    out_->push_back(' ');
    AppendInt(out_, *timestamp_ms);
  }
  out_->push_back('\n');
}

void PrometheusWriter::Histogram(std::string_view name, std::span<const LabelPair> labels,
                                 std::span<const double> upper_bounds,
                                 std::span<const uint64_t> bucket_counts, double sum) {
  std::string bucket_name = std::string(name) + "_bucket";
  std::vector<LabelPair> with_le(labels.begin(), labels.end());
  with_le.push_back({"le", ""});
  uint64_t cumulative = 0;
  std::string le;
  for (size_t i = 0; i < upper_bounds.size(); ++i) {
    if (i < bucket_counts.size()) cumulative += bucket_counts[i];
    le = FormatPrometheusValue(upper_bounds[i]);
    with_le.back().value = le;
    Sample(bucket_name, with_le, static_cast<double>(cumulative));
  }
  if (upper_bounds.size() < bucket_counts.size()) cumulative += bucket_counts[upper_bounds.size()];
  with_le.back().value = "+Inf";
  Sample(bucket_name, with_le, static_cast<double>(cumulative));
  Sample(std::string(name) + "_sum", labels, sum);
  Sample(std::string(name) + "_count", labels, static_cast<double>(cumulative));
}

std::string FormatPrometheusValue(double v) {
  std::string out;
  AppendValue(&out, v);
  return out;
}

std::string EscapePrometheusLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscapedLabelValue(&out, value);
  return out;
}

std::string EscapePrometheusHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace internal {

void AppendPrometheusValue(std::string* out, double v) { AppendValue(out, v); }
void AppendPrometheusLabelValue(std::string* out, std::string_view v) { AppendEscapedLabelValue(out, v); }

}  // namespace internal

bool IsValidPrometheusMetricName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0], true)) return false;
  for (char c : name.substr(1)) {
    if (!IsNameChar(c, true)) return false;
  }
  return true;
}

bool IsValidPrometheusLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0], false)) return false;
  for (char c : name.substr(1)) {
    if (!IsNameChar(c, false)) return false;
  }
  return true;
}

}  // namespace vkubelet::stats

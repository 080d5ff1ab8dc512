// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/stats/prometheus.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

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
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = i == 0 ? IsNameStart(c, colon_ok) : IsNameChar(c, colon_ok);
    out->push_back(ok ? c : '_');
  }
}

void AppendEscapedLabelValue(std::string* out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      default:
        out->push_back(c);
    }
  }
}

void AppendValue(std::string* out, double v) {
  if (v == 0) {
    out->push_back('0');
    return;
  }
  if (v == 1) {
    out->push_back('1');
    return;
  }
  if (v == -1) {
    out->append("-1");
    return;
  }
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
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
  if (exp < -4 || exp >= 6) {
    out->append(s);  // "1.2345e+07": C and Go agree on the two-digit exponent
    return;
  }
  char fixed[64];
  auto f = std::to_chars(fixed, fixed + sizeof(fixed), v, std::chars_format::fixed);
  out->append(fixed, static_cast<size_t>(f.ptr - fixed));
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

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Prometheus text primitives (names, label values, values) against the
// previous implementation, kept below as the reference: the same bytes for
// hostile names and label values and for a wide spread of doubles; and the
// /metrics/resource writer against its previous version
// (resource_metrics_reference.h) on generated summaries.

#include <doctest/doctest.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "resource_metrics_reference.h"
#include "stats/resource_metrics.h"
#include "vkubelet/stats/prometheus.h"

namespace vkubelet::stats {
namespace {

namespace old {
inline bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
inline bool IsNameChar(char c, bool colon_ok) { return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9'); }

inline void AppendName(std::string* out, std::string_view name, bool colon_ok) {
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

inline void AppendEscapedLabelValue(std::string* out, std::string_view v) {
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

inline void AppendValue(std::string* out, double v) {
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

}  // namespace old

std::string RefValue(double v) {
  std::string out;
  old::AppendValue(&out, v);
  return out;
}

std::vector<double> Doubles() {
  std::vector<double> out = {0,          -0.0,
                             1,          -1,
                             0.5,        1e-4,
                             9.99999e-5, 1e-5,
                             123456,     999999,
                             999999.5,   1e6,
                             1000001,    -999999,
                             1e21,       1e-7,
                             0.1,        0.1 + 0.2,
                             1.0 / 3,    2.5e-300,
                             5e-324,     1.7976931348623157e308,
                             4096,       100000000,
                             1.5e9,      1700000000.123,
                             12.5,       -0.00012,
                             65536.25};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (!std::isfinite(d)) continue;
    out.push_back(d);
  }
  // Values in the ranges metrics actually take: byte counts, core-seconds,
  // times in seconds, small fractions.
  std::uniform_real_distribution<double> exp10(-8, 16);
  for (int i = 0; i < 20000; ++i) {
    double d = std::pow(10.0, exp10(rng));
    out.push_back(d);
    out.push_back(-d);
    out.push_back(std::floor(d));
    out.push_back(static_cast<double>(static_cast<int64_t>(d * 1000)) / 1000);
  }
  return out;
}

TEST_CASE("values are formatted as by the previous implementation (Go's 'g', shortest)") {
  for (double v : Doubles()) {
    CAPTURE(v);
    REQUIRE(FormatPrometheusValue(v) == RefValue(v));
  }
  CHECK(FormatPrometheusValue(NAN) == "NaN");
  CHECK(FormatPrometheusValue(INFINITY) == "+Inf");
  CHECK(FormatPrometheusValue(-INFINITY) == "-Inf");
  CHECK(FormatPrometheusValue(1e6) == "1e+06");
  CHECK(FormatPrometheusValue(123456.5) == "123456.5");
  CHECK(FormatPrometheusValue(0.00012) == "0.00012");
}

TEST_CASE("sample lines escape names and label values as before") {
  const std::vector<std::string> names = {
      "ok_name", "with-dash", "9starts_with_digit", "", "a:b", "\xc3\xa9t\xc3\xa9", "sp ace", "_"};
  const std::vector<std::string> values = {"plain", "q\"uote",      "back\\slash", "new\nline",
                                           "",      "\xe2\x82\xac", "\\\"\n\\",    "tab\there"};
  for (const std::string& name : names) {
    for (const std::string& label : names) {
      for (const std::string& value : values) {
        std::string got;
        PrometheusWriter w(&got);
        w.Sample(name, {{label, value}, {"pod", value}}, 1.5, 1700000000000);
        std::string want;
        old::AppendName(&want, name, true);
        want += "{";
        old::AppendName(&want, label, false);
        want += "=\"";
        old::AppendEscapedLabelValue(&want, value);
        want += "\",pod=\"";
        old::AppendEscapedLabelValue(&want, value);
        want += "\"} 1.5 1700000000000\n";
        CHECK(got == want);
      }
    }
    std::string esc;
    old::AppendEscapedLabelValue(&esc, name);
    CHECK(EscapePrometheusLabelValue(name) == esc);
  }
}

Summary GeneratedSummary(uint32_t seed, int pods) {
  std::mt19937 rng(seed);
  auto coin = [&] { return rng() % 2 == 0; };
  const std::vector<std::string> names = {"web",         "a\"b", "back\\slash", "new\nline",
                                          "caf\xc3\xa9", "",     "x",           "tenant-1"};
  auto name = [&] { return names[rng() % names.size()]; };
  auto time = [&] {
    switch (rng() % 4) {
      case 0:
        return absl::Time();
      case 1:
        return absl::FromUnixSeconds(-5);
      default:
        return absl::FromUnixSeconds(1700000000) + absl::Milliseconds(rng() % 5000);
    }
  };
  auto u64 = [&]() -> std::optional<uint64_t> {
    if (coin()) return std::nullopt;
    return coin() ? static_cast<uint64_t>(rng()) : (static_cast<uint64_t>(rng()) << 20);
  };
  Summary s;
  s.node.node_name = name();
  if (coin()) s.node.cpu = CPUStats{time(), u64(), u64(), std::nullopt};
  if (coin()) {
    MemoryStats m;
    m.time = time();
    m.working_set_bytes = u64();
    s.node.memory = m;
  }
  if (coin()) s.node.swap = SwapStats{time(), u64(), u64()};
  for (int i = 0; i < pods; ++i) {
    PodStats p;
    p.pod_ref = {name() + std::to_string(rng() % 3), name(), "uid"};
    p.start_time = time();
    for (int c = static_cast<int>(rng() % 3); c > 0; --c) {
      ContainerStats cs;
      cs.name = name();
      cs.start_time = time();
      if (coin()) cs.cpu = CPUStats{time(), u64(), u64(), std::nullopt};
      if (coin()) {
        MemoryStats m;
        m.time = time();
        m.working_set_bytes = u64();
        cs.memory = m;
      }
      if (coin()) cs.swap = SwapStats{time(), u64(), u64()};
      p.containers.push_back(cs);
    }
    if (coin()) p.cpu = CPUStats{time(), u64(), u64(), std::nullopt};
    if (coin()) {
      MemoryStats m;
      m.time = time();
      m.working_set_bytes = u64();
      p.memory = m;
    }
    if (coin()) p.swap = SwapStats{time(), u64(), u64()};
    s.pods.push_back(p);
  }
  return s;
}

TEST_CASE("/metrics/resource is written as by the previous writer") {
  for (uint32_t seed = 1; seed <= 150; ++seed) {
    CAPTURE(seed);
    absl::StatusOr<Summary> s = GeneratedSummary(seed, static_cast<int>(seed % 20));
    std::string got, want;
    PrometheusWriter gw(&got), ww(&want);
    internal::WriteResourceMetrics(s, gw);
    stats::reference::ReferenceWriteResourceMetrics(s, ww);
    REQUIRE(got == want);
  }
  absl::StatusOr<Summary> failed = absl::UnavailableError("provider down");
  std::string got, want;
  PrometheusWriter gw(&got), ww(&want);
  internal::WriteResourceMetrics(failed, gw);
  stats::reference::ReferenceWriteResourceMetrics(failed, ww);
  CHECK(got == want);
}

}  // namespace
}  // namespace vkubelet::stats

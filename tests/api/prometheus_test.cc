// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Prometheus text writer (Go-compatible numbers, escaping, families) and
// the /metrics/resource collector, checked with a strict text parser and
// against what metrics-server requires.

#include "vkubelet/stats/prometheus.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "prometheus_parser.h"
#include "stats/resource_metrics.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::stats {
namespace {

using test::ParsePrometheusText;

TEST_CASE("values are formatted like Go's strconv.FormatFloat(v, 'g', -1, 64)") {
  struct Case {
    double v;
    const char* want;
  };
  for (const Case& c :
       {Case{0, "0"}, Case{-0.0, "0"}, Case{1, "1"}, Case{-1, "-1"}, Case{0.5, "0.5"}, Case{123456, "123456"},
        Case{999999, "999999"}, Case{1e6, "1e+06"}, Case{1234567, "1.234567e+06"}, Case{5.5, "5.5"},
        Case{0.0001, "0.0001"}, Case{0.00001, "1e-05"}, Case{-2.5e-7, "-2.5e-07"}, Case{1e21, "1e+21"},
        Case{3.4400333824e10, "3.4400333824e+10"}, Case{1.8446743709127774e19, "1.8446743709127774e+19"},
        Case{1e100, "1e+100"}, Case{0.1 + 0.2, "0.30000000000000004"}, Case{123.456, "123.456"}}) {
    CHECK_MESSAGE(FormatPrometheusValue(c.v) == c.want, c.want);
  }
  CHECK(FormatPrometheusValue(std::nan("")) == "NaN");
  CHECK(FormatPrometheusValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatPrometheusValue(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("escaping and name sanitising") {
  CHECK(EscapePrometheusLabelValue("a\\b\"c\nd") == R"(a\\b\"c\nd)");
  CHECK(EscapePrometheusHelp("a\\b\"c\nd") == R"(a\\b"c\nd)");
  CHECK(IsValidPrometheusMetricName("a:b_c1"));
  CHECK_FALSE(IsValidPrometheusMetricName("1abc"));
  CHECK_FALSE(IsValidPrometheusMetricName(""));
  CHECK(IsValidPrometheusLabelName("_x1"));
  CHECK_FALSE(IsValidPrometheusLabelName("a:b"));

  std::string text;
  PrometheusWriter w(&text);
  w.Family("my-metric", "Help with \\ and\nnewline", MetricType::kGauge);
  w.Sample("my-metric", {{"bad label", "v\"1\"\n"}, {"ok", ""}}, 2, 1700000000123);
  CHECK(text ==
        "# HELP my_metric Help with \\\\ and\\nnewline\n"
        "# TYPE my_metric gauge\n"
        "my_metric{bad_label=\"v\\\"1\\\"\\n\",ok=\"\"} 2 1700000000123\n");
  auto parsed = ParsePrometheusText(text);
  VK_REQUIRE_OK(parsed);
  const auto* f = parsed->Find("my_metric");
  REQUIRE(f != nullptr);
  CHECK(f->help == "Help with \\ and\nnewline");
  CHECK(f->samples[0].labels.at("bad_label") == "v\"1\"\n");
}

TEST_CASE("a family announced twice gets one HELP/TYPE") {
  std::string text;
  PrometheusWriter w(&text);
  w.Family("x_total", "first", MetricType::kCounter);
  w.Sample("x_total", {}, 1);
  w.Family("x_total", "second", MetricType::kCounter);
  CHECK(text == "# HELP x_total first\n# TYPE x_total counter\nx_total 1\n");
}

TEST_CASE("histograms are cumulative and end with +Inf, _sum and _count") {
  std::string text;
  PrometheusWriter w(&text);
  w.Family("lat_seconds", "latency", MetricType::kHistogram);
  double bounds[] = {0.1, 1};
  uint64_t counts[] = {2, 3, 1};
  LabelPair labels[] = {{"verb", "GET"}};
  w.Histogram("lat_seconds", labels, bounds, counts, 4.5);
  CHECK(text ==
        "# HELP lat_seconds latency\n# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{verb=\"GET\",le=\"0.1\"} 2\n"
        "lat_seconds_bucket{verb=\"GET\",le=\"1\"} 5\n"
        "lat_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 6\n"
        "lat_seconds_sum{verb=\"GET\"} 4.5\n"
        "lat_seconds_count{verb=\"GET\"} 6\n");
  auto parsed = ParsePrometheusText(text);
  VK_REQUIRE_OK(parsed);
  CHECK(parsed->Find("lat_seconds")->samples.size() == 5);
}

TEST_CASE("the strict parser rejects what scrapers reject") {
  for (const char* bad : {
           "x 1",                               // no final newline
           "x{a=\"1\"} 1\nx{a=\"1\"} 2\n",      // duplicate series
           "x 1\ny 1\nx 2\n",                   // family split in two
           "x 1\n# TYPE x gauge\n",             // TYPE after samples
           "# TYPE x gauge\n# TYPE x gauge\n",  // second TYPE
           "x{a=\"\\t\"} 1\n",                  // bad escape
           "x{1a=\"\"} 1\n",                    // bad label name
           "x 1 12.5\n",                        // bad timestamp
           "x one\n",                           // bad value
           "# TYPE x wrong\n",                  // unknown type
       }) {
    CHECK_MESSAGE(!ParsePrometheusText(bad).ok(), bad);
  }
}

const absl::Time kT = absl::FromUnixMillis(1700000000123);

Summary MetricsSummary() {
  Summary s;
  s.node.node_name = "vk-1";
  s.node.cpu = CPUStats{kT, 100, 2500000000, std::nullopt};
  MemoryStats nm;
  nm.time = kT;
  nm.working_set_bytes = 12345678;
  s.node.memory = nm;
  auto pod = [](std::string ns, std::string name, std::vector<std::string> containers) {
    PodStats p;
    p.pod_ref = {std::move(name), std::move(ns), "uid"};
    p.start_time = kT - absl::Hours(1);
    for (const auto& c : containers) {
      ContainerStats cs;
      cs.name = c;
      cs.start_time = absl::FromUnixMillis(1699990000500);
      cs.cpu = CPUStats{kT, std::nullopt, 1500000000, std::nullopt};
      MemoryStats m;
      m.time = kT + absl::Milliseconds(1);
      m.working_set_bytes = 1048576;
      cs.memory = m;
      p.containers.push_back(cs);
    }
    p.cpu = CPUStats{kT, std::nullopt, 3000000000, std::nullopt};
    MemoryStats pm;
    pm.time = kT;
    pm.working_set_bytes = 2097152;
    p.memory = pm;
    return p;
  };
  s.pods.push_back(pod("zeta", "b", {"app"}));
  s.pods.push_back(pod("alpha", "a", {"web", "app"}));
  return s;
}

TEST_CASE("resource metrics: the kubelet's exact exposition") {
  std::string text;
  PrometheusWriter w(&text);
  internal::WriteResourceMetrics(MetricsSummary(), w);
  const std::string expected =
      "# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in "
      "core-seconds\n"
      "# TYPE container_cpu_usage_seconds_total counter\n"
      "container_cpu_usage_seconds_total{container=\"app\",namespace=\"alpha\",pod=\"a\"} 1.5 1700000000123\n"
      "container_cpu_usage_seconds_total{container=\"app\",namespace=\"zeta\",pod=\"b\"} 1.5 1700000000123\n"
      "container_cpu_usage_seconds_total{container=\"web\",namespace=\"alpha\",pod=\"a\"} 1.5 1700000000123\n"
      "# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes\n"
      "# TYPE container_memory_working_set_bytes gauge\n"
      "container_memory_working_set_bytes{container=\"app\",namespace=\"alpha\",pod=\"a\"} 1.048576e+06 "
      "1700000000124\n"
      "container_memory_working_set_bytes{container=\"app\",namespace=\"zeta\",pod=\"b\"} 1.048576e+06 "
      "1700000000124\n"
      "container_memory_working_set_bytes{container=\"web\",namespace=\"alpha\",pod=\"a\"} 1.048576e+06 "
      "1700000000124\n"
      "# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds\n"
      "# TYPE container_start_time_seconds gauge\n"
      "container_start_time_seconds{container=\"app\",namespace=\"alpha\",pod=\"a\"} 1.6999900005e+09\n"
      "container_start_time_seconds{container=\"app\",namespace=\"zeta\",pod=\"b\"} 1.6999900005e+09\n"
      "container_start_time_seconds{container=\"web\",namespace=\"alpha\",pod=\"a\"} 1.6999900005e+09\n"
      "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in "
      "core-seconds\n"
      "# TYPE node_cpu_usage_seconds_total counter\n"
      "node_cpu_usage_seconds_total 2.5 1700000000123\n"
      "# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes\n"
      "# TYPE node_memory_working_set_bytes gauge\n"
      "node_memory_working_set_bytes 1.2345678e+07 1700000000123\n"
      "# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds\n"
      "# TYPE pod_cpu_usage_seconds_total counter\n"
      "pod_cpu_usage_seconds_total{namespace=\"alpha\",pod=\"a\"} 3 1700000000123\n"
      "pod_cpu_usage_seconds_total{namespace=\"zeta\",pod=\"b\"} 3 1700000000123\n"
      "# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes\n"
      "# TYPE pod_memory_working_set_bytes gauge\n"
      "pod_memory_working_set_bytes{namespace=\"alpha\",pod=\"a\"} 2.097152e+06 1700000000123\n"
      "pod_memory_working_set_bytes{namespace=\"zeta\",pod=\"b\"} 2.097152e+06 1700000000123\n"
      "# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 "
      "otherwise\n"
      "# TYPE resource_scrape_error gauge\n"
      "resource_scrape_error 0\n";
  CHECK(text == expected);
}

TEST_CASE("resource metrics satisfy a strict parser and metrics-server's rules") {
  Summary s = MetricsSummary();
  SwapStats swap;
  swap.time = kT;
  swap.swap_usage_bytes = 4096;
  swap.swap_available_bytes = 1024;
  s.node.swap = swap;
  s.pods[0].containers[0].swap = swap;
  s.pods[0].swap = swap;
  s.pods[1].containers[0].name = "we\"ird\\name";  // escaping survives the round trip
  std::string text;
  PrometheusWriter w(&text);
  internal::WriteResourceMetrics(s, w);
  auto parsed = ParsePrometheusText(text);
  VK_REQUIRE_OK(parsed);

  // What metrics-server reads (pkg/scraper/client/resource/decode.go).
  const auto* node_cpu = parsed->Find("node_cpu_usage_seconds_total");
  const auto* node_mem = parsed->Find("node_memory_working_set_bytes");
  REQUIRE(node_cpu != nullptr);
  REQUIRE(node_mem != nullptr);
  CHECK(node_cpu->type == "counter");
  CHECK(node_cpu->samples[0].timestamp_ms == 1700000000123);
  CHECK(node_cpu->samples[0].value > 0);
  CHECK(node_mem->samples[0].value == 12345678);
  for (const char* name : {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes"}) {
    const auto* f = parsed->Find(name);
    REQUIRE(f != nullptr);
    CHECK(f->samples.size() == 3);
    for (const auto& sample : f->samples) {
      CHECK(sample.labels.size() == 3);
      CHECK(sample.labels.count("container"));
      CHECK(sample.labels.count("pod"));
      CHECK(sample.labels.count("namespace"));
      CHECK(sample.timestamp_ms.has_value());
      CHECK(sample.value > 0);
    }
  }
  const auto* start = parsed->Find("container_start_time_seconds");
  REQUIRE(start != nullptr);
  CHECK_FALSE(start->samples[0].timestamp_ms.has_value());
  CHECK(start->samples[0].value == doctest::Approx(1699990000.5));
  bool found_weird = false;
  for (const auto& sample : parsed->Find("container_cpu_usage_seconds_total")->samples) {
    found_weird |= sample.labels.at("container") == "we\"ird\\name";
  }
  CHECK(found_weird);

  // Swap: limit = available + usage; node swap is stamped with the memory time.
  CHECK(parsed->Find("container_swap_limit_bytes")->samples[0].value == 5120);
  CHECK(parsed->Find("container_swap_usage_bytes")->samples[0].value == 4096);
  CHECK(parsed->Find("node_swap_usage_bytes")->samples[0].value == 4096);
  CHECK(parsed->Find("pod_swap_usage_bytes")->samples.size() == 1);
  CHECK(parsed->Find("resource_scrape_error")->samples[0].value == 0);
  CHECK(parsed->Find("scrape_error") == nullptr);
}

TEST_CASE("resource metrics: unknown times drop the timestamp, missing values drop the sample") {
  Summary s;
  s.node.cpu = CPUStats{absl::Time(), std::nullopt, 1000000000, std::nullopt};
  PodStats p;
  p.pod_ref = {"p", "ns", "u"};
  ContainerStats c;
  c.name = "c";  // no cpu, no memory, no start time
  p.containers.push_back(c);
  s.pods.push_back(p);
  std::string text;
  PrometheusWriter w(&text);
  internal::WriteResourceMetrics(s, w);
  CHECK(text ==
        "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in "
        "core-seconds\n"
        "# TYPE node_cpu_usage_seconds_total counter\n"
        "node_cpu_usage_seconds_total 1\n"
        "# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 "
        "otherwise\n"
        "# TYPE resource_scrape_error gauge\n"
        "resource_scrape_error 0\n");
}

TEST_CASE("resource metrics: a failed summary is reported as resource_scrape_error 1") {
  std::string text;
  PrometheusWriter w(&text);
  internal::WriteResourceMetrics(absl::UnavailableError("backend down"), w);
  auto parsed = ParsePrometheusText(text);
  VK_REQUIRE_OK(parsed);
  REQUIRE(parsed->families.size() == 1);
  CHECK(parsed->families[0].name == "resource_scrape_error");
  CHECK(parsed->families[0].samples[0].value == 1);
}

TEST_CASE("CpuAndMemoryOnly keeps references, start times, CPU and memory") {
  Summary s;
  s.node.node_name = "n";
  s.node.cpu = CPUStats{kT, 1, 2, std::nullopt};
  s.node.fs = FsStats{};
  PodStats p;
  p.pod_ref = {"p", "ns", "u"};
  p.start_time = kT;
  ContainerStats c;
  c.name = "c";
  c.memory = MemoryStats{};
  c.rootfs = FsStats{};
  c.accelerators.push_back({});
  p.containers.push_back(c);
  p.network = NetworkStats{};
  p.volume.push_back({});
  s.pods.push_back(p);
  Summary out = internal::CpuAndMemoryOnly(s);
  CHECK(out.node.node_name == "n");
  CHECK(out.node.cpu.has_value());
  CHECK_FALSE(out.node.fs.has_value());
  REQUIRE(out.pods.size() == 1);
  CHECK(out.pods[0].pod_ref.uid == "u");
  CHECK(out.pods[0].start_time == kT);
  CHECK_FALSE(out.pods[0].network.has_value());
  CHECK(out.pods[0].volume.empty());
  REQUIRE(out.pods[0].containers.size() == 1);
  CHECK(out.pods[0].containers[0].memory.has_value());
  CHECK_FALSE(out.pods[0].containers[0].rootfs.has_value());
  CHECK(out.pods[0].containers[0].accelerators.empty());
}

}  // namespace
}  // namespace vkubelet::stats

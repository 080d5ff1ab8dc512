// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// stats/v1alpha1 Summary JSON: the exact bytes Go's encoding/json writes for
// the kubelet's types, reading back, and clear errors for bad input.

#include <doctest/doctest.h>

#include <string>

#include "nlohmann/json.hpp"
#include "vkubelet/stats/summary.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::stats {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);  // 2023-11-14T22:13:20Z
const absl::Time kT1 = kT0 + absl::Seconds(10) + absl::Milliseconds(750);

Summary SampleSummary() {
  Summary s;
  s.node.node_name = "vk-1";
  s.node.start_time = kT0;
  s.node.cpu = CPUStats{kT1, 1000, 5000000000, std::nullopt};
  MemoryStats nm;
  nm.time = kT1;
  nm.available_bytes = 2048;
  nm.working_set_bytes = 1024;
  s.node.memory = nm;
  s.node.rlimit = RlimitStats{kT1, 4194304, 321};

  PodStats p;
  p.pod_ref = {"web", "default", "uid-1"};
  p.start_time = kT0;
  ContainerStats c;
  c.name = "app";
  c.start_time = kT0;
  c.cpu = CPUStats{kT1, std::nullopt, 123456789, PSIStats{{10, 0.5, 1, 1e-7}, {20, 0, 0, 0}}};
  FsStats rootfs;
  rootfs.time = kT1;
  rootfs.used_bytes = 10;
  c.rootfs = rootfs;
  p.containers.push_back(c);
  ContainerStats side;
  side.name = "side";  // no start time: null, as Go writes a zero metav1.Time
  p.containers.push_back(side);
  NetworkStats net;
  net.time = kT1;
  net.default_interface.name = "eth0";
  net.default_interface.rx_bytes = 1;
  net.default_interface.tx_bytes = 2;
  net.interfaces.push_back(net.default_interface);
  p.network = net;
  VolumeStats v;
  v.fs.time = kT1;
  v.fs.used_bytes = 5;
  v.name = "data";
  v.pvc_ref = PVCReference{"claim", "default"};
  p.volume.push_back(v);
  p.process_stats = ProcessStats{3};
  SwapStats swap;
  swap.time = kT1;
  swap.swap_usage_bytes = 0;
  p.swap = swap;
  s.pods.push_back(p);
  return s;
}

TEST_CASE("ToJson writes the kubelet's field names, order and omitempty rules") {
  std::string expected =
      R"({"node":{"nodeName":"vk-1","startTime":"2023-11-14T22:13:20Z",)"
      R"("cpu":{"time":"2023-11-14T22:13:30Z","usageNanoCores":1000,"usageCoreNanoSeconds":5000000000},)"
      R"("memory":{"time":"2023-11-14T22:13:30Z","availableBytes":2048,"workingSetBytes":1024},)"
      R"("rlimit":{"time":"2023-11-14T22:13:30Z","maxpid":4194304,"curproc":321}},)"
      R"("pods":[{"podRef":{"name":"web","namespace":"default","uid":"uid-1"},"startTime":"2023-11-14T22:13:20Z",)"
      R"("containers":[{"name":"app","startTime":"2023-11-14T22:13:20Z",)"
      R"("cpu":{"time":"2023-11-14T22:13:30Z","usageCoreNanoSeconds":123456789,)"
      R"("psi":{"full":{"total":10,"avg10":0.5,"avg60":1,"avg300":1e-7},"some":{"total":20,"avg10":0,"avg60":0,"avg300":0}}},)"
      R"("rootfs":{"time":"2023-11-14T22:13:30Z","usedBytes":10}},)"
      R"({"name":"side","startTime":null}],)"
      R"("network":{"time":"2023-11-14T22:13:30Z","name":"eth0","rxBytes":1,"txBytes":2,)"
      R"("interfaces":[{"name":"eth0","rxBytes":1,"txBytes":2}]},)"
      R"("volume":[{"time":"2023-11-14T22:13:30Z","usedBytes":5,"name":"data","pvcRef":{"name":"claim","namespace":"default"}}],)"
      R"("process_stats":{"process_count":3},)"
      R"("swap":{"time":"2023-11-14T22:13:30Z","swapUsageBytes":0}}]})";
  CHECK(ToJson(SampleSummary()) == expected);
}

TEST_CASE("ToJson: empty summary keeps the required fields") {
  Summary s;
  s.node.node_name = "n";
  CHECK(ToJson(s) == R"({"node":{"nodeName":"n","startTime":null},"pods":[]})");
  PodStats p;
  p.pod_ref.name = "x";
  s.pods.push_back(p);
  CHECK(
      ToJson(s) ==
      R"({"node":{"nodeName":"n","startTime":null},"pods":[{"podRef":{"name":"x","namespace":"","uid":""},"startTime":null,"containers":[]}]})");
}

TEST_CASE("ToJson escapes strings like Go's encoding/json") {
  Summary s;
  s.node.node_name = std::string("a<b>&\"\\\n\t\x01") + "\xe2\x80\xa8" + "é" + "\xff";
  CHECK(
      ToJson(s) ==
      R"({"node":{"nodeName":"a\u003cb\u003e\u0026\"\\\n\t\u0001\u2028é\ufffd","startTime":null},"pods":[]})");
}

TEST_CASE("ToJson writes floats as Go does") {
  Summary s;
  PodStats p;
  ContainerStats c;
  UserDefinedMetric m;
  m.name = "q";
  m.type = "gauge";
  m.units = "count";
  m.labels = {{"z", "1"}, {"a", "2"}};
  m.time = kT0;
  for (double v : {0.0, 1.0, 2.5, 123456789.0, 1e21, 1e-7, 0.000001, -3.25}) {
    m.value = v;
    c.user_defined_metrics.push_back(m);
  }
  p.containers.push_back(c);
  s.pods.push_back(p);
  nlohmann::json j = nlohmann::json::parse(ToJson(s));
  std::string text = ToJson(s);
  for (const char* want :
       {R"("value":0})", R"("value":1})", R"("value":2.5})", R"("value":123456789})", R"("value":1e+21})",
        R"("value":1e-7})", R"("value":0.000001})", R"("value":-3.25})"}) {
    CHECK_MESSAGE(text.find(want) != std::string::npos, want);
  }
  // Maps are written with sorted keys.
  CHECK(text.find(R"("labels":{"a":"2","z":"1"})") != std::string::npos);
  CHECK(j["pods"][0]["containers"][0]["userDefinedMetrics"].size() == 8);
}

TEST_CASE("SummaryFromJson reads back what ToJson wrote") {
  Summary in = SampleSummary();
  VK_REQUIRE_OK(SummaryFromJson(ToJson(in)));
  Summary out = *SummaryFromJson(ToJson(in));
  CHECK(ToJson(out) == ToJson(in));
  // Times keep whole seconds (metav1.Time's precision).
  CHECK(out.node.cpu->time == absl::FromUnixSeconds(1700000010));
  CHECK(out.pods[0].containers[1].start_time == absl::Time());
  CHECK(out.pods[0].containers[0].cpu->psi->full.avg300 == doctest::Approx(1e-7));
}

TEST_CASE("SummaryFromJson accepts a kubelet's output with fractional times, offsets and unknown fields") {
  auto s = SummaryFromJson(R"({
    "node": {"nodeName": "n1", "startTime": "2024-05-01T12:00:00.5+02:00", "futureField": {"x": 1},
             "cpu": {"time": "2024-05-01T10:00:01Z", "usageCoreNanoSeconds": 18446744073709551615}},
    "pods": [{"podRef": {"name": "p", "namespace": "ns", "uid": "u"}, "startTime": null,
              "containers": null, "ephemeral-storage": {"time": "2024-05-01T10:00:01Z", "usedBytes": 7}}]})");
  VK_REQUIRE_OK(s);
  CHECK(s->node.node_name == "n1");
  CHECK(s->node.start_time == absl::FromUnixMillis(1714557600500));
  CHECK(*s->node.cpu->usage_core_nano_seconds == 18446744073709551615ull);
  REQUIRE(s->pods.size() == 1);
  CHECK(s->pods[0].containers.empty());
  CHECK(*s->pods[0].ephemeral_storage->used_bytes == 7);
}

TEST_CASE("SummaryFromJson rejects bad input with the offending path") {
  struct Case {
    const char* json;
    const char* path;
  };
  for (const Case& c : {
           Case{"not json", "not valid JSON"},
           Case{"[]", "summary: expected an object"},
           Case{R"({"node": 3})", "summary.node"},
           Case{R"({"node": {"cpu": {"usageNanoCores": -1}}})", "summary.node.cpu.usageNanoCores"},
           Case{R"({"node": {"cpu": {"usageNanoCores": 1.5}}})", "summary.node.cpu.usageNanoCores"},
           Case{R"({"node": {"startTime": "yesterday"}})", "summary.node.startTime"},
           Case{R"({"pods": [{"containers": [{"name": 7}]}]})", "summary.pods[0].containers[0].name"},
           Case{R"({"pods": {}})", "summary.pods"},
       }) {
    auto s = SummaryFromJson(c.json);
    CHECK_MESSAGE(s.status().code() == absl::StatusCode::kInvalidArgument, c.json);
    CHECK_MESSAGE(std::string(s.status().message()).find(c.path) != std::string::npos, s.status().message());
  }
}

}  // namespace
}  // namespace vkubelet::stats

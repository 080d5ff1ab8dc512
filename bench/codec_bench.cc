// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Codec throughput on the bytes recorded from kube-apiserver 1.28.7: the rich
// pod (9.3 KB protobuf, 23 KB pretty JSON) in both encodings, and the
// 7-event pod watch stream. Run a release build:
//   meson setup build-rel -Dbuildtype=release && ninja -C build-rel bench/codec_bench
//   build-rel/bench/codec_bench

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace {

using vkubelet::kube::ContentType;

std::string Read(const std::string& name) {
  std::string path = std::string(VKUBELET_TESTDATA_DIR) + "/kube-apiserver-1.28.7/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Require(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::abort();
  }
}

const std::string& PodPb() {
  static const std::string s = Read("pod-rich.pb");
  return s;
}
const std::string& PodJson() {
  static const std::string s = Read("pod-rich.json");
  return s;
}
// The same pod as the compact JSON a client would normally receive.
const std::string& PodJsonCompact() {
  static const std::string s = [] {
    vkubelet::corev1::Pod pod;
    Require(vkubelet::kube::DecodeJson(PodJson(), &pod));
    return vkubelet::kube::EncodeJson(pod, "v1", "Pod");
  }();
  return s;
}

void BM_Protobuf_DecodePod(benchmark::State& state) {
  vkubelet::corev1::Pod pod;
  for (auto _ : state) {
    Require(vkubelet::kube::DecodeProtobuf(PodPb(), &pod, "Pod"));
    benchmark::DoNotOptimize(pod);
  }
  state.SetBytesProcessed(state.iterations() * PodPb().size());
}
BENCHMARK(BM_Protobuf_DecodePod);

void BM_Protobuf_EncodePod(benchmark::State& state) {
  vkubelet::corev1::Pod pod;
  Require(vkubelet::kube::DecodeProtobuf(PodPb(), &pod));
  for (auto _ : state) {
    auto bytes = vkubelet::kube::EncodeProtobuf(pod, "v1", "Pod");
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(state.iterations() * PodPb().size());
}
BENCHMARK(BM_Protobuf_EncodePod);

void BM_Json_DecodePod(benchmark::State& state) {
  const std::string& text = PodJsonCompact();
  vkubelet::corev1::Pod pod;
  for (auto _ : state) {
    Require(vkubelet::kube::DecodeJson(text, &pod));
    benchmark::DoNotOptimize(pod);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Json_DecodePod);

// The share of BM_Json_DecodePod spent in the JSON parser itself.
void BM_Json_ParseOnlyPod(benchmark::State& state) {
  const std::string& text = PodJsonCompact();
  for (auto _ : state) {
    auto v = nlohmann::ordered_json::parse(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Json_ParseOnlyPod);

void BM_Json_ParseOnlySortedPod(benchmark::State& state) {
  const std::string& text = PodJsonCompact();
  for (auto _ : state) {
    auto v = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Json_ParseOnlySortedPod);

void BM_Json_EncodePod(benchmark::State& state) {
  vkubelet::corev1::Pod pod;
  Require(vkubelet::kube::DecodeJson(PodJson(), &pod));
  for (auto _ : state) {
    std::string text = vkubelet::kube::EncodeJson(pod, "v1", "Pod");
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(state.iterations() * PodJsonCompact().size());
}
BENCHMARK(BM_Json_EncodePod);

void BM_Json_ToJsonValuePod(benchmark::State& state) {
  vkubelet::corev1::Pod pod;
  Require(vkubelet::kube::DecodeJson(PodJson(), &pod));
  for (auto _ : state) {
    nlohmann::json v = vkubelet::kube::ToJsonValue(pod, "v1", "Pod");
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_Json_ToJsonValuePod);

void WatchDecode(benchmark::State& state, ContentType type, const std::string& stream) {
  int64_t events = 0;
  for (auto _ : state) {
    auto dec = vkubelet::kube::WatchDecoder::Create(type, &vkubelet::corev1::Pod::default_instance());
    // Network-sized chunks.
    for (size_t pos = 0; pos < stream.size(); pos += 16384) {
      dec->Feed(std::string_view(stream).substr(pos, 16384));
      while (true) {
        auto ev = dec->Next();
        Require(ev.status());
        if (!ev->has_value()) break;
        ++events;
      }
    }
  }
  state.SetBytesProcessed(state.iterations() * stream.size());
  state.SetItemsProcessed(events);
}

void BM_Watch_DecodeProtobuf(benchmark::State& state) {
  static const std::string stream = Read("watch-pods.pb");
  WatchDecode(state, ContentType::kProtobuf, stream);
}
BENCHMARK(BM_Watch_DecodeProtobuf);

void BM_Watch_DecodeJson(benchmark::State& state) {
  static const std::string stream = Read("watch-pods.json");
  WatchDecode(state, ContentType::kJson, stream);
}
BENCHMARK(BM_Watch_DecodeJson);

}  // namespace

BENCHMARK_MAIN();

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// libFuzzer targets for the Kubernetes codec. One source, built three times
// with VK_FUZZ_TARGET selecting the entry point:
//
//   1 envelope  "k8s\0" + runtime.Unknown → Pod, then protobuf and JSON
//               re-encoding (must be stable / valid JSON)
//   2 watch     protobuf watch frames fed in input-derived chunks
//   3 json      Kubernetes JSON → Pod → JSON → Pod (must be a fixed point),
//               and the JSON watch decoder on the same bytes
//
// A property violation aborts, which libFuzzer reports as a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "nlohmann/json.hpp"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace {

using vkubelet::kube::ContentType;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "property violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializePartialToCodedStream(&coded);
  coded.Trim();
  return out;
}

// The encoders must always produce JSON that parses and dumps.
void CheckJsonEncoders(const google::protobuf::Message& m) {
  std::string text = vkubelet::kube::EncodeJson(m, "v1", "Pod");
  if (!nlohmann::json::accept(text)) Fail("EncodeJson produced invalid JSON", text.substr(0, 2000));
  std::string pretty = vkubelet::kube::EncodeJson(m, "v1", "Pod", {.pretty = true});
  if (nlohmann::json::parse(pretty) != nlohmann::json::parse(text)) Fail("pretty and compact JSON differ", text);
  nlohmann::json value = vkubelet::kube::ToJsonValue(m, "v1", "Pod");
  try {
    (void)value.dump();
  } catch (const nlohmann::json::exception& e) {
    Fail("ToJsonValue produced a value that cannot be dumped", e.what());
  }
}

[[maybe_unused]] void FuzzEnvelope(std::string_view data) {
  (void)vkubelet::kube::DecodeEnvelope(data);
  vkubelet::corev1::Pod pod;
  vkubelet::kube::TypeMeta tm;
  if (!vkubelet::kube::DecodeProtobuf(data, &pod, "", &tm).ok()) return;
  auto encoded = vkubelet::kube::EncodeProtobuf(pod, tm.api_version, tm.kind);
  if (!encoded.ok()) Fail("EncodeProtobuf failed on a decoded pod", encoded.status().ToString());
  vkubelet::corev1::Pod again;
  if (!vkubelet::kube::DecodeProtobuf(*encoded, &again).ok()) Fail("re-encoded envelope does not decode", "");
  if (Deterministic(again) != Deterministic(pod)) Fail("protobuf round trip is not stable", "");
  CheckJsonEncoders(pod);
}

[[maybe_unused]] void FuzzProtobufWatch(std::string_view data) {
  if (data.empty()) return;
  // The first byte picks the chunk size, so splits are explored too.
  size_t chunk = 1 + static_cast<unsigned char>(data[0]);
  data.remove_prefix(1);
  vkubelet::kube::WatchDecoder::Options options;
  options.max_event_bytes = 1 << 20;
  auto dec = vkubelet::kube::WatchDecoder::Create(ContentType::kProtobuf, &vkubelet::corev1::Pod::default_instance(),
                                                  options);
  int events = 0;
  for (size_t pos = 0; pos < data.size(); pos += chunk) {
    dec->Feed(data.substr(pos, chunk));
    while (true) {
      auto ev = dec->Next();
      if (!ev.ok()) return;
      if (!ev->has_value()) break;
      if ((*ev)->object == nullptr) Fail("event without object", (*ev)->type);
      // The JSON encoders are the envelope target's job; check a few events
      // here so long streams stay fast.
      if (events++ < 2) CheckJsonEncoders(*(*ev)->object);
    }
  }
}

[[maybe_unused]] void FuzzJson(std::string_view data) {
  vkubelet::corev1::Pod pod;
  vkubelet::kube::TypeMeta tm;
  if (vkubelet::kube::DecodeJson(data, &pod, &tm).ok()) {
    CheckJsonEncoders(pod);
    std::string text = vkubelet::kube::EncodeJson(pod, "v1", "Pod");
    vkubelet::corev1::Pod again;
    absl::Status st = vkubelet::kube::DecodeJson(text, &again);
    if (!st.ok()) Fail("re-encoded JSON does not decode", st.ToString() + "\n" + text.substr(0, 2000));
    std::string diff;
    google::protobuf::util::MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    if (!d.Compare(pod, again)) Fail("JSON round trip is not a fixed point", diff + "\n" + text.substr(0, 2000));
    auto encoded = vkubelet::kube::EncodeProtobuf(pod, "v1", "Pod");
    if (!encoded.ok()) Fail("EncodeProtobuf failed", encoded.status().ToString());
  }
  // The same bytes as a JSON watch stream, in two pieces.
  auto dec =
      vkubelet::kube::WatchDecoder::Create(ContentType::kJson, &vkubelet::corev1::Pod::default_instance());
  size_t half = data.size() / 2;
  for (std::string_view piece : {data.substr(0, half), data.substr(half)}) {
    dec->Feed(piece);
    while (true) {
      auto ev = dec->Next();
      if (!ev.ok()) return;
      if (!ev->has_value()) break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // proto2 parsing logs every string field with invalid UTF-8 in debug
  // builds; the fuzzer produces many.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
#if VK_FUZZ_TARGET == 1
  FuzzEnvelope(input);
#elif VK_FUZZ_TARGET == 2
  FuzzProtobufWatch(input);
#elif VK_FUZZ_TARGET == 3
  FuzzJson(input);
#else
#error "define VK_FUZZ_TARGET to 1, 2 or 3"
#endif
  return 0;
}

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Private pieces of the codec shared by codec.cc, json_codec.cc and
// watch_decoder.cc.

#ifndef VKUBELET_LIB_KUBE_ENVELOPE_H_
#define VKUBELET_LIB_KUBE_ENVELOPE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace vkubelet::kube::internal {

inline constexpr std::string_view kProtobufMagic{"k8s\0", 4};

// A parsed runtime.Unknown whose fields point into the input bytes.
struct EnvelopeView {
  std::string_view api_version;
  std::string_view kind;
  std::string_view raw;
  bool has_raw = false;
  std::string_view content_encoding;
  std::string_view content_type;
};

// Errors: empty input, wrong magic, prefix only, malformed Unknown.
absl::StatusOr<EnvelopeView> ParseEnvelope(std::string_view bytes);
// Parses env.raw into `out` (cleared first); rejects a content encoding or a
// non-protobuf content type.
absl::Status ParseRawInto(const EnvelopeView& env, google::protobuf::Message* out);

void AppendVarint(std::string& out, uint64_t v);
void AppendLengthDelimited(std::string& out, int field, std::string_view bytes);
// Deterministic (map keys sorted) serialization appended to `out`.
absl::Status AppendMessage(std::string& out, const google::protobuf::Message& msg);
absl::Status AppendEnvelope(std::string& out, const google::protobuf::Message& msg, std::string_view api_version,
                            std::string_view kind);

}  // namespace vkubelet::kube::internal

#endif  // VKUBELET_LIB_KUBE_ENVELOPE_H_

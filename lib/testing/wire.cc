// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/wire.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing::internal {

using vkubelet::internal::ToAbsl;

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void AppendBytesField(std::string* out, int field, std::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  AppendVarint(out, bytes.size());
  out->append(bytes.data(), bytes.size());
}

std::string Envelope(std::string_view api_version, std::string_view kind, std::string_view raw) {
  std::string type_meta;
  AppendBytesField(&type_meta, 1, api_version);
  AppendBytesField(&type_meta, 2, kind);
  std::string out("k8s\0", 4);
  out.reserve(raw.size() + type_meta.size() + 16);
  AppendBytesField(&out, 1, type_meta);
  AppendBytesField(&out, 2, raw);
  AppendBytesField(&out, 3, "");
  AppendBytesField(&out, 4, "");
  return out;
}

std::string ProtobufWatchFrame(std::string_view type, std::string_view envelope) {
  std::string raw_ext;
  AppendBytesField(&raw_ext, 1, envelope);
  std::string event;
  event.reserve(raw_ext.size() + type.size() + 8);
  AppendBytesField(&event, 1, type);
  AppendBytesField(&event, 2, raw_ext);
  std::string frame;
  frame.reserve(event.size() + 4);
  uint32_t n = static_cast<uint32_t>(event.size());
  frame.push_back(static_cast<char>((n >> 24) & 0xff));
  frame.push_back(static_cast<char>((n >> 16) & 0xff));
  frame.push_back(static_cast<char>((n >> 8) & 0xff));
  frame.push_back(static_cast<char>(n & 0xff));
  frame += event;
  return frame;
}

std::string JsonWatchFrame(std::string_view type, std::string_view object_json) {
  std::string out;
  out.reserve(object_json.size() + type.size() + 24);
  absl::StrAppend(&out, "{\"type\":\"", ToAbsl(type), "\",\"object\":", ToAbsl(object_json), "}\n");
  return out;
}

std::string BaseMediaType(std::string_view content_type) {
  absl::string_view ct = ToAbsl(content_type);
  size_t semi = ct.find(';');
  if (semi != absl::string_view::npos) ct = ct.substr(0, semi);
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(ct));
}

std::optional<kube::ContentType> NegotiateAccept(std::string_view accept, bool protobuf_allowed) {
  if (absl::StripAsciiWhitespace(ToAbsl(accept)).empty()) return kube::ContentType::kJson;
  for (absl::string_view entry : absl::StrSplit(ToAbsl(accept), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ';');
    std::string media = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    bool other_representation = false;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::StartsWith(p, "as=")) other_representation = true;
    }
    if (other_representation) continue;
    if (media == "application/json" || media == "application/*" || media == "*/*") return kube::ContentType::kJson;
    if (media == "application/vnd.kubernetes.protobuf" && protobuf_allowed) return kube::ContentType::kProtobuf;
  }
  return std::nullopt;
}

}  // namespace vkubelet::testing::internal

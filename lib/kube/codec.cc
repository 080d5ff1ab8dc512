// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Media types, the protobuf envelope ("k8s\0" + runtime.Unknown) and the
// encoders of watch events. The wire layout is written and read by hand so
// that an object's bytes are copied once, not once per nesting level.

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "kube/envelope.h"
#include "kube/json_util.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"

namespace vkubelet::kube {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;
using ::vkubelet::internal::ToAbsl;

namespace {

std::string LowerTrim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  std::string out(s.substr(b, e - b));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<ContentType> ParseContentType(std::string_view media_type) {
  std::string_view essence = media_type.substr(0, media_type.find(';'));
  std::string t = LowerTrim(essence);
  if (t == kProtobufMediaType) return ContentType::kProtobuf;
  if (t == kJsonMediaType) return ContentType::kJson;
  return std::nullopt;
}

std::string_view MediaType(ContentType type) {
  return type == ContentType::kProtobuf ? kProtobufMediaType : kJsonMediaType;
}

// ---------------------------------------------------------------------------
// Envelope

namespace internal {

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void AppendLengthDelimited(std::string& out, int field, std::string_view bytes) {
  AppendVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  AppendVarint(out, bytes.size());
  out.append(bytes);
}

absl::Status AppendMessage(std::string& out, const google::protobuf::Message& msg) {
  size_t size = msg.ByteSizeLong();
  if (size > static_cast<size_t>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat(msg.GetTypeName(), " is too large to encode (", size, " bytes)"));
  }
  size_t start = out.size();
  out.resize(start + size);
  google::protobuf::io::ArrayOutputStream array(out.data() + start, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&array);
  // Maps in key order, as Go writes them: the same object gives the same bytes.
  coded.SetSerializationDeterministic(true);
  msg.SerializeWithCachedSizes(&coded);
  if (coded.HadError() || static_cast<size_t>(coded.ByteCount()) != size) {
    return absl::InternalError(absl::StrCat("failed to serialize ", msg.GetTypeName()));
  }
  return absl::OkStatus();
}

absl::Status AppendEnvelope(std::string& out, const google::protobuf::Message& msg, std::string_view api_version,
                            std::string_view kind) {
  out.append(kProtobufMagic);
  std::string type_meta;
  AppendLengthDelimited(type_meta, 1, api_version);
  AppendLengthDelimited(type_meta, 2, kind);
  AppendLengthDelimited(out, 1, type_meta);
  size_t size = msg.ByteSizeLong();
  AppendVarint(out, (2 << 3) | 2);
  AppendVarint(out, size);
  VK_RETURN_IF_ERROR(AppendMessage(out, msg));
  // contentEncoding and contentType: empty, but written, as Go does.
  out.append("\x1a\x00\x22\x00", 4);
  return absl::OkStatus();
}

absl::StatusOr<EnvelopeView> ParseEnvelope(std::string_view bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("protobuf envelope: empty data");
  if (bytes.size() < kProtobufMagic.size() || bytes.substr(0, kProtobufMagic.size()) != kProtobufMagic) {
    return absl::InvalidArgumentError(
        "provided data does not appear to be a protobuf message, expected prefix 6b 38 73 00 (\"k8s\\0\")");
  }
  std::string_view body = bytes.substr(kProtobufMagic.size());
  if (body.empty()) return absl::InvalidArgumentError("protobuf envelope: empty body after the k8s\\0 prefix");
  EnvelopeView view;
  auto truncated = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("protobuf envelope: invalid runtime.Unknown (", ToAbsl(what), ")"));
  };
  CodedInputStream in(reinterpret_cast<const uint8_t*>(body.data()), static_cast<int>(body.size()));
  auto read_bytes = [&](std::string_view* out) -> bool {
    uint32_t len;
    if (!in.ReadVarint32(&len)) return false;
    int offset = in.CurrentPosition();
    if (len > body.size() - static_cast<size_t>(offset)) return false;
    *out = body.substr(offset, len);
    return in.Skip(static_cast<int>(len));
  };
  while (true) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    int field = WireFormatLite::GetTagFieldNumber(tag);
    auto wire = WireFormatLite::GetTagWireType(tag);
    if (field >= 1 && field <= 4) {
      if (wire != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
        return truncated(absl::StrCat("field ", field, " has wire type ", wire));
      }
      std::string_view value;
      if (!read_bytes(&value)) return truncated(absl::StrCat("field ", field, " is truncated"));
      switch (field) {
        case 1: {
          // runtime.TypeMeta {1 apiVersion, 2 kind}
          CodedInputStream tm(reinterpret_cast<const uint8_t*>(value.data()), static_cast<int>(value.size()));
          while (true) {
            uint32_t t = tm.ReadTag();
            if (t == 0) break;
            int f = WireFormatLite::GetTagFieldNumber(t);
            if ((f == 1 || f == 2) && WireFormatLite::GetTagWireType(t) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
              uint32_t len;
              if (!tm.ReadVarint32(&len)) return truncated("typeMeta is truncated");
              int off = tm.CurrentPosition();
              if (len > value.size() - static_cast<size_t>(off)) return truncated("typeMeta is truncated");
              (f == 1 ? view.api_version : view.kind) = value.substr(off, len);
              tm.Skip(static_cast<int>(len));
            } else if (!WireFormatLite::SkipField(&tm, t)) {
              return truncated("typeMeta is malformed");
            }
          }
          if (!tm.ConsumedEntireMessage() && tm.BytesUntilLimit() != 0) return truncated("typeMeta is malformed");
          break;
        }
        case 2:
          view.raw = value;
          view.has_raw = true;
          break;
        case 3:
          view.content_encoding = value;
          break;
        case 4:
          view.content_type = value;
          break;
      }
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return truncated(absl::StrCat("field ", field, " is malformed or truncated"));
    }
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(body.size())) {
    return truncated("malformed or truncated");
  }
  return view;
}

absl::Status ParseRawInto(const EnvelopeView& env, google::protobuf::Message* out) {
  if (!env.content_encoding.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("protobuf envelope: unsupported contentEncoding \"", ToAbsl(env.content_encoding), "\""));
  }
  if (!env.content_type.empty() && env.content_type != kProtobufMediaType) {
    return absl::InvalidArgumentError(
        absl::StrCat("protobuf envelope: unsupported contentType \"", ToAbsl(env.content_type), "\""));
  }
  out->Clear();
  if (!out->ParsePartialFromArray(env.raw.data(), static_cast<int>(env.raw.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("protobuf envelope: ", ToAbsl(env.kind), " body is not a valid ",
                                                   out->GetTypeName(), " message (", env.raw.size(), " bytes)"));
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::StatusOr<std::string> EncodeProtobuf(const google::protobuf::Message& msg, std::string_view api_version,
                                           std::string_view kind) {
  std::string out;
  VK_RETURN_IF_ERROR(internal::AppendEnvelope(out, msg, api_version, kind));
  return out;
}

absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes) {
  VK_ASSIGN_OR_RETURN(internal::EnvelopeView view, internal::ParseEnvelope(bytes));
  Envelope env;
  env.type_meta.api_version = std::string(view.api_version);
  env.type_meta.kind = std::string(view.kind);
  env.raw = std::string(view.raw);
  env.content_encoding = std::string(view.content_encoding);
  env.content_type = std::string(view.content_type);
  return env;
}

absl::Status DecodeProtobuf(std::string_view bytes, google::protobuf::Message* out, std::string_view expected_kind,
                            TypeMeta* type_meta) {
  VK_ASSIGN_OR_RETURN(internal::EnvelopeView view, internal::ParseEnvelope(bytes));
  if (!expected_kind.empty() && view.kind != expected_kind) {
    return absl::InvalidArgumentError(absl::StrCat("protobuf envelope: expected kind ", ToAbsl(expected_kind),
                                                   ", got \"", ToAbsl(view.kind), "\" (apiVersion \"",
                                                   ToAbsl(view.api_version), "\")"));
  }
  VK_RETURN_IF_ERROR(internal::ParseRawInto(view, out));
  if (type_meta != nullptr) {
    type_meta->api_version = std::string(view.api_version);
    type_meta->kind = std::string(view.kind);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Either encoding

absl::StatusOr<std::string> Encode(ContentType type, const google::protobuf::Message& msg,
                                   std::string_view api_version, std::string_view kind) {
  if (type == ContentType::kProtobuf) return EncodeProtobuf(msg, api_version, kind);
  return EncodeJson(msg, api_version, kind);
}

absl::Status Decode(ContentType type, std::string_view body, google::protobuf::Message* out,
                    std::string_view expected_kind, TypeMeta* type_meta) {
  if (type == ContentType::kProtobuf) return DecodeProtobuf(body, out, expected_kind, type_meta);
  TypeMeta tm;
  VK_RETURN_IF_ERROR(DecodeJson(body, out, &tm));
  if (!expected_kind.empty() && !tm.kind.empty() && tm.kind != expected_kind) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON body: expected kind ", ToAbsl(expected_kind), ", got \"", tm.kind, "\""));
  }
  if (type_meta != nullptr) *type_meta = std::move(tm);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Watch event encoders

std::string EncodeProtobufWatchEvent(std::string_view type, const google::protobuf::Message& object,
                                     std::string_view api_version, std::string_view kind) {
  std::string envelope;
  // Only a message over 2 GiB fails; such an event cannot be framed anyway.
  (void)internal::AppendEnvelope(envelope, object, api_version, kind);
  std::string raw_extension;
  internal::AppendLengthDelimited(raw_extension, 1, envelope);
  std::string event;
  internal::AppendLengthDelimited(event, 1, type);
  internal::AppendLengthDelimited(event, 2, raw_extension);
  std::string frame;
  frame.reserve(4 + event.size());
  uint32_t n = static_cast<uint32_t>(event.size());
  frame += static_cast<char>((n >> 24) & 0xff);
  frame += static_cast<char>((n >> 16) & 0xff);
  frame += static_cast<char>((n >> 8) & 0xff);
  frame += static_cast<char>(n & 0xff);
  frame += event;
  return frame;
}

std::string EncodeJsonWatchEvent(std::string_view type, const google::protobuf::Message& object,
                                 std::string_view api_version, std::string_view kind) {
  std::string out = "{\"type\":";
  internal::AppendJsonString(out, type);
  out += ",\"object\":";
  out += EncodeJson(object, api_version, kind);
  out += "}\n";
  return out;
}

}  // namespace vkubelet::kube

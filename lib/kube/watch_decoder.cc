// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Incremental decoders of watch response bodies (protobuf frames and
// concatenated JSON values) and the JSON stream splitter.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "kube/envelope.h"
#include "kube/json_util.h"
#include "nlohmann/json.hpp"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;
using ::vkubelet::internal::ToAbsl;

// ---------------------------------------------------------------------------
// JsonStreamSplitter

void JsonStreamSplitter::Feed(std::string_view bytes) {
  // Drop the consumed prefix once it dominates the buffer, so a long watch
  // does not grow the buffer without bound.
  if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, pos_);
    scan_ -= pos_;
    pos_ = 0;
  }
  buffer_.append(bytes);
}

absl::StatusOr<std::optional<std::string>> JsonStreamSplitter::Next() {
  if (!error_.ok()) return error_;
  if (!started_) {
    while (pos_ < buffer_.size()) {
      char c = buffer_[pos_];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ == buffer_.size()) return std::nullopt;
    char c = buffer_[pos_];
    if (c != '{' && c != '[' && c != '"') {
      error_ = absl::InvalidArgumentError(absl::StrCat(
          "JSON stream: byte 0x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2),
          " cannot start a value (expected an object, an array or a string)"));
      return error_;
    }
    started_ = true;
    scan_ = pos_;
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
  }
  const size_t end = buffer_.size();
  size_t i = scan_;
  bool done = false;
  for (; i < end; ++i) {
    char c = buffer_[i];
    if (in_string_) {
      if (escape_) {
        escape_ = false;
      } else if (c == '\\') {
        escape_ = true;
      } else if (c == '"') {
        in_string_ = false;
        if (depth_ == 0) {
          done = true;
          ++i;
          break;
        }
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        done = true;
        ++i;
        break;
      }
    }
  }
  scan_ = i;
  if (scan_ - pos_ > max_value_bytes_) {
    error_ = absl::ResourceExhaustedError(
        absl::StrCat("JSON stream: value larger than the limit of ", max_value_bytes_, " bytes"));
    return error_;
  }
  if (!done) return std::nullopt;
  std::string value = buffer_.substr(pos_, scan_ - pos_);
  pos_ = scan_;
  started_ = false;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = scan_ = 0;
  }
  return std::optional<std::string>(std::move(value));
}

namespace {

bool IsKnownEventType(std::string_view t) {
  return t == kWatchAdded || t == kWatchModified || t == kWatchDeleted || t == kWatchBookmark || t == kWatchError;
}

// ---------------------------------------------------------------------------
// Protobuf: 4-byte big-endian length + meta/v1 WatchEvent.

class ProtobufWatchDecoder final : public WatchDecoder {
 public:
  ProtobufWatchDecoder(const google::protobuf::Message* prototype, const Options& options)
      : prototype_(prototype), options_(options) {}

  void Feed(std::string_view bytes) override {
    if (pos_ > 0 && pos_ >= buffer_.size() / 2) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    buffer_.append(bytes);
  }

  absl::StatusOr<std::optional<DecodedWatchEvent>> Next() override {
    if (!error_.ok()) return error_;
    if (buffer_.size() - pos_ < 4) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
    uint32_t n = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    if (n > options_.max_event_bytes) {
      return Fail(absl::ResourceExhaustedError(absl::StrCat("protobuf watch: frame of ", n,
                                                            " bytes exceeds the limit of ",
                                                            options_.max_event_bytes, " bytes")));
    }
    if (buffer_.size() - pos_ - 4 < n) return std::nullopt;
    std::string_view frame(buffer_.data() + pos_ + 4, n);
    pos_ += 4 + static_cast<size_t>(n);
    auto event = DecodeFrame(frame);
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    if (!event.ok()) return Fail(event.status());
    return std::optional<DecodedWatchEvent>(std::move(*event));
  }

  size_t Buffered() const override { return buffer_.size() - pos_; }

 private:
  absl::Status Fail(absl::Status s) {
    error_ = std::move(s);
    return error_;
  }

  // WatchEvent{1 type string, 2 object RawExtension{1 raw bytes}}.
  absl::StatusOr<DecodedWatchEvent> DecodeFrame(std::string_view frame) {
    auto malformed = [](std::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("protobuf watch: malformed WatchEvent frame (", ToAbsl(why), ")"));
    };
    std::string_view type, object_raw;
    bool has_object = false;
    CodedInputStream in(reinterpret_cast<const uint8_t*>(frame.data()), static_cast<int>(frame.size()));
    auto read_bytes = [&](CodedInputStream& s, std::string_view whole, std::string_view* out) -> bool {
      uint32_t len;
      if (!s.ReadVarint32(&len)) return false;
      int off = s.CurrentPosition();
      if (len > whole.size() - static_cast<size_t>(off)) return false;
      *out = whole.substr(off, len);
      return s.Skip(static_cast<int>(len));
    };
    while (true) {
      uint32_t tag = in.ReadTag();
      if (tag == 0) break;
      int field = WireFormatLite::GetTagFieldNumber(tag);
      bool ld = WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
      if (field == 1 && ld) {
        if (!read_bytes(in, frame, &type)) return malformed("type is truncated");
      } else if (field == 2 && ld) {
        std::string_view ext;
        if (!read_bytes(in, frame, &ext)) return malformed("object is truncated");
        CodedInputStream ein(reinterpret_cast<const uint8_t*>(ext.data()), static_cast<int>(ext.size()));
        while (true) {
          uint32_t t = ein.ReadTag();
          if (t == 0) break;
          if (WireFormatLite::GetTagFieldNumber(t) == 1 &&
              WireFormatLite::GetTagWireType(t) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
            if (!read_bytes(ein, ext, &object_raw)) return malformed("object.raw is truncated");
            has_object = true;
          } else if (!WireFormatLite::SkipField(&ein, t)) {
            return malformed("object is malformed");
          }
        }
        if (ein.CurrentPosition() != static_cast<int>(ext.size())) return malformed("object is malformed");
      } else if (!WireFormatLite::SkipField(&in, tag)) {
        return malformed(absl::StrCat("field ", field, " is malformed"));
      }
    }
    if (in.CurrentPosition() != static_cast<int>(frame.size())) return malformed("trailing bytes");
    if (!IsKnownEventType(type)) {
      return absl::InvalidArgumentError(
          absl::StrCat("protobuf watch: unknown event type \"", ToAbsl(internal::SanitizeUtf8(type)), "\""));
    }
    if (!has_object) return malformed("no object");
    auto env = internal::ParseEnvelope(object_raw);
    if (!env.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("protobuf watch ", ToAbsl(type), " event: ", env.status().message()));
    }
    DecodedWatchEvent event;
    event.type = std::string(type);
    event.type_meta.api_version = std::string(env->api_version);
    event.type_meta.kind = std::string(env->kind);
    if (type == kWatchError) {
      if (env->kind != "Status") {
        return absl::InvalidArgumentError(
            absl::StrCat("protobuf watch: ERROR event carries kind \"", ToAbsl(env->kind), "\", expected Status"));
      }
      event.object = std::make_unique<metav1::Status>();
    } else {
      const std::string& want = prototype_->GetDescriptor()->name();
      if (env->kind != want) {
        return absl::InvalidArgumentError(absl::StrCat("protobuf watch: ", ToAbsl(type), " event carries kind \"",
                                                       ToAbsl(env->kind), "\", expected ", want));
      }
      event.object.reset(prototype_->New());
    }
    absl::Status st = internal::ParseRawInto(*env, event.object.get());
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("protobuf watch ", ToAbsl(type), " event: ", st.message()));
    return event;
  }

  const google::protobuf::Message* prototype_;
  Options options_;
  std::string buffer_;
  size_t pos_ = 0;
  absl::Status error_;
};

// ---------------------------------------------------------------------------
// JSON: {"type": "...", "object": {...}} values back to back.

class JsonWatchDecoder final : public WatchDecoder {
 public:
  JsonWatchDecoder(const google::protobuf::Message* prototype, const Options& options)
      : prototype_(prototype), splitter_(options.max_event_bytes) {}

  void Feed(std::string_view bytes) override { splitter_.Feed(bytes); }

  absl::StatusOr<std::optional<DecodedWatchEvent>> Next() override {
    if (!error_.ok()) return error_;
    auto text = splitter_.Next();
    if (!text.ok()) return Fail(text.status());
    if (!text->has_value()) return std::nullopt;
    auto event = DecodeValue(**text);
    if (!event.ok()) return Fail(event.status());
    return std::optional<DecodedWatchEvent>(std::move(*event));
  }

  size_t Buffered() const override { return splitter_.Buffered(); }

 private:
  absl::Status Fail(absl::Status s) {
    error_ = std::move(s);
    return error_;
  }

  absl::StatusOr<DecodedWatchEvent> DecodeValue(const std::string& text) {
    auto parsed = internal::ParseJsonText(text);
    if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("JSON watch: ", parsed.status().message()));
    const nlohmann::json& v = *parsed;
    if (!v.is_object()) return absl::InvalidArgumentError("JSON watch: event is not an object");
    auto type_it = v.find("type");
    if (type_it == v.end() || !type_it->is_string()) {
      return absl::InvalidArgumentError("JSON watch: event has no string \"type\"");
    }
    const std::string& type = type_it->get_ref<const std::string&>();
    if (!IsKnownEventType(type)) {
      return absl::InvalidArgumentError(absl::StrCat("JSON watch: unknown event type \"", type, "\""));
    }
    auto obj_it = v.find("object");
    if (obj_it == v.end() || !obj_it->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("JSON watch: ", type, " event has no object"));
    }
    DecodedWatchEvent event;
    event.type = type;
    if (type == kWatchError) {
      event.object = std::make_unique<metav1::Status>();
    } else {
      event.object.reset(prototype_->New());
    }
    absl::Status st = internal::FromJsonValueImpl(*obj_it, event.object.get(), &event.type_meta, JsonDecodeOptions{});
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("JSON watch ", type, " event: ", st.message()));
    const std::string& want = type == kWatchError ? std::string("Status") : prototype_->GetDescriptor()->name();
    if (!event.type_meta.kind.empty() && event.type_meta.kind != want) {
      return absl::InvalidArgumentError(absl::StrCat("JSON watch: ", type, " event carries kind \"",
                                                     event.type_meta.kind, "\", expected ", want));
    }
    return event;
  }

  const google::protobuf::Message* prototype_;
  JsonStreamSplitter splitter_;
  absl::Status error_;
};

}  // namespace

std::unique_ptr<WatchDecoder> WatchDecoder::Create(ContentType type, const google::protobuf::Message* object_prototype) {
  return Create(type, object_prototype, Options{});
}

std::unique_ptr<WatchDecoder> WatchDecoder::Create(ContentType type, const google::protobuf::Message* object_prototype,
                                                   const Options& options) {
  if (type == ContentType::kProtobuf) return std::make_unique<ProtobufWatchDecoder>(object_prototype, options);
  return std::make_unique<JsonWatchDecoder>(object_prototype, options);
}

}  // namespace vkubelet::kube

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Kubernetes wire encodings of the generated API types:
//
//  * Protobuf: "k8s\0" + runtime.Unknown{typeMeta, raw} envelopes; watch
//    streams as 4-byte big-endian length + meta/v1 WatchEvent frames whose
//    object is again an envelope.
//  * JSON: the Kubernetes mapping (not protobuf's canonical JSON): Quantity and
//    IntOrString as bare strings/numbers, Time as RFC 3339 seconds, MicroTime
//    with 6 fraction digits, Duration as Go duration strings, int64 as numbers,
//    bytes as base64, RawExtension/FieldsV1 inline, kind/apiVersion at the top.
//    Watch streams are concatenated JSON values (split on complete values, not
//    on newlines).
//
// One generic implementation walks protobuf descriptors, so every generated
// type is covered. Nothing here throws; errors are InvalidArgument with a
// message that names what was wrong (and the JSON path where there is one).
//
// Which fields the JSON encoder writes (proto2 does not carry Go's
// omitempty/pointer distinctions, so the rule is presence, not value):
//
//  * a singular field is written iff it is set (has_x()), whatever its value:
//    `"optional": false`, `"replicas": 0`, `"name": ""` and an empty message
//    `"status": {}` all survive JSON -> proto -> JSON;
//  * a repeated or map field is written iff it is non-empty, except the
//    `items` of a list kind (a message named "...List"), which the API server
//    always writes, as `[]` when empty;
//  * a meta/v1 Time or MicroTime that is set but empty (zero) is written as
//    `null`, and `null` decodes to such an empty message. That is how the
//    server's `"creationTimestamp": null` round-trips, and matches protobuf,
//    where Go writes a zero Time as an empty message. Code that tests "is this
//    time set" must look at seconds(), not only at has_x();
//  * any other `null` decodes to "unset" (so a nil slice that Go writes as
//    null, like the `"containers": null` of a BOOKMARK pod, comes back
//    omitted);
//  * Go structs embedded inline (VolumeSource in Volume, ProbeHandler in
//    Probe, LocalObjectReference in the key/env selectors, ...) are message
//    fields in protobuf and flat keys in JSON; the decoder always creates
//    them, as Go's protobuf does.
//
// Consequence: JSON produced by the API server round-trips exactly (same
// keys, same values; EncodeJson even writes them in the server's order).
// A message decoded from the server's *protobuf* also carries the zero values
// of Go's non-pointer fields (Go's protobuf encoder writes them all), so its
// JSON shows e.g. `"stdin": false` or `"workingDir": ""` where the server's
// JSON omits them. Both mean the same to every decoder; nothing is dropped,
// since a present zero can be meaningful (`automountServiceAccountToken:
// false`) and the schema cannot tell which ones are.
//
// Values: a Quantity is kept as written (validated with
// resource::Quantity::Parse; a JSON number is stored as its decimal text); an
// IntOrString or a Time decoded from JSON sets every protobuf field Go writes
// (type/intVal/strVal; seconds/nanos), so the protobuf bytes match Go's; Time
// drops sub-second digits, MicroTime keeps microseconds. A RawExtension or
// runtime.Unknown whose bytes hold a protobuf envelope of a known kind
// (FindPrototype) is shown in JSON as that object; bytes that are neither
// JSON nor such an envelope are shown as null. JSON text nested deeper than
// 1000 levels is rejected before parsing.
//
// Unknown fields: protobuf decoding keeps fields unknown to the schema (proto2
// unknown-field set), so an object read from a newer server survives a
// read-modify-write in protobuf. JSON decoding cannot keep them (a JSON field
// has no number); they are dropped — like the API server does with
// fieldValidation=Ignore — and optionally reported or rejected. The SDK never
// PUTs back objects it decoded from JSON; it sends patches instead.

#ifndef VKUBELET_KUBE_CODEC_H_
#define VKUBELET_KUBE_CODEC_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace vkubelet::kube {

inline constexpr std::string_view kProtobufMediaType = "application/vnd.kubernetes.protobuf";
inline constexpr std::string_view kJsonMediaType = "application/json";
inline constexpr std::string_view kYamlMediaType = "application/yaml";
inline constexpr std::string_view kJsonPatchMediaType = "application/json-patch+json";
inline constexpr std::string_view kMergePatchMediaType = "application/merge-patch+json";
inline constexpr std::string_view kStrategicMergePatchMediaType = "application/strategic-merge-patch+json";
inline constexpr std::string_view kApplyPatchYamlMediaType = "application/apply-patch+yaml";

enum class ContentType { kProtobuf, kJson };

// ---------------------------------------------------------------------------
// Scalar formats of the Kubernetes JSON mapping (also useful on their own).

// meta/v1 Time: RFC 3339 in UTC with second precision, "2024-05-01T12:00:00Z".
std::string FormatRfc3339Time(absl::Time t);
// meta/v1 MicroTime: always 6 fraction digits, "2024-05-01T12:00:00.123456Z".
std::string FormatRfc3339MicroTime(absl::Time t);
// Parses RFC 3339 ("2024-05-01T12:00:00Z", "...T12:00:00.5+02:00"); any
// number of fraction digits, Z or a numeric offset. Errors: anything else,
// including out-of-range fields ("2024-02-30T...").
absl::StatusOr<absl::Time> ParseRfc3339Time(std::string_view text);
// Go's time.Duration.String(): "1h2m3.5s", "1m30s", "300ms", "1.5µs", "0s".
std::string FormatGoDuration(absl::Duration d);
// Go's time.ParseDuration: optional sign, then one or more <decimal><unit>
// with units ns, us, µs, μs, ms, s, m, h; "0" alone is allowed. Errors: any
// other text, and values outside int64 nanoseconds.
absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view text);
// Standard base64 with padding (RFC 4648 §4), as Go's encoding/json writes []byte.
std::string Base64Encode(std::string_view bytes);
// Strict standard base64 with padding; CR and LF are skipped like Go does.
// Errors name the offending offset.
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// "application/vnd.kubernetes.protobuf;stream=watch" → kProtobuf, parameters
// and case ignored; nullopt for anything else.
std::optional<ContentType> ParseContentType(std::string_view media_type);
std::string_view MediaType(ContentType type);

struct TypeMeta {
  std::string api_version;  // "v1", "coordination.k8s.io/v1"
  std::string kind;         // "Pod"
};

// ---------------------------------------------------------------------------
// Protobuf envelope

// "k8s\0" + Unknown{typeMeta{apiVersion, kind}, raw = msg}.
absl::StatusOr<std::string> EncodeProtobuf(const google::protobuf::Message& msg, std::string_view api_version,
                                           std::string_view kind);

struct Envelope {
  TypeMeta type_meta;
  std::string raw;  // the object's own protobuf bytes
  std::string content_encoding;
  std::string content_type;
};
// Errors: empty input, wrong magic, truncated/invalid Unknown.
absl::StatusOr<Envelope> DecodeEnvelope(std::string_view bytes);

// Decodes an envelope into `out`. If `expected_kind` is not empty the
// envelope's kind must match it. `type_meta` (optional) receives the envelope's.
absl::Status DecodeProtobuf(std::string_view bytes, google::protobuf::Message* out,
                            std::string_view expected_kind = "", TypeMeta* type_meta = nullptr);

// ---------------------------------------------------------------------------
// JSON

struct JsonEncodeOptions {
  bool pretty = false;  // two-space indentation (for humans and kubectl -o json style output)
};

// The Kubernetes JSON of `msg`. When api_version/kind are given they are
// written first, as the API server does for top-level objects.
nlohmann::json ToJsonValue(const google::protobuf::Message& msg, std::string_view api_version = "",
                           std::string_view kind = "");
std::string EncodeJson(const google::protobuf::Message& msg, std::string_view api_version = "",
                       std::string_view kind = "", const JsonEncodeOptions& options = {});

struct JsonDecodeOptions {
  enum class UnknownFields { kIgnore, kReject };
  UnknownFields unknown_fields = UnknownFields::kIgnore;
  // When not null, receives the JSON paths of ignored unknown fields
  // ("spec.containers[0].fooBar"), for "unknown field" warnings.
  std::vector<std::string>* unknown_paths = nullptr;
};

// Decodes Kubernetes JSON into `out` (cleared first). Top-level "kind" and
// "apiVersion" go to `type_meta` (when not null), never to the message.
absl::Status FromJsonValue(const nlohmann::json& value, google::protobuf::Message* out,
                           TypeMeta* type_meta = nullptr, const JsonDecodeOptions& options = {});
absl::Status DecodeJson(std::string_view json, google::protobuf::Message* out, TypeMeta* type_meta = nullptr,
                        const JsonDecodeOptions& options = {});

// ---------------------------------------------------------------------------
// Either encoding

absl::StatusOr<std::string> Encode(ContentType type, const google::protobuf::Message& msg,
                                   std::string_view api_version, std::string_view kind);
absl::Status Decode(ContentType type, std::string_view body, google::protobuf::Message* out,
                    std::string_view expected_kind = "", TypeMeta* type_meta = nullptr);

// ---------------------------------------------------------------------------
// Watch streams

inline constexpr std::string_view kWatchAdded = "ADDED";
inline constexpr std::string_view kWatchModified = "MODIFIED";
inline constexpr std::string_view kWatchDeleted = "DELETED";
inline constexpr std::string_view kWatchBookmark = "BOOKMARK";
inline constexpr std::string_view kWatchError = "ERROR";

// One encoded event, ready to write to a watch response.
std::string EncodeProtobufWatchEvent(std::string_view type, const google::protobuf::Message& object,
                                     std::string_view api_version, std::string_view kind);
std::string EncodeJsonWatchEvent(std::string_view type, const google::protobuf::Message& object,
                                 std::string_view api_version, std::string_view kind);  // ends in "\n"

struct DecodedWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  TypeMeta type_meta;
  // The object: a new message of the watched type, or a meta/v1 Status for
  // ERROR events.
  std::unique_ptr<google::protobuf::Message> object;
};

// Incremental decoder of a watch response body: Feed() bytes in whatever
// chunks the network delivers, then call Next() until it returns nullopt.
// Not thread-safe.
class WatchDecoder {
 public:
  // `object_prototype` is the default instance of the watched type
  // (e.g. &corev1::Pod::default_instance()); it must outlive the decoder.
  // Events of any other kind than the prototype's message name (other than a
  // Status in an ERROR event) are rejected.
  static std::unique_ptr<WatchDecoder> Create(ContentType type, const google::protobuf::Message* object_prototype);
  struct Options {
    // Largest accepted event (protobuf frame or JSON value). A longer one is
    // an error instead of unbounded buffering.
    size_t max_event_bytes = 64 << 20;
  };
  static std::unique_ptr<WatchDecoder> Create(ContentType type, const google::protobuf::Message* object_prototype,
                                              const Options& options);
  virtual ~WatchDecoder() = default;

  virtual void Feed(std::string_view bytes) = 0;
  // The next complete event, nullopt when more bytes are needed. An error
  // (corrupt frame, oversized frame, undecodable object) is sticky: the stream
  // must be abandoned.
  virtual absl::StatusOr<std::optional<DecodedWatchEvent>> Next() = 0;
  // Bytes fed but not yet consumed by a complete event.
  virtual size_t Buffered() const = 0;
};

// Splits a byte stream of concatenated JSON values into complete top-level
// values (whitespace between them ignored, strings and escapes respected).
// Top-level values must be objects, arrays or strings (a bare number or
// literal has no end marker in a stream). The splitter only finds value
// boundaries; the JSON parser validates the text. Not thread-safe.
class JsonStreamSplitter {
 public:
  explicit JsonStreamSplitter(size_t max_value_bytes = 64 << 20) : max_value_bytes_(max_value_bytes) {}
  void Feed(std::string_view bytes);
  // The next complete value's text; nullopt when more bytes are needed.
  // Errors (sticky): a value larger than max_value_bytes, or a byte that
  // cannot start a value.
  absl::StatusOr<std::optional<std::string>> Next();
  size_t Buffered() const { return buffer_.size() - pos_; }

 private:
  absl::Status error_;
  std::string buffer_;
  size_t pos_ = 0;   // start of the unconsumed part
  size_t scan_ = 0;  // how far the current value has been scanned
  int depth_ = 0;
  bool in_string_ = false;
  bool escape_ = false;
  bool started_ = false;
  size_t max_value_bytes_;
};

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_CODEC_H_

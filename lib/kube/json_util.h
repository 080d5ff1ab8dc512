// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Private JSON helpers of the codec.

#ifndef VKUBELET_LIB_KUBE_JSON_UTIL_H_
#define VKUBELET_LIB_KUBE_JSON_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "vkubelet/kube/codec.h"

namespace vkubelet::kube::internal {

// Deeper JSON is rejected on input (the parser and the encoders recurse).
inline constexpr int kMaxJsonDepth = 1000;

// A JSON string literal with Go's escaping (HTML-safe, U+2028/2029 escaped,
// invalid UTF-8 replaced by U+FFFD).
void AppendJsonString(std::string& out, std::string_view s);
// Go's float formatting ('f' in [1e-6, 1e21), shortest 'e' outside).
void AppendJsonDouble(std::string& out, double v);
bool IsValidUtf8(std::string_view s);
std::string SanitizeUtf8(std::string_view s);
// Deepest nesting of objects/arrays in `text` (strings respected).
size_t JsonNestingDepth(std::string_view text);

// A resource.Quantity string the API server would accept.
absl::Status ValidateQuantity(std::string_view text);

// Parses JSON text; errors carry the parser's position. Objects come back
// with sorted keys (nlohmann::json parses about twice as fast as
// ordered_json), so JSON kept as bytes (RawExtension, FieldsV1) is stored
// with sorted keys.
absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text);

template <typename J>
absl::Status FromJsonValueImpl(const J& value, google::protobuf::Message* out, TypeMeta* type_meta,
                               const JsonDecodeOptions& options);

}  // namespace vkubelet::kube::internal

#endif  // VKUBELET_LIB_KUBE_JSON_UTIL_H_

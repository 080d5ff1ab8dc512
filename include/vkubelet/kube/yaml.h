// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// YAML ⇄ JSON the way Kubernetes tools read manifests: sigs.k8s.io/yaml
// (YAMLToJSON, built on go-yaml v2.4, as kubectl uses it), so a file means the
// same thing here as it does to `kubectl apply -f`.
//
//   VK_ASSIGN_OR_RETURN(std::vector<nlohmann::json> objects,
//                       kube::YamlDocumentsToJson(manifest_text));
//
// Scalar typing (plain, i.e. unquoted, scalars only; quoted and block scalars
// are always strings):
//   * null:   empty, ~, null, Null, NULL
//   * bool:   true/false and the YAML 1.1 words y, Y, yes, Yes, YES, on, On,
//             ON, n, N, no, No, NO, off, Off, OFF (so `on: push` has the key
//             "true" and `enabled: yes` is true, exactly as kubectl reads it)
//   * int:    Go integer literals after dropping '_': 42, -7, +3, 0x1F, 0o17,
//             0b101, and a leading 0 means octal (0644 is 420); values that fit
//             neither int64 nor uint64 fall through to float
//   * float:  1.5, .5, 1e3, -2.5E-3, 09 (not octal, so a float); a float with
//             no fraction that fits int64/uint64 becomes an integer (1.0 → 1,
//             1e3 → 1000), as the Go JSON encoder writes it; .inf and .nan
//             are errors (JSON cannot hold them); floats that overflow a
//             double stay strings
//   * string: everything else, including timestamps (2024-01-02) and
//             sexagesimal (1:20)
// Explicit tags: !!str, !!int, !!float, !!bool, !!null convert or fail;
// !!binary is base64-decoded into a string; unknown tags give the text.
// Anchors and aliases are expanded; merge keys (<<) follow go-yaml v2 (merged
// entries overwrite keys written before the <<, keys after it win).
// Keys become strings: int → decimal, float → Go's %g at float32 precision,
// bool → "true"/"false"; null, sequence, mapping and uint64-only keys are
// errors, as in sigs.k8s.io/yaml. A repeated key keeps the last value.
//
// Errors are errdefs::InvalidInput and name the line and column (1-based):
// syntax errors, invalid UTF-8, the conversion failures above, nesting deeper
// than 1000 (or an alias that contains itself) and alias expansion that
// produces far more values than the input has bytes.

#ifndef VKUBELET_KUBE_YAML_H_
#define VKUBELET_KUBE_YAML_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace vkubelet::kube {

// Converts a single YAML document. Empty input (or a lone "---", or only
// comments) is JSON null; more than one non-empty document is an error.
absl::StatusOr<nlohmann::json> YamlToJson(std::string_view yaml);

// Converts every document of a "---" separated stream, in order. Empty
// documents (nothing, only comments, or a bare null) are skipped, as
// `kubectl apply -f` skips them.
absl::StatusOr<std::vector<nlohmann::json>> YamlDocumentsToJson(std::string_view yaml);

// Block-style YAML with sorted keys, two-space indentation and "- " items at
// their parent's indentation (sigs.k8s.io/yaml's JSONToYAML layout). Strings
// that would read back as another type are quoted, multi-line strings use
// literal blocks, so YamlToJson(JsonToYaml(j)) == j for any JSON j without
// NaN or infinities. Ends with a newline.
std::string JsonToYaml(const nlohmann::json& json);

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_YAML_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "kube/patch.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal {
namespace {

using Json = nlohmann::json;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Deeper documents are refused before any recursive walk, so that hostile
// input cannot exhaust the stack. Kubernetes objects stay far below this.
constexpr int kMaxDepth = 512;

// Renders a value for an error message, shortened.
std::string Brief(const Json& value) {
  std::string s = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  constexpr size_t kMax = 160;
  if (s.size() > kMax) {
    s.resize(kMax);
    s += "...";
  }
  return s;
}

absl::Status Malformed(std::string_view message) { return errdefs::InvalidInput(message); }

// True when `value` nests deeper than `limit` levels. Iterative on purpose.
bool DeeperThan(const Json& value, int limit) {
  std::vector<std::pair<const Json*, int>> stack = {{&value, 1}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (depth > limit) return true;
    if (v->is_structured()) {
      for (const Json& child : *v) stack.emplace_back(&child, depth + 1);
    }
  }
  return false;
}

absl::Status CheckDepth(const Json& value, std::string_view what) {
  if (DeeperThan(value, kMaxDepth)) {
    return Malformed(absl::StrCat(ToAbsl(what), " is nested deeper than ", kMaxDepth, " levels"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// RFC 6902 JSON patch
// ---------------------------------------------------------------------------

// RFC 6901 reference tokens of `pointer`, unescaped.
absl::StatusOr<std::vector<std::string>> ParsePointer(const std::string& pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    return errdefs::Invalid(absl::StrCat("JSON pointer \"", pointer, "\" does not start with '/'"));
  }
  std::string token;
  for (size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next == '0') {
        token += '~';
      } else if (next == '1') {
        token += '/';
      } else {
        return errdefs::Invalid(absl::StrCat("JSON pointer \"", pointer, "\" has a '~' not followed by 0 or 1"));
      }
      ++i;
      continue;
    }
    token += c;
  }
  return tokens;
}

// An array index token: digits without leading zeros. "-" is handled by callers.
bool ParseIndex(const std::string& token, size_t* index) {
  if (token.empty() || token.size() > 15) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  size_t value = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<size_t>(c - '0');
  }
  *index = value;
  return true;
}

std::string PointerPrefix(const std::vector<std::string>& tokens, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += '/';
    for (char c : tokens[i]) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
  }
  return out;
}

// The value at the first `n` tokens, or 422 naming the first missing step.
absl::StatusOr<Json*> Walk(Json& root, const std::vector<std::string>& tokens, size_t n) {
  Json* current = &root;
  for (size_t i = 0; i < n; ++i) {
    const std::string& token = tokens[i];
    if (current->is_object()) {
      auto it = current->find(token);
      if (it == current->end()) {
        return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, i + 1), " does not exist"));
      }
      current = &*it;
    } else if (current->is_array()) {
      size_t index = 0;
      if (!ParseIndex(token, &index) || index >= current->size()) {
        return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, i + 1), ": no array element \"",
                                             token, "\" in an array of ", current->size()));
      }
      current = &(*current)[index];
    } else {
      return errdefs::Invalid(
          absl::StrCat("path ", PointerPrefix(tokens, i + 1), ": ", PointerPrefix(tokens, i), " is not a container"));
    }
  }
  return current;
}

absl::Status AddAt(Json& root, const std::vector<std::string>& tokens, Json value) {
  if (tokens.empty()) {
    root = std::move(value);
    return absl::OkStatus();
  }
  VK_ASSIGN_OR_RETURN(Json * parent, Walk(root, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    (*parent)[last] = std::move(value);
    return absl::OkStatus();
  }
  if (parent->is_array()) {
    if (last == "-") {
      parent->push_back(std::move(value));
      return absl::OkStatus();
    }
    size_t index = 0;
    if (!ParseIndex(last, &index) || index > parent->size()) {
      return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, tokens.size()),
                                           ": cannot insert at index \"", last, "\" of an array of ", parent->size()));
    }
    parent->insert(parent->begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
    return absl::OkStatus();
  }
  return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, tokens.size()), ": ",
                                       PointerPrefix(tokens, tokens.size() - 1), " is not a container"));
}

absl::StatusOr<Json> RemoveAt(Json& root, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return errdefs::Invalid("cannot remove the whole document");
  VK_ASSIGN_OR_RETURN(Json * parent, Walk(root, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    auto it = parent->find(last);
    if (it == parent->end()) {
      return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, tokens.size()), " does not exist"));
    }
    Json removed = std::move(*it);
    parent->erase(it);
    return removed;
  }
  if (parent->is_array()) {
    size_t index = 0;
    if (!ParseIndex(last, &index) || index >= parent->size()) {
      return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, tokens.size()), ": no array element \"",
                                           last, "\" in an array of ", parent->size()));
    }
    Json removed = std::move((*parent)[index]);
    parent->erase(parent->begin() + static_cast<std::ptrdiff_t>(index));
    return removed;
  }
  return errdefs::Invalid(absl::StrCat("path ", PointerPrefix(tokens, tokens.size()), " does not exist"));
}

bool IsProperPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& path) {
  return prefix.size() < path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

absl::StatusOr<std::string> StringMember(const Json& op, const char* name) {
  auto it = op.find(name);
  if (it == op.end()) return errdefs::Invalid(absl::StrCat("operation has no \"", name, "\""));
  if (!it->is_string()) return errdefs::Invalid(absl::StrCat("\"", name, "\" is not a string"));
  return it->get<std::string>();
}

absl::StatusOr<Json> ValueMember(const Json& op) {
  auto it = op.find("value");
  if (it == op.end()) return errdefs::Invalid("operation has no \"value\"");
  return *it;
}

absl::Status ApplyOperation(Json& doc, const Json& op) {
  VK_ASSIGN_OR_RETURN(std::string kind, StringMember(op, "op"));
  VK_ASSIGN_OR_RETURN(std::string path_text, StringMember(op, "path"));
  VK_ASSIGN_OR_RETURN(std::vector<std::string> path, ParsePointer(path_text));
  if (kind == "add") {
    VK_ASSIGN_OR_RETURN(Json value, ValueMember(op));
    return AddAt(doc, path, std::move(value));
  }
  if (kind == "remove") {
    VK_ASSIGN_OR_RETURN(Json removed, RemoveAt(doc, path));
    (void)removed;
    return absl::OkStatus();
  }
  if (kind == "replace") {
    VK_ASSIGN_OR_RETURN(Json value, ValueMember(op));
    VK_ASSIGN_OR_RETURN(Json * target, Walk(doc, path, path.size()));
    *target = std::move(value);
    return absl::OkStatus();
  }
  if (kind == "test") {
    VK_ASSIGN_OR_RETURN(Json value, ValueMember(op));
    VK_ASSIGN_OR_RETURN(Json * target, Walk(doc, path, path.size()));
    if (*target != value) {
      return errdefs::Invalid(
          absl::StrCat("test failed: ", path_text, " is ", Brief(*target), ", not ", Brief(value)));
    }
    return absl::OkStatus();
  }
  if (kind == "move" || kind == "copy") {
    VK_ASSIGN_OR_RETURN(std::string from_text, StringMember(op, "from"));
    VK_ASSIGN_OR_RETURN(std::vector<std::string> from, ParsePointer(from_text));
    if (kind == "copy") {
      VK_ASSIGN_OR_RETURN(Json * source, Walk(doc, from, from.size()));
      Json value = *source;
      return AddAt(doc, path, std::move(value));
    }
    if (IsProperPrefix(from, path)) {
      return errdefs::Invalid(absl::StrCat("cannot move ", from_text, " into its own child ", path_text));
    }
    if (from == path) {
      VK_ASSIGN_OR_RETURN(Json * source, Walk(doc, from, from.size()));
      (void)source;
      return absl::OkStatus();
    }
    VK_ASSIGN_OR_RETURN(Json value, RemoveAt(doc, from));
    return AddAt(doc, path, std::move(value));
  }
  return errdefs::Invalid(absl::StrCat("unknown operation \"", kind, "\""));
}

// ---------------------------------------------------------------------------
// RFC 7386 merge patch
// ---------------------------------------------------------------------------

Json MergeInto(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      target.erase(it.key());
      continue;
    }
    auto existing = target.find(it.key());
    Json base = existing != target.end() ? std::move(*existing) : Json();
    target[it.key()] = MergeInto(std::move(base), *it);
  }
  return target;
}

Json DiffForMerge(const Json& original, const Json& modified) {
  if (!original.is_object() || !modified.is_object()) return modified;
  Json patch = Json::object();
  for (auto it = original.begin(); it != original.end(); ++it) {
    if (!modified.contains(it.key())) patch[it.key()] = nullptr;
  }
  for (auto it = modified.begin(); it != modified.end(); ++it) {
    auto old = original.find(it.key());
    if (old == original.end()) {
      patch[it.key()] = *it;
    } else if (old->is_object() && it->is_object()) {
      Json sub = DiffForMerge(*old, *it);
      if (!sub.empty()) patch[it.key()] = std::move(sub);
    } else if (*old != *it) {
      patch[it.key()] = *it;
    }
  }
  return patch;
}

// ---------------------------------------------------------------------------
// Strategic merge patch: schema
// ---------------------------------------------------------------------------

constexpr std::string_view kMetaV1 = "k8s.io.apimachinery.pkg.apis.meta.v1.";
constexpr std::string_view kCoreV1 = "k8s.io.api.core.v1.";

// The patch strategies of k8s.io/api, transcribed from the struct tags
// `patchStrategy` / `patchMergeKey` of every type reachable from Pod, Node,
// Service, ConfigMap, Secret, Event (core/v1 and events/v1), Lease and
// Namespace. Lists not named here are atomic (replaced whole), which is also
// what upstream does for every list without a tag (tolerations, args,
// command, containerStatuses, taints, images, ...).
struct StrategyRow {
  std::string_view package;  // full-name prefix of the message
  std::string_view message;
  std::string_view field;
  std::string_view strategy;  // "merge", "merge,retainKeys", "retainKeys", "replace"
  std::string_view merge_key;
};

constexpr StrategyRow kStrategies[] = {
    {kMetaV1, "ObjectMeta", "finalizers", "merge", ""},
    {kMetaV1, "ObjectMeta", "ownerReferences", "merge", "uid"},

    {kCoreV1, "PodSpec", "volumes", "merge,retainKeys", "name"},
    {kCoreV1, "PodSpec", "initContainers", "merge", "name"},
    {kCoreV1, "PodSpec", "containers", "merge", "name"},
    {kCoreV1, "PodSpec", "ephemeralContainers", "merge", "name"},
    {kCoreV1, "PodSpec", "imagePullSecrets", "merge", "name"},
    {kCoreV1, "PodSpec", "hostAliases", "merge", "ip"},
    {kCoreV1, "PodSpec", "topologySpreadConstraints", "merge", "topologyKey"},
    {kCoreV1, "PodSpec", "schedulingGates", "merge", "name"},
    {kCoreV1, "PodSpec", "resourceClaims", "merge,retainKeys", "name"},

    {kCoreV1, "Container", "ports", "merge", "containerPort"},
    {kCoreV1, "Container", "env", "merge", "name"},
    {kCoreV1, "Container", "volumeMounts", "merge", "mountPath"},
    {kCoreV1, "Container", "volumeDevices", "merge", "devicePath"},
    {kCoreV1, "EphemeralContainerCommon", "ports", "merge", "containerPort"},
    {kCoreV1, "EphemeralContainerCommon", "env", "merge", "name"},
    {kCoreV1, "EphemeralContainerCommon", "volumeMounts", "merge", "mountPath"},
    {kCoreV1, "EphemeralContainerCommon", "volumeDevices", "merge", "devicePath"},

    {kCoreV1, "PodStatus", "conditions", "merge", "type"},
    {kCoreV1, "PodStatus", "podIPs", "merge", "ip"},
    {kCoreV1, "PodStatus", "hostIPs", "merge", "ip"},
    {kCoreV1, "PodStatus", "resourceClaimStatuses", "merge,retainKeys", "name"},
    {kCoreV1, "ContainerStatus", "volumeMounts", "merge", "mountPath"},
    {kCoreV1, "ContainerStatus", "allocatedResourcesStatus", "merge", "name"},

    {kCoreV1, "NodeSpec", "podCIDRs", "merge", ""},
    {kCoreV1, "NodeStatus", "conditions", "merge", "type"},
    {kCoreV1, "NodeStatus", "addresses", "merge", "type"},

    {kCoreV1, "ServiceSpec", "ports", "merge", "port"},
    {kCoreV1, "ServiceStatus", "conditions", "merge", "type"},

    {kCoreV1, "NamespaceStatus", "conditions", "merge", "type"},
};

// Proto fields whose members JSON writes inline into the enclosing object
// (`json:",inline"` in k8s.io/api); the proto schema does not say so.
struct InlineRow {
  std::string_view package;
  std::string_view message;
  std::string_view field;
};

constexpr InlineRow kInlineFields[] = {
    {kCoreV1, "Volume", "volumeSource"},
    {kCoreV1, "PersistentVolumeSpec", "persistentVolumeSource"},
    {kCoreV1, "Probe", "handler"},
    {kCoreV1, "EphemeralContainer", "ephemeralContainerCommon"},
    {kCoreV1, "ConfigMapKeySelector", "localObjectReference"},
    {kCoreV1, "SecretKeySelector", "localObjectReference"},
    {kCoreV1, "ConfigMapEnvSource", "localObjectReference"},
    {kCoreV1, "SecretEnvSource", "localObjectReference"},
    {kCoreV1, "ConfigMapVolumeSource", "localObjectReference"},
    {kCoreV1, "ConfigMapProjection", "localObjectReference"},
    {kCoreV1, "SecretProjection", "localObjectReference"},
};

// Messages that Kubernetes JSON writes as a scalar or as free-form JSON: their
// proto fields say nothing about the JSON shape.
constexpr std::string_view kOpaqueMessages[] = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
    "k8s.io.apimachinery.pkg.runtime.Unknown",
};

bool NameIs(std::string_view full_name, std::string_view package, std::string_view message) {
  return full_name.size() == package.size() + message.size() && absl::StartsWith(ToAbsl(full_name), ToAbsl(package)) &&
         absl::EndsWith(ToAbsl(full_name), ToAbsl(message));
}

PatchStrategy ParseStrategy(const StrategyRow& row) {
  PatchStrategy out;
  std::string_view rest = row.strategy;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    if (part == "merge") out.merge = true;
    if (part == "retainKeys") out.retain_keys = true;
    if (part == "replace") out.replace = true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  out.merge_key = std::string(row.merge_key);
  return out;
}

bool IsInlineField(const FieldDescriptor* field) {
  if (field->is_repeated() || field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
  const std::string& owner = field->containing_type()->full_name();
  for (const InlineRow& row : kInlineFields) {
    if (field->name() == row.field && NameIs(owner, row.package, row.message)) return true;
  }
  return false;
}

bool IsOpaque(const Descriptor* message) {
  for (std::string_view name : kOpaqueMessages) {
    if (message->full_name() == name) return true;
  }
  return false;
}

// What is known about one JSON value: the message it holds, or that it is a
// map whose members all have one type, or nothing.
class Schema {
 public:
  struct Member;

  Schema() = default;
  static Schema Message(const Descriptor* message) {
    Schema s;
    if (message != nullptr && !IsOpaque(message)) s.message_ = message;
    return s;
  }

  std::string Name() const {
    if (message_ != nullptr) return message_->full_name();
    if (map_value_ != nullptr) return absl::StrCat("map of ", map_value_->full_name());
    return "unknown type";
  }

  // Schema and strategy of member `key` (for a list: of its items).
  Member Lookup(std::string_view key) const;

 private:
  static Schema OfFieldValue(const FieldDescriptor* field) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return Schema();
    if (field->is_map()) {
      Schema s;
      s.map_value_ = field->message_type()->map_value();
      return s;
    }
    return Message(field->message_type());
  }

  // The proto field for JSON member `key` of `message`, looking through inline fields.
  static const FieldDescriptor* FindField(const Descriptor* message, std::string_view key, int depth) {
    const FieldDescriptor* direct = message->FindFieldByName(std::string(key));
    if (direct != nullptr && !IsInlineField(direct)) return direct;
    if (depth > 4) return nullptr;
    for (int i = 0; i < message->field_count(); ++i) {
      const FieldDescriptor* field = message->field(i);
      if (!IsInlineField(field)) continue;
      if (const FieldDescriptor* found = FindField(field->message_type(), key, depth + 1)) return found;
    }
    return nullptr;
  }

  const Descriptor* message_ = nullptr;
  const FieldDescriptor* map_value_ = nullptr;  // value field of a map entry
};

struct Schema::Member {
  Schema schema;
  PatchStrategy strategy;
};

Schema::Member Schema::Lookup(std::string_view key) const {
  if (map_value_ != nullptr) return {OfFieldValue(map_value_), {}};
  if (message_ == nullptr) return {};
  const FieldDescriptor* field = FindField(message_, key, 0);
  if (field == nullptr) return {};
  return {OfFieldValue(field), LookupPatchStrategy(field->containing_type()->full_name(), field->name())};
}

// ---------------------------------------------------------------------------
// Strategic merge patch: helpers shared by apply and create
// ---------------------------------------------------------------------------

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrder = "$setElementOrder";

// Value kinds as Go's reflect sees the decoded JSON: all integers are one
// kind (int64), floats another.
enum class Kind { kNull, kObject, kArray, kString, kInt, kFloat, kBool, kOther };

Kind KindOf(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return Kind::kNull;
    case Json::value_t::object:
      return Kind::kObject;
    case Json::value_t::array:
      return Kind::kArray;
    case Json::value_t::string:
      return Kind::kString;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return Kind::kInt;
    case Json::value_t::number_float:
      return Kind::kFloat;
    case Json::value_t::boolean:
      return Kind::kBool;
    default:
      return Kind::kOther;
  }
}

bool StartsWith(std::string_view s, std::string_view prefix) { return absl::StartsWith(ToAbsl(s), ToAbsl(prefix)); }

// "<prefix>/<key>" -> key.
absl::StatusOr<std::string> ExtractKey(std::string_view s, std::string_view prefix) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || s.substr(0, slash) != prefix) {
    return Malformed(absl::StrCat("invalid directive \"", ToAbsl(s), "\": expected \"", ToAbsl(prefix),
                                  "/<field>\""));
  }
  return std::string(s.substr(slash + 1));
}

// The kind shared by every element of `lists`; errors as upstream's
// sliceElementType (lists of lists, mixed kinds, no elements at all).
absl::StatusOr<Kind> ElementKind(std::initializer_list<const Json*> lists) {
  bool seen = false;
  Kind kind = Kind::kNull;
  for (const Json* list : lists) {
    if (list == nullptr) continue;
    for (const Json& v : *list) {
      Kind k = KindOf(v);
      if (!seen) {
        if (k == Kind::kArray) return errdefs::Invalid("lists of lists are not supported by strategic merge patch");
        kind = k;
        seen = true;
      } else if (k != kind) {
        return Malformed(absl::StrCat("list element types are not identical: ", Brief(*list)));
      }
    }
  }
  if (!seen) return Malformed("no elements in any of the given lists");
  return kind;
}

absl::Status NoMergeKey(const Json& item, const std::string& merge_key) {
  return Malformed(absl::StrCat("map ", Brief(item), " does not contain declared merge key \"", merge_key, "\""));
}

// Whether two list items have the same merge key value, as upstream's index()
// compares them: a missing key, a null key and a non-object item all count as
// null.
bool SameKey(const Json& a, const Json& b, const std::string& merge_key) {
  auto key_of = [&merge_key](const Json& item) -> const Json* {
    if (!item.is_object()) return nullptr;
    auto it = item.find(merge_key);
    return it == item.end() || it->is_null() ? nullptr : &*it;
  };
  const Json* ka = key_of(a);
  const Json* kb = key_of(b);
  if (ka == nullptr || kb == nullptr) return ka == kb;
  return *ka == *kb;
}

// Position of `item` in `list` (by merge key for objects, by value
// otherwise), or -1.
std::ptrdiff_t IndexIn(const std::vector<Json>& list, const Json& item, const std::string& merge_key, Kind kind) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (kind == Kind::kObject) {
      if (SameKey(item, list[i], merge_key)) return static_cast<std::ptrdiff_t>(i);
    } else if (item == list[i]) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

// Index of the first object in `list` whose `merge_key` equals `value`; every
// element must be an object.
absl::StatusOr<std::ptrdiff_t> FindByKey(const std::vector<Json>& list, const std::string& merge_key,
                                         const Json& value) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) return Malformed(absl::StrCat("list element ", i, " is not an object"));
    auto it = list[i].find(merge_key);
    if (it != list[i].end() && *it == value) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

std::vector<Json> ToVector(const Json& list) {
  std::vector<Json> out;
  if (list.is_array()) out.assign(list.begin(), list.end());
  return out;
}

Json ToArray(std::vector<Json> items) {
  Json out = Json::array();
  for (Json& v : items) out.push_back(std::move(v));
  return out;
}

// Go's fmt "%v" of a decoded JSON scalar, which upstream sorts by.
std::string ScalarString(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "<nil>";
  return v.dump();
}

// Upstream's normalizeSliceOrder: items sorted by their position in `order`
// (stable); for lists of objects every item and every element of `order` must
// carry the merge key, and items that are "$patch: delete" go last.
absl::StatusOr<std::vector<Json>> SortByOrder(std::vector<Json> items, const std::vector<Json>& order,
                                              const std::string& merge_key, Kind kind) {
  std::vector<Json> deletions;
  if (kind == Kind::kObject) {
    for (const std::vector<Json>* list : std::initializer_list<const std::vector<Json>*>{&items, &order}) {
      for (const Json& v : *list) {
        if (!v.is_object()) return Malformed(absl::StrCat("list element ", Brief(v), " is not an object"));
        if (!v.contains(merge_key)) return NoMergeKey(v, merge_key);
      }
    }
    std::vector<Json> kept;
    for (Json& v : items) {
      auto d = v.find(kDirective);
      if (d != v.end() && *d == "delete") {
        deletions.push_back(std::move(v));
      } else {
        kept.push_back(std::move(v));
      }
    }
    items = std::move(kept);
  }
  // Items missing from `order` keep their relative order after the others
  // (upstream never sorts such items; this only makes the order well defined).
  std::vector<std::pair<size_t, size_t>> keys;  // (position in order, original position)
  for (size_t i = 0; i < items.size(); ++i) {
    std::ptrdiff_t pos = IndexIn(order, items[i], merge_key, kind);
    keys.emplace_back(pos < 0 ? std::numeric_limits<size_t>::max() : static_cast<size_t>(pos), i);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Json> out;
  out.reserve(items.size() + deletions.size());
  for (const auto& [pos, i] : keys) out.push_back(std::move(items[i]));
  for (Json& v : deletions) out.push_back(std::move(v));
  return out;
}

// Upstream's mergeSortedSlice: interleaves the server-only items (`left`) with
// the patch items (`right`), keeping each list's order; a server-only item goes
// first only when both items appear in `server_order` and it comes earlier.
std::vector<Json> InterleaveByServerOrder(std::vector<Json> left, std::vector<Json> right,
                                          const std::vector<Json>& server_order, const std::string& merge_key,
                                          Kind kind) {
  std::vector<Json> out;
  out.reserve(left.size() + right.size());
  size_t i = 0;
  size_t j = 0;
  while (i < left.size() || j < right.size()) {
    if (i >= left.size()) {
      out.push_back(std::move(right[j++]));
    } else if (j >= right.size()) {
      out.push_back(std::move(left[i++]));
    } else {
      std::ptrdiff_t li = IndexIn(server_order, left[i], merge_key, kind);
      std::ptrdiff_t ri = IndexIn(server_order, right[j], merge_key, kind);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move(left[i++]));
      } else {
        out.push_back(std::move(right[j++]));
      }
    }
  }
  return out;
}

// Upstream's normalizeElementOrder.
absl::StatusOr<std::vector<Json>> NormalizeOrder(std::vector<Json> patch_items, std::vector<Json> server_only,
                                                 const std::vector<Json>& patch_order,
                                                 const std::vector<Json>& server_order, const std::string& merge_key,
                                                 Kind kind) {
  VK_ASSIGN_OR_RETURN(patch_items, SortByOrder(std::move(patch_items), patch_order, merge_key, kind));
  VK_ASSIGN_OR_RETURN(server_only, SortByOrder(std::move(server_only), server_order, merge_key, kind));
  return InterleaveByServerOrder(std::move(server_only), std::move(patch_items), server_order, merge_key, kind);
}

// Splits `merged` into the items named by `by` and the rest (upstream's
// partitionMapsByPresentInList / partitionPrimitivesByPresentInList).
absl::Status Partition(std::vector<Json> merged, const std::vector<Json>& by, const std::string& merge_key,
                       std::vector<Json>* named, std::vector<Json>* rest) {
  for (Json& item : merged) {
    bool found = false;
    if (merge_key.empty()) {
      if (item.is_structured()) {
        return Malformed(absl::StrCat("list element ", Brief(item), " of a list merged without key is not a scalar"));
      }
      found = std::find(by.begin(), by.end(), item) != by.end();
    } else {
      if (!item.is_object()) return Malformed(absl::StrCat("list element ", Brief(item), " is not an object"));
      auto key = item.find(merge_key);
      if (key == item.end()) return NoMergeKey(item, merge_key);
      VK_ASSIGN_OR_RETURN(std::ptrdiff_t pos, FindByKey(by, merge_key, *key));
      found = pos >= 0;
    }
    (found ? named : rest)->push_back(std::move(item));
  }
  return absl::OkStatus();
}

// Upstream's removeDirectives: drops every object carrying "$patch" (and the
// member or list element holding it). Returns false when `v` itself is one.
bool RemoveDirectives(Json& v) {
  if (v.is_object()) {
    if (v.contains(kDirective)) return false;
    for (auto it = v.begin(); it != v.end();) {
      if (RemoveDirectives(*it)) {
        ++it;
      } else {
        it = v.erase(it);
      }
    }
    return true;
  }
  if (v.is_array()) {
    Json kept = Json::array();
    for (Json& e : v) {
      if (RemoveDirectives(e)) kept.push_back(std::move(e));
    }
    v = std::move(kept);
  }
  return true;
}

// Upstream's discardNullValuesFromPatch: nulls in objects mean "delete", which
// means nothing where there is nothing to delete from.
void DiscardNulls(Json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (it->is_null()) {
        it = v.erase(it);
      } else {
        DiscardNulls(*it);
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (Json& e : v) DiscardNulls(e);
  }
}

// ---------------------------------------------------------------------------
// Strategic merge patch: apply (upstream StrategicMergeMapPatch, server side)
// ---------------------------------------------------------------------------

absl::Status MergeMap(Json& original, Json patch, const Schema& schema);

struct MergedList {
  std::vector<Json> items;
  // The original list as upstream's $setElementOrder code sees it after the
  // merge: kube-apiserver's merge shifts deleted items out of the original
  // slice in place and appends new items into the freed capacity, so the
  // survivors followed by the first new items (as many as were deleted) serve
  // as the "server order" there.
  std::vector<Json> server_view;
};

// Upstream's mergeSlice for a list with merge strategy (or a
// $deleteFromPrimitiveList list).
absl::StatusOr<MergedList> MergeList(const Json& original_list, const Json& patch_list, const Schema::Member& field,
                                     bool is_delete_list) {
  std::vector<Json> original = ToVector(original_list);
  std::vector<Json> patch = ToVector(patch_list);
  MergedList out;
  if (original.empty() && patch.empty()) {
    out.server_view = original;
    out.items = std::move(original);
    return out;
  }
  VK_ASSIGN_OR_RETURN(Kind kind, ElementKind({&original_list, &patch_list}));
  const std::string& merge_key = field.strategy.merge_key;

  if (kind != Kind::kObject) {
    out.server_view = original;
    if (is_delete_list) {
      for (const Json& v : original) {
        if (std::find(patch.begin(), patch.end(), v) == patch.end()) out.items.push_back(v);
      }
      return out;
    }
    std::vector<Json> merged;
    for (const std::vector<Json>* list : {&original, &patch}) {
      for (const Json& v : *list) {
        if (std::find(merged.begin(), merged.end(), v) == merged.end()) merged.push_back(v);
      }
    }
    std::vector<Json> named;
    std::vector<Json> rest;
    VK_RETURN_IF_ERROR(Partition(std::move(merged), patch, "", &named, &rest));
    VK_ASSIGN_OR_RETURN(out.items, NormalizeOrder(std::move(named), std::move(rest), patch, original, "", kind));
    return out;
  }

  if (merge_key.empty()) {
    return Malformed(absl::StrCat("cannot merge lists of objects without a merge key (", field.schema.Name(), ")"));
  }

  // Directive items first: deletions by key, or replace-the-whole-list.
  std::vector<Json> remaining = std::move(original);
  std::vector<Json> plain;
  bool replace = false;
  size_t deleted = 0;
  for (Json& item : patch) {
    auto directive = item.find(kDirective);
    if (directive == item.end()) {
      plain.push_back(std::move(item));
      continue;
    }
    if (*directive == "delete") {
      auto key = item.find(merge_key);
      if (key == item.end()) return NoMergeKey(item, merge_key);
      std::vector<Json> kept;
      for (Json& v : remaining) {
        if (!v.is_object()) return Malformed(absl::StrCat("list element ", Brief(v), " is not an object"));
        auto k = v.find(merge_key);
        if (k != v.end() && *k == *key) {
          ++deleted;
        } else {
          kept.push_back(std::move(v));
        }
      }
      remaining = std::move(kept);
    } else if (*directive == "replace") {
      replace = true;
    } else if (*directive == "merge") {
      return Malformed("merging lists cannot yet be specified in the patch");
    } else {
      return Malformed(absl::StrCat("unknown patch type ", Brief(*directive), " in list item ", Brief(item)));
    }
  }
  if (replace) {
    out.server_view = std::move(remaining);
    out.items = std::move(plain);
    return out;
  }

  std::vector<Json> merged = remaining;
  std::vector<Json> appended;
  for (const Json& item : plain) {
    auto key = item.find(merge_key);
    if (key == item.end()) return NoMergeKey(item, merge_key);
    VK_ASSIGN_OR_RETURN(std::ptrdiff_t pos, FindByKey(merged, merge_key, *key));
    if (pos >= 0) {
      VK_RETURN_IF_ERROR(MergeMap(merged[static_cast<size_t>(pos)], item, field.schema));
    } else {
      merged.push_back(item);
      appended.push_back(item);
    }
  }
  out.server_view = remaining;
  for (size_t i = 0; i < appended.size() && i < deleted; ++i) out.server_view.push_back(appended[i]);

  std::vector<Json> named;
  std::vector<Json> rest;
  VK_RETURN_IF_ERROR(Partition(std::move(merged), plain, merge_key, &named, &rest));
  VK_ASSIGN_OR_RETURN(out.items,
                      NormalizeOrder(std::move(named), std::move(rest), plain, remaining, merge_key, kind));
  return out;
}

absl::StatusOr<bool> MergeKeyValueEqual(const Json& left, const Json& right, const std::string& merge_key) {
  if (merge_key.empty()) return left == right;
  if (!left.is_object()) return Malformed(absl::StrCat("list element ", Brief(left), " is not an object"));
  if (!right.is_object()) return Malformed(absl::StrCat("list element ", Brief(right), " is not an object"));
  auto l = left.find(merge_key);
  if (l == left.end()) return NoMergeKey(left, merge_key);
  auto r = right.find(merge_key);
  if (r == right.end()) return NoMergeKey(right, merge_key);
  return *l == *r;
}

// Upstream's validatePatchWithSetOrderList: the (non-deleting) items of the
// patch list must appear in $setElementOrder, in the same relative order.
absl::Status ValidateElementOrder(const std::vector<Json>& patch_list, const std::vector<Json>& order,
                                  const std::string& merge_key, std::string_view list_name) {
  if (order.empty() || patch_list.empty()) return absl::OkStatus();
  std::vector<const Json*> items;
  for (const Json& v : patch_list) {
    if (!merge_key.empty()) {
      if (!v.is_object()) return Malformed(absl::StrCat("list element ", Brief(v), " is not an object"));
      auto d = v.find(kDirective);
      if (d != v.end() && *d == "delete") continue;
    }
    items.push_back(&v);
  }
  size_t pi = 0;
  size_t si = 0;
  while (pi < items.size() && si < order.size()) {
    if (items[pi]->is_object() && items[pi]->contains(kDirective)) {
      ++pi;
      continue;
    }
    VK_ASSIGN_OR_RETURN(bool equal, MergeKeyValueEqual(*items[pi], order[si], merge_key));
    if (equal) ++pi;
    ++si;
  }
  if (pi < items.size()) {
    return Malformed(absl::StrCat("the order of the list \"", ToAbsl(list_name), "\" in the patch doesn't match its ",
                                  ToAbsl(kSetElementOrder), " list"));
  }
  return absl::OkStatus();
}

// Upstream's mergePatchIntoOriginal: merges each list named by a
// $setElementOrder/<list> directive and puts it in that order.
absl::Status ApplyElementOrders(Json& original, Json& patch, const Schema& schema) {
  std::vector<std::string> directives;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (StartsWith(it.key(), kSetElementOrder)) directives.push_back(it.key());
  }
  for (const std::string& directive : directives) {
    Json order_json = std::move(patch[directive]);
    patch.erase(directive);
    if (!order_json.is_array()) return Malformed(absl::StrCat(directive, " must be a list"));
    std::vector<Json> order = ToVector(order_json);
    VK_ASSIGN_OR_RETURN(std::string list_key, ExtractKey(directive, kSetElementOrder));

    auto original_it = original.find(list_key);
    auto patch_it = patch.find(list_key);
    const bool in_original = original_it != original.end();
    const bool in_patch = patch_it != patch.end();
    if (in_original && !original_it->is_array()) {
      return Malformed(absl::StrCat("\"", list_key, "\" named by ", directive, " is not a list"));
    }
    if (in_patch && !patch_it->is_array()) {
      return Malformed(absl::StrCat("\"", list_key, "\" named by ", directive, " is not a list in the patch"));
    }
    Json original_list = in_original ? *original_it : Json::array();
    Json patch_list = in_patch ? *patch_it : Json::array();

    Schema::Member field = schema.Lookup(list_key);
    // A list without merge strategy is replaced by the patch; ordering it by
    // key makes no sense for objects (upstream crashes on it).
    const std::string merge_key = field.strategy.merge ? field.strategy.merge_key : std::string();
    VK_RETURN_IF_ERROR(ValidateElementOrder(ToVector(patch_list), order, merge_key, list_key));
    if (!in_original && !in_patch) continue;

    std::vector<Json> merged;
    std::vector<Json> server_view;
    if (in_original && !in_patch) {
      merged = ToVector(original_list);
      server_view = merged;
    } else if (!in_original) {
      Json cleaned = patch_list;
      RemoveDirectives(cleaned);
      merged = ToVector(cleaned);
    } else if (field.strategy.merge) {
      VK_ASSIGN_OR_RETURN(MergedList m, MergeList(original_list, patch_list, field, false));
      merged = std::move(m.items);
      server_view = std::move(m.server_view);
    } else {
      merged = ToVector(patch_list);
      server_view = ToVector(original_list);
    }

    std::vector<Json> named;
    std::vector<Json> rest;
    VK_RETURN_IF_ERROR(Partition(std::move(merged), order, merge_key, &named, &rest));
    VK_ASSIGN_OR_RETURN(Kind kind, ElementKind({&original_list, &patch_list}));
    VK_ASSIGN_OR_RETURN(std::vector<Json> both,
                        NormalizeOrder(std::move(named), std::move(rest), order, server_view, merge_key, kind));
    original[list_key] = ToArray(std::move(both));
    patch.erase(list_key);
  }
  return absl::OkStatus();
}

// Upstream's applyRetainKeysDirective (server side).
absl::Status ApplyRetainKeys(Json& original, Json& patch) {
  auto it = patch.find(kRetainKeys);
  if (it == patch.end()) return absl::OkStatus();
  Json keys = std::move(*it);
  patch.erase(it);
  if (!keys.is_array()) return Malformed("$retainKeys must be a list of field names");
  std::set<std::string> retained;
  for (const Json& k : keys) {
    if (k.is_string()) retained.insert(k.get<std::string>());
  }
  for (auto p = patch.begin(); p != patch.end(); ++p) {
    if (p->is_null() || StartsWith(p.key(), kDeleteFromPrimitiveList) || StartsWith(p.key(), kSetElementOrder)) {
      continue;
    }
    if (retained.count(p.key()) == 0) {
      return Malformed(absl::StrCat("the patch sets \"", p.key(), "\", which its $retainKeys list does not name"));
    }
  }
  for (auto o = original.begin(); o != original.end();) {
    if (retained.count(o.key()) == 0) {
      o = original.erase(o);
    } else {
      ++o;
    }
  }
  return absl::OkStatus();
}

// Upstream's mergeMap with MergeParallelList and IgnoreUnmatchedNulls, as the
// API server calls it. `original` is replaced by the result.
absl::Status MergeMap(Json& original, Json patch, const Schema& schema) {
  if (auto directive = patch.find(kDirective); directive != patch.end()) {
    if (*directive == "replace") {
      patch.erase(directive);
      original = std::move(patch);
      return absl::OkStatus();
    }
    if (*directive == "delete") {
      original = Json::object();
      return absl::OkStatus();
    }
    return Malformed(absl::StrCat("unknown patch type ", Brief(*directive), " in map ", Brief(patch)));
  }
  if (!original.is_object()) original = Json::object();

  VK_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
  VK_RETURN_IF_ERROR(ApplyElementOrders(original, patch, schema));

  for (auto it = patch.begin(); it != patch.end(); ++it) {
    std::string key = it.key();
    Json& value = *it;
    bool is_delete_list = false;
    if (StartsWith(key, kDeleteFromPrimitiveList)) {
      VK_ASSIGN_OR_RETURN(key, ExtractKey(key, kDeleteFromPrimitiveList));
      is_delete_list = true;
    }
    if (value.is_null()) {
      original.erase(key);
      continue;
    }
    auto existing = original.find(key);
    if (existing == original.end() || KindOf(*existing) != KindOf(value)) {
      if (!is_delete_list) {
        DiscardNulls(value);
        if (RemoveDirectives(value)) {
          original[key] = std::move(value);
        } else {
          original.erase(key);
        }
      }
      continue;
    }
    Schema::Member field = schema.Lookup(key);
    if (value.is_object()) {
      if (field.strategy.replace) {
        *existing = std::move(value);
      } else {
        VK_RETURN_IF_ERROR(MergeMap(*existing, std::move(value), field.schema));
      }
    } else if (value.is_array()) {
      if (field.strategy.merge || is_delete_list) {
        VK_ASSIGN_OR_RETURN(MergedList merged, MergeList(*existing, value, field, is_delete_list));
        *existing = ToArray(std::move(merged.items));
      } else {
        *existing = std::move(value);
      }
    } else {
      *existing = std::move(value);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Strategic merge patch: create (upstream CreateTwoWayMergePatch)
// ---------------------------------------------------------------------------

void SortScalars(std::vector<Json>& values) {
  std::stable_sort(values.begin(), values.end(),
                   [](const Json& a, const Json& b) { return ScalarString(a) < ScalarString(b); });
}

bool HasAdditionalNewField(const Json& original, const Json& modified) {
  for (auto it = original.begin(); it != original.end(); ++it) {
    if (!it->is_null() && !modified.contains(it.key())) return true;
  }
  return false;
}

absl::StatusOr<Json> DiffMaps(const Json& original, const Json& modified, const Schema& schema,
                              bool build_retain_keys);

struct ListDiff {
  std::vector<Json> patch;      // changed and added items, then deletion directives
  std::vector<Json> deletions;  // $deleteFromPrimitiveList
  std::vector<Json> order;      // $setElementOrder
};

absl::StatusOr<std::vector<Json>> SortedByKey(const Json& list, const std::string& merge_key) {
  std::vector<Json> out;
  for (const Json& v : list) {
    if (!v.is_object()) return Malformed(absl::StrCat("list element ", Brief(v), " is not an object"));
    if (!v.contains(merge_key)) return NoMergeKey(v, merge_key);
    out.push_back(v);
  }
  std::stable_sort(out.begin(), out.end(), [&merge_key](const Json& a, const Json& b) {
    return ScalarString(a.at(merge_key)) < ScalarString(b.at(merge_key));
  });
  return out;
}

absl::StatusOr<ListDiff> DiffListsOfMaps(const Json& original, const Json& modified, const Schema& item_schema,
                                         const std::string& merge_key, bool build_retain_keys) {
  VK_ASSIGN_OR_RETURN(std::vector<Json> old_items, SortedByKey(original, merge_key));
  VK_ASSIGN_OR_RETURN(std::vector<Json> new_items, SortedByKey(modified, merge_key));
  ListDiff out;
  std::vector<Json> deletions;
  size_t i = 0;
  size_t j = 0;
  while (i < old_items.size() || j < new_items.size()) {
    const bool has_old = i < old_items.size();
    const bool has_new = j < new_items.size();
    std::string old_key = has_old ? ScalarString(old_items[i].at(merge_key)) : std::string();
    std::string new_key = has_new ? ScalarString(new_items[j].at(merge_key)) : std::string();
    if (has_old && has_new && old_key == new_key) {
      VK_ASSIGN_OR_RETURN(Json item, DiffMaps(old_items[i], new_items[j], item_schema, build_retain_keys));
      if (!item.empty()) {
        item[merge_key] = new_items[j].at(merge_key);
        out.patch.push_back(std::move(item));
      }
      ++i;
      ++j;
    } else if (!has_old || (has_new && old_key > new_key)) {
      out.patch.push_back(new_items[j]);
      ++j;
    } else {
      Json directive = Json::object();
      directive[merge_key] = old_items[i].at(merge_key);
      directive[kDirective] = "delete";
      deletions.push_back(std::move(directive));
      ++i;
    }
  }
  out.deletions = std::move(deletions);  // moved into `patch` by the caller
  return out;
}

absl::StatusOr<bool> IsOrderSame(const Json& original, const Json& modified, const std::string& merge_key) {
  if (original.size() != modified.size()) return false;
  for (size_t i = 0; i < modified.size(); ++i) {
    VK_ASSIGN_OR_RETURN(bool equal, MergeKeyValueEqual(original[i], modified[i], merge_key));
    if (!equal) return false;
  }
  return true;
}

// Upstream's diffListsOfScalars: additions and deletions of a primitive set.
void DiffListsOfScalars(const Json& original, const Json& modified, std::vector<Json>* additions,
                        std::vector<Json>* deletions) {
  std::vector<Json> old_items = ToVector(original);
  std::vector<Json> new_items = ToVector(modified);
  SortScalars(old_items);
  SortScalars(new_items);
  size_t i = 0;
  size_t j = 0;
  while (i < old_items.size() || j < new_items.size()) {
    const bool has_old = i < old_items.size();
    const bool has_new = j < new_items.size();
    std::string old_s = has_old ? ScalarString(old_items[i]) : std::string();
    std::string new_s = has_new ? ScalarString(new_items[j]) : std::string();
    if (has_old && has_new && old_s == new_s) {
      ++i;
      ++j;
    } else if (!has_old || (has_new && old_s > new_s)) {
      additions->push_back(new_items[j++]);
    } else {
      const Json& gone = old_items[i++];
      if (std::find(deletions->begin(), deletions->end(), gone) == deletions->end()) deletions->push_back(gone);
    }
  }
}

absl::StatusOr<ListDiff> DiffLists(const Json& original, const Json& modified, const Schema& item_schema,
                                   const std::string& merge_key, bool build_retain_keys) {
  ListDiff out;
  if (original.empty()) {
    if (!modified.empty()) out.patch = ToVector(modified);
    return out;
  }
  VK_ASSIGN_OR_RETURN(Kind kind, ElementKind({&original, &modified}));
  std::vector<Json> modified_items = ToVector(modified);
  if (kind == Kind::kObject) {
    VK_ASSIGN_OR_RETURN(ListDiff maps, DiffListsOfMaps(original, modified, item_schema, merge_key, build_retain_keys));
    VK_ASSIGN_OR_RETURN(out.patch, SortByOrder(std::move(maps.patch), modified_items, merge_key, kind));
    VK_ASSIGN_OR_RETURN(bool same_order, IsOrderSame(original, modified, merge_key));
    for (Json& d : maps.deletions) out.patch.push_back(std::move(d));
    if (!out.patch.empty() || !same_order) {
      for (const Json& v : modified_items) {
        Json entry = Json::object();
        entry[merge_key] = v.at(merge_key);
        out.order.push_back(std::move(entry));
      }
    }
    return out;
  }
  std::vector<Json> additions;
  DiffListsOfScalars(original, modified, &additions, &out.deletions);
  VK_ASSIGN_OR_RETURN(out.patch, SortByOrder(std::move(additions), modified_items, "", kind));
  if (!out.deletions.empty() || original != modified) out.order = std::move(modified_items);
  return out;
}

// Upstream's diffMaps with SetElementOrder (two-way patch).
absl::StatusOr<Json> DiffMaps(const Json& original, const Json& modified, const Schema& schema,
                              bool build_retain_keys) {
  Json patch = Json::object();
  std::vector<Json> retained;
  for (auto it = modified.begin(); it != modified.end(); ++it) {
    const std::string& key = it.key();
    const Json& new_value = *it;
    if (build_retain_keys && !new_value.is_null()) retained.emplace_back(key);
    auto old = original.find(key);
    if (old == original.end()) {
      patch[key] = new_value;
      continue;
    }
    if (key == kDirective) {
      if (!old->is_string() || !new_value.is_string()) {
        return Malformed(absl::StrCat("invalid value for ", ToAbsl(kDirective)));
      }
      if (*old != new_value) patch[key] = new_value;
      continue;
    }
    if (KindOf(*old) != KindOf(new_value)) {
      patch[key] = new_value;
      continue;
    }
    if (new_value.is_object()) {
      Schema::Member field = schema.Lookup(key);
      if (field.strategy.replace) {
        patch[key] = new_value;
      } else {
        VK_ASSIGN_OR_RETURN(Json sub, DiffMaps(*old, new_value, field.schema, field.strategy.retain_keys));
        if (!sub.empty()) patch[key] = std::move(sub);
      }
    } else if (new_value.is_array()) {
      Schema::Member field = schema.Lookup(key);
      if (field.strategy.merge) {
        VK_ASSIGN_OR_RETURN(ListDiff diff, DiffLists(*old, new_value, field.schema, field.strategy.merge_key,
                                                     field.strategy.retain_keys));
        if (!diff.patch.empty()) patch[key] = ToArray(std::move(diff.patch));
        if (!diff.deletions.empty()) {
          patch[absl::StrCat(ToAbsl(kDeleteFromPrimitiveList), "/", key)] = ToArray(std::move(diff.deletions));
        }
        if (!diff.order.empty()) {
          patch[absl::StrCat(ToAbsl(kSetElementOrder), "/", key)] = ToArray(std::move(diff.order));
        }
      } else if (*old != new_value) {
        patch[key] = new_value;
      }
    } else if (*old != new_value) {
      patch[key] = new_value;
    }
  }
  for (auto it = original.begin(); it != original.end(); ++it) {
    if (!modified.contains(it.key())) patch[it.key()] = nullptr;
  }
  if (!retained.empty() && (!patch.empty() || HasAdditionalNewField(original, modified))) {
    SortScalars(retained);
    patch[kRetainKeys] = ToArray(std::move(retained));
  }
  return patch;
}

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

absl::StatusOr<PatchType> PatchTypeFromContentType(std::string_view content_type) {
  std::string media(content_type.substr(0, content_type.find(';')));
  media = std::string(absl::StripAsciiWhitespace(media));
  absl::AsciiStrToLower(&media);
  if (media == "application/json-patch+json") return PatchType::kJsonPatch;
  if (media == "application/merge-patch+json") return PatchType::kMergePatch;
  if (media == "application/strategic-merge-patch+json") return PatchType::kStrategicMergePatch;
  if (media == "application/apply-patch+yaml") return PatchType::kApplyPatch;
  return errdefs::InvalidInput(absl::StrCat("unsupported patch content type \"", ToAbsl(content_type), "\""));
}

std::string_view ContentTypeOf(PatchType type) {
  switch (type) {
    case PatchType::kJsonPatch:
      return "application/json-patch+json";
    case PatchType::kMergePatch:
      return "application/merge-patch+json";
    case PatchType::kStrategicMergePatch:
      return "application/strategic-merge-patch+json";
    case PatchType::kApplyPatch:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

absl::StatusOr<Json> ApplyJsonPatch(const Json& doc, const Json& patch) {
  if (!patch.is_array()) return Malformed("a JSON patch must be a JSON array of operations");
  for (const Json& op : patch) {
    if (!op.is_object()) return Malformed(absl::StrCat("JSON patch operation ", Brief(op), " is not an object"));
  }
  VK_RETURN_IF_ERROR(CheckDepth(doc, "the document"));
  VK_RETURN_IF_ERROR(CheckDepth(patch, "the patch"));
  try {
    Json result = doc;
    for (size_t i = 0; i < patch.size(); ++i) {
      absl::Status s = ApplyOperation(result, patch[i]);
      if (!s.ok()) return errdefs::Annotate(s, absl::StrCat("JSON patch operation ", i));
    }
    return result;
  } catch (const std::exception& e) {
    return errdefs::Internal(absl::StrCat("applying JSON patch: ", e.what()));
  }
}

absl::StatusOr<Json> ApplyMergePatch(const Json& doc, const Json& patch) {
  VK_RETURN_IF_ERROR(CheckDepth(doc, "the document"));
  VK_RETURN_IF_ERROR(CheckDepth(patch, "the patch"));
  try {
    return MergeInto(doc, patch);
  } catch (const std::exception& e) {
    return errdefs::Internal(absl::StrCat("applying merge patch: ", e.what()));
  }
}

Json CreateMergePatch(const Json& original, const Json& modified) { return DiffForMerge(original, modified); }

absl::StatusOr<Json> ApplyStrategicMergePatch(const Json& doc, const Json& patch, const Descriptor* type) {
  if (!patch.is_object()) return Malformed("a strategic merge patch must be a JSON object");
  VK_RETURN_IF_ERROR(CheckDepth(doc, "the document"));
  VK_RETURN_IF_ERROR(CheckDepth(patch, "the patch"));
  if (!doc.is_object() && !doc.is_null()) return Malformed("a strategic merge patch applies to a JSON object");
  try {
    Json result = doc.is_object() ? doc : Json::object();
    VK_RETURN_IF_ERROR(MergeMap(result, patch, Schema::Message(type)));
    return result;
  } catch (const std::exception& e) {
    return errdefs::Internal(absl::StrCat("applying strategic merge patch: ", e.what()));
  }
}

absl::StatusOr<Json> CreateStrategicMergePatch(const Json& original, const Json& modified, const Descriptor* type) {
  if (!original.is_object() || !modified.is_object()) {
    return Malformed("strategic merge patches are made between two JSON objects");
  }
  VK_RETURN_IF_ERROR(CheckDepth(original, "the original document"));
  VK_RETURN_IF_ERROR(CheckDepth(modified, "the modified document"));
  try {
    return DiffMaps(original, modified, Schema::Message(type), false);
  } catch (const std::exception& e) {
    return errdefs::Internal(absl::StrCat("creating strategic merge patch: ", e.what()));
  }
}

absl::StatusOr<Json> ApplyPatch(PatchType patch_type, const Json& doc, std::string_view body,
                                const Descriptor* type) {
  if (patch_type == PatchType::kApplyPatch) {
    return errdefs::Unimplemented("server-side apply (application/apply-patch+yaml) is not supported");
  }
  Json patch = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (patch.is_discarded()) return errdefs::InvalidInput("the patch body is not valid JSON");
  switch (patch_type) {
    case PatchType::kJsonPatch:
      return ApplyJsonPatch(doc, patch);
    case PatchType::kMergePatch:
      return ApplyMergePatch(doc, patch);
    case PatchType::kStrategicMergePatch:
      return ApplyStrategicMergePatch(doc, patch, type);
    case PatchType::kApplyPatch:
      break;
  }
  return errdefs::Unimplemented("unsupported patch type");
}

PatchStrategy LookupPatchStrategy(std::string_view message_full_name, std::string_view field) {
  for (const StrategyRow& row : kStrategies) {
    if (row.field == field && NameIs(message_full_name, row.package, row.message)) return ParseStrategy(row);
  }
  return {};
}

std::vector<std::pair<std::string, std::string>> PatchStrategyFields() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const StrategyRow& row : kStrategies) {
    out.emplace_back(absl::StrCat(ToAbsl(row.package), ToAbsl(row.message)), std::string(row.field));
  }
  return out;
}

}  // namespace vkubelet::internal

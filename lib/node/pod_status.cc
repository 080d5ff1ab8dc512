// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/pod_status.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/util/message_differencer.h"
#include "kube/patch.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/node/event_reasons.h"

namespace vkubelet::node::internal {

bool IsKubeletCondition(std::string_view type) {
  return type == "Ready" || type == "ContainersReady" || type == "Initialized" ||
         type == "PodReadyToStartContainers";
}

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsSet(const Message& m, const Reflection* refl, const FieldDescriptor* field) {
  return field->is_repeated() ? refl->FieldSize(m, field) > 0 : refl->HasField(m, field);
}

// Copies one field of `from` into `to` (same message type), where `to` does
// not have it yet.
void CopyField(const Message& from, Message* to, const FieldDescriptor* field) {
  const Reflection* refl = from.GetReflection();
  if (field->is_repeated()) {
    const int n = refl->FieldSize(from, field);
    for (int j = 0; j < n; ++j) {
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_MESSAGE:
          refl->AddMessage(to, field)->CopyFrom(refl->GetRepeatedMessage(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_STRING:
          refl->AddString(to, field, refl->GetRepeatedString(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          refl->AddInt64(to, field, refl->GetRepeatedInt64(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_INT32:
          refl->AddInt32(to, field, refl->GetRepeatedInt32(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          refl->AddUInt64(to, field, refl->GetRepeatedUInt64(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          refl->AddUInt32(to, field, refl->GetRepeatedUInt32(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          refl->AddBool(to, field, refl->GetRepeatedBool(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE:
          refl->AddDouble(to, field, refl->GetRepeatedDouble(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_FLOAT:
          refl->AddFloat(to, field, refl->GetRepeatedFloat(from, field, j));
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          refl->AddEnumValue(to, field, refl->GetRepeatedEnumValue(from, field, j));
          break;
      }
    }
    return;
  }
  if (!refl->HasField(from, field)) return;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      refl->MutableMessage(to, field)->CopyFrom(refl->GetMessage(from, field));
      break;
    case FieldDescriptor::CPPTYPE_STRING:
      refl->SetString(to, field, refl->GetString(from, field));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      refl->SetInt64(to, field, refl->GetInt64(from, field));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      refl->SetInt32(to, field, refl->GetInt32(from, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      refl->SetUInt64(to, field, refl->GetUInt64(from, field));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      refl->SetUInt32(to, field, refl->GetUInt32(from, field));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      refl->SetBool(to, field, refl->GetBool(from, field));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      refl->SetDouble(to, field, refl->GetDouble(from, field));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      refl->SetFloat(to, field, refl->GetFloat(from, field));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      refl->SetEnumValue(to, field, refl->GetEnumValue(from, field));
      break;
  }
}

void DeterministicInto(const Message& m, std::string* out) {
  out->clear();
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
}

// The comparison the API server's view calls for: unset and default values
// are the same (Go structs omit empty fields), lists compare in order.
class StatusComparer {
 public:
  StatusComparer() {
    differ_.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
    differ_.set_repeated_field_comparison(google::protobuf::util::MessageDifferencer::AS_LIST);
  }

  // True when `field` is the same in `a` and `b` under that comparison.
  // Exactly MessageDifferencer's answer for the field, which decides every
  // case not settled by cheaper checks: scalars by value, a list by its
  // length, both sides empty, or messages serializing to the same bytes
  // (the common case of an unchanged status).
  bool FieldEqual(const Message& a, const Message& b, const FieldDescriptor* field) {
    const Reflection* refl = a.GetReflection();
    if (field->is_repeated()) {
      const int n = refl->FieldSize(a, field);
      if (n != refl->FieldSize(b, field)) return false;
      if (n == 0) return true;
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()) {
        // In order, element by element, as the differencer compares lists.
        for (int i = 0; i < n; ++i) {
          if (!MessageEqual(refl->GetRepeatedMessage(a, field, i), refl->GetRepeatedMessage(b, field, i))) {
            return false;
          }
        }
        return true;
      }
      return differ_.CompareWithFields(a, b, {field}, {field});
    }
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE:
        if (!refl->HasField(a, field) && !refl->HasField(b, field)) return true;
        return MessageEqual(refl->GetMessage(a, field), refl->GetMessage(b, field));
      case FieldDescriptor::CPPTYPE_STRING:
        return refl->GetString(a, field) == refl->GetString(b, field);
      case FieldDescriptor::CPPTYPE_INT64:
        return refl->GetInt64(a, field) == refl->GetInt64(b, field);
      case FieldDescriptor::CPPTYPE_INT32:
        return refl->GetInt32(a, field) == refl->GetInt32(b, field);
      case FieldDescriptor::CPPTYPE_UINT64:
        return refl->GetUInt64(a, field) == refl->GetUInt64(b, field);
      case FieldDescriptor::CPPTYPE_UINT32:
        return refl->GetUInt32(a, field) == refl->GetUInt32(b, field);
      case FieldDescriptor::CPPTYPE_BOOL:
        return refl->GetBool(a, field) == refl->GetBool(b, field);
      case FieldDescriptor::CPPTYPE_ENUM:
        return refl->GetEnumValue(a, field) == refl->GetEnumValue(b, field);
      default:
        return differ_.CompareWithFields(a, b, {field}, {field});
    }
  }

  // Two messages of one type (an unset field's is the default instance):
  // the same bytes settle it; otherwise the differencer decides.
  bool MessageEqual(const Message& a, const Message& b) {
    DeterministicInto(a, &x_);
    DeterministicInto(b, &y_);
    return x_ == y_ || differ_.Compare(a, b);
  }

  // The whole status, unknown fields included.
  bool Equal(const corev1::PodStatus& a, const corev1::PodStatus& b) {
    const Reflection* refl = a.GetReflection();
    if (!refl->GetUnknownFields(a).empty() || !refl->GetUnknownFields(b).empty()) {
      return differ_.Compare(a, b);
    }
    const auto* desc = corev1::PodStatus::descriptor();
    for (int i = 0; i < desc->field_count(); ++i) {
      if (!FieldEqual(a, b, desc->field(i))) return false;
    }
    return true;
  }

 private:
  google::protobuf::util::MessageDifferencer differ_;
  std::string x_, y_;
};

}  // namespace

corev1::PodStatus DesiredStatus(const corev1::PodStatus& api, const corev1::PodStatus& provider,
                                const std::vector<std::string>& owned_condition_types) {
  // Every field is copied once, from the provider when it sets the field,
  // from the API server's status otherwise.
  corev1::PodStatus out;
  const auto* desc = corev1::PodStatus::descriptor();
  const auto* refl = corev1::PodStatus::GetReflection();
  refl->MutableUnknownFields(&out)->MergeFrom(refl->GetUnknownFields(api));
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* field = desc->field(i);
    if (field->number() == corev1::PodStatus::kConditionsFieldNumber) continue;
    CopyField(IsSet(provider, refl, field) ? provider : api, &out, field);
  }
  // Conditions: the provider's (in its order), then the API server's that
  // someone else owns.
  absl::flat_hash_set<std::string> reported;
  for (const auto& c : provider.conditions()) {
    reported.insert(c.type());
    *out.add_conditions() = c;
  }
  for (const auto& c : api.conditions()) {
    if (reported.contains(c.type())) continue;
    if (IsKubeletCondition(c.type()) ||
        std::find(owned_condition_types.begin(), owned_condition_types.end(), c.type()) !=
            owned_condition_types.end()) {
      continue;
    }
    *out.add_conditions() = c;
  }
  return out;
}

// Drops members with empty values ("", false, 0, null, {}, []): the API
// server stores Go structs, where those and an absent member are the same,
// and a protobuf-decoded object carries them while the provider's may not.
void PruneZeroValues(nlohmann::json* j) {
  if (j->is_object()) {
    for (auto it = j->begin(); it != j->end();) {
      PruneZeroValues(&it.value());
      const auto& v = it.value();
      // A terminated state whose only member is exitCode 0 is still a state
      // (Go writes exitCode without omitempty): keep exitCode, and with it
      // the object around it.
      const bool keep = it.key() == "exitCode";
      const bool empty = !keep && (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
                                   (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v == 0) ||
                                   ((v.is_object() || v.is_array()) && v.empty()));
      if (empty) {
        it = j->erase(it);
      } else {
        ++it;
      }
    }
  } else if (j->is_array()) {
    for (auto& e : *j) PruneZeroValues(&e);
  }
}

namespace {

// The strategic-merge patch between two JSON PodStatus objects, as
// CreateStrategicMergePatch makes it, without copying what it need not
// compare: at the top level each member is diffed on its own (no directive
// spans members there), so a member only `modified` has is moved into the
// patch as it is, one only `original` has becomes null, and only members on
// both sides go through the differ.
absl::StatusOr<nlohmann::json> DiffStatusMembers(nlohmann::json original, nlohmann::json modified) {
  nlohmann::json patch = nlohmann::json::object();
  for (auto& [key, value] : modified.items()) {
    auto old = original.find(key);
    if (old == original.end()) {
      patch[key] = std::move(value);
      continue;
    }
    nlohmann::json one_original = nlohmann::json::object();
    nlohmann::json one_modified = nlohmann::json::object();
    one_original[key] = std::move(*old);
    one_modified[key] = std::move(value);
    VK_ASSIGN_OR_RETURN(nlohmann::json member,
                        vkubelet::internal::CreateStrategicMergePatch(one_original, one_modified,
                                                                      corev1::PodStatus::descriptor()));
    for (auto& [k, v] : member.items()) patch[k] = std::move(v);
  }
  for (auto it = original.begin(); it != original.end(); ++it) {
    if (!modified.contains(it.key())) patch[it.key()] = nullptr;
  }
  return patch;
}

void AddMetadata(nlohmann::json* meta, const char* field,
                 const std::map<std::string, std::optional<std::string>>& changes) {
  if (changes.empty()) return;
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [k, v] : changes) m[k] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  (*meta)[field] = std::move(m);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> BuildStatusPatch(const corev1::Pod& api_pod,
                                                            const corev1::PodStatus& desired,
                                                            const MetadataChanges& metadata) {
  // Only the top-level fields that differ go through JSON and the diff: a
  // field equal on both sides (unset and empty alike, as after Prune) adds
  // nothing to a strategic-merge patch, and converting the whole status twice
  // per write dominated the cost of a status sync.
  corev1::PodStatus original_part;
  corev1::PodStatus modified_part;
  bool differs = false;
  {
    const auto* desc = corev1::PodStatus::descriptor();
    StatusComparer comparer;
    for (int i = 0; i < desc->field_count(); ++i) {
      const auto* field = desc->field(i);
      if (comparer.FieldEqual(api_pod.status(), desired, field)) continue;
      CopyField(api_pod.status(), &original_part, field);
      CopyField(desired, &modified_part, field);
      differs = true;
    }
  }
  try {
    nlohmann::json patch = nlohmann::json::object();
    if (differs) {
      nlohmann::json original = kube::ToJsonValue(original_part);
      nlohmann::json modified = kube::ToJsonValue(modified_part);
      PruneZeroValues(&original);
      PruneZeroValues(&modified);
      VK_ASSIGN_OR_RETURN(patch, DiffStatusMembers(std::move(original), std::move(modified)));
    }
    if (patch.empty() && metadata.empty()) return std::optional<std::string>();
    nlohmann::json meta = {{"uid", api_pod.metadata().uid()}};
    AddMetadata(&meta, "labels", metadata.labels);
    AddMetadata(&meta, "annotations", metadata.annotations);
    nlohmann::json body = {{"metadata", std::move(meta)}};
    if (!patch.empty()) body["status"] = std::move(patch);
    return std::optional<std::string>(body.dump());
  } catch (const std::exception& e) {
    // nlohmann refuses to write strings that are not UTF-8 (statuses are
    // made valid by ToJsonValue; metadata changes are taken as given).
    return errdefs::InvalidInput(absl::StrCat("cannot write the status patch: ", e.what()));
  }
}

bool StatusEqual(const corev1::PodStatus& a, const corev1::PodStatus& b) {
  StatusComparer comparer;
  return comparer.Equal(a, b);
}

bool IsRunning(const corev1::PodStatus& status) {
  auto running = [](const auto& list) {
    for (const auto& cs : list) {
      if (!cs.state().has_terminated() && !cs.state().has_waiting()) return true;
    }
    return false;
  };
  return running(status.containerstatuses()) || running(status.initcontainerstatuses());
}

bool IsTerminal(const corev1::PodStatus& status) {
  return status.phase() == "Succeeded" || status.phase() == "Failed";
}

corev1::PodStatus ProviderFailedStatus(const corev1::Pod& pod, std::string_view message) {
  corev1::PodStatus s;
  s.set_phase(pod.spec().restartpolicy() == "Never" ? "Failed" : "Pending");
  s.set_reason(std::string(kReasonProviderFailed));
  s.set_message(std::string(message));
  return s;
}

namespace {

void SetTime(metav1::Time* t, absl::Time now) {
  t->set_seconds(absl::ToUnixSeconds(now));
  t->set_nanos(0);
}

}  // namespace

corev1::PodStatus LostPodStatus(const corev1::Pod& pod, absl::Time now) {
  corev1::PodStatus s = pod.status();
  s.set_phase("Failed");
  s.set_reason(std::string(kReasonNotFound));
  s.set_message("The pod status was not found and may have been deleted from the provider");
  for (auto& cs : *s.mutable_containerstatuses()) {
    if (cs.state().has_terminated()) continue;
    corev1::ContainerStateTerminated term;
    term.set_exitcode(-137);
    term.set_reason(std::string(kReasonNotFound));
    term.set_message("Container was not found and was likely deleted");
    SetTime(term.mutable_finishedat(), now);
    if (cs.state().has_running()) *term.mutable_startedat() = cs.state().running().startedat();
    term.set_containerid(cs.containerid());
    cs.mutable_state()->Clear();
    *cs.mutable_state()->mutable_terminated() = std::move(term);
    cs.set_ready(false);
  }
  return s;
}

corev1::PodStatus DeletedPodStatus(const corev1::Pod& pod, absl::Time now) {
  corev1::PodStatus s = pod.status();
  s.set_phase("Succeeded");
  s.set_reason(std::string(kReasonTerminated));
  s.set_message("");
  for (auto& cs : *s.mutable_containerstatuses()) {
    if (cs.state().has_terminated()) continue;
    corev1::ContainerStateTerminated term;
    term.set_reason(std::string(kReasonTerminated));
    term.set_message("Container was terminated. The exit code may not reflect the real exit code");
    SetTime(term.mutable_finishedat(), now);
    if (cs.state().has_running()) *term.mutable_startedat() = cs.state().running().startedat();
    term.set_containerid(cs.containerid());
    cs.mutable_state()->Clear();
    *cs.mutable_state()->mutable_terminated() = std::move(term);
    cs.set_ready(false);
  }
  for (auto& c : *s.mutable_conditions()) {
    if (c.type() == "Ready" || c.type() == "ContainersReady") c.set_status("False");
  }
  return s;
}

}  // namespace vkubelet::node::internal

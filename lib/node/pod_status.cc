// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/pod_status.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "google/protobuf/util/message_differencer.h"
#include "kube/patch.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/node/event_reasons.h"

namespace vkubelet::node::internal {

bool IsKubeletCondition(std::string_view type) {
  return type == "Ready" || type == "ContainersReady" || type == "Initialized" ||
         type == "PodReadyToStartContainers";
}

corev1::PodStatus DesiredStatus(const corev1::PodStatus& api, const corev1::PodStatus& provider,
                                const std::vector<std::string>& owned_condition_types) {
  corev1::PodStatus out = api;
  const auto* desc = corev1::PodStatus::descriptor();
  const auto* refl = corev1::PodStatus::GetReflection();
  for (int i = 0; i < desc->field_count(); ++i) {
    const auto* field = desc->field(i);
    if (field->name() == "conditions") continue;
    const bool set = field->is_repeated() ? refl->FieldSize(provider, field) > 0 : refl->HasField(provider, field);
    if (!set) continue;
    refl->ClearField(&out, field);
    if (field->is_repeated()) {
      for (int j = 0; j < refl->FieldSize(provider, field); ++j) {
        refl->AddMessage(&out, field)->CopyFrom(refl->GetRepeatedMessage(provider, field, j));
      }
    } else if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      refl->MutableMessage(&out, field)->CopyFrom(refl->GetMessage(provider, field));
    } else {
      switch (field->cpp_type()) {
        case google::protobuf::FieldDescriptor::CPPTYPE_STRING:
          refl->SetString(&out, field, refl->GetString(provider, field));
          break;
        case google::protobuf::FieldDescriptor::CPPTYPE_INT64:
          refl->SetInt64(&out, field, refl->GetInt64(provider, field));
          break;
        case google::protobuf::FieldDescriptor::CPPTYPE_INT32:
          refl->SetInt32(&out, field, refl->GetInt32(provider, field));
          break;
        case google::protobuf::FieldDescriptor::CPPTYPE_BOOL:
          refl->SetBool(&out, field, refl->GetBool(provider, field));
          break;
        default:
          break;
      }
    }
  }
  // Conditions: the provider's (in its order), then the API server's that
  // someone else owns.
  absl::flat_hash_set<std::string> reported;
  out.clear_conditions();
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

namespace {

// Drops members with empty values ("", false, 0, null, {}, []): the API
// server stores Go structs, where those and an absent member are the same,
// and a protobuf-decoded object carries them while the provider's may not.
void Prune(nlohmann::json* j) {
  if (j->is_object()) {
    for (auto it = j->begin(); it != j->end();) {
      Prune(&it.value());
      const auto& v = it.value();
      const bool empty = v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()) ||
                         (v.is_boolean() && !v.get<bool>()) || (v.is_number() && v == 0) ||
                         ((v.is_object() || v.is_array()) && v.empty());
      if (empty) {
        it = j->erase(it);
      } else {
        ++it;
      }
    }
  } else if (j->is_array()) {
    for (auto& e : *j) Prune(&e);
  }
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
  {
    const auto* desc = corev1::PodStatus::descriptor();
    const auto* refl = corev1::PodStatus::GetReflection();
    google::protobuf::util::MessageDifferencer differ;
    differ.set_message_field_comparison(google::protobuf::util::MessageDifferencer::EQUIVALENT);
    differ.set_repeated_field_comparison(google::protobuf::util::MessageDifferencer::AS_LIST);
    std::vector<const google::protobuf::FieldDescriptor*> differing;
    for (int i = 0; i < desc->field_count(); ++i) {
      const auto* field = desc->field(i);
      if (!differ.CompareWithFields(api_pod.status(), desired, {field}, {field})) differing.push_back(field);
    }
    if (!differing.empty()) {
      original_part = api_pod.status();
      modified_part = desired;
      for (int i = 0; i < desc->field_count(); ++i) {
        const auto* field = desc->field(i);
        if (std::find(differing.begin(), differing.end(), field) != differing.end()) continue;
        refl->ClearField(&original_part, field);
        refl->ClearField(&modified_part, field);
      }
    }
  }
  nlohmann::json original = kube::ToJsonValue(original_part);
  nlohmann::json modified = kube::ToJsonValue(modified_part);
  Prune(&original);
  Prune(&modified);
  auto patch = vkubelet::internal::CreateStrategicMergePatch(original, modified, corev1::PodStatus::descriptor());
  if (!patch.ok()) return patch.status();
  if (patch->empty() && metadata.empty()) return std::optional<std::string>();
  nlohmann::json meta = {{"uid", api_pod.metadata().uid()}};
  AddMetadata(&meta, "labels", metadata.labels);
  AddMetadata(&meta, "annotations", metadata.annotations);
  nlohmann::json body = {{"metadata", std::move(meta)}};
  if (!patch->empty()) body["status"] = *std::move(patch);
  return std::optional<std::string>(body.dump());
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

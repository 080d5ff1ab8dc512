// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "node/node_status.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/codec.h"

#ifndef VKUBELET_VERSION
#define VKUBELET_VERSION "0.0.0"
#endif

namespace vkubelet::node::internal {
namespace {

using Json = nlohmann::json;

constexpr char kLabelType[] = "type";
constexpr char kLabelRole[] = "kubernetes.io/role";
constexpr char kLabelHostname[] = "kubernetes.io/hostname";
constexpr char kLabelOs[] = "kubernetes.io/os";
constexpr char kLabelArch[] = "kubernetes.io/arch";

// The annotations a patch must never copy from the provider's view: they
// describe ownership and are written by the controller itself.
bool IsBookkeepingAnnotation(const std::string& key) {
  return key == kManagedFieldsAnnotation || key == kLegacyLastAppliedStatus || key == kLegacyLastAppliedMeta;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

absl::Status StringList(const Json& obj, const char* member, std::set<std::string>* out) {
  auto it = obj.find(member);
  if (it == obj.end()) return absl::OkStatus();
  if (!it->is_array()) return errdefs::InvalidInput(absl::StrCat("managed fields: \"", member, "\" is not a list"));
  for (const Json& v : *it) {
    if (!v.is_string()) {
      return errdefs::InvalidInput(absl::StrCat("managed fields: \"", member, "\" holds a non-string"));
    }
    out->insert(v.get<std::string>());
  }
  return absl::OkStatus();
}

// Keys of a JSON object member (a map), if it is one.
void ObjectKeys(const Json& obj, const char* member, std::set<std::string>* out) {
  auto it = obj.find(member);
  if (it == obj.end() || !it->is_object()) return;
  for (auto kv = it->begin(); kv != it->end(); ++kv) out->insert(kv.key());
}

// The Go reference's last-applied annotations, read as ownership.
absl::StatusOr<ManagedFields> LegacyManagedFields(const corev1::Node& node) {
  ManagedFields out;
  const auto& annotations = node.metadata().annotations();
  if (auto it = annotations.find(kLegacyLastAppliedStatus); it != annotations.end()) {
    Json status = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (!status.is_object()) return errdefs::InvalidInput(absl::StrCat(kLegacyLastAppliedStatus, " is not a JSON object"));
    if (auto c = status.find("conditions"); c != status.end() && c->is_array()) {
      for (const Json& cond : *c) {
        if (cond.is_object() && cond.contains("type") && cond["type"].is_string()) {
          out.conditions.insert(cond["type"].get<std::string>());
        }
      }
    }
    ObjectKeys(status, "capacity", &out.capacity);
    ObjectKeys(status, "allocatable", &out.allocatable);
  }
  if (auto it = annotations.find(kLegacyLastAppliedMeta); it != annotations.end()) {
    Json meta = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (!meta.is_object()) return errdefs::InvalidInput(absl::StrCat(kLegacyLastAppliedMeta, " is not a JSON object"));
    ObjectKeys(meta, "labels", &out.labels);
    ObjectKeys(meta, "annotations", &out.annotations);
    for (auto it2 = out.annotations.begin(); it2 != out.annotations.end();) {
      it2 = IsBookkeepingAnnotation(*it2) ? out.annotations.erase(it2) : std::next(it2);
    }
  }
  return out;
}

// Conditions with a type, the later of two with the same type winning, in
// the order of first appearance.
std::vector<corev1::NodeCondition> UniqueConditions(const corev1::NodeStatus& status) {
  std::vector<corev1::NodeCondition> out;
  std::map<std::string, size_t> index;
  for (const auto& c : status.conditions()) {
    if (c.type().empty()) continue;
    auto [it, inserted] = index.emplace(c.type(), out.size());
    if (inserted) {
      out.push_back(c);
    } else {
      out[it->second] = c;
    }
  }
  return out;
}

const corev1::NodeCondition* FindCondition(const corev1::NodeStatus& status, const std::string& type) {
  for (const auto& c : status.conditions()) {
    if (c.type() == type) return &c;
  }
  return nullptr;
}

}  // namespace

std::string EncodeManagedFields(const ManagedFields& fields) {
  Json out = Json::object();
  auto put = [&](const char* name, const std::set<std::string>& keys) {
    if (keys.empty()) return;
    Json list = Json::array();
    for (const auto& k : keys) list.push_back(k);
    out[name] = std::move(list);
  };
  put("labels", fields.labels);
  put("annotations", fields.annotations);
  put("conditions", fields.conditions);
  put("capacity", fields.capacity);
  put("allocatable", fields.allocatable);
  return Dump(out);
}

absl::StatusOr<ManagedFields> DecodeManagedFields(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return errdefs::InvalidInput("managed fields: not JSON");
  if (!j.is_object()) return errdefs::InvalidInput("managed fields: not a JSON object");
  ManagedFields out;
  absl::Status s = StringList(j, "labels", &out.labels);
  if (s.ok()) s = StringList(j, "annotations", &out.annotations);
  if (s.ok()) s = StringList(j, "conditions", &out.conditions);
  if (s.ok()) s = StringList(j, "capacity", &out.capacity);
  if (s.ok()) s = StringList(j, "allocatable", &out.allocatable);
  if (!s.ok()) return s;
  out.annotations.erase(kManagedFieldsAnnotation);
  return out;
}

absl::StatusOr<ManagedFields> ManagedFieldsOf(const corev1::Node& node) {
  const auto& annotations = node.metadata().annotations();
  if (auto it = annotations.find(kManagedFieldsAnnotation); it != annotations.end()) {
    return DecodeManagedFields(it->second);
  }
  return LegacyManagedFields(node);
}

std::string_view BuildArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

const std::set<std::string>& StandardLabelKeys() {
  static const auto* keys = new std::set<std::string>{kLabelType, kLabelRole, kLabelHostname, kLabelOs, kLabelArch};
  return *keys;
}

corev1::Node BuildRegistrationNode(const NodeControllerOptions& options) {
  corev1::Node node = options.node_template;
  auto* meta = node.mutable_metadata();
  meta->set_name(options.node_name);
  meta->clear_namespace_();
  meta->clear_resourceversion();
  meta->clear_uid();

  const std::string arch =
      options.architecture.empty() ? std::string(BuildArchitecture()) : options.architecture;
  auto* labels = meta->mutable_labels();
  labels->insert({kLabelType, "virtual-kubelet"});
  labels->insert({kLabelRole, "agent"});
  labels->insert({kLabelHostname, options.node_name});
  labels->insert({kLabelOs, options.operating_system});
  labels->insert({kLabelArch, arch});
  meta->mutable_annotations()->erase(kManagedFieldsAnnotation);

  if (options.taint.enabled) {
    bool present = false;
    for (const auto& t : node.spec().taints()) {
      present = present || (t.key() == options.taint.key && t.effect() == options.taint.effect);
    }
    if (!present) {
      auto* t = node.mutable_spec()->add_taints();
      t->set_key(options.taint.key);
      t->set_value(options.taint.value.empty() ? options.provider_name : options.taint.value);
      t->set_effect(options.taint.effect);
    }
  }

  auto* status = node.mutable_status();
  if (!options.internal_ip.empty()) {
    bool present = false;
    for (const auto& a : status->addresses()) present = present || a.type() == "InternalIP";
    if (!present) {
      auto* a = status->add_addresses();
      a->set_type("InternalIP");
      a->set_address(options.internal_ip);
    }
  }
  auto* endpoint = status->mutable_daemonendpoints()->mutable_kubeletendpoint();
  if (endpoint->port() == 0) endpoint->set_port(options.kubelet_port);
  auto* info = status->mutable_nodeinfo();
  if (info->operatingsystem().empty()) info->set_operatingsystem(options.operating_system);
  if (info->architecture().empty()) info->set_architecture(arch);
  if (info->kubeletversion().empty()) {
    info->set_kubeletversion(options.kubelet_version.empty() ? "v1.31.4-vkubelet-" VKUBELET_VERSION
                                                             : options.kubelet_version);
  }
  return node;
}

void ApplyNotification(const corev1::Node& notified, const corev1::Node& registered, corev1::Node* reported) {
  const auto& nmeta = notified.metadata();
  auto* meta = reported->mutable_metadata();
  if (!nmeta.labels().empty()) {
    *meta->mutable_labels() = nmeta.labels();
    for (const auto& key : StandardLabelKeys()) {
      auto it = registered.metadata().labels().find(key);
      if (it != registered.metadata().labels().end()) meta->mutable_labels()->insert({it->first, it->second});
    }
  }
  bool has_annotations = false;
  for (const auto& [k, v] : nmeta.annotations()) has_annotations = has_annotations || !IsBookkeepingAnnotation(k);
  if (has_annotations) {
    meta->clear_annotations();
    for (const auto& [k, v] : nmeta.annotations()) {
      if (!IsBookkeepingAnnotation(k)) meta->mutable_annotations()->insert({k, v});
    }
  }

  corev1::NodeStatus status = notified.status();
  const corev1::NodeStatus& old = reported->status();
  if (status.addresses().empty()) *status.mutable_addresses() = old.addresses();
  if (!status.has_daemonendpoints() || status.daemonendpoints().kubeletendpoint().port() == 0) {
    *status.mutable_daemonendpoints() = old.daemonendpoints();
  }
  if (!status.has_nodeinfo() || status.nodeinfo().ByteSizeLong() == 0) *status.mutable_nodeinfo() = old.nodeinfo();
  if (status.capacity().empty()) *status.mutable_capacity() = old.capacity();
  if (status.allocatable().empty()) *status.mutable_allocatable() = old.allocatable();
  *reported->mutable_status() = std::move(status);
}

corev1::NodeCondition ReadyCondition(const ReadyInputs& inputs) {
  corev1::NodeCondition c;
  c.set_type("Ready");
  if (inputs.shutting_down) {
    c.set_status("False");
    c.set_reason(kReasonKubeletNotReady);
    c.set_message("node is shutting down");
  } else if (!inputs.pods_synced) {
    c.set_status("False");
    c.set_reason(kReasonKubeletNotReady);
    c.set_message("the pod controller has not synced yet");
  } else if (!inputs.ping.has_value()) {
    c.set_status("False");
    c.set_reason(kReasonKubeletNotReady);
    c.set_message("waiting for the first provider ping");
  } else if (!inputs.ping->ok()) {
    c.set_status("False");
    c.set_reason(kReasonProviderPingFailed);
    c.set_message(inputs.ping->message().empty() ? inputs.ping->ToString() : std::string(inputs.ping->message()));
  } else {
    c.set_status("True");
    c.set_reason(kReasonKubeletReady);
    c.set_message("kubelet is ready");
  }
  return c;
}

corev1::Node WithReady(const corev1::Node& reported, const ReadyInputs& inputs) {
  corev1::Node out = reported;
  auto* conditions = out.mutable_status()->mutable_conditions();
  for (int i = conditions->size() - 1; i >= 0; --i) {
    if ((*conditions)[i].type() == "Ready") conditions->DeleteSubrange(i, 1);
  }
  *conditions->Add() = ReadyCondition(inputs);
  return out;
}

void SetTime(absl::Time t, metav1::Time* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

void SetMicroTime(absl::Time t, metav1::MicroTime* out) {
  int64_t micros = absl::ToUnixMicros(t);
  int64_t seconds = micros / 1000000;
  int64_t rem = micros % 1000000;
  if (rem < 0) {
    rem += 1000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rem * 1000));
}

absl::Time FromMicroTime(const metav1::MicroTime& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

void StampConditions(corev1::NodeStatus* status, const corev1::NodeStatus* current, absl::Time now) {
  for (auto& c : *status->mutable_conditions()) {
    SetTime(now, c.mutable_lastheartbeattime());
    const corev1::NodeCondition* before = current ? FindCondition(*current, c.type()) : nullptr;
    if (before != nullptr && before->status() == c.status() && before->has_lasttransitiontime()) {
      *c.mutable_lasttransitiontime() = before->lasttransitiontime();
    } else {
      SetTime(now, c.mutable_lasttransitiontime());
    }
  }
}

ManagedFields ManagedFieldsFor(const corev1::Node& desired) {
  ManagedFields out;
  for (const auto& [k, v] : desired.metadata().labels()) out.labels.insert(k);
  for (const auto& [k, v] : desired.metadata().annotations()) {
    if (!IsBookkeepingAnnotation(k)) out.annotations.insert(k);
  }
  for (const auto& c : desired.status().conditions()) {
    if (!c.type().empty()) out.conditions.insert(c.type());
  }
  for (const auto& [k, v] : desired.status().capacity()) out.capacity.insert(k);
  for (const auto& [k, v] : desired.status().allocatable()) out.allocatable.insert(k);
  return out;
}

NodeStatusPatch BuildNodeStatusPatch(const corev1::Node& desired, const corev1::Node* current,
                                     const ManagedFields& previous, absl::Time now) {
  NodeStatusPatch out;
  out.managed = ManagedFieldsFor(desired);
  const ManagedFields& managed = out.managed;

  // metadata: ours set, ours dropped deleted (null), the ownership record.
  Json labels = Json::object();
  for (const auto& [k, v] : desired.metadata().labels()) labels[k] = v;
  for (const auto& k : previous.labels) {
    if (!managed.labels.count(k)) labels[k] = nullptr;
  }
  Json annotations = Json::object();
  for (const auto& [k, v] : desired.metadata().annotations()) {
    if (!IsBookkeepingAnnotation(k)) annotations[k] = v;
  }
  for (const auto& k : previous.annotations) {
    if (!managed.annotations.count(k)) annotations[k] = nullptr;
  }
  if (current != nullptr) {
    for (const char* legacy : {kLegacyLastAppliedStatus, kLegacyLastAppliedMeta}) {
      if (current->metadata().annotations().count(legacy)) annotations[legacy] = nullptr;
    }
  }
  annotations[kManagedFieldsAnnotation] = EncodeManagedFields(managed);
  Json metadata = Json::object();
  if (!labels.empty()) metadata["labels"] = std::move(labels);
  metadata["annotations"] = std::move(annotations);

  // status: the desired status with stamped, de-duplicated conditions.
  corev1::NodeStatus status = desired.status();
  status.clear_conditions();
  for (auto& c : UniqueConditions(desired.status())) *status.add_conditions() = std::move(c);
  StampConditions(&status, current ? &current->status() : nullptr, now);
  Json status_json = kube::ToJsonValue(status);
  if (!status_json.is_object()) status_json = Json::object();

  Json conditions = Json::array();
  if (auto it = status_json.find("conditions"); it != status_json.end() && it->is_array()) conditions = *it;
  for (const auto& type : previous.conditions) {
    if (!managed.conditions.count(type)) conditions.push_back(Json::object({{"type", type}, {"$patch", "delete"}}));
  }
  if (!conditions.empty()) status_json["conditions"] = std::move(conditions);

  if (auto it = status_json.find("addresses"); it != status_json.end() && it->is_array() && !it->empty()) {
    it->push_back(Json::object({{"$patch", "replace"}}));
  }

  auto drop_keys = [&](const char* member, const std::set<std::string>& before, const std::set<std::string>& now_keys) {
    for (const auto& k : before) {
      if (now_keys.count(k)) continue;
      Json& map = status_json[member];
      if (!map.is_object()) map = Json::object();
      map[k] = nullptr;
    }
  };
  drop_keys("capacity", previous.capacity, managed.capacity);
  drop_keys("allocatable", previous.allocatable, managed.allocatable);

  Json patch = Json::object();
  patch["metadata"] = std::move(metadata);
  patch["status"] = std::move(status_json);
  out.body = Dump(patch);
  return out;
}

}  // namespace vkubelet::node::internal

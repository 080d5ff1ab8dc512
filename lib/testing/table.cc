// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/table.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"

namespace vkubelet::testing::internal {
namespace {

using google::protobuf::Message;
using vkubelet::internal::ToAbsl;

struct Column {
  const char* name;
  const char* type;  // string, integer, date
  const char* format;
  const char* description;
  int priority;  // 0: always shown; 1: with -o wide
};

// metav1::Time and metav1::MicroTime alike.
template <typename T>
absl::Time ToTime(const T& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string Age(const metav1::Time& t, absl::Time now) {
  if (t.seconds() == 0 && t.nanos() == 0) return "<unknown>";
  return HumanDuration(now - ToTime(t));
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

// --- pods --------------------------------------------------------------------------------

const std::vector<Column>& PodColumns() {
  static const std::vector<Column> c = {
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
      {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
      {"Restarts", "string", "", "The number of times the containers in this pod have been restarted.", 0},
      {"Age", "string", "", "CreationTimestamp is the time the object was created.", 0},
      {"IP", "string", "", "IP address allocated to the pod.", 1},
      {"Node", "string", "", "Name of the node the pod is assigned to.", 1},
      {"Nominated Node", "string", "", "Node the scheduler nominated for the pod.", 1},
      {"Readiness Gates", "string", "", "Readiness gates of the pod.", 1},
  };
  return c;
}

// The STATUS column, as the kubelet's printer derives it.
std::string PodStatusReason(const corev1::Pod& pod, int* ready, bool* has_running) {
  const auto& st = pod.status();
  std::string reason = st.reason().empty() ? st.phase() : st.reason();
  bool initializing = false;
  for (int i = 0; i < st.initcontainerstatuses_size(); ++i) {
    const auto& c = st.initcontainerstatuses(i);
    if (c.state().has_terminated() && c.state().terminated().exitcode() == 0) continue;
    if (c.state().has_terminated()) {
      const auto& t = c.state().terminated();
      reason = !t.reason().empty()  ? absl::StrCat("Init:", t.reason())
               : t.signal() != 0    ? absl::StrCat("Init:Signal:", t.signal())
                                    : absl::StrCat("Init:ExitCode:", t.exitcode());
    } else if (c.state().has_waiting() && !c.state().waiting().reason().empty() &&
               c.state().waiting().reason() != "PodInitializing") {
      reason = absl::StrCat("Init:", c.state().waiting().reason());
    } else {
      reason = absl::StrCat("Init:", i, "/", pod.spec().initcontainers_size());
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    for (int i = st.containerstatuses_size() - 1; i >= 0; --i) {
      const auto& c = st.containerstatuses(i);
      if (c.state().has_waiting() && !c.state().waiting().reason().empty()) {
        reason = c.state().waiting().reason();
      } else if (c.state().has_terminated()) {
        const auto& t = c.state().terminated();
        reason = !t.reason().empty()  ? t.reason()
                 : t.signal() != 0    ? absl::StrCat("Signal:", t.signal())
                                      : absl::StrCat("ExitCode:", t.exitcode());
      } else if (c.ready() && c.state().has_running()) {
        *has_running = true;
        ++*ready;
      }
    }
    if (reason == "Completed" && *has_running) {
      bool pod_ready = false;
      for (const auto& cond : st.conditions()) {
        if (cond.type() == "Ready" && cond.status() == "True") pod_ready = true;
      }
      reason = pod_ready ? "Running" : "NotReady";
    }
  }
  if (pod.metadata().has_deletiontimestamp()) reason = st.reason() == "NodeLost" ? "Unknown" : "Terminating";
  return reason;
}

nlohmann::json PodCells(const corev1::Pod& pod, absl::Time now) {
  int ready = 0;
  bool has_running = false;
  std::string status = PodStatusReason(pod, &ready, &has_running);
  int64_t restarts = 0;
  absl::Time last_restart = absl::InfinitePast();
  for (const auto& c : pod.status().containerstatuses()) {
    restarts += c.restartcount();
    if (c.laststate().has_terminated()) {
      absl::Time t = ToTime(c.laststate().terminated().finishedat());
      if (t > last_restart) last_restart = t;
    }
  }
  std::string restart_cell = absl::StrCat(restarts);
  if (restarts > 0 && last_restart != absl::InfinitePast()) {
    absl::StrAppend(&restart_cell, " (", HumanDuration(now - last_restart), " ago)");
  }
  std::vector<std::string> gates;
  for (const auto& g : pod.spec().readinessgates()) {
    bool ok = false;
    for (const auto& cond : pod.status().conditions()) {
      if (cond.type() == g.conditiontype() && cond.status() == "True") ok = true;
    }
    gates.push_back(ok ? "1" : "0");
  }
  std::string gate_cell = "<none>";
  if (!gates.empty()) {
    int passed = 0;
    for (const auto& g : gates) passed += g == "1";
    gate_cell = absl::StrCat(passed, "/", gates.size());
  }
  return nlohmann::json::array({pod.metadata().name(), absl::StrCat(ready, "/", pod.spec().containers_size()),
                                status, restart_cell, Age(pod.metadata().creationtimestamp(), now),
                                OrNone(pod.status().podip()), OrNone(pod.spec().nodename()),
                                OrNone(pod.status().nominatednodename()), gate_cell});
}

// --- nodes -------------------------------------------------------------------------------

const std::vector<Column>& NodeColumns() {
  static const std::vector<Column> c = {
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Status", "string", "", "The status of the node", 0},
      {"Roles", "string", "", "The roles of the node", 0},
      {"Age", "string", "", "CreationTimestamp is the time the object was created.", 0},
      {"Version", "string", "", "Kubelet Version reported by the node.", 0},
      {"Internal-IP", "string", "", "List of internal IPs.", 1},
      {"External-IP", "string", "", "List of external IPs.", 1},
      {"OS-Image", "string", "", "OS Image reported by the node.", 1},
      {"Kernel-Version", "string", "", "Kernel Version reported by the node.", 1},
      {"Container-Runtime", "string", "", "Container Runtime Version reported by the node.", 1},
  };
  return c;
}

nlohmann::json NodeCells(const corev1::Node& node, absl::Time now) {
  std::string status = "Unknown";
  for (const auto& c : node.status().conditions()) {
    if (c.type() != "Ready") continue;
    status = c.status() == "True" ? "Ready" : c.status() == "False" ? "NotReady" : "Unknown";
  }
  if (node.spec().unschedulable()) absl::StrAppend(&status, ",SchedulingDisabled");
  std::vector<std::string> roles;
  for (const auto& [k, v] : node.metadata().labels()) {
    if (absl::StartsWith(k, "node-role.kubernetes.io/")) {
      std::string role = k.substr(std::string("node-role.kubernetes.io/").size());
      if (!role.empty()) roles.push_back(role);
    } else if (k == "kubernetes.io/role" && !v.empty()) {
      roles.push_back(v);
    }
  }
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  std::string internal_ip, external_ip;
  for (const auto& a : node.status().addresses()) {
    if (a.type() == "InternalIP" && internal_ip.empty()) internal_ip = a.address();
    if (a.type() == "ExternalIP" && external_ip.empty()) external_ip = a.address();
  }
  const auto& info = node.status().nodeinfo();
  auto unknown = [](const std::string& s) { return s.empty() ? std::string("<unknown>") : s; };
  return nlohmann::json::array(
      {node.metadata().name(), status, roles.empty() ? std::string("<none>") : absl::StrJoin(roles, ","),
       Age(node.metadata().creationtimestamp(), now), info.kubeletversion(), OrNone(internal_ip),
       OrNone(external_ip), unknown(info.osimage()), unknown(info.kernelversion()),
       unknown(info.containerruntimeversion())});
}

// --- events ------------------------------------------------------------------------------

const std::vector<Column>& EventColumns() {
  static const std::vector<Column> c = {
      {"Last Seen", "string", "", "Time of the event's last occurrence.", 0},
      {"Type", "string", "", "Type of this event (Normal, Warning).", 0},
      {"Reason", "string", "", "Why the action was taken.", 0},
      {"Object", "string", "", "The object this event is about.", 0},
      {"Subobject", "string", "", "The field of the object this event is about.", 1},
      {"Source", "string", "", "The component reporting this event.", 1},
      {"Message", "string", "", "A human-readable description of the status of this operation.", 0},
      {"First Seen", "string", "", "Time of the event's first occurrence.", 1},
      {"Count", "string", "", "How many times this event occurred.", 1},
      {"Name", "string", "name", "Name must be unique within a namespace.", 1},
  };
  return c;
}

nlohmann::json EventCells(const corev1::Event& e, absl::Time now) {
  auto when = [&](const metav1::Time& t) -> std::string {
    if (t.seconds() != 0) return HumanDuration(now - ToTime(t));
    if (e.eventtime().seconds() != 0) return HumanDuration(now - ToTime(e.eventtime()));
    return "<unknown>";
  };
  const auto& o = e.involvedobject();
  std::string object = absl::StrCat(absl::AsciiStrToLower(o.kind()), "/", o.name());
  std::string source = e.source().component();
  if (!e.source().host().empty()) absl::StrAppend(&source, ", ", e.source().host());
  if (source.empty()) source = e.reportingcomponent();
  std::string last = when(e.lasttimestamp());
  return nlohmann::json::array({last, e.type(), e.reason(), object, o.fieldpath(), source, e.message(),
                                when(e.firsttimestamp()), absl::StrCat(e.count() == 0 ? 1 : e.count()),
                                e.metadata().name()});
}

// --- leases and everything else ------------------------------------------------------------

const std::vector<Column>& LeaseColumns() {
  static const std::vector<Column> c = {
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Holder", "string", "", "The holder of the lease.", 0},
      {"Age", "string", "", "CreationTimestamp is the time the object was created.", 0},
  };
  return c;
}

const std::vector<Column>& DefaultColumns() {
  static const std::vector<Column> c = {
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Age", "string", "", "CreationTimestamp is the time the object was created.", 0},
  };
  return c;
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  const int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  const int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? absl::StrCat(minutes, "m") : absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  const int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t days = (hours / 24) % 365;
    return days == 0 ? absl::StrCat(hours / 24 / 365, "y") : absl::StrCat(hours / 24 / 365, "y", days, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

bool WantsTable(std::string_view accept) {
  for (absl::string_view entry : absl::StrSplit(ToAbsl(accept), ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(entry, ';');
    std::string media = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
    std::string as, g, v;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&p, "as=")) as = std::string(p);
      if (absl::ConsumePrefix(&p, "g=")) g = std::string(p);
      if (absl::ConsumePrefix(&p, "v=")) v = std::string(p);
    }
    if (as.empty()) return false;  // a plain representation comes first
    if (as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1") &&
        (media == "application/json" || media == "*/*" || media == "application/*")) {
      return true;
    }
  }
  return false;
}

bool ParseIncludeObject(std::string_view value, TableObject* out) {
  if (value.empty() || value == "PartialObjectMetadata") {
    *out = TableObject::kPartialMetadata;
  } else if (value == "None") {
    *out = TableObject::kNone;
  } else if (value == "Object") {
    *out = TableObject::kFull;
  } else {
    return false;
  }
  return true;
}

std::string EncodeTable(const ResourceType& type, const std::vector<const Message*>& objects,
                        std::string_view resource_version, std::string_view continue_token, absl::Time now,
                        TableObject include) {
  const std::vector<Column>* columns = &DefaultColumns();
  std::function<nlohmann::json(const Message&)> cells = [&](const Message& m) {
    const auto& meta = Meta(m);
    return nlohmann::json::array({meta.name(), Age(meta.creationtimestamp(), now)});
  };
  switch (type.storage) {
    case Storage::kPod:
      columns = &PodColumns();
      cells = [&](const Message& m) { return PodCells(static_cast<const corev1::Pod&>(m), now); };
      break;
    case Storage::kNode:
      columns = &NodeColumns();
      cells = [&](const Message& m) { return NodeCells(static_cast<const corev1::Node&>(m), now); };
      break;
    case Storage::kEvent:
      if (!type.is_view) {
        columns = &EventColumns();
        cells = [&](const Message& m) { return EventCells(static_cast<const corev1::Event&>(m), now); };
      }
      break;
    case Storage::kLease:
      columns = &LeaseColumns();
      cells = [&](const Message& m) {
        const auto& l = static_cast<const coordinationv1::Lease&>(m);
        return nlohmann::json::array({l.metadata().name(), OrNone(l.spec().holderidentity()),
                                      Age(l.metadata().creationtimestamp(), now)});
      };
      break;
    default:
      break;
  }

  nlohmann::json table;
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  table["metadata"] = nlohmann::json::object();
  if (!resource_version.empty()) table["metadata"]["resourceVersion"] = std::string(resource_version);
  if (!continue_token.empty()) table["metadata"]["continue"] = std::string(continue_token);
  nlohmann::json defs = nlohmann::json::array();
  for (const auto& c : *columns) {
    defs.push_back({{"name", c.name},
                    {"type", c.type},
                    {"format", c.format},
                    {"description", c.description},
                    {"priority", c.priority}});
  }
  table["columnDefinitions"] = std::move(defs);
  nlohmann::json rows = nlohmann::json::array();
  for (const Message* m : objects) {
    std::unique_ptr<Message> view = ToView(type, *m);
    nlohmann::json row;
    row["cells"] = cells(*m);
    if (include == TableObject::kFull) {
      row["object"] = kube::ToJsonValue(*view, type.ApiVersion(), type.kind);
    } else if (include == TableObject::kPartialMetadata) {
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", kube::ToJsonValue(Meta(*m))}};
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table.dump();
}

}  // namespace vkubelet::testing::internal

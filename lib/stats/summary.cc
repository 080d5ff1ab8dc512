// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// stats/v1alpha1 Summary JSON. Writing is hand-rolled (a Summary of 10,000
// pods is several megabytes and is produced on every metrics-server scrape);
// field order, omitempty rules, string escaping and number formats follow Go's
// encoding/json on the kubelet's types. Reading goes through nlohmann::json
// without exceptions.

#include "vkubelet/stats/summary.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "stats/json_format.h"
#include "stats/summary_writer.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::stats {
namespace {

using internal::JsonOut;
using json = nlohmann::json;
using vkubelet::internal::ToAbsl;

// --- writing ---------------------------------------------------------------------

void PutOptU64(JsonOut& w, std::string_view key, const std::optional<uint64_t>& v) {
  if (v.has_value()) {
    w.PlainKey(key);
    w.Uint(*v);
  }
}

void PutOptI64(JsonOut& w, std::string_view key, const std::optional<int64_t>& v) {
  if (v.has_value()) {
    w.PlainKey(key);
    w.Int(*v);
  }
}

void PutTime(JsonOut& w, std::string_view key, absl::Time t) {
  w.PlainKey(key);
  w.Time(t);
}

void WritePsiData(JsonOut& w, const PSIData& d) {
  w.BeginObject();
  w.PlainKey("total");
  w.Uint(d.total);
  w.PlainKey("avg10");
  w.Double(d.avg10);
  w.PlainKey("avg60");
  w.Double(d.avg60);
  w.PlainKey("avg300");
  w.Double(d.avg300);
  w.EndObject();
}

void PutPsi(JsonOut& w, const std::optional<PSIStats>& psi) {
  if (!psi.has_value()) return;
  w.PlainKey("psi");
  w.BeginObject();
  w.PlainKey("full");
  WritePsiData(w, psi->full);
  w.PlainKey("some");
  WritePsiData(w, psi->some);
  w.EndObject();
}

void PutCpu(JsonOut& w, const std::optional<CPUStats>& cpu) {
  if (!cpu.has_value()) return;
  w.PlainKey("cpu");
  w.BeginObject();
  PutTime(w, "time", cpu->time);
  PutOptU64(w, "usageNanoCores", cpu->usage_nano_cores);
  PutOptU64(w, "usageCoreNanoSeconds", cpu->usage_core_nano_seconds);
  PutPsi(w, cpu->psi);
  w.EndObject();
}

void PutMemory(JsonOut& w, const std::optional<MemoryStats>& m) {
  if (!m.has_value()) return;
  w.PlainKey("memory");
  w.BeginObject();
  PutTime(w, "time", m->time);
  PutOptU64(w, "availableBytes", m->available_bytes);
  PutOptU64(w, "usageBytes", m->usage_bytes);
  PutOptU64(w, "workingSetBytes", m->working_set_bytes);
  PutOptU64(w, "rssBytes", m->rss_bytes);
  PutOptU64(w, "pageFaults", m->page_faults);
  PutOptU64(w, "majorPageFaults", m->major_page_faults);
  PutPsi(w, m->psi);
  w.EndObject();
}

void PutIo(JsonOut& w, const std::optional<IOStats>& io) {
  if (!io.has_value()) return;
  w.PlainKey("io");
  w.BeginObject();
  PutTime(w, "time", io->time);
  PutPsi(w, io->psi);
  w.EndObject();
}

void PutSwap(JsonOut& w, const std::optional<SwapStats>& s) {
  if (!s.has_value()) return;
  w.PlainKey("swap");
  w.BeginObject();
  PutTime(w, "time", s->time);
  PutOptU64(w, "swapAvailableBytes", s->swap_available_bytes);
  PutOptU64(w, "swapUsageBytes", s->swap_usage_bytes);
  w.EndObject();
}

void PutFsFields(JsonOut& w, const FsStats& fs) {
  PutTime(w, "time", fs.time);
  PutOptU64(w, "availableBytes", fs.available_bytes);
  PutOptU64(w, "capacityBytes", fs.capacity_bytes);
  PutOptU64(w, "usedBytes", fs.used_bytes);
  PutOptU64(w, "inodesFree", fs.inodes_free);
  PutOptU64(w, "inodes", fs.inodes);
  PutOptU64(w, "inodesUsed", fs.inodes_used);
}

void PutFs(JsonOut& w, std::string_view key, const std::optional<FsStats>& fs) {
  if (!fs.has_value()) return;
  w.PlainKey(key);
  w.BeginObject();
  PutFsFields(w, *fs);
  w.EndObject();
}

void PutInterfaceFields(JsonOut& w, const InterfaceStats& i) {
  w.PlainKey("name");
  w.String(i.name);
  PutOptU64(w, "rxBytes", i.rx_bytes);
  PutOptU64(w, "rxErrors", i.rx_errors);
  PutOptU64(w, "txBytes", i.tx_bytes);
  PutOptU64(w, "txErrors", i.tx_errors);
}

void PutNetwork(JsonOut& w, const std::optional<NetworkStats>& n) {
  if (!n.has_value()) return;
  w.PlainKey("network");
  w.BeginObject();
  PutTime(w, "time", n->time);
  PutInterfaceFields(w, n->default_interface);
  if (!n->interfaces.empty()) {
    w.PlainKey("interfaces");
    w.BeginArray();
    for (const InterfaceStats& i : n->interfaces) {
      w.BeginObject();
      PutInterfaceFields(w, i);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

void WriteContainer(JsonOut& w, const ContainerStats& c, bool cpu_and_memory_only) {
  w.BeginObject();
  w.PlainKey("name");
  w.String(c.name);
  PutTime(w, "startTime", c.start_time);
  PutCpu(w, c.cpu);
  PutMemory(w, c.memory);
  if (cpu_and_memory_only) {
    w.EndObject();
    return;
  }
  PutIo(w, c.io);
  if (!c.accelerators.empty()) {
    w.PlainKey("accelerators");
    w.BeginArray();
    for (const AcceleratorStats& a : c.accelerators) {
      w.BeginObject();
      w.PlainKey("make");
      w.String(a.make);
      w.PlainKey("model");
      w.String(a.model);
      w.PlainKey("id");
      w.String(a.id);
      w.PlainKey("memoryTotal");
      w.Uint(a.memory_total);
      w.PlainKey("memoryUsed");
      w.Uint(a.memory_used);
      w.PlainKey("dutyCycle");
      w.Uint(a.duty_cycle);
      w.EndObject();
    }
    w.EndArray();
  }
  PutFs(w, "rootfs", c.rootfs);
  PutFs(w, "logs", c.logs);
  if (!c.user_defined_metrics.empty()) {
    w.PlainKey("userDefinedMetrics");
    w.BeginArray();
    for (const UserDefinedMetric& m : c.user_defined_metrics) {
      w.BeginObject();
      w.PlainKey("name");
      w.String(m.name);
      w.PlainKey("type");
      w.String(m.type);
      w.PlainKey("units");
      w.String(m.units);
      if (!m.labels.empty()) {
        w.PlainKey("labels");
        w.BeginObject();
        for (const auto& [k, v] : m.labels) {  // std::map: sorted keys, as Go writes maps
          w.Key(k);
          w.String(v);
        }
        w.EndObject();
      }
      PutTime(w, "time", m.time);
      w.PlainKey("value");
      w.Double(m.value);
      w.EndObject();
    }
    w.EndArray();
  }
  PutSwap(w, c.swap);
  w.EndObject();
}

void WritePod(JsonOut& w, const PodStats& p, bool cpu_and_memory_only) {
  w.BeginObject();
  w.PlainKey("podRef");
  w.BeginObject();
  w.PlainKey("name");
  w.String(p.pod_ref.name);
  w.PlainKey("namespace");
  w.String(p.pod_ref.namespace_);
  w.PlainKey("uid");
  w.String(p.pod_ref.uid);
  w.EndObject();
  PutTime(w, "startTime", p.start_time);
  w.PlainKey("containers");
  w.BeginArray();
  for (const ContainerStats& c : p.containers) WriteContainer(w, c, cpu_and_memory_only);
  w.EndArray();
  PutCpu(w, p.cpu);
  PutMemory(w, p.memory);
  if (cpu_and_memory_only) {
    w.EndObject();
    return;
  }
  PutIo(w, p.io);
  PutNetwork(w, p.network);
  if (!p.volume.empty()) {
    w.PlainKey("volume");
    w.BeginArray();
    for (const VolumeStats& v : p.volume) {
      w.BeginObject();
      PutFsFields(w, v.fs);
      if (!v.name.empty()) {
        w.PlainKey("name");
        w.String(v.name);
      }
      if (v.pvc_ref.has_value()) {
        w.PlainKey("pvcRef");
        w.BeginObject();
        w.PlainKey("name");
        w.String(v.pvc_ref->name);
        w.PlainKey("namespace");
        w.String(v.pvc_ref->namespace_);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  PutFs(w, "ephemeral-storage", p.ephemeral_storage);
  if (p.process_stats.has_value()) {
    w.PlainKey("process_stats");
    w.BeginObject();
    PutOptU64(w, "process_count", p.process_stats->process_count);
    w.EndObject();
  }
  PutSwap(w, p.swap);
  w.EndObject();
}

void WriteNode(JsonOut& w, const NodeStats& n, bool cpu_and_memory_only) {
  w.BeginObject();
  w.PlainKey("nodeName");
  w.String(n.node_name);
  if (!n.system_containers.empty()) {
    w.PlainKey("systemContainers");
    w.BeginArray();
    for (const ContainerStats& c : n.system_containers) WriteContainer(w, c, cpu_and_memory_only);
    w.EndArray();
  }
  PutTime(w, "startTime", n.start_time);
  PutCpu(w, n.cpu);
  PutMemory(w, n.memory);
  if (cpu_and_memory_only) {
    w.EndObject();
    return;
  }
  PutIo(w, n.io);
  PutNetwork(w, n.network);
  PutFs(w, "fs", n.fs);
  if (n.runtime.has_value()) {
    w.PlainKey("runtime");
    w.BeginObject();
    PutFs(w, "imageFs", n.runtime->image_fs);
    PutFs(w, "containerFs", n.runtime->container_fs);
    w.EndObject();
  }
  if (n.rlimit.has_value()) {
    w.PlainKey("rlimit");
    w.BeginObject();
    PutTime(w, "time", n.rlimit->time);
    PutOptI64(w, "maxpid", n.rlimit->max_pid);
    PutOptI64(w, "curproc", n.rlimit->num_of_running_processes);
    w.EndObject();
  }
  PutSwap(w, n.swap);
  w.EndObject();
}

void WriteSummary(JsonOut& w, const Summary& summary, bool cpu_and_memory_only) {
  w.BeginObject();
  w.PlainKey("node");
  WriteNode(w, summary.node, cpu_and_memory_only);
  w.PlainKey("pods");
  w.BeginArray();
  for (const PodStats& p : summary.pods) {
    WritePod(w, p, cpu_and_memory_only);
    if (!w.ok()) return;
  }
  w.EndArray();
  w.EndObject();
}

// --- reading ---------------------------------------------------------------------

std::string Child(const std::string& path, std::string_view key) { return path + "." + std::string(key); }

absl::Status TypeError(const std::string& path, std::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat("stats summary: ", path, ": expected ", ToAbsl(want)));
}

// The member `key` of object `obj`, or nullptr when absent or null.
const json* Member(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadU64(const json& v, const std::string& path, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
  } else if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < 0) return TypeError(path, "an unsigned integer");
    *out = static_cast<uint64_t>(i);
  } else {
    return TypeError(path, "an unsigned integer");
  }
  return absl::OkStatus();
}

absl::Status ReadI64(const json& v, const std::string& path, int64_t* out) {
  if (v.is_number_integer() && !v.is_number_unsigned()) {
    *out = v.get<int64_t>();
  } else if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return TypeError(path, "a 64-bit integer");
    *out = static_cast<int64_t>(u);
  } else {
    return TypeError(path, "an integer");
  }
  return absl::OkStatus();
}

absl::Status ReadDouble(const json& v, const std::string& path, double* out) {
  if (!v.is_number()) return TypeError(path, "a number");
  *out = v.get<double>();
  return absl::OkStatus();
}

absl::Status ReadString(const json& v, const std::string& path, std::string* out) {
  if (!v.is_string()) return TypeError(path, "a string");
  *out = v.get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadTime(const json& v, const std::string& path, absl::Time* out) {
  if (v.is_null()) {
    *out = absl::Time();
    return absl::OkStatus();
  }
  if (!v.is_string()) return TypeError(path, "an RFC 3339 time");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) {
    *out = absl::Time();
    return absl::OkStatus();
  }
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, out, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stats summary: ", path, ": invalid RFC 3339 time \"", s, "\": ", err));
  }
  return absl::OkStatus();
}

// Optional scalar members.
absl::Status OptU64(const json& obj, std::string_view key, const std::string& path,
                    std::optional<uint64_t>* out) {
  if (const json* v = Member(obj, key)) {
    uint64_t x = 0;
    VK_RETURN_IF_ERROR(ReadU64(*v, Child(path, key), &x));
    *out = x;
  }
  return absl::OkStatus();
}
absl::Status OptI64(const json& obj, std::string_view key, const std::string& path,
                    std::optional<int64_t>* out) {
  if (const json* v = Member(obj, key)) {
    int64_t x = 0;
    VK_RETURN_IF_ERROR(ReadI64(*v, Child(path, key), &x));
    *out = x;
  }
  return absl::OkStatus();
}
absl::Status U64(const json& obj, std::string_view key, const std::string& path, uint64_t* out) {
  if (const json* v = Member(obj, key)) return ReadU64(*v, Child(path, key), out);
  return absl::OkStatus();
}
absl::Status Dbl(const json& obj, std::string_view key, const std::string& path, double* out) {
  if (const json* v = Member(obj, key)) return ReadDouble(*v, Child(path, key), out);
  return absl::OkStatus();
}
absl::Status Str(const json& obj, std::string_view key, const std::string& path, std::string* out) {
  if (const json* v = Member(obj, key)) return ReadString(*v, Child(path, key), out);
  return absl::OkStatus();
}
absl::Status Tm(const json& obj, std::string_view key, const std::string& path, absl::Time* out) {
  if (const json* v = Member(obj, key)) return ReadTime(*v, Child(path, key), out);
  return absl::OkStatus();
}

absl::Status CheckObject(const json& v, const std::string& path) {
  return v.is_object() ? absl::OkStatus() : TypeError(path, "an object");
}

absl::Status Parse(const json& v, const std::string& path, PSIData* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(U64(v, "total", path, &out->total));
  VK_RETURN_IF_ERROR(Dbl(v, "avg10", path, &out->avg10));
  VK_RETURN_IF_ERROR(Dbl(v, "avg60", path, &out->avg60));
  return Dbl(v, "avg300", path, &out->avg300);
}

absl::Status Parse(const json& v, const std::string& path, PSIStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  if (const json* f = Member(v, "full")) VK_RETURN_IF_ERROR(Parse(*f, Child(path, "full"), &out->full));
  if (const json* s = Member(v, "some")) VK_RETURN_IF_ERROR(Parse(*s, Child(path, "some"), &out->some));
  return absl::OkStatus();
}

// Every struct reader, declared before the templates that call them.
absl::Status Parse(const json& v, const std::string& path, CPUStats* out);
absl::Status Parse(const json& v, const std::string& path, MemoryStats* out);
absl::Status Parse(const json& v, const std::string& path, IOStats* out);
absl::Status Parse(const json& v, const std::string& path, SwapStats* out);
absl::Status Parse(const json& v, const std::string& path, InterfaceStats* out);
absl::Status Parse(const json& v, const std::string& path, NetworkStats* out);
absl::Status Parse(const json& v, const std::string& path, FsStats* out);
absl::Status Parse(const json& v, const std::string& path, RuntimeStats* out);
absl::Status Parse(const json& v, const std::string& path, RlimitStats* out);
absl::Status Parse(const json& v, const std::string& path, AcceleratorStats* out);
absl::Status Parse(const json& v, const std::string& path, UserDefinedMetric* out);
absl::Status Parse(const json& v, const std::string& path, ContainerStats* out);
absl::Status Parse(const json& v, const std::string& path, PodReference* out);
absl::Status Parse(const json& v, const std::string& path, PVCReference* out);
absl::Status Parse(const json& v, const std::string& path, VolumeStats* out);
absl::Status Parse(const json& v, const std::string& path, ProcessStats* out);
absl::Status Parse(const json& v, const std::string& path, PodStats* out);
absl::Status Parse(const json& v, const std::string& path, NodeStats* out);

// An optional struct member.
template <typename T>
absl::Status Opt(const json& obj, std::string_view key, const std::string& path, std::optional<T>* out) {
  if (const json* v = Member(obj, key)) {
    T x;
    VK_RETURN_IF_ERROR(Parse(*v, Child(path, key), &x));
    *out = std::move(x);
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Array(const json& obj, std::string_view key, const std::string& path, std::vector<T>* out) {
  const json* v = Member(obj, key);
  if (v == nullptr) return absl::OkStatus();
  std::string p = Child(path, key);
  if (!v->is_array()) return TypeError(p, "an array");
  out->reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    T x;
    VK_RETURN_IF_ERROR(Parse((*v)[i], absl::StrCat(p, "[", i, "]"), &x));
    out->push_back(std::move(x));
  }
  return absl::OkStatus();
}

absl::Status Parse(const json& v, const std::string& path, CPUStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(OptU64(v, "usageNanoCores", path, &out->usage_nano_cores));
  VK_RETURN_IF_ERROR(OptU64(v, "usageCoreNanoSeconds", path, &out->usage_core_nano_seconds));
  return Opt(v, "psi", path, &out->psi);
}

absl::Status Parse(const json& v, const std::string& path, MemoryStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(OptU64(v, "availableBytes", path, &out->available_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "usageBytes", path, &out->usage_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "workingSetBytes", path, &out->working_set_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "rssBytes", path, &out->rss_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "pageFaults", path, &out->page_faults));
  VK_RETURN_IF_ERROR(OptU64(v, "majorPageFaults", path, &out->major_page_faults));
  return Opt(v, "psi", path, &out->psi);
}

absl::Status Parse(const json& v, const std::string& path, IOStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  return Opt(v, "psi", path, &out->psi);
}

absl::Status Parse(const json& v, const std::string& path, SwapStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(OptU64(v, "swapAvailableBytes", path, &out->swap_available_bytes));
  return OptU64(v, "swapUsageBytes", path, &out->swap_usage_bytes);
}

absl::Status ParseInterfaceFields(const json& v, const std::string& path, InterfaceStats* out) {
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  VK_RETURN_IF_ERROR(OptU64(v, "rxBytes", path, &out->rx_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "rxErrors", path, &out->rx_errors));
  VK_RETURN_IF_ERROR(OptU64(v, "txBytes", path, &out->tx_bytes));
  return OptU64(v, "txErrors", path, &out->tx_errors);
}

absl::Status Parse(const json& v, const std::string& path, InterfaceStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  return ParseInterfaceFields(v, path, out);
}

absl::Status Parse(const json& v, const std::string& path, NetworkStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(ParseInterfaceFields(v, path, &out->default_interface));
  return Array(v, "interfaces", path, &out->interfaces);
}

absl::Status ParseFsFields(const json& v, const std::string& path, FsStats* out) {
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(OptU64(v, "availableBytes", path, &out->available_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "capacityBytes", path, &out->capacity_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "usedBytes", path, &out->used_bytes));
  VK_RETURN_IF_ERROR(OptU64(v, "inodesFree", path, &out->inodes_free));
  VK_RETURN_IF_ERROR(OptU64(v, "inodes", path, &out->inodes));
  return OptU64(v, "inodesUsed", path, &out->inodes_used);
}

absl::Status Parse(const json& v, const std::string& path, FsStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  return ParseFsFields(v, path, out);
}

absl::Status Parse(const json& v, const std::string& path, RuntimeStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Opt(v, "imageFs", path, &out->image_fs));
  return Opt(v, "containerFs", path, &out->container_fs);
}

absl::Status Parse(const json& v, const std::string& path, RlimitStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  VK_RETURN_IF_ERROR(OptI64(v, "maxpid", path, &out->max_pid));
  return OptI64(v, "curproc", path, &out->num_of_running_processes);
}

absl::Status Parse(const json& v, const std::string& path, AcceleratorStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "make", path, &out->make));
  VK_RETURN_IF_ERROR(Str(v, "model", path, &out->model));
  VK_RETURN_IF_ERROR(Str(v, "id", path, &out->id));
  VK_RETURN_IF_ERROR(U64(v, "memoryTotal", path, &out->memory_total));
  VK_RETURN_IF_ERROR(U64(v, "memoryUsed", path, &out->memory_used));
  return U64(v, "dutyCycle", path, &out->duty_cycle);
}

absl::Status Parse(const json& v, const std::string& path, UserDefinedMetric* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  VK_RETURN_IF_ERROR(Str(v, "type", path, &out->type));
  VK_RETURN_IF_ERROR(Str(v, "units", path, &out->units));
  if (const json* labels = Member(v, "labels")) {
    std::string p = Child(path, "labels");
    if (!labels->is_object()) return TypeError(p, "an object");
    for (auto it = labels->begin(); it != labels->end(); ++it) {
      std::string value;
      VK_RETURN_IF_ERROR(ReadString(it.value(), Child(p, it.key()), &value));
      out->labels[it.key()] = std::move(value);
    }
  }
  VK_RETURN_IF_ERROR(Tm(v, "time", path, &out->time));
  return Dbl(v, "value", path, &out->value);
}

absl::Status Parse(const json& v, const std::string& path, ContainerStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  VK_RETURN_IF_ERROR(Tm(v, "startTime", path, &out->start_time));
  VK_RETURN_IF_ERROR(Opt(v, "cpu", path, &out->cpu));
  VK_RETURN_IF_ERROR(Opt(v, "memory", path, &out->memory));
  VK_RETURN_IF_ERROR(Opt(v, "io", path, &out->io));
  VK_RETURN_IF_ERROR(Array(v, "accelerators", path, &out->accelerators));
  VK_RETURN_IF_ERROR(Opt(v, "rootfs", path, &out->rootfs));
  VK_RETURN_IF_ERROR(Opt(v, "logs", path, &out->logs));
  VK_RETURN_IF_ERROR(Array(v, "userDefinedMetrics", path, &out->user_defined_metrics));
  return Opt(v, "swap", path, &out->swap);
}

absl::Status Parse(const json& v, const std::string& path, PodReference* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  VK_RETURN_IF_ERROR(Str(v, "namespace", path, &out->namespace_));
  return Str(v, "uid", path, &out->uid);
}

absl::Status Parse(const json& v, const std::string& path, PVCReference* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  return Str(v, "namespace", path, &out->namespace_);
}

absl::Status Parse(const json& v, const std::string& path, VolumeStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(ParseFsFields(v, path, &out->fs));
  VK_RETURN_IF_ERROR(Str(v, "name", path, &out->name));
  return Opt(v, "pvcRef", path, &out->pvc_ref);
}

absl::Status Parse(const json& v, const std::string& path, ProcessStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  return OptU64(v, "process_count", path, &out->process_count);
}

absl::Status Parse(const json& v, const std::string& path, PodStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  if (const json* ref = Member(v, "podRef"))
    VK_RETURN_IF_ERROR(Parse(*ref, Child(path, "podRef"), &out->pod_ref));
  VK_RETURN_IF_ERROR(Tm(v, "startTime", path, &out->start_time));
  VK_RETURN_IF_ERROR(Array(v, "containers", path, &out->containers));
  VK_RETURN_IF_ERROR(Opt(v, "cpu", path, &out->cpu));
  VK_RETURN_IF_ERROR(Opt(v, "memory", path, &out->memory));
  VK_RETURN_IF_ERROR(Opt(v, "io", path, &out->io));
  VK_RETURN_IF_ERROR(Opt(v, "network", path, &out->network));
  VK_RETURN_IF_ERROR(Array(v, "volume", path, &out->volume));
  VK_RETURN_IF_ERROR(Opt(v, "ephemeral-storage", path, &out->ephemeral_storage));
  VK_RETURN_IF_ERROR(Opt(v, "process_stats", path, &out->process_stats));
  return Opt(v, "swap", path, &out->swap);
}

absl::Status Parse(const json& v, const std::string& path, NodeStats* out) {
  VK_RETURN_IF_ERROR(CheckObject(v, path));
  VK_RETURN_IF_ERROR(Str(v, "nodeName", path, &out->node_name));
  VK_RETURN_IF_ERROR(Array(v, "systemContainers", path, &out->system_containers));
  VK_RETURN_IF_ERROR(Tm(v, "startTime", path, &out->start_time));
  VK_RETURN_IF_ERROR(Opt(v, "cpu", path, &out->cpu));
  VK_RETURN_IF_ERROR(Opt(v, "memory", path, &out->memory));
  VK_RETURN_IF_ERROR(Opt(v, "io", path, &out->io));
  VK_RETURN_IF_ERROR(Opt(v, "network", path, &out->network));
  VK_RETURN_IF_ERROR(Opt(v, "fs", path, &out->fs));
  VK_RETURN_IF_ERROR(Opt(v, "runtime", path, &out->runtime));
  VK_RETURN_IF_ERROR(Opt(v, "rlimit", path, &out->rlimit));
  return Opt(v, "swap", path, &out->swap);
}

}  // namespace

std::string ToJson(const Summary& summary) {
  std::string out;
  // Roughly what one pod with one container costs; avoids most regrowth.
  out.reserve(512 + summary.pods.size() * 1200);
  JsonOut w(&out);
  WriteSummary(w, summary, false);
  w.Finish();
  return out;
}

namespace internal {

bool WriteSummaryJson(const Summary& summary, const SummaryJsonOptions& options,
                      const std::function<bool(std::string& piece)>& sink) {
  std::string buf;
  buf.reserve(options.piece_bytes + (64 << 10));
  JsonOut w(&buf, std::max<size_t>(options.piece_bytes, 1), sink);
  WriteSummary(w, summary, options.cpu_and_memory_only);
  w.Finish();
  return w.ok();
}

}  // namespace internal

absl::StatusOr<Summary> SummaryFromJson(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("stats summary: not valid JSON");
  Summary s;
  const std::string root = "summary";
  VK_RETURN_IF_ERROR(CheckObject(doc, root));
  if (const json* node = Member(doc, "node")) VK_RETURN_IF_ERROR(Parse(*node, Child(root, "node"), &s.node));
  VK_RETURN_IF_ERROR(Array(doc, "pods", root, &s.pods));
  return s;
}

}  // namespace vkubelet::stats

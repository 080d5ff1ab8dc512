// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Summary JSON encoder as it was before the streaming writer replaced
// it (a straightforward std::string appender), kept as the reference the
// new encoder's output is compared against. Test-only.

#ifndef VKUBELET_TESTS_API_SUMMARY_JSON_REFERENCE_H_
#define VKUBELET_TESTS_API_SUMMARY_JSON_REFERENCE_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "vkubelet/stats/summary.h"

namespace vkubelet::stats::reference {

class RefJsonOut {
 public:
  explicit RefJsonOut(std::string* out) : out_(out) {}

  void BeginObject() {
    Comma();
    out_->push_back('{');
    need_comma_ = false;
  }
  void EndObject() {
    out_->push_back('}');
    need_comma_ = true;
  }
  void BeginArray() {
    Comma();
    out_->push_back('[');
    need_comma_ = false;
  }
  void EndArray() {
    out_->push_back(']');
    need_comma_ = true;
  }
  void Key(std::string_view key) {
    Comma();
    AppendString(key);
    out_->push_back(':');
    need_comma_ = false;
  }
  void String(std::string_view s) {
    Comma();
    AppendString(s);
    need_comma_ = true;
  }
  void Uint(uint64_t v);
  void Int(int64_t v);
  // Non-finite values (which Go refuses to encode) are written as null.
  void Double(double v);
  void Bool(bool v) {
    Comma();
    out_->append(v ? "true" : "false");
    need_comma_ = true;
  }
  void Null() {
    Comma();
    out_->append("null");
    need_comma_ = true;
  }
  // meta/v1 Time: null for the zero value (absl::Time(), the Unix epoch, or
  // InfinitePast), else "2006-01-02T15:04:05Z".
  void Time(absl::Time t);

 private:
  void Comma() {
    if (need_comma_) out_->push_back(',');
  }
  void AppendString(std::string_view s);

  std::string* out_;
  bool need_comma_ = false;
};

inline bool IsZeroTime(absl::Time t);
inline void AppendRfc3339Seconds(std::string* out, absl::Time t);
inline void AppendGoJsonFloat(std::string* out, double v);

namespace detail {

constexpr char kHex[] = "0123456789abcdef";

inline void AppendUnicodeEscape(std::string* out, uint32_t cp) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(cp >> shift) & 0xF]);
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid
// (overlong forms, surrogates and code points past U+10FFFF included).
inline size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n;
  uint32_t v;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    v = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    v = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    unsigned char cc = byte(i + k);
    if ((cc & 0xC0) != 0x80) return 0;
    v = (v << 6) | (cc & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) || (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return n;
}

inline void Append2(std::string* out, int v) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace detail
using namespace detail;

inline void RefJsonOut::AppendString(std::string_view s) {
  out_->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out_->append("\\\"");
          break;
        case '\\':
          out_->append("\\\\");
          break;
        case '\n':
          out_->append("\\n");
          break;
        case '\r':
          out_->append("\\r");
          break;
        case '\t':
          out_->append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          AppendUnicodeEscape(out_, c);
          break;
        default:
          if (c < 0x20) {
            AppendUnicodeEscape(out_, c);
          } else {
            out_->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t n = Utf8SequenceLength(s, i, &cp);
    if (n == 0) {
      out_->append("\\ufffd");
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      AppendUnicodeEscape(out_, cp);
    } else {
      out_->append(s.substr(i, n));
    }
    i += n;
  }
  out_->push_back('"');
}

inline void RefJsonOut::Uint(uint64_t v) {
  Comma();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  need_comma_ = true;
}

inline void RefJsonOut::Int(int64_t v) {
  Comma();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out_->append(buf, static_cast<size_t>(r.ptr - buf));
  need_comma_ = true;
}

inline void RefJsonOut::Double(double v) {
  Comma();
  AppendGoJsonFloat(out_, v);
  need_comma_ = true;
}

inline void RefJsonOut::Time(absl::Time t) {
  Comma();
  if (IsZeroTime(t)) {
    out_->append("null");
  } else {
    out_->push_back('"');
    AppendRfc3339Seconds(out_, t);
    out_->push_back('"');
  }
  need_comma_ = true;
}

inline bool IsZeroTime(absl::Time t) { return t == absl::Time() || t == absl::InfinitePast(); }

inline void AppendRfc3339Seconds(std::string* out, absl::Time t) {
  absl::CivilSecond cs = absl::ToCivilSecond(t, absl::UTCTimeZone());
  int64_t year = cs.year();
  if (year < 0 || year > 9999) {
    // Go refuses such times; write something parseable rather than garbage.
    year = year < 0 ? 0 : 9999;
  }
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof(buf), year);
  for (size_t pad = static_cast<size_t>(r.ptr - buf); pad < 4; ++pad) out->push_back('0');
  out->append(buf, static_cast<size_t>(r.ptr - buf));
  out->push_back('-');
  Append2(out, cs.month());
  out->push_back('-');
  Append2(out, cs.day());
  out->push_back('T');
  Append2(out, cs.hour());
  out->push_back(':');
  Append2(out, cs.minute());
  out->push_back(':');
  Append2(out, cs.second());
  out->push_back('Z');
}

inline void AppendGoJsonFloat(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  double a = std::fabs(v);
  char buf[64];
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    // Go writes e-07 as e-7.
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') {
      out->append(s.substr(0, n - 2));
      out->push_back(s[n - 1]);
    } else {
      out->append(s);
    }
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out->append(buf, static_cast<size_t>(r.ptr - buf));
}

namespace writer {
// --- writing ---------------------------------------------------------------------

inline void PutOptU64(RefJsonOut& w, std::string_view key, const std::optional<uint64_t>& v) {
  if (v.has_value()) {
    w.Key(key);
    w.Uint(*v);
  }
}

inline void PutOptI64(RefJsonOut& w, std::string_view key, const std::optional<int64_t>& v) {
  if (v.has_value()) {
    w.Key(key);
    w.Int(*v);
  }
}

inline void PutTime(RefJsonOut& w, std::string_view key, absl::Time t) {
  w.Key(key);
  w.Time(t);
}

inline void WritePsiData(RefJsonOut& w, const PSIData& d) {
  w.BeginObject();
  w.Key("total");
  w.Uint(d.total);
  w.Key("avg10");
  w.Double(d.avg10);
  w.Key("avg60");
  w.Double(d.avg60);
  w.Key("avg300");
  w.Double(d.avg300);
  w.EndObject();
}

inline void PutPsi(RefJsonOut& w, const std::optional<PSIStats>& psi) {
  if (!psi.has_value()) return;
  w.Key("psi");
  w.BeginObject();
  w.Key("full");
  WritePsiData(w, psi->full);
  w.Key("some");
  WritePsiData(w, psi->some);
  w.EndObject();
}

inline void PutCpu(RefJsonOut& w, const std::optional<CPUStats>& cpu) {
  if (!cpu.has_value()) return;
  w.Key("cpu");
  w.BeginObject();
  PutTime(w, "time", cpu->time);
  PutOptU64(w, "usageNanoCores", cpu->usage_nano_cores);
  PutOptU64(w, "usageCoreNanoSeconds", cpu->usage_core_nano_seconds);
  PutPsi(w, cpu->psi);
  w.EndObject();
}

inline void PutMemory(RefJsonOut& w, const std::optional<MemoryStats>& m) {
  if (!m.has_value()) return;
  w.Key("memory");
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

inline void PutIo(RefJsonOut& w, const std::optional<IOStats>& io) {
  if (!io.has_value()) return;
  w.Key("io");
  w.BeginObject();
  PutTime(w, "time", io->time);
  PutPsi(w, io->psi);
  w.EndObject();
}

inline void PutSwap(RefJsonOut& w, const std::optional<SwapStats>& s) {
  if (!s.has_value()) return;
  w.Key("swap");
  w.BeginObject();
  PutTime(w, "time", s->time);
  PutOptU64(w, "swapAvailableBytes", s->swap_available_bytes);
  PutOptU64(w, "swapUsageBytes", s->swap_usage_bytes);
  w.EndObject();
}

inline void PutFsFields(RefJsonOut& w, const FsStats& fs) {
  PutTime(w, "time", fs.time);
  PutOptU64(w, "availableBytes", fs.available_bytes);
  PutOptU64(w, "capacityBytes", fs.capacity_bytes);
  PutOptU64(w, "usedBytes", fs.used_bytes);
  PutOptU64(w, "inodesFree", fs.inodes_free);
  PutOptU64(w, "inodes", fs.inodes);
  PutOptU64(w, "inodesUsed", fs.inodes_used);
}

inline void PutFs(RefJsonOut& w, std::string_view key, const std::optional<FsStats>& fs) {
  if (!fs.has_value()) return;
  w.Key(key);
  w.BeginObject();
  PutFsFields(w, *fs);
  w.EndObject();
}

inline void PutInterfaceFields(RefJsonOut& w, const InterfaceStats& i) {
  w.Key("name");
  w.String(i.name);
  PutOptU64(w, "rxBytes", i.rx_bytes);
  PutOptU64(w, "rxErrors", i.rx_errors);
  PutOptU64(w, "txBytes", i.tx_bytes);
  PutOptU64(w, "txErrors", i.tx_errors);
}

inline void PutNetwork(RefJsonOut& w, const std::optional<NetworkStats>& n) {
  if (!n.has_value()) return;
  w.Key("network");
  w.BeginObject();
  PutTime(w, "time", n->time);
  PutInterfaceFields(w, n->default_interface);
  if (!n->interfaces.empty()) {
    w.Key("interfaces");
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

inline void WriteContainer(RefJsonOut& w, const ContainerStats& c) {
  w.BeginObject();
  w.Key("name");
  w.String(c.name);
  PutTime(w, "startTime", c.start_time);
  PutCpu(w, c.cpu);
  PutMemory(w, c.memory);
  PutIo(w, c.io);
  if (!c.accelerators.empty()) {
    w.Key("accelerators");
    w.BeginArray();
    for (const AcceleratorStats& a : c.accelerators) {
      w.BeginObject();
      w.Key("make");
      w.String(a.make);
      w.Key("model");
      w.String(a.model);
      w.Key("id");
      w.String(a.id);
      w.Key("memoryTotal");
      w.Uint(a.memory_total);
      w.Key("memoryUsed");
      w.Uint(a.memory_used);
      w.Key("dutyCycle");
      w.Uint(a.duty_cycle);
      w.EndObject();
    }
    w.EndArray();
  }
  PutFs(w, "rootfs", c.rootfs);
  PutFs(w, "logs", c.logs);
  if (!c.user_defined_metrics.empty()) {
    w.Key("userDefinedMetrics");
    w.BeginArray();
    for (const UserDefinedMetric& m : c.user_defined_metrics) {
      w.BeginObject();
      w.Key("name");
      w.String(m.name);
      w.Key("type");
      w.String(m.type);
      w.Key("units");
      w.String(m.units);
      if (!m.labels.empty()) {
        w.Key("labels");
        w.BeginObject();
        for (const auto& [k, v] : m.labels) {  // std::map: sorted keys, as Go writes maps
          w.Key(k);
          w.String(v);
        }
        w.EndObject();
      }
      PutTime(w, "time", m.time);
      w.Key("value");
      w.Double(m.value);
      w.EndObject();
    }
    w.EndArray();
  }
  PutSwap(w, c.swap);
  w.EndObject();
}

inline void WritePod(RefJsonOut& w, const PodStats& p) {
  w.BeginObject();
  w.Key("podRef");
  w.BeginObject();
  w.Key("name");
  w.String(p.pod_ref.name);
  w.Key("namespace");
  w.String(p.pod_ref.namespace_);
  w.Key("uid");
  w.String(p.pod_ref.uid);
  w.EndObject();
  PutTime(w, "startTime", p.start_time);
  w.Key("containers");
  w.BeginArray();
  for (const ContainerStats& c : p.containers) WriteContainer(w, c);
  w.EndArray();
  PutCpu(w, p.cpu);
  PutMemory(w, p.memory);
  PutIo(w, p.io);
  PutNetwork(w, p.network);
  if (!p.volume.empty()) {
    w.Key("volume");
    w.BeginArray();
    for (const VolumeStats& v : p.volume) {
      w.BeginObject();
      PutFsFields(w, v.fs);
      if (!v.name.empty()) {
        w.Key("name");
        w.String(v.name);
      }
      if (v.pvc_ref.has_value()) {
        w.Key("pvcRef");
        w.BeginObject();
        w.Key("name");
        w.String(v.pvc_ref->name);
        w.Key("namespace");
        w.String(v.pvc_ref->namespace_);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  PutFs(w, "ephemeral-storage", p.ephemeral_storage);
  if (p.process_stats.has_value()) {
    w.Key("process_stats");
    w.BeginObject();
    PutOptU64(w, "process_count", p.process_stats->process_count);
    w.EndObject();
  }
  PutSwap(w, p.swap);
  w.EndObject();
}

inline void WriteNode(RefJsonOut& w, const NodeStats& n) {
  w.BeginObject();
  w.Key("nodeName");
  w.String(n.node_name);
  if (!n.system_containers.empty()) {
    w.Key("systemContainers");
    w.BeginArray();
    for (const ContainerStats& c : n.system_containers) WriteContainer(w, c);
    w.EndArray();
  }
  PutTime(w, "startTime", n.start_time);
  PutCpu(w, n.cpu);
  PutMemory(w, n.memory);
  PutIo(w, n.io);
  PutNetwork(w, n.network);
  PutFs(w, "fs", n.fs);
  if (n.runtime.has_value()) {
    w.Key("runtime");
    w.BeginObject();
    PutFs(w, "imageFs", n.runtime->image_fs);
    PutFs(w, "containerFs", n.runtime->container_fs);
    w.EndObject();
  }
  if (n.rlimit.has_value()) {
    w.Key("rlimit");
    w.BeginObject();
    PutTime(w, "time", n.rlimit->time);
    PutOptI64(w, "maxpid", n.rlimit->max_pid);
    PutOptI64(w, "curproc", n.rlimit->num_of_running_processes);
    w.EndObject();
  }
  PutSwap(w, n.swap);
  w.EndObject();
}

}  // namespace writer

inline std::string ReferenceToJson(const Summary& summary) {
  std::string out;
  // Roughly what one pod with one container costs; avoids most regrowth.
  out.reserve(512 + summary.pods.size() * 900);
  RefJsonOut w(&out);
  using namespace writer;
  w.BeginObject();
  w.Key("node");
  WriteNode(w, summary.node);
  w.Key("pods");
  w.BeginArray();
  for (const PodStats& p : summary.pods) WritePod(w, p);
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace vkubelet::stats::reference

#endif  // VKUBELET_TESTS_API_SUMMARY_JSON_REFERENCE_H_

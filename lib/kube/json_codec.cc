// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Kubernetes JSON mapping, generically over protobuf descriptors. One
// encoder walks a message through protobuf reflection and drives a writer
// (Go-style text, or an nlohmann::json value); one decoder walks a parsed
// nlohmann value into a message. The handful of apimachinery types whose Go
// code has its own JSON form are recognised by message name; see codec.h for
// the presence rules.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "kube/envelope.h"
#include "kube/json_util.h"
#include "nlohmann/json.hpp"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/resource.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using ::vkubelet::internal::ToAbsl;

namespace internal {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid
// (overlong, surrogate, out of range, truncated).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* rune) {
  auto b0 = static_cast<unsigned char>(s[i]);
  size_t n = s.size() - i;
  auto cont = [&](size_t k) { return k < n && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    *rune = ((b0 & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    uint32_t r = ((b0 & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) return 0;
    *rune = r;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    uint32_t r = ((b0 & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
    if (r < 0x10000 || r > 0x10FFFF) return 0;
    *rune = r;
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  size_t start = 0;  // start of the pending run of bytes copied verbatim
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
        ++i;
        continue;
      }
      out.append(s.substr(start, i - start));
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
      ++i;
      start = i;
      continue;
    }
    uint32_t rune = 0;
    size_t len = DecodeUtf8(s, i, &rune);
    if (len == 0) {
      out.append(s.substr(start, i - start));
      out += "\\ufffd";
      ++i;
      start = i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out.append(s.substr(start, i - start));
      out += rune == 0x2028 ? "\\u2028" : "\\u2029";
      i += len;
      start = i;
      continue;
    }
    i += len;
  }
  out.append(s.substr(start));
  out += '"';
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    uint32_t rune;
    size_t len = DecodeUtf8(s, i, &rune);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      out += s[i++];
      continue;
    }
    uint32_t rune;
    size_t len = DecodeUtf8(s, i, &rune);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

void AppendJsonDouble(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  double a = std::fabs(v);
  std::to_chars_result r;
  bool exp = a != 0 && (a < 1e-6 || a >= 1e21);
  r = std::to_chars(buf, buf + sizeof(buf), v, exp ? std::chars_format::scientific : std::chars_format::fixed);
  std::string s(buf, r.ptr);
  if (exp) {
    // Go writes "1e-7", not "1e-07".
    size_t e = s.find('e');
    if (e != std::string::npos && e + 3 < s.size() + 1 && s.size() - e == 4 && s[e + 2] == '0') s.erase(e + 2, 1);
  }
  out += s;
}

size_t JsonNestingDepth(std::string_view text) {
  size_t depth = 0, max_depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

}  // namespace internal

namespace {

using internal::kMaxJsonDepth;

// ---------------------------------------------------------------------------
// Types with their own JSON form

enum class Special {
  kNone,
  kTime,
  kMicroTime,
  kDuration,
  kQuantity,
  kIntOrString,
  kRawExtension,
  kUnknown,
  kFieldsV1,
  kStringList,  // Go slice types wrapped in {repeated string items = 1}
};

Special ClassifyByName(const std::string& name) {
  static const std::pair<std::string_view, Special> kByName[] = {
      {"k8s.io.apimachinery.pkg.apis.meta.v1.Time", Special::kTime},
      {"k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime", Special::kMicroTime},
      {"k8s.io.apimachinery.pkg.apis.meta.v1.Duration", Special::kDuration},
      {"k8s.io.apimachinery.pkg.api.resource.Quantity", Special::kQuantity},
      {"k8s.io.apimachinery.pkg.api.resource.QuantityValue", Special::kQuantity},
      {"k8s.io.apimachinery.pkg.util.intstr.IntOrString", Special::kIntOrString},
      {"k8s.io.apimachinery.pkg.runtime.RawExtension", Special::kRawExtension},
      {"k8s.io.apimachinery.pkg.runtime.Unknown", Special::kUnknown},
      {"k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1", Special::kFieldsV1},
      {"k8s.io.apimachinery.pkg.apis.meta.v1.Verbs", Special::kStringList},
      {"k8s.io.api.authentication.v1.ExtraValue", Special::kStringList},
      {"k8s.io.api.authentication.v1.AttestationValue", Special::kStringList},
      {"k8s.io.api.authorization.v1.ExtraValue", Special::kStringList},
  };
  for (const auto& [n, s] : kByName) {
    if (name == n) return s;
  }
  return Special::kNone;
}

Special Classify(const Descriptor* d) {
  // Fast path: the generated descriptors (compared by address).
  static const Descriptor* const kTime = metav1::Time::descriptor();
  static const Descriptor* const kMicroTime = metav1::MicroTime::descriptor();
  static const Descriptor* const kQuantity = resourcepb::Quantity::descriptor();
  static const Descriptor* const kIntOrString = intstr::IntOrString::descriptor();
  static const Descriptor* const kFieldsV1 = metav1::FieldsV1::descriptor();
  static const Descriptor* const kRawExtension = k8sruntime::RawExtension::descriptor();
  if (d == kTime) return Special::kTime;
  if (d == kMicroTime) return Special::kMicroTime;
  if (d == kQuantity) return Special::kQuantity;
  if (d == kIntOrString) return Special::kIntOrString;
  if (d == kFieldsV1) return Special::kFieldsV1;
  if (d == kRawExtension) return Special::kRawExtension;
  // The few other special types, and messages from other descriptor pools.
  const std::string& pkg = d->file()->package();
  if (pkg.rfind("k8s.io.", 0) != 0) return Special::kNone;
  if (d->field_count() > 4) return Special::kNone;
  return ClassifyByName(d->full_name());
}

// Go structs embedded with `json:",inline"`: their fields appear in the
// parent's JSON object, while protobuf has them as a message field. proto2
// does not record this, so the few cases in the Kubernetes API are listed.
bool IsInlineField(const FieldDescriptor* f) {
  if (f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) return false;
  const std::string& type = f->message_type()->full_name();
  const std::string& name = f->name();
  return (name == "localObjectReference" && type == "k8s.io.api.core.v1.LocalObjectReference") ||
         (name == "volumeSource" && type == "k8s.io.api.core.v1.VolumeSource") ||
         (name == "persistentVolumeSource" && type == "k8s.io.api.core.v1.PersistentVolumeSource") ||
         (name == "handler" && type == "k8s.io.api.core.v1.ProbeHandler") ||
         (name == "ephemeralContainerCommon" && type == "k8s.io.api.core.v1.EphemeralContainerCommon");
}

std::vector<const FieldDescriptor*> ComputeInlineFields(const Descriptor* d) {
  std::vector<const FieldDescriptor*> out;
  for (int i = 0; i < d->field_count(); ++i) {
    if (IsInlineField(d->field(i))) out.push_back(d->field(i));
  }
  return out;
}

// The inline fields of `d` (usually none). Messages of the generated pool
// are indexed once; others are scanned on each call.
const std::vector<const FieldDescriptor*>& InlineFields(const Descriptor* d) {
  static const auto* const kIndex = [] {
    auto* index = new absl::flat_hash_map<const Descriptor*, std::vector<const FieldDescriptor*>>();
    const google::protobuf::FileDescriptor* file = corev1::Pod::descriptor()->file();
    std::vector<const Descriptor*> todo;
    for (int i = 0; i < file->message_type_count(); ++i) todo.push_back(file->message_type(i));
    while (!todo.empty()) {
      const Descriptor* m = todo.back();
      todo.pop_back();
      for (int i = 0; i < m->nested_type_count(); ++i) todo.push_back(m->nested_type(i));
      auto fields = ComputeInlineFields(m);
      if (!fields.empty()) (*index)[m] = std::move(fields);
    }
    return index;
  }();
  static const std::vector<const FieldDescriptor*> kNone;
  if (auto it = kIndex->find(d); it != kIndex->end()) return it->second;
  if (d->file()->pool() == google::protobuf::DescriptorPool::generated_pool() ||
      d->file()->package() != "k8s.io.api.core.v1") {
    return kNone;
  }
  // Messages of another pool (dynamic messages): cached, entries never move.
  static absl::Mutex mu;
  static auto* const others = new absl::flat_hash_map<const Descriptor*, std::unique_ptr<std::vector<const FieldDescriptor*>>>();
  absl::MutexLock lock(&mu);
  auto& slot = (*others)[d];
  if (slot == nullptr) slot = std::make_unique<std::vector<const FieldDescriptor*>>(ComputeInlineFields(d));
  return *slot;
}

// A list kind's "items" is written even when empty (Go has no omitempty on it).
bool AlwaysEmitEmpty(const FieldDescriptor* f) {
  if (!f->is_repeated() || f->name() != "items") return false;
  const std::string& n = f->containing_type()->name();
  return n.size() > 4 && n.compare(n.size() - 4, 4, "List") == 0;
}

const FieldDescriptor* FieldNumber(const Descriptor* d, int number) { return d->FindFieldByNumber(number); }

// ---------------------------------------------------------------------------
// Writers

// Go encoding/json text: compact, or MarshalIndent(v, "", "  ").
class TextWriter {
 public:
  TextWriter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}
  void BeginObject() {
    BeforeValue();
    out_ += '{';
    ++depth_;
    first_ = true;
  }
  void EndObject() { Close('}'); }
  void BeginArray() {
    BeforeValue();
    out_ += '[';
    ++depth_;
    first_ = true;
  }
  void EndArray() { Close(']'); }
  void Key(std::string_view k) {
    BeforeValue();
    internal::AppendJsonString(out_, k);
    out_ += pretty_ ? ": " : ":";
    after_key_ = true;
  }
  void String(std::string_view s) {
    BeforeValue();
    internal::AppendJsonString(out_, s);
  }
  void Int(int64_t v) {
    BeforeValue();
    absl::StrAppend(&out_, v);
  }
  void Uint(uint64_t v) {
    BeforeValue();
    absl::StrAppend(&out_, v);
  }
  void Double(double v) {
    BeforeValue();
    internal::AppendJsonDouble(out_, v);
  }
  void Bool(bool v) {
    BeforeValue();
    out_ += v ? "true" : "false";
  }
  void Null() {
    BeforeValue();
    out_ += "null";
  }

 private:
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (depth_ == 0) return;
    if (!first_) out_ += ',';
    if (pretty_) Newline();
    first_ = false;
  }
  void Close(char c) {
    --depth_;
    if (!first_ && pretty_) Newline();
    out_ += c;
    first_ = false;
  }
  void Newline() {
    out_ += '\n';
    out_.append(static_cast<size_t>(depth_) * 2, ' ');
  }

  std::string& out_;
  bool pretty_;
  int depth_ = 0;
  bool first_ = true;
  bool after_key_ = false;
};

// Builds an nlohmann::json value.
class ValueWriter {
 public:
  void BeginObject() { Open(nlohmann::json::object()); }
  void EndObject() { stack_.pop_back(); }
  void BeginArray() { Open(nlohmann::json::array()); }
  void EndArray() { stack_.pop_back(); }
  void Key(std::string_view k) {
    if (internal::IsValidUtf8(k)) {
      key_.assign(k.data(), k.size());
    } else {
      key_ = internal::SanitizeUtf8(k);  // map keys come from protobuf unchecked
    }
  }
  void String(std::string_view s) {
    if (internal::IsValidUtf8(s)) {
      Slot() = std::string(s);
    } else {
      Slot() = internal::SanitizeUtf8(s);  // keeps the value dump()-able
    }
  }
  void Int(int64_t v) { Slot() = v; }
  void Uint(uint64_t v) { Slot() = v; }
  void Double(double v) {
    if (std::isfinite(v)) {
      Slot() = v;
    } else {
      Slot() = nullptr;
    }
  }
  void Bool(bool v) { Slot() = v; }
  void Null() { Slot() = nullptr; }

  nlohmann::json Take() { return std::move(root_); }

 private:
  nlohmann::json& Slot() {
    if (stack_.empty()) return root_;
    nlohmann::json* top = stack_.back();
    if (top->is_object()) return (*top)[key_];
    top->push_back(nullptr);
    return top->back();
  }
  void Open(nlohmann::json v) {
    nlohmann::json& s = Slot();
    s = std::move(v);
    stack_.push_back(&s);
  }

  nlohmann::json root_;
  std::vector<nlohmann::json*> stack_;
  std::string key_;
};

template <typename W, typename J>
void WriteJsonValue(W& w, const J& v, int depth) {
  if (depth > kMaxJsonDepth) {
    w.Null();
    return;
  }
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      w.BeginObject();
      for (auto it = v.begin(); it != v.end(); ++it) {
        w.Key(it.key());
        WriteJsonValue(w, it.value(), depth + 1);
      }
      w.EndObject();
      break;
    case nlohmann::json::value_t::array:
      w.BeginArray();
      for (const auto& e : v) WriteJsonValue(w, e, depth + 1);
      w.EndArray();
      break;
    case nlohmann::json::value_t::string:
      w.String(v.template get_ref<const std::string&>());
      break;
    case nlohmann::json::value_t::boolean:
      w.Bool(v.template get<bool>());
      break;
    case nlohmann::json::value_t::number_integer:
      w.Int(v.template get<int64_t>());
      break;
    case nlohmann::json::value_t::number_unsigned:
      w.Uint(v.template get<uint64_t>());
      break;
    case nlohmann::json::value_t::number_float:
      w.Double(v.template get<double>());
      break;
    default:
      w.Null();
  }
}

// Parses JSON text kept in a bytes field (RawExtension, FieldsV1, Unknown);
// discarded on any error. Key order is kept.
nlohmann::ordered_json ParseEmbedded(std::string_view text) {
  if (internal::JsonNestingDepth(text) > static_cast<size_t>(kMaxJsonDepth)) {
    return nlohmann::ordered_json(nlohmann::ordered_json::value_t::discarded);
  }
  return nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

// ---------------------------------------------------------------------------
// Encoder

template <typename W>
class Encoder {
 public:
  explicit Encoder(W& w) : w_(w) {}

  void TopLevel(const Message& m, std::string_view api_version, std::string_view kind) {
    if (Classify(m.GetDescriptor()) != Special::kNone) {
      Value(m, 0);
      return;
    }
    w_.BeginObject();
    if (!kind.empty()) {
      w_.Key("kind");
      w_.String(kind);
    }
    if (!api_version.empty()) {
      w_.Key("apiVersion");
      w_.String(api_version);
    }
    Fields(m, 0);
    w_.EndObject();
  }

  // A message as a JSON value.
  void Value(const Message& m, int depth) {
    if (depth > kMaxJsonDepth) {
      w_.Null();
      return;
    }
    switch (Classify(m.GetDescriptor())) {
      case Special::kNone:
        w_.BeginObject();
        Fields(m, depth);
        w_.EndObject();
        return;
      case Special::kTime:
      case Special::kMicroTime:
        TimeValue(m, Classify(m.GetDescriptor()) == Special::kMicroTime);
        return;
      case Special::kDuration: {
        const FieldDescriptor* f = FieldNumber(m.GetDescriptor(), 1);
        int64_t ns = f ? m.GetReflection()->GetInt64(m, f) : 0;
        w_.String(FormatGoDuration(absl::Nanoseconds(ns)));
        return;
      }
      case Special::kQuantity: {
        const FieldDescriptor* f = FieldNumber(m.GetDescriptor(), 1);
        std::string scratch;
        const Reflection* r = m.GetReflection();
        if (f != nullptr && r->HasField(m, f)) {
          w_.String(r->GetStringReference(m, f, &scratch));
        } else {
          w_.String("0");  // Go's zero Quantity
        }
        return;
      }
      case Special::kIntOrString: {
        const Descriptor* d = m.GetDescriptor();
        const Reflection* r = m.GetReflection();
        const FieldDescriptor* type = FieldNumber(d, 1);
        const FieldDescriptor* int_val = FieldNumber(d, 2);
        const FieldDescriptor* str_val = FieldNumber(d, 3);
        if (type && str_val && r->GetInt64(m, type) == 1) {
          std::string scratch;
          w_.String(r->GetStringReference(m, str_val, &scratch));
        } else {
          w_.Int(int_val ? r->GetInt32(m, int_val) : 0);
        }
        return;
      }
      case Special::kRawExtension:
        EmbeddedValue(m, 1, "", "", depth);
        return;
      case Special::kFieldsV1:
        EmbeddedValue(m, 1, "", "", depth);
        return;
      case Special::kUnknown: {
        // Inline JSON raw; a protobuf raw is decoded through its typeMeta.
        const Descriptor* d = m.GetDescriptor();
        const Reflection* r = m.GetReflection();
        std::string api_version, kind;
        if (const FieldDescriptor* tmf = FieldNumber(d, 1); tmf && r->HasField(m, tmf)) {
          const Message& tm = r->GetMessage(m, tmf);
          const Descriptor* tmd = tm.GetDescriptor();
          if (const FieldDescriptor* f = FieldNumber(tmd, 1)) api_version = tm.GetReflection()->GetString(tm, f);
          if (const FieldDescriptor* f = FieldNumber(tmd, 2)) kind = tm.GetReflection()->GetString(tm, f);
        }
        EmbeddedValue(m, 2, api_version, kind, depth);
        return;
      }
      case Special::kStringList: {
        const FieldDescriptor* f = FieldNumber(m.GetDescriptor(), 1);
        const Reflection* r = m.GetReflection();
        w_.BeginArray();
        if (f != nullptr && f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
          std::string scratch;
          for (int i = 0, n = r->FieldSize(m, f); i < n; ++i) {
            w_.String(r->GetRepeatedStringReference(m, f, i, &scratch));
          }
        }
        w_.EndArray();
        return;
      }
    }
  }

 private:
  void Fields(const Message& m, int depth) {
    const Descriptor* d = m.GetDescriptor();
    const Reflection* r = m.GetReflection();
    for (int i = 0, n = d->field_count(); i < n; ++i) {
      const FieldDescriptor* f = d->field(i);
      if (f->is_repeated()) {
        int size = r->FieldSize(m, f);
        if (size == 0 && !AlwaysEmitEmpty(f)) continue;
        w_.Key(f->name());
        if (f->is_map()) {
          MapValue(m, f, depth);
        } else {
          w_.BeginArray();
          for (int j = 0; j < size; ++j) {
            if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
              Value(r->GetRepeatedMessage(m, f, j), depth + 1);
            } else {
              RepeatedScalar(m, f, j);
            }
          }
          w_.EndArray();
        }
        continue;
      }
      bool present = f->has_presence() ? r->HasField(m, f) : IsNonDefault(m, f);
      if (!present) continue;
      if (IsInlineField(f)) {
        Fields(r->GetMessage(m, f), depth + 1);
        continue;
      }
      w_.Key(f->name());
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Value(r->GetMessage(m, f), depth + 1);
      } else {
        SingularScalar(m, f);
      }
    }
  }

  // Only for fields without presence (proto3 files); Kubernetes' are proto2.
  static bool IsNonDefault(const Message& m, const FieldDescriptor* f) {
    const Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return r->GetInt32(m, f) != 0;
      case FieldDescriptor::CPPTYPE_INT64:
        return r->GetInt64(m, f) != 0;
      case FieldDescriptor::CPPTYPE_UINT32:
        return r->GetUInt32(m, f) != 0;
      case FieldDescriptor::CPPTYPE_UINT64:
        return r->GetUInt64(m, f) != 0;
      case FieldDescriptor::CPPTYPE_FLOAT:
        return r->GetFloat(m, f) != 0;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        return r->GetDouble(m, f) != 0;
      case FieldDescriptor::CPPTYPE_BOOL:
        return r->GetBool(m, f);
      case FieldDescriptor::CPPTYPE_ENUM:
        return r->GetEnumValue(m, f) != 0;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        return !r->GetStringReference(m, f, &scratch).empty();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return r->HasField(m, f);
    }
    return false;
  }

  void SingularScalar(const Message& m, const FieldDescriptor* f) {
    const Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        w_.Int(r->GetInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        w_.Int(r->GetInt64(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        w_.Uint(r->GetUInt32(m, f));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        w_.Uint(r->GetUInt64(m, f));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        w_.Double(r->GetFloat(m, f));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        w_.Double(r->GetDouble(m, f));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        w_.Bool(r->GetBool(m, f));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        w_.String(r->GetEnum(m, f)->name());
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = r->GetStringReference(m, f, &scratch);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          w_.String(Base64Encode(s));
        } else {
          w_.String(s);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
  }

  void RepeatedScalar(const Message& m, const FieldDescriptor* f, int i) {
    const Reflection* r = m.GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        w_.Int(r->GetRepeatedInt32(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        w_.Int(r->GetRepeatedInt64(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        w_.Uint(r->GetRepeatedUInt32(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        w_.Uint(r->GetRepeatedUInt64(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        w_.Double(r->GetRepeatedFloat(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        w_.Double(r->GetRepeatedDouble(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        w_.Bool(r->GetRepeatedBool(m, f, i));
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        w_.String(r->GetRepeatedEnum(m, f, i)->name());
        break;
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = r->GetRepeatedStringReference(m, f, i, &scratch);
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          w_.String(Base64Encode(s));
        } else {
          w_.String(s);
        }
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
  }

  // Map keys are written sorted, as Go's encoding/json does.
  void MapValue(const Message& m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m.GetReflection();
    const Descriptor* entry = f->message_type();
    const FieldDescriptor* key_f = entry->map_key();
    const FieldDescriptor* val_f = entry->map_value();
    int size = r->FieldSize(m, f);
    std::vector<std::pair<std::string, const Message*>> entries;
    entries.reserve(size);
    for (int j = 0; j < size; ++j) {
      const Message& e = r->GetRepeatedMessage(m, f, j);
      entries.emplace_back(MapKeyText(e, key_f), &e);
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    w_.BeginObject();
    for (size_t j = 0; j < entries.size(); ++j) {
      // A key repeated on the wire: the last one wins, as in a parsed map.
      if (j + 1 < entries.size() && entries[j + 1].first == entries[j].first) continue;
      w_.Key(entries[j].first);
      const Message& e = *entries[j].second;
      if (val_f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Value(e.GetReflection()->GetMessage(e, val_f), depth + 1);
      } else {
        SingularScalar(e, val_f);
      }
    }
    w_.EndObject();
  }

  static std::string MapKeyText(const Message& e, const FieldDescriptor* key_f) {
    const Reflection* r = e.GetReflection();
    switch (key_f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return r->GetString(e, key_f);
      case FieldDescriptor::CPPTYPE_INT32:
        return absl::StrCat(r->GetInt32(e, key_f));
      case FieldDescriptor::CPPTYPE_INT64:
        return absl::StrCat(r->GetInt64(e, key_f));
      case FieldDescriptor::CPPTYPE_UINT32:
        return absl::StrCat(r->GetUInt32(e, key_f));
      case FieldDescriptor::CPPTYPE_UINT64:
        return absl::StrCat(r->GetUInt64(e, key_f));
      case FieldDescriptor::CPPTYPE_BOOL:
        return r->GetBool(e, key_f) ? "true" : "false";
      default:
        return "";
    }
  }

  void TimeValue(const Message& m, bool micro) {
    const Descriptor* d = m.GetDescriptor();
    const Reflection* r = m.GetReflection();
    const FieldDescriptor* sec_f = FieldNumber(d, 1);
    const FieldDescriptor* nanos_f = FieldNumber(d, 2);
    bool has_sec = sec_f && r->HasField(m, sec_f);
    bool has_nanos = nanos_f && r->HasField(m, nanos_f);
    if (!has_sec && !has_nanos) {
      w_.Null();  // Go's zero time
      return;
    }
    int64_t sec = sec_f ? r->GetInt64(m, sec_f) : 0;
    int32_t nanos = nanos_f ? r->GetInt32(m, nanos_f) : 0;
    absl::Time t = absl::FromUnixSeconds(sec);
    if (micro) {
      t += absl::Nanoseconds(nanos);
      w_.String(FormatRfc3339MicroTime(t));
    } else {
      w_.String(FormatRfc3339Time(t));
    }
  }

  // The JSON held in a bytes field, inline. A protobuf envelope (a
  // RawExtension read from a protobuf watch or list) is decoded through its
  // kind. Anything else cannot be shown in JSON and is written as null.
  void EmbeddedValue(const Message& m, int raw_field, std::string_view api_version_hint,
                     std::string_view kind_hint, int depth) {
    const FieldDescriptor* f = FieldNumber(m.GetDescriptor(), raw_field);
    const Reflection* r = m.GetReflection();
    if (f == nullptr || !r->HasField(m, f)) {
      w_.Null();
      return;
    }
    std::string scratch;
    const std::string& raw = r->GetStringReference(m, f, &scratch);
    if (raw.size() >= internal::kProtobufMagic.size() &&
        std::string_view(raw).substr(0, internal::kProtobufMagic.size()) == internal::kProtobufMagic) {
      auto env = internal::ParseEnvelope(raw);
      if (env.ok()) {
        const Message* proto = FindPrototype(env->api_version, env->kind);
        if (proto != nullptr) {
          std::unique_ptr<Message> obj(proto->New());
          if (internal::ParseRawInto(*env, obj.get()).ok()) {
            Encoder<W> inner(w_);
            inner.TopLevel(*obj, env->api_version, env->kind);
            return;
          }
        }
      }
      w_.Null();
      return;
    }
    nlohmann::ordered_json v = ParseEmbedded(raw);
    if (!v.is_discarded()) {
      WriteJsonValue(w_, v, depth);
      return;
    }
    if (raw_field == 2 && !kind_hint.empty()) {
      // runtime.Unknown holding protobuf, typed by its own typeMeta.
      const Message* proto = FindPrototype(api_version_hint, kind_hint);
      if (proto != nullptr) {
        std::unique_ptr<Message> obj(proto->New());
        if (obj->ParsePartialFromString(raw)) {
          Encoder<W> inner(w_);
          inner.TopLevel(*obj, api_version_hint, kind_hint);
          return;
        }
      }
    }
    w_.Null();
  }

  W& w_;
};

// ---------------------------------------------------------------------------
// Decoder

const char* TypeName(nlohmann::json::value_t t) {
  switch (t) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "integer";
    case nlohmann::json::value_t::number_float:
      return "number";
    default:
      return "invalid value";
  }
}

struct PathSeg {
  const std::string* name = nullptr;  // field name or map key
  bool is_key = false;                // map key: written as [key]
  int64_t index = -1;                 // array index
};

template <typename J>
class Decoder {
 public:
  Decoder(const JsonDecodeOptions& options, TypeMeta* type_meta) : options_(options), type_meta_(type_meta) {}

  absl::Status TopLevel(const J& v, Message* m) {
    m->Clear();
    if (Classify(m->GetDescriptor()) != Special::kNone) return MessageValue(v, m, 0);
    if (!v.is_object()) return Error(absl::StrCat("expected an object, got ", TypeName(v.type())));
    return Fields(v, m, /*top=*/true, 0);
  }

 private:
  std::string Path() const {
    std::string p;
    for (const PathSeg& s : path_) {
      if (s.index >= 0) {
        absl::StrAppend(&p, "[", s.index, "]");
      } else if (s.is_key) {
        absl::StrAppend(&p, "[", *s.name, "]");
      } else {
        if (!p.empty()) p += '.';
        p += *s.name;
      }
    }
    return p;
  }

  absl::Status Error(std::string_view what) const {
    std::string p = Path();
    if (p.empty()) p = "<root>";
    return absl::InvalidArgumentError(absl::StrCat("JSON ", p, ": ", ToAbsl(what)));
  }

  absl::Status TypeError(std::string_view want, const J& v) const {
    return Error(absl::StrCat("expected ", ToAbsl(want), ", got ", TypeName(v.type())));
  }

  struct Scope {
    Scope(std::vector<PathSeg>& path, PathSeg seg) : path_(path) { path_.push_back(seg); }
    ~Scope() { path_.pop_back(); }
    std::vector<PathSeg>& path_;
  };

  // Finds `key` in `m` or in its inline (embedded) fields, the shallowest
  // first like Go; returns the message that holds the field.
  static const FieldDescriptor* FindField(Message*& m, const std::string& key) {
    const Descriptor* d = m->GetDescriptor();
    if (const FieldDescriptor* f = d->FindFieldByName(key); f != nullptr && !IsInlineField(f)) return f;
    for (const FieldDescriptor* inl : InlineFields(d)) {
      Message* sub = m->GetReflection()->MutableMessage(m, inl);
      Message* holder = sub;
      if (const FieldDescriptor* f = FindField(holder, key)) {
        m = holder;
        return f;
      }
    }
    return nullptr;
  }

  absl::Status Fields(const J& v, Message* m, bool top, int depth) {
    if (depth > kMaxJsonDepth) return Error("nested too deeply");
    const Descriptor* d = m->GetDescriptor();
    // Embedded structs always exist in Go (and its protobuf writes them).
    for (const FieldDescriptor* inl : InlineFields(d)) m->GetReflection()->MutableMessage(m, inl);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      if (top && (key == "kind" || key == "apiVersion")) {
        if (!it.value().is_string()) {
          Scope s(path_, PathSeg{&key});
          return TypeError("a string", it.value());
        }
        if (type_meta_ != nullptr) {
          (key == "kind" ? type_meta_->kind : type_meta_->api_version) =
              it.value().template get_ref<const std::string&>();
        }
        continue;
      }
      Message* holder = m;
      const FieldDescriptor* f = FindField(holder, key);
      if (f == nullptr) {
        // Objects embed Go's TypeMeta; items of a list may carry it.
        if ((key == "kind" || key == "apiVersion") && d->FindFieldByName("metadata") != nullptr) continue;
        Scope s(path_, PathSeg{&key});
        if (options_.unknown_fields == JsonDecodeOptions::UnknownFields::kReject) {
          return Error("unknown field");
        }
        if (options_.unknown_paths != nullptr) options_.unknown_paths->push_back(Path());
        continue;
      }
      Scope s(path_, PathSeg{&f->name()});
      VK_RETURN_IF_ERROR(Field(it.value(), holder, f, depth));
    }
    return absl::OkStatus();
  }

  absl::Status Field(const J& v, Message* m, const FieldDescriptor* f, int depth) {
    const Reflection* r = m->GetReflection();
    if (v.is_null()) {
      if (!f->is_repeated() && f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        Special sp = Classify(f->message_type());
        if (sp == Special::kTime || sp == Special::kMicroTime) {
          r->MutableMessage(m, f)->Clear();  // present and zero: written back as null
          return absl::OkStatus();
        }
      }
      r->ClearField(m, f);
      return absl::OkStatus();
    }
    if (f->is_map()) {
      if (!v.is_object()) return TypeError("an object", v);
      r->ClearField(m, f);
      const Descriptor* entry = f->message_type();
      const FieldDescriptor* key_f = entry->map_key();
      const FieldDescriptor* val_f = entry->map_value();
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string& key = it.key();
        Scope s(path_, PathSeg{&key, true});
        Message* e = r->AddMessage(m, f);
        VK_RETURN_IF_ERROR(SetMapKey(key, e, key_f));
        if (it.value().is_null()) {
          if (val_f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            e->GetReflection()->MutableMessage(e, val_f);
          }
          continue;
        }
        if (val_f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          VK_RETURN_IF_ERROR(MessageValue(it.value(), e->GetReflection()->MutableMessage(e, val_f), depth + 1));
        } else {
          VK_RETURN_IF_ERROR(Scalar(it.value(), e, val_f, false));
        }
      }
      return absl::OkStatus();
    }
    if (f->is_repeated()) {
      if (!v.is_array()) return TypeError("an array", v);
      r->ClearField(m, f);
      int64_t i = 0;
      for (const auto& e : v) {
        Scope s(path_, PathSeg{nullptr, false, i++});
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          Message* sub = r->AddMessage(m, f);
          if (e.is_null()) continue;
          VK_RETURN_IF_ERROR(MessageValue(e, sub, depth + 1));
        } else if (e.is_null()) {
          AddDefault(m, f);
        } else {
          VK_RETURN_IF_ERROR(Scalar(e, m, f, true));
        }
      }
      return absl::OkStatus();
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return MessageValue(v, r->MutableMessage(m, f), depth + 1);
    }
    return Scalar(v, m, f, false);
  }

  absl::Status MessageValue(const J& v, Message* m, int depth) {
    if (depth > kMaxJsonDepth) return Error("nested too deeply");
    const Descriptor* d = m->GetDescriptor();
    const Reflection* r = m->GetReflection();
    switch (Classify(d)) {
      case Special::kNone:
        if (!v.is_object()) return TypeError("an object", v);
        return Fields(v, m, false, depth);
      case Special::kTime:
      case Special::kMicroTime: {
        if (v.is_null()) {
          m->Clear();
          return absl::OkStatus();
        }
        if (!v.is_string()) return TypeError("an RFC 3339 time string", v);
        auto t = ParseRfc3339Time(v.template get_ref<const std::string&>());
        if (!t.ok()) return Error(std::string(t.status().message()));
        bool micro = Classify(d) == Special::kMicroTime;
        absl::Duration since_epoch = *t - absl::UnixEpoch();
        int64_t sec = absl::ToInt64Seconds(absl::Floor(since_epoch, absl::Seconds(1)));
        int64_t nanos = micro ? absl::ToInt64Microseconds(since_epoch - absl::Seconds(sec)) * 1000 : 0;
        // Go writes both fields; so do we, for identical protobuf bytes.
        if (const FieldDescriptor* f = FieldNumber(d, 1)) r->SetInt64(m, f, sec);
        if (const FieldDescriptor* f = FieldNumber(d, 2)) r->SetInt32(m, f, static_cast<int32_t>(nanos));
        return absl::OkStatus();
      }
      case Special::kDuration: {
        if (!v.is_string()) return TypeError("a duration string like \"1m30s\"", v);
        auto dur = ParseGoDuration(v.template get_ref<const std::string&>());
        if (!dur.ok()) return Error(std::string(dur.status().message()));
        if (const FieldDescriptor* f = FieldNumber(d, 1)) r->SetInt64(m, f, absl::ToInt64Nanoseconds(*dur));
        return absl::OkStatus();
      }
      case Special::kQuantity: {
        std::string text;
        if (v.is_string()) {
          text = v.template get_ref<const std::string&>();
        } else if (v.is_number_integer()) {
          text = v.is_number_unsigned() ? absl::StrCat(v.template get<uint64_t>())
                                        : absl::StrCat(v.template get<int64_t>());
        } else if (v.is_number_float()) {
          internal::AppendJsonDouble(text, v.template get<double>());
        } else {
          return TypeError("a quantity string like \"100m\" or a number", v);
        }
        if (absl::Status st = internal::ValidateQuantity(text); !st.ok()) return Error(std::string(st.message()));
        if (const FieldDescriptor* f = FieldNumber(d, 1)) r->SetString(m, f, std::move(text));
        return absl::OkStatus();
      }
      case Special::kIntOrString: {
        const FieldDescriptor* type = FieldNumber(d, 1);
        const FieldDescriptor* int_val = FieldNumber(d, 2);
        const FieldDescriptor* str_val = FieldNumber(d, 3);
        if (!type || !int_val || !str_val) return Error("IntOrString schema lacks its fields");
        // Go writes all three fields; so do we.
        if (v.is_string()) {
          r->SetInt64(m, type, 1);
          r->SetInt32(m, int_val, 0);
          r->SetString(m, str_val, v.template get_ref<const std::string&>());
          return absl::OkStatus();
        }
        if (!v.is_number_integer()) return TypeError("an integer or a string", v);
        int64_t n;
        VK_RETURN_IF_ERROR(GetInt(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &n));
        r->SetInt64(m, type, 0);
        r->SetInt32(m, int_val, static_cast<int32_t>(n));
        r->SetString(m, str_val, "");
        return absl::OkStatus();
      }
      case Special::kRawExtension:
      case Special::kFieldsV1: {
        if (const FieldDescriptor* f = FieldNumber(d, 1)) {
          std::string text;
          TextWriter w(text, false);
          WriteJsonValue(w, v, depth);
          r->SetString(m, f, std::move(text));
        }
        return absl::OkStatus();
      }
      case Special::kUnknown: {
        std::string text;
        TextWriter w(text, false);
        WriteJsonValue(w, v, depth);
        if (const FieldDescriptor* f = FieldNumber(d, 2)) r->SetString(m, f, std::move(text));
        if (const FieldDescriptor* f = FieldNumber(d, 4)) r->SetString(m, f, std::string(kJsonMediaType));
        return absl::OkStatus();
      }
      case Special::kStringList: {
        if (!v.is_array()) return TypeError("an array of strings", v);
        const FieldDescriptor* f = FieldNumber(d, 1);
        if (f == nullptr || !f->is_repeated() || f->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
          return Error("string list schema lacks its items field");
        }
        int64_t i = 0;
        for (const auto& e : v) {
          Scope s(path_, PathSeg{nullptr, false, i++});
          if (!e.is_string()) return TypeError("a string", e);
          r->AddString(m, f, e.template get_ref<const std::string&>());
        }
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  absl::Status GetInt(const J& v, int64_t min, int64_t max, int64_t* out) const {
    if (v.is_number_unsigned()) {
      uint64_t u = v.template get<uint64_t>();
      if (u > static_cast<uint64_t>(max)) return Error(absl::StrCat("number ", u, " is out of range"));
      *out = static_cast<int64_t>(u);
      return absl::OkStatus();
    }
    int64_t n = v.template get<int64_t>();
    if (n < min || n > max) return Error(absl::StrCat("number ", n, " is out of range"));
    *out = n;
    return absl::OkStatus();
  }

  absl::Status GetUint(const J& v, uint64_t max, uint64_t* out) const {
    if (!v.is_number_unsigned()) return Error("expected a non-negative integer");
    uint64_t u = v.template get<uint64_t>();
    if (u > max) return Error(absl::StrCat("number ", u, " is out of range"));
    *out = u;
    return absl::OkStatus();
  }

  void AddDefault(Message* m, const FieldDescriptor* f) {
    const Reflection* r = m->GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        r->AddInt32(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        r->AddInt64(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        r->AddUInt32(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        r->AddUInt64(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        r->AddFloat(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        r->AddDouble(m, f, 0);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        r->AddBool(m, f, false);
        break;
      case FieldDescriptor::CPPTYPE_ENUM:
        r->AddEnumValue(m, f, f->enum_type()->value(0)->number());
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(m, f, "");
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        r->AddMessage(m, f);
        break;
    }
  }

  // A scalar value for a singular (repeated = false) or repeated field.
  absl::Status Scalar(const J& v, Message* m, const FieldDescriptor* f, bool repeated) {
    const Reflection* r = m->GetReflection();
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        if (!v.is_number_integer()) return TypeError("an integer", v);
        int64_t n;
        VK_RETURN_IF_ERROR(GetInt(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &n));
        repeated ? r->AddInt32(m, f, static_cast<int32_t>(n)) : r->SetInt32(m, f, static_cast<int32_t>(n));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        if (!v.is_number_integer()) return TypeError("an integer", v);
        int64_t n;
        VK_RETURN_IF_ERROR(GetInt(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &n));
        repeated ? r->AddInt64(m, f, n) : r->SetInt64(m, f, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        if (!v.is_number_integer()) return TypeError("an integer", v);
        uint64_t u;
        VK_RETURN_IF_ERROR(GetUint(v, std::numeric_limits<uint32_t>::max(), &u));
        repeated ? r->AddUInt32(m, f, static_cast<uint32_t>(u)) : r->SetUInt32(m, f, static_cast<uint32_t>(u));
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        if (!v.is_number_integer()) return TypeError("an integer", v);
        uint64_t u;
        VK_RETURN_IF_ERROR(GetUint(v, std::numeric_limits<uint64_t>::max(), &u));
        repeated ? r->AddUInt64(m, f, u) : r->SetUInt64(m, f, u);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        if (!v.is_number()) return TypeError("a number", v);
        double x = v.template get<double>();
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? r->AddFloat(m, f, static_cast<float>(x)) : r->SetFloat(m, f, static_cast<float>(x));
        } else {
          repeated ? r->AddDouble(m, f, x) : r->SetDouble(m, f, x);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        if (!v.is_boolean()) return TypeError("a boolean", v);
        repeated ? r->AddBool(m, f, v.template get<bool>()) : r->SetBool(m, f, v.template get<bool>());
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const google::protobuf::EnumValueDescriptor* ev = nullptr;
        if (v.is_string()) {
          ev = f->enum_type()->FindValueByName(v.template get_ref<const std::string&>());
        } else if (v.is_number_integer()) {
          int64_t n;
          VK_RETURN_IF_ERROR(GetInt(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), &n));
          ev = f->enum_type()->FindValueByNumber(static_cast<int>(n));
        } else {
          return TypeError("an enum name", v);
        }
        if (ev == nullptr) return Error("unknown enum value");
        repeated ? r->AddEnum(m, f, ev) : r->SetEnum(m, f, ev);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        if (!v.is_string()) {
          return TypeError(f->type() == FieldDescriptor::TYPE_BYTES ? "a base64 string" : "a string", v);
        }
        const std::string& s = v.template get_ref<const std::string&>();
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          auto bytes = Base64Decode(s);
          if (!bytes.ok()) return Error(std::string(bytes.status().message()));
          repeated ? r->AddString(m, f, std::move(*bytes)) : r->SetString(m, f, std::move(*bytes));
        } else {
          repeated ? r->AddString(m, f, s) : r->SetString(m, f, s);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE:
        break;
    }
    return Error("unsupported field type");
  }

  absl::Status SetMapKey(const std::string& key, Message* e, const FieldDescriptor* key_f) {
    const Reflection* r = e->GetReflection();
    auto parse_int = [&](int64_t min, int64_t max, int64_t* out) -> bool {
      if (key.empty()) return false;
      auto res = std::from_chars(key.data(), key.data() + key.size(), *out);
      return res.ec == std::errc() && res.ptr == key.data() + key.size() && *out >= min && *out <= max;
    };
    switch (key_f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->SetString(e, key_f, key);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_INT32:
      case FieldDescriptor::CPPTYPE_INT64: {
        bool is32 = key_f->cpp_type() == FieldDescriptor::CPPTYPE_INT32;
        int64_t n;
        if (!parse_int(is32 ? std::numeric_limits<int32_t>::min() : std::numeric_limits<int64_t>::min(),
                       is32 ? std::numeric_limits<int32_t>::max() : std::numeric_limits<int64_t>::max(), &n)) {
          return Error("map key is not an integer");
        }
        is32 ? r->SetInt32(e, key_f, static_cast<int32_t>(n)) : r->SetInt64(e, key_f, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32:
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t u;
        auto res = std::from_chars(key.data(), key.data() + key.size(), u);
        bool is32 = key_f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
        if (key.empty() || res.ec != std::errc() || res.ptr != key.data() + key.size() ||
            (is32 && u > std::numeric_limits<uint32_t>::max())) {
          return Error("map key is not a non-negative integer");
        }
        is32 ? r->SetUInt32(e, key_f, static_cast<uint32_t>(u)) : r->SetUInt64(e, key_f, u);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (key != "true" && key != "false") return Error("map key is not a boolean");
        r->SetBool(e, key_f, key == "true");
        return absl::OkStatus();
      default:
        return Error("unsupported map key type");
    }
  }

  const JsonDecodeOptions& options_;
  TypeMeta* type_meta_;
  std::vector<PathSeg> path_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Public entry points

nlohmann::json ToJsonValue(const google::protobuf::Message& msg, std::string_view api_version,
                           std::string_view kind) {
  ValueWriter w;
  Encoder<ValueWriter> enc(w);
  enc.TopLevel(msg, api_version, kind);
  return w.Take();
}

std::string EncodeJson(const google::protobuf::Message& msg, std::string_view api_version, std::string_view kind,
                       const JsonEncodeOptions& options) {
  std::string out;
  TextWriter w(out, options.pretty);
  Encoder<TextWriter> enc(w);
  enc.TopLevel(msg, api_version, kind);
  return out;
}

namespace internal {

template <typename J>
absl::Status FromJsonValueImpl(const J& value, google::protobuf::Message* out, TypeMeta* type_meta,
                               const JsonDecodeOptions& options) {
  if (type_meta != nullptr) *type_meta = TypeMeta{};
  Decoder<J> dec(options, type_meta);
  return dec.TopLevel(value, out);
}

template absl::Status FromJsonValueImpl<nlohmann::json>(const nlohmann::json&, google::protobuf::Message*,
                                                        TypeMeta*, const JsonDecodeOptions&);
template absl::Status FromJsonValueImpl<nlohmann::ordered_json>(const nlohmann::ordered_json&,
                                                                google::protobuf::Message*, TypeMeta*,
                                                                const JsonDecodeOptions&);

absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text) {
  if (JsonNestingDepth(text) > static_cast<size_t>(kMaxJsonDepth)) {
    return absl::InvalidArgumentError(absl::StrCat("JSON is nested deeper than ", kMaxJsonDepth, " levels"));
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..."
    if (size_t p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", what));
  }
}

}  // namespace internal

absl::Status FromJsonValue(const nlohmann::json& value, google::protobuf::Message* out, TypeMeta* type_meta,
                           const JsonDecodeOptions& options) {
  return internal::FromJsonValueImpl(value, out, type_meta, options);
}

absl::Status DecodeJson(std::string_view json, google::protobuf::Message* out, TypeMeta* type_meta,
                        const JsonDecodeOptions& options) {
  VK_ASSIGN_OR_RETURN(nlohmann::json value, internal::ParseJsonText(json));
  return internal::FromJsonValueImpl(value, out, type_meta, options);
}

}  // namespace vkubelet::kube

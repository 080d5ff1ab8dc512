// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Helpers shared by the codec tests.

#ifndef VKUBELET_TESTS_KUBE_CODEC_TEST_UTIL_H_
#define VKUBELET_TESTS_KUBE_CODEC_TEST_UTIL_H_

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "nlohmann/json.hpp"
#include "test_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/resource.h"
#include "vkubelet/kube/yaml.h"
#include "vkubelet/types.h"

namespace vkubelet::test {

inline std::string Recording(const std::string& name) { return ReadTestdata("kube-apiserver-1.28.7/" + name); }

inline std::string CodecTestdata(const std::string& name) {
  std::ifstream in(std::string(VKUBELET_SOURCE_ROOT) + "/tests/kube/testdata/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing testdata file tests/kube/testdata/" << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// All documents of a multi-document YAML file, as JSON values.
inline std::vector<nlohmann::json> YamlDocuments(const std::string& text) {
  auto docs = kube::YamlDocumentsToJson(text);
  REQUIRE_MESSAGE(docs.ok(), docs.status().ToString());
  return *docs;
}

// Clears singular scalar fields whose value is the default, recursively:
// Go's protobuf encoder writes every non-pointer field, its JSON encoder
// omits the empty ones, and both mean "zero".
inline void ClearDefaultScalars(google::protobuf::Message* m) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(*m, f); ++i) ClearDefaultScalars(r->MutableRepeatedMessage(m, f, i));
      } else {
        ClearDefaultScalars(r->MutableMessage(m, f));
      }
      continue;
    }
    if (f->is_repeated()) continue;
    bool is_default = false;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        is_default = r->GetInt32(*m, f) == 0;
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        is_default = r->GetInt64(*m, f) == 0;
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        is_default = r->GetUInt32(*m, f) == 0;
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        is_default = r->GetUInt64(*m, f) == 0;
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        is_default = !r->GetBool(*m, f);
        break;
      case FieldDescriptor::CPPTYPE_STRING:
        is_default = r->GetString(*m, f).empty();
        break;
      default:
        break;
    }
    if (is_default) r->ClearField(m, f);
  }
}

// Equal after ClearDefaultScalars on copies of both; reports the difference.
inline bool EquivalentIgnoringZeroScalars(const google::protobuf::Message& a, const google::protobuf::Message& b,
                                          std::string* diff) {
  std::unique_ptr<google::protobuf::Message> ca(a.New()), cb(b.New());
  ca->CopyFrom(a);
  cb->CopyFrom(b);
  ClearDefaultScalars(ca.get());
  ClearDefaultScalars(cb.get());
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(diff);
  return d.Compare(*ca, *cb);
}

inline bool MessagesEqual(const google::protobuf::Message& a, const google::protobuf::Message& b, std::string* diff) {
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(diff);
  return d.Compare(a, b);
}

// Protobuf bytes with map entries in key order (plain serialization follows
// hash-map order, which differs between instances).
inline std::string DeterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializePartialToCodedStream(&coded);
  }
  return out;
}

// First difference between two JSON values, as a JSON pointer ("" if equal).
inline std::string JsonDiff(const nlohmann::json& a, const nlohmann::json& b) {
  nlohmann::json patch = nlohmann::json::diff(a, b);
  if (patch.empty()) return "";
  return patch.dump().substr(0, 600);
}

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_KUBE_CODEC_TEST_UTIL_H_

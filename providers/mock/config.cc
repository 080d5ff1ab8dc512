// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider's capacity file (the reference's MockConfig, keyed by node
// name) and its validation.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "providers/mock/mock_provider.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/resource/quantity.h"

namespace vkubelet::mock {
namespace {

using Json = nlohmann::json;

absl::Status CheckQuantity(std::string_view source, std::string_view field, const std::string& value) {
  auto q = resource::Quantity::Parse(value);
  if (q.ok()) return absl::OkStatus();
  return errdefs::InvalidInput(absl::StrCat(std::string(source), ": invalid ", std::string(field),
                                            " quantity \"", value,
                                            "\": ", std::string(q.status().message())));
}

// A scalar as the string Go's config would hold. Numbers are accepted too
// ("cpu": 2), since a JSON author rarely means anything else.
absl::StatusOr<std::string> ScalarString(const Json& v, std::string_view source, std::string_view field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return v.dump();
  if (v.is_null()) return std::string();
  return errdefs::InvalidInput(absl::StrCat(std::string(source), ": field \"", std::string(field),
                                            "\" must be a string, not ", v.type_name()));
}

absl::StatusOr<NodeCapacity> ParseEntry(const Json& entry, const std::string& source) {
  NodeCapacity out;
  if (!entry.is_object()) {
    return errdefs::InvalidInput(absl::StrCat(source, ": must be an object, not ", entry.type_name()));
  }
  struct Field {
    const char* name;
    std::string* target;
  };
  for (const Field& f : {Field{"cpu", &out.cpu}, Field{"memory", &out.memory}, Field{"pods", &out.pods},
                         Field{"providerID", &out.provider_id}}) {
    auto it = entry.find(f.name);
    if (it == entry.end()) continue;
    auto s = ScalarString(*it, source, f.name);
    if (!s.ok()) return s.status();
    // An empty value keeps the default, as the reference does.
    if (!s->empty()) *f.target = *std::move(s);
  }
  if (auto it = entry.find("others"); it != entry.end() && !it->is_null()) {
    if (!it->is_object()) {
      return errdefs::InvalidInput(
          absl::StrCat(source, ": field \"others\" must be an object, not ", it->type_name()));
    }
    for (const auto& [name, value] : it->items()) {
      const std::string field = absl::StrCat("others.", name);
      auto s = ScalarString(value, source, field);
      if (!s.ok()) return s.status();
      out.others[name] = *std::move(s);
    }
  }
  return out;
}

}  // namespace

absl::Status ValidateNodeCapacity(const NodeCapacity& capacity, std::string_view source) {
  if (auto s = CheckQuantity(source, "cpu", capacity.cpu); !s.ok()) return s;
  if (auto s = CheckQuantity(source, "memory", capacity.memory); !s.ok()) return s;
  if (auto s = CheckQuantity(source, "pods", capacity.pods); !s.ok()) return s;
  for (const auto& [name, value] : capacity.others) {
    if (name.empty()) {
      return errdefs::InvalidInput(
          absl::StrCat(std::string(source), ": an \"others\" resource has an empty name"));
    }
    if (auto s = CheckQuantity(source, absl::StrCat("others.", name), value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<NodeCapacity> LoadNodeCapacity(const std::string& path, const std::string& node_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return errdefs::InvalidInput(
        absl::StrCat("cannot read the mock provider config ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return errdefs::InvalidInput(absl::StrCat("cannot read the mock provider config ", path));
  }
  Json root;
  try {
    root = Json::parse(buffer.str());
  } catch (const Json::exception& e) {
    return errdefs::InvalidInput(
        absl::StrCat("the mock provider config ", path, " is not valid JSON: ", e.what()));
  }
  if (!root.is_object()) {
    return errdefs::InvalidInput(absl::StrCat("the mock provider config ", path,
                                              " must be a JSON object keyed by node name, not ",
                                              root.type_name()));
  }
  const std::string source = absl::StrCat(path, ": node \"", node_name, "\"");
  NodeCapacity capacity;
  if (auto it = root.find(node_name); it != root.end()) {
    auto parsed = ParseEntry(*it, source);
    if (!parsed.ok()) return parsed.status();
    capacity = *std::move(parsed);
  }
  if (auto s = ValidateNodeCapacity(capacity, source); !s.ok()) return s;
  return capacity;
}

}  // namespace vkubelet::mock

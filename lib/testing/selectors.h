// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Label and field selectors with the API server's syntax and semantics, for
// FakeApiServer's list and watch filtering.
//
//   labels: "a=b,c!=d,e in (x,y),f notin (z),g,!h,n>3,n<7"  ("==" = "=")
//   fields: "spec.nodeName=n1,status.phase!=Failed"  ("\," "\=" "\\" escape)
//
// Parsing errors are InvalidArgument with the API server's wording.

#ifndef VKUBELET_TESTING_SELECTORS_H_
#define VKUBELET_TESTING_SELECTORS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/map.h"

namespace vkubelet::testing::internal {

class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  static absl::StatusOr<LabelSelector> Parse(std::string_view text);

  // True for the empty selector, which matches everything.
  bool Empty() const { return requirements_.empty(); }
  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const;
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  struct Requirement {
    std::string field;
    bool equals;  // false: "!="
    std::string value;
  };
  // Returns the value of a field for an object, or nullopt if the field is not
  // supported for the resource (the selector then fails with "field label not
  // supported").
  using FieldGetter = std::function<std::optional<std::string>(std::string_view field)>;

  static absl::StatusOr<FieldSelector> Parse(std::string_view text);

  bool Empty() const { return requirements_.empty(); }
  bool Matches(const FieldGetter& get) const;
  const std::vector<Requirement>& requirements() const { return requirements_; }
  // The value of an equality requirement on `field`, if there is one (used to
  // pick an index: spec.nodeName, metadata.name, metadata.namespace).
  std::optional<std::string> EqualityValue(std::string_view field) const;

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_TESTING_SELECTORS_H_

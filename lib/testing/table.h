// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Server-side printing for FakeApiServer: the meta.k8s.io/v1 Table that
// kubectl asks for (Accept: application/json;as=Table;v=v1;g=meta.k8s.io) so
// `kubectl get` shows the columns it shows against a real cluster — pods
// (READY, STATUS, RESTARTS, AGE, -o wide: IP, NODE), nodes (STATUS, ROLES,
// AGE, VERSION, -o wide: addresses, OS, kernel, runtime), events, leases and
// a NAME/AGE table for everything else.

#ifndef VKUBELET_LIB_TESTING_TABLE_H_
#define VKUBELET_LIB_TESTING_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "testing/fake_resources.h"
#include "vkubelet/types.h"

namespace vkubelet::testing::internal {

// True when the first acceptable entry of `accept` is a meta.k8s.io Table
// (v1 or v1beta1) in JSON.
bool WantsTable(std::string_view accept);

// What each row carries in "object" (?includeObject=None|Object|PartialObjectMetadata).
enum class TableObject { kNone, kPartialMetadata, kFull };
// Parses the includeObject query value ("" = PartialObjectMetadata). False
// for an unknown value.
bool ParseIncludeObject(std::string_view value, TableObject* out);

// The Table JSON for `objects` (stored messages of `type`), ages relative to
// `now`. `resource_version`/`continue_token` go into the Table's metadata.
std::string EncodeTable(const ResourceType& type, const std::vector<const google::protobuf::Message*>& objects,
                        std::string_view resource_version, std::string_view continue_token, absl::Time now,
                        TableObject include);

// kubectl's short human duration ("45s", "3m20s", "5h", "12d").
std::string HumanDuration(absl::Duration d);

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_LIB_TESTING_TABLE_H_

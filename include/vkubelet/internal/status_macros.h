// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Early-return helpers for absl::Status / absl::StatusOr. Internal: used by
// the library and its tests; not part of the public API.

#ifndef VKUBELET_INTERNAL_STATUS_MACROS_H_
#define VKUBELET_INTERNAL_STATUS_MACROS_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#define VK_STATUS_CONCAT_INNER_(a, b) a##b
#define VK_STATUS_CONCAT_(a, b) VK_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define VK_RETURN_IF_ERROR(expr)                                   \
  do {                                                             \
    ::absl::Status vk_status_ = (expr);                            \
    if (!vk_status_.ok()) return vk_status_;                       \
  } while (0)

// `lhs` = value of the StatusOr `rexpr`, or return its status.
//   VK_ASSIGN_OR_RETURN(auto pod, client.Get(ctx, ns, name));
#define VK_ASSIGN_OR_RETURN(lhs, rexpr) \
  VK_ASSIGN_OR_RETURN_IMPL_(VK_STATUS_CONCAT_(vk_statusor_, __LINE__), lhs, rexpr)

#define VK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return statusor.status();         \
  lhs = std::move(statusor).value()

namespace vkubelet::internal {

// Debian builds Abseil with its own string_view; convert at the boundary.
inline absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string_view FromAbsl(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace vkubelet::internal

#endif  // VKUBELET_INTERNAL_STATUS_MACROS_H_

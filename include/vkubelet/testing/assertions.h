// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// doctest assertions for absl::Status / absl::StatusOr that print the status
// when they fail:
//
//   VK_CHECK_OK(provider.CreatePod(ctx, pod));
//   VK_REQUIRE_OK(client.Get(ctx, "default", "nginx"));
//
// Include <doctest/doctest.h> before this header.

#ifndef VKUBELET_TESTING_ASSERTIONS_H_
#define VKUBELET_TESTING_ASSERTIONS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vkubelet::testing {
inline absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace vkubelet::testing

#define VK_CHECK_OK(expr)                                                           \
  do {                                                                              \
    const ::absl::Status vk_check_status_ = ::vkubelet::testing::StatusOf(expr);    \
    CHECK_MESSAGE(vk_check_status_.ok(), vk_check_status_.ToString());              \
  } while (0)

#define VK_REQUIRE_OK(expr)                                                         \
  do {                                                                              \
    const ::absl::Status vk_check_status_ = ::vkubelet::testing::StatusOf(expr);    \
    REQUIRE_MESSAGE(vk_check_status_.ok(), vk_check_status_.ToString());            \
  } while (0)

#endif  // VKUBELET_TESTING_ASSERTIONS_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/testing/wait.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing {

absl::Status WaitFor(const Context& ctx, const std::function<bool()>& pred, absl::Duration timeout,
                     std::string_view what, const WaitOptions& options) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration interval = std::max(options.initial_interval, absl::Microseconds(100));
  const absl::Duration max_interval = std::max(options.max_interval, interval);
  while (true) {
    if (pred()) return absl::OkStatus();
    if (ctx.Done()) return ctx.Err();
    absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                                                      " waiting for ", ::vkubelet::internal::ToAbsl(what)));
    }
    // Waiting on the Context wakes us early when it is cancelled.
    ctx.WaitFor(std::min(interval, deadline - now));
    interval = std::min(interval * 2, max_interval);
  }
}

absl::Status WaitFor(const std::function<bool()>& pred, absl::Duration timeout, std::string_view what,
                     const WaitOptions& options) {
  return WaitFor(Context::Background(), pred, timeout, what, options);
}

}  // namespace vkubelet::testing

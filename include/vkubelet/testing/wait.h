// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Waiting for a condition in tests without fixed sleeps: WaitFor polls a
// predicate with a growing interval (1 ms doubling up to 100 ms) until it
// holds or the timeout passes, and WaitForObject does the same for an API
// object read through a kube::ResourceClient (a real cluster or
// FakeApiServer alike).
//
//   VK_REQUIRE_OK(testing::WaitFor([&] { return notifier.Count() >= 2; }, absl::Seconds(10),
//                                  "two notifications"));
//   auto pod = testing::WaitForObject<corev1::Pod>(ctx, pods, "default", "web",
//       [](const corev1::Pod* p) { return p && p->status().phase() == "Running"; }, absl::Seconds(30));
//
// Time is real time (these wait for other threads and processes); use
// FakeClock to drive the code under test. Thread-safe.

#ifndef VKUBELET_TESTING_WAIT_H_
#define VKUBELET_TESTING_WAIT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/context.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/resource_client.h"

namespace vkubelet::testing {

// How WaitFor polls.
struct WaitOptions {
  absl::Duration initial_interval = absl::Milliseconds(1);
  absl::Duration max_interval = absl::Milliseconds(100);
};

// Returns OK as soon as `pred` returns true (it is called at least once,
// even with a zero timeout), DeadlineExceeded naming `what` once `timeout`
// passed, or the Context's error when `ctx` ends first.
absl::Status WaitFor(const Context& ctx, const std::function<bool()>& pred, absl::Duration timeout,
                     std::string_view what = "condition", const WaitOptions& options = {});
absl::Status WaitFor(const std::function<bool()>& pred, absl::Duration timeout,
                     std::string_view what = "condition", const WaitOptions& options = {});

// Polls `client.Get(ns, name)` until `pred` holds for the object (called
// with nullptr while the object does not exist) and returns the object
// (nullptr when the predicate accepted its absence). Errors other than
// NotFound are retried; the last one is named in the DeadlineExceeded error.
template <typename T>
absl::StatusOr<std::shared_ptr<const T>> WaitForObject(const Context& ctx, const kube::ResourceClient<T>& client,
                                                      std::string_view ns, std::string_view name,
                                                      const std::function<bool(const T*)>& pred,
                                                      absl::Duration timeout, const WaitOptions& options = {}) {
  std::shared_ptr<const T> last;
  absl::Status last_error;
  Context call_ctx = ctx.WithTimeout(timeout);
  absl::Status s = WaitFor(
      ctx,
      [&] {
        absl::StatusOr<T> got = client.Get(call_ctx, ns, name);
        if (got.ok()) {
          last = std::make_shared<const T>(*std::move(got));
          return pred(last.get());
        }
        last = nullptr;
        if (errdefs::IsNotFound(got.status())) return pred(nullptr);
        last_error = got.status();
        return false;
      },
      timeout, std::string(client.info().plural) + " " + std::string(ns) + "/" + std::string(name), options);
  if (!s.ok() && !last_error.ok()) {
    return absl::Status(s.code(), std::string(s.message()) + " (last error: " + last_error.ToString() + ")");
  }
  if (!s.ok()) return s;
  return last;
}

}  // namespace vkubelet::testing

#endif  // VKUBELET_TESTING_WAIT_H_

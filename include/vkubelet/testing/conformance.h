// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// ProviderConformance: checks, in process and without a cluster, that a
// provider honours the contract of provider.h — one check per clause
// (ConformanceClauses() lists them). Every failure message starts with the
// clause's id in brackets and says what the contract requires.
//
// With doctest, one line in the provider's test binary registers the suite
// (one subcase per clause, so `--subcase=notify.*` runs a selection):
//
//   #include <doctest/doctest.h>
//   #include "vkubelet/testing/conformance.h"
//
//   VK_PROVIDER_CONFORMANCE("my provider", [] { return MyProvider::Create(MyConfig{}); });
//
// The factory may return std::unique_ptr<P>, std::shared_ptr<P> or
// absl::StatusOr of either; it is called once per check, so every check sees
// a fresh provider (destroyed at the end of the check). The doctest macro is a
// thin layer over Run()/RunAll(), which return a report and can be used from
// any test framework (and are how the suite's own tests prove each check can
// fail).
//
// Checks call the provider from several threads and wait (real time, with
// ConformanceOptions::timeout) for asynchronous effects such as a deletion
// that completes in the background. Thread-safe: Run() may be called from
// several threads (each call builds its own provider).

#ifndef VKUBELET_TESTING_CONFORMANCE_H_
#define VKUBELET_TESTING_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/provider.h"
#include "vkubelet/testing/pod_builder.h"
#include "vkubelet/types.h"

namespace vkubelet::testing {

// One rule of the contract. `ability` names the optional interface the
// clause is about ("" for PodLifecycleHandler); the check is skipped for a
// provider that does not implement it.
struct ConformanceClause {
  std::string_view id;        // "lifecycle.get-unknown"
  std::string_view ability;   // "", "PodNotifier", "PodMetricsProvider", ...
  std::string_view contract;  // what provider.h requires
};

// Every clause, in the order RunAll() checks them.
const std::vector<ConformanceClause>& ConformanceClauses();

// Builds one provider for one check.
using ConformanceFactory = std::function<absl::StatusOr<std::shared_ptr<PodLifecycleHandler>>()>;

struct ConformanceOptions {
  // Every pod a check creates is a copy of this template with its own
  // namespace, name and uid (and spec.nodeName = node_name). A provider that
  // needs more than a container with an image (a command, resources, an
  // annotation) sets it here.
  corev1::Pod pod_template = PodBuilder().Container("app", "busybox:1.36").Build();
  std::string node_name = "vk-conformance";
  // Namespaces of the checks' pods start with this.
  std::string namespace_prefix = "conformance";
  // concurrency.create-delete: distinct pods created (every other one then
  // deleted) from this many threads.
  int concurrency_pods = 1000;
  int concurrency_threads = 16;
  // How long to wait for an asynchronous effect: a deletion finishing, a
  // notification, a pod reaching Running. Also the deadline of ordinary
  // provider calls.
  absl::Duration timeout = absl::Seconds(10);
  // context.*: how long a call may take to return once its Context is
  // cancelled or past its deadline.
  absl::Duration context_grace = absl::Seconds(5);
  // Clause ids (or prefixes ending in '.', like "stats.") not to check, e.g.
  // for a backend that cannot offer them yet; they are reported as skipped.
  std::vector<std::string> skip;
};

enum class CheckOutcome { kPassed, kFailed, kSkipped };

// The outcome of one clause's check.
struct CheckResult {
  std::string clause;
  CheckOutcome outcome = CheckOutcome::kPassed;
  // Each starts with "[<clause>] " and ends with what the contract requires.
  std::vector<std::string> failures;
  std::string skip_reason;

  bool passed() const { return outcome == CheckOutcome::kPassed; }
  bool failed() const { return outcome == CheckOutcome::kFailed; }
  bool skipped() const { return outcome == CheckOutcome::kSkipped; }
};

struct ConformanceReport {
  std::vector<CheckResult> results;
  // No check failed (skipped ones do not count).
  bool ok() const;
  // The result for `clause`, or null.
  const CheckResult* Find(std::string_view clause) const;
  // One line per check, failures indented below it.
  std::string ToString() const;
};

class ProviderConformance {
 public:
  ProviderConformance(ConformanceFactory factory, ConformanceOptions options = {});

  // Checks one clause with a new provider. An unknown clause id is a failed
  // result naming it; a factory error fails the check with that error.
  CheckResult Run(std::string_view clause) const;
  // Checks every clause, in ConformanceClauses() order.
  ConformanceReport RunAll() const;

  const ConformanceOptions& options() const { return options_; }

 private:
  ConformanceFactory factory_;
  ConformanceOptions options_;
};

namespace internal {

template <typename T>
struct IsStatusOr : std::false_type {};
template <typename T>
struct IsStatusOr<absl::StatusOr<T>> : std::true_type {};

template <typename P>
absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> ToHandler(P p) {
  if constexpr (IsStatusOr<P>::value) {
    if (!p.ok()) return p.status();
    return ToHandler(*std::move(p));
  } else {
    std::shared_ptr<PodLifecycleHandler> h(std::move(p));
    if (!h) return absl::InvalidArgumentError("the provider factory returned a null provider");
    return h;
  }
}

}  // namespace internal

// Adapts a callable returning unique_ptr<P>, shared_ptr<P> or StatusOr of
// either (P derived from PodLifecycleHandler) to a ConformanceFactory.
template <typename F>
ConformanceFactory MakeConformanceFactory(F f) {
  return [f = std::move(f)]() mutable -> absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> {
    return internal::ToHandler(f());
  };
}

}  // namespace vkubelet::testing

// Registers a doctest test case "provider conformance: <name>" with one
// subcase per clause. Include <doctest/doctest.h> before using it.
#define VK_PROVIDER_CONFORMANCE(name, factory) \
  VK_PROVIDER_CONFORMANCE_WITH_OPTIONS(name, factory, ::vkubelet::testing::ConformanceOptions{})

#define VK_PROVIDER_CONFORMANCE_WITH_OPTIONS(name, factory, options)                                  \
  TEST_CASE("provider conformance: " name) {                                                         \
    const ::vkubelet::testing::ProviderConformance vk_conformance_(                                  \
        ::vkubelet::testing::MakeConformanceFactory(factory), (options));                            \
    for (const auto& vk_clause_ : ::vkubelet::testing::ConformanceClauses()) {                       \
      SUBCASE(std::string(vk_clause_.id).c_str()) {                                                  \
        const ::vkubelet::testing::CheckResult vk_result_ = vk_conformance_.Run(vk_clause_.id);      \
        if (vk_result_.skipped()) MESSAGE((std::string(vk_clause_.id) + " skipped: " + vk_result_.skip_reason)); \
        for (const std::string& vk_failure_ : vk_result_.failures) FAIL_CHECK(vk_failure_);          \
        CHECK_FALSE(vk_result_.failed());                                                            \
      }                                                                                              \
    }                                                                                                \
  }

#endif  // VKUBELET_TESTING_CONFORMANCE_H_

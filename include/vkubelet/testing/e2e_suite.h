// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// EndToEndSuite: the scenarios of the Go reference's exported e2e suite,
// run through the Kubernetes API the way a cluster user sees a virtual
// node:
//
//   pods.running-pods-via-proxy     a pod bound to the node runs and the node
//                                   lists it (nodes/<node>/proxy/runningpods/)
//   stats.summary-via-proxy         /stats/summary through the API server
//                                   covers the pod and its three containers
//   metrics.resource-via-proxy      /metrics/resource through the API server
//                                   has the pod's CPU and memory samples
//   pods.graceful-delete            a delete with a grace period: the pod
//                                   leaves the API server and the provider
//   pods.force-delete               a delete with grace period 0: the same
//   env.optional-secret-missing     a pod using a missing optional Secret
//   env.optional-configmap-missing  (or ConfigMap) runs, and an Event
//                                   Optional{Secret,ConfigMap}NotFound is
//                                   recorded for it
//   env.mandatory-secret-missing    a pod needing a missing Secret (or
//   env.mandatory-configmap-missing ConfigMap) does not run, and an Event
//                                   Mandatory{Secret,ConfigMap}NotFound is
//                                   recorded for it
//
// Where it runs:
//  * by default in process: a FakeApiServer and a vkubelet::Node built with
//    the provider factory, started fresh for every scenario;
//  * against a real cluster when a kubeconfig is given (EndToEndConfig, or
//    --kubeconfig=PATH --node=NAME on the test binary's command line, or
//    VKUBELET_E2E_KUBECONFIG / VKUBELET_E2E_NODE): the node must already run
//    the provider; the factory is not used. Pods are created in
//    `namespace_` with unique names and removed afterwards.
//
// With doctest, one line registers it (one subcase per scenario):
//
//   VK_PROVIDER_E2E("my provider", [](const vkubelet::ProviderConfig& cfg) { return MyProvider::Create(cfg); });
//
// Scenarios whose optional ability the node lacks (501 from the kubelet
// API) are reported as skipped. Results reuse the conformance suite's types.

#ifndef VKUBELET_TESTING_E2E_SUITE_H_
#define VKUBELET_TESTING_E2E_SUITE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/node.h"
#include "vkubelet/provider.h"
#include "vkubelet/testing/conformance.h"
#include "vkubelet/testing/pod_builder.h"

namespace vkubelet::testing {

struct EndToEndConfig {
  // A kubeconfig file: run against that cluster. Empty: in process.
  std::string kubeconfig;
  // The virtual node. Required with a kubeconfig; in process the Node gets
  // this name.
  std::string node_name = "vk-e2e";
  // Where the scenarios' pods (and nothing else) are created.
  std::string namespace_ = "default";
  // The scenarios' pods are copies of this template (name, namespace,
  // nodeName and env references are set by each scenario); a provider that
  // needs a command or resources sets them here.
  corev1::Pod pod_template = PodBuilder().Container("app", "nginx:1.25").TerminationGracePeriodSeconds(30).Build();
  // How long to wait for a pod to run, an Event to appear, a deletion to end.
  absl::Duration timeout = absl::Seconds(30);
  // Scenario ids (or prefixes ending in '.') not to run.
  std::vector<std::string> skip;
  // In process only: NodeOptions to start from (node name, client, kubelet
  // address/port/TLS/auth and clock are set by the suite).
  NodeOptions node_options;
};

// `base` with --kubeconfig=, --node= and --e2e-namespace= from `args` (the
// test binary's arguments; other arguments are ignored), after
// VKUBELET_E2E_KUBECONFIG, VKUBELET_E2E_NODE and VKUBELET_E2E_NAMESPACE from
// the environment (the command line wins).
EndToEndConfig EndToEndConfigFrom(const std::vector<std::string>& args, EndToEndConfig base = {});
// The same with this process's own command line (/proc/self/cmdline) and
// environment: what VK_PROVIDER_E2E uses.
EndToEndConfig EndToEndConfigFromProcess(EndToEndConfig base = {});

// One scenario.
struct EndToEndScenario {
  std::string_view id;
  std::string_view description;
};
const std::vector<EndToEndScenario>& EndToEndScenarios();

class EndToEndSuite {
 public:
  // `factory` builds the provider for each in-process Node (unused against a
  // real cluster; may then be empty).
  EndToEndSuite(ProviderFactory factory, EndToEndConfig config);

  // Runs one scenario (in process: with a FakeApiServer and a Node of its
  // own). Failures start with "[<scenario>] ".
  CheckResult Run(std::string_view scenario) const;
  ConformanceReport RunAll() const;

  const EndToEndConfig& config() const { return config_; }

 private:
  ProviderFactory factory_;
  EndToEndConfig config_;
};

// Adapts a callable taking `const ProviderConfig&` and returning
// unique_ptr<P>, shared_ptr<P> or StatusOr of either to a ProviderFactory.
template <typename F>
ProviderFactory MakeEndToEndFactory(F f) {
  return [f = std::move(f)](const ProviderConfig& config) mutable
         -> absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> { return internal::ToHandler(f(config)); };
}

}  // namespace vkubelet::testing

// Registers a doctest test case "provider e2e: <name>" with one subcase per
// scenario, configured from the command line and environment. Include
// <doctest/doctest.h> before using it.
#define VK_PROVIDER_E2E(name, factory) \
  VK_PROVIDER_E2E_WITH_CONFIG(name, factory, ::vkubelet::testing::EndToEndConfig{})

#define VK_PROVIDER_E2E_WITH_CONFIG(name, factory, config)                                          \
  TEST_CASE("provider e2e: " name) {                                                               \
    const ::vkubelet::testing::EndToEndSuite vk_e2e_(::vkubelet::testing::MakeEndToEndFactory(factory), \
                                                     ::vkubelet::testing::EndToEndConfigFromProcess(config)); \
    for (const auto& vk_scenario_ : ::vkubelet::testing::EndToEndScenarios()) {                    \
      SUBCASE(std::string(vk_scenario_.id).c_str()) {                                              \
        const ::vkubelet::testing::CheckResult vk_result_ = vk_e2e_.Run(vk_scenario_.id);          \
        if (vk_result_.skipped()) MESSAGE((std::string(vk_scenario_.id) + " skipped: " + vk_result_.skip_reason)); \
        for (const std::string& vk_failure_ : vk_result_.failures) FAIL_CHECK(vk_failure_);        \
        CHECK_FALSE(vk_result_.failed());                                                          \
      }                                                                                            \
    }                                                                                              \
  }

#endif  // VKUBELET_TESTING_E2E_SUITE_H_

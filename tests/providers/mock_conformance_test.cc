// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider against the provider conformance suite.

#include <doctest/doctest.h>

#include "providers/mock/mock_provider.h"
#include "vkubelet/testing/conformance.h"
#include "vkubelet/testing/e2e_suite.h"

VK_PROVIDER_CONFORMANCE("mock provider", [] {
  vkubelet::mock::MockProviderConfig config;
  config.node_name = "vk-conformance";
  return vkubelet::mock::MockProvider::Create(config);
});

// The Go reference's e2e scenarios, through FakeApiServer and an in-process
// Node (or a cluster: --kubeconfig=PATH --node=NAME).
VK_PROVIDER_E2E("mock provider", [](const vkubelet::ProviderConfig& cfg) {
  vkubelet::mock::MockProviderConfig config;
  config.node_name = cfg.node_name;
  config.internal_ip = cfg.internal_ip;
  config.daemon_port = cfg.daemon_port;
  config.resources = cfg.resources;
  config.clock = cfg.clock;
  return vkubelet::mock::MockProvider::Create(config);
});

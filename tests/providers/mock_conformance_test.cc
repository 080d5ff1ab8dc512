// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider against the provider conformance suite.

#include <doctest/doctest.h>

#include "providers/mock/mock_provider.h"
#include "vkubelet/testing/conformance.h"

VK_PROVIDER_CONFORMANCE("mock provider", [] {
  vkubelet::mock::MockProviderConfig config;
  config.node_name = "vk-conformance";
  return vkubelet::mock::MockProvider::Create(config);
});

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The minimal example provider against the provider conformance suite.

#include <doctest/doctest.h>

#include "examples/minimal/minimal_provider.h"
#include "vkubelet/testing/conformance.h"
#include "vkubelet/testing/e2e_suite.h"

VK_PROVIDER_CONFORMANCE("minimal example", [] { return vkubelet::examples::MinimalProvider::Create({}); });

// The Go reference's e2e scenarios, through FakeApiServer and an in-process
// Node (or a cluster: --kubeconfig=PATH --node=NAME). The example serves
// neither stats nor metrics: those scenarios report themselves skipped.
VK_PROVIDER_E2E("minimal example", [](const vkubelet::ProviderConfig& cfg) {
  return vkubelet::examples::MinimalProvider::Create({cfg.internal_ip, cfg.clock});
});

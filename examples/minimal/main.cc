// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A complete virtual-kubelet program: the minimal provider behind the
// standard flags (--nodename, --kubeconfig, ...; see --help).

#include "examples/minimal/minimal_provider.h"
#include "vkubelet/cli/cli.h"

int main(int argc, char** argv) {
  vkubelet::cli::MainOptions options;
  options.program = "vkubelet-minimal";
  options.provider_name = "minimal";
  options.factory = [](const vkubelet::ProviderConfig& config)
      -> absl::StatusOr<std::shared_ptr<vkubelet::PodLifecycleHandler>> {
    vkubelet::examples::MinimalProviderConfig mc;
    if (!config.internal_ip.empty()) mc.internal_ip = config.internal_ip;
    mc.clock = config.clock;
    return std::shared_ptr<vkubelet::PodLifecycleHandler>(vkubelet::examples::MinimalProvider::Create(mc));
  };
  return vkubelet::cli::Main(argc, argv, options);
}

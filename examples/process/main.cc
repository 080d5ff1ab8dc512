// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet-process: a virtual node whose containers are local processes.
// The standard flags (see --help) plus --root-dir for the pods' directories.
//
//   vkubelet-process --nodename vk-process --kubeconfig ~/.kube/config
//
// Pods need a command (the image is ignored) and must tolerate the node's
// taint (virtual-kubelet.io/provider=process:NoSchedule).

#include <map>
#include <memory>
#include <string>

#include "examples/process/process_provider.h"
#include "vkubelet/cli/cli.h"

int main(int argc, char** argv) {
  std::string root_dir;
  vkubelet::cli::MainOptions options;
  options.program = "vkubelet-process";
  options.provider_name = "process";
  options.description = "Runs each container's command as a local process (logs, exec, exit codes).";
  options.extra_flags = {{"root-dir", "per-pod working directories and logs (default: a new directory in $TMPDIR)", ""}};
  options.customize = [&root_dir](vkubelet::NodeOptions&, const std::map<std::string, std::string>& extra) {
    root_dir = extra.at("root-dir");
    return absl::OkStatus();
  };
  options.factory = [&root_dir](const vkubelet::ProviderConfig& config)
      -> absl::StatusOr<std::shared_ptr<vkubelet::PodLifecycleHandler>> {
    vkubelet::examples::ProcessProviderConfig pc;
    pc.node_name = config.node_name;
    if (!config.internal_ip.empty()) pc.internal_ip = config.internal_ip;
    pc.root_dir = root_dir;
    pc.clock = config.clock;
    auto provider = vkubelet::examples::ProcessProvider::Create(pc);
    if (!provider.ok()) return provider.status();
    return std::shared_ptr<vkubelet::PodLifecycleHandler>(*std::move(provider));
  };
  return vkubelet::cli::Main(argc, argv, options);
}

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet-mock: the mock provider as a program. It takes virtual-kubelet's
// flags and environment variables (vkubelet::cli) plus a few of its own:
//
//   vkubelet-mock --nodename vk-mock --kubeconfig ~/.kube/config
//   vkubelet-mock --embedded-apiserver            # no cluster needed
//
// With --embedded-apiserver it starts an in-process FakeApiServer (HTTPS,
// client certificates, Node authorization), writes an administrator
// kubeconfig for kubectl into --embedded-dir, runs the node with the identity
// of a real kubelet (user system:node:<name>, group system:nodes), creates a
// few demo pods and prints the kubectl commands to look at them.

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "providers/mock/mock_provider.h"
#include "vkubelet/cli/cli.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/node.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/types.h"

namespace {

using vkubelet::Context;
using vkubelet::mock::MockProvider;
using vkubelet::mock::MockProviderConfig;
using vkubelet::testing::FakeApiServer;

// What the flags of this program decide, filled in by `customize`/`prepare`
// before the provider factory runs.
struct Settings {
  absl::Duration start_delay = absl::ZeroDuration();
  absl::Duration log_interval = absl::Seconds(5);
  std::string pod_cidr = "10.244.0.0/16";
  bool embedded = false;
  bool demo_pods = true;
  std::string embedded_dir;
  std::string embedded_version;
  std::unique_ptr<FakeApiServer> api_server;  // embedded mode
  std::string admin_kubeconfig;
};

absl::Status ParseDurationFlag(const std::map<std::string, std::string>& extra, const std::string& name,
                               absl::Duration* out) {
  auto it = extra.find(name);
  if (it == extra.end() || it->second.empty()) return absl::OkStatus();
  if (!absl::ParseDuration(it->second, out) || *out < absl::ZeroDuration()) {
    return vkubelet::errdefs::InvalidInput(
        absl::StrCat("invalid value \"", it->second, "\" for --", name, ": want a duration such as 2s or 1m30s"));
  }
  return absl::OkStatus();
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || (path[i] == '/' && i > 0)) {
      partial = path.substr(0, i);
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return vkubelet::errdefs::InvalidInput(
            absl::StrCat("cannot create directory ", partial, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

// Starts the embedded API server and points the node at it with a kubelet's
// identity. The kubelet API trusts the server's CA for the client certificate
// the server presents when it proxies logs and exec.
absl::Status StartEmbedded(const Context& ctx, Settings& settings, vkubelet::cli::ParsedCommandLine& parsed) {
  if (!parsed.kubeconfig.empty() && std::getenv("KUBECONFIG") == nullptr) {
    return vkubelet::errdefs::InvalidInput("--embedded-apiserver and --kubeconfig exclude each other");
  }
  VK_RETURN_IF_ERROR(MakeDirs(settings.embedded_dir));
  vkubelet::testing::FakeApiServerOptions fo;
  fo.tls = true;
  fo.require_authentication = true;
  fo.node_authorizer = true;
  fo.version = settings.embedded_version;
  auto server = FakeApiServer::Start(fo);
  if (!server.ok()) return vkubelet::errdefs::Annotate(server.status(), "embedded API server");
  settings.api_server = *std::move(server);

  const std::string& node_name = parsed.node.node_name;
  vkubelet::testing::KubeconfigOptions node_kc;
  node_kc.client_certificate = true;
  node_kc.certificate_user = {absl::StrCat("system:node:", node_name), {"system:nodes", "system:authenticated"}, ""};
  node_kc.context_name = "vkubelet-node";
  const std::string node_kubeconfig = settings.embedded_dir + "/node.kubeconfig";
  VK_RETURN_IF_ERROR(settings.api_server->WriteKubeconfig(node_kubeconfig, node_kc));

  vkubelet::testing::KubeconfigOptions admin_kc;
  admin_kc.client_certificate = true;
  admin_kc.context_name = "vkubelet-embedded";
  admin_kc.ns = "default";
  settings.admin_kubeconfig = settings.embedded_dir + "/kubeconfig";
  VK_RETURN_IF_ERROR(settings.api_server->WriteKubeconfig(settings.admin_kubeconfig, admin_kc));

  parsed.kubeconfig = node_kubeconfig;
  parsed.context.clear();
  vkubelet::NodeOptions& node = parsed.node;
  if (node.internal_ip.empty()) node.internal_ip = "127.0.0.1";
  if (std::getenv("KUBELET_PORT") == nullptr) node.kubelet_server.port = 0;  // any free port
  if (node.kubelet_server.address == "0.0.0.0") node.kubelet_server.address = "127.0.0.1";
  if (std::getenv("APISERVER_CA_CERT_LOCATION") == nullptr) {
    node.kubelet_server.client_ca_pem = settings.api_server->ca_pem();
    node.kubelet_server.no_auth = false;
    std::erase_if(parsed.warnings, [](const std::string& w) { return w.find("without authentication") != w.npos; });
  }
  vkubelet::log::Info(ctx, "Embedded API server started",
                      {{"url", settings.api_server->url()}, {"kubeconfig", settings.admin_kubeconfig}});
  return absl::OkStatus();
}

vkubelet::corev1::Pod DemoPod(const std::string& name, const std::string& node_name, const std::string& image) {
  vkubelet::corev1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  (*pod.mutable_metadata()->mutable_labels())["app"] = name;
  auto* spec = pod.mutable_spec();
  spec->set_nodename(node_name);
  auto* toleration = spec->add_tolerations();
  toleration->set_key("virtual-kubelet.io/provider");
  toleration->set_operator_("Exists");
  auto* c = spec->add_containers();
  c->set_name("main");
  c->set_image(image);
  (*c->mutable_resources()->mutable_requests())["cpu"].set_string("100m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_string("64Mi");
  return pod;
}

// Creates the demo objects: a web pod reading a ConfigMap and a Secret, a job
// that completes, and one that keeps crashing.
absl::Status CreateDemo(const Context& ctx, Settings& settings, vkubelet::Node& node) {
  FakeApiServer& api = *settings.api_server;
  const std::string& node_name = node.node_name();
  if (settings.demo_pods) {
    vkubelet::corev1::ConfigMap cm;
    cm.mutable_metadata()->set_name("demo-config");
    cm.mutable_metadata()->set_namespace_("default");
    (*cm.mutable_data())["GREETING"] = "hello from a ConfigMap";
    VK_RETURN_IF_ERROR(api.Create(cm).status());
    vkubelet::corev1::Secret secret;
    secret.mutable_metadata()->set_name("demo-secret");
    secret.mutable_metadata()->set_namespace_("default");
    (*secret.mutable_data())["TOKEN"] = "s3cr3t";
    VK_RETURN_IF_ERROR(api.Create(secret).status());

    auto web = DemoPod("demo-web", node_name, "nginx:1.25");
    auto* c = web.mutable_spec()->mutable_containers(0);
    c->add_ports()->set_containerport(80);
    auto* env = c->add_env();
    env->set_name("GREETING");
    env->mutable_valuefrom()->mutable_configmapkeyref()->mutable_localobjectreference()->set_name("demo-config");
    env->mutable_valuefrom()->mutable_configmapkeyref()->set_key("GREETING");
    env = c->add_env();
    env->set_name("TOKEN");
    env->mutable_valuefrom()->mutable_secretkeyref()->mutable_localobjectreference()->set_name("demo-secret");
    env->mutable_valuefrom()->mutable_secretkeyref()->set_key("TOKEN");
    VK_RETURN_IF_ERROR(api.Create(web).status());

    auto job = DemoPod("demo-job", node_name, "busybox:1.36");
    job.mutable_spec()->set_restartpolicy("Never");
    (*job.mutable_metadata()->mutable_annotations())[vkubelet::mock::kAnnotationExitCode] = "0";
    (*job.mutable_metadata()->mutable_annotations())[vkubelet::mock::kAnnotationExitAfter] = "20s";
    VK_RETURN_IF_ERROR(api.Create(job).status());

    auto crash = DemoPod("demo-crash", node_name, "busybox:1.36");
    (*crash.mutable_metadata()->mutable_annotations())[vkubelet::mock::kAnnotationExitCode] = "1";
    (*crash.mutable_metadata()->mutable_annotations())[vkubelet::mock::kAnnotationExitAfter] = "15s";
    VK_RETURN_IF_ERROR(api.Create(crash).status());

    auto running = api.WaitFor<vkubelet::corev1::Pod>(
        "default", "demo-web",
        [](const vkubelet::corev1::Pod* p) { return p != nullptr && p->status().phase() == "Running"; },
        absl::Seconds(30));
    if (!running.ok() && !ctx.Done()) {
      vkubelet::log::Warning(ctx, "demo-web did not reach Running", {{"error", running.status()}});
    }
  }
  if (ctx.Done()) return absl::OkStatus();
  const std::string kc = settings.admin_kubeconfig;
  std::printf(
      "\n"
      "Virtual node %s is Ready (embedded API server %s).\n"
      "Look at it with kubectl:\n"
      "\n"
      "  export KUBECONFIG=%s\n"
      "  kubectl get nodes,pods -o wide\n"
      "  kubectl describe node %s\n"
      "  kubectl logs demo-web\n"
      "  kubectl exec demo-web -- env\n"
      "  kubectl run demo-more --image=nginx --overrides='{\"spec\":{\"nodeName\":\"%s\"}}'\n"
      "\n"
      "Press Ctrl-C to stop.\n\n",
      node_name.c_str(), settings.api_server->url().c_str(), kc.c_str(), node_name.c_str(), node_name.c_str());
  std::fflush(stdout);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  vkubelet::cli::MainOptions options;
  options.program = "vkubelet-mock";
  options.provider_name = "mock";
  options.description =
      "The vkubelet mock provider: a virtual node whose pods run in memory but look real to kubectl\n"
      "(statuses, logs, exec, port-forward, stats). With --embedded-apiserver it needs no cluster.";
  options.extra_flags = {
      {"embedded-apiserver", "start an in-process API server instead of using a kubeconfig", "", true},
      {"embedded-dir", "where --embedded-apiserver writes its kubeconfigs", "/tmp/vkubelet-mock"},
      {"demo-pods", "with --embedded-apiserver: create demo pods", "true", true},
      {"embedded-version", "the Kubernetes version the embedded API server reports (kubectl adapts to it)",
       "v1.32.0"},
      {"start-delay", "how long new pods stay Pending", "0s"},
      {"log-interval", "how often a running container writes a log line", "5s"},
      {"pod-cidr", "pod IP addresses come from this range", "10.244.0.0/16"},
  };
  options.prepare = [&settings](const Context& ctx, vkubelet::cli::ParsedCommandLine& parsed) -> absl::Status {
    const auto& extra = parsed.extra;
    VK_RETURN_IF_ERROR(ParseDurationFlag(extra, "start-delay", &settings.start_delay));
    VK_RETURN_IF_ERROR(ParseDurationFlag(extra, "log-interval", &settings.log_interval));
    if (settings.log_interval <= absl::ZeroDuration()) {
      return vkubelet::errdefs::InvalidInput("--log-interval must be positive");
    }
    settings.pod_cidr = extra.at("pod-cidr");
    settings.embedded = extra.at("embedded-apiserver") == "true";
    settings.demo_pods = extra.at("demo-pods") == "true";
    settings.embedded_dir = extra.at("embedded-dir");
    settings.embedded_version = extra.at("embedded-version");
    if (!settings.embedded) return absl::OkStatus();
    return StartEmbedded(ctx, settings, parsed);
  };
  options.factory = [&settings](const vkubelet::ProviderConfig& pc)
      -> absl::StatusOr<std::shared_ptr<vkubelet::PodLifecycleHandler>> {
    MockProviderConfig mc;
    mc.node_name = pc.node_name;
    mc.operating_system = pc.operating_system;
    mc.internal_ip = pc.internal_ip;
    mc.daemon_port = pc.daemon_port;
    mc.config_path = pc.config_path;
    mc.resources = pc.resources;
    mc.clock = pc.clock;
    mc.start_delay = settings.start_delay;
    mc.log_interval = settings.log_interval;
    mc.pod_cidr = settings.pod_cidr;
    auto provider = MockProvider::Create(mc);
    if (!provider.ok()) return provider.status();
    return std::shared_ptr<vkubelet::PodLifecycleHandler>(*std::move(provider));
  };
  options.on_ready = [&settings](const Context& ctx, vkubelet::Node& node) -> absl::Status {
    if (!settings.embedded) {
      std::printf("Virtual node %s is Ready.\n", node.node_name().c_str());
      std::fflush(stdout);
      return absl::OkStatus();
    }
    return CreateDemo(ctx, settings, node);
  };
  return vkubelet::cli::Main(argc, argv, options);
}

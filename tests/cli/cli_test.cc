// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/cli/cli.h"

#include <doctest/doctest.h>

#include <map>

#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::cli {
namespace {

MainOptions Options() {
  MainOptions o;
  o.program = "vkubelet-test";
  o.provider_name = "mock";
  o.factory = [](const ProviderConfig&) -> absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> {
    return errdefs::Unimplemented("not used");
  };
  o.extra_flags = {{"greeting", "what to say", "hello"}};
  return o;
}

absl::StatusOr<ParsedCommandLine> ParseWith(std::vector<std::string> args,
                                            std::map<std::string, std::string> env = {}) {
  return Parse(args, [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  }, Options());
}

TEST_CASE("defaults match virtual-kubelet") {
  auto p = ParseWith({});
  VK_REQUIRE_OK(p);
  CHECK(p->node.node_name == "virtual-kubelet");
  CHECK(p->node.operating_system == "linux");
  CHECK(p->node.pod_controller.workers == 10);
  CHECK(p->node.pod_resync_period == absl::Minutes(1));
  CHECK(p->node.startup_timeout == absl::ZeroDuration());
  CHECK(p->node.kubelet_server.stream_idle_timeout == absl::Seconds(30));
  CHECK(p->node.kubelet_server.stream_creation_timeout == absl::Seconds(30));
  CHECK(p->node.kubelet_server.port == 10250);
  CHECK(p->node.node_controller.taint.enabled);
  CHECK(p->node.provider_name == "mock");
  CHECK(p->node.kubelet_server.self_signed);
  CHECK(p->node.kubelet_server.no_auth);  // no client CA: like the reference, with a warning
  CHECK_FALSE(p->warnings.empty());
  CHECK(p->extra.at("greeting") == "hello");
  CHECK(p->log_level == log::Level::kInfo);
}

TEST_CASE("flags in both spellings override the environment") {
  auto p = ParseWith({"--nodename=vk-7", "--pod-sync-workers", "3", "--os", "windows", "--disable-taint",
                      "--startup-timeout=1m30s", "--stream-idle-timeout", "5s", "--client-qps=500",
                      "--client-burst", "1000", "--log-level=debug", "--log-format", "json", "-provider-config",
                      "/etc/mock.json", "--greeting=hi", "--full-resync-period=0", "--client-transport=cpprest"},
                     {{"DEFAULT_NODE_NAME", "from-env"}, {"KUBELET_PORT", "10999"}, {"VKUBELET_POD_IP", "10.1.2.3"}});
  VK_REQUIRE_OK(p);
  CHECK(p->node.node_name == "vk-7");
  CHECK(p->node.pod_controller.workers == 3);
  CHECK(p->node.operating_system == "windows");
  CHECK_FALSE(p->node.node_controller.taint.enabled);
  CHECK(p->node.startup_timeout == absl::Seconds(90));
  CHECK(p->node.kubelet_server.stream_idle_timeout == absl::Seconds(5));
  CHECK(*p->client_qps == 500);
  CHECK(*p->client_burst == 1000);
  CHECK(*p->client_transport == kube::HttpTransportKind::kCppRest);
  CHECK(p->log_level == log::Level::kDebug);
  CHECK(p->log_json);
  CHECK(p->node.provider_config_path == "/etc/mock.json");
  CHECK(p->extra.at("greeting") == "hi");
  CHECK(p->node.kubelet_server.port == 10999);
  CHECK(p->node.internal_ip == "10.1.2.3");
  CHECK(p->node.pod_resync_period == absl::ZeroDuration());
}

TEST_CASE("environment: TLS, client CA and taint") {
  auto p = ParseWith({}, {{"APISERVER_CERT_LOCATION", "/c.pem"}, {"APISERVER_KEY_LOCATION", "/k.pem"},
                          {"APISERVER_CA_CERT_LOCATION", "/ca.pem"}, {"VKUBELET_TAINT_KEY", "example.com/vk"},
                          {"VKUBELET_TAINT_VALUE", "v"}, {"VKUBELET_TAINT_EFFECT", "NoExecute"},
                          {"DEFAULT_NODE_NAME", "from-env"}});
  VK_REQUIRE_OK(p);
  CHECK(p->node.node_name == "from-env");
  CHECK(p->node.kubelet_server.tls_cert_file == "/c.pem");
  CHECK(p->node.kubelet_server.tls_key_file == "/k.pem");
  CHECK_FALSE(p->node.kubelet_server.self_signed);
  CHECK(p->node.kubelet_server.client_ca_file == "/ca.pem");
  CHECK_FALSE(p->node.kubelet_server.no_auth);
  CHECK(p->node.node_controller.taint.key == "example.com/vk");
  CHECK(p->node.node_controller.taint.value == "v");
  CHECK(p->node.node_controller.taint.effect == "NoExecute");
}

TEST_CASE("bad input is one clear error") {
  struct Case {
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* message;
  };
  Case cases[] = {
      {{"--bogus"}, {}, "unknown flag --bogus"},
      {{"--pod-sync-workers=0"}, {}, "invalid value \"0\" for --pod-sync-workers"},
      {{"--pod-sync-workers"}, {}, "flag needs an argument: --pod-sync-workers"},
      {{"--os=plan9"}, {}, "want linux or windows"},
      {{"--startup-timeout=soon"}, {}, "want a non-negative duration"},
      {{"--disable-taint=maybe"}, {}, "want true or false"},
      {{"--log-level=loud"}, {}, "for --log-level"},
      {{"--client-transport=curl"}, {}, "want native or cpprest"},
      {{"stray"}, {}, "unexpected argument \"stray\""},
      {{}, {{"KUBELET_PORT", "http"}}, "$KUBELET_PORT"},
      {{}, {{"VKUBELET_TAINT_EFFECT", "Never"}}, "$VKUBELET_TAINT_EFFECT"},
      {{}, {{"APISERVER_CERT_LOCATION", "/c.pem"}}, "must be set together"},
  };
  for (const auto& c : cases) {
    auto p = ParseWith(c.args, c.env);
    CAPTURE(c.message);
    REQUIRE_FALSE(p.ok());
    CHECK(errdefs::IsInvalidInput(p.status()));
    CHECK(std::string(p.status().message()).find(c.message) != std::string::npos);
  }
}

TEST_CASE("deprecated reference flags are accepted with a warning") {
  auto p = ParseWith({"--enable-node-lease", "--namespace", "x", "--metrics-addr=:10255", "--provider=mock"});
  VK_REQUIRE_OK(p);
  int deprecated = 0;
  for (const auto& w : p->warnings) deprecated += w.find("deprecated") != std::string::npos;
  CHECK(deprecated == 4);
}

TEST_CASE("help and version") {
  auto p = ParseWith({"-h"});
  VK_REQUIRE_OK(p);
  CHECK(p->help);
  std::string usage = Usage(Options());
  CHECK(usage.find("--pod-sync-workers") != std::string::npos);
  CHECK(usage.find("--greeting") != std::string::npos);
  CHECK(usage.find("APISERVER_CA_CERT_LOCATION") != std::string::npos);
  CHECK(usage.find("--metrics-addr") == std::string::npos);  // hidden
  auto v = ParseWith({"--version"});
  VK_REQUIRE_OK(v);
  CHECK(v->version);
}

}  // namespace
}  // namespace vkubelet::cli

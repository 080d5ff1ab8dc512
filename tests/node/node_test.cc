// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet::Node, wired end to end against FakeApiServer with the mock
// provider: a node identity under Node authorization never needs a right a
// kubelet lacks, the kubelet API on port 0 is advertised and reachable
// through the API server's proxy, shutdown is clean, and bad options or a
// busy port are clear errors.

#include "vkubelet/node.h"

#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "internal/http/client.h"
#include "internal/http/server.h"
#include "providers/mock/mock_provider.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet {
namespace {

using testing::FakeApiServer;
namespace http = vkubelet::internal::http;

constexpr char kNode[] = "vk-node";

std::shared_ptr<PodLifecycleHandler> NewMock() {
  mock::MockProviderConfig mc;
  mc.node_name = kNode;
  mc.internal_ip = "127.0.0.1";
  mc.daemon_port = 0;  // the SDK fills in the bound port
  mc.log_interval = absl::Milliseconds(200);
  auto p = mock::MockProvider::Create(mc);
  REQUIRE_MESSAGE(p.ok(), p.status().ToString());
  return std::shared_ptr<PodLifecycleHandler>(*std::move(p));
}

corev1::Pod PodWithEnvFrom(const std::string& name) {
  corev1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_nodename(kNode);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx");
  auto* e = c->add_env();
  e->set_name("PASSWORD");
  e->mutable_valuefrom()->mutable_secretkeyref()->mutable_localobjectreference()->set_name("db");
  e->mutable_valuefrom()->mutable_secretkeyref()->set_key("password");
  e = c->add_env();
  e->set_name("LEVEL");
  e->mutable_valuefrom()->mutable_configmapkeyref()->mutable_localobjectreference()->set_name("settings");
  e->mutable_valuefrom()->mutable_configmapkeyref()->set_key("level");
  return pod;
}

struct RunningNode {
  std::unique_ptr<Node> node;
  CancelFn cancel;
  std::thread thread;
  absl::Status result;

  void Start(std::unique_ptr<Node> n) {
    node = std::move(n);
    auto [ctx, c] = Context::Background().WithCancel();
    cancel = c;
    thread = std::thread([this, ctx = ctx] { result = node->Run(ctx); });
  }
  absl::Status Stop() {
    if (cancel) cancel();
    if (thread.joinable()) thread.join();
    return result;
  }
  ~RunningNode() { (void)Stop(); }
};

TEST_CASE("a node identity under Node authorization: pods run, logs flow, no forbidden request") {
  testing::FakeApiServerOptions ao;
  ao.tls = true;
  ao.require_authentication = true;
  ao.node_authorizer = true;
  auto api_or = FakeApiServer::Start(ao);
  VK_REQUIRE_OK(api_or.status());
  FakeApiServer& api = **api_or;

  corev1::Secret secret;
  secret.mutable_metadata()->set_name("db");
  secret.mutable_metadata()->set_namespace_("default");
  (*secret.mutable_data())["password"] = "hunter2";
  VK_REQUIRE_OK(api.Create(secret).status());
  corev1::ConfigMap cm;
  cm.mutable_metadata()->set_name("settings");
  cm.mutable_metadata()->set_namespace_("default");
  (*cm.mutable_data())["level"] = "debug";
  VK_REQUIRE_OK(api.Create(cm).status());

  const std::string node_user = absl::StrCat("system:node:", kNode);
  testing::KubeconfigOptions ko;
  ko.client_certificate = true;
  ko.certificate_user = {node_user, {"system:nodes", "system:authenticated"}, ""};
  auto client_config = kube::KubeconfigFromString(api.Kubeconfig(ko), "node.kubeconfig");
  VK_REQUIRE_OK(client_config.status());

  NodeOptions options;
  options.node_name = kNode;
  options.provider_name = "mock";
  options.internal_ip = "127.0.0.1";
  options.client_config = *client_config;
  options.kubelet_server.address = "127.0.0.1";
  options.kubelet_server.port = 0;
  options.kubelet_server.self_signed = true;
  options.kubelet_server.client_ca_pem = api.ca_pem();  // webhook auth of the API server's proxy
  auto node_or = Node::Create(options, NewMock());
  VK_REQUIRE_OK(node_or.status());
  RunningNode run;
  run.Start(*std::move(node_or));
  VK_REQUIRE_OK(run.node->WaitReady(absl::Seconds(30)));

  // Registered, Ready, tainted, with the bound kubelet port advertised.
  auto node = api.Get<corev1::Node>(kNode);
  VK_REQUIRE_OK(node.status());
  CHECK((*node)->status().daemonendpoints().kubeletendpoint().port() == run.node->kubelet_port());
  CHECK(run.node->kubelet_port() > 0);
  REQUIRE((*node)->spec().taints_size() == 1);
  CHECK((*node)->spec().taints(0).value() == "mock");
  bool ready = false;
  for (const auto& c : (*node)->status().conditions()) ready |= c.type() == "Ready" && c.status() == "True";
  CHECK(ready);
  VK_CHECK_OK(api.WaitFor<coordinationv1::Lease>(
                    "kube-node-lease", kNode,
                    [](const coordinationv1::Lease* l) { return l && l->spec().holderidentity() == kNode; },
                    absl::Seconds(30))
                  .status());

  // A pod whose env needs a Secret and a ConfigMap runs.
  VK_REQUIRE_OK(api.Create(PodWithEnvFrom("web")).status());
  auto running = api.WaitFor<corev1::Pod>(
      "default", "web", [](const corev1::Pod* p) { return p && p->status().phase() == "Running"; },
      absl::Seconds(30));
  VK_REQUIRE_OK(running.status());

  // kubectl logs' path: the API server proxies to the advertised kubelet
  // endpoint with its client certificate; the kubelet API checks it.
  http::ClientOptions co;
  co.port = api.port();
  http::ClientTlsOptions tls;
  tls.ca_pem = api.ca_pem();
  auto admin = api.IssueClientCertificate({"admin", {"system:masters"}, ""});
  VK_REQUIRE_OK(admin.status());
  tls.cert_pem = admin->cert_pem;
  tls.key_pem = admin->key_pem;
  co.tls = tls;
  auto client = http::Client::Create(co);
  VK_REQUIRE_OK(client.status());
  http::ClientRequest req;
  req.method = "GET";
  req.target = "/api/v1/namespaces/default/pods/web/log?container=app";
  auto resp = (*client)->Do(Context::Background().WithTimeout(absl::Seconds(20)), req);
  VK_REQUIRE_OK(resp.status());
  CHECK(resp->status == 200);
  CHECK_MESSAGE(absl::StrContains(resp->body, "started"), resp->body);

  // Deletion goes through the provider and the object disappears.
  VK_REQUIRE_OK(api.Delete<corev1::Pod>("default", "web"));
  VK_CHECK_OK(api.WaitForDeletion<corev1::Pod>("default", "web", absl::Seconds(30)));

  NodeMetrics m = run.node->GetMetrics();
  CHECK(m.api_requests > 0);
  VK_CHECK_OK(run.Stop());

  // Everything the node asked for was allowed, and it never listed or
  // watched Secrets or ConfigMaps beyond single names.
  int node_requests = 0;
  for (const auto& r : api.Requests()) {
    if (r.user != node_user) continue;
    ++node_requests;
    CHECK_MESSAGE(r.code != 403, r.verb, " ", r.resource, "/", r.subresource, " ", r.ns, "/", r.name);
    if (r.resource == "secrets" || r.resource == "configmaps") {
      CHECK_MESSAGE((r.verb == "get" || !r.name.empty()), r.verb, " ", r.resource, " without a name: ", r.path);
    }
  }
  CHECK(node_requests > 5);
}

TEST_CASE("Node::Create rejects bad options with errors naming them") {
  NodeOptions options;
  options.client_config.server = "http://127.0.0.1:9";
  options.node_name = "";
  auto r = Node::Create(options, NewMock());
  CHECK(errdefs::IsInvalidInput(r.status()));
  CHECK(absl::StrContains(r.status().message(), "node name"));

  options.node_name = kNode;
  options.operating_system = "plan9";
  r = Node::Create(options, NewMock());
  CHECK(errdefs::IsInvalidInput(r.status()));
  CHECK(absl::StrContains(r.status().message(), "plan9"));

  options.operating_system = "linux";
  r = Node::Create(options, [](const ProviderConfig&) -> absl::StatusOr<std::shared_ptr<PodLifecycleHandler>> {
    return errdefs::InvalidInput("capacity file is broken");
  });
  CHECK(errdefs::IsInvalidInput(r.status()));
  CHECK(absl::StrContains(r.status().message(), "provider"));
  CHECK(absl::StrContains(r.status().message(), "capacity file is broken"));
}

TEST_CASE("Run fails with a clear error when the kubelet port is taken or the API server never answers") {
  auto api_or = FakeApiServer::Start({});
  VK_REQUIRE_OK(api_or.status());
  NodeOptions options;
  options.node_name = kNode;
  options.client_config.server = (*api_or)->url();
  options.kubelet_server.address = "127.0.0.1";
  options.kubelet_server.no_auth = true;
  options.kubelet_server.self_signed = true;

  SUBCASE("port in use") {
    options.kubelet_server.port = (*api_or)->port();
    auto node = Node::Create(options, NewMock());
    VK_REQUIRE_OK(node.status());
    absl::Status s = (*node)->Run(Context::Background().WithTimeout(absl::Seconds(30)));
    CHECK_FALSE(s.ok());
    CHECK_MESSAGE(absl::StrContains(s.message(), "kubelet API"), s.ToString());
  }
  SUBCASE("startup timeout against an API server that is gone") {
    options.kubelet_server.port = 0;
    (*api_or)->Stop();
    options.startup_timeout = absl::Seconds(1);
    options.client_config.retry.max_retries = 0;
    auto node = Node::Create(options, NewMock());
    VK_REQUIRE_OK(node.status());
    absl::Status s = (*node)->Run(Context::Background().WithTimeout(absl::Seconds(30)));
    CHECK(absl::IsDeadlineExceeded(s));
    CHECK_MESSAGE(absl::StrContains(s.message(), "startup timeout"), s.ToString());
  }
}

}  // namespace
}  // namespace vkubelet

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The ResourceManager as a node identity (system:node:vk) against
// FakeApiServer with node-style authorization.

#include "vkubelet/node/kube_resource_manager.h"

#include <doctest/doctest.h>

#include <thread>

#include "vkubelet/errdefs.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node/env.h"
#include "vkubelet/node/kube_pod_api.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::node {
namespace {

using testing::FakeApiServer;

TEST_CASE("a node identity resolves the Secrets and ConfigMaps its pods reference, and nothing else") {
  testing::FakeApiServerOptions so;
  so.node_authorizer = true;
  so.require_authentication = true;
  so.tokens["admin-token"] = {"admin", {"system:masters"}, ""};
  so.tokens["node-token"] = {"system:node:vk", {"system:nodes", "system:authenticated"}, ""};
  auto server = FakeApiServer::Start(so);
  VK_REQUIRE_OK(server);
  auto& srv = **server;

  auto make_secret = [&](const std::string& name) {
    corev1::Secret s;
    s.mutable_metadata()->set_namespace_("default");
    s.mutable_metadata()->set_name(name);
    (*s.mutable_data())["password"] = "hunter2-" + name;
    VK_REQUIRE_OK(srv.Create(s));
  };
  make_secret("db");
  make_secret("unrelated");
  corev1::ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name("settings");
  (*cm.mutable_data())["LOG_LEVEL"] = "debug";
  VK_REQUIRE_OK(srv.Create(cm));
  corev1::Service svc;
  svc.mutable_metadata()->set_namespace_("default");
  svc.mutable_metadata()->set_name("kubernetes");
  svc.mutable_spec()->set_clusterip("10.96.0.1");
  auto* port = svc.mutable_spec()->add_ports();
  port->set_name("https");
  port->set_port(443);
  port->set_protocol("TCP");
  VK_REQUIRE_OK(srv.Create(svc));

  corev1::Pod pod;
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_name("app");
  pod.mutable_spec()->set_nodename("vk");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  auto* e = c->add_env();
  e->set_name("DB_PASSWORD");
  e->mutable_valuefrom()->mutable_secretkeyref()->mutable_localobjectreference()->set_name("db");
  e->mutable_valuefrom()->mutable_secretkeyref()->set_key("password");
  c->add_envfrom()->mutable_configmapref()->mutable_localobjectreference()->set_name("settings");
  auto created = srv.Create(pod);
  VK_REQUIRE_OK(created);

  kube::ClientConfig cfg;
  cfg.server = srv.url();
  cfg.bearer_token = "node-token";
  auto client = kube::RestClient::Create(cfg);
  VK_REQUIRE_OK(client);
  auto pods = NewKubePodApi(*client, {.node_name = "vk"});
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread watch([&, ctx = ctx] { pods->Run(ctx); });
  REQUIRE(pods->WaitSynced(absl::Seconds(10)));

  testing::FakeClock clock;
  auto rm = NewKubeResourceManager(*client, pods.get(), {.clock = &clock});
  // The node may not list Secrets: the manager never tries.
  auto secret = rm->GetSecret(Context::Background(), "default", "db");
  VK_REQUIRE_OK(secret);
  CHECK((*secret)->data().at("password") == "hunter2-db");
  auto settings = rm->GetConfigMap(Context::Background(), "default", "settings");
  VK_REQUIRE_OK(settings);
  CHECK(errdefs::IsForbidden(rm->GetSecret(Context::Background(), "default", "unrelated").status()));
  {
    absl::Status missing = rm->GetConfigMap(Context::Background(), "default", "missing").status();
    const bool refused = errdefs::IsNotFound(missing) || errdefs::IsForbidden(missing);
    CHECK(refused);
  }
  CHECK(srv.RequestCount("list", "secrets") == 0);

  // Env resolution through the manager, as the pod controller does it.
  corev1::Pod resolved = **created;
  MemoryEventRecorder events;
  VK_REQUIRE_OK(ResolvePodEnvironment(Context::Background(), &resolved, *rm, events));
  std::map<std::string, std::string> env;
  for (const auto& v : resolved.spec().containers(0).env()) env[v.name()] = v.value();
  CHECK(env.at("DB_PASSWORD") == "hunter2-db");
  CHECK(env.at("LOG_LEVEL") == "debug");
  CHECK(env.at("KUBERNETES_SERVICE_HOST") == "10.96.0.1");
  CHECK(events.events().empty());

  // Served from the cache within the TTL, fetched again after it.
  const auto gets = rm->GetStats().gets;
  VK_CHECK_OK(rm->GetSecret(Context::Background(), "default", "db"));
  CHECK(rm->GetStats().gets == gets);
  CHECK(rm->GetStats().hits >= 1);
  clock.Advance(absl::Minutes(2));
  VK_CHECK_OK(rm->GetSecret(Context::Background(), "default", "db"));
  CHECK(rm->GetStats().gets == gets + 1);

  CHECK(rm->GetPods().size() == 1);

  // Released once no pod references them.
  VK_REQUIRE_OK(srv.Delete<corev1::Pod>("default", "app", 0));
  for (int i = 0; i < 2000 && !rm->GetPods().empty(); ++i) absl::SleepFor(absl::Milliseconds(5));
  REQUIRE(rm->GetPods().empty());
  CHECK(rm->GetStats().cached > 0);
  rm->Release();
  CHECK(rm->GetStats().cached == 0);

  cancel();
  watch.join();
}

}  // namespace
}  // namespace vkubelet::node

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The pieces the kubectl end-to-end tests share: a TLS FakeApiServer whose
// kubelet webhook auth asks that server, the options of a test kubelet on
// 127.0.0.1 that trusts the API server's client certificate, and a Node
// pointing at that kubelet with one pod bound to it.

#ifndef VKUBELET_TESTS_E2E_KUBELET_FIXTURE_H_
#define VKUBELET_TESTS_E2E_KUBELET_FIXTURE_H_

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "api/kubelet_test_provider.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet::e2e {

struct ApiWithAuth {
  std::unique_ptr<testing::FakeApiServer> api;
  // The kubelet authenticates the API server's client certificate (issued by
  // the cluster CA) and asks the API server's SubjectAccessReview.
  api::KubeletAuth auth;
};

inline ApiWithAuth StartApiWithAuth(testing::FakeApiServerOptions options) {
  options.tls = true;
  ApiWithAuth out;
  auto api = testing::FakeApiServer::Start(std::move(options));
  REQUIRE_MESSAGE(api.ok(), api.status().ToString());
  out.api = *std::move(api);
  auto cfg = kube::KubeconfigFromString(out.api->Kubeconfig(), "fake");
  VK_REQUIRE_OK(cfg.status());
  auto rest = kube::RestClient::Create(*cfg);
  VK_REQUIRE_OK(rest.status());
  out.auth = api::NewWebhookAuth(api::NewKubeReviewClient(*rest));
  return out;
}

// A self-signed kubelet on 127.0.0.1, any free port, with webhook auth.
inline api::KubeletServerOptions TestKubeletOptions(const std::string& node, const ApiWithAuth& a) {
  api::KubeletServerOptions so;
  so.node_name = node;
  so.address = "127.0.0.1";
  so.port = 0;
  so.self_signed = true;
  so.client_ca_pem = a.api->ca_pem();
  so.authenticator = a.auth.authenticator;
  so.authorizer = a.auth.authorizer;
  return so;
}

// Registers Node `node` with its kubelet at 127.0.0.1:`kubelet_port` and
// creates pod default/web (container "app") bound to it.
inline void CreateNodeAndPod(testing::FakeApiServer& api, const std::string& node, int kubelet_port) {
  corev1::Node n;
  n.mutable_metadata()->set_name(node);
  auto* addr = n.mutable_status()->add_addresses();
  addr->set_type("InternalIP");
  addr->set_address("127.0.0.1");
  n.mutable_status()->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port(kubelet_port);
  VK_REQUIRE_OK(api.Create(n).status());
  auto pod = test::MakePod("default", "web", {"app"}, node);
  VK_REQUIRE_OK(api.Create(*pod).status());
}

}  // namespace vkubelet::e2e

#endif  // VKUBELET_TESTS_E2E_KUBELET_FIXTURE_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The end-to-end suite itself: configuration from arguments and environment,
// a provider that passes, one that fails the scenarios it breaks, and the
// kubeconfig mode against a cluster the suite did not start.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/e2e_suite.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet::testing {
namespace {

using PodPtr = std::shared_ptr<const corev1::Pod>;

// Pods run the moment they are created. `hide` leaves them out of GetPods
// (so the node's /runningpods/ never lists them).
class SimpleProvider : public PodLifecycleHandler, public PodNotifier {
 public:
  explicit SimpleProvider(bool hide = false) : hide_(hide) {}
  absl::Status CreatePod(const Context&, const corev1::Pod& pod) override {
    auto p = std::make_shared<corev1::Pod>(pod);
    p->mutable_status()->set_phase("Running");
    for (const auto& c : pod.spec().containers()) {
      auto* cs = p->mutable_status()->add_containerstatuses();
      cs->set_name(c.name());
      cs->set_ready(true);
      cs->mutable_state()->mutable_running();
    }
    return Store(p);
  }
  absl::Status UpdatePod(const Context&, const corev1::Pod& pod) override {
    PodPtr old;
    {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find(Key(pod));
      if (it == pods_.end()) return errdefs::NotFound("unknown pod");
      old = it->second;
    }
    auto p = std::make_shared<corev1::Pod>(pod);
    *p->mutable_status() = old->status();
    return Store(p);
  }
  absl::Status DeletePod(const Context&, const corev1::Pod& pod) override {
    std::function<void(PodPtr)> cb;
    auto stopped = std::make_shared<corev1::Pod>();
    {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find(Key(pod));
      if (it == pods_.end()) return errdefs::NotFound("unknown pod");
      *stopped = *it->second;
      pods_.erase(it);
      cb = cb_;
    }
    stopped->mutable_status()->set_phase("Succeeded");
    for (auto& cs : *stopped->mutable_status()->mutable_containerstatuses()) {
      cs.mutable_state()->clear_running();
      auto* t = cs.mutable_state()->mutable_terminated();
      t->set_exitcode(0);
      t->set_reason("Completed");
      t->mutable_finishedat()->set_seconds(absl::ToUnixSeconds(absl::Now()));
      cs.set_ready(false);
    }
    if (cb) cb(stopped);
    return absl::OkStatus();
  }
  absl::StatusOr<PodPtr> GetPod(const Context&, std::string_view ns, std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(std::string(ns) + "/" + std::string(name));
    if (it == pods_.end()) return errdefs::NotFound("unknown pod");
    return it->second;
  }
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context& ctx, std::string_view ns,
                                                                        std::string_view name) override {
    auto p = GetPod(ctx, ns, name);
    if (!p.ok()) return p.status();
    return std::shared_ptr<const corev1::PodStatus>(*p, &(*p)->status());
  }
  absl::StatusOr<std::vector<PodPtr>> GetPods(const Context&) override {
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    if (!hide_) {
      for (const auto& [k, p] : pods_) out.push_back(p);
    }
    return out;
  }
  void NotifyPods(const Context&, std::function<void(PodPtr)> cb) override {
    absl::MutexLock lock(&mu_);
    cb_ = std::move(cb);
  }

 private:
  static std::string Key(const corev1::Pod& p) { return p.metadata().namespace_() + "/" + p.metadata().name(); }
  absl::Status Store(const std::shared_ptr<corev1::Pod>& p) {
    std::function<void(PodPtr)> cb;
    {
      absl::MutexLock lock(&mu_);
      pods_[Key(*p)] = p;
      cb = cb_;
    }
    if (cb) cb(p);
    return absl::OkStatus();
  }
  const bool hide_;
  absl::Mutex mu_;
  std::map<std::string, PodPtr> pods_ ABSL_GUARDED_BY(mu_);
  std::function<void(PodPtr)> cb_ ABSL_GUARDED_BY(mu_);
};

TEST_CASE("configuration comes from the command line over the environment") {
  setenv("VKUBELET_E2E_KUBECONFIG", "/env/kubeconfig", 1);
  setenv("VKUBELET_E2E_NODE", "env-node", 1);
  unsetenv("VKUBELET_E2E_NAMESPACE");
  EndToEndConfig from_env = EndToEndConfigFrom({"test_binary", "-tc=x"});
  CHECK(from_env.kubeconfig == "/env/kubeconfig");
  CHECK(from_env.node_name == "env-node");
  CHECK(from_env.namespace_ == "default");

  EndToEndConfig from_args =
      EndToEndConfigFrom({"test_binary", "--kubeconfig=/arg/kc", "--node", "arg-node", "--e2e-namespace=e2e"});
  CHECK(from_args.kubeconfig == "/arg/kc");
  CHECK(from_args.node_name == "arg-node");
  CHECK(from_args.namespace_ == "e2e");
  unsetenv("VKUBELET_E2E_KUBECONFIG");
  unsetenv("VKUBELET_E2E_NODE");

  EndToEndConfig base;
  base.node_name = "mine";
  CHECK(EndToEndConfigFrom({"test_binary"}, base).node_name == "mine");
  CHECK(EndToEndConfigFrom({"test_binary"}, base).kubeconfig.empty());
}

ProviderFactory Factory(bool hide) {
  return MakeEndToEndFactory([hide](const ProviderConfig&) { return std::make_shared<SimpleProvider>(hide); });
}

TEST_CASE("a correct provider passes every scenario in process (stats and metrics skipped without the ability)") {
  EndToEndSuite suite(Factory(false), EndToEndConfig{});
  ConformanceReport report = suite.RunAll();
  CHECK_MESSAGE(report.ok(), report.ToString());
  for (const auto& s : EndToEndScenarios()) {
    const CheckResult* r = report.Find(s.id);
    REQUIRE(r != nullptr);
    bool optional = s.id.starts_with("stats.") || s.id.starts_with("metrics.");
    CHECK_MESSAGE((optional ? r->skipped() : r->passed()), r->clause);
  }
}

TEST_CASE("a provider whose pods the node does not list fails the scenarios that look for them") {
  EndToEndConfig config;
  config.timeout = absl::Seconds(3);
  EndToEndSuite suite(Factory(true), config);
  for (const char* id : {"pods.running-pods-via-proxy", "pods.graceful-delete"}) {
    CheckResult r = suite.Run(id);
    CHECK(r.failed());
    REQUIRE_FALSE(r.failures.empty());
    CHECK(absl::StartsWith(r.failures[0], std::string("[") + id + "] "));
    CHECK(absl::StrContains(r.failures[0], "/runningpods/"));
  }
  // Scenarios that do not look at the list still pass.
  CHECK(suite.Run("env.mandatory-secret-missing").passed());
}

TEST_CASE("unknown scenarios fail, skipped ones are reported, an in-process run needs a factory") {
  EndToEndConfig config;
  config.skip = {"env."};
  EndToEndSuite suite(Factory(false), config);
  CHECK(suite.Run("pods.no-such-scenario").failed());
  CHECK(suite.Run("env.optional-secret-missing").skipped());
  CheckResult no_factory = EndToEndSuite(nullptr, EndToEndConfig{}).Run("pods.force-delete");
  CHECK(no_factory.failed());
}

TEST_CASE("with a kubeconfig the suite uses a running node it did not start") {
  auto server = FakeApiServer::Start({});
  VK_REQUIRE_OK(server);
  NodeOptions o;
  o.node_name = "vk-remote";
  o.client_config.server = (*server)->url();
  o.internal_ip = "127.0.0.1";
  o.kubelet_server.address = "127.0.0.1";
  o.kubelet_server.port = 0;
  o.kubelet_server.self_signed = true;
  o.kubelet_server.no_auth = true;
  auto node = Node::Create(o, std::make_shared<SimpleProvider>());
  VK_REQUIRE_OK(node);
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::thread runner([&, ctx = ctx] { VK_CHECK_OK((*node)->Run(ctx)); });
  VK_REQUIRE_OK((*node)->WaitReady(absl::Seconds(30)));

  std::string dir = (std::filesystem::temp_directory_path() / "vk-e2e-kubeconfig-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  const std::string kubeconfig = dir + "/kubeconfig";
  VK_REQUIRE_OK((*server)->WriteKubeconfig(kubeconfig));

  EndToEndConfig config = EndToEndConfigFrom({"test_binary", "--kubeconfig=" + kubeconfig, "--node=vk-remote"});
  EndToEndSuite suite(nullptr, config);
  for (const char* id : {"pods.running-pods-via-proxy", "pods.force-delete", "env.optional-configmap-missing"}) {
    CheckResult r = suite.Run(id);
    CHECK_MESSAGE(r.passed(), id, ": ", ConformanceReport{{r}}.ToString());
  }
  // Its pods are gone afterwards.
  auto left = (*server)->List<corev1::Pod>("default");
  VK_REQUIRE_OK(left);
  CHECK(left->empty());

  // A node that does not exist is reported, not waited for.
  config.node_name = "vk-nowhere";
  CheckResult missing = EndToEndSuite(nullptr, config).Run("pods.running-pods-via-proxy");
  CHECK(missing.failed());
  CHECK(absl::StrContains(missing.failures.at(0), "vk-nowhere"));

  cancel();
  runner.join();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vkubelet::testing

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The helpers of the provider test kit: PodBuilder, WaitFor/WaitForObject and
// RecordingNotifier.

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/pod_builder.h"
#include "vkubelet/testing/recording_notifier.h"
#include "vkubelet/testing/wait.h"

namespace vkubelet::testing {
namespace {

using PodPtr = std::shared_ptr<const corev1::Pod>;

TEST_CASE("PodBuilder builds what it was told; container calls apply to the last container") {
  corev1::Pod pod = PodBuilder()
                        .Namespace("team-a")
                        .Name("web")
                        .Uid("u1")
                        .Label("app", "web")
                        .Annotation("note", "x")
                        .NodeName("vk-1")
                        .RestartPolicy("Never")
                        .TerminationGracePeriodSeconds(7)
                        .Toleration("virtual-kubelet.io/provider", "Exists", "", "NoSchedule")
                        .InitContainer("init", "busybox:1.36")
                        .Command({"sh", "-c", "true"})
                        .Container("app", "nginx:1.25")
                        .Command({"nginx"})
                        .Args({"-g", "daemon off;"})
                        .WorkingDir("/srv")
                        .Env("MODE", "test")
                        .EnvFromSecretKey("PASSWORD", "db", "password", true)
                        .EnvFromConfigMapKey("LEVEL", "cfg", "level")
                        .EnvFromField("POD_NAME", "metadata.name")
                        .EnvFromSecret("all-secrets", true, "S_")
                        .EnvFromConfigMap("all-config")
                        .Request("cpu", "250m")
                        .Limit("memory", "64Mi")
                        .Port(8080, "http")
                        .Build();
  CHECK(pod.metadata().namespace_() == "team-a");
  CHECK(pod.metadata().name() == "web");
  CHECK(pod.metadata().uid() == "u1");
  CHECK(pod.metadata().labels().at("app") == "web");
  CHECK(pod.metadata().annotations().at("note") == "x");
  CHECK(pod.spec().nodename() == "vk-1");
  CHECK(pod.spec().restartpolicy() == "Never");
  CHECK(pod.spec().terminationgraceperiodseconds() == 7);
  REQUIRE(pod.spec().tolerations_size() == 1);
  CHECK(pod.spec().tolerations(0).operator_() == "Exists");
  REQUIRE(pod.spec().initcontainers_size() == 1);
  CHECK(pod.spec().initcontainers(0).command_size() == 3);
  REQUIRE(pod.spec().containers_size() == 1);
  const corev1::Container& c = pod.spec().containers(0);
  CHECK(c.name() == "app");
  CHECK(c.image() == "nginx:1.25");
  CHECK(c.command(0) == "nginx");
  CHECK(c.args(1) == "daemon off;");
  CHECK(c.workingdir() == "/srv");
  REQUIRE(c.env_size() == 4);
  CHECK(c.env(0).value() == "test");
  CHECK(c.env(1).valuefrom().secretkeyref().localobjectreference().name() == "db");
  CHECK(c.env(1).valuefrom().secretkeyref().optional());
  CHECK_FALSE(c.env(2).valuefrom().configmapkeyref().has_optional());
  CHECK(c.env(3).valuefrom().fieldref().fieldpath() == "metadata.name");
  REQUIRE(c.envfrom_size() == 2);
  CHECK(c.envfrom(0).prefix() == "S_");
  CHECK(c.envfrom(0).secretref().optional());
  CHECK(c.envfrom(1).configmapref().localobjectreference().name() == "all-config");
  CHECK(c.resources().requests().at("cpu").string() == "250m");
  CHECK(c.resources().limits().at("memory").string() == "64Mi");
  CHECK(c.ports(0).containerport() == 8080);
  CHECK(c.ports(0).protocol() == "TCP");
}

TEST_CASE("PodBuilder defaults: one runnable container; copies are independent") {
  corev1::Pod plain = PodBuilder().Build();
  CHECK(plain.metadata().namespace_() == "default");
  REQUIRE(plain.spec().containers_size() == 1);
  CHECK_FALSE(plain.spec().containers(0).image().empty());

  PodBuilder base = PodBuilder().Env("A", "1");  // adds the default container
  PodBuilder copy = base;
  copy.Env("B", "2");
  CHECK(base.Build().spec().containers(0).env_size() == 1);
  CHECK(copy.Build().spec().containers(0).env_size() == 2);
  CHECK(copy.Build().spec().containers_size() == 1);

  // Starting from a pod continues with its last container.
  corev1::Pod from = PodBuilder(plain).Name("other").Env("C", "3").Build();
  CHECK(from.metadata().name() == "other");
  REQUIRE(from.spec().containers_size() == 1);
  CHECK(from.spec().containers(0).env(0).name() == "C");
}

TEST_CASE("WaitFor returns when the predicate holds, times out otherwise, honours the Context") {
  std::atomic<int> calls{0};
  std::thread setter;
  std::atomic<bool> flag{false};
  setter = std::thread([&] {
    while (calls.load() < 3) std::this_thread::yield();
    flag = true;
  });
  VK_CHECK_OK(WaitFor(
      [&] {
        ++calls;
        return flag.load();
      },
      absl::Seconds(30), "the flag"));
  setter.join();
  CHECK(calls.load() >= 3);

  absl::Status timeout = WaitFor([] { return false; }, absl::Milliseconds(20), "something impossible");
  CHECK(absl::IsDeadlineExceeded(timeout));
  CHECK(timeout.message().find("something impossible") != std::string::npos);

  int once = 0;
  VK_CHECK_OK(WaitFor([&] { return ++once == 1; }, absl::ZeroDuration()));  // checked at least once

  auto [ctx, cancel] = Context::Background().WithCancel();
  cancel();
  CHECK(absl::IsCancelled(WaitFor(ctx, [] { return false; }, absl::Seconds(30))));
}

TEST_CASE("WaitForObject polls an object through the client") {
  auto server = FakeApiServer::Start({});
  VK_REQUIRE_OK(server);
  kube::ClientConfig cfg;
  cfg.server = (*server)->url();
  cfg.qps = 0;
  auto client = kube::RestClient::Create(cfg);
  VK_REQUIRE_OK(client);
  kube::ResourceClient<corev1::Pod> pods(*client);

  // Absent: the predicate sees nullptr.
  auto absent = WaitForObject<corev1::Pod>(
      Context::Background(), pods, "default", "web", [](const corev1::Pod* p) { return p == nullptr; },
      absl::Seconds(10));
  VK_REQUIRE_OK(absent);
  CHECK(*absent == nullptr);

  VK_REQUIRE_OK((*server)->Create(PodBuilder().Name("web").Build()));
  std::thread runner([&] {
    (void)(*server)->Modify<corev1::Pod>(
        "default", "web", [](corev1::Pod* p) { p->mutable_status()->set_phase("Running"); }, /*status=*/true);
  });
  auto running = WaitForObject<corev1::Pod>(
      Context::Background(), pods, "default", "web",
      [](const corev1::Pod* p) { return p && p->status().phase() == "Running"; }, absl::Seconds(10));
  runner.join();
  VK_REQUIRE_OK(running);
  CHECK((*running)->metadata().name() == "web");

  auto never = WaitForObject<corev1::Pod>(
      Context::Background(), pods, "default", "web",
      [](const corev1::Pod* p) { return p && p->status().phase() == "Failed"; }, absl::Milliseconds(50));
  CHECK(absl::IsDeadlineExceeded(never.status()));
  CHECK(never.status().message().find("pods default/web") != std::string::npos);
}

TEST_CASE("RecordingNotifier records from many threads and wakes waiters") {
  RecordingNotifier rec;
  auto cb = rec.Callback();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([cb, t] {
      for (int i = 0; i < 50; ++i) {
        cb(std::make_shared<const corev1::Pod>(PodBuilder().Name(absl::StrCat("p", t)).Build()));
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(rec.Count() == 200);
  CHECK(rec.CountFor("default", "p2") == 50);
  CHECK(rec.ThreadCount() == 4);
  CHECK(rec.Last("default", "p3") != nullptr);
  CHECK(rec.Last("default", "nope") == nullptr);
  cb(nullptr);
  CHECK(rec.NullCount() == 1);

  std::thread later([cb] {
    cb(std::make_shared<const corev1::Pod>(
        PodBuilder().Name("late").Label("state", "done").Build()));
  });
  auto got = rec.WaitFor(
      "default", "late", [](const corev1::Pod& p) { return p.metadata().labels().count("state") == 1; },
      absl::Seconds(10));
  later.join();
  VK_REQUIRE_OK(got);
  CHECK((*got)->metadata().name() == "late");
  CHECK(absl::IsDeadlineExceeded(
      rec.WaitFor("default", "late", [](const corev1::Pod&) { return false; }, absl::Milliseconds(10)).status()));
  VK_CHECK_OK(rec.WaitForCount(201, absl::Seconds(1)));

  int hooked = 0;
  rec.SetHook([&](const PodPtr&) { ++hooked; });
  cb(std::make_shared<const corev1::Pod>(PodBuilder().Build()));
  CHECK(hooked == 1);
  rec.Clear();
  CHECK(rec.Count() == 0);

  // The callback outlives the recorder.
  PodCallback orphan;
  {
    RecordingNotifier gone;
    orphan = gone.Callback();
  }
  orphan(std::make_shared<const corev1::Pod>(PodBuilder().Build()));
}

}  // namespace
}  // namespace vkubelet::testing

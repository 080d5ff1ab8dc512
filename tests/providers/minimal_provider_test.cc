// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "examples/minimal/minimal_provider.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/providers/provider_test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::examples {
namespace {

using test::MakePod;
using PodPtr = std::shared_ptr<const corev1::Pod>;

TEST_CASE("minimal provider: create, notify, update, delete") {
  testing::FakeClock clock;
  auto provider = MinimalProvider::Create({"10.1.1.1", &clock});
  const Context ctx = Context::Background();
  std::vector<PodPtr> notified;
  provider->NotifyPods(ctx, [&](PodPtr p) { notified.push_back(std::move(p)); });

  corev1::Pod pod = MakePod("default", "p", {"a", "b"});
  VK_REQUIRE_OK(provider->CreatePod(ctx, pod));
  CHECK(errdefs::IsAlreadyExists(provider->CreatePod(ctx, pod)));
  auto got = provider->GetPod(ctx, "default", "p");
  VK_REQUIRE_OK(got);
  PodPtr running = *got;
  CHECK(running->status().phase() == "Running");
  CHECK(running->status().podip() == "10.1.1.1");
  REQUIRE(running->status().containerstatuses_size() == 2);
  CHECK(running->status().containerstatuses(1).ready());
  CHECK(running->status().containerstatuses(1).state().running().startedat().seconds() ==
        absl::ToUnixSeconds(clock.Now()));
  REQUIRE(notified.size() == 1);
  CHECK(notified[0] == running);

  (*pod.mutable_metadata()->mutable_labels())["x"] = "y";
  VK_REQUIRE_OK(provider->UpdatePod(ctx, pod));
  auto status = provider->GetPodStatus(ctx, "default", "p");
  VK_REQUIRE_OK(status);
  CHECK((*status)->phase() == "Running");
  CHECK((*provider->GetPod(ctx, "default", "p"))->metadata().labels().at("x") == "y");
  CHECK(running->metadata().labels().count("x") == 0);  // snapshots never change
  // The update is notified too, with the new labels and the same status.
  REQUIRE(notified.size() == 2);
  CHECK(notified[1]->metadata().labels().at("x") == "y");
  CHECK(notified[1]->status().phase() == "Running");

  clock.Advance(absl::Seconds(5));
  VK_REQUIRE_OK(provider->DeletePod(ctx, pod));
  REQUIRE(notified.size() == 3);
  CHECK(notified[2]->status().phase() == "Succeeded");
  const auto& t = notified[2]->status().containerstatuses(0).state().terminated();
  CHECK(t.exitcode() == 0);
  CHECK(t.finishedat().seconds() - t.startedat().seconds() == 5);
  CHECK_FALSE(notified[2]->status().containerstatuses(0).state().has_running());
  CHECK(errdefs::IsNotFound(provider->DeletePod(ctx, pod)));
  CHECK(errdefs::IsNotFound(provider->GetPod(ctx, "default", "p").status()));
  CHECK(errdefs::IsNotFound(provider->UpdatePod(ctx, pod)));
}

TEST_CASE("minimal provider: namespaces keep pods apart; concurrent use") {
  auto provider = MinimalProvider::Create({});
  const Context ctx = Context::Background();
  std::atomic<int> notified{0};
  provider->NotifyPods(ctx, [&](PodPtr) { ++notified; });
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        corev1::Pod pod = MakePod(absl::StrCat("ns", t), absl::StrCat("pod-", i));
        if (!provider->CreatePod(ctx, pod).ok()) ++failures;
        if (!provider->GetPods(ctx).ok()) ++failures;
        if (i % 2 == 0 && !provider->DeletePod(ctx, pod).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  CHECK(provider->GetPods(ctx)->size() == 400);
  CHECK(notified.load() == 1200);
}

}  // namespace
}  // namespace vkubelet::examples

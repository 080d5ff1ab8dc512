// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The process provider runs real processes (/bin/sh); waits are on
// conditions with timeouts.

#include "examples/process/process_provider.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/providers/provider_test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::examples {
namespace {

using test::Await;
using PodPtr = std::shared_ptr<const corev1::Pod>;

const Context& Ctx() {
  static const Context ctx = Context::Background();
  return ctx;
}

corev1::Pod ShellPod(const std::string& name, const std::string& script,
                     const std::string& restart = "Never") {
  corev1::Pod p;
  p.mutable_metadata()->set_namespace_("default");
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_uid(name + "-uid");
  p.mutable_spec()->set_restartpolicy(restart);
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("ignored");
  c->add_command("sh");
  c->add_args("-c");
  c->add_args(script);
  return p;
}

struct Fixture {
  Fixture() {
    ProcessProviderConfig config;
    config.root_dir = absl::StrCat(VKUBELET_BUILD_ROOT, "/process_provider_test");
    std::filesystem::remove_all(config.root_dir);
    config.restart_backoff = absl::Milliseconds(50);
    config.max_restart_backoff = absl::Milliseconds(200);
    config.default_grace_period = absl::Seconds(5);
    auto p = ProcessProvider::Create(config);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    provider = *std::move(p);
    provider->NotifyPods(Ctx(), [this](PodPtr pod) {
      absl::MutexLock lock(&mu);
      notes.push_back(std::move(pod));
    });
  }
  PodPtr WaitFor(const std::string& name, const std::function<bool(const corev1::Pod&)>& pred) {
    PodPtr found;
    Await([&] {
      absl::MutexLock lock(&mu);
      for (const auto& p : notes) {
        if (p->metadata().name() == name && pred(*p)) {
          found = p;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  PodPtr WaitPhase(const std::string& name, const std::string& phase) {
    return WaitFor(name, [&](const corev1::Pod& p) { return p.status().phase() == phase; });
  }
  std::string Logs(const std::string& pod, ContainerLogOptions o = {},
                   const std::string& container = "main") {
    test::Collector out;
    VK_CHECK_OK(provider->GetContainerLogs(Ctx(), {"default", pod, container, o}, out));
    return out.data();
  }
  struct ExecResult {
    absl::Status status;
    std::string out, err;
  };
  ExecResult Exec(const std::string& pod, std::vector<std::string> cmd,
                  std::optional<std::string> in = std::nullopt) {
    test::FakeAttachIO io(in.has_value(), false);
    if (in) {
      io.stdin_pipe().Push(*in);
      io.stdin_pipe().CloseWrite();
    }
    absl::Status s = provider->RunInContainer(Ctx(), {"default", pod, "main", std::move(cmd)}, io);
    return {s, io.out().data(), io.err().data()};
  }

  absl::Mutex mu;
  std::vector<PodPtr> notes ABSL_GUARDED_BY(mu);
  std::unique_ptr<ProcessProvider> provider;
};

TEST_CASE("sh -c 'echo hello; exit 3': logs contain hello, the container terminates with exit code 3") {
  Fixture f;
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), ShellPod("hello", "echo hello; exit 3")));
  PodPtr done = f.WaitPhase("hello", "Failed");
  REQUIRE(done != nullptr);
  const auto& cs = done->status().containerstatuses(0);
  CHECK(cs.state().terminated().exitcode() == 3);
  CHECK(cs.state().terminated().reason() == "Error");
  CHECK(absl::StartsWith(cs.state().terminated().containerid(), "process://"));
  CHECK(cs.state().terminated().finishedat().seconds() >= cs.state().terminated().startedat().seconds());
  CHECK(cs.restartcount() == 0);
  CHECK(f.Logs("hello") == "hello\n");
  // It was Running before (notified on every change).
  CHECK(f.WaitFor("hello", [](const corev1::Pod& p) { return p.status().phase() == "Running"; }));
}

TEST_CASE("a successful command: Succeeded, stdout and stderr kept apart, timestamps, tail") {
  Fixture f;
  VK_REQUIRE_OK(
      f.provider->CreatePod(Ctx(), ShellPod("ok", "echo one; echo two >&2; echo three; printf tail")));
  PodPtr done = f.WaitPhase("ok", "Succeeded");
  REQUIRE(done != nullptr);
  CHECK(done->status().containerstatuses(0).state().terminated().reason() == "Completed");
  std::string all = f.Logs("ok");
  CHECK(absl::StrContains(all, "one\n"));
  CHECK(absl::StrContains(all, "two\n"));
  CHECK(absl::StrContains(all, "tail\n"));  // a last line without newline is kept
  ContainerLogOptions o;
  o.stream = "Stderr";
  CHECK(f.Logs("ok", o) == "two\n");
  o = {};
  o.stream = "Stdout";
  o.tail_lines = 2;
  CHECK(f.Logs("ok", o) == "three\ntail\n");
  o = {};
  o.timestamps = true;
  o.tail_lines = 1;
  o.stream = "Stdout";  // the order between the two pipes is not defined
  std::string stamped = f.Logs("ok", o);
  CHECK(stamped.size() > 31);
  CHECK(stamped[4] == '-');
  CHECK(stamped[29] == 'Z');
  CHECK(absl::EndsWith(stamped, " tail\n"));
  o = {};
  o.limit_bytes = 5;
  CHECK(f.Logs("ok", o).size() == 5);
}

TEST_CASE("environment and working directory") {
  Fixture f;
  corev1::Pod pod = ShellPod("env", "echo \"$GREETING from $(pwd)\"; echo > marker");
  auto* c = pod.mutable_spec()->mutable_containers(0);
  auto* e = c->add_env();
  e->set_name("GREETING");
  e->set_value("hi");
  c->set_workingdir("work/dir");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  REQUIRE(f.WaitPhase("env", "Succeeded"));
  std::string expected_dir = absl::StrCat(f.provider->root_dir(), "/default_env_env-uid/work/dir");
  CHECK(f.Logs("env") == absl::StrCat("hi from ", expected_dir, "\n"));
  CHECK(std::filesystem::exists(expected_dir + "/marker"));
}

TEST_CASE("init containers run first, one after the other") {
  Fixture f;
  corev1::Pod pod = ShellPod("init", "cat ../shared/order");
  pod.mutable_spec()->mutable_containers(0)->set_workingdir("main");
  for (const char* name : {"first", "second"}) {
    auto* c = pod.mutable_spec()->add_initcontainers();
    c->set_name(name);
    c->add_command("sh");
    c->add_args("-c");
    c->add_args(absl::StrCat("mkdir -p ../shared && echo ", name, " >> ../shared/order"));
    c->set_workingdir(name);
  }
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr done = f.WaitPhase("init", "Succeeded");
  REQUIRE(done != nullptr);
  CHECK(f.Logs("init") == "first\nsecond\n");
  for (const auto& s : done->status().initcontainerstatuses()) CHECK(s.state().terminated().exitcode() == 0);
  CHECK(f.WaitFor("init", [](const corev1::Pod& p) {
    return p.status().phase() == "Pending" && p.status().initcontainerstatuses(0).state().has_running();
  }));
}

TEST_CASE("a failing init container with restartPolicy Never fails the pod") {
  Fixture f;
  corev1::Pod pod = ShellPod("badinit", "echo never");
  auto* c = pod.mutable_spec()->add_initcontainers();
  c->set_name("setup");
  c->add_command("false");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr done = f.WaitPhase("badinit", "Failed");
  REQUIRE(done != nullptr);
  CHECK(done->status().initcontainerstatuses(0).state().terminated().exitcode() == 1);
  CHECK(done->status().containerstatuses(0).state().has_waiting());
}

TEST_CASE("restartPolicy OnFailure restarts with a back-off; previous logs") {
  Fixture f;
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), ShellPod("flaky", "echo run; exit 1", "OnFailure")));
  PodPtr restarted = f.WaitFor(
      "flaky", [](const corev1::Pod& p) { return p.status().containerstatuses(0).restartcount() >= 2; });
  REQUIRE(restarted != nullptr);
  CHECK(restarted->status().containerstatuses(0).laststate().terminated().exitcode() == 1);
  CHECK(f.WaitFor("flaky", [](const corev1::Pod& p) {
    return p.status().containerstatuses(0).state().waiting().reason() == "CrashLoopBackOff";
  }));
  ContainerLogOptions prev;
  prev.previous = true;
  CHECK(f.Logs("flaky", prev) == "run\n");
  CHECK((*f.provider->GetPod(Ctx(), "default", "flaky"))->status().phase() == "Running");
}

TEST_CASE("delete: SIGTERM, then SIGKILL after the grace period; NotFound afterwards") {
  Fixture f;
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), ShellPod("sleeper", "exec sleep 1000")));
  corev1::Pod stubborn = ShellPod("stubborn", "trap '' TERM; sleep 1000");
  stubborn.mutable_metadata()->set_deletiongraceperiodseconds(1);
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), stubborn));
  REQUIRE(f.WaitPhase("sleeper", "Running"));
  REQUIRE(f.WaitPhase("stubborn", "Running"));
  corev1::Pod sleeper = ShellPod("sleeper", "");
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), sleeper));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), stubborn));
  VK_CHECK_OK(f.provider->DeletePod(Ctx(), sleeper));  // repeated while stopping: fine
  PodPtr gone = f.WaitPhase("sleeper", "Failed");
  REQUIRE(gone != nullptr);
  CHECK(gone->status().containerstatuses(0).state().terminated().exitcode() == 128 + 15);
  CHECK(gone->status().containerstatuses(0).state().terminated().signal() == 15);
  PodPtr killed = f.WaitPhase("stubborn", "Failed");
  REQUIRE(killed != nullptr);
  CHECK(killed->status().containerstatuses(0).state().terminated().exitcode() == 128 + 9);
  REQUIRE(
      Await([&] { return errdefs::IsNotFound(f.provider->GetPod(Ctx(), "default", "sleeper").status()); }));
  CHECK(errdefs::IsNotFound(f.provider->DeletePod(Ctx(), sleeper)));
  CHECK_FALSE(std::filesystem::exists(absl::StrCat(f.provider->root_dir(), "/default_sleeper_sleeper-uid")));
}

TEST_CASE("deleting a pod that already finished forgets it at once") {
  Fixture f;
  corev1::Pod pod = ShellPod("quick", "true");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  REQUIRE(f.WaitPhase("quick", "Succeeded"));
  REQUIRE(Await([&] { return f.provider->GetPod(Ctx(), "default", "quick").ok(); }));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
  CHECK(errdefs::IsNotFound(f.provider->GetPod(Ctx(), "default", "quick").status()));
}

TEST_CASE("follow: lines as they are written, until the process exits") {
  Fixture f;
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), ShellPod("slow", "echo a; sleep 0.3; echo b")));
  REQUIRE(f.WaitPhase("slow", "Running"));
  ContainerLogOptions o;
  o.follow = true;
  test::Collector out;
  VK_CHECK_OK(f.provider->GetContainerLogs(Ctx(), {"default", "slow", "main", o}, out));
  CHECK(out.data() == "a\nb\n");
}

TEST_CASE("exec: a new process in the container's directory and environment") {
  Fixture f;
  corev1::Pod pod = ShellPod("svc", "exec sleep 1000");
  auto* e = pod.mutable_spec()->mutable_containers(0)->add_env();
  e->set_name("MODE");
  e->set_value("exec-test");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  REQUIRE(f.WaitPhase("svc", "Running"));
  auto r = f.Exec("svc", {"sh", "-c", "echo $MODE; pwd; echo oops >&2"});
  VK_CHECK_OK(r.status);
  CHECK(r.out ==
        absl::StrCat("exec-test\n", f.provider->root_dir(), "/default_svc_svc-uid/containers/main\n"));
  CHECK(r.err == "oops\n");
  r = f.Exec("svc", {"sh", "-c", "exit 4"});
  CHECK(errdefs::GetExitCode(r.status) == 4);
  r = f.Exec("svc", {"cat"}, std::string("piped input"));
  VK_CHECK_OK(r.status);
  CHECK(r.out == "piped input");
  r = f.Exec("svc", {"no-such-binary-xyz"});
  CHECK(errdefs::GetExitCode(r.status) == 127);
  CHECK(absl::StrContains(r.err, "executable file not found"));
  test::FakeAttachIO io(false, false);
  CHECK(errdefs::IsNotFound(f.provider->RunInContainer(Ctx(), {"default", "svc", "nope", {"true"}}, io)));
  CHECK(errdefs::IsNotFound(f.provider->RunInContainer(Ctx(), {"default", "nope", "main", {"true"}}, io)));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
}

TEST_CASE("a container without a command is refused; a missing binary is a StartError") {
  Fixture f;
  corev1::Pod pod = ShellPod("noimage", "");
  pod.mutable_spec()->mutable_containers(0)->clear_command();
  pod.mutable_spec()->mutable_containers(0)->clear_args();
  absl::Status s = f.provider->CreatePod(Ctx(), pod);
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(absl::StrContains(s.message(), "no command"));

  corev1::Pod missing = ShellPod("missing", "");
  missing.mutable_spec()->mutable_containers(0)->clear_args();
  missing.mutable_spec()->mutable_containers(0)->set_command(0, "/no/such/binary");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), missing));
  PodPtr failed = f.WaitPhase("missing", "Failed");
  REQUIRE(failed != nullptr);
  CHECK(failed->status().containerstatuses(0).state().terminated().reason() == "StartError");
  CHECK(failed->status().containerstatuses(0).state().terminated().exitcode() == 128);
  CHECK(absl::StrContains(f.Logs("missing"), "/no/such/binary"));
}

TEST_CASE("Create: a root directory that cannot be created is a clear error") {
  std::string file = absl::StrCat(VKUBELET_BUILD_ROOT, "/process_provider_test_file");
  { std::ofstream(file) << "x"; }
  ProcessProviderConfig config;
  config.root_dir = file + "/sub";
  auto p = ProcessProvider::Create(config);
  REQUIRE_FALSE(p.ok());
  CHECK(errdefs::IsInvalidInput(p.status()));
  CHECK(absl::StrContains(p.status().message(), config.root_dir));
}

}  // namespace
}  // namespace vkubelet::examples

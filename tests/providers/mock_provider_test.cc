// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider through the provider interfaces, on a fake clock.

#include "providers/mock/mock_provider.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "tests/providers/provider_test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::mock {
namespace {

using test::Await;
using test::MakePod;
using PodPtr = std::shared_ptr<const corev1::Pod>;

const Context& Ctx() {
  static const Context ctx = Context::Background();
  return ctx;
}

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = absl::StrCat(VKUBELET_BUILD_ROOT, "/mock_provider_test_", name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// Records every notified pod.
struct Notifications {
  absl::Mutex mu;
  std::vector<PodPtr> pods ABSL_GUARDED_BY(mu);
  std::function<void(PodPtr)> Callback() {
    return [this](PodPtr p) {
      absl::MutexLock lock(&mu);
      pods.push_back(std::move(p));
    };
  }
  size_t size() {
    absl::MutexLock lock(&mu);
    return pods.size();
  }
  PodPtr Last(const std::string& name) {
    absl::MutexLock lock(&mu);
    for (auto it = pods.rbegin(); it != pods.rend(); ++it) {
      if ((*it)->metadata().name() == name) return *it;
    }
    return nullptr;
  }
  // Waits for a notification of `name` for which `pred` holds.
  PodPtr WaitFor(const std::string& name, const std::function<bool(const corev1::Pod&)>& pred) {
    PodPtr found;
    Await([&] {
      absl::MutexLock lock(&mu);
      for (const auto& p : pods) {
        if (p->metadata().name() == name && pred(*p)) {
          found = p;
          return true;
        }
      }
      return false;
    });
    return found;
  }
};

struct Fixture {
  explicit Fixture(std::function<void(MockProviderConfig&)> tweak = nullptr) {
    MockProviderConfig config;
    config.node_name = "vk-test";
    config.internal_ip = "192.168.5.10";
    config.clock = &clock;
    config.pod_cidr = "10.99.0.0/24";
    if (tweak) tweak(config);
    auto p = MockProvider::Create(config);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    provider = *std::move(p);
    provider->NotifyPods(Ctx(), notes.Callback());
  }
  PodPtr Get(const std::string& name, const std::string& ns = "default") {
    auto p = provider->GetPod(Ctx(), ns, name);
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    return *p;
  }
  std::string Logs(const std::string& pod, const std::string& container, ContainerLogOptions o = {}) {
    test::Collector out;
    ContainerLogsRequest req{"default", pod, container, o};
    VK_CHECK_OK(provider->GetContainerLogs(Ctx(), req, out));
    return out.data();
  }
  struct ExecResult {
    absl::Status status;
    std::string out, err;
  };
  ExecResult Exec(const std::string& pod, std::vector<std::string> cmd, const std::string& stdin_data = "",
                  bool with_stdin = false) {
    test::FakeAttachIO io(with_stdin || !stdin_data.empty(), /*tty=*/false);
    io.stdin_pipe().Push(stdin_data);
    io.stdin_pipe().CloseWrite();
    absl::Status s = provider->RunInContainer(Ctx(), ExecRequest{"default", pod, "c", std::move(cmd)}, io);
    return {s, io.out().data(), io.err().data()};
  }

  testing::FakeClock clock;
  Notifications notes;
  std::unique_ptr<MockProvider> provider;
};

const corev1::ContainerStatus& Status0(const corev1::Pod& p) { return p.status().containerstatuses(0); }

int64_t ConditionTime(const corev1::Pod& p, const std::string& type) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == type) return c.lasttransitiontime().seconds();
  }
  return -1;
}

std::string Condition(const corev1::Pod& p, const std::string& type) {
  for (const auto& c : p.status().conditions()) {
    if (c.type() == type) return c.status();
  }
  return "<none>";
}

// --- Configuration ---------------------------------------------------------------------------

TEST_CASE("capacity file: node entry, defaults for missing fields and nodes") {
  std::string path = TempFile("cap.json", R"({
    "vk-a": {"cpu": "2", "memory": "32Gi", "pods": "128", "others": {"nvidia.com/gpu": "4"}, "providerID": "mock://a"},
    "vk-b": {"cpu": "", "pods": 7}
  })");
  auto a = LoadNodeCapacity(path, "vk-a");
  VK_REQUIRE_OK(a);
  CHECK(a->cpu == "2");
  CHECK(a->memory == "32Gi");
  CHECK(a->pods == "128");
  CHECK(a->others.at("nvidia.com/gpu") == "4");
  CHECK(a->provider_id == "mock://a");
  auto b = LoadNodeCapacity(path, "vk-b");
  VK_REQUIRE_OK(b);
  CHECK(b->cpu == "20");  // empty keeps the default
  CHECK(b->memory == "100Gi");
  CHECK(b->pods == "7");
  auto c = LoadNodeCapacity(path, "vk-absent");
  VK_REQUIRE_OK(c);
  CHECK(c->cpu == "20");
  CHECK(c->memory == "100Gi");
  CHECK(c->pods == "20");
}

TEST_CASE("capacity file: errors name the file and the field") {
  SUBCASE("invalid quantity") {
    std::string path = TempFile("badq.json", R"({"n": {"memory": "32GB"}})");
    auto r = LoadNodeCapacity(path, "n");
    REQUIRE_FALSE(r.ok());
    CHECK(errdefs::IsInvalidInput(r.status()));
    CHECK(absl::StrContains(r.status().message(), path));
    CHECK(absl::StrContains(r.status().message(), "memory"));
    CHECK(absl::StrContains(r.status().message(), "32GB"));
  }
  SUBCASE("invalid extended resource") {
    std::string path = TempFile("bado.json", R"({"n": {"others": {"example.com/foo": "x1"}}})");
    auto r = LoadNodeCapacity(path, "n");
    REQUIRE_FALSE(r.ok());
    CHECK(absl::StrContains(r.status().message(), "others.example.com/foo"));
  }
  SUBCASE("wrong type") {
    std::string path = TempFile("badt.json", R"({"n": {"cpu": ["2"]}})");
    auto r = LoadNodeCapacity(path, "n");
    REQUIRE_FALSE(r.ok());
    CHECK(absl::StrContains(r.status().message(), "\"cpu\""));
  }
  SUBCASE("malformed JSON") {
    std::string path = TempFile("badj.json", R"({"n": {"cpu": "2",}})");
    auto r = LoadNodeCapacity(path, "n");
    REQUIRE_FALSE(r.ok());
    CHECK(errdefs::IsInvalidInput(r.status()));
    CHECK(absl::StrContains(r.status().message(), "not valid JSON"));
    CHECK(absl::StrContains(r.status().message(), path));
  }
  SUBCASE("not an object") {
    std::string path = TempFile("bada.json", "[1, 2]");
    auto r = LoadNodeCapacity(path, "n");
    REQUIRE_FALSE(r.ok());
    CHECK(absl::StrContains(r.status().message(), "keyed by node name"));
  }
  SUBCASE("unreadable file") {
    auto r = LoadNodeCapacity("/nonexistent/dir/mock.json", "n");
    REQUIRE_FALSE(r.ok());
    CHECK(absl::StrContains(r.status().message(), "/nonexistent/dir/mock.json"));
  }
}

TEST_CASE("Create validates its configuration") {
  testing::FakeClock clock;
  MockProviderConfig config;
  config.clock = &clock;
  SUBCASE("bad CIDR") {
    config.pod_cidr = "10.0.0.0/33";
    auto p = MockProvider::Create(config);
    REQUIRE_FALSE(p.ok());
    CHECK(errdefs::IsInvalidInput(p.status()));
    CHECK(absl::StrContains(p.status().message(), "10.0.0.0/33"));
  }
  SUBCASE("IPv6 CIDR") {
    config.pod_cidr = "fd00::/64";
    CHECK_FALSE(MockProvider::Create(config).ok());
  }
  SUBCASE("bad capacity struct") {
    NodeCapacity cap;
    cap.cpu = "lots";
    config.capacity = cap;
    auto p = MockProvider::Create(config);
    REQUIRE_FALSE(p.ok());
    CHECK(absl::StrContains(p.status().message(), "cpu"));
  }
  SUBCASE("missing config file") {
    config.config_path = "/nonexistent/mock.json";
    CHECK_FALSE(MockProvider::Create(config).ok());
  }
  SUBCASE("bad internal IP") {
    config.internal_ip = "not-an-ip";
    CHECK_FALSE(MockProvider::Create(config).ok());
  }
}

// --- Node ----------------------------------------------------------------------------------

TEST_CASE("ConfigureNode: capacity, providerID, conditions, nodeInfo, addresses, port, labels") {
  std::string path = TempFile("node.json", R"({"vk-test": {"cpu": "2", "memory": "32Gi", "pods": "128",
      "others": {"nvidia.com/gpu": "4"}, "providerID": "mock://vk-test"}})");
  Fixture f([&](MockProviderConfig& c) {
    c.config_path = path;
    c.daemon_port = 10555;
  });
  corev1::Node node;
  node.mutable_metadata()->set_name("vk-test");
  (*node.mutable_metadata()->mutable_labels())["type"] = "virtual-kubelet";
  f.provider->ConfigureNode(Ctx(), &node);
  const auto& st = node.status();
  CHECK(st.capacity().at("cpu").string() == "2");
  CHECK(st.capacity().at("memory").string() == "32Gi");
  CHECK(st.capacity().at("pods").string() == "128");
  CHECK(st.capacity().at("nvidia.com/gpu").string() == "4");
  CHECK(st.allocatable().at("memory").string() == "32Gi");
  CHECK(node.spec().providerid() == "mock://vk-test");
  std::map<std::string, std::string> conditions;
  for (const auto& c : st.conditions()) {
    conditions[c.type()] = c.status() + "/" + c.reason();
    CHECK(c.lasttransitiontime().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  }
  CHECK(conditions["Ready"] == "False/KubeletPending");
  CHECK(conditions["MemoryPressure"] == "False/KubeletHasSufficientMemory");
  CHECK(conditions["DiskPressure"] == "False/KubeletHasNoDiskPressure");
  CHECK(conditions["PIDPressure"] == "False/KubeletHasSufficientPID");
  CHECK(conditions["NetworkUnavailable"] == "False/RouteCreated");
  CHECK(st.nodeinfo().operatingsystem() == "linux");
  CHECK_FALSE(st.nodeinfo().architecture().empty());
  CHECK(absl::StartsWith(st.nodeinfo().kubeletversion(), "v1."));
  CHECK(absl::StrContains(st.nodeinfo().kubeletversion(), "-vkubelet-"));
  std::map<std::string, std::string> addresses;
  for (const auto& a : st.addresses()) addresses[a.type()] = a.address();
  CHECK(addresses["InternalIP"] == "192.168.5.10");
  CHECK(addresses["Hostname"] == "vk-test");
  CHECK(st.daemonendpoints().kubeletendpoint().port() == 10555);
  const auto& labels = node.metadata().labels();
  CHECK(labels.at("type") == "virtual-kubelet");  // the SDK's labels survive
  CHECK(labels.at("node.kubernetes.io/exclude-from-external-load-balancers") == "true");
  CHECK(labels.at("alpha.service-controller.kubernetes.io/exclude-balancer") == "true");
}

TEST_CASE("default capacity without a config file") {
  Fixture f;
  corev1::Node node;
  f.provider->ConfigureNode(Ctx(), &node);
  CHECK(node.status().capacity().at("cpu").string() == "20");
  CHECK(node.status().capacity().at("memory").string() == "100Gi");
  CHECK(node.status().capacity().at("pods").string() == "20");
  CHECK(node.spec().providerid().empty());
}

TEST_CASE("Ping failure injection and node status notifications") {
  Fixture f;
  VK_CHECK_OK(f.provider->Ping(Ctx()));
  f.provider->SetPingError(errdefs::Unavailable("backend down"));
  CHECK(errdefs::IsUnavailable(f.provider->Ping(Ctx())));
  f.provider->SetPingError(absl::OkStatus());
  VK_CHECK_OK(f.provider->Ping(Ctx()));

  CHECK(absl::IsFailedPrecondition(f.provider->UpdateNode([](corev1::Node*) {})));
  absl::Mutex mu;
  std::vector<std::shared_ptr<const corev1::Node>> nodes;
  f.provider->NotifyNodeStatus(Ctx(), [&](std::shared_ptr<const corev1::Node> n) {
    absl::MutexLock lock(&mu);
    nodes.push_back(std::move(n));
  });
  corev1::Node node;
  f.provider->ConfigureNode(Ctx(), &node);
  VK_CHECK_OK(f.provider->UpdateNode([](corev1::Node* n) {
    auto* c = n->mutable_status()->add_conditions();
    c->set_type("MockCondition");
    c->set_status("True");
  }));
  REQUIRE(Await([&] {
    absl::MutexLock lock(&mu);
    return !nodes.empty();
  }));
  absl::MutexLock lock(&mu);
  bool found = false;
  for (const auto& c : nodes[0]->status().conditions()) found = found || c.type() == "MockCondition";
  CHECK(found);
  CHECK(nodes[0]->status().capacity().count("cpu") == 1);  // the configured node, updated
}

// --- Pod lifecycle ---------------------------------------------------------------------------

TEST_CASE("a created pod runs with a kubelet-like status") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "web", {"app", "sidecar"});
  auto* init = pod.mutable_spec()->add_initcontainers();
  init->set_name("setup");
  init->set_image("alpine");
  pod.mutable_status()->set_qosclass("Burstable");
  pod.mutable_metadata()->set_generation(3);
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));

  PodPtr p = f.Get("web");
  const auto& st = p->status();
  CHECK(st.phase() == "Running");
  CHECK(st.hostip() == "192.168.5.10");
  REQUIRE(st.hostips_size() == 1);
  CHECK(st.hostips(0).ip() == "192.168.5.10");
  CHECK(absl::StartsWith(st.podip(), "10.99.0."));
  REQUIRE(st.podips_size() == 1);
  CHECK(st.podips(0).ip() == st.podip());
  CHECK(st.starttime().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  CHECK(st.qosclass() == "Burstable");
  CHECK(st.observedgeneration() == 3);
  for (const char* type :
       {"PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers"}) {
    CHECK_MESSAGE(Condition(*p, type) == "True", type);
  }
  for (const auto& c : st.conditions()) CHECK(c.lasttransitiontime().seconds() > 0);
  REQUIRE(st.containerstatuses_size() == 2);
  for (const auto& cs : st.containerstatuses()) {
    CHECK(cs.image() == "docker.io/library/busybox:1.36");
    CHECK(absl::StartsWith(cs.imageid(), "docker.io/library/busybox@sha256:"));
    CHECK(cs.imageid().size() == std::string("docker.io/library/busybox@sha256:").size() + 64);
    CHECK(absl::StartsWith(cs.containerid(), "mock://"));
    CHECK(cs.ready());
    CHECK(cs.started());
    CHECK(cs.restartcount() == 0);
    CHECK(cs.state().running().startedat().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  }
  CHECK(st.containerstatuses(0).containerid() != st.containerstatuses(1).containerid());
  REQUIRE(st.initcontainerstatuses_size() == 1);
  const auto& is = st.initcontainerstatuses(0);
  CHECK(is.state().terminated().exitcode() == 0);
  CHECK(is.state().terminated().reason() == "Completed");
  CHECK_FALSE(is.ready());
  CHECK(is.image() == "docker.io/library/alpine:latest");
  // Spec and metadata are what the SDK gave.
  CHECK(p->metadata().uid() == "default.web.uid");
  CHECK(p->spec().containers_size() == 2);

  // Notified from the provider's thread with the same status.
  PodPtr n = f.notes.WaitFor("web", [](const corev1::Pod& p) { return p.status().phase() == "Running"; });
  REQUIRE(n != nullptr);
  CHECK(n->status().podip() == st.podip());

  CHECK(errdefs::IsAlreadyExists(f.provider->CreatePod(Ctx(), pod)));
}

TEST_CASE("bad input: pods without a name or namespace, exec without a command") {
  Fixture f;
  corev1::Pod nameless = MakePod("default", "");
  CHECK(errdefs::IsInvalidInput(f.provider->CreatePod(Ctx(), nameless)));
  corev1::Pod homeless = MakePod("", "x");
  CHECK(errdefs::IsInvalidInput(f.provider->CreatePod(Ctx(), homeless)));
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "ok")));
  test::FakeAttachIO io(false, false);
  CHECK(errdefs::IsInvalidInput(f.provider->RunInContainer(Ctx(), {"default", "ok", "c", {}}, io)));
  ContainerLogOptions o;
  o.limit_bytes = 0;
  o.tail_lines = -5;
  CHECK(f.Logs("ok", "c", o).empty());
}

TEST_CASE("QoS class is computed when the pod arrives without one") {
  Fixture f;
  corev1::Pod be = MakePod("default", "be");
  corev1::Pod g = MakePod("default", "g");
  test::SetResource(g.mutable_spec()->mutable_containers(0), true, "cpu", "1");
  test::SetResource(g.mutable_spec()->mutable_containers(0), true, "memory", "1Gi");
  corev1::Pod b = MakePod("default", "b");
  test::SetResource(b.mutable_spec()->mutable_containers(0), false, "cpu", "100m");
  for (auto* p : {&be, &g, &b}) VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), *p));
  CHECK(f.Get("be")->status().qosclass() == "BestEffort");
  CHECK(f.Get("g")->status().qosclass() == "Guaranteed");
  CHECK(f.Get("b")->status().qosclass() == "Burstable");
}

TEST_CASE("host-network pods use the node's IP") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "hn");
  pod.mutable_spec()->set_hostnetwork(true);
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  CHECK(f.Get("hn")->status().podip() == "192.168.5.10");
}

TEST_CASE("start delay: Pending/ContainerCreating until the delay passes, then notified Running") {
  Fixture f([](MockProviderConfig& c) { c.start_delay = absl::Seconds(3); });
  corev1::Pod pod = MakePod("default", "slow");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr pending = f.Get("slow");
  CHECK(pending->status().phase() == "Pending");
  CHECK(Status0(*pending).state().waiting().reason() == "ContainerCreating");
  CHECK_FALSE(Status0(*pending).ready());
  CHECK(Condition(*pending, "Ready") == "False");
  CHECK(pending->status().podip().empty());
  CHECK(pending->status().hostip() == "192.168.5.10");
  CHECK(Status0(*pending).containerid().empty());

  f.clock.Advance(absl::Seconds(2));
  CHECK(f.Get("slow")->status().phase() == "Pending");
  f.clock.Advance(absl::Seconds(1));
  PodPtr running =
      f.notes.WaitFor("slow", [](const corev1::Pod& p) { return p.status().phase() == "Running"; });
  REQUIRE(running != nullptr);
  CHECK(Status0(*running).state().running().startedat().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  CHECK(ConditionTime(*running, "Ready") == absl::ToUnixSeconds(f.clock.Now()));
  CHECK(ConditionTime(*running, "PodScheduled") == ConditionTime(*pending, "PodScheduled"));
  CHECK(ConditionTime(*running, "PodScheduled") == absl::ToUnixSeconds(f.clock.Now() - absl::Seconds(3)));
  CHECK_FALSE(running->status().podip().empty());
  // The earlier snapshot did not change.
  CHECK(pending->status().phase() == "Pending");

  SUBCASE("the annotation overrides the configured delay") {
    corev1::Pod quick = MakePod("default", "quick");
    (*quick.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "0s";
    VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), quick));
    CHECK(f.Get("quick")->status().phase() == "Running");
    corev1::Pod slower = MakePod("default", "slower");
    (*slower.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "1m";
    VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), slower));
    f.clock.Advance(absl::Seconds(59));
    CHECK(f.Get("slower")->status().phase() == "Pending");
    f.clock.Advance(absl::Seconds(1));
    CHECK(f.notes.WaitFor("slower", [](const corev1::Pod& p) { return p.status().phase() == "Running"; }));
  }
}

TEST_CASE("annotations: fail-create and invalid values") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "doomed");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationFailCreate] = "quota exceeded in the backend";
  absl::Status s = f.provider->CreatePod(Ctx(), pod);
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(s.message() == "quota exceeded in the backend");
  CHECK(errdefs::IsNotFound(f.provider->GetPod(Ctx(), "default", "doomed").status()));

  corev1::Pod bad = MakePod("default", "bad");
  (*bad.mutable_metadata()->mutable_annotations())[kAnnotationExitCode] = "300";
  s = f.provider->CreatePod(Ctx(), bad);
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(absl::StrContains(s.message(), kAnnotationExitCode));
  (*bad.mutable_metadata()->mutable_annotations()).clear();
  (*bad.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "soon";
  CHECK(absl::StrContains(f.provider->CreatePod(Ctx(), bad).message(), kAnnotationStartDelay));
}

TEST_CASE("exit-code with restartPolicy Never: the pod fails with that code") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "job");
  pod.mutable_spec()->set_restartpolicy("Never");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitCode] = "3";
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitAfter] = "10s";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  absl::Time started = f.clock.Now();
  f.clock.Advance(absl::Seconds(10));
  PodPtr done = f.notes.WaitFor("job", [](const corev1::Pod& p) { return p.status().phase() == "Failed"; });
  REQUIRE(done != nullptr);
  const auto& t = Status0(*done).state().terminated();
  CHECK(t.exitcode() == 3);
  CHECK(t.reason() == "Error");
  CHECK(t.startedat().seconds() == absl::ToUnixSeconds(started));
  CHECK(t.finishedat().seconds() == absl::ToUnixSeconds(started + absl::Seconds(10)));
  CHECK(t.containerid() == Status0(*done).containerid());
  CHECK_FALSE(Status0(*done).ready());
  CHECK(Condition(*done, "Ready") == "False");
  // The log ends with the exit, on stderr.
  std::string logs = f.Logs("job", "c");
  CHECK(absl::StrContains(logs, "exit code 3"));
  ContainerLogOptions only_err;
  only_err.stream = "Stderr";
  CHECK(absl::StrContains(f.Logs("job", "c", only_err), "exit code 3"));
  CHECK_FALSE(absl::StrContains(f.Logs("job", "c", only_err), "started"));
}

TEST_CASE("exit-code 0 with OnFailure: the pod succeeds") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "ok");
  pod.mutable_spec()->set_restartpolicy("OnFailure");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitCode] = "0";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  f.clock.Advance(absl::Seconds(5));  // the default exit-after
  PodPtr done = f.notes.WaitFor("ok", [](const corev1::Pod& p) { return p.status().phase() == "Succeeded"; });
  REQUIRE(done != nullptr);
  CHECK(Status0(*done).state().terminated().reason() == "Completed");
}

TEST_CASE("exit-code with restartPolicy Always: CrashLoopBackOff, restarts, previous logs") {
  Fixture f([](MockProviderConfig& c) { c.log_interval = absl::Seconds(1); });
  corev1::Pod pod = MakePod("default", "crash");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitCode] = "1";
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitAfter] = "2s";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  ContainerLogOptions previous;
  previous.previous = true;
  {
    test::Collector out;
    absl::Status s = f.provider->GetContainerLogs(Ctx(), {"default", "crash", "c", previous}, out);
    CHECK(errdefs::IsNotFound(s));
  }
  std::string first_id = Status0(*f.Get("crash")).containerid();
  f.clock.Advance(absl::Seconds(2));
  PodPtr backoff = f.notes.WaitFor("crash", [](const corev1::Pod& p) {
    return p.status().containerstatuses(0).state().waiting().reason() == "CrashLoopBackOff";
  });
  REQUIRE(backoff != nullptr);
  CHECK(backoff->status().phase() == "Running");
  CHECK(Status0(*backoff).laststate().terminated().exitcode() == 1);
  CHECK(Condition(*backoff, "Ready") == "False");
  f.clock.Advance(absl::Seconds(10));  // the first back-off
  PodPtr restarted = f.notes.WaitFor("crash", [](const corev1::Pod& p) {
    return p.status().containerstatuses(0).restartcount() == 1 && p.status().containerstatuses(0).ready();
  });
  REQUIRE(restarted != nullptr);
  CHECK(Status0(*restarted).containerid() != first_id);
  CHECK(Status0(*restarted).laststate().terminated().containerid() == first_id);
  CHECK(Status0(*restarted).laststate().terminated().exitcode() == 1);

  std::string prev = f.Logs("crash", "c", previous);
  CHECK(absl::StrContains(prev, "heartbeat 1"));
  CHECK(absl::StrContains(prev, "exit code 1"));
  std::string current = f.Logs("crash", "c");
  CHECK(absl::StrContains(current, "started"));
  CHECK_FALSE(absl::StrContains(current, "exit code"));

  // The second back-off doubles.
  f.clock.Advance(absl::Seconds(2));
  REQUIRE(f.notes.WaitFor("crash", [](const corev1::Pod& p) {
    return p.status().containerstatuses(0).restartcount() == 1 &&
           p.status().containerstatuses(0).state().waiting().reason() == "CrashLoopBackOff";
  }));
  f.clock.Advance(absl::Seconds(10));
  CHECK(f.Get("crash")->status().containerstatuses(0).restartcount() == 1);
  f.clock.Advance(absl::Seconds(10));
  CHECK(f.notes.WaitFor(
      "crash", [](const corev1::Pod& p) { return p.status().containerstatuses(0).restartcount() == 2; }));
}

TEST_CASE("delete: terminal statuses, notified, NotFound afterwards, IP released") {
  Fixture f([](MockProviderConfig& c) { c.pod_cidr = "10.7.0.0/30"; });  // a single pod IP
  corev1::Pod pod = MakePod("default", "gone", {"a", "b"});
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr running = f.Get("gone");
  CHECK(running->status().podip() == "10.7.0.2");
  CHECK(errdefs::IsUnavailable(f.provider->CreatePod(Ctx(), MakePod("default", "second"))));
  f.clock.Advance(absl::Seconds(30));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
  PodPtr done =
      f.notes.WaitFor("gone", [](const corev1::Pod& p) { return p.status().phase() == "Succeeded"; });
  REQUIRE(done != nullptr);
  CHECK(done->status().reason() == "MockProviderPodDeleted");
  for (const auto& cs : done->status().containerstatuses()) {
    CHECK(cs.state().terminated().exitcode() == 0);
    CHECK(cs.state().terminated().reason() == "Completed");
    CHECK(cs.state().terminated().finishedat().seconds() == absl::ToUnixSeconds(f.clock.Now()));
    CHECK(cs.state().terminated().startedat().seconds() ==
          absl::ToUnixSeconds(f.clock.Now() - absl::Seconds(30)));
    CHECK_FALSE(cs.ready());
  }
  CHECK(Condition(*done, "Ready") == "False");
  CHECK(errdefs::IsNotFound(f.provider->GetPod(Ctx(), "default", "gone").status()));
  CHECK(errdefs::IsNotFound(f.provider->GetPodStatus(Ctx(), "default", "gone").status()));
  CHECK(errdefs::IsNotFound(f.provider->DeletePod(Ctx(), pod)));
  // What was returned before is untouched.
  CHECK(running->status().phase() == "Running");
  // The address is free again.
  VK_CHECK_OK(f.provider->CreatePod(Ctx(), MakePod("default", "second")));
  CHECK(f.Get("second")->status().podip() == "10.7.0.2");
}

TEST_CASE("delete with a configured exit code fails the pod") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "killed");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationDeleteExitCode] = "137";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
  PodPtr done =
      f.notes.WaitFor("killed", [](const corev1::Pod& p) { return p.status().phase() == "Failed"; });
  REQUIRE(done != nullptr);
  CHECK(Status0(*done).state().terminated().exitcode() == 137);
  CHECK(Status0(*done).state().terminated().reason() == "Error");
}

TEST_CASE("deleting a pod that has not started yet") {
  Fixture f([](MockProviderConfig& c) { c.start_delay = absl::Minutes(1); });
  corev1::Pod pod = MakePod("default", "early");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
  PodPtr done =
      f.notes.WaitFor("early", [](const corev1::Pod& p) { return p.status().phase() == "Succeeded"; });
  REQUIRE(done != nullptr);
  CHECK(Status0(*done).has_state());
  CHECK(Status0(*done).state().has_terminated());
  // The start timer of the deleted pod does nothing.
  f.clock.Advance(absl::Minutes(2));
  CHECK(errdefs::IsNotFound(f.provider->GetPod(Ctx(), "default", "early").status()));
}

TEST_CASE("update: labels, annotations and a new image restart the container") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "upd");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr before = f.Get("upd");
  std::shared_ptr<const corev1::PodStatus> status_before = *f.provider->GetPodStatus(Ctx(), "default", "upd");
  f.clock.Advance(absl::Seconds(7));
  (*pod.mutable_metadata()->mutable_labels())["tier"] = "gold";
  pod.mutable_spec()->mutable_containers(0)->set_image("busybox:1.37");
  VK_REQUIRE_OK(f.provider->UpdatePod(Ctx(), pod));
  PodPtr after = f.Get("upd");
  CHECK(after->metadata().labels().at("tier") == "gold");
  CHECK(Status0(*after).image() == "docker.io/library/busybox:1.37");
  CHECK(Status0(*after).restartcount() == 1);
  CHECK(Status0(*after).state().running().startedat().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  CHECK(Status0(*after).laststate().terminated().reason() == "Completed");
  // Conditions that did not change keep their transition time.
  CHECK(ConditionTime(*after, "Ready") == ConditionTime(*before, "Ready"));
  CHECK(ConditionTime(*after, "PodScheduled") == absl::ToUnixSeconds(f.clock.Now() - absl::Seconds(7)));
  // Earlier results are snapshots.
  CHECK(before->metadata().labels().count("tier") == 0);
  CHECK(Status0(*before).image() == "docker.io/library/busybox:1.36");
  CHECK(status_before->containerstatuses(0).restartcount() == 0);

  CHECK(errdefs::IsNotFound(f.provider->UpdatePod(Ctx(), MakePod("default", "absent"))));
  corev1::Pod more = pod;
  more.mutable_spec()->add_containers()->set_name("extra");
  CHECK(errdefs::IsInvalidInput(f.provider->UpdatePod(Ctx(), more)));
}

TEST_CASE("one snapshot per pod: GetPod, GetPods, GetPodStatus and the notification share it") {
  Fixture f;
  corev1::Pod pod = MakePod("default", "one");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  PodPtr got = f.Get("one");
  REQUIRE(got->status().phase() == "Running");
  CHECK(got->metadata().uid() == pod.metadata().uid());
  CHECK(got->spec().containers(0).image() == pod.spec().containers(0).image());
  PodPtr notified = f.notes.WaitFor("one", [](const corev1::Pod& p) { return p.status().phase() == "Running"; });
  CHECK(notified.get() == got.get());
  auto all = f.provider->GetPods(Ctx());
  VK_REQUIRE_OK(all);
  REQUIRE(all->size() == 1);
  CHECK(all->front().get() == got.get());
  auto status = f.provider->GetPodStatus(Ctx(), "default", "one");
  VK_REQUIRE_OK(status);
  CHECK(status->get() == &got->status());

  // A rejected update leaves the published snapshot as it was.
  corev1::Pod rejected = pod;
  (*rejected.mutable_metadata()->mutable_labels())["tier"] = "gold";
  rejected.mutable_spec()->add_containers()->set_name("extra");
  CHECK(errdefs::IsInvalidInput(f.provider->UpdatePod(Ctx(), rejected)));
  PodPtr after = f.Get("one");
  CHECK(after.get() == got.get());
  CHECK(after->metadata().labels().count("tier") == 0);
  CHECK(after->status().phase() == "Running");
  // An accepted one publishes a new snapshot with the new metadata and the status.
  corev1::Pod accepted = pod;
  (*accepted.mutable_metadata()->mutable_labels())["tier"] = "gold";
  VK_REQUIRE_OK(f.provider->UpdatePod(Ctx(), accepted));
  PodPtr updated = f.Get("one");
  CHECK(updated.get() != got.get());
  CHECK(updated->metadata().labels().at("tier") == "gold");
  CHECK(updated->status().phase() == "Running");
  CHECK(updated->status().containerstatuses_size() == 1);
  CHECK(got->metadata().labels().count("tier") == 0);
}

TEST_CASE("pods are keyed by namespace and name without collisions") {
  Fixture f;
  corev1::Pod a = MakePod("a-b", "c");
  corev1::Pod b = MakePod("a", "b-c");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), a));
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), b));
  CHECK(f.Get("c", "a-b")->metadata().namespace_() == "a-b");
  CHECK(f.Get("b-c", "a")->metadata().namespace_() == "a");
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), a));
  CHECK(f.provider->GetPod(Ctx(), "a", "b-c").ok());
  auto pods = f.provider->GetPods(Ctx());
  VK_REQUIRE_OK(pods);
  CHECK(pods->size() == 1);
}

TEST_CASE("the notification callback runs without provider locks held") {
  Fixture f;
  std::atomic<int> seen{0};
  f.provider->NotifyPods(Ctx(), [&](PodPtr p) {
    // Calling back into the provider must not deadlock.
    auto again = f.provider->GetPod(Ctx(), p->metadata().namespace_(), p->metadata().name());
    (void)again;
    auto all = f.provider->GetPods(Ctx());
    (void)all;
    ++seen;
  });
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "re")));
  CHECK(Await([&] { return seen.load() >= 1; }));
}

TEST_CASE("notifications stop once the registration's context is done") {
  Fixture f;
  auto [ctx, cancel] = Ctx().WithCancel();
  std::atomic<int> seen{0};
  f.provider->NotifyPods(ctx, [&](PodPtr) { ++seen; });
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "one")));
  REQUIRE(Await([&] { return seen.load() == 1; }));
  cancel();
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "two")));
  // A later registration sees the later change; the cancelled one did not.
  Notifications later;
  f.provider->NotifyPods(Ctx(), later.Callback());
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "three")));
  REQUIRE(later.WaitFor("three", [](const corev1::Pod&) { return true; }));
  CHECK(seen.load() == 1);
}

TEST_CASE("1,000 pods from 16 threads: unique IPs, consistent snapshots, every change notified") {
  Fixture f([](MockProviderConfig& c) { c.pod_cidr = "10.200.0.0/16"; });
  constexpr int kThreads = 16;
  constexpr int kPods = 1000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kPods; i += kThreads) {
        corev1::Pod pod = MakePod(absl::StrCat("ns-", i % 7), absl::StrCat("pod-", i));
        if (!f.provider->CreatePod(Ctx(), pod).ok()) ++failures;
        auto got = f.provider->GetPod(Ctx(), pod.metadata().namespace_(), pod.metadata().name());
        if (!got.ok() || (*got)->metadata().uid() != pod.metadata().uid()) ++failures;
        (*pod.mutable_metadata()->mutable_labels())["round"] = "2";
        if (!f.provider->UpdatePod(Ctx(), pod).ok()) ++failures;
        if (i % 4 == 0 && !f.provider->DeletePod(Ctx(), pod).ok()) ++failures;
        auto status = f.provider->GetPodStatus(Ctx(), pod.metadata().namespace_(), pod.metadata().name());
        if (i % 4 == 0 ? !errdefs::IsNotFound(status.status()) : !status.ok()) ++failures;
        auto all = f.provider->GetPods(Ctx());
        if (!all.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  auto pods = f.provider->GetPods(Ctx());
  VK_REQUIRE_OK(pods);
  CHECK(pods->size() == kPods - kPods / 4);
  std::set<std::string> ips;
  for (const auto& p : *pods) {
    CHECK(p->status().phase() == "Running");
    CHECK(p->metadata().labels().at("round") == "2");
    ips.insert(p->status().podip());
  }
  CHECK(ips.size() == pods->size());
  // create + update for every pod, plus a delete for a quarter of them.
  CHECK(Await([&] { return f.notes.size() == static_cast<size_t>(kPods * 2 + kPods / 4); }));
}

// --- Logs ----------------------------------------------------------------------------------------

struct LogFixture : Fixture {
  LogFixture() : Fixture([](MockProviderConfig& c) { c.log_interval = absl::Seconds(10); }) {
    corev1::Pod pod = MakePod("default", "logger");
    pod.mutable_spec()->mutable_containers(0)->add_command("/bin/server");
    pod.mutable_spec()->mutable_containers(0)->add_args("--port=80");
    VK_REQUIRE_OK(provider->CreatePod(Ctx(), pod));
    start = clock.Now();
    clock.Advance(absl::Seconds(55));  // the start line and heartbeats 1..5
  }
  absl::Time start;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out = absl::StrSplit(text, '\n');
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

TEST_CASE("logs: start line with image and command, one line per interval") {
  LogFixture f;
  auto lines = Lines(f.Logs("logger", "c"));
  REQUIRE(lines.size() == 6);
  CHECK(absl::StrContains(lines[0], "busybox:1.36"));
  CHECK(absl::StrContains(lines[0], "/bin/server --port=80"));
  CHECK(absl::StrContains(lines[1], "heartbeat 1"));
  CHECK(absl::StrContains(lines[5], "heartbeat 5"));
}

TEST_CASE("logs: tail, since, limit, timestamps") {
  LogFixture f;
  ContainerLogOptions o;
  o.tail_lines = 2;
  auto tail = Lines(f.Logs("logger", "c", o));
  REQUIRE(tail.size() == 2);
  CHECK(absl::StrContains(tail[0], "heartbeat 4"));
  CHECK(absl::StrContains(tail[1], "heartbeat 5"));

  o = {};
  o.tail_lines = 0;
  CHECK(f.Logs("logger", "c", o).empty());

  o = {};
  o.since_seconds = 25;  // now is start+55: lines at 30, 40, 50
  auto since = Lines(f.Logs("logger", "c", o));
  REQUIRE(since.size() == 3);
  CHECK(absl::StrContains(since[0], "heartbeat 3"));

  o = {};
  o.since_time = f.start + absl::Seconds(40);  // inclusive
  auto since_time = Lines(f.Logs("logger", "c", o));
  REQUIRE(since_time.size() == 2);
  CHECK(absl::StrContains(since_time[0], "heartbeat 4"));

  o = {};
  o.limit_bytes = 10;
  CHECK(f.Logs("logger", "c", o).size() == 10);

  o = {};
  o.timestamps = true;
  o.tail_lines = 1;
  std::string stamped = f.Logs("logger", "c", o);
  std::string expected =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ ", f.start + absl::Seconds(50), absl::UTCTimeZone());
  CHECK(absl::StartsWith(stamped, expected));
  CHECK(absl::StrContains(stamped, "heartbeat 5"));

  o = {};
  o.stream = "Stderr";
  CHECK(f.Logs("logger", "c", o).empty());
}

TEST_CASE("logs: unknown pod or container, previous without a restart, waiting container") {
  LogFixture f;
  test::Collector out;
  CHECK(errdefs::IsNotFound(f.provider->GetContainerLogs(Ctx(), {"default", "nope", "c", {}}, out)));
  CHECK(errdefs::IsNotFound(f.provider->GetContainerLogs(Ctx(), {"other", "logger", "c", {}}, out)));
  CHECK(errdefs::IsNotFound(f.provider->GetContainerLogs(Ctx(), {"default", "logger", "nope", {}}, out)));
  ContainerLogOptions prev;
  prev.previous = true;
  absl::Status s = f.provider->GetContainerLogs(Ctx(), {"default", "logger", "c", prev}, out);
  CHECK(errdefs::IsNotFound(s));
  CHECK(absl::StrContains(s.message(), "previous terminated container"));

  corev1::Pod slow = MakePod("default", "slow");
  (*slow.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "1h";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), slow));
  s = f.provider->GetContainerLogs(Ctx(), {"default", "slow", "c", {}}, out);
  CHECK(errdefs::IsInvalidInput(s));
  CHECK(absl::StrContains(s.message(), "ContainerCreating"));
  CHECK(out.data().empty());
}

TEST_CASE("logs: follow streams new lines as they are due until the context ends") {
  LogFixture f;
  auto [ctx, cancel] = Ctx().WithCancel();
  test::Collector out;
  ContainerLogOptions o;
  o.follow = true;
  o.tail_lines = 1;
  absl::Status result = absl::UnknownError("not finished");
  std::thread reader([&, c = ctx] {
    result = f.provider->GetContainerLogs(c, {"default", "logger", "c", o}, out);
  });
  REQUIRE(out.WaitFor("heartbeat 5"));
  CHECK_FALSE(absl::StrContains(out.data(), "heartbeat 4"));
  f.clock.Advance(absl::Seconds(10));
  REQUIRE(out.WaitFor("heartbeat 6"));
  f.clock.Advance(absl::Seconds(20));
  REQUIRE(out.WaitFor("heartbeat 8"));
  cancel();
  reader.join();
  VK_CHECK_OK(result);
  CHECK(Lines(out.data()).size() == 4);
}

TEST_CASE("logs: follow ends when the container exits or the pod is deleted") {
  Fixture f([](MockProviderConfig& c) { c.log_interval = absl::Seconds(1); });
  corev1::Pod pod = MakePod("default", "short");
  pod.mutable_spec()->set_restartpolicy("Never");
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitCode] = "0";
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationExitAfter] = "3s";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  corev1::Pod other = MakePod("default", "deleted");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), other));
  test::Collector out, out2;
  ContainerLogOptions o;
  o.follow = true;
  std::thread a([&] { VK_CHECK_OK(f.provider->GetContainerLogs(Ctx(), {"default", "short", "c", o}, out)); });
  std::thread b([&] {
    VK_CHECK_OK(f.provider->GetContainerLogs(Ctx(), {"default", "deleted", "c", o}, out2));
  });
  REQUIRE(out2.WaitFor("started"));
  f.clock.Advance(absl::Seconds(3));
  a.join();
  CHECK(absl::StrContains(out.data(), "heartbeat 2"));
  CHECK(absl::StrContains(out.data(), "exit code 0"));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), other));
  b.join();
}

TEST_CASE("logs: the line count is bounded") {
  Fixture f([](MockProviderConfig& c) {
    c.log_interval = absl::Seconds(1);
    c.max_log_lines = 100;
  });
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "chatty")));
  f.clock.Advance(absl::Hours(24 * 365));  // a fake clock may jump a year
  auto lines = Lines(f.Logs("chatty", "c"));
  REQUIRE(lines.size() == 100);
  CHECK(absl::StrContains(lines.back(), absl::StrCat("heartbeat ", 365 * 24 * 3600)));
}

TEST_CASE("logs: the oldest lines go one by one as new ones are due; follow reads across") {
  Fixture f([](MockProviderConfig& c) {
    c.log_interval = absl::Seconds(1);
    c.max_log_lines = 5;
  });
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "steady")));
  auto [ctx, cancel] = Ctx().WithCancel();
  test::Collector followed;
  ContainerLogOptions o;
  o.follow = true;
  std::thread reader([&, c = ctx] {
    VK_CHECK_OK(f.provider->GetContainerLogs(c, {"default", "steady", "c", o}, followed));
  });
  REQUIRE(followed.WaitFor("started"));
  for (int second = 1; second <= 23; ++second) {
    f.clock.Advance(absl::Seconds(1));
    // Each read materialises the line just due, dropping the oldest.
    auto lines = Lines(f.Logs("steady", "c"));
    REQUIRE(lines.size() == static_cast<size_t>(std::min(second + 1, 5)));
    CHECK(absl::StrContains(lines.back(), absl::StrCat("heartbeat ", second, ",")));
    if (second >= 5) CHECK(absl::StrContains(lines.front(), absl::StrCat("heartbeat ", second - 4, ",")));
    REQUIRE(followed.WaitFor(absl::StrCat("heartbeat ", second, ",")));
  }
  cancel();
  reader.join();
  // The follower saw every line once, in order.
  auto seen = Lines(followed.data());
  REQUIRE(seen.size() == 24);
  for (int k = 1; k <= 23; ++k) CHECK(absl::StrContains(seen[k], absl::StrCat("heartbeat ", k, ",")));
}

// --- Exec and attach -----------------------------------------------------------------------------

struct ExecFixture : Fixture {
  ExecFixture() {
    corev1::Pod pod = MakePod("default", "box");
    auto* c = pod.mutable_spec()->mutable_containers(0);
    auto* e = c->add_env();
    e->set_name("GREETING");
    e->set_value("hello world");
    e = c->add_env();
    e->set_name("MODE");
    e->set_value("test");
    c->set_workingdir("/srv");
    VK_REQUIRE_OK(provider->CreatePod(Ctx(), pod));
  }
};

TEST_CASE("exec: echo, env, hostname, pwd, exit codes") {
  ExecFixture f;
  auto r = f.Exec("box", {"echo", "hi", "there"});
  VK_CHECK_OK(r.status);
  CHECK(r.out == "hi there\n");

  r = f.Exec("box", {"env"});
  VK_CHECK_OK(r.status);
  CHECK(absl::StrContains(r.out, "GREETING=hello world\n"));
  CHECK(absl::StrContains(r.out, "MODE=test\n"));
  CHECK(absl::StrContains(r.out, "HOSTNAME=box\n"));
  CHECK(absl::StrContains(r.out, "PATH=/usr/local/sbin:"));

  CHECK(f.Exec("box", {"hostname"}).out == "box\n");
  CHECK(f.Exec("box", {"/bin/pwd"}).out == "/srv\n");
  CHECK(f.Exec("box", {"printenv", "MODE"}).out == "test\n");

  r = f.Exec("box", {"exit", "3"});
  CHECK(errdefs::GetExitCode(r.status) == 3);
  r = f.Exec("box", {"false"});
  CHECK(errdefs::GetExitCode(r.status) == 1);
  VK_CHECK_OK(f.Exec("box", {"true"}).status);
}

TEST_CASE("exec: unknown commands exit 127 with command not found on stderr") {
  ExecFixture f;
  auto r = f.Exec("box", {"nginx", "-s", "reload"});
  CHECK(errdefs::GetExitCode(r.status) == 127);
  CHECK(absl::StrContains(r.err, "nginx: command not found"));
  CHECK(r.out.empty());
}

TEST_CASE("exec: cat copies stdin to stdout until EOF") {
  ExecFixture f;
  std::string big(300 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + (i / 1000) % 26);
  auto r = f.Exec("box", {"cat"}, big);
  VK_CHECK_OK(r.status);
  CHECK(r.out == big);
  r = f.Exec("box", {"cat", "/etc/hostname"});
  CHECK(r.out == "box\n");
  r = f.Exec("box", {"cat", "/no/such/file"});
  CHECK(errdefs::GetExitCode(r.status) == 1);
  CHECK(absl::StrContains(r.err, "No such file or directory"));
}

TEST_CASE("exec: sh -c with lists, quoting and variables") {
  ExecFixture f;
  auto r = f.Exec("box", {"sh", "-c", "echo a; false || echo \"b $MODE\" && echo 'c $MODE'; exit 4"});
  CHECK(errdefs::GetExitCode(r.status) == 4);
  CHECK(r.out == "a\nb test\nc $MODE\n");
  r = f.Exec("box", {"/bin/sh", "-c", "false; echo status=$?"});
  VK_CHECK_OK(r.status);
  CHECK(r.out == "status=1\n");
  r = f.Exec("box", {"sh", "-c", "echo ${GREETING}!"});
  CHECK(r.out == "hello world!\n");
  r = f.Exec("box", {"sh", "-c", "ls | wc -l"});
  CHECK(errdefs::GetExitCode(r.status) == 2);
  CHECK(absl::StrContains(r.err, "pipes"));
  r = f.Exec("box", {"sh", "-c", "echo 'unterminated"});
  CHECK(errdefs::GetExitCode(r.status) == 2);
  r = f.Exec("box", {"sh", "-c", "&& echo x"});
  CHECK(errdefs::GetExitCode(r.status) == 2);
  r = f.Exec("box", {"sh", "-c"});
  CHECK(errdefs::GetExitCode(r.status) == 2);
  r = f.Exec("box", {"sh", "-c", "nosuch"});
  CHECK(errdefs::GetExitCode(r.status) == 127);
}

TEST_CASE("exec: sh reads commands from stdin") {
  ExecFixture f;
  auto r = f.Exec("box", {"sh"}, "echo one\necho two\nexit 5\necho never\n");
  CHECK(errdefs::GetExitCode(r.status) == 5);
  CHECK(r.out == "one\ntwo\n");
}

TEST_CASE("exec: sleep waits on the provider's clock and ends with the session") {
  ExecFixture f;
  std::atomic<bool> done{false};
  absl::Status s;
  std::thread t([&] {
    s = f.Exec("box", {"sleep", "30"}).status;
    done = true;
  });
  REQUIRE(f.clock.AwaitWaiters(1));
  f.clock.Advance(absl::Seconds(29));
  CHECK_FALSE(done.load());
  f.clock.Advance(absl::Seconds(1));
  t.join();
  VK_CHECK_OK(s);

  auto [ctx, cancel] = Ctx().WithCancel();
  test::FakeAttachIO io(false, false);
  std::thread t2([&, c = ctx] {
    s = f.provider->RunInContainer(c, ExecRequest{"default", "box", "c", {"sleep", "1000"}}, io);
  });
  REQUIRE(f.clock.AwaitWaiters(1));
  cancel();
  t2.join();
  CHECK(errdefs::GetExitCode(s) == 130);
}

TEST_CASE("exec: a TTY session consumes resizes and echoes typed input") {
  ExecFixture f;
  test::FakeAttachIO io(/*with_stdin=*/true, /*tty=*/true);
  absl::Status s;
  std::thread t([&] {
    s = f.provider->RunInContainer(Ctx(), ExecRequest{"default", "box", "c", {"sh"}}, io);
  });
  REQUIRE(io.out().WaitFor("/srv # "));
  io.PushResize({120, 40});
  REQUIRE(Await([&] { return io.resizes_consumed() == 1; }));
  io.stdin_pipe().Push("stty size\r");
  REQUIRE(io.out().WaitFor("40 120\r\n"));
  io.stdin_pipe().Push("echo hi\r");
  REQUIRE(io.out().WaitFor("echo hi\r\nhi\r\n"));
  io.stdin_pipe().Push("exit 2\r");
  t.join();
  CHECK(errdefs::GetExitCode(s) == 2);
  CHECK(io.Stderr() == nullptr);
  CHECK(io.resize_waiters() == 0);  // the resize reader stopped
}

TEST_CASE("exec: NotFound for unknown pods and containers; a stopped container refuses") {
  ExecFixture f;
  test::FakeAttachIO io(false, false);
  CHECK(errdefs::IsNotFound(f.provider->RunInContainer(Ctx(), {"default", "nope", "c", {"echo"}}, io)));
  CHECK(errdefs::IsNotFound(f.provider->RunInContainer(Ctx(), {"default", "box", "nope", {"echo"}}, io)));
  corev1::Pod slow = MakePod("default", "slow");
  (*slow.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "1h";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), slow));
  CHECK(errdefs::IsInvalidInput(f.provider->RunInContainer(Ctx(), {"default", "slow", "c", {"echo"}}, io)));
}

class FakeResources : public ResourceManager {
 public:
  absl::StatusOr<std::shared_ptr<const corev1::Secret>> GetSecret(const Context&, std::string_view ns,
                                                                  std::string_view name) override {
    if (ns != "default" || name != "creds") return errdefs::NotFound("secret");
    auto s = std::make_shared<corev1::Secret>();
    (*s->mutable_data())["password"] = "s3cret";
    return s;
  }
  absl::StatusOr<std::shared_ptr<const corev1::ConfigMap>> GetConfigMap(const Context&, std::string_view ns,
                                                                        std::string_view name) override {
    if (ns != "default" || name != "settings") return errdefs::NotFound("configmap");
    auto cm = std::make_shared<corev1::ConfigMap>();
    (*cm->mutable_data())["app.conf"] = "level=debug\n";
    (*cm->mutable_data())["other"] = "x";
    return cm;
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Service>>> ListServices(
      const Context&, std::string_view) override {
    return std::vector<std::shared_ptr<const corev1::Service>>{};
  }
  std::vector<std::shared_ptr<const corev1::Pod>> GetPods() override { return {}; }
};

TEST_CASE("exec: configMap and secret volumes are readable through the ResourceManager") {
  FakeResources resources;
  Fixture f([&](MockProviderConfig& c) { c.resources = &resources; });
  corev1::Pod pod = MakePod("default", "vol");
  auto* v = pod.mutable_spec()->add_volumes();
  v->set_name("config");
  v->mutable_volumesource()->mutable_configmap()->mutable_localobjectreference()->set_name("settings");
  v = pod.mutable_spec()->add_volumes();
  v->set_name("secret");
  v->mutable_volumesource()->mutable_secret()->set_secretname("creds");
  auto* m = pod.mutable_spec()->mutable_containers(0)->add_volumemounts();
  m->set_name("config");
  m->set_mountpath("/etc/app");
  m = pod.mutable_spec()->mutable_containers(0)->add_volumemounts();
  m->set_name("secret");
  m->set_mountpath("/var/run/creds/");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  auto r = f.Exec("vol", {"cat", "/etc/app/app.conf", "/var/run/creds/password"});
  VK_CHECK_OK(r.status);
  CHECK(r.out == "level=debug\ns3cret");
  r = f.Exec("vol", {"ls", "/etc/app"});
  CHECK(r.out == "app.conf\nother\n");
  r = f.Exec("vol", {"cat", "/etc/app/missing"});
  CHECK(errdefs::GetExitCode(r.status) == 1);
}

TEST_CASE("attach: streams the container's new log lines and echoes stdin") {
  Fixture f([](MockProviderConfig& c) { c.log_interval = absl::Seconds(1); });
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), MakePod("default", "att")));
  f.clock.Advance(absl::Seconds(3));
  auto [ctx, cancel] = Ctx().WithCancel();
  test::FakeAttachIO io(/*with_stdin=*/true, /*tty=*/false);
  absl::Status s = absl::UnknownError("running");
  std::thread t([&, c = ctx] {
    s = f.provider->AttachToContainer(c, AttachRequest{"default", "att", "c"}, io);
  });
  io.stdin_pipe().Push("ping\n");
  REQUIRE(io.out().WaitFor("ping\n"));
  f.clock.Advance(absl::Seconds(1));
  REQUIRE(io.out().WaitFor("heartbeat 4"));
  CHECK_FALSE(absl::StrContains(io.out().data(), "heartbeat 3"));  // only new output
  io.stdin_pipe().Break();
  cancel();
  t.join();
  VK_CHECK_OK(s);

  // Without stdin, attach ends when the container stops.
  test::FakeAttachIO quiet(false, false);
  std::thread t2([&] {
    s = f.provider->AttachToContainer(Ctx(), AttachRequest{"default", "att", "c"}, quiet);
  });
  REQUIRE(f.clock.AwaitWaiters(1));  // attached: only lines from now on
  f.clock.Advance(absl::Seconds(1));
  REQUIRE(quiet.out().WaitFor("heartbeat 5"));
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), MakePod("default", "att")));
  t2.join();
  VK_CHECK_OK(s);
}

// --- Port-forward --------------------------------------------------------------------------------

struct PortFixture : Fixture {
  PortFixture() {
    corev1::Pod pod = MakePod("default", "srv");
    pod.mutable_spec()->mutable_containers(0)->add_ports()->set_containerport(8080);
    VK_REQUIRE_OK(provider->CreatePod(Ctx(), pod));
  }
};

TEST_CASE("port-forward: declared ports echo") {
  PortFixture f;
  test::FakeStream stream;
  absl::Status s;
  std::thread t([&] {
    s = f.provider->PortForward(Ctx(), PortForwardRequest{"default", "srv", 8080}, stream);
  });
  stream.in().Push("hello ");
  REQUIRE(stream.out().WaitFor("hello "));
  stream.in().Push("again");
  REQUIRE(stream.out().WaitFor("hello again"));
  stream.in().CloseWrite();
  t.join();
  VK_CHECK_OK(s);
  CHECK(stream.out().closed());
  CHECK(stream.out().data() == "hello again");
}

TEST_CASE("port-forward: the generator port streams 10 MiB of the documented sequence intact") {
  PortFixture f;
  constexpr size_t kBytes = 10 << 20;
  test::FakeStream stream(kBytes);  // then the client "goes away"
  VK_REQUIRE_OK(f.provider->PortForward(Ctx(), PortForwardRequest{"default", "srv", kGeneratorPort}, stream));
  std::string data = stream.out().data();
  REQUIRE(data.size() == kBytes);
  size_t mismatches = 0;
  for (size_t i = 0; i < kBytes; ++i) mismatches += static_cast<uint8_t>(data[i]) != GeneratorByte(i);
  CHECK(mismatches == 0);
  // Not a trivial pattern: every byte value occurs, and it does not repeat every 256 bytes.
  std::set<uint8_t> values(data.begin(), data.begin() + 4096);
  CHECK(values.size() == 256);
  CHECK(data.substr(0, 256) != data.substr(256, 256));
}

TEST_CASE("port-forward: errors for undeclared ports, unknown and pending pods") {
  PortFixture f;
  test::FakeStream stream;
  absl::Status s = f.provider->PortForward(Ctx(), PortForwardRequest{"default", "srv", 8081}, stream);
  CHECK(errdefs::IsNotFound(s));
  CHECK(absl::StrContains(s.message(), "8081"));
  CHECK(errdefs::IsNotFound(
      f.provider->PortForward(Ctx(), PortForwardRequest{"default", "nope", 8080}, stream)));
  corev1::Pod slow = MakePod("default", "slow");
  (*slow.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "1h";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), slow));
  CHECK(errdefs::IsUnavailable(
      f.provider->PortForward(Ctx(), PortForwardRequest{"default", "slow", 9999}, stream)));
}

// --- Stats ---------------------------------------------------------------------------------------

TEST_CASE("stats: usage derived from requests, monotonic counters, running pods only") {
  Fixture f([](MockProviderConfig& c) { c.capacity = NodeCapacity{"8", "16Gi", "110", {}, ""}; });
  corev1::Pod pod = MakePod("default", "busy", {"app", "idle"});
  test::SetResource(pod.mutable_spec()->mutable_containers(0), false, "cpu", "250m");
  test::SetResource(pod.mutable_spec()->mutable_containers(0), false, "memory", "64Mi");
  test::SetResource(pod.mutable_spec()->mutable_containers(1), true, "cpu", "1");
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
  corev1::Pod slow = MakePod("default", "slow");
  (*slow.mutable_metadata()->mutable_annotations())[kAnnotationStartDelay] = "1h";
  VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), slow));
  absl::Time created = f.clock.Now();

  f.clock.Advance(absl::Seconds(4));
  auto s1 = f.provider->GetStatsSummary(Ctx());
  VK_REQUIRE_OK(s1);
  CHECK(s1->node.node_name == "vk-test");
  REQUIRE(s1->pods.size() == 1);  // the pending pod is not reported
  const stats::PodStats& p1 = s1->pods[0];
  CHECK(p1.pod_ref.name == "busy");
  CHECK(p1.pod_ref.namespace_ == "default");
  CHECK(p1.pod_ref.uid == "default.busy.uid");
  CHECK(p1.start_time == created);
  REQUIRE(p1.containers.size() == 2);
  const stats::ContainerStats& app = p1.containers[0];
  CHECK(app.name == "app");
  CHECK(app.start_time == created);
  CHECK(app.cpu->time == f.clock.Now());
  CHECK(*app.cpu->usage_nano_cores == 250'000'000);
  CHECK(*app.cpu->usage_core_nano_seconds == 1'000'000'000);  // 0.25 core for 4 s
  CHECK(*app.memory->working_set_bytes == 64ull << 20);
  CHECK(*app.memory->usage_bytes >= *app.memory->working_set_bytes);
  CHECK(*p1.containers[1].cpu->usage_nano_cores == 500'000'000);  // half the limit
  CHECK(*p1.cpu->usage_nano_cores == 750'000'000);
  CHECK(*p1.cpu->usage_core_nano_seconds == 3'000'000'000);
  CHECK(*s1->node.cpu->usage_nano_cores == 750'000'000);
  CHECK(*s1->node.memory->available_bytes == (16ull << 30) - *s1->node.memory->working_set_bytes);

  // Counters only grow; an annotation changes the rate from now on.
  (*pod.mutable_metadata()->mutable_annotations())[kAnnotationCpuUsage] = "100m";
  VK_REQUIRE_OK(f.provider->UpdatePod(Ctx(), pod));
  f.clock.Advance(absl::Seconds(10));
  auto s2 = f.provider->GetStatsSummary(Ctx());
  VK_REQUIRE_OK(s2);
  const stats::ContainerStats& app2 = s2->pods[0].containers[0];
  CHECK(*app2.cpu->usage_nano_cores == 100'000'000);
  CHECK(*app2.cpu->usage_core_nano_seconds == 1'000'000'000 + 1'000'000'000);
  CHECK(*s2->node.cpu->usage_core_nano_seconds > *s1->node.cpu->usage_core_nano_seconds);

  // Deleting the pod keeps the node counter monotonic.
  uint64_t node_before = *s2->node.cpu->usage_core_nano_seconds;
  VK_REQUIRE_OK(f.provider->DeletePod(Ctx(), pod));
  auto s3 = f.provider->GetStatsSummary(Ctx());
  VK_REQUIRE_OK(s3);
  CHECK(s3->pods.empty());
  CHECK(*s3->node.cpu->usage_core_nano_seconds >= node_before);
  CHECK(*s3->node.cpu->usage_nano_cores == 0);
}

TEST_CASE("stats: deterministic for the same history") {
  auto run = [] {
    Fixture f;
    corev1::Pod pod = MakePod("default", "p");
    VK_REQUIRE_OK(f.provider->CreatePod(Ctx(), pod));
    f.clock.Advance(absl::Milliseconds(12345));
    auto s = f.provider->GetStatsSummary(Ctx());
    REQUIRE(s.ok());
    return std::make_pair(*s->pods[0].cpu->usage_core_nano_seconds, *s->pods[0].memory->working_set_bytes);
  };
  auto a = run();
  CHECK(a == run());
  CHECK(a.first == 123'450'000);  // the 10m default for 12.345 s
  CHECK(a.second == 16ull << 20);
}

}  // namespace
}  // namespace vkubelet::mock

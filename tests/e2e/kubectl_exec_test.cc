// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// End to end: the real kubectl → FakeApiServer (pods/exec and
// pods/portforward proxied byte for byte to the node's kubelet endpoint with
// the API server's client certificate) → KubeletServer (x509 authentication,
// SubjectAccessReview authorization) → the streaming service → a test
// provider (echo, exit codes, cat, a TCP-style echo on port 7).
//
// The installed kubectl picks its version from the server's /version:
// v1.28 uses SPDY/3.1 for exec and port-forward; v1.32 uses WebSocket
// v5.channel.k8s.io for exec and the SPDY/3.1+portforward.k8s.io tunnel for
// port-forward. Both are run, and the kubelet's counters confirm which
// protocol actually carried each command. Skipped when kubectl is missing.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/streaming_test_util.h"
#include "e2e/kubelet_fixture.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

extern char** environ;

namespace vkubelet::e2e {
namespace {

using streaming_test::Pattern;
using streaming_test::StreamingTestProvider;

constexpr char kNode[] = "vk-exec-e2e";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// kubectl as a child process: stdin from a file (or /dev/null), stdout and
// stderr into files, so that megabytes flow without pipe juggling.
class Kubectl {
 public:
  Kubectl(const std::string& dir, const std::string& kubeconfig, std::vector<std::string> args,
          const std::string& stdin_file = "")
      : out_(dir + "/stdout." + std::to_string(++counter_)),
        err_(dir + "/stderr." + std::to_string(counter_)) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_file.empty() ? "/dev/null" : stdin_file.c_str(), O_RDONLY,
                                     0);
    posix_spawn_file_actions_addopen(&fa, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view v(*e);
      if (v.rfind("KUBECONFIG=", 0) == 0 || v.rfind("HOME=", 0) == 0 || v.rfind("KUBECTL_", 0) == 0) continue;
      env.emplace_back(v);
    }
    env.push_back("KUBECONFIG=" + kubeconfig);
    env.push_back("HOME=" + dir);
    std::vector<std::string> argv_s = {VKUBELET_KUBECTL};
    for (auto& a : args) argv_s.push_back(std::move(a));
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid_, argv_s[0].c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE_MESSAGE(rc == 0, "spawn kubectl");
  }
  ~Kubectl() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // The exit code, or -1 after `timeout`.
  int Wait(absl::Duration timeout = absl::Seconds(90)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }
  void Terminate() { kill(pid_, SIGTERM); }
  std::string out() const { return ReadFile(out_); }
  std::string err() const { return ReadFile(err_); }
  // Waits until stdout contains `want`.
  bool WaitOutput(std::string_view want, absl::Duration timeout = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (out().find(want) != std::string::npos) return true;
      int status = 0;
      if (!exited_ && waitpid(pid_, &status, WNOHANG) == pid_) exited_ = true;
      if (exited_) return out().find(want) != std::string::npos;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

 private:
  static inline int counter_ = 0;
  std::string out_, err_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

// Sends `payload` on a TCP connection to 127.0.0.1:port while reading the
// echo; returns what came back (the sender half-closes when done).
std::string EchoThroughPort(int port, const std::string& payload) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  std::thread writer([&] {
    size_t pos = 0;
    while (pos < payload.size()) {
      const ssize_t n =
          send(fd, payload.data() + pos, std::min<size_t>(payload.size() - pos, 65536), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pos += static_cast<size_t>(n);
    }
    shutdown(fd, SHUT_WR);
  });
  std::string got;
  char buf[65536];
  while (got.size() < payload.size()) {
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  close(fd);
  return got;
}

void RunScenario(const std::string& version, bool expect_websocket) {
  testing::FakeApiServerOptions ao;
  ao.version = version;
  ao.tokens["e2e-token"] = {"e2e-admin", {"system:masters"}, ""};
  ApiWithAuth fixture = StartApiWithAuth(ao);
  auto& api = fixture.api;

  auto provider = std::make_shared<StreamingTestProvider>();
  api::internal::StreamingDeps deps;
  deps.exec = provider.get();
  deps.port_forward = provider.get();
  deps.provider = provider;
  auto service = std::make_shared<api::internal::StreamingService>(deps, api::internal::StreamingOptions());
  api::KubeletServerOptions so = TestKubeletOptions(kNode, fixture);
  api::KubeletServerHandlers handlers;
  handlers.provider = provider;
  auto server_or =
      api::internal::CreateKubeletServer(so, handlers, service->Routes(), /*replace_streaming=*/true);
  VK_REQUIRE_OK(server_or.status());
  auto& server = *server_or;
  VK_REQUIRE_OK(server->Start());

  CreateNodeAndPod(*api, kNode, server->port());
  // kubectl port-forward insists on a Running pod.
  VK_REQUIRE_OK(api->Modify<corev1::Pod>(
                       "default", "web", [](corev1::Pod* p) { p->mutable_status()->set_phase("Running"); },
                       /*status=*/true)
                    .status());

  const std::string dir =
      absl::StrCat(VKUBELET_BUILD_ROOT, "/kubectl_exec_test_", getpid(), "_", version.substr(1));
  std::filesystem::create_directories(dir);
  const std::string kubeconfig = dir + "/kubeconfig";
  testing::KubeconfigOptions ko;
  ko.token = "e2e-token";
  VK_REQUIRE_OK(api->WriteKubeconfig(kubeconfig, ko));
  const auto& counters = service->counters();

  SUBCASE("kubectl exec POD -- echo hi") {
    Kubectl k(dir, kubeconfig, {"exec", "web", "--", "echo", "hi"});
    CHECK(k.Wait() == 0);
    CHECK(k.out() == "hi\n");
    INFO(k.err());
    auto calls = provider->calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].request.command == std::vector<std::string>{"echo", "hi"});
    CHECK(calls[0].request.container == "app");
  }
  SUBCASE("the provider's exit code 3 is kubectl's") {
    Kubectl k(dir, kubeconfig, {"exec", "web", "--", "exit", "3"});
    CHECK(k.Wait() == 3);
    INFO(k.err());
  }
  SUBCASE("kubectl exec -i round-trips 10 MiB of stdin") {
    const std::string input = Pattern(10 << 20, 2024);
    const std::string in_file = dir + "/stdin.bin";
    std::ofstream(in_file, std::ios::binary) << input;
    Kubectl k(dir, kubeconfig, {"exec", "-i", "web", "--", "cat"}, in_file);
    CHECK(k.Wait(absl::Seconds(120)) == 0);
    INFO(k.err());
    const std::string out = k.out();
    CHECK(out.size() == input.size());
    CHECK(out == input);
  }
  SUBCASE("kubectl port-forward: 10 MiB through each of two concurrent connections") {
    Kubectl k(dir, kubeconfig, {"port-forward", "pod/web", ":7"});
    REQUIRE_MESSAGE(k.WaitOutput(" -> 7"), k.err());
    // "Forwarding from 127.0.0.1:PORT -> 7"
    const std::string out = k.out();
    const size_t at = out.find("127.0.0.1:");
    REQUIRE(at != std::string::npos);
    int port = 0;
    REQUIRE(absl::SimpleAtoi(out.substr(at + 10, out.find(' ', at) - at - 10), &port));
    const std::string a = Pattern(10 << 20, 1);
    const std::string b = Pattern(10 << 20, 2);
    std::string got_a, got_b;
    std::thread ta([&] { got_a = EchoThroughPort(port, a); });
    std::thread tb([&] { got_b = EchoThroughPort(port, b); });
    ta.join();
    tb.join();
    CHECK(got_a.size() == a.size());
    CHECK(got_a == a);
    CHECK(got_b.size() == b.size());
    CHECK(got_b == b);
    CHECK(provider->pf_calls() == 2);
    CHECK(provider->max_pf_running() == 2);
    k.Terminate();
    k.Wait();
    if (expect_websocket) {
      CHECK(counters.tunnel_port_forward_sessions.load() >= 1);
      CHECK(counters.spdy_port_forward_sessions.load() == 0);
    } else {
      CHECK(counters.spdy_port_forward_sessions.load() >= 1);
      CHECK(counters.tunnel_port_forward_sessions.load() == 0);
    }
  }
  // Which protocol carried the exec commands.
  if (provider->calls().size() > 0) {
    if (expect_websocket) {
      CHECK(counters.websocket_exec_sessions.load() >= 1);
      CHECK(counters.spdy_exec_sessions.load() == 0);
    } else {
      CHECK(counters.spdy_exec_sessions.load() >= 1);
      CHECK(counters.websocket_exec_sessions.load() == 0);
    }
  }
  server->Stop(absl::Seconds(1));
  std::filesystem::remove_all(dir);
}

bool HaveKubectl() {
  if (std::string(VKUBELET_KUBECTL).empty()) {
    MESSAGE("kubectl not found: skipped");
    return false;
  }
  return true;
}

TEST_CASE("kubectl exec and port-forward over SPDY/3.1 (server v1.28)") {
  if (HaveKubectl()) RunScenario("v1.28.7", /*expect_websocket=*/false);
}

TEST_CASE("kubectl exec and port-forward over WebSocket (server v1.32)") {
  if (HaveKubectl()) RunScenario("v1.32.0", /*expect_websocket=*/true);
}

}  // namespace
}  // namespace vkubelet::e2e

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// End to end: the real kubectl → FakeApiServer (pods/log proxied to the
// node's kubelet endpoint with the API server's client certificate) →
// KubeletServer (x509 authentication, SubjectAccessReview authorization) →
// a provider serving container logs. Skipped when kubectl is not installed.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api/kubelet_test_provider.h"
#include "e2e/kubelet_fixture.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet::e2e {
namespace {

constexpr char kNode[] = "vk-e2e";

// kubectl as a child process with its stdout+stderr captured.
class Kubectl {
 public:
  Kubectl(const std::string& home, std::vector<std::string> args) {
    // Everything the child needs is prepared before fork(): between fork and
    // exec a multi-threaded process may only make async-signal-safe calls.
    std::string bin = VKUBELET_KUBECTL;
    std::vector<char*> argv;
    argv.push_back(bin.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = {"HOME=" + home};
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view kv(*e);
      if (kv.rfind("HOME=", 0) == 0 || kv.rfind("KUBECONFIG=", 0) == 0) continue;
      env_strings.emplace_back(kv);
    }
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      dup2(devnull, 0);
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      execve(bin.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    close(devnull);
    close(fds[1]);
    fd_ = fds[0];
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~Kubectl() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }

  // Reads output until `want` appears (true) or the timeout/EOF (false).
  bool ReadUntil(std::string_view want, absl::Duration timeout = absl::Seconds(30)) {
    absl::Time deadline = absl::Now() + timeout;
    while (output_.find(want) == std::string::npos) {
      if (!ReadSome(deadline)) return output_.find(want) != std::string::npos;
    }
    return true;
  }
  // Waits for exit, collecting the rest of the output; the exit code or -1.
  int Wait(absl::Duration timeout = absl::Seconds(30)) {
    absl::Time deadline = absl::Now() + timeout;
    while (ReadSome(deadline)) {
    }
    int status = 0;
    while (absl::Now() < deadline) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }
  void Terminate() { kill(pid_, SIGTERM); }
  const std::string& output() const { return output_; }

 private:
  // False at EOF or deadline.
  bool ReadSome(absl::Time deadline) {
    while (true) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      int r = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      char buf[4096];
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n > 0) {
        output_.append(buf, static_cast<size_t>(n));
        return true;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return false;
    }
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string output_;
};

TEST_CASE("kubectl logs, logs -f and logs --tail --since through the API server proxy") {
  if (std::string(VKUBELET_KUBECTL).empty()) {
    MESSAGE("kubectl not found: skipped");
    return;
  }
  ApiWithAuth fixture = StartApiWithAuth({});
  auto& api = fixture.api;

  auto provider = std::make_shared<test::KubeletTestProvider>();
  api::KubeletServerOptions so = TestKubeletOptions(kNode, fixture);
  api::KubeletServerHandlers handlers;
  handlers.provider = provider;
  testing::FakeApiServer* fake = api.get();
  handlers.list_pods = [fake](const Context&) { return fake->List<corev1::Pod>(); };
  auto server_or = api::KubeletServer::Create(so, handlers);
  VK_REQUIRE_OK(server_or.status());
  auto& server = *server_or;
  VK_REQUIRE_OK(server->Start());

  CreateNodeAndPod(*api, kNode, server->port());

  absl::Time now = absl::Now();
  provider->AppendLog("default", "web", "app", "booting", "stdout", now - absl::Hours(3));
  provider->AppendLog("default", "web", "app", "listening on :8080", "stdout", now - absl::Minutes(30));
  provider->AppendLog("default", "web", "app", "GET /", "stdout", now - absl::Minutes(20));
  provider->AppendLog("default", "web", "app", "GET /healthz", "stdout", now - absl::Minutes(10));

  std::string home = absl::StrCat(VKUBELET_BUILD_ROOT, "/kubectl_logs_test_home_", getpid());
  std::filesystem::create_directories(home);
  std::string kubeconfig = home + "/kubeconfig";
  testing::KubeconfigOptions ko;
  ko.client_certificate = true;  // without credentials kubectl would prompt for a password
  VK_REQUIRE_OK(api->WriteKubeconfig(kubeconfig, ko));

  SUBCASE("kubectl logs") {
    Kubectl k(home, {"--kubeconfig", kubeconfig, "logs", "web"});
    CHECK(k.Wait() == 0);
    CHECK(k.output() == "booting\nlistening on :8080\nGET /\nGET /healthz\n");
  }

  SUBCASE("kubectl logs --tail=2 --since=1h") {
    Kubectl k(home, {"--kubeconfig", kubeconfig, "logs", "web", "--tail=2", "--since=1h"});
    CHECK(k.Wait() == 0);
    CHECK(k.output() == "GET /\nGET /healthz\n");
    auto reqs = provider->requests();
    REQUIRE(!reqs.empty());
    CHECK(*reqs.back().options.tail_lines == 2);
    CHECK(*reqs.back().options.since_seconds == 3600);
  }

  SUBCASE("kubectl logs -f sees lines as the provider writes them") {
    Kubectl k(home, {"--kubeconfig", kubeconfig, "logs", "-f", "web", "-c", "app"});
    REQUIRE(k.ReadUntil("GET /healthz\n"));
    provider->AppendLog("default", "web", "app", "first new line");
    CHECK(k.ReadUntil("first new line\n"));
    provider->AppendLog("default", "web", "app", "second new line");
    CHECK(k.ReadUntil("second new line\n"));
    CHECK(provider->active() == 1);
    CHECK(provider->requests().back().options.follow);
    // kubectl leaving ends the provider's stream.
    k.Terminate();
    k.Wait();
    CHECK(provider->Await([&] { return provider->active() == 0; }, absl::Seconds(15)));
  }

  SUBCASE("provider errors come back through kubectl") {
    // Known to Kubernetes, unknown to the provider: its NotFound becomes a 404.
    VK_REQUIRE_OK(api->Create(*test::MakePod("default", "broken", {"app"}, kNode)).status());
    Kubectl k(home, {"--kubeconfig", kubeconfig, "logs", "broken"});
    CHECK_MESSAGE(k.Wait() != 0, k.output());
    CHECK(provider->requests().size() == 1);
  }

  // The kubelet checked the API server's identity (its client certificate)
  // with a SubjectAccessReview.
  CHECK(api->RequestCount("create", "subjectaccessreviews") >= 1);
  server->Stop();
  std::filesystem::remove_all(home);
}

}  // namespace
}  // namespace vkubelet::e2e

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeApiServer driven by the real kubectl installed on the machine: create
// a namespace and a pod from YAML, get -o json, get -w sees a status change,
// patch --subresource=status, logs and exec through the API server to a test
// kubelet endpoint, delete --grace-period=0 --force.
//
// The installed kubectl picks its version from /version: v1.32 speaks
// WebSocket (v5.channel.k8s.io) for exec, v1.28 SPDY.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "internal/http/server.h"
#include "nlohmann/json.hpp"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

extern char** environ;

namespace vkubelet::testing {
namespace {

namespace http = ::vkubelet::internal::http;
using nlohmann::json;

// A child process with stdout/stderr captured through pipes.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& kubeconfig) {
    int out[2], err[2];
    REQUIRE(pipe(out) == 0);
    REQUIRE(pipe(err) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (!absl::StartsWith(*e, "KUBECONFIG=") && !absl::StartsWith(*e, "HOME=")) env.emplace_back(*e);
    }
    env.push_back("KUBECONFIG=" + kubeconfig);
    // A private HOME: kubectl's discovery cache must not leak between runs.
    env.push_back("HOME=" + std::filesystem::path(kubeconfig).parent_path().string());
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0].c_str(), &fa, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    REQUIRE_MESSAGE(rc == 0, "spawn " << args[0]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_fd_);
    close(err_fd_);
  }

  // Reads output until `done(stdout)` holds, the process exits, or timeout.
  bool ReadUntil(const std::function<bool(const std::string&)>& done, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (!done(out_)) {
      if (absl::Now() >= deadline) return false;
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      int n = poll(fds, 2, 50);
      bool eof = true;
      for (int i = 0; i < 2; ++i) {
        if (n > 0 && (fds[i].revents & (POLLIN | POLLHUP))) {
          char buf[4096];
          ssize_t r = read(fds[i].fd, buf, sizeof buf);
          if (r > 0) {
            (i == 0 ? out_ : err_).append(buf, r);
            eof = false;
          }
        } else {
          eof = false;
        }
      }
      if (eof && n > 0) return done(out_);
    }
    return true;
  }

  // Waits for exit (killing it after `timeout`); returns the exit code.
  int Wait(absl::Duration timeout = absl::Seconds(60)) {
    ReadUntil([](const std::string&) { return false; }, absl::ZeroDuration());
    absl::Time deadline = absl::Now() + timeout;
    int status = 0;
    while (true) {
      ReadUntil([](const std::string&) { return false; }, absl::Milliseconds(20));
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (absl::Now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        exited_ = true;
        return -1;
      }
    }
    exited_ = true;
    // Drain what is left.
    while (true) {
      char buf[4096];
      ssize_t r = read(out_fd_, buf, sizeof buf);
      if (r <= 0) break;
      out_.append(buf, r);
    }
    while (true) {
      char buf[4096];
      ssize_t r = read(err_fd_, buf, sizeof buf);
      if (r <= 0) break;
      err_.append(buf, r);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  std::string out_;
  std::string err_;
};

struct Result {
  int code;
  std::string out;
  std::string err;
};

// A kubelet endpoint for the test: TLS that requires the API server's client
// certificate; /containerLogs answers two lines; /exec answers a WebSocket
// (v5/v4.channel.k8s.io) exec that prints "hi from <command>".
class TestKubelet {
 public:
  explicit TestKubelet(const FakeApiServer& api) {
    auto cert = api.IssueClientCertificate({"kubelet", {}, ""});
    REQUIRE(cert.ok());
    http::ServerOptions o;
    http::ServerTlsOptions t;
    t.cert_pem = cert->cert_pem;
    t.key_pem = cert->key_pem;
    t.client_ca_pem = api.ca_pem();
    t.require_client_cert = true;
    o.tls = t;
    auto s = http::Server::Create(o, [this](http::Request& req, std::shared_ptr<http::Response> resp) {
      Serve(req, std::move(resp));
    });
    REQUIRE(s.ok());
    server_ = std::move(*s);
    VK_REQUIRE_OK(server_->Start());
  }
  ~TestKubelet() { server_->Stop(absl::ZeroDuration()); }
  int port() const { return server_->port(); }
  std::vector<std::string> targets() {
    absl::MutexLock lock(&mu_);
    return targets_;
  }

 private:
  void Serve(http::Request& req, std::shared_ptr<http::Response> resp) {
    {
      absl::MutexLock lock(&mu_);
      targets_.push_back(req.target);
    }
    if (absl::StartsWith(req.path, "/containerLogs/e2e/p/app")) {
      resp->StartStream(200, {{"Content-Type", "text/plain"}});
      resp->Write("log line 1\n");
      resp->Write("log line 2\n");
      resp->Finish();
      return;
    }
    if (absl::StartsWith(req.path, "/exec/e2e/p/app") && req.IsUpgrade("websocket")) {
      std::string offered = req.Header("Sec-WebSocket-Protocol");
      std::string proto = absl::StrContains(offered, "v5.channel.k8s.io") ? "v5.channel.k8s.io" : "v4.channel.k8s.io";
      auto ws = resp->AcceptWebSocket(proto);
      if (!ws.ok()) return;
      std::string command;
      for (const auto& c : req.QueryValues("command")) absl::StrAppend(&command, command.empty() ? "" : " ", c);
      (*ws)->Start([](std::string, bool) {}, [](int, const std::string&) {});
      (*ws)->Send(absl::StrCat(std::string(1, '\x01'), "hi from ", command, "\n"), true);
      (*ws)->Send(absl::StrCat(std::string(1, '\x03'), R"({"metadata":{},"status":"Success"})"), true);
      (*ws)->Close(1000, "");
      absl::MutexLock lock(&mu_);
      sockets_.push_back(*ws);
      return;
    }
    resp->Send(404, {{"Content-Type", "text/plain"}}, "not found");
  }

  std::unique_ptr<http::Server> server_;
  absl::Mutex mu_;
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<http::WebSocketConnection>> sockets_ ABSL_GUARDED_BY(mu_);
};

class Kubectl {
 public:
  explicit Kubectl(std::string kubeconfig) : kubeconfig_(std::move(kubeconfig)) {}
  Result Run(std::vector<std::string> args, absl::Duration timeout = absl::Seconds(60)) {
    args.insert(args.begin(), VKUBELET_KUBECTL);
    Process p(args, kubeconfig_);
    int code = p.Wait(timeout);
    return {code, p.out(), p.err()};
  }
  std::unique_ptr<Process> Start(std::vector<std::string> args) {
    args.insert(args.begin(), VKUBELET_KUBECTL);
    return std::make_unique<Process>(args, kubeconfig_);
  }

 private:
  std::string kubeconfig_;
};

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vk-e2e-XXXXXX").string();
  char* dir = mkdtemp(tmpl.data());
  REQUIRE(dir != nullptr);
  return dir;
}

constexpr char kManifest[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: e2e
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: e2e
  labels:
    app: web
spec:
  nodeName: vk1
  containers:
  - name: app
    image: nginx:1.25
)";

void RunScenario(const std::string& version, bool exec) {
  FakeApiServerOptions o;
  o.tls = true;
  o.version = version;
  o.require_authentication = true;
  o.tokens["e2e-token"] = {"e2e-admin", {"system:masters"}, ""};
  auto server = FakeApiServer::Start(o);
  VK_REQUIRE_OK(server);
  FakeApiServer& api = **server;
  TestKubelet kubelet(api);

  corev1::Node node;
  node.mutable_metadata()->set_name("vk1");
  auto* addr = node.mutable_status()->add_addresses();
  addr->set_type("InternalIP");
  addr->set_address("127.0.0.1");
  node.mutable_status()->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port(kubelet.port());
  VK_REQUIRE_OK(api.Create(node));

  std::string dir = TempDir();
  std::string kubeconfig = dir + "/kubeconfig";
  KubeconfigOptions ko;
  ko.token = "e2e-token";
  VK_REQUIRE_OK(api.WriteKubeconfig(kubeconfig, ko));
  {
    std::ofstream(dir + "/manifest.yaml") << kManifest;
  }
  Kubectl kubectl(kubeconfig);

  Result v = kubectl.Run({"version", "-o", "json"});
  REQUIRE_MESSAGE(v.code == 0, v.err);
  CHECK(json::parse(v.out)["serverVersion"]["gitVersion"] == version);

  // Namespace and pod from YAML. FakeApiServer serves no OpenAPI documents,
  // which kubectl's client-side validation would download.
  Result created = kubectl.Run({"create", "--validate=false", "-f", dir + "/manifest.yaml"});
  REQUIRE_MESSAGE(created.code == 0, created.out << created.err);
  CHECK(absl::StrContains(created.out, "namespace/e2e created"));
  CHECK(absl::StrContains(created.out, "pod/p created"));

  Result got = kubectl.Run({"get", "pod", "p", "-n", "e2e", "-o", "json"});
  REQUIRE_MESSAGE(got.code == 0, got.err);
  json pod = json::parse(got.out);
  CHECK(pod["status"]["phase"] == "Pending");
  CHECK(pod["spec"]["nodeName"] == "vk1");

  // apply of the same manifest (client-side apply: a strategic merge patch).
  Result applied = kubectl.Run({"apply", "--validate=false", "-f", dir + "/manifest.yaml"});
  CHECK_MESSAGE(applied.code == 0, applied.out << applied.err);

  // get -w sees a status change made by "the kubelet".
  auto watch = kubectl.Start({"get", "pod", "p", "-n", "e2e", "-w", "-o", "json"});
  REQUIRE(watch->ReadUntil([](const std::string& out) { return absl::StrContains(out, "\"Pending\""); },
                           absl::Seconds(30)));
  // kubectl prints the object, then watches from "0" and skips the first
  // event (the state it printed): change the pod only once the watch is open.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (api.OpenWatches() == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  REQUIRE(api.OpenWatches() == 1);
  VK_REQUIRE_OK(api.Modify<corev1::Pod>(
      "e2e", "p", [](corev1::Pod* p) { p->mutable_status()->set_phase("Running"); }, /*status=*/true));
  CHECK_MESSAGE(watch->ReadUntil([](const std::string& out) { return absl::StrContains(out, "\"Running\""); },
                                 absl::Seconds(30)),
                watch->out() << watch->err());
  watch.reset();

  // patch --subresource=status.
  Result patched = kubectl.Run({"patch", "pod", "p", "-n", "e2e", "--subresource=status", "--type=merge", "-p",
                                R"({"status":{"message":"patched by kubectl"}})"});
  CHECK_MESSAGE(patched.code == 0, patched.err);
  auto after = api.Get<corev1::Pod>("e2e", "p");
  VK_REQUIRE_OK(after);
  CHECK((*after)->status().message() == "patched by kubectl");
  CHECK((*after)->status().phase() == "Running");

  // describe lists events through involvedObject field selectors.
  corev1::Event ev;
  ev.mutable_metadata()->set_name("p.1");
  ev.mutable_metadata()->set_namespace_("e2e");
  ev.mutable_involvedobject()->set_kind("Pod");
  ev.mutable_involvedobject()->set_name("p");
  ev.mutable_involvedobject()->set_namespace_("e2e");
  ev.mutable_involvedobject()->set_uid((*after)->metadata().uid());
  ev.set_reason("Started");
  ev.set_message("Started container app");
  ev.set_type("Normal");
  ev.set_count(1);
  VK_REQUIRE_OK(api.Create(ev));
  Result described = kubectl.Run({"describe", "pod", "p", "-n", "e2e"});
  CHECK_MESSAGE(described.code == 0, described.err);
  CHECK(absl::StrContains(described.out, "Started container app"));

  // logs through the API server to the kubelet.
  Result logs = kubectl.Run({"logs", "p", "-n", "e2e"});
  CHECK_MESSAGE(logs.code == 0, logs.err);
  CHECK(logs.out == "log line 1\nlog line 2\n");

  if (exec) {
    Result ex = kubectl.Run({"exec", "p", "-n", "e2e", "--", "echo", "hello"});
    CHECK_MESSAGE(ex.code == 0, ex.out << ex.err);
    CHECK(ex.out == "hi from echo hello\n");
    bool translated = false;
    for (const auto& t : kubelet.targets()) {
      if (absl::StartsWith(t, "/exec/e2e/p/app?") && absl::StrContains(t, "output=1") &&
          absl::StrContains(t, "command=echo&command=hello")) {
        translated = true;
      }
    }
    CHECK(translated);
  }

  // delete --grace-period=0 --force removes the bound pod at once.
  Result deleted = kubectl.Run({"delete", "pod", "p", "-n", "e2e", "--grace-period=0", "--force"});
  CHECK_MESSAGE(deleted.code == 0, deleted.err);
  CHECK(errdefs::IsNotFound(api.Get<corev1::Pod>("e2e", "p").status()));
  Result ns = kubectl.Run({"delete", "namespace", "e2e"});
  CHECK_MESSAGE(ns.code == 0, ns.err);

  std::filesystem::remove_all(dir);
}

TEST_CASE("kubectl against FakeApiServer reporting v1.32 (WebSocket exec)") { RunScenario("v1.32.0", true); }

TEST_CASE("kubectl against FakeApiServer reporting v1.28") { RunScenario("v1.28.7", false); }

}  // namespace
}  // namespace vkubelet::testing

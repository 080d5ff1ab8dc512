// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// `kubectl logs -f` throughput: a provider writes log lines as fast as it can
// (--bytes in total, --line_bytes per line, then the stream ends) and a reader
// counts them on three paths, so each hop's cost shows:
//
//   direct   HTTPS client → KubeletServer /containerLogs/...?follow=true
//   proxy    HTTPS client → FakeApiServer pods/log proxy → KubeletServer
//   kubectl  kubectl logs -f → FakeApiServer proxy → KubeletServer
//            (the installed kubectl, stdout read through a pipe)
//
// The kubelet authenticates client certificates (the API server's, and the
// direct client's from a CA of our own) and allows every request (no
// SubjectAccessReview round trip: the stream is what is measured).
//
//   build-x/bench/logs_bench [--bytes=67108864] [--line_bytes=100] [--runs=3]
//                            [--paths=direct,proxy,kubectl] [--kubectl=/usr/bin/kubectl]
//
// Prints MB/s and lines/s per path: the best run and the spread of all runs.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "internal/http/client.h"
#include "internal/tls/certs.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/testing/fake_api_server.h"

namespace {

using namespace vkubelet;
namespace http = vkubelet::internal::http;
namespace tls = vkubelet::internal::tls;

constexpr char kNode[] = "vk-logs-bench";

struct Flags {
  int64_t bytes = 64 << 20;
  int line_bytes = 100;
  int runs = 3;
  std::vector<std::string> paths = {"direct", "proxy", "kubectl"};
  std::string kubectl = "/usr/bin/kubectl";
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      std::string prefix = "--" + name + "=";
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("bytes")) {
      f.bytes = std::stoll(*v);
    } else if (auto v = value("line_bytes")) {
      f.line_bytes = std::max(2, std::stoi(*v));
    } else if (auto v = value("runs")) {
      f.runs = std::max(1, std::stoi(*v));
    } else if (auto v = value("paths")) {
      f.paths = absl::StrSplit(*v, ',', absl::SkipEmpty());
    } else if (auto v = value("kubectl")) {
      f.kubectl = *v;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      std::exit(2);
    }
  }
  return f;
}

// Writes `total` bytes of `line_bytes`-long lines, in 64 KB writes, then
// ends the stream (so a follower sees EOF and kubectl exits).
class FloodProvider : public PodLifecycleHandler, public ContainerLogsProvider {
 public:
  FloodProvider(int64_t total, int line_bytes) : total_(total) {
    std::string line(static_cast<size_t>(line_bytes - 1), 'x');
    line.push_back('\n');
    while (block_.size() + line.size() <= (64 << 10)) block_ += line;
  }
  absl::Status CreatePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::Status UpdatePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::Status DeletePod(const Context&, const corev1::Pod&) override { return absl::OkStatus(); }
  absl::StatusOr<std::shared_ptr<const corev1::Pod>> GetPod(const Context&, std::string_view,
                                                            std::string_view) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> GetPodStatus(const Context&, std::string_view,
                                                                        std::string_view) override {
    return absl::NotFoundError("none");
  }
  absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> GetPods(const Context&) override {
    return std::vector<std::shared_ptr<const corev1::Pod>>{};
  }
  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest&, ByteWriter& out) override {
    int64_t left = total_;
    while (left > 0 && !ctx.Done()) {
      size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(block_.size())));
      absl::Status s = out.Write(std::string_view(block_).substr(0, n));
      if (!s.ok()) return s;
      left -= static_cast<int64_t>(n);
    }
    return absl::OkStatus();
  }

 private:
  int64_t total_;
  std::string block_;
};

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

struct Run {
  double seconds = 0;
  int64_t bytes = 0;
  double cpu_seconds = 0;  // this process (servers, and the client unless kubectl)
};

// Reads a streamed response with the HTTPS client, counting bytes.
Run ReadWithClient(http::Client& client, const std::string& target) {
  Run r;
  http::ClientRequest req;
  req.target = target;
  double cpu0 = CpuSeconds();
  absl::Time t0 = absl::Now();
  int status = 0;
  absl::Status s = client.Stream(
      Context::Background().WithTimeout(absl::Minutes(5)), req,
      [&](int code, const http::Headers&) { status = code; },
      [&](std::string_view data) {
        r.bytes += static_cast<int64_t>(data.size());
        return true;
      });
  r.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  r.cpu_seconds = CpuSeconds() - cpu0;
  if (!s.ok() || status != 200)
    std::fprintf(stderr, "read failed: %d %s\n", status, std::string(s.message()).c_str());
  return r;
}

// Runs `kubectl logs -f` and counts its stdout.
Run ReadWithKubectl(const Flags& f, const std::string& home, const std::string& kubeconfig) {
  Run r;
  std::vector<std::string> args = {f.kubectl, "--kubeconfig", kubeconfig, "logs", "-f", "web", "-c", "app"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string home_env = "HOME=" + home;
  std::vector<std::string> env_strings = {home_env};
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("HOME=", 0) == 0 || kv.rfind("KUBECONFIG=", 0) == 0) continue;
    env_strings.emplace_back(kv);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return r;
  double cpu0 = CpuSeconds();
  absl::Time t0 = absl::Now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = read(fds[0], buf.data(), buf.size());
    if (n > 0) {
      r.bytes += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fds[0]);
  int status = 0;
  rusage child{};
  wait4(pid, &status, 0, &child);
  r.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  r.cpu_seconds = CpuSeconds() - cpu0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    std::fprintf(stderr, "kubectl exited with %d\n", status);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f = ParseFlags(argc, argv);

  testing::FakeApiServerOptions ao;
  ao.tls = true;
  auto api = testing::FakeApiServer::Start(ao);
  if (!api.ok()) {
    std::fprintf(stderr, "FakeApiServer: %s\n", std::string(api.status().message()).c_str());
    return 1;
  }

  // The direct client's certificate comes from a CA of our own, trusted by
  // the kubelet next to the API server's.
  auto ca = tls::GenerateCa({});
  tls::LeafOptions leaf;
  leaf.common_name = "logs-bench";
  leaf.server_auth = false;
  leaf.client_auth = true;
  auto client_cert = tls::IssueCertificate(*ca, leaf);

  auto provider = std::make_shared<FloodProvider>(f.bytes, f.line_bytes);
  api::KubeletServerOptions so;
  so.node_name = kNode;
  so.address = "127.0.0.1";
  so.port = 0;
  so.self_signed = true;
  so.client_ca_pem = absl::StrCat((*api)->ca_pem(), "\n", ca->cert_pem);
  so.authenticator = api::NewX509Authenticator();
  so.authorizer = api::NewAlwaysAllowAuthorizer();
  api::KubeletServerHandlers handlers;
  handlers.provider = provider;
  auto server = api::KubeletServer::Create(so, handlers);
  if (!server.ok() || !(*server)->Start().ok()) {
    std::fprintf(stderr, "KubeletServer failed to start\n");
    return 1;
  }

  corev1::Node node;
  node.mutable_metadata()->set_name(kNode);
  auto* addr = node.mutable_status()->add_addresses();
  addr->set_type("InternalIP");
  addr->set_address("127.0.0.1");
  node.mutable_status()->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port((*server)->port());
  corev1::Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_nodename(kNode);
  auto* container = pod.mutable_spec()->add_containers();
  container->set_name("app");
  container->set_image("busybox");
  for (absl::Status s : {(*api)->Create(node).status(), (*api)->Create(pod).status()}) {
    if (!s.ok()) {
      std::fprintf(stderr, "creating the node and pod: %s\n", std::string(s.message()).c_str());
      return 1;
    }
  }

  http::ClientOptions direct_opts;
  direct_opts.port = (*server)->port();
  direct_opts.tls = http::ClientTlsOptions{(*server)->serving_certificate_pem(), client_cert->cert_pem,
                                           client_cert->key_pem, "", false};
  auto direct = http::Client::Create(direct_opts);

  auto admin = (*api)->IssueClientCertificate({"system:admin", {"system:masters"}, ""});
  http::ClientOptions proxy_opts;
  proxy_opts.port = (*api)->port();
  proxy_opts.tls = http::ClientTlsOptions{(*api)->ca_pem(), admin->cert_pem, admin->key_pem, "", false};
  auto proxy = http::Client::Create(proxy_opts);
  if (!direct.ok() || !proxy.ok()) {
    std::fprintf(stderr, "clients failed\n");
    return 1;
  }

  std::string home =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/vk-logs-bench-", getpid());
  std::filesystem::create_directories(home);
  std::string kubeconfig = home + "/kubeconfig";
  testing::KubeconfigOptions ko;
  ko.client_certificate = true;
  if (!(*api)->WriteKubeconfig(kubeconfig, ko).ok()) return 1;

  std::printf("logs -f throughput: %lld bytes per run, %d-byte lines, %d runs per path\n",
              static_cast<long long>(f.bytes), f.line_bytes, f.runs);
  std::printf("%-8s %12s %12s %14s %10s  %s\n", "path", "best MB/s", "worst MB/s", "best lines/s", "cpu s/GB",
              "runs MB/s");
  for (const std::string& path : f.paths) {
    std::vector<Run> runs;
    for (int i = 0; i < f.runs; ++i) {
      Run r;
      if (path == "direct") {
        r = ReadWithClient(**direct, "/containerLogs/default/web/app?follow=true");
      } else if (path == "proxy") {
        r = ReadWithClient(**proxy, "/api/v1/namespaces/default/pods/web/log?follow=true&container=app");
      } else if (path == "kubectl") {
        if (access(f.kubectl.c_str(), X_OK) != 0) {
          std::printf("%-8s skipped: %s not found\n", path.c_str(), f.kubectl.c_str());
          break;
        }
        r = ReadWithKubectl(f, home, kubeconfig);
      } else {
        std::fprintf(stderr, "unknown path %s\n", path.c_str());
        return 2;
      }
      if (r.bytes != f.bytes) {
        std::fprintf(stderr, "%s: read %lld of %lld bytes\n", path.c_str(), static_cast<long long>(r.bytes),
                     static_cast<long long>(f.bytes));
      }
      runs.push_back(r);
    }
    if (runs.empty()) continue;
    std::vector<double> mbps;
    double cpu = 0;
    for (const Run& r : runs) {
      mbps.push_back(static_cast<double>(r.bytes) / r.seconds / 1e6);
      cpu += r.cpu_seconds / (static_cast<double>(r.bytes) / 1e9);
    }
    double best = *std::max_element(mbps.begin(), mbps.end());
    double worst = *std::min_element(mbps.begin(), mbps.end());
    std::string all;
    for (double m : mbps) absl::StrAppend(&all, all.empty() ? "" : " ", static_cast<int>(m));
    std::printf("%-8s %12.1f %12.1f %14.0f %10.2f  %s\n", path.c_str(), best, worst,
                best * 1e6 / f.line_bytes, cpu / static_cast<double>(runs.size()), all.c_str());
    std::fflush(stdout);
  }
  std::filesystem::remove_all(home);
  (*server)->Stop();
  return 0;
}

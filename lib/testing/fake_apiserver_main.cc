// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet-fake-apiserver: FakeApiServer as a standalone process, for manual
// use with kubectl and for `make run` without a cluster.
//
//   vkubelet-fake-apiserver --kubeconfig-out FILE [--port N] [--address A] [--tls]
//                           [--version v1.32.0] [--token T] [--require-auth]
//                           [--node-authorizer] [--watch-history N]
//
// Prints where it listens, then serves until SIGINT/SIGTERM.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "vkubelet/testing/fake_api_server.h"

namespace {

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: vkubelet-fake-apiserver --kubeconfig-out FILE [--port N] [--address A] [--tls]\n"
               "                               [--version v1.32.0] [--token T] [--require-auth]\n"
               "                               [--node-authorizer] [--watch-history N]\n"
               "\n"
               "  --kubeconfig-out FILE  write a kubeconfig pointing at the server\n"
               "  --port N               port to listen on (0 = any free port; default 0)\n"
               "  --address A            address to listen on (default 127.0.0.1)\n"
               "  --tls                  serve HTTPS with a generated CA (kept in the kubeconfig)\n"
               "  --version V            version reported by /version (kubectl adapts to it)\n"
               "  --token T              an admin bearer token (also written to the kubeconfig)\n"
               "  --require-auth         reject requests without credentials (401)\n"
               "  --node-authorizer      restrict system:node:<name> users like the Node authorizer\n"
               "  --watch-history N      watch events kept per resource for resuming watches (default 20000)\n");
}

}  // namespace

int main(int argc, char** argv) {
  vkubelet::testing::FakeApiServerOptions options;
  std::string kubeconfig_out;
  std::string token;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %.*s\n", static_cast<int>(name.size()), name.data());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--kubeconfig-out") {
      kubeconfig_out = value(arg);
    } else if (arg == "--port") {
      if (!absl::SimpleAtoi(value(arg), &options.port) || options.port < 0 || options.port > 65535) {
        std::fprintf(stderr, "invalid --port\n");
        return 2;
      }
    } else if (arg == "--address") {
      options.address = value(arg);
    } else if (arg == "--tls") {
      options.tls = true;
    } else if (arg == "--version") {
      options.version = value(arg);
    } else if (arg == "--token") {
      token = value(arg);
    } else if (arg == "--require-auth") {
      options.require_authentication = true;
    } else if (arg == "--node-authorizer") {
      options.node_authorizer = true;
    } else if (arg == "--watch-history") {
      if (!absl::SimpleAtoi(value(arg), &options.watch_history) || options.watch_history == 0) {
        std::fprintf(stderr, "invalid --watch-history\n");
        return 2;
      }
    } else if (arg == "-h" || arg == "--help") {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument: %s\n", argv[i]);
      Usage(stderr);
      return 2;
    }
  }
  if (!token.empty()) options.tokens[token] = options.default_user;

  // Block the stop signals in every thread; this one waits for them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto server = vkubelet::testing::FakeApiServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "vkubelet-fake-apiserver: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!kubeconfig_out.empty()) {
    vkubelet::testing::KubeconfigOptions ko;
    ko.token = token;
    absl::Status s = (*server)->WriteKubeconfig(kubeconfig_out, ko);
    if (!s.ok()) {
      std::fprintf(stderr, "vkubelet-fake-apiserver: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::printf("vkubelet-fake-apiserver listening on %s (version %s)%s%s\n", (*server)->url().c_str(),
              options.version.c_str(), kubeconfig_out.empty() ? "" : ", kubeconfig: ",
              kubeconfig_out.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  std::printf("vkubelet-fake-apiserver: signal %d, stopping\n", sig);
  std::fflush(stdout);
  (*server)->Stop();
  server->reset();
  return 0;
}

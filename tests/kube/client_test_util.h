// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// A scriptable HTTP endpoint for the client tests (on lib/internal/http): each
// test installs a handler and inspects the requests that arrived.

#ifndef VKUBELET_TESTS_KUBE_CLIENT_TEST_UTIL_H_
#define VKUBELET_TESTS_KUBE_CLIENT_TEST_UTIL_H_

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "internal/http/server.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/types.h"

namespace vkubelet::test {

namespace ihttp = vkubelet::internal::http;

struct SeenRequest {
  std::string method;
  std::string target;
  std::string path;
  ihttp::QueryParams query;
  ihttp::Headers headers;
  std::string body;
  std::string remote_address;
  std::string client_cn;  // TLS client certificate CN, if any
  std::string Query(const std::string& name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return v;
    }
    return "";
  }
};

class TestServer {
 public:
  using Handler = std::function<void(const SeenRequest&, std::shared_ptr<ihttp::Response>)>;

  explicit TestServer(std::optional<ihttp::ServerTlsOptions> tls = std::nullopt, int port = 0,
                      absl::Duration idle_timeout = absl::Seconds(120)) {
    ihttp::ServerOptions opts;
    opts.port = port;
    opts.idle_timeout = idle_timeout;
    opts.tls = std::move(tls);
    opts.handler_threads = 8;
    auto server = ihttp::Server::Create(opts, [this](ihttp::Request& req, std::shared_ptr<ihttp::Response> resp) {
      SeenRequest seen{req.method, req.target, req.path, req.query, req.headers, req.body, req.remote_address, ""};
      if (req.peer_certificate) seen.client_cn = req.peer_certificate->common_name;
      Handler h;
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(seen);
        h = handler_;
      }
      if (h) {
        h(seen, std::move(resp));
      } else {
        resp->Send(404, {{"Content-Type", "text/plain"}}, "no handler");
      }
    });
    REQUIRE(server.ok());
    server_ = std::move(*server);
    REQUIRE(server_->Start().ok());
  }
  ~TestServer() { server_->Stop(absl::ZeroDuration()); }

  void SetHandler(Handler h) {
    absl::MutexLock lock(&mu_);
    handler_ = std::move(h);
  }
  std::vector<SeenRequest> Requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  size_t RequestCount() const {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }
  // Waits (real time) until at least n requests arrived.
  bool AwaitRequests(size_t n, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto cond = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return requests_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  void Stop() { server_->Stop(absl::ZeroDuration()); }
  int port() const { return server_->port(); }
  std::string url(bool tls = false) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
  }

 private:
  std::unique_ptr<ihttp::Server> server_;
  mutable absl::Mutex mu_;
  std::vector<SeenRequest> requests_ ABSL_GUARDED_BY(mu_);
  Handler handler_ ABSL_GUARDED_BY(mu_);
};

// A private temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vkubelet-client-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A minimal valid pod; bound to `node` when it is not empty.
inline corev1::Pod MakePod(const std::string& ns, const std::string& name, const std::string& node = "",
                           const std::vector<std::pair<std::string, std::string>>& labels = {}) {
  corev1::Pod pod;
  pod.mutable_metadata()->set_namespace_(ns);
  pod.mutable_metadata()->set_name(name);
  for (const auto& [k, v] : labels) (*pod.mutable_metadata()->mutable_labels())[k] = v;
  corev1::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("nginx:1.27");
  if (!node.empty()) pod.mutable_spec()->set_nodename(node);
  return pod;
}

}  // namespace vkubelet::test

#endif  // VKUBELET_TESTS_KUBE_CLIENT_TEST_UTIL_H_

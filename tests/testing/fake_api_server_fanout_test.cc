// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Watch fan-out: 1,000 concurrent HTTP watchers (raw connections, no thread
// per watcher on either side) each receive every event, in order.

#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/http/client.h"
#include "nlohmann/json.hpp"
#include "vkubelet/kube/codec.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet::testing {
namespace {

namespace http = ::vkubelet::internal::http;
using nlohmann::json;

// Decodes a chunked HTTP response body (after the header) incrementally.
class ChunkedBody {
 public:
  // Appends decoded body bytes to `out`.
  void Feed(std::string_view data, std::string* out) {
    buf_.append(data.data(), data.size());
    while (true) {
      if (!header_done_) {
        size_t end = buf_.find("\r\n\r\n");
        if (end == std::string::npos) return;
        buf_.erase(0, end + 4);
        header_done_ = true;
      }
      if (remaining_ == 0) {
        size_t eol = buf_.find("\r\n");
        if (eol == std::string::npos) return;
        if (eol == 0) {  // CRLF after a chunk
          buf_.erase(0, 2);
          continue;
        }
        size_t size = 0;
        if (!absl::SimpleHexAtoi(absl::string_view(buf_).substr(0, eol), &size)) return;
        buf_.erase(0, eol + 2);
        if (size == 0) {
          ended_ = true;
          return;
        }
        remaining_ = size;
      }
      size_t take = std::min(remaining_, buf_.size());
      if (take == 0) return;
      out->append(buf_, 0, take);
      buf_.erase(0, take);
      remaining_ -= take;
    }
  }
  bool ended() const { return ended_; }

 private:
  std::string buf_;
  bool header_done_ = false;
  size_t remaining_ = 0;
  bool ended_ = false;
};

struct RawWatcher {
  absl::Mutex mu;
  ChunkedBody chunked ABSL_GUARDED_BY(mu);
  kube::JsonStreamSplitter splitter ABSL_GUARDED_BY(mu);
  std::vector<std::pair<std::string, std::string>> events ABSL_GUARDED_BY(mu);  // type, name
  std::vector<int64_t> rvs ABSL_GUARDED_BY(mu);
  std::shared_ptr<http::Connection> conn;
};

TEST_CASE("1,000 concurrent watchers receive every event in order") {
  constexpr int kWatchers = 1000;
  constexpr int kPods = 20;
  auto server = FakeApiServer::Start();
  VK_REQUIRE_OK(server);
  FakeApiServer& api = **server;
  http::ClientOptions co;
  co.port = api.port();
  auto client = http::Client::Create(co);
  VK_REQUIRE_OK(client);

  const int64_t start_rv = api.ResourceVersion();
  std::atomic<int> total{0};
  std::vector<std::unique_ptr<RawWatcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    auto w = std::make_unique<RawWatcher>();
    auto conn = (*client)->DialRaw(Context::Background().WithTimeout(absl::Seconds(20)));
    VK_REQUIRE_OK(conn);
    w->conn = *conn;
    RawWatcher* raw = w.get();
    w->conn->Start(
        [raw, &total](std::string_view data) {
          absl::MutexLock lock(&raw->mu);
          std::string body;
          raw->chunked.Feed(data, &body);
          raw->splitter.Feed(body);
          while (true) {
            auto next = raw->splitter.Next();
            if (!next.ok() || !next->has_value()) break;
            json ev = json::parse(**next);
            raw->events.emplace_back(ev["type"], ev["object"]["metadata"]["name"]);
            int64_t rv = 0;
            (void)absl::SimpleAtoi(ev["object"]["metadata"]["resourceVersion"].get<std::string>(), &rv);
            raw->rvs.push_back(rv);
            total.fetch_add(1);
          }
        },
        [](const absl::Status&) {});
    w->conn->Write(absl::StrCat("GET /api/v1/namespaces/default/pods?watch=true&resourceVersion=", start_rv,
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"));
    watchers.push_back(std::move(w));
  }
  // Every watch is registered before the first change.
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (api.OpenWatches() < static_cast<size_t>(kWatchers) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  REQUIRE(api.OpenWatches() == static_cast<size_t>(kWatchers));

  std::vector<std::pair<std::string, std::string>> expected;
  for (int i = 0; i < kPods; ++i) {
    corev1::Pod pod;
    pod.mutable_metadata()->set_name(absl::StrCat("p", i));
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name("app");
    c->set_image("nginx:1.25");
    VK_REQUIRE_OK(api.Create(pod));
    expected.emplace_back("ADDED", pod.metadata().name());
    VK_REQUIRE_OK(api.Modify<corev1::Pod>("default", pod.metadata().name(), [](corev1::Pod* p) {
      p->mutable_status()->set_phase("Running");
    }, /*status=*/true));
    expected.emplace_back("MODIFIED", pod.metadata().name());
  }
  const int want = kWatchers * static_cast<int>(expected.size());
  while (total.load() < want && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  CHECK(total.load() == want);
  int in_order = 0;
  for (auto& w : watchers) {
    absl::MutexLock lock(&w->mu);
    bool sorted = std::is_sorted(w->rvs.begin(), w->rvs.end()) &&
                  std::adjacent_find(w->rvs.begin(), w->rvs.end()) == w->rvs.end();
    if (w->events == expected && sorted) ++in_order;
  }
  CHECK(in_order == kWatchers);
  for (auto& w : watchers) w->conn->Abort();
}

}  // namespace
}  // namespace vkubelet::testing

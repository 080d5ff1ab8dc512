// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeApiServer throughput:
//   BM_WatchFanout/N   watch events/s delivered to N concurrent protobuf
//                      watchers over HTTP (items = events received by all).
//   BM_CreatePods/pb   pods/s created over HTTP (one keep-alive connection,
//                      protobuf or JSON bodies), watched by one node watcher.

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "internal/http/client.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/testing/fake_api_server.h"

namespace {

namespace http = ::vkubelet::internal::http;
using vkubelet::Context;
using vkubelet::testing::FakeApiServer;

// Counts protobuf watch frames in a chunked HTTP response, without decoding.
class FrameCounter {
 public:
  explicit FrameCounter(std::atomic<int64_t>* total) : total_(total) {}
  void Feed(std::string_view data) {
    absl::MutexLock lock(&mu_);
    buf_.append(data.data(), data.size());
    size_t pos = 0;
    while (true) {
      if (!header_done_) {
        size_t end = buf_.find("\r\n\r\n", pos);
        if (end == std::string::npos) break;
        pos = end + 4;
        header_done_ = true;
      }
      if (chunk_left_ == 0) {
        size_t eol = buf_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        if (eol == pos) {
          pos += 2;
          continue;
        }
        size_t size = 0;
        if (!absl::SimpleHexAtoi(absl::string_view(buf_).substr(pos, eol - pos), &size)) break;
        pos = eol + 2;
        chunk_left_ = size;
        if (size == 0) break;
      }
      size_t take = std::min(chunk_left_, buf_.size() - pos);
      if (take == 0) break;
      body_.append(buf_, pos, take);
      pos += take;
      chunk_left_ -= take;
    }
    buf_.erase(0, pos);
    size_t off = 0;
    while (body_.size() - off >= 4) {
      uint32_t n = (static_cast<uint8_t>(body_[off]) << 24) | (static_cast<uint8_t>(body_[off + 1]) << 16) |
                   (static_cast<uint8_t>(body_[off + 2]) << 8) | static_cast<uint8_t>(body_[off + 3]);
      if (body_.size() - off - 4 < n) break;
      off += 4 + n;
      total_->fetch_add(1, std::memory_order_relaxed);
    }
    body_.erase(0, off);
  }

 private:
  absl::Mutex mu_;
  std::string buf_;
  std::string body_;
  bool header_done_ = false;
  size_t chunk_left_ = 0;
  std::atomic<int64_t>* total_;
};

vkubelet::corev1::Pod MakePod(const std::string& name, const std::string& node) {
  vkubelet::corev1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "bench";
  pod.mutable_spec()->set_nodename(node);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  (*c->mutable_resources()->mutable_requests())["cpu"].set_string("100m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_string("64Mi");
  return pod;
}

struct Watchers {
  std::unique_ptr<http::Client> client;
  std::vector<std::shared_ptr<http::Connection>> conns;
  std::vector<std::unique_ptr<FrameCounter>> counters;
  std::atomic<int64_t> total{0};

  Watchers(FakeApiServer& api, int n, const std::string& query) {
    http::ClientOptions co;
    co.port = api.port();
    client = std::move(*http::Client::Create(co));
    for (int i = 0; i < n; ++i) {
      auto conn = client->DialRaw(Context::Background().WithTimeout(absl::Seconds(20)));
      if (!conn.ok()) std::abort();
      counters.push_back(std::make_unique<FrameCounter>(&total));
      FrameCounter* fc = counters.back().get();
      (*conn)->Start([fc](std::string_view d) { fc->Feed(d); }, [](const absl::Status&) {});
      (*conn)->Write(absl::StrCat("GET /api/v1/pods?watch=true&", query, "&resourceVersion=", api.ResourceVersion(),
                                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/vnd.kubernetes.protobuf\r\n\r\n"));
      conns.push_back(*conn);
    }
    while (api.OpenWatches() < static_cast<size_t>(n)) absl::SleepFor(absl::Milliseconds(2));
  }
  ~Watchers() {
    for (auto& c : conns) c->Abort();
  }
  void WaitFor(int64_t want) {
    absl::Time deadline = absl::Now() + absl::Seconds(120);
    while (total.load() < want && absl::Now() < deadline) absl::SleepFor(absl::Microseconds(200));
  }
};

void BM_WatchFanout(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  constexpr int kBatch = 200;
  auto api = std::move(*FakeApiServer::Start());
  Watchers w(*api, n, "labelSelector=app%3Dbench");
  int created = 0;
  for (auto _ : state) {
    absl::Time start = absl::Now();
    for (int i = 0; i < kBatch; ++i) {
      if (!api->Create(MakePod(absl::StrCat("p", created++), "n1")).ok()) std::abort();
    }
    w.WaitFor(static_cast<int64_t>(created) * n);
    state.SetIterationTime(absl::ToDoubleSeconds(absl::Now() - start));
  }
  state.SetItemsProcessed(static_cast<int64_t>(created) * n);
  state.counters["watchers"] = n;
}
BENCHMARK(BM_WatchFanout)->Arg(1)->Arg(100)->Arg(1000)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_CreatePods(benchmark::State& state) {
  const bool protobuf = state.range(0) == 1;
  auto api = std::move(*FakeApiServer::Start());
  Watchers w(*api, 1, "fieldSelector=spec.nodeName%3Dn1");
  http::ClientOptions co;
  co.port = api->port();
  auto client = std::move(*http::Client::Create(co));
  int created = 0;
  for (auto _ : state) {
    auto pod = MakePod(absl::StrCat("p", created++), "n1");
    http::ClientRequest r;
    r.method = "POST";
    r.target = "/api/v1/namespaces/default/pods";
    if (protobuf) {
      r.body = *vkubelet::kube::EncodeProtobuf(pod, "v1", "Pod");
      r.headers.Add("Content-Type", "application/vnd.kubernetes.protobuf");
      r.headers.Add("Accept", "application/vnd.kubernetes.protobuf");
    } else {
      r.body = vkubelet::kube::EncodeJson(pod, "v1", "Pod");
      r.headers.Add("Content-Type", "application/json");
      r.headers.Add("Accept", "application/json");
    }
    auto resp = client->Do(Context::Background().WithTimeout(absl::Seconds(10)), r);
    if (!resp.ok() || resp->status != 201) state.SkipWithError("create failed");
  }
  w.WaitFor(created);
  state.SetItemsProcessed(created);
  state.SetLabel(protobuf ? "protobuf" : "json");
}
BENCHMARK(BM_CreatePods)->Arg(1)->Arg(0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Kubelet API latency with 10,000 pods (a synthetic provider): encoding the
// stats Summary as JSON and the resource metrics as Prometheus text, and the
// full GET /stats/summary and GET /metrics/resource over HTTPS (keep-alive,
// client certificate authentication, an always-allow authorizer), which is
// what metrics-server pays per scrape.
//
// The HTTPS benchmarks also report cpu_ms: CPU time of the whole process
// (server threads and the client) per request, which stays meaningful when
// other work competes for the cores and wall time does not.
//
//   build-x/bench/kubelet_api_bench --benchmark_counters_tabular=true

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "internal/http/client.h"
#include "internal/tls/certs.h"
#include "stats/resource_metrics.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/stats/prometheus.h"
#include "vkubelet/stats/summary.h"

namespace {

using namespace vkubelet;
namespace http = vkubelet::internal::http;
namespace tls = vkubelet::internal::tls;

stats::Summary SyntheticSummary(int pods) {
  absl::Time t = absl::FromUnixSeconds(1700000000);
  stats::Summary s;
  s.node.node_name = "vk-bench";
  s.node.start_time = t - absl::Hours(24);
  s.node.cpu = stats::CPUStats{t, 4000000000, 9000000000000, std::nullopt};
  stats::MemoryStats nm;
  nm.time = t;
  nm.working_set_bytes = 64ull << 30;
  nm.available_bytes = 192ull << 30;
  nm.usage_bytes = 70ull << 30;
  s.node.memory = nm;
  s.pods.reserve(static_cast<size_t>(pods));
  for (int i = 0; i < pods; ++i) {
    stats::PodStats p;
    p.pod_ref = {absl::StrCat("pod-", i), absl::StrCat("tenant-", i % 50),
                 absl::StrCat("3f1c6a52-0000-4000-8000-", i)};
    p.start_time = t - absl::Hours(1);
    stats::ContainerStats c;
    c.name = "app";
    c.start_time = t - absl::Minutes(59);
    c.cpu = stats::CPUStats{t, 25000000 + static_cast<uint64_t>(i), 1500000000000 + static_cast<uint64_t>(i),
                            std::nullopt};
    stats::MemoryStats m;
    m.time = t;
    m.working_set_bytes = 100000000 + static_cast<uint64_t>(i);
    m.usage_bytes = 120000000;
    m.rss_bytes = 90000000;
    m.page_faults = 1000;
    m.major_page_faults = 1;
    c.memory = m;
    stats::FsStats fs;
    fs.time = t;
    fs.used_bytes = 4096;
    fs.inodes_used = 12;
    c.rootfs = fs;
    c.logs = fs;
    p.containers.push_back(c);
    p.cpu = c.cpu;
    p.memory = m;
    stats::NetworkStats net;
    net.time = t;
    net.default_interface = {"eth0", 123456, 0, 654321, 0};
    net.interfaces.push_back(net.default_interface);
    p.network = net;
    p.ephemeral_storage = fs;
    s.pods.push_back(std::move(p));
  }
  return s;
}

constexpr int kPods = 10000;

const stats::Summary& Shared() {
  static const stats::Summary* const kSummary = new stats::Summary(SyntheticSummary(kPods));
  return *kSummary;
}

void BM_SummaryToJson(benchmark::State& state) {
  const stats::Summary& s = Shared();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = stats::ToJson(s);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SummaryToJson)->Unit(benchmark::kMillisecond);

void BM_ResourceMetricsText(benchmark::State& state) {
  // Wrapped once, as the server gets it from the provider (wrapping it per
  // call would time a copy of the Summary).
  static const absl::StatusOr<stats::Summary>* const kWrapped = new absl::StatusOr<stats::Summary>(Shared());
  const absl::StatusOr<stats::Summary>& s = *kWrapped;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text;
    stats::PrometheusWriter w(&text);
    stats::internal::WriteResourceMetrics(s, w);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ResourceMetricsText)->Unit(benchmark::kMillisecond);

void BM_SummaryFromJson(benchmark::State& state) {
  std::string json = stats::ToJson(Shared());
  for (auto _ : state) {
    auto s = stats::SummaryFromJson(json);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_SummaryFromJson)->Unit(benchmark::kMillisecond);

// What the synthetic provider below costs per request: a copy of the
// prepared Summary (a real provider builds one).
void BM_ProviderSummaryCopy(benchmark::State& state) {
  for (auto _ : state) {
    stats::Summary copy = Shared();
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_ProviderSummaryCopy)->Unit(benchmark::kMillisecond);

// A provider whose backend hands out a copy of a prepared Summary (as a real
// one builds a fresh one per call).
class SyntheticProvider : public PodLifecycleHandler, public PodMetricsProvider {
 public:
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
  absl::StatusOr<stats::Summary> GetStatsSummary(const Context&) override { return Shared(); }
};

struct HttpFixture {
  HttpFixture() {
    auto ca = tls::GenerateCa({});
    tls::LeafOptions leaf;
    leaf.common_name = "metrics-server";
    leaf.server_auth = false;
    leaf.client_auth = true;
    auto client_cert = tls::IssueCertificate(*ca, leaf);
    api::KubeletServerOptions o;
    o.node_name = "vk-bench";
    o.address = "127.0.0.1";
    o.port = 0;
    o.self_signed = true;
    o.client_ca_pem = ca->cert_pem;
    o.authenticator = api::NewX509Authenticator();
    o.authorizer = api::NewAlwaysAllowAuthorizer();
    api::KubeletServerHandlers h;
    h.provider = std::make_shared<SyntheticProvider>();
    server = std::move(*api::KubeletServer::Create(o, h));
    if (!server->Start().ok()) std::abort();
    http::ClientOptions co;
    co.port = server->port();
    co.tls = http::ClientTlsOptions{server->serving_certificate_pem(), client_cert->cert_pem,
                                    client_cert->key_pem, "", false};
    client = std::move(*http::Client::Create(co));
  }
  std::unique_ptr<api::KubeletServer> server;
  std::unique_ptr<http::Client> client;
};

HttpFixture& Fixture() {
  static HttpFixture* const kFixture = new HttpFixture();
  return *kFixture;
}

double ProcessCpuMs() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}

void Get(benchmark::State& state, const std::string& target) {
  HttpFixture& f = Fixture();
  http::ClientRequest req;
  req.target = target;
  size_t bytes = 0;
  double cpu0 = ProcessCpuMs();
  for (auto _ : state) {
    auto resp = f.client->Do(Context::Background().WithTimeout(absl::Seconds(60)), req);
    if (!resp.ok() || resp->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
    bytes = resp->body.size();
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["cpu_ms"] =
      (ProcessCpuMs() - cpu0) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

void BM_HttpsStatsSummary(benchmark::State& state) { Get(state, "/stats/summary"); }
BENCHMARK(BM_HttpsStatsSummary)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HttpsStatsSummaryCpuAndMemory(benchmark::State& state) {
  Get(state, "/stats/summary?only_cpu_and_memory=true");
}
BENCHMARK(BM_HttpsStatsSummaryCpuAndMemory)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HttpsMetricsResource(benchmark::State& state) { Get(state, "/metrics/resource"); }
BENCHMARK(BM_HttpsMetricsResource)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Kubernetes client end to end over loopback HTTP (cpprestsdk client,
// Beast server serving pre-encoded bodies, so the numbers are the client's):
//
//  * BM_WatchEvents: watch events decoded per second through Watch<Pod>::Next,
//    protobuf vs JSON (20,000 MODIFIED events of the recorded rich pod).
//  * BM_List10k: ResourceClient<Pod>::List of 10,000 pods in pages of 500:
//    time, and the peak resident memory the list added (VmHWM reset first).
//  * BM_InformerSync10k: an Informer's initial list of the same 10,000 pods
//    until HasSynced, and the memory the cache holds afterwards per pod,
//    compared with the decoded message's own size (SpaceUsedLong).
//  * BM_StoreOverhead: the bytes the Store adds per object (index entry and
//    shared_ptr control block), measured with mallinfo2.
//
// Run a release build:
//   meson setup build-rel -Dbuildtype=release && ninja -C build-rel bench/client_bench
//   build-rel/bench/client_bench

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/http/server.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/informer.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/kube/store.h"
#include "vkubelet/types.h"

namespace {

namespace kube = vkubelet::kube;
namespace ihttp = vkubelet::internal::http;
using vkubelet::Context;
using vkubelet::corev1::Pod;
using vkubelet::corev1::PodList;

constexpr int kPods = 10000;
constexpr int kPage = 500;
constexpr int kWatchEvents = 20000;

void Require(const absl::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    std::abort();
  }
}

std::string Read(const std::string& name) {
  std::string path = std::string(VKUBELET_TESTDATA_DIR) + "/kube-apiserver-1.28.7/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::abort();
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Pod& RichPod() {
  static const Pod pod = [] {
    Pod p;
    Require(kube::DecodeProtobuf(Read("pod-rich.pb"), &p, "Pod"));
    return p;
  }();
  return pod;
}

Pod NthPod(int i) {
  Pod p = RichPod();
  p.mutable_metadata()->set_name(absl::StrCat("pod-", i));
  p.mutable_metadata()->set_uid(absl::StrCat("00000000-0000-0000-0000-", 100000000000 + i));
  p.mutable_metadata()->set_resourceversion(absl::StrCat(1000 + i));
  return p;
}

int64_t ProcStatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      int64_t kb = 0;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      (void)absl::SimpleAtoi(digits, &kb);
      return kb;
    }
  }
  return 0;
}

void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Pre-encoded responses: list pages (limit 500, continue "<page>") and one
// long watch body, in both encodings.
struct Bodies {
  std::vector<std::string> pages;
  std::string watch;
};

const Bodies& BodiesFor(kube::ContentType ct) {
  static const Bodies* pb = nullptr;
  static const Bodies* js = nullptr;
  const Bodies*& slot = ct == kube::ContentType::kProtobuf ? pb : js;
  if (slot == nullptr) {
    auto* b = new Bodies();
    for (int page = 0; page * kPage < kPods; ++page) {
      PodList list;
      list.mutable_metadata()->set_resourceversion("20000");
      if ((page + 1) * kPage < kPods) list.mutable_metadata()->set_continue_(absl::StrCat(page + 1));
      for (int i = page * kPage; i < std::min(kPods, (page + 1) * kPage); ++i) *list.add_items() = NthPod(i);
      if (ct == kube::ContentType::kProtobuf) {
        auto enc = kube::EncodeProtobuf(list, "v1", "PodList");
        Require(enc.status());
        b->pages.push_back(std::move(*enc));
      } else {
        b->pages.push_back(kube::EncodeJson(list, "v1", "PodList"));
      }
    }
    Pod p = RichPod();
    for (int i = 0; i < kWatchEvents; ++i) {
      p.mutable_metadata()->set_resourceversion(absl::StrCat(30000 + i));
      b->watch += ct == kube::ContentType::kProtobuf ? kube::EncodeProtobufWatchEvent("MODIFIED", p, "v1", "Pod")
                                                     : kube::EncodeJsonWatchEvent("MODIFIED", p, "v1", "Pod");
    }
    slot = b;
  }
  return *slot;
}

// Serves the pre-encoded bodies. Watches stream `watch` in 64 KiB chunks
// when ?events=all, otherwise stay open and empty until the client leaves.
class Server {
 public:
  Server() {
    ihttp::ServerOptions opts;
    opts.handler_threads = 4;
    auto s = ihttp::Server::Create(opts, [](ihttp::Request& req, std::shared_ptr<ihttp::Response> resp) {
      bool json = req.Header("Accept").rfind("application/json", 0) == 0;
      const Bodies& b = BodiesFor(json ? kube::ContentType::kJson : kube::ContentType::kProtobuf);
      std::string ct = json ? "application/json" : "application/vnd.kubernetes.protobuf";
      if (req.Query("watch") == "true") {
        resp->StartStream(200, {{"Content-Type", json ? ct : ct + ";stream=watch"}});
        if (req.Query("labelSelector") == "events=all") {
          for (size_t off = 0; off < b.watch.size(); off += 64 << 10) {
            if (!resp->Write(b.watch.substr(off, 64 << 10))) return;
            (void)resp->WaitWritable(resp->context(), 4 << 20);
          }
          resp->Finish();
        } else {
          resp->context().Wait();  // until the informer stops
        }
        return;
      }
      int page = 0;
      (void)absl::SimpleAtoi(req.Query("continue"), &page);
      resp->Send(200, {{"Content-Type", ct}}, b.pages.at(page));
    });
    Require(s.status());
    server_ = std::move(*s);
    Require(server_->Start());
  }
  ~Server() { server_->Stop(absl::ZeroDuration()); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  std::unique_ptr<ihttp::Server> server_;
};

Server& TheServer() {
  static Server* s = new Server();
  return *s;
}

std::shared_ptr<kube::RestClient> Client(kube::ContentType ct) {
  kube::ClientConfig cfg;
  cfg.server = TheServer().url();
  cfg.content_type = ct;
  cfg.qps = 0;
  auto c = kube::RestClient::Create(cfg);
  Require(c.status());
  return *c;
}

kube::ContentType Ct(const benchmark::State& state) {
  return state.range(0) == 0 ? kube::ContentType::kProtobuf : kube::ContentType::kJson;
}

void BM_WatchEvents(benchmark::State& state) {
  kube::ContentType ct = Ct(state);
  (void)BodiesFor(ct);
  kube::ResourceClient<Pod> pods(Client(ct));
  int64_t events = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    kube::WatchOptions wo;
    wo.label_selector = "events=all";
    auto w = pods.Watch(Context::Background(), "", wo);
    Require(w.status());
    while (true) {
      auto ev = (*w)->Next(Context::Background());
      Require(ev.status());
      if (!ev->has_value()) break;
      benchmark::DoNotOptimize((*ev)->object.get());
      ++events;
    }
    bytes += (*w)->bytes_received();
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel(ct == kube::ContentType::kProtobuf ? "protobuf" : "json");
}
BENCHMARK(BM_WatchEvents)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_List10k(benchmark::State& state) {
  kube::ContentType ct = Ct(state);
  size_t body_bytes = 0;
  for (const auto& p : BodiesFor(ct).pages) body_bytes += p.size();
  kube::ResourceClient<Pod> pods(Client(ct));
  int64_t peak_kb = 0;
  for (auto _ : state) {
    state.PauseTiming();
    malloc_trim(0);  // so that RSS counts live memory only
    ResetPeakRss();
    int64_t base_kb = ProcStatusKb("VmRSS:");
    state.ResumeTiming();
    kube::ListOptions lo;
    lo.limit = kPage;
    auto list = pods.List(Context::Background(), "", lo);
    Require(list.status());
    if (list->items_size() != kPods) std::abort();
    state.PauseTiming();
    peak_kb = std::max(peak_kb, ProcStatusKb("VmHWM:") - base_kb);
    state.ResumeTiming();
  }
  state.counters["peak_added_MiB"] = static_cast<double>(peak_kb) / 1024;
  state.counters["wire_MiB"] = static_cast<double>(body_bytes) / (1 << 20);
  state.SetItemsProcessed(state.iterations() * kPods);
  state.SetLabel(ct == kube::ContentType::kProtobuf ? "protobuf" : "json");
}
BENCHMARK(BM_List10k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_InformerSync10k(benchmark::State& state) {
  kube::ContentType ct = Ct(state);
  (void)BodiesFor(ct);
  auto client = Client(ct);
  int64_t held_kb = 0;
  double message_bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    malloc_trim(0);
    int64_t base_kb = ProcStatusKb("VmRSS:");
    state.ResumeTiming();
    kube::Informer<Pod> informer(client);
    Require(informer.Start(Context::Background()));
    if (!informer.WaitForSync(absl::Minutes(5))) std::abort();
    state.PauseTiming();
    malloc_trim(0);
    held_kb = ProcStatusKb("VmRSS:") - base_kb;
    message_bytes = 0;
    for (const auto& p : informer.lister().List()) message_bytes += static_cast<double>(p->SpaceUsedLong());
    if (informer.lister().Size() != static_cast<size_t>(kPods)) std::abort();
    informer.Stop();
    state.ResumeTiming();
  }
  state.counters["rss_per_pod_B"] = static_cast<double>(held_kb) * 1024 / kPods;
  state.counters["message_per_pod_B"] = message_bytes / kPods;
  state.SetItemsProcessed(state.iterations() * kPods);
  state.SetLabel(ct == kube::ContentType::kProtobuf ? "protobuf" : "json");
}
BENCHMARK(BM_InformerSync10k)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_StoreOverhead(benchmark::State& state) {
  double per_object = 0;
  double heap_per_pod = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::unique_ptr<Pod>> pods;
    pods.reserve(kPods);
    size_t start = mallinfo2().uordblks;
    for (int i = 0; i < kPods; ++i) pods.push_back(std::make_unique<Pod>(NthPod(i)));
    heap_per_pod = static_cast<double>(mallinfo2().uordblks - start) / kPods;
    kube::Store<Pod> store;
    size_t before = mallinfo2().uordblks;
    state.ResumeTiming();
    // What an informer does with each decoded object.
    for (auto& p : pods) store.Upsert(std::shared_ptr<const Pod>(std::move(p)));
    state.PauseTiming();
    per_object = static_cast<double>(mallinfo2().uordblks - before) / kPods;
    state.ResumeTiming();
  }
  state.counters["store_bytes_per_object"] = per_object;
  // The decoded pod itself, as malloc sees it (SpaceUsedLong leaves out the
  // allocator's per-allocation overhead).
  state.counters["pod_heap_B"] = heap_per_pod;
  state.counters["pod_SpaceUsed_B"] = static_cast<double>(RichPod().SpaceUsedLong());
  state.SetItemsProcessed(state.iterations() * kPods);
}
BENCHMARK(BM_StoreOverhead)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();

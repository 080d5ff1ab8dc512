// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// lifecycle_bench: pod lifecycle throughput, latency, CPU and memory of the
// SDK, measured end to end over HTTP with three processes:
//
//   driver (this program)  ──HTTP──>  vkubelet-fake-apiserver  <──HTTP──  SDK under test
//   creates/deletes pods,             (separate process, so its            (this program again with
//   watches them, measures            CPU and memory are not counted)      --role=node: vkubelet::Node
//                                                                           + MockProvider, nothing else)
//
// The SDK process reports its own CPU time and memory (/proc/self/stat,
// /proc/self/status, mallinfo2) and the API requests its client sent, on
// request over a pipe; so the driver's load generation and watch decoding
// never count as SDK cost.
//
// Scenarios:
//  * burst N: create N pods bound to the node as fast as the API server takes
//    them (--creators concurrent connections), wait until the driver's own
//    watch sees every pod Running, hold, delete all with the default grace
//    period (DELETE without a body), wait until the watch saw every pod gone.
//  * steady R/s for D s: open-loop creates at R pods/s; each pod is deleted
//    `--steady-lifetime` after it was seen Running, so creates and deletes
//    both run at about R/s once warmed up.
//
// Latency is measured from the moment the driver received the 201 response
// of the create (the pod exists from then; creationTimestamp has only 1 s
// resolution) to the moment the driver's watch delivered the first event with
// status.phase == Running. It therefore includes the API server's watch
// fan-out to two watchers, the SDK's work and its status PATCH.
//
// Every number is printed as a line
//   RESULT <scenario> <metric> <value> <unit>
// (bench/run collects them), followed by a readable summary.
//
// Usage (see bench/README.md):
//   lifecycle_bench [--apiserver PATH] [--pods 1000,10000] [--steady-rate 200]
//                   [--steady-duration 60] [--steady-lifetime 5] [--hold 5]
//                   [--creators 8] [--workers 10] [--node-wrapper "perf record -g -o f --"]

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "internal/http/client.h"
#include "providers/mock/mock_provider.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/log.h"
#include "vkubelet/node.h"
#include "vkubelet/types.h"

namespace {

namespace http = ::vkubelet::internal::http;
namespace kube = ::vkubelet::kube;
using vkubelet::Context;
using vkubelet::corev1::Pod;

constexpr char kNodeName[] = "vk-bench";
constexpr char kNamespace[] = "default";

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "lifecycle_bench: %s\n", msg.c_str());
  std::fflush(stderr);
  std::_Exit(1);
}

void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(absl::StrCat(what, ": ", s.ToString()));
}

// --- /proc -------------------------------------------------------------------------------------

struct SelfStats {
  double cpu_seconds = 0;   // user + system, all threads
  int64_t rss_kb = 0;       // VmRSS
  int64_t hwm_kb = 0;       // VmHWM (peak RSS since start or the last peak reset)
  int64_t heap_bytes = 0;   // malloc'd and in use (mallinfo2: uordblks + hblkhd)
  int64_t api_requests = 0; // requests the SDK's client sent
  std::map<std::string, int64_t> by_method;
  int64_t tracked = 0;      // pods the pod controller tracks
};

double ProcCpuSeconds() {
  std::ifstream in("/proc/self/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may contain spaces) start after ')'.
  size_t close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(s.substr(close + 2), ' ');
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
  if (f.size() < 14) return 0;
  int64_t ut = 0, st = 0;
  (void)absl::SimpleAtoi(f[11], &ut);
  (void)absl::SimpleAtoi(f[12], &st);
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t ProcStatusKb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) {
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      int64_t kb = 0;
      (void)absl::SimpleAtoi(digits, &kb);
      return kb;
    }
  }
  return 0;
}

// --- The SDK under test (--role=node) -----------------------------------------------------------

int RunNode(const std::map<std::string, std::string>& flags) {
  vkubelet::log::DefaultLogger()->set_level(vkubelet::log::Level::kWarning);
  kube::KubeconfigOptions ko;
  ko.path = flags.at("kubeconfig");
  auto cc = kube::LoadKubeconfig(ko);
  Check(cc.status(), "kubeconfig");
  // Client-side rate limits raised for the run (the server is local and fast).
  cc->qps = 100000;
  cc->burst = 100000;

  vkubelet::mock::MockProviderConfig mc;
  mc.node_name = kNodeName;
  mc.start_delay = absl::ZeroDuration();
  vkubelet::mock::NodeCapacity cap;
  cap.pods = "110000";
  cap.cpu = "100000";
  cap.memory = "100Ti";
  mc.capacity = cap;

  vkubelet::NodeOptions options;
  options.node_name = kNodeName;
  options.client_config = *std::move(cc);
  options.kubelet_server.address = "127.0.0.1";
  options.kubelet_server.port = 0;
  options.kubelet_server.self_signed = true;
  int workers = 10;
  if (auto it = flags.find("workers"); it != flags.end()) (void)absl::SimpleAtoi(it->second, &workers);
  options.pod_controller.workers = workers;

  vkubelet::mock::MockProvider* mock = nullptr;
  auto node = vkubelet::Node::Create(options, [&](const vkubelet::ProviderConfig& pc)
                                                  -> absl::StatusOr<std::shared_ptr<vkubelet::PodLifecycleHandler>> {
    mc.resources = pc.resources;
    mc.clock = pc.clock;
    auto p = vkubelet::mock::MockProvider::Create(mc);
    if (!p.ok()) return p.status();
    mock = p->get();
    return std::shared_ptr<vkubelet::PodLifecycleHandler>(*std::move(p));
  });
  Check(node.status(), "node");
  (void)mock;

  auto [ctx, cancel] = Context::Background().WithCancel();
  absl::Status run_status;
  std::thread runner([&, c = ctx] { run_status = (*node)->Run(c); });
  Check((*node)->WaitReady(absl::Seconds(60)), "node ready");
  std::printf("READY %d\n", static_cast<int>(getpid()));
  std::fflush(stdout);

  std::string cmd;
  while (std::getline(std::cin, cmd)) {
    if (cmd == "STATS") {
      SelfStats s;
      s.cpu_seconds = ProcCpuSeconds();
      s.rss_kb = ProcStatusKb("VmRSS:");
      s.hwm_kb = ProcStatusKb("VmHWM:");
      struct mallinfo2 mi = mallinfo2();
      s.heap_bytes = static_cast<int64_t>(mi.uordblks + mi.hblkhd);
      vkubelet::NodeMetrics m = (*node)->GetMetrics();
      s.api_requests = static_cast<int64_t>(m.api_requests);
      s.tracked = static_cast<int64_t>(m.pods.tracked_pods);
      std::string methods;
      for (const auto& series : (*node)->client()->Metrics().requests) {
        s.by_method[series.method] += static_cast<int64_t>(series.count);
      }
      for (const auto& [k, v] : s.by_method) absl::StrAppend(&methods, " ", k, "=", v);
      std::printf("STATS %.3f %lld %lld %lld %lld %lld%s\n", s.cpu_seconds, static_cast<long long>(s.rss_kb),
                  static_cast<long long>(s.hwm_kb), static_cast<long long>(s.heap_bytes),
                  static_cast<long long>(s.api_requests), static_cast<long long>(s.tracked), methods.c_str());
    } else if (cmd == "METRICS") {
      // The controller's counters, for diagnosis (one line).
      vkubelet::NodeMetrics m = (*node)->GetMetrics();
      const auto& p = m.pods;
      std::printf("METRICS syncs=%llu sync_queue=%llu delete_queue=%llu status_queue=%llu status_patches=%llu "
                  "status_unchanged=%llu notifications=%llu api_deletes=%llu creates=%llu deletes=%llu gets=%llu\n",
                  (unsigned long long)p.sync.calls, (unsigned long long)p.sync_queue.processed,
                  (unsigned long long)p.delete_queue.processed, (unsigned long long)p.status_queue.processed,
                  (unsigned long long)p.status_patch.calls, (unsigned long long)p.status_unchanged,
                  (unsigned long long)p.notifications, (unsigned long long)p.api_delete.calls,
                  (unsigned long long)p.create_pod.calls, (unsigned long long)p.delete_pod.calls,
                  (unsigned long long)p.get_pod.calls);
    } else if (cmd == "RESETPEAK") {
      std::ofstream("/proc/self/clear_refs") << "5";
      std::printf("OK\n");
    } else if (cmd == "TRIM") {
      malloc_trim(0);
      std::printf("OK\n");
    } else if (cmd == "QUIT") {
      break;
    } else {
      std::printf("ERR unknown command\n");
    }
    std::fflush(stdout);
  }
  cancel();
  runner.join();
  if (!run_status.ok()) {
    std::fprintf(stderr, "node: %s\n", run_status.ToString().c_str());
    return 1;
  }
  return 0;
}

// --- Child processes ------------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;  // its stdout
  FILE* in = nullptr;   // its stdin (nullptr when not piped)

  std::string ReadLine() {
    char buf[4096];
    if (std::fgets(buf, sizeof buf, out) == nullptr) return "";
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }
  void Stop(int sig) {
    if (in != nullptr) {
      std::fclose(in);
      in = nullptr;
    }
    if (pid > 0) {
      if (sig != 0) kill(pid, sig);
      int status = 0;
      waitpid(pid, &status, 0);
      pid = -1;
    }
    if (out != nullptr) {
      std::fclose(out);
      out = nullptr;
    }
  }
};

Child Spawn(const std::vector<std::string>& argv, bool pipe_stdin) {
  int out_pipe[2];
  int in_pipe[2] = {-1, -1};
  if (pipe(out_pipe) != 0) Die("pipe");
  if (pipe_stdin && pipe(in_pipe) != 0) Die("pipe");
  pid_t pid = fork();
  if (pid < 0) Die("fork");
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    close(out_pipe[1]);
    if (pipe_stdin) {
      dup2(in_pipe[0], 0);
      close(in_pipe[0]);
      close(in_pipe[1]);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    std::_Exit(127);
  }
  close(out_pipe[1]);
  Child c;
  c.pid = pid;
  c.out = fdopen(out_pipe[0], "r");
  if (pipe_stdin) {
    close(in_pipe[0]);
    c.in = fdopen(in_pipe[1], "w");
  }
  return c;
}

// The SDK process, driven over its stdin/stdout.
class NodeProcess {
 public:
  NodeProcess(const std::string& self, const std::string& kubeconfig, int workers, const std::string& wrapper) {
    std::vector<std::string> argv;
    if (!wrapper.empty()) argv = absl::StrSplit(wrapper, ' ', absl::SkipEmpty());
    argv.insert(argv.end(), {self, "--role=node", absl::StrCat("--kubeconfig=", kubeconfig),
                             absl::StrCat("--workers=", workers)});
    child_ = Spawn(argv, true);
    std::string line = child_.ReadLine();
    if (line.rfind("READY", 0) != 0) Die(absl::StrCat("the SDK process did not start: '", line, "'"));
  }
  ~NodeProcess() {
    if (child_.in != nullptr) {
      std::fputs("QUIT\n", child_.in);
      std::fflush(child_.in);
    }
    child_.Stop(0);
  }

  SelfStats Stats() {
    std::string line = Command("STATS");
    std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 7 || f[0] != "STATS") Die(absl::StrCat("bad STATS reply: ", line));
    SelfStats s;
    (void)absl::SimpleAtod(f[1], &s.cpu_seconds);
    (void)absl::SimpleAtoi(f[2], &s.rss_kb);
    (void)absl::SimpleAtoi(f[3], &s.hwm_kb);
    (void)absl::SimpleAtoi(f[4], &s.heap_bytes);
    (void)absl::SimpleAtoi(f[5], &s.api_requests);
    (void)absl::SimpleAtoi(f[6], &s.tracked);
    for (size_t i = 7; i < f.size(); ++i) {
      std::pair<std::string, std::string> kv = absl::StrSplit(f[i], absl::MaxSplits('=', 1));
      int64_t v = 0;
      (void)absl::SimpleAtoi(kv.second, &v);
      s.by_method[kv.first] = v;
    }
    return s;
  }
  void ResetPeak() { Command("RESETPEAK"); }
  std::string Metrics() { return Command("METRICS"); }

  // Waits until the SDK stops sending requests (events and status writes of
  // the last pods are asynchronous): two consecutive samples 250 ms apart
  // with the same request count, at most `max`.
  SelfStats Settle(absl::Duration max = absl::Seconds(15)) {
    absl::Time deadline = absl::Now() + max;
    SelfStats prev = Stats();
    int same = 0;
    while (absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(250));
      SelfStats s = Stats();
      same = s.api_requests == prev.api_requests ? same + 1 : 0;
      prev = s;
      if (same >= 2) break;
    }
    return prev;
  }

 private:
  std::string Command(const char* cmd) {
    std::fprintf(child_.in, "%s\n", cmd);
    std::fflush(child_.in);
    return child_.ReadLine();
  }
  Child child_;
};

// --- The driver ---------------------------------------------------------------------------------------

std::string PodName(int i) { return absl::StrCat("bench-", i); }

Pod MakePod(int i) {
  Pod pod;
  pod.mutable_metadata()->set_name(PodName(i));
  pod.mutable_metadata()->set_namespace_(kNamespace);
  (*pod.mutable_metadata()->mutable_labels())["app"] = "bench";
  pod.mutable_spec()->set_nodename(kNodeName);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  (*c->mutable_resources()->mutable_requests())["cpu"].set_string("100m");
  (*c->mutable_resources()->mutable_requests())["memory"].set_string("64Mi");
  auto* p = c->add_ports();
  p->set_containerport(8080);
  p->set_protocol("TCP");
  auto* e = c->add_env();
  e->set_name("MODE");
  e->set_value("bench");
  return pod;
}

// What the driver knows about each pod (index = the number in its name).
struct PodTimes {
  absl::Time create_sent = absl::InfinitePast();
  absl::Time created = absl::InfinitePast();  // 201 received
  absl::Time running = absl::InfinitePast();  // first watch event with phase Running
  absl::Time delete_sent = absl::InfinitePast();
  absl::Time gone = absl::InfinitePast();  // DELETED event
};

class Tracker {
 public:
  explicit Tracker(int capacity) : pods_(capacity) {}

  void Created(int i, absl::Time sent, absl::Time got) {
    absl::MutexLock l(&mu_);
    pods_[i].create_sent = sent;
    pods_[i].created = got;
  }
  void DeleteSent(int i, absl::Time t) {
    absl::MutexLock l(&mu_);
    pods_[i].delete_sent = t;
  }
  // From the watch.
  void Observe(kube::WatchEventType type, const Pod& pod, absl::Time now) {
    int i = Index(pod);
    if (i < 0) return;
    absl::MutexLock l(&mu_);
    PodTimes& t = pods_[i];
    if (type == kube::WatchEventType::kDeleted) {
      if (t.gone == absl::InfinitePast()) {
        t.gone = now;
        ++gone_;
      }
      return;
    }
    if (pod.status().phase() == "Running" && t.running == absl::InfinitePast()) {
      t.running = now;
      ++running_;
      if (object_bytes_ == 0) object_bytes_ = static_cast<int64_t>(pod.SpaceUsedLong());
      if (on_running_) on_running_(i, now);
    }
  }
  void OnRunning(std::function<void(int, absl::Time)> fn) {
    absl::MutexLock l(&mu_);
    on_running_ = std::move(fn);
  }
  bool WaitCount(const int* counter, int want, absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return *counter >= want; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  bool WaitRunning(int want, absl::Duration timeout) { return WaitCount(&running_, want, timeout); }
  bool WaitGone(int want, absl::Duration timeout) { return WaitCount(&gone_, want, timeout); }
  int running() {
    absl::MutexLock l(&mu_);
    return running_;
  }
  int gone() {
    absl::MutexLock l(&mu_);
    return gone_;
  }
  int64_t object_bytes() {
    absl::MutexLock l(&mu_);
    return object_bytes_;
  }
  std::vector<PodTimes> Snapshot() {
    absl::MutexLock l(&mu_);
    return pods_;
  }

 private:
  static int Index(const Pod& pod) {
    std::string_view name = pod.metadata().name();
    if (name.rfind("bench-", 0) != 0) return -1;
    int i = -1;
    if (!absl::SimpleAtoi(absl::string_view(name.data() + 6, name.size() - 6), &i)) return -1;
    return i;
  }
  absl::Mutex mu_;
  std::vector<PodTimes> pods_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int gone_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t object_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(int, absl::Time)> on_running_ ABSL_GUARDED_BY(mu_);
};

// The driver's own watch of the node's pods (a separate client and connection).
class DriverWatch {
 public:
  DriverWatch(const kube::ClientConfig& config, Tracker* tracker) : tracker_(tracker) {
    kube::ClientConfig c = config;
    c.qps = 0;
    auto client = kube::RestClient::Create(c);
    Check(client.status(), "driver client");
    client_ = *client;
    pods_ = std::make_unique<kube::ResourceClient<Pod>>(client_);
    auto [ctx, cancel] = Context::Background().WithCancel();
    ctx_ = ctx;
    cancel_ = cancel;
    // Open the first watch here so no event is missed once the constructor returns.
    OpenWatch();
    thread_ = std::thread([this] { Loop(); });
  }
  ~DriverWatch() {
    cancel_();
    {
      absl::MutexLock l(&mu_);
      if (watch_) watch_->Stop();
    }
    thread_.join();
  }

 private:
  void OpenWatch() {
    kube::WatchOptions wo;
    wo.field_selector = absl::StrCat("spec.nodeName=", kNodeName);
    wo.resource_version = rv_;
    wo.timeout = absl::Hours(1);
    auto w = pods_->Watch(ctx_, kNamespace, wo);
    Check(w.status(), "driver watch");
    absl::MutexLock l(&mu_);
    watch_ = std::shared_ptr<kube::Watch<Pod>>(std::move(*w));
  }
  void Loop() {
    while (!ctx_.Done()) {
      std::shared_ptr<kube::Watch<Pod>> w;
      {
        absl::MutexLock l(&mu_);
        w = watch_;
      }
      while (true) {
        auto ev = w->Next(ctx_);
        if (!ev.ok() || !ev->has_value()) {
          if (ctx_.Done()) return;
          if (!ev.ok()) std::fprintf(stderr, "driver watch ended: %s\n", ev.status().ToString().c_str());
          break;
        }
        const auto& e = **ev;
        if (e.type == kube::WatchEventType::kBookmark) {
          rv_ = e.object->metadata().resourceversion();
          continue;
        }
        rv_ = e.object->metadata().resourceversion();
        tracker_->Observe(e.type, *e.object, absl::Now());
      }
      if (ctx_.Done()) return;
      OpenWatch();
    }
  }

  Tracker* tracker_;
  std::shared_ptr<kube::RestClient> client_;
  std::unique_ptr<kube::ResourceClient<Pod>> pods_;
  Context ctx_ = Context::Background();
  vkubelet::CancelFn cancel_;
  std::string rv_;
  absl::Mutex mu_;
  std::shared_ptr<kube::Watch<Pod>> watch_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Sends creates and deletes over plain keep-alive connections.
class Loader {
 public:
  explicit Loader(int port) {
    http::ClientOptions co;
    co.port = port;
    co.max_idle_connections = 64;
    auto c = http::Client::Create(co);
    Check(c.status(), "http client");
    client_ = *std::move(c);
  }

  void Create(int i, Tracker* tracker) {
    static thread_local std::string body;
    body = *kube::EncodeProtobuf(MakePod(i), "v1", "Pod");
    http::ClientRequest r;
    r.method = "POST";
    r.target = absl::StrCat("/api/v1/namespaces/", kNamespace, "/pods");
    r.body = body;
    r.headers.Add("Content-Type", "application/vnd.kubernetes.protobuf");
    r.headers.Add("Accept", "application/vnd.kubernetes.protobuf");
    absl::Time sent = absl::Now();
    auto resp = client_->Do(Context::Background().WithTimeout(absl::Seconds(60)), r);
    absl::Time got = absl::Now();
    if (!resp.ok()) Die(absl::StrCat("create ", PodName(i), ": ", resp.status().ToString()));
    if (resp->status != 201) Die(absl::StrCat("create ", PodName(i), ": HTTP ", resp->status));
    tracker->Created(i, sent, got);
  }

  void Delete(int i, Tracker* tracker) {
    http::ClientRequest r;
    r.method = "DELETE";
    r.target = absl::StrCat("/api/v1/namespaces/", kNamespace, "/pods/", PodName(i));
    r.headers.Add("Accept", "application/vnd.kubernetes.protobuf");
    tracker->DeleteSent(i, absl::Now());
    auto resp = client_->Do(Context::Background().WithTimeout(absl::Seconds(60)), r);
    if (!resp.ok()) Die(absl::StrCat("delete ", PodName(i), ": ", resp.status().ToString()));
    if (resp->status != 200 && resp->status != 202 && resp->status != 404) {
      Die(absl::StrCat("delete ", PodName(i), ": HTTP ", resp->status));
    }
  }

  // Runs fn(i) for i in [begin, end) on `threads` threads.
  static void Parallel(int begin, int end, int threads, const std::function<void(int)>& fn) {
    std::atomic<int> next{begin};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int i = next++; i < end; i = next++) fn(i);
      });
    }
    for (auto& t : ts) t.join();
  }

 private:
  std::unique_ptr<http::Client> client_;
};

struct Options {
  std::string self;
  std::string apiserver;
  std::vector<int> burst_sizes;
  double steady_rate = 0;
  double steady_duration_s = 10;
  double steady_lifetime_s = 5;
  double hold_s = 5;
  int creators = 8;
  int workers = 10;
  std::string node_wrapper;
  absl::Duration timeout = absl::Minutes(10);
};

// The fake API server process plus the SDK process, fresh for each scenario.
class Setup {
 public:
  explicit Setup(const Options& o) {
    char dir_template[] = "/tmp/vkubelet-lifecycle-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) Die("mkdtemp");
    dir_ = dir_template;
    kubeconfig_ = dir_ + "/kubeconfig";
    api_ = Spawn({o.apiserver, "--kubeconfig-out", kubeconfig_, "--watch-history", "200000"}, false);
    std::string line = api_.ReadLine();
    size_t at = line.find("http://127.0.0.1:");
    if (at == std::string::npos) Die(absl::StrCat("fake API server did not start: '", line, "'"));
    std::string port_text = line.substr(at + 17);
    port_text = port_text.substr(0, port_text.find_first_not_of("0123456789"));
    if (!absl::SimpleAtoi(port_text, &port_)) Die("fake API server port");
    kube::KubeconfigOptions ko;
    ko.path = kubeconfig_;
    auto cc = kube::LoadKubeconfig(ko);
    Check(cc.status(), "kubeconfig");
    config_ = *std::move(cc);
    node_ = std::make_unique<NodeProcess>(o.self, kubeconfig_, o.workers, o.node_wrapper);
  }
  ~Setup() {
    node_.reset();
    api_.Stop(SIGTERM);
    std::remove(kubeconfig_.c_str());
    rmdir(dir_.c_str());
  }
  NodeProcess& node() { return *node_; }
  int port() const { return port_; }
  const kube::ClientConfig& client_config() const { return config_; }

 private:
  std::string dir_;
  std::string kubeconfig_;
  Child api_;
  int port_ = 0;
  kube::ClientConfig config_;
  std::unique_ptr<NodeProcess> node_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

void Result(const std::string& scenario, const std::string& metric, double value, const std::string& unit) {
  std::printf("RESULT %s %s %.6g %s\n", scenario.c_str(), metric.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

void ReportLatencies(const std::string& scenario, const std::vector<PodTimes>& times, int n) {
  std::vector<double> to_running, send_to_running, to_gone;
  for (int i = 0; i < n; ++i) {
    const PodTimes& t = times[i];
    if (t.running != absl::InfinitePast() && t.created != absl::InfinitePast()) {
      // A fast SDK can make the watch event arrive before the create response.
      to_running.push_back(std::max(0.0, absl::ToDoubleMilliseconds(t.running - t.created)));
      send_to_running.push_back(absl::ToDoubleMilliseconds(t.running - t.create_sent));
    }
    if (t.gone != absl::InfinitePast() && t.delete_sent != absl::InfinitePast()) {
      to_gone.push_back(absl::ToDoubleMilliseconds(t.gone - t.delete_sent));
    }
  }
  Result(scenario, "latency_running_p50", Percentile(to_running, 50), "ms");
  Result(scenario, "latency_running_p95", Percentile(to_running, 95), "ms");
  Result(scenario, "latency_running_p99", Percentile(to_running, 99), "ms");
  Result(scenario, "latency_running_max", Percentile(to_running, 100), "ms");
  Result(scenario, "latency_sent_running_p99", Percentile(send_to_running, 99), "ms");
  Result(scenario, "latency_gone_p50", Percentile(to_gone, 50), "ms");
  Result(scenario, "latency_gone_p99", Percentile(to_gone, 99), "ms");
}

void ReportCosts(const std::string& scenario, const SelfStats& s0, const SelfStats& s_end, int n) {
  Result(scenario, "sdk_cpu_per_pod", (s_end.cpu_seconds - s0.cpu_seconds) / n * 1e6, "us");
  Result(scenario, "api_requests_per_pod", static_cast<double>(s_end.api_requests - s0.api_requests) / n, "req");
  for (const auto& [method, count] : s_end.by_method) {
    auto it = s0.by_method.find(method);
    int64_t before = it == s0.by_method.end() ? 0 : it->second;
    Result(scenario, absl::StrCat("api_", method, "_per_pod"), static_cast<double>(count - before) / n, "req");
  }
}

void RunBurst(const Options& o, int n) {
  const std::string scenario = absl::StrCat("burst_", n);
  std::fprintf(stderr, "== %s: create %d pods, wait Running, hold %.0f s, delete, wait gone\n", scenario.c_str(), n,
               o.hold_s);
  Setup setup(o);
  Tracker tracker(n);
  DriverWatch watch(setup.client_config(), &tracker);
  Loader loader(setup.port());
  NodeProcess& node = setup.node();

  SelfStats s0 = node.Settle();
  node.ResetPeak();
  absl::Time t0 = absl::Now();
  Loader::Parallel(0, n, o.creators, [&](int i) { loader.Create(i, &tracker); });
  absl::Time created_all = absl::Now();
  if (!tracker.WaitRunning(n, o.timeout)) {
    Die(absl::StrCat(scenario, ": only ", tracker.running(), " of ", n, " pods Running in time"));
  }
  absl::Time running_all = absl::Now();
  SelfStats s1 = node.Settle();
  // Hold: the steady state with n pods.
  absl::SleepFor(absl::Seconds(o.hold_s));
  SelfStats s2 = node.Stats();

  absl::Time d0 = absl::Now();
  Loader::Parallel(0, n, o.creators, [&](int i) { loader.Delete(i, &tracker); });
  if (!tracker.WaitGone(n, o.timeout)) {
    Die(absl::StrCat(scenario, ": only ", tracker.gone(), " of ", n, " pods gone in time"));
  }
  absl::Time gone_all = absl::Now();
  SelfStats s3 = node.Settle();
  std::fprintf(stderr, "   %s\n", node.Metrics().c_str());

  std::vector<PodTimes> times = tracker.Snapshot();
  absl::Time last_running = t0;
  for (const auto& t : times) last_running = std::max(last_running, t.running);
  Result(scenario, "pods", n, "pods");
  Result(scenario, "create_rate", n / absl::ToDoubleSeconds(created_all - t0), "pods/s");
  Result(scenario, "running_rate", n / absl::ToDoubleSeconds(last_running - t0), "pods/s");
  Result(scenario, "delete_rate", n / absl::ToDoubleSeconds(gone_all - d0), "pods/s");
  ReportLatencies(scenario, times, n);
  ReportCosts(scenario, s0, s3, n);
  Result(scenario, "sdk_cpu_create_phase_per_pod", (s1.cpu_seconds - s0.cpu_seconds) / n * 1e6, "us");
  Result(scenario, "sdk_cpu_delete_phase_per_pod", (s3.cpu_seconds - s2.cpu_seconds) / n * 1e6, "us");
  Result(scenario, "sdk_cpu_hold", (s2.cpu_seconds - s1.cpu_seconds) / std::max(1e-9, o.hold_s) * 1e3,
         "ms/s");
  Result(scenario, "rss_base", s0.rss_kb / 1024.0, "MiB");
  Result(scenario, "rss_steady", s2.rss_kb / 1024.0, "MiB");
  Result(scenario, "rss_peak", s3.hwm_kb / 1024.0, "MiB");
  Result(scenario, "rss_per_pod", (s2.rss_kb - s0.rss_kb) * 1024.0 / n, "B");
  Result(scenario, "heap_per_pod", static_cast<double>(s2.heap_bytes - s0.heap_bytes) / n, "B");
  Result(scenario, "pod_object_bytes", static_cast<double>(tracker.object_bytes()), "B");
  Result(scenario, "heap_after_delete_per_pod", static_cast<double>(s3.heap_bytes - s0.heap_bytes) / n, "B");
  std::fprintf(stderr, "   created in %.2f s, all Running after %.2f s, deleted in %.2f s\n",
               absl::ToDoubleSeconds(created_all - t0), absl::ToDoubleSeconds(running_all - t0),
               absl::ToDoubleSeconds(gone_all - d0));
}

void RunSteady(const Options& o) {
  const std::string scenario = absl::StrCat("steady_", static_cast<int>(o.steady_rate));
  const int n = static_cast<int>(o.steady_rate * o.steady_duration_s);
  std::fprintf(stderr, "== %s: %.0f creates/s for %.0f s (%d pods), each deleted %.0f s after Running\n",
               scenario.c_str(), o.steady_rate, o.steady_duration_s, n, o.steady_lifetime_s);
  Setup setup(o);
  Tracker tracker(n);
  DriverWatch watch(setup.client_config(), &tracker);
  Loader loader(setup.port());
  NodeProcess& node = setup.node();

  // Deletions: due `lifetime` after Running, sent by one thread in due order.
  absl::Mutex dmu;
  std::deque<std::pair<absl::Time, int>> due;  // appended in Running order, so sorted
  bool creating_done = false;
  tracker.OnRunning([&](int i, absl::Time at) {
    absl::MutexLock l(&dmu);
    due.emplace_back(at + absl::Seconds(o.steady_lifetime_s), i);
  });

  SelfStats s0 = node.Settle();
  node.ResetPeak();
  const absl::Time t0 = absl::Now();
  std::atomic<int> next{0};
  // Open loop: pod i is due at t0 + i/rate; a pool of creators sends it as
  // soon as it is due (a slow response does not delay later pods).
  std::vector<std::thread> creators;
  for (int c = 0; c < o.creators; ++c) {
    creators.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        absl::Time at = t0 + absl::Seconds(i / o.steady_rate);
        absl::Duration wait = at - absl::Now();
        if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
        loader.Create(i, &tracker);
      }
    });
  }
  std::thread deleter([&] {
    while (true) {
      int i = -1;
      {
        absl::MutexLock l(&dmu);
        auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(dmu) {
          return creating_done || (!due.empty() && due.front().first <= absl::Now());
        };
        dmu.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(5));
        if (!due.empty() && (creating_done || due.front().first <= absl::Now())) {
          i = due.front().second;
          due.pop_front();
        } else if (creating_done && due.empty()) {
          return;
        }
      }
      if (i >= 0) loader.Delete(i, &tracker);
    }
  });
  for (auto& t : creators) t.join();
  absl::Time created_all = absl::Now();
  if (!tracker.WaitRunning(n, o.timeout)) {
    Die(absl::StrCat(scenario, ": only ", tracker.running(), " of ", n, " pods Running in time"));
  }
  SelfStats s_mid = node.Stats();
  {
    absl::MutexLock l(&dmu);
    creating_done = true;
  }
  deleter.join();
  if (!tracker.WaitGone(n, o.timeout)) {
    Die(absl::StrCat(scenario, ": only ", tracker.gone(), " of ", n, " pods gone in time"));
  }
  SelfStats s3 = node.Settle();

  std::vector<PodTimes> times = tracker.Snapshot();
  Result(scenario, "pods", n, "pods");
  Result(scenario, "offered_rate", o.steady_rate, "pods/s");
  Result(scenario, "achieved_create_rate", n / absl::ToDoubleSeconds(created_all - t0), "pods/s");
  ReportLatencies(scenario, times, n);
  ReportCosts(scenario, s0, s3, n);
  Result(scenario, "sdk_cpu_utilisation", (s_mid.cpu_seconds - s0.cpu_seconds) /
                                              absl::ToDoubleSeconds(created_all - t0) * 100, "%");
  Result(scenario, "rss_peak", s3.hwm_kb / 1024.0, "MiB");
}

int RunDriver(const std::map<std::string, std::string>& flags, const std::string& self) {
  Options o;
  o.self = self;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = flags.find(name);
    if (it == flags.end()) return std::nullopt;
    return it->second;
  };
  if (auto v = get("apiserver")) {
    o.apiserver = *v;
  } else {
    // Next to this binary in a Meson build tree: <build>/bench/ → <build>/lib/testing/.
    std::string dir = self.substr(0, self.rfind('/') + 1);
    o.apiserver = dir + "../lib/testing/vkubelet-fake-apiserver";
  }
  if (access(o.apiserver.c_str(), X_OK) != 0) Die(absl::StrCat("no fake API server at ", o.apiserver, " (--apiserver)"));
  std::string pods = get("pods").value_or("1000");
  if (pods != "0" && !pods.empty()) {
    for (absl::string_view p : absl::StrSplit(pods, ',')) {
      int n = 0;
      if (!absl::SimpleAtoi(p, &n) || n <= 0) Die("bad --pods");
      o.burst_sizes.push_back(n);
    }
  }
  auto num = [&](const char* name, double* out) {
    if (auto v = get(name)) {
      if (!absl::SimpleAtod(*v, out)) Die(absl::StrCat("bad --", name));
    }
  };
  num("steady-rate", &o.steady_rate);
  num("steady-duration", &o.steady_duration_s);
  num("steady-lifetime", &o.steady_lifetime_s);
  num("hold", &o.hold_s);
  double d = o.creators;
  num("creators", &d);
  o.creators = std::max(1, static_cast<int>(d));
  d = o.workers;
  num("workers", &d);
  o.workers = std::max(1, static_cast<int>(d));
  if (auto v = get("node-wrapper")) o.node_wrapper = *v;
  double timeout_s = 600;
  num("timeout", &timeout_s);
  o.timeout = absl::Seconds(timeout_s);

  // SIGPIPE from a dead child should show as an error, not kill the driver silently.
  signal(SIGPIPE, SIG_IGN);
  for (int n : o.burst_sizes) RunBurst(o, n);
  if (o.steady_rate > 0) RunSteady(o);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf(
          "usage: lifecycle_bench [--apiserver PATH] [--pods 1000,10000] [--hold 5]\n"
          "                       [--steady-rate 200 --steady-duration 60 --steady-lifetime 5]\n"
          "                       [--creators 8] [--workers 10] [--timeout 600]\n"
          "                       [--node-wrapper \"perf record -g -o perf.data --\"]\n"
          "Prints RESULT <scenario> <metric> <value> <unit> lines; --pods 0 skips the burst runs.\n");
      return 0;
    }
    if (a.rfind("--", 0) != 0) Die(absl::StrCat("unexpected argument ", std::string(a)));
    a.remove_prefix(2);
    size_t eq = a.find('=');
    if (eq != std::string_view::npos) {
      flags[std::string(a.substr(0, eq))] = std::string(a.substr(eq + 1));
    } else if (i + 1 < argc) {
      flags[std::string(a)] = argv[++i];
    } else {
      Die(absl::StrCat("missing value for --", std::string(a)));
    }
  }
  std::string role = flags.count("role") ? flags["role"] : "driver";
  if (role == "node") return RunNode(flags);
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) Die("readlink /proc/self/exe");
  self[len] = '\0';
  return RunDriver(flags, self);
}

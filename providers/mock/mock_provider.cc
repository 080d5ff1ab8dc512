// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The mock provider. All pod state lives in one map guarded by one mutex;
// every change re-renders the pod into a new immutable snapshot and queues
// it for the notification thread, which calls the SDK's callback without
// holding that mutex. The snapshot is the provider's only copy of the pod's
// metadata and spec (the SDK keeps the notified snapshot as its view of the
// provider's status, so one object per pod serves both). A timer thread runs
// delayed starts, injected exits and restarts on the configured Clock. Log
// lines are a function of time (a start line, one line per log_interval, a
// final line) materialised lazily, so a container costs nothing between
// reads and a fake clock can jump.

#include "providers/mock/mock_provider.h"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <queue>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/numeric/int128.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "providers/mock/ip_pool.h"
#include "providers/mock/shell.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/resource/quantity.h"

#ifndef VKUBELET_VERSION
#define VKUBELET_VERSION "0.0.0"
#endif

namespace vkubelet::mock {
namespace {

using PodPtr = std::shared_ptr<const corev1::Pod>;
using NodePtr = std::shared_ptr<const corev1::Node>;
using PodKey = std::pair<std::string, std::string>;

// The Kubernetes version the node reports, as the SDK's default does.
constexpr char kKubernetesVersion[] = "v1.31.4";
constexpr uint64_t kDefaultCpuNanoCores = 10'000'000;  // 10m
constexpr uint64_t kDefaultMemoryBytes = 16ull << 20;  // 16Mi
constexpr char kReasonPodDeleted[] = "MockProviderPodDeleted";
constexpr char kDeletedMessage[] = "Mock provider terminated container upon deletion";

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string KeyString(const PodKey& k) { return absl::StrCat(k.first, "/", k.second); }

void SetTime(absl::Time t, metav1::Time* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

std::string_view BuildArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

// --- Deterministic identifiers ---------------------------------------------------------

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// 64 hex digits derived from `seed`: looks like a sha256 digest, is stable.
std::string Hex64(std::string_view seed) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  uint64_t h = Fnv1a(seed);
  for (int word = 0; word < 4; ++word) {
    h = Mix(h + static_cast<uint64_t>(word));
    for (int i = 15; i >= 0; --i) out.push_back(kDigits[(h >> (i * 4)) & 0xf]);
  }
  return out;
}

// "nginx:1.25" → "docker.io/library/nginx:1.25", as container runtimes report it.
std::string NormalizeImage(const std::string& image) {
  std::string name = image.empty() ? "scratch" : image;
  size_t slash = name.find('/');
  std::string first = slash == std::string::npos ? "" : name.substr(0, slash);
  bool has_registry = !first.empty() && (first.find('.') != std::string::npos ||
                                         first.find(':') != std::string::npos || first == "localhost");
  if (!has_registry) name = absl::StrCat("docker.io/", slash == std::string::npos ? "library/" : "", name);
  size_t last_slash = name.find_last_of('/');
  bool tagged = name.find(':', last_slash) != std::string::npos || name.find('@') != std::string::npos;
  if (!tagged) name += ":latest";
  return name;
}

std::string ImageId(const std::string& normalized) {
  size_t at = normalized.find('@');
  if (at != std::string::npos) return normalized;
  size_t colon = normalized.find(':', normalized.find_last_of('/'));
  std::string repo = normalized.substr(0, colon);
  return absl::StrCat(repo, "@sha256:", Hex64(normalized));
}

// --- Quantities from the pod spec ----------------------------------------------------------

std::optional<resource::Quantity> Lookup(const google::protobuf::Map<std::string, resourcepb::Quantity>& list,
                                         const std::string& name) {
  auto it = list.find(name);
  if (it == list.end()) return std::nullopt;
  auto q = resource::Quantity::FromProto(it->second);
  if (!q.ok()) return std::nullopt;
  return *q;
}

uint64_t Clamp(int64_t v) { return v < 0 ? 0 : static_cast<uint64_t>(v); }

// Usage a container reports: its request, else half its limit, else a default.
uint64_t DerivedUsage(const corev1::Container& c, const std::string& resource_name, bool cpu,
                      const std::optional<resource::Quantity>& override_value) {
  auto scaled = [cpu](const resource::Quantity& q) {
    return Clamp(cpu ? q.ScaledValue(resource::kNano) : q.Value());
  };
  if (override_value) return scaled(*override_value);
  if (auto r = Lookup(c.resources().requests(), resource_name); r && r->Sign() > 0) return scaled(*r);
  if (auto l = Lookup(c.resources().limits(), resource_name); l && l->Sign() > 0) return scaled(*l) / 2;
  return cpu ? kDefaultCpuNanoCores : kDefaultMemoryBytes;
}

// The pod's QoS class, as the API server computes it, for pods that arrive
// without one.
std::string QosClass(const corev1::PodSpec& spec) {
  bool any = false;
  bool guaranteed = true;
  auto visit = [&](const corev1::Container& c) {
    for (const char* r : {"cpu", "memory"}) {
      auto req = Lookup(c.resources().requests(), r);
      auto lim = Lookup(c.resources().limits(), r);
      if ((req && !req->IsZero()) || (lim && !lim->IsZero())) any = true;
      if (!lim || lim->IsZero() || (req && *req != *lim)) guaranteed = false;
    }
  };
  for (const auto& c : spec.initcontainers()) visit(c);
  for (const auto& c : spec.containers()) visit(c);
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

// --- Annotations ---------------------------------------------------------------------------

struct Injected {
  std::optional<std::string> fail_create;
  std::optional<absl::Duration> start_delay;
  std::optional<int32_t> exit_code;
  absl::Duration exit_after;
  int32_t delete_exit_code = 0;
  std::optional<resource::Quantity> cpu_usage;
  std::optional<resource::Quantity> memory_usage;
};

absl::StatusOr<Injected> ReadAnnotations(const corev1::Pod& pod, const MockProviderConfig& config) {
  Injected out;
  out.exit_after = config.exit_after;
  out.delete_exit_code = config.delete_exit_code;
  const auto& a = pod.metadata().annotations();
  auto bad = [](const char* key, const std::string& value, std::string_view why) {
    return errdefs::InvalidInput(
        absl::StrCat("annotation ", key, ": invalid value \"", value, "\": ", Absl(why)));
  };
  auto duration = [&](const char* key, std::optional<absl::Duration>* target) -> absl::Status {
    auto it = a.find(key);
    if (it == a.end()) return absl::OkStatus();
    absl::Duration d;
    if (!absl::ParseDuration(it->second, &d) || d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return bad(key, it->second, "expected a duration such as \"2s\" or \"1m30s\"");
    }
    *target = d;
    return absl::OkStatus();
  };
  auto code = [&](const char* key, std::optional<int32_t>* target) -> absl::Status {
    auto it = a.find(key);
    if (it == a.end()) return absl::OkStatus();
    int32_t v = 0;
    if (!absl::SimpleAtoi(it->second, &v) || v < 0 || v > 255) {
      return bad(key, it->second, "expected an exit code from 0 to 255");
    }
    *target = v;
    return absl::OkStatus();
  };
  auto quantity = [&](const char* key, std::optional<resource::Quantity>* target) -> absl::Status {
    auto it = a.find(key);
    if (it == a.end()) return absl::OkStatus();
    auto q = resource::Quantity::Parse(it->second);
    if (!q.ok() || q->Sign() < 0)
      return bad(key, it->second, "expected a non-negative quantity such as \"250m\"");
    *target = *q;
    return absl::OkStatus();
  };
  if (auto it = a.find(kAnnotationFailCreate); it != a.end()) out.fail_create = it->second;
  if (auto s = duration(kAnnotationStartDelay, &out.start_delay); !s.ok()) return s;
  if (auto s = code(kAnnotationExitCode, &out.exit_code); !s.ok()) return s;
  std::optional<absl::Duration> exit_after;
  if (auto s = duration(kAnnotationExitAfter, &exit_after); !s.ok()) return s;
  if (exit_after) out.exit_after = *exit_after;
  std::optional<int32_t> delete_code;
  if (auto s = code(kAnnotationDeleteExitCode, &delete_code); !s.ok()) return s;
  if (delete_code) out.delete_exit_code = *delete_code;
  if (auto s = quantity(kAnnotationCpuUsage, &out.cpu_usage); !s.ok()) return s;
  if (auto s = quantity(kAnnotationMemoryUsage, &out.memory_usage); !s.ok()) return s;
  return out;
}

// --- Runtime state -----------------------------------------------------------------------

struct LogLine {
  absl::Time time;
  bool is_stderr = false;
  std::string text;
};

// The lines kept of one run, oldest first: a vector whose consumed prefix is
// dropped once it is half of it. (A std::deque costs about 600 bytes even for
// the single start line most runs have when nobody reads their log.)
class LogLines {
 public:
  using const_iterator = std::vector<LogLine>::const_iterator;
  size_t size() const { return lines_.size() - head_; }
  bool empty() const { return size() == 0; }
  const LogLine& operator[](size_t i) const { return lines_[head_ + i]; }
  const_iterator begin() const { return lines_.begin() + static_cast<ptrdiff_t>(head_); }
  const_iterator end() const { return lines_.end(); }
  void push_back(LogLine line) { lines_.push_back(std::move(line)); }
  void pop_front() {
    ++head_;
    if (head_ * 2 >= lines_.size()) {
      lines_.erase(lines_.begin(), lines_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
  }
  void clear() {
    lines_.clear();
    head_ = 0;
  }

 private:
  std::vector<LogLine> lines_;
  size_t head_ = 0;
};

// One run of a container: its log, from the start line to the final line.
struct LogInstance {
  absl::Time start;
  std::optional<absl::Time> end;  // set when the run ended
  int32_t exit_code = 0;
  std::string end_reason;
  int64_t next_tick = 1;  // the next periodic line is start + next_tick * interval
  bool final_written = false;
  LogLines lines;
  int64_t first_seq = 0;  // sequence number of lines.front()
  int64_t end_seq() const { return first_seq + static_cast<int64_t>(lines.size()); }
};
using LogPtr = std::shared_ptr<LogInstance>;

enum class CState { kWaiting, kRunning, kTerminated };

struct ContainerRt {
  std::string name;
  bool init = false;
  bool sidecar = false;  // an init container with restartPolicy Always
  std::string image;     // normalized
  CState state = CState::kWaiting;
  std::string waiting_reason = "ContainerCreating";
  std::string waiting_message;
  int32_t restart_count = 0;
  absl::Time started_at;
  bool ever_started = false;
  absl::Time finished_at;
  int32_t exit_code = 0;
  std::string term_reason;
  std::string term_message;
  std::optional<corev1::ContainerStateTerminated> last_state;
  std::string container_id;
  std::vector<LogPtr> logs;  // the previous run (if any) and the current one

  // Usage: a rate while running, folded into `cpu_total` on every change.
  uint64_t cpu_rate = 0;  // nanocores
  uint64_t memory = 0;    // bytes
  uint64_t cpu_total = 0;
  absl::Time cpu_since;

  bool running() const { return state == CState::kRunning; }
};

// The pod conditions the mock reports, in the order it lists them.
enum ConditionType {
  kReadyToStartContainers,
  kInitialized,
  kReady,
  kContainersReady,
  kScheduled,
  kConditionTypes
};
constexpr const char* kConditionTypeNames[kConditionTypes] = {"PodReadyToStartContainers", "Initialized",
                                                              "Ready", "ContainersReady", "PodScheduled"};

struct Condition {
  bool set = false;  // reported at all
  bool status = false;
  absl::Time time;  // of the last change of `status`
  std::string reason;
  std::string message;
};

struct PodRt {
  uint64_t epoch = 0;
  std::string qos_class;
  std::string pod_ip;
  bool host_network = false;
  absl::Time created;
  bool started = false;
  bool deleted = false;
  Injected injected;
  std::vector<ContainerRt> init;
  std::vector<ContainerRt> main;
  std::array<Condition, kConditionTypes> conditions;
  // Metadata and spec as last given, status as last rendered. Immutable once
  // published (GetPod, notifications and the SDK share it); between
  // CreatePod/UpdatePod and their Publish (under the mutex, so never seen by
  // anyone) it is the new pod without a status.
  PodPtr snapshot;
};

enum class TimerKind { kStart, kExit, kRestart };

struct Timer {
  absl::Time at;
  uint64_t seq = 0;
  PodKey key;
  uint64_t epoch = 0;
  TimerKind kind = TimerKind::kStart;
  size_t container = 0;
  int32_t restart_count = 0;
};
struct TimerLater {
  bool operator()(const Timer& a, const Timer& b) const { return a.at != b.at ? a.at > b.at : a.seq > b.seq; }
};

struct Note {
  PodPtr pod;
  NodePtr node;
};

uint64_t CpuUsage(const ContainerRt& c, absl::Time now) {
  if (!c.running() || now <= c.cpu_since) return c.cpu_total;
  absl::uint128 elapsed_ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(now - c.cpu_since));
  absl::uint128 used = elapsed_ns * c.cpu_rate / 1'000'000'000u;
  return c.cpu_total + absl::Uint128Low64(used);
}

void FoldCpu(ContainerRt* c, absl::Time now) {
  c->cpu_total = CpuUsage(*c, now);
  c->cpu_since = now;
}

std::string CommandLine(const corev1::Container& c) {
  std::vector<std::string> words(c.command().begin(), c.command().end());
  words.insert(words.end(), c.args().begin(), c.args().end());
  for (auto& w : words) {
    if (w.empty() || w.find_first_of(" \t\"'") != std::string::npos) w = absl::StrCat("\"", w, "\"");
  }
  return words.empty() ? "<image entrypoint>" : absl::StrJoin(words, " ");
}

std::string FormatLogTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone());
}

}  // namespace

uint8_t GeneratorByte(uint64_t offset) { return static_cast<uint8_t>(Mix(offset) & 0xff); }

// =================================================================================================

class MockProvider::Impl {
 public:
  Impl(const MockProviderConfig& config, NodeCapacity capacity, internal::IpPool ips)
      : config_(config),
        clock_(config.clock != nullptr ? config.clock : Clock::Real()),
        capacity_(std::move(capacity)),
        start_time_(clock_->Now()),
        ips_(std::move(ips)) {
    if (config_.log_interval <= absl::ZeroDuration()) config_.log_interval = absl::Seconds(5);
    if (config_.max_log_lines == 0) config_.max_log_lines = 1;
    timer_thread_ = std::thread([this] { TimerLoop(); });
    notify_thread_ = std::thread([this] { NotifyLoop(); });
  }

  ~Impl() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      timer_cv_.SignalAll();
      changed_.SignalAll();
    }
    {
      absl::MutexLock lock(&notify_mu_);
      notify_stopping_ = true;
      notify_cv_.SignalAll();
    }
    timer_thread_.join();
    notify_thread_.join();
  }

  const NodeCapacity& capacity() const { return capacity_; }

  // --- Lifecycle --------------------------------------------------------------------------

  absl::Status CreatePod(const corev1::Pod& pod) {
    const auto& meta = pod.metadata();
    if (meta.name().empty()) return errdefs::InvalidInput("the pod has no name");
    if (meta.namespace_().empty()) return errdefs::InvalidInput("the pod has no namespace");
    PodKey key{meta.namespace_(), meta.name()};
    auto injected = ReadAnnotations(pod, config_);
    if (!injected.ok()) return errdefs::Annotate(injected.status(), absl::StrCat("pod ", KeyString(key)));
    if (injected->fail_create) {
      return errdefs::InvalidInput(injected->fail_create->empty()
                                       ? std::string("creation failed (mock.vkubelet.io/fail-create)")
                                       : *injected->fail_create);
    }

    absl::MutexLock lock(&mu_);
    if (pods_.count(key) != 0) {
      return errdefs::AlreadyExists(
          absl::StrCat("pod ", KeyString(key), " already exists in the mock provider"));
    }
    auto rt = std::make_unique<PodRt>();
    rt->host_network = pod.spec().hostnetwork();
    if (!rt->host_network) {
      std::optional<std::string> ip = ips_.Allocate();
      if (!ip) {
        return errdefs::Unavailable(
            absl::StrCat("no free pod IP left in ", config_.pod_cidr, " for pod ", KeyString(key)));
      }
      rt->pod_ip = *ip;
    }
    const absl::Time now = clock_->Now();
    rt->epoch = ++next_epoch_;
    std::shared_ptr<corev1::Pod> draft = Draft(pod);
    rt->snapshot = draft;
    rt->qos_class = pod.status().qosclass().empty() ? QosClass(pod.spec()) : pod.status().qosclass();
    rt->created = now;
    rt->injected = *std::move(injected);
    const bool has_init =
        std::any_of(pod.spec().initcontainers().begin(), pod.spec().initcontainers().end(),
                    [](const corev1::Container& c) { return c.restartpolicy() != "Always"; });
    auto add = [&](const corev1::Container& c, bool init, std::vector<ContainerRt>* out) {
      ContainerRt rc;
      rc.name = c.name();
      rc.init = init;
      rc.sidecar = init && c.restartpolicy() == "Always";
      rc.image = NormalizeImage(c.image());
      rc.waiting_reason = (!init && has_init) || (init && has_init) ? "PodInitializing" : "ContainerCreating";
      out->push_back(std::move(rc));
    };
    for (const auto& c : pod.spec().initcontainers()) add(c, true, &rt->init);
    for (const auto& c : pod.spec().containers()) add(c, false, &rt->main);
    SetUsage(rt.get(), now);

    PodRt* p = rt.get();
    pods_.emplace(key, std::move(rt));
    absl::Duration delay = p->injected.start_delay.value_or(config_.start_delay);
    if (delay <= absl::ZeroDuration()) {
      StartPod(key, p, now);
    } else {
      AddTimer(Timer{now + delay, 0, key, p->epoch, TimerKind::kStart, 0, 0});
    }
    Publish(p, now, std::move(draft));
    return absl::OkStatus();
  }

  absl::Status UpdatePod(const corev1::Pod& pod) {
    PodKey key{pod.metadata().namespace_(), pod.metadata().name()};
    auto injected = ReadAnnotations(pod, config_);
    if (!injected.ok()) return errdefs::Annotate(injected.status(), absl::StrCat("pod ", KeyString(key)));
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(key);
    if (it == pods_.end()) return NotKnown(key);
    PodRt* p = it->second.get();
    const auto& spec = pod.spec();
    if (spec.containers_size() != static_cast<int>(p->main.size()) ||
        spec.initcontainers_size() != static_cast<int>(p->init.size())) {
      return errdefs::InvalidInput(
          absl::StrCat("pod ", KeyString(key), ": containers cannot be added or removed"));
    }
    for (size_t i = 0; i < p->main.size(); ++i) {
      if (spec.containers(static_cast<int>(i)).name() != p->main[i].name) {
        return errdefs::InvalidInput(absl::StrCat("pod ", KeyString(key), ": containers cannot be renamed"));
      }
    }
    const absl::Time now = clock_->Now();
    std::shared_ptr<corev1::Pod> draft = Draft(pod);
    p->snapshot = draft;
    p->injected = *std::move(injected);
    // A new image restarts the container, as the kubelet does.
    auto restart_changed = [&](std::vector<ContainerRt>& list, const auto& containers) {
      for (size_t i = 0; i < list.size(); ++i) {
        ContainerRt& c = list[i];
        std::string image = NormalizeImage(containers.Get(static_cast<int>(i)).image());
        if (image == c.image) continue;
        c.image = image;
        if (c.running()) {
          Terminate(&c, 0, "Completed", "Container definition changed; restarted with the new image", now);
          Restart(key, p, &c, i, now);
        }
      }
    };
    restart_changed(p->main, spec.containers());
    restart_changed(p->init, spec.initcontainers());
    SetUsage(p, now);
    Publish(p, now, std::move(draft));
    return absl::OkStatus();
  }

  absl::Status DeletePod(const corev1::Pod& pod) {
    PodKey key{pod.metadata().namespace_(), pod.metadata().name()};
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(key);
    if (it == pods_.end()) return NotKnown(key);
    PodRt* p = it->second.get();
    const absl::Time now = clock_->Now();
    const int32_t code = p->injected.delete_exit_code;
    for (auto* list : {&p->init, &p->main}) {
      for (ContainerRt& c : *list) {
        if (c.state == CState::kTerminated) continue;
        Terminate(&c, code, code == 0 ? "Completed" : "Error", kDeletedMessage, now);
      }
    }
    p->deleted = true;
    Publish(p, now);
    for (auto* list : {&p->init, &p->main}) {
      for (const ContainerRt& c : *list) deleted_cpu_ += c.cpu_total;
    }
    if (!p->pod_ip.empty()) ips_.Release(p->pod_ip);
    pods_.erase(it);
    changed_.SignalAll();
    return absl::OkStatus();
  }

  absl::StatusOr<PodPtr> GetPod(std::string_view ns, std::string_view name) {
    PodKey key{std::string(ns), std::string(name)};
    absl::MutexLock lock(&mu_);
    auto it = pods_.find(key);
    if (it == pods_.end()) return NotKnown(key);
    return it->second->snapshot;
  }

  absl::StatusOr<std::vector<PodPtr>> GetPods() {
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    out.reserve(pods_.size());
    for (const auto& [key, p] : pods_) out.push_back(p->snapshot);
    return out;
  }

  // --- Notifications ----------------------------------------------------------------------

  void NotifyPods(const Context& ctx, std::function<void(PodPtr)> callback) {
    absl::MutexLock lock(&notify_mu_);
    pod_callback_ = std::make_shared<std::function<void(PodPtr)>>(std::move(callback));
    pod_callback_ctx_ = ctx;
  }

  void NotifyNodeStatus(const Context& ctx, std::function<void(NodePtr)> callback) {
    absl::MutexLock lock(&notify_mu_);
    node_callback_ = std::make_shared<std::function<void(NodePtr)>>(std::move(callback));
    node_callback_ctx_ = ctx;
  }

  // --- Node -------------------------------------------------------------------------------

  absl::Status Ping(const Context& ctx) {
    if (ctx.Done()) return ctx.Err();
    absl::MutexLock lock(&mu_);
    return ping_error_;
  }

  void SetPingError(absl::Status error) {
    absl::MutexLock lock(&mu_);
    ping_error_ = std::move(error);
  }

  void ConfigureNode(corev1::Node* node) {
    const absl::Time now = clock_->Now();
    auto* status = node->mutable_status();
    resource::ResourceList list;
    auto put = [&](const std::string& name, const std::string& value) {
      auto q = resource::Quantity::Parse(value);  // validated in Create
      if (q.ok()) list[name] = *q;
    };
    put("cpu", capacity_.cpu);
    put("memory", capacity_.memory);
    put("pods", capacity_.pods);
    for (const auto& [name, value] : capacity_.others) put(name, value);
    resource::ResourceListToProto(list, status->mutable_capacity());
    resource::ResourceListToProto(list, status->mutable_allocatable());
    if (!capacity_.provider_id.empty()) node->mutable_spec()->set_providerid(capacity_.provider_id);

    struct Cond {
      const char* type;
      const char* status;
      const char* reason;
      const char* message;
    };
    static constexpr Cond kConditions[] = {
        {"Ready", "False", "KubeletPending", "kubelet is pending."},
        {"MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
        {"DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
        {"PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
        {"NetworkUnavailable", "False", "RouteCreated", "RouteController created a route"},
    };
    auto* conditions = status->mutable_conditions();
    for (const Cond& want : kConditions) {
      corev1::NodeCondition* c = nullptr;
      for (auto& existing : *conditions) {
        if (existing.type() == want.type) c = &existing;
      }
      if (c == nullptr) c = conditions->Add();
      c->set_type(want.type);
      c->set_status(want.status);
      c->set_reason(want.reason);
      c->set_message(want.message);
      SetTime(now, c->mutable_lastheartbeattime());
      SetTime(now, c->mutable_lasttransitiontime());
    }

    auto* info = status->mutable_nodeinfo();
    info->set_operatingsystem(config_.operating_system);
    info->set_architecture(std::string(BuildArchitecture()));
    info->set_kubeletversion(absl::StrCat(kKubernetesVersion, "-vkubelet-", VKUBELET_VERSION));
    info->set_containerruntimeversion(absl::StrCat("mock://", VKUBELET_VERSION));
    info->set_osimage("vkubelet mock provider");
    info->set_kernelversion("0.0.0-mock");
    info->set_machineid(Hex64(config_.node_name).substr(0, 32));
    info->set_systemuuid(Hex64(absl::StrCat("uuid/", config_.node_name)).substr(0, 32));

    auto set_address = [&](const char* type, const std::string& address) {
      for (auto& a : *status->mutable_addresses()) {
        if (a.type() == type) {
          a.set_address(address);
          return;
        }
      }
      auto* a = status->add_addresses();
      a->set_type(type);
      a->set_address(address);
    };
    set_address("InternalIP", HostIp());
    set_address("Hostname", config_.node_name);
    status->mutable_daemonendpoints()->mutable_kubeletendpoint()->set_port(config_.daemon_port);

    auto* labels = node->mutable_metadata()->mutable_labels();
    (*labels)["alpha.service-controller.kubernetes.io/exclude-balancer"] = "true";
    (*labels)["node.kubernetes.io/exclude-from-external-load-balancers"] = "true";

    absl::MutexLock lock(&mu_);
    node_ = std::make_shared<const corev1::Node>(*node);
  }

  absl::Status UpdateNode(const std::function<void(corev1::Node*)>& mutate) {
    absl::MutexLock lock(&mu_);
    if (!node_) return absl::FailedPreconditionError("ConfigureNode has not run yet");
    auto next = std::make_shared<corev1::Node>(*node_);
    mutate(next.get());
    node_ = next;
    Enqueue(Note{nullptr, node_});
    return absl::OkStatus();
  }

  // --- Stats ------------------------------------------------------------------------------

  stats::Summary StatsSummary() {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    stats::Summary s;
    s.node.node_name = config_.node_name;
    s.node.start_time = start_time_;
    uint64_t node_rate = 0, node_cpu = deleted_cpu_, node_memory = 0;
    for (const auto& [key, p] : pods_) {
      uint64_t pod_rate = 0, pod_cpu = 0, pod_memory = 0;
      stats::PodStats ps;
      const auto& meta = p->snapshot->metadata();
      ps.pod_ref = {meta.name(), meta.namespace_(), meta.uid()};
      ps.start_time = p->created;
      for (const auto* list : {&p->init, &p->main}) {
        for (const ContainerRt& c : *list) {
          const uint64_t cpu = CpuUsage(c, now);
          pod_cpu += cpu;
          if (!c.running()) continue;
          pod_rate += c.cpu_rate;
          pod_memory += c.memory;
          stats::ContainerStats cs;
          cs.name = c.name;
          cs.start_time = c.started_at;
          cs.cpu = stats::CPUStats{now, c.cpu_rate, cpu, std::nullopt};
          cs.memory = MemoryStatsFor(c.memory, now);
          ps.containers.push_back(std::move(cs));
        }
      }
      node_rate += pod_rate;
      node_cpu += pod_cpu;
      node_memory += pod_memory;
      if (!p->started || p->deleted || p->snapshot->status().phase() != "Running") continue;
      ps.cpu = stats::CPUStats{now, pod_rate, pod_cpu, std::nullopt};
      ps.memory = MemoryStatsFor(pod_memory, now);
      s.pods.push_back(std::move(ps));
    }
    s.node.cpu = stats::CPUStats{now, node_rate, node_cpu, std::nullopt};
    s.node.memory = MemoryStatsFor(node_memory, now);
    if (auto cap = resource::Quantity::Parse(capacity_.memory); cap.ok()) {
      uint64_t total = Clamp(cap->Value());
      s.node.memory->available_bytes = total > node_memory ? total - node_memory : 0;
    }
    return s;
  }

  // --- Logs -------------------------------------------------------------------------------

  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& req, ByteWriter& out) {
    const ContainerLogOptions& o = req.options;
    PodKey key{req.namespace_, req.pod};
    LogPtr inst;
    uint64_t epoch = 0;
    std::vector<LogLine> lines;
    int64_t cursor = 0;
    {
      absl::MutexLock lock(&mu_);
      auto found = FindContainer(key, req.container);
      if (!found.ok()) return found.status();
      auto [p, c] = *found;
      epoch = p->epoch;
      if (o.previous) {
        if (c->logs.size() < 2) {
          return errdefs::NotFound(absl::StrCat("previous terminated container \"", req.container,
                                                "\" in pod \"", req.pod, "\" not found"));
        }
        inst = c->logs[c->logs.size() - 2];
      } else {
        if (c->logs.empty()) {
          return errdefs::InvalidInput(absl::StrCat("container \"", req.container, "\" in pod \"", req.pod,
                                                    "\" is waiting to start: ", c->waiting_reason));
        }
        inst = c->logs.back();
      }
      const absl::Time now = clock_->Now();
      CatchUp(c->name, inst.get(), now);
      for (const LogLine& l : inst->lines) {
        if (Selected(l, o, now)) lines.push_back(l);
      }
      cursor = inst->end_seq();
    }
    if (o.tail_lines && lines.size() > static_cast<size_t>(std::max<int64_t>(0, *o.tail_lines))) {
      lines.erase(lines.begin(), lines.end() - static_cast<ptrdiff_t>(std::max<int64_t>(0, *o.tail_lines)));
    }
    int64_t budget = o.limit_bytes.value_or(-1);
    auto emit = [&](const std::vector<LogLine>& batch) -> absl::Status {
      std::string text;
      for (const LogLine& l : batch) {
        if (o.timestamps) absl::StrAppend(&text, FormatLogTime(l.time), " ");
        absl::StrAppend(&text, l.text, "\n");
      }
      if (budget >= 0 && static_cast<int64_t>(text.size()) >= budget) {
        text.resize(static_cast<size_t>(budget));
        budget = 0;
      } else if (budget >= 0) {
        budget -= static_cast<int64_t>(text.size());
      }
      if (!text.empty()) {
        if (auto s = out.Write(text); !s.ok()) return s;
      }
      return budget == 0 ? absl::CancelledError("limit reached") : absl::OkStatus();
    };
    absl::Status s = emit(lines);
    if (!s.ok()) return budget == 0 ? absl::OkStatus() : s;
    if (!o.follow || o.previous) return absl::OkStatus();
    s = Follow(ctx, key, epoch, req.container, inst, cursor, o, emit);
    return budget == 0 ? absl::OkStatus() : s;
  }

  // --- Exec and attach --------------------------------------------------------------------

  absl::Status RunInContainer(const Context& ctx, const ExecRequest& req, AttachIO& io) {
    PodPtr pod;
    {
      absl::MutexLock lock(&mu_);
      auto found = FindRunning({req.namespace_, req.pod}, req.container);
      if (!found.ok()) return found.status();
      pod = found->first->snapshot;
    }
    if (req.command.empty()) return errdefs::InvalidInput("no command to run");
    const corev1::Container* spec = ContainerSpec(*pod, req.container);
    internal::ShellContext sc = ShellContextFor(ctx, *pod, *spec, io.Tty());

    absl::Mutex size_mu;
    std::optional<TermSize> size;
    sc.term_size = [&]() -> std::optional<TermSize> {
      absl::MutexLock lock(&size_mu);
      return size;
    };
    auto [resize_ctx, stop_resize] = ctx.WithCancel();
    std::thread resizer;
    if (io.Tty()) {
      resizer = std::thread([&io, &size_mu, &size, rctx = resize_ctx] {
        while (std::optional<TermSize> s = io.NextResize(rctx)) {
          absl::MutexLock lock(&size_mu);
          size = *s;
        }
      });
    }
    internal::AttachShellStreams streams(io);
    int code = internal::RunCommand(req.command, sc, streams);
    stop_resize();
    if (resizer.joinable()) resizer.join();
    return code == 0 ? absl::OkStatus() : errdefs::ExitCode(code);
  }

  absl::Status AttachToContainer(const Context& ctx, const AttachRequest& req, AttachIO& io) {
    PodKey key{req.namespace_, req.pod};
    LogPtr inst;
    uint64_t epoch = 0;
    int64_t cursor = 0;
    {
      absl::MutexLock lock(&mu_);
      auto found = FindRunning(key, req.container);
      if (!found.ok()) return found.status();
      epoch = found->first->epoch;
      inst = found->second->logs.back();
      CatchUp(found->second->name, inst.get(), clock_->Now());
      cursor = inst->end_seq();
    }
    internal::AttachShellStreams streams(io);
    ContainerLogOptions options;
    auto emit = [&streams](const std::vector<LogLine>& batch) -> absl::Status {
      std::string out, err;
      for (const LogLine& l : batch) absl::StrAppend(l.is_stderr ? &err : &out, l.text, "\n");
      if (auto s = streams.Out(out); !s.ok()) return s;
      return streams.Err(err);
    };
    auto [follow_ctx, stop_follow] = ctx.WithCancel();
    // Resizes are consumed so the client never blocks on them.
    std::thread resizer;
    if (io.Tty()) {
      resizer = std::thread([&io, rctx = follow_ctx] {
        while (io.NextResize(rctx)) {
        }
      });
    }
    absl::Status result;
    if (io.Stdin() == nullptr) {
      result = Follow(follow_ctx, key, epoch, req.container, inst, cursor, options, emit);
    } else {
      // The container's output on a helper thread; its "stdin" echoes back.
      std::thread output([&, fctx = follow_ctx] {
        Follow(fctx, key, epoch, req.container, inst, cursor, options, emit).IgnoreError();
      });
      char buf[16 * 1024];
      while (true) {
        auto n = streams.Read(buf, sizeof buf);
        if (!n.ok() || *n == 0) break;
        if (!streams.Out(std::string_view(buf, *n)).ok()) break;
      }
      // Input ended: keep showing output until the container or client goes.
      if (ctx.Done()) stop_follow();
      output.join();
    }
    stop_follow();
    if (resizer.joinable()) resizer.join();
    return errdefs::IsCancelled(result) ? absl::OkStatus() : result;
  }

  // --- Port-forward -----------------------------------------------------------------------

  absl::Status PortForward(const Context& ctx, const PortForwardRequest& req, DuplexStream& stream) {
    PodKey key{req.namespace_, req.pod};
    {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find(key);
      if (it == pods_.end()) return NotKnown(key);
      const PodRt& p = *it->second;
      if (!p.started || p.deleted || p.snapshot->status().phase() != "Running") {
        return errdefs::Unavailable(absl::StrCat("pod ", KeyString(key), " is not running"));
      }
      if (req.port != kGeneratorPort && !DeclaresPort(*p.snapshot, req.port)) {
        return errdefs::NotFound(absl::StrCat("pod ", KeyString(key), " does not declare port ", req.port,
                                              " (the mock serves declared containerPorts and ",
                                              kGeneratorPort, ")"));
      }
    }
    if (req.port == kGeneratorPort) {
      std::string chunk(64 * 1024, '\0');
      uint64_t offset = 0;
      while (!ctx.Done()) {
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(GeneratorByte(offset + i));
        if (!stream.Write(chunk).ok()) break;
        offset += chunk.size();
      }
      return absl::OkStatus();
    }
    std::string buf(32 * 1024, '\0');
    while (!ctx.Done()) {
      auto n = stream.Read(buf.data(), buf.size());
      if (!n.ok() || *n == 0) break;
      if (!stream.Write(std::string_view(buf.data(), *n)).ok()) break;
    }
    stream.Close().IgnoreError();
    return absl::OkStatus();
  }

 private:
  // --- Helpers under mu_ ------------------------------------------------------------------

  static absl::Status NotKnown(const PodKey& key) {
    return errdefs::NotFound(absl::StrCat("pod \"", KeyString(key), "\" is not known to the provider"));
  }

  std::string HostIp() const { return config_.internal_ip.empty() ? "127.0.0.1" : config_.internal_ip; }

  absl::StatusOr<std::pair<PodRt*, ContainerRt*>> FindContainer(const PodKey& key, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pods_.find(key);
    if (it == pods_.end()) return NotKnown(key);
    PodRt* p = it->second.get();
    for (auto* list : {&p->main, &p->init}) {
      for (ContainerRt& c : *list) {
        if (c.name == name) return std::make_pair(p, &c);
      }
    }
    return errdefs::NotFound(
        absl::StrCat("container \"", name, "\" is not valid for pod \"", KeyString(key), "\""));
  }

  absl::StatusOr<std::pair<PodRt*, ContainerRt*>> FindRunning(const PodKey& key, const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto found = FindContainer(key, name);
    if (!found.ok()) return found.status();
    if (!found->second->running()) {
      return errdefs::InvalidInput(
          absl::StrCat("container \"", name, "\" in pod \"", KeyString(key), "\" is not running"));
    }
    return found;
  }

  static const corev1::Container* ContainerSpec(const corev1::Pod& pod, const std::string& name) {
    for (const auto& c : pod.spec().containers()) {
      if (c.name() == name) return &c;
    }
    for (const auto& c : pod.spec().initcontainers()) {
      if (c.name() == name) return &c;
    }
    return nullptr;
  }

  static bool DeclaresPort(const corev1::Pod& pod, int32_t port) {
    for (const auto* list : {&pod.spec().containers(), &pod.spec().initcontainers()}) {
      for (const auto& c : *list) {
        for (const auto& p : c.ports()) {
          if (p.containerport() == port && (p.protocol().empty() || p.protocol() == "TCP")) return true;
        }
      }
    }
    return false;
  }

  void SetUsage(PodRt* p, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto apply = [&](std::vector<ContainerRt>& list, const auto& specs) {
      for (size_t i = 0; i < list.size(); ++i) {
        const corev1::Container& spec = specs.Get(static_cast<int>(i));
        FoldCpu(&list[i], now);
        list[i].cpu_rate = DerivedUsage(spec, "cpu", true, p->injected.cpu_usage);
        list[i].memory = DerivedUsage(spec, "memory", false, p->injected.memory_usage);
      }
    };
    apply(p->init, p->snapshot->spec().initcontainers());
    apply(p->main, p->snapshot->spec().containers());
  }

  void AddTimer(Timer t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    t.seq = ++timer_seq_;
    timers_.push(std::move(t));
    timer_cv_.SignalAll();
  }

  // Starts a run of `c`: a new container ID and log.
  void Run(ContainerRt* c, const PodRt& p, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    c->state = CState::kRunning;
    c->started_at = now;
    c->ever_started = true;
    c->container_id = absl::StrCat("mock://", Hex64(absl::StrCat(p.snapshot->metadata().uid(), "/", p.epoch,
                                                                 "/", c->name, "/", c->restart_count)));
    FoldCpu(c, now);
    auto log = std::make_shared<LogInstance>();
    log->start = now;
    const corev1::Container* spec = ContainerSpec(*p.snapshot, c->name);
    AppendLine(log.get(), now, false,
               absl::StrCat("mock: container \"", c->name, "\" started (image ", c->image,
                            ", command: ", spec ? CommandLine(*spec) : "", ")"));
    c->logs.push_back(std::move(log));
    if (c->logs.size() > 2) c->logs.erase(c->logs.begin());
  }

  void Terminate(ContainerRt* c, int32_t code, const std::string& reason, const std::string& message,
                 absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    FoldCpu(c, now);
    c->state = CState::kTerminated;
    c->finished_at = now;
    c->exit_code = code;
    c->term_reason = reason;
    c->term_message = message;
    if (!c->logs.empty() && !c->logs.back()->end) {
      LogInstance* log = c->logs.back().get();
      CatchUp(c->name, log, now);
      log->end = now;
      log->exit_code = code;
      log->end_reason = message.empty() ? reason : message;
      CatchUp(c->name, log, now);
    }
    changed_.SignalAll();
  }

  void Restart(const PodKey& key, PodRt* p, ContainerRt* c, size_t index, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    corev1::ContainerStateTerminated last;
    last.set_exitcode(c->exit_code);
    last.set_reason(c->term_reason);
    if (!c->term_message.empty()) last.set_message(c->term_message);
    if (c->ever_started) SetTime(c->started_at, last.mutable_startedat());
    SetTime(c->finished_at, last.mutable_finishedat());
    last.set_containerid(c->container_id);
    c->last_state = std::move(last);
    ++c->restart_count;
    Run(c, *p, now);
    if (!c->init && p->injected.exit_code) {
      AddTimer(
          Timer{now + p->injected.exit_after, 0, key, p->epoch, TimerKind::kExit, index, c->restart_count});
    }
  }

  void StartPod(const PodKey& key, PodRt* p, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (p->started || p->deleted) return;
    p->started = true;
    for (ContainerRt& c : p->init) {
      Run(&c, *p, now);
      if (!c.sidecar) Terminate(&c, 0, "Completed", "", now);
    }
    for (size_t i = 0; i < p->main.size(); ++i) {
      Run(&p->main[i], *p, now);
      if (p->injected.exit_code) {
        AddTimer(Timer{now + p->injected.exit_after, 0, key, p->epoch, TimerKind::kExit, i, 0});
      }
    }
  }

  bool WillRestart(const PodRt& p, int32_t exit_code) const {
    const std::string& policy = p.snapshot->spec().restartpolicy();
    if (p.deleted || policy == "Never") return false;
    if (policy == "OnFailure") return exit_code != 0;
    return true;  // Always, the default
  }

  std::string Phase(const PodRt& p) const {
    if (!p.started && !p.deleted) return "Pending";
    bool all_done = true, all_zero = true;
    for (const ContainerRt& c : p.main) {
      if (c.state != CState::kTerminated) all_done = false;
      if (c.exit_code != 0) all_zero = false;
    }
    if (!all_done) return "Running";
    return all_zero ? "Succeeded" : "Failed";
  }

  void SetCondition(PodRt* p, ConditionType type, bool value, const std::string& reason,
                    const std::string& message, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    Condition& c = p->conditions[type];
    if (!c.set || c.status != value) c.time = now;
    c.set = true;
    c.status = value;
    c.reason = reason;
    c.message = message;
  }

  void UpdateConditions(PodRt* p, const std::string& phase, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!p->conditions[kScheduled].set) SetCondition(p, kScheduled, true, "", "", p->created);
    const bool terminal = phase == "Succeeded" || phase == "Failed";
    SetCondition(p, kReadyToStartContainers, p->started && !terminal, "", "", now);
    std::vector<std::string> pending_init, unready;
    for (const ContainerRt& c : p->init) {
      if (!c.sidecar && c.state != CState::kTerminated) pending_init.push_back(c.name);
      if (c.sidecar && !c.running()) unready.push_back(c.name);
    }
    for (const ContainerRt& c : p->main) {
      if (!c.running()) unready.push_back(c.name);
    }
    if (pending_init.empty()) {
      SetCondition(p, kInitialized, true, "", "", now);
    } else {
      SetCondition(
          p, kInitialized, false, "ContainersNotInitialized",
          absl::StrCat("containers with incomplete status: [", absl::StrJoin(pending_init, " "), "]"), now);
    }
    for (ConditionType type : {kContainersReady, kReady}) {
      if (unready.empty()) {
        SetCondition(p, type, true, "", "", now);
      } else if (terminal) {
        SetCondition(p, type, false, "PodCompleted", "", now);
      } else {
        SetCondition(p, type, false, "ContainersNotReady",
                     absl::StrCat("containers with unready status: [", absl::StrJoin(unready, " "), "]"),
                     now);
      }
    }
  }

  void RenderContainer(const ContainerRt& c, corev1::ContainerStatus* cs) const {
    cs->set_name(c.name);
    cs->set_image(c.image);
    cs->set_imageid(c.ever_started ? ImageId(c.image) : "");
    cs->set_containerid(c.container_id);
    cs->set_restartcount(c.restart_count);
    cs->set_ready(c.running());
    cs->set_started(c.running());
    auto* state = cs->mutable_state();
    switch (c.state) {
      case CState::kWaiting: {
        auto* w = state->mutable_waiting();
        w->set_reason(c.waiting_reason);
        if (!c.waiting_message.empty()) w->set_message(c.waiting_message);
        break;
      }
      case CState::kRunning:
        SetTime(c.started_at, state->mutable_running()->mutable_startedat());
        break;
      case CState::kTerminated: {
        auto* t = state->mutable_terminated();
        t->set_exitcode(c.exit_code);
        t->set_reason(c.term_reason);
        if (!c.term_message.empty()) t->set_message(c.term_message);
        if (c.ever_started) SetTime(c.started_at, t->mutable_startedat());
        SetTime(c.finished_at, t->mutable_finishedat());
        if (!c.container_id.empty()) t->set_containerid(c.container_id);
        break;
      }
    }
    auto* last = cs->mutable_laststate();
    if (c.last_state) *last->mutable_terminated() = *c.last_state;
  }

  // A new snapshot's metadata and spec (the given pod's status is not copied:
  // the mock renders its own).
  static std::shared_ptr<corev1::Pod> Draft(const corev1::Pod& pod) {
    auto draft = std::make_shared<corev1::Pod>();
    *draft->mutable_metadata() = pod.metadata();
    *draft->mutable_spec() = pod.spec();
    return draft;
  }

  // Re-renders the pod and queues the new snapshot for the notifier.
  // `draft`: the new snapshot's metadata and spec from CreatePod/UpdatePod
  // (not yet seen by anyone, so filled in place); otherwise they are copied
  // from the current snapshot.
  void Publish(PodRt* p, absl::Time now, std::shared_ptr<corev1::Pod> draft = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string phase = Phase(*p);
    UpdateConditions(p, phase, now);
    std::shared_ptr<corev1::Pod> pod = std::move(draft);
    if (pod == nullptr) {
      pod = std::make_shared<corev1::Pod>();
      *pod->mutable_metadata() = p->snapshot->metadata();
      *pod->mutable_spec() = p->snapshot->spec();
    }
    const int64_t generation = pod->metadata().generation();
    auto* st = pod->mutable_status();
    st->Clear();
    st->set_phase(phase);
    if (generation != 0) st->set_observedgeneration(generation);
    for (int type = 0; type < kConditionTypes; ++type) {
      const Condition& cond = p->conditions[type];
      if (!cond.set) continue;
      auto* c = st->add_conditions();
      c->set_type(kConditionTypeNames[type]);
      c->set_status(cond.status ? "True" : "False");
      SetTime(cond.time, c->mutable_lasttransitiontime());
      if (!cond.reason.empty()) c->set_reason(cond.reason);
      if (!cond.message.empty()) c->set_message(cond.message);
      if (generation != 0) c->set_observedgeneration(generation);
    }
    const std::string host_ip = HostIp();
    st->set_hostip(host_ip);
    st->add_hostips()->set_ip(host_ip);
    if (p->started) {
      const std::string& ip = p->host_network ? host_ip : p->pod_ip;
      st->set_podip(ip);
      st->add_podips()->set_ip(ip);
    }
    SetTime(p->created, st->mutable_starttime());
    for (const ContainerRt& c : p->init) RenderContainer(c, st->add_initcontainerstatuses());
    for (const ContainerRt& c : p->main) RenderContainer(c, st->add_containerstatuses());
    st->set_qosclass(p->qos_class);
    if (p->deleted) {
      st->set_reason(kReasonPodDeleted);
      st->set_message("Mock provider deleted the pod");
    }
    p->snapshot = pod;
    Enqueue(Note{pod, nullptr});
    changed_.SignalAll();
  }

  void Enqueue(Note note) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Taken under mu_ so notes queue in the order the changes happened.
    absl::MutexLock lock(&notify_mu_);
    notes_.push_back(std::move(note));
    notify_cv_.Signal();
  }

  // --- Logs -------------------------------------------------------------------------------

  void AppendLine(LogInstance* log, absl::Time t, bool is_stderr, std::string text) {
    log->lines.push_back(LogLine{t, is_stderr, std::move(text)});
    while (log->lines.size() > config_.max_log_lines) {
      log->lines.pop_front();
      ++log->first_seq;
    }
  }

  // Materialises the lines of `log` due by `now`.
  void CatchUp(const std::string& container, LogInstance* log, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time limit = log->end ? std::min(*log->end, now) : now;
    if (limit >= log->start) {
      absl::Duration rem;
      const int64_t due = absl::IDivDuration(limit - log->start, config_.log_interval, &rem);
      if (due >= log->next_tick) {
        const int64_t max = static_cast<int64_t>(config_.max_log_lines);
        if (due - log->next_tick + 1 > max) {
          // More lines are due than are kept (a long gap between reads, or a
          // fake clock's jump): skip the ones nobody will ever see.
          log->first_seq += static_cast<int64_t>(log->lines.size()) + (due - max + 1 - log->next_tick);
          log->lines.clear();
          log->next_tick = due - max + 1;
        }
        for (int64_t k = log->next_tick; k <= due; ++k) {
          absl::Duration uptime = config_.log_interval * k;
          AppendLine(log, log->start + uptime, false,
                     absl::StrCat("mock: container \"", container, "\" is running (heartbeat ", k,
                                  ", uptime ", absl::FormatDuration(uptime), ")"));
        }
        log->next_tick = due + 1;
      }
    }
    if (log->end && *log->end <= now && !log->final_written) {
      log->final_written = true;
      AppendLine(log, *log->end, log->exit_code != 0,
                 absl::StrCat("mock: container \"", container, "\" stopped (", log->end_reason,
                              "), exit code ", log->exit_code));
    }
  }

  static bool Selected(const LogLine& l, const ContainerLogOptions& o, absl::Time now) {
    if (o.stream == "Stdout" && l.is_stderr) return false;
    if (o.stream == "Stderr" && !l.is_stderr) return false;
    if (o.since_time && l.time < *o.since_time) return false;
    if (o.since_seconds && l.time < now - absl::Seconds(*o.since_seconds)) return false;
    return true;
  }

  // Streams lines of `inst` from `cursor` on as they appear, until the run
  // ended and every line was emitted, the pod is gone, ctx is done or emit
  // fails.
  absl::Status Follow(const Context& ctx, const PodKey& key, uint64_t epoch, const std::string& container,
                      const LogPtr& inst, int64_t cursor, const ContainerLogOptions& o,
                      const std::function<absl::Status(const std::vector<LogLine>&)>& emit) {
    CancelRegistration wake = ctx.OnCancel([this] {
      absl::MutexLock lock(&mu_);
      changed_.SignalAll();
    });
    while (true) {
      std::vector<LogLine> batch;
      {
        absl::MutexLock lock(&mu_);
        while (true) {
          if (stopping_ || ctx.Done()) return absl::OkStatus();
          auto it = pods_.find(key);
          if (it == pods_.end() || it->second->epoch != epoch) return absl::OkStatus();
          const absl::Time now = clock_->Now();
          CatchUp(container, inst.get(), now);
          if (inst->end_seq() > cursor) break;
          if (inst->final_written) return absl::OkStatus();
          absl::Time next = inst->start + config_.log_interval * inst->next_tick;
          clock_->WaitWithDeadline(&mu_, &changed_, next);
        }
        const int64_t from = std::max(cursor, inst->first_seq);
        const absl::Time now = clock_->Now();
        for (int64_t seq = from; seq < inst->end_seq(); ++seq) {
          const LogLine& l = inst->lines[static_cast<size_t>(seq - inst->first_seq)];
          if (Selected(l, o, now)) batch.push_back(l);
        }
        cursor = inst->end_seq();
      }
      if (!batch.empty()) {
        if (auto s = emit(batch); !s.ok()) return s;
      }
    }
  }

  // --- Exec support -----------------------------------------------------------------------

  internal::ShellContext ShellContextFor(const Context& ctx, const corev1::Pod& pod,
                                         const corev1::Container& c, bool tty) {
    internal::ShellContext sc;
    sc.ctx = ctx;
    sc.clock = clock_;
    sc.hostname = pod.spec().hostname().empty() ? pod.metadata().name() : pod.spec().hostname();
    sc.working_dir = c.workingdir().empty() ? "/" : c.workingdir();
    sc.env.emplace_back("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    sc.env.emplace_back("HOSTNAME", sc.hostname);
    if (tty) sc.env.emplace_back("TERM", "xterm");
    bool has_home = false;
    for (const auto& e : c.env()) {
      // Values the SDK resolved; an unresolved valueFrom has no value to show.
      if (e.has_valuefrom() && !e.has_value()) continue;
      sc.env.emplace_back(e.name(), e.value());
      has_home = has_home || e.name() == "HOME";
    }
    if (!has_home) sc.env.emplace_back("HOME", "/root");

    // The container's filesystem: /etc/hostname and its configMap and secret
    // volumes, read through the ResourceManager.
    auto mounts = std::make_shared<std::vector<std::pair<std::string, corev1::Volume>>>();
    for (const auto& m : c.volumemounts()) {
      for (const auto& v : pod.spec().volumes()) {
        if (v.name() == m.name()) {
          std::string path = m.mountpath();
          while (path.size() > 1 && path.back() == '/') path.pop_back();
          mounts->emplace_back(path, v);
        }
      }
    }
    const std::string ns = pod.metadata().namespace_();
    ResourceManager* rm = config_.resources;
    auto files_of = [rm, ns,
                     ctx](const corev1::Volume& v) -> absl::StatusOr<std::map<std::string, std::string>> {
      std::map<std::string, std::string> data;
      if (rm == nullptr) return errdefs::NotFound("no resource manager");
      std::vector<std::pair<std::string, std::string>> items;  // key -> path
      if (v.volumesource().has_configmap()) {
        auto cm = rm->GetConfigMap(ctx, ns, v.volumesource().configmap().localobjectreference().name());
        if (!cm.ok()) return cm.status();
        for (const auto& [k, val] : (*cm)->data()) data[k] = val;
        for (const auto& [k, val] : (*cm)->binarydata()) data[k] = val;
        for (const auto& i : v.volumesource().configmap().items()) items.emplace_back(i.key(), i.path());
      } else if (v.volumesource().has_secret()) {
        auto secret = rm->GetSecret(ctx, ns, v.volumesource().secret().secretname());
        if (!secret.ok()) return secret.status();
        for (const auto& [k, val] : (*secret)->data()) data[k] = val;
        for (const auto& [k, val] : (*secret)->stringdata()) data[k] = val;
        for (const auto& i : v.volumesource().secret().items()) items.emplace_back(i.key(), i.path());
      } else {
        return data;  // emptyDir and friends start empty
      }
      if (items.empty()) return data;
      std::map<std::string, std::string> projected;
      for (const auto& [k, path] : items) {
        if (auto it = data.find(k); it != data.end()) projected[path] = it->second;
      }
      return projected;
    };
    const std::string hostname = sc.hostname;
    sc.read_file = [mounts, files_of, hostname](const std::string& path) -> absl::StatusOr<std::string> {
      if (path == "/etc/hostname") return hostname + "\n";
      for (const auto& [mount, volume] : *mounts) {
        if (!absl::StartsWith(path, mount + "/")) continue;
        auto files = files_of(volume);
        if (!files.ok()) return files.status();
        auto it = files->find(path.substr(mount.size() + 1));
        if (it != files->end()) return it->second;
      }
      return errdefs::NotFound(path);
    };
    const std::string working_dir = sc.working_dir;
    sc.list_dir = [mounts, files_of,
                   working_dir](const std::string& dir) -> absl::StatusOr<std::vector<std::string>> {
      std::vector<std::string> out;
      for (const auto& [mount, volume] : *mounts) {
        if (dir != mount) continue;
        auto files = files_of(volume);
        if (!files.ok()) return files.status();
        for (const auto& [name, content] : *files) out.push_back(name);
        return out;
      }
      if (dir == "/") {
        std::vector<std::string> root = {"bin",  "dev", "etc", "home", "proc",
                                         "root", "sys", "tmp", "usr",  "var"};
        for (const auto& [mount, volume] : *mounts) {
          std::string top = mount.substr(
              1, mount.find('/', 1) == std::string::npos ? std::string::npos : mount.find('/', 1) - 1);
          if (!top.empty() && std::find(root.begin(), root.end(), top) == root.end()) root.push_back(top);
        }
        std::sort(root.begin(), root.end());
        return root;
      }
      if (dir == "/etc") return std::vector<std::string>{"hostname"};
      if (dir == working_dir) return out;
      for (const auto& [mount, volume] : *mounts) {
        if (absl::StartsWith(mount, dir + "/")) {
          out.push_back(mount.substr(dir.size() + 1, mount.find('/', dir.size() + 1) - dir.size() - 1));
        }
      }
      if (!out.empty()) return out;
      return errdefs::NotFound(dir);
    };
    return sc;
  }

  // --- Threads ----------------------------------------------------------------------------

  void TimerLoop() {
    absl::MutexLock lock(&mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        timer_cv_.Wait(&mu_);
        continue;
      }
      const absl::Time now = clock_->Now();
      if (timers_.top().at > now) {
        clock_->WaitWithDeadline(&mu_, &timer_cv_, timers_.top().at);
        continue;
      }
      Timer t = timers_.top();
      timers_.pop();
      Fire(t, now);
    }
  }

  void Fire(const Timer& t, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pods_.find(t.key);
    if (it == pods_.end() || it->second->epoch != t.epoch) return;
    PodRt* p = it->second.get();
    switch (t.kind) {
      case TimerKind::kStart:
        StartPod(t.key, p, now);
        break;
      case TimerKind::kExit: {
        ContainerRt& c = p->main[t.container];
        if (!c.running() || c.restart_count != t.restart_count || !p->injected.exit_code) return;
        const int32_t code = *p->injected.exit_code;
        Terminate(&c, code, code == 0 ? "Completed" : "Error", "", now);
        if (WillRestart(*p, code)) {
          const int shift = std::min(c.restart_count, 20);
          absl::Duration backoff =
              std::min(config_.restart_backoff * (int64_t{1} << shift), config_.max_restart_backoff);
          c.state = CState::kWaiting;
          c.waiting_reason = "CrashLoopBackOff";
          const auto& meta = p->snapshot->metadata();
          c.waiting_message = absl::StrCat("back-off ", absl::FormatDuration(backoff),
                                           " restarting failed container=", c.name, " pod=", meta.name(), "_",
                                           meta.namespace_(), "(", meta.uid(), ")");
          // The exit is the last state while waiting.
          corev1::ContainerStateTerminated last;
          last.set_exitcode(c.exit_code);
          last.set_reason(c.term_reason);
          SetTime(c.started_at, last.mutable_startedat());
          SetTime(c.finished_at, last.mutable_finishedat());
          last.set_containerid(c.container_id);
          c.last_state = std::move(last);
          AddTimer(
              Timer{now + backoff, 0, t.key, p->epoch, TimerKind::kRestart, t.container, c.restart_count});
        }
        break;
      }
      case TimerKind::kRestart: {
        ContainerRt& c = p->main[t.container];
        if (c.state != CState::kWaiting || c.restart_count != t.restart_count) return;
        // Restart() records the last state from the terminated run.
        c.state = CState::kTerminated;
        Restart(t.key, p, &c, t.container, now);
        break;
      }
    }
    Publish(p, now);
  }

  void NotifyLoop() {
    while (true) {
      Note note;
      std::shared_ptr<std::function<void(PodPtr)>> pod_cb;
      std::shared_ptr<std::function<void(NodePtr)>> node_cb;
      Context pod_ctx = Context::Background(), node_ctx = Context::Background();
      {
        absl::MutexLock lock(&notify_mu_);
        while (notes_.empty() && !notify_stopping_) notify_cv_.Wait(&notify_mu_);
        if (notify_stopping_) return;
        note = std::move(notes_.front());
        notes_.pop_front();
        pod_cb = pod_callback_;
        node_cb = node_callback_;
        pod_ctx = pod_callback_ctx_;
        node_ctx = node_callback_ctx_;
      }
      if (note.pod && pod_cb && !pod_ctx.Done()) (*pod_cb)(note.pod);
      if (note.node && node_cb && !node_ctx.Done()) (*node_cb)(note.node);
    }
  }

  static std::optional<stats::MemoryStats> MemoryStatsFor(uint64_t working_set, absl::Time now) {
    stats::MemoryStats m;
    m.time = now;
    m.working_set_bytes = working_set;
    m.usage_bytes = working_set + working_set / 8;  // plus some page cache
    m.rss_bytes = working_set - working_set / 4;
    m.page_faults = 0;
    m.major_page_faults = 0;
    return m;
  }

  MockProviderConfig config_;
  const Clock* const clock_;
  const NodeCapacity capacity_;
  const absl::Time start_time_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;  // a pod changed or log lines may be due
  absl::CondVar timer_cv_;
  std::map<PodKey, std::unique_ptr<PodRt>> pods_ ABSL_GUARDED_BY(mu_);
  internal::IpPool ips_ ABSL_GUARDED_BY(mu_);
  uint64_t next_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t deleted_cpu_ ABSL_GUARDED_BY(mu_) = 0;  // core-nanoseconds of deleted pods
  std::priority_queue<Timer, std::vector<Timer>, TimerLater> timers_ ABSL_GUARDED_BY(mu_);
  uint64_t timer_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status ping_error_ ABSL_GUARDED_BY(mu_);
  NodePtr node_ ABSL_GUARDED_BY(mu_);

  absl::Mutex notify_mu_ ABSL_ACQUIRED_AFTER(mu_);
  absl::CondVar notify_cv_;
  std::deque<Note> notes_ ABSL_GUARDED_BY(notify_mu_);
  std::shared_ptr<std::function<void(PodPtr)>> pod_callback_ ABSL_GUARDED_BY(notify_mu_);
  Context pod_callback_ctx_ ABSL_GUARDED_BY(notify_mu_) = Context::Background();
  std::shared_ptr<std::function<void(NodePtr)>> node_callback_ ABSL_GUARDED_BY(notify_mu_);
  Context node_callback_ctx_ ABSL_GUARDED_BY(notify_mu_) = Context::Background();
  bool notify_stopping_ ABSL_GUARDED_BY(notify_mu_) = false;

  std::thread timer_thread_;
  std::thread notify_thread_;
};

// =================================================================================================

absl::StatusOr<std::unique_ptr<MockProvider>> MockProvider::Create(const MockProviderConfig& config) {
  if (config.node_name.empty()) return errdefs::InvalidInput("the mock provider needs a node name");
  NodeCapacity capacity;
  if (config.capacity) {
    capacity = *config.capacity;
    if (auto s = ValidateNodeCapacity(capacity, absl::StrCat("node \"", config.node_name, "\" capacity"));
        !s.ok()) {
      return s;
    }
  } else if (!config.config_path.empty()) {
    auto loaded = LoadNodeCapacity(config.config_path, config.node_name);
    if (!loaded.ok()) return loaded.status();
    capacity = *std::move(loaded);
  }
  auto ips = internal::IpPool::Parse(config.pod_cidr);
  if (!ips.ok()) return errdefs::InvalidInput(std::string(ips.status().message()));
  if (!config.internal_ip.empty() && !internal::ParseIpv4(config.internal_ip)) {
    return errdefs::InvalidInput(
        absl::StrCat("the internal IP \"", config.internal_ip, "\" is not an IPv4 address"));
  }
  return std::unique_ptr<MockProvider>(
      new MockProvider(std::make_unique<Impl>(config, std::move(capacity), *std::move(ips))));
}

MockProvider::MockProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MockProvider::~MockProvider() = default;

absl::Status MockProvider::CreatePod(const Context&, const corev1::Pod& pod) { return impl_->CreatePod(pod); }
absl::Status MockProvider::UpdatePod(const Context&, const corev1::Pod& pod) { return impl_->UpdatePod(pod); }
absl::Status MockProvider::DeletePod(const Context&, const corev1::Pod& pod) { return impl_->DeletePod(pod); }

absl::StatusOr<std::shared_ptr<const corev1::Pod>> MockProvider::GetPod(const Context&, std::string_view ns,
                                                                        std::string_view name) {
  return impl_->GetPod(ns, name);
}

absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> MockProvider::GetPodStatus(const Context&,
                                                                                    std::string_view ns,
                                                                                    std::string_view name) {
  auto pod = impl_->GetPod(ns, name);
  if (!pod.ok()) return pod.status();
  // Shares the snapshot: the status lives exactly as long as the pod object.
  const corev1::PodStatus* status = &(*pod)->status();
  return std::shared_ptr<const corev1::PodStatus>(*std::move(pod), status);
}

absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> MockProvider::GetPods(const Context&) {
  return impl_->GetPods();
}

void MockProvider::NotifyPods(const Context& ctx,
                              std::function<void(std::shared_ptr<const corev1::Pod>)> callback) {
  impl_->NotifyPods(ctx, std::move(callback));
}

absl::Status MockProvider::Ping(const Context& ctx) { return impl_->Ping(ctx); }

void MockProvider::NotifyNodeStatus(const Context& ctx,
                                    std::function<void(std::shared_ptr<const corev1::Node>)> callback) {
  impl_->NotifyNodeStatus(ctx, std::move(callback));
}

void MockProvider::ConfigureNode(const Context&, corev1::Node* node) { impl_->ConfigureNode(node); }

absl::StatusOr<stats::Summary> MockProvider::GetStatsSummary(const Context& ctx) {
  if (ctx.Done()) return ctx.Err();
  return impl_->StatsSummary();
}

absl::Status MockProvider::GetContainerLogs(const Context& ctx, const ContainerLogsRequest& request,
                                            ByteWriter& out) {
  return impl_->GetContainerLogs(ctx, request, out);
}

absl::Status MockProvider::RunInContainer(const Context& ctx, const ExecRequest& request, AttachIO& io) {
  return impl_->RunInContainer(ctx, request, io);
}

absl::Status MockProvider::AttachToContainer(const Context& ctx, const AttachRequest& request, AttachIO& io) {
  return impl_->AttachToContainer(ctx, request, io);
}

absl::Status MockProvider::PortForward(const Context& ctx, const PortForwardRequest& request,
                                       DuplexStream& stream) {
  return impl_->PortForward(ctx, request, stream);
}

void MockProvider::SetPingError(absl::Status error) { impl_->SetPingError(std::move(error)); }

absl::Status MockProvider::UpdateNode(const std::function<void(corev1::Node*)>& mutate) {
  return impl_->UpdateNode(mutate);
}

const NodeCapacity& MockProvider::capacity() const { return impl_->capacity(); }

}  // namespace vkubelet::mock

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/node/node_controller.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/lease_controller.h"
#include "node/node_status.h"
#include "node/ping_controller.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/informer.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/log.h"
#include "vkubelet/node/node_provider.h"

namespace vkubelet::node {
namespace {

// RFC 1123 subdomain, as the API server checks Node names.
bool IsDnsSubdomain(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0 || name[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '-') return false;
    if (label == 0 && c == '-') return false;
    ++label;
  }
  return label > 0 && name.back() != '-';
}

absl::Status Validate(const NodeControllerOptions& o) {
  if (o.node_name.empty()) return errdefs::InvalidInput("node controller: node_name is required");
  if (!IsDnsSubdomain(o.node_name)) {
    return errdefs::InvalidInput(absl::StrCat("node controller: node_name \"", o.node_name,
                                              "\" is not a lowercase RFC 1123 subdomain"));
  }
  if (o.taint.enabled) {
    if (o.taint.key.empty()) return errdefs::InvalidInput("node controller: taint.key is empty");
    if (o.taint.effect != "NoSchedule" && o.taint.effect != "PreferNoSchedule" && o.taint.effect != "NoExecute") {
      return errdefs::InvalidInput(absl::StrCat("node controller: taint.effect \"", o.taint.effect,
                                                "\" is not NoSchedule, PreferNoSchedule or NoExecute"));
    }
  }
  if (o.kubelet_port < 0 || o.kubelet_port > 65535) {
    return errdefs::InvalidInput(absl::StrCat("node controller: kubelet_port ", o.kubelet_port, " is out of range"));
  }
  if (o.enable_lease) {
    if (o.lease_duration_seconds <= 0) {
      return errdefs::InvalidInput("node controller: lease_duration_seconds must be positive");
    }
    if (o.lease_renew_interval < absl::ZeroDuration() ||
        o.lease_renew_interval >= absl::Seconds(o.lease_duration_seconds)) {
      return errdefs::InvalidInput(absl::StrCat("node controller: lease_renew_interval ",
                                                absl::FormatDuration(o.lease_renew_interval),
                                                " must be shorter than the lease duration (",
                                                o.lease_duration_seconds, "s)"));
    }
  }
  auto positive = [](absl::Duration d, const char* name) -> absl::Status {
    if (d <= absl::ZeroDuration()) {
      return errdefs::InvalidInput(absl::StrCat("node controller: ", name, " must be positive"));
    }
    return absl::OkStatus();
  };
  if (o.status_update_interval < absl::ZeroDuration()) {
    return errdefs::InvalidInput("node controller: status_update_interval must not be negative");
  }
  for (auto [d, name] : {std::pair{o.ping_interval, "ping_interval"}, {o.ping_timeout, "ping_timeout"},
                         {o.api_timeout, "api_timeout"}, {o.backoff_initial, "backoff_initial"},
                         {o.backoff_max, "backoff_max"}, {o.shutdown_timeout, "shutdown_timeout"}}) {
    absl::Status s = positive(d, name);
    if (!s.ok()) return s;
  }
  if (o.backoff_max < o.backoff_initial) {
    return errdefs::InvalidInput("node controller: backoff_max is shorter than backoff_initial");
  }
  return absl::OkStatus();
}

bool ReadyIsTrue(const corev1::Node& node) {
  for (const auto& c : node.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

}  // namespace

class NodeController::Impl {
 public:
  Impl(NodeControllerOptions options, std::shared_ptr<kube::RestClient> client, NodeProvider* provider,
       NodeConfigurer* configurer)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
        nodes_(client),
        leases_(client),
        provider_(provider != nullptr ? provider : &naive_),
        configurer_(configurer) {
    renew_interval_ = options_.lease_renew_interval > absl::ZeroDuration()
                          ? options_.lease_renew_interval
                          : absl::Seconds(options_.lease_duration_seconds) * kDefaultRenewIntervalFraction;
    status_interval_ = options_.status_update_interval > absl::ZeroDuration() ? options_.status_update_interval
                       : options_.enable_lease                                ? kDefaultStatusUpdateInterval
                                                                              : options_.ping_interval;
  }

  ~Impl() { Stop().IgnoreError(); }

  absl::Status Run(const Context& parent);
  absl::Status Start(const Context& ctx);
  absl::Status Stop();

  void SetPodsSynced(bool synced) {
    absl::MutexLock lock(&mu_);
    if (pods_synced_ == synced) return;
    pods_synced_ = synced;
    dirty_ = true;
    cv_.SignalAll();
  }

  absl::Status WaitFor(const Context& ctx, bool ready) const;

  std::shared_ptr<const corev1::Node> node() const {
    absl::MutexLock lock(&mu_);
    return server_node_;
  }
  const std::string& node_name() const { return options_.node_name; }
  NodeControllerMetrics GetMetrics() const;

 private:
  // Forwards provider notifications while the controller runs; afterwards
  // they are dropped (a provider may keep and call the callback for ever).
  struct NotifyTarget {
    absl::Mutex mu;
    Impl* impl ABSL_GUARDED_BY(mu) = nullptr;
    void Deliver(std::shared_ptr<const corev1::Node> node) {
      absl::MutexLock lock(&mu);
      if (impl != nullptr && node != nullptr) impl->OnNotify(std::move(node));
    }
    void Detach() {
      absl::MutexLock lock(&mu);
      impl = nullptr;
    }
  };

  void OnNotify(std::shared_ptr<const corev1::Node> node) {
    absl::MutexLock lock(&mu_);
    notified_ = std::move(node);
    ++notifications_;
    cv_.SignalAll();
  }
  void Trigger() {
    absl::MutexLock lock(&mu_);
    dirty_ = true;
    cv_.SignalAll();
  }

  absl::Status RunOnce(const Context& parent);
  absl::Status RunInternal(const Context& ctx);
  // Creates or adopts the Node, retrying transient errors until ctx ends.
  absl::Status Register(const Context& ctx);
  absl::Status TryRegister(const Context& ctx);
  void StatusLoop(const Context& ctx);
  absl::Status PatchStatus(const Context& ctx, bool shutting_down);
  internal::ReadyInputs CurrentReadyInputs(bool shutting_down) const;
  void SetServerNode(const corev1::Node& node, bool written_by_us);

  const NodeControllerOptions options_;
  const Clock* const clock_;
  const kube::ResourceClient<corev1::Node> nodes_;
  const kube::ResourceClient<coordinationv1::Lease> leases_;
  NaiveNodeProvider naive_;
  NodeProvider* const provider_;
  NodeConfigurer* const configurer_;
  absl::Duration renew_interval_;
  absl::Duration status_interval_;

  // Touched only by the thread in Run.
  corev1::Node registration_;  // spec and identity for creation
  corev1::Node reported_;      // labels, annotations, status as the provider reports them
  internal::ManagedFields managed_;

  std::shared_ptr<NotifyTarget> notify_target_ = std::make_shared<NotifyTarget>();

  mutable absl::Mutex mu_;
  mutable absl::CondVar cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status run_status_ ABSL_GUARDED_BY(mu_);
  bool pods_synced_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;      // write the status now
  bool node_gone_ ABSL_GUARDED_BY(mu_) = false;  // the Node was deleted
  std::shared_ptr<const corev1::Node> notified_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const corev1::Node> server_node_ ABSL_GUARDED_BY(mu_);
  std::string node_uid_ ABSL_GUARDED_BY(mu_);
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  bool ready_written_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t notifications_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t node_creates_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t status_patches_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t status_failures_ ABSL_GUARDED_BY(mu_) = 0;
  // Set once by Run; kept afterwards for their metrics.
  std::shared_ptr<internal::PingController> ping_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<internal::LeaseController> lease_ ABSL_GUARDED_BY(mu_);

  // Start/Stop.
  absl::Mutex runner_mu_;
  std::thread runner_ ABSL_GUARDED_BY(runner_mu_);
  CancelFn runner_cancel_ ABSL_GUARDED_BY(runner_mu_);
  absl::Status runner_status_ ABSL_GUARDED_BY(runner_mu_);
};

absl::Status NodeController::Impl::Start(const Context& ctx) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("node controller: already started");
    started_ = true;
  }
  absl::MutexLock lock(&runner_mu_);
  auto [run_ctx, cancel] = ctx.WithCancel();
  runner_cancel_ = std::move(cancel);
  runner_ = std::thread([this, run_ctx = run_ctx] {
    absl::Status s = RunOnce(run_ctx);
    absl::MutexLock l(&runner_mu_);
    runner_status_ = s;
  });
  return absl::OkStatus();
}

absl::Status NodeController::Impl::Stop() {
  std::thread runner;
  {
    absl::MutexLock lock(&runner_mu_);
    if (runner_cancel_) runner_cancel_();
    runner = std::move(runner_);
  }
  if (runner.joinable()) runner.join();
  absl::MutexLock lock(&runner_mu_);
  return runner_status_;
}

absl::Status NodeController::Impl::Run(const Context& parent) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("node controller: already started");
    started_ = true;
  }
  return RunOnce(parent);
}

absl::Status NodeController::Impl::RunOnce(const Context& parent) {
  auto [ctx, cancel] = parent.WithField("node", options_.node_name).WithCancel();
  absl::Status s = RunInternal(ctx);
  cancel();
  absl::MutexLock lock(&mu_);
  finished_ = true;
  run_status_ = s;
  cv_.SignalAll();
  return s;
}

absl::Status NodeController::Impl::RunInternal(const Context& ctx) {
  registration_ = internal::BuildRegistrationNode(options_);
  if (configurer_ != nullptr) {
    configurer_->ConfigureNode(ctx, &registration_);
    // The provider may fill in anything but the identity.
    registration_.mutable_metadata()->set_name(options_.node_name);
    registration_.mutable_metadata()->clear_namespace_();
    auto* endpoint = registration_.mutable_status()->mutable_daemonendpoints()->mutable_kubeletendpoint();
    if (endpoint->port() == 0) endpoint->set_port(options_.kubelet_port);
  }
  reported_.Clear();
  *reported_.mutable_metadata()->mutable_labels() = registration_.metadata().labels();
  *reported_.mutable_metadata()->mutable_annotations() = registration_.metadata().annotations();
  *reported_.mutable_status() = registration_.status();

  // Wake the waits below when the context ends.
  CancelRegistration wake = ctx.OnCancel([this] {
    absl::MutexLock lock(&mu_);
    cv_.SignalAll();
  });

  {
    absl::MutexLock lock(&notify_target_->mu);
    notify_target_->impl = this;
  }
  provider_->NotifyNodeStatus(ctx, [target = notify_target_](std::shared_ptr<const corev1::Node> node) {
    target->Deliver(std::move(node));
  });

  auto ping = std::make_shared<internal::PingController>(provider_, options_.ping_interval, options_.ping_timeout,
                                                         clock_, [this] { Trigger(); });
  {
    absl::MutexLock lock(&mu_);
    ping_ = ping;
  }
  ping->Start(ctx);

  auto shutdown_ping = [&] {
    ping->Stop();
    notify_target_->Detach();
  };

  absl::Status reg = Register(ctx);
  if (!reg.ok()) {
    shutdown_ping();
    wake.Reset();
    return ctx.Done() ? absl::OkStatus() : reg;
  }

  std::thread lease_thread;
  if (options_.enable_lease) {
    internal::LeaseControllerOptions lo;
    lo.node_name = options_.node_name;
    lo.duration_seconds = options_.lease_duration_seconds;
    lo.renew_interval = renew_interval_;
    lo.backoff_initial = options_.backoff_initial;
    lo.backoff_max = options_.backoff_max;
    lo.api_timeout = options_.api_timeout;
    lo.clock = clock_;
    auto lease = std::make_shared<internal::LeaseController>(lo, leases_, [this] {
      absl::MutexLock lock(&mu_);
      return node_uid_;
    });
    {
      absl::MutexLock lock(&mu_);
      lease_ = lease;
    }
    lease_thread = std::thread([lease, ctx] { lease->Run(ctx.WithField("component", "lease")); });
  }

  std::unique_ptr<kube::Informer<corev1::Node>> watch;
  if (options_.recreate_node) {
    kube::InformerOptions io;
    io.field_selector = absl::StrCat("metadata.name=", options_.node_name);
    io.clock = clock_;
    io.name = "node";
    watch = std::make_unique<kube::Informer<corev1::Node>>(nodes_, io);
    watch->AddEventHandler({.on_add = nullptr,
                            .on_update = nullptr,
                            .on_delete = [this](const std::shared_ptr<const corev1::Node>&) {
                              absl::MutexLock lock(&mu_);
                              node_gone_ = true;
                              cv_.SignalAll();
                            }});
    absl::Status ws = watch->Start(ctx);
    if (!ws.ok()) log::Warning(ctx, "Cannot watch the node; it is recreated only when a status patch finds it gone",
                               {{"error", ws}});
  }

  StatusLoop(ctx);

  // Shutdown: stop the heartbeats first, then say goodbye.
  if (watch) watch->Stop();
  if (lease_thread.joinable()) lease_thread.join();
  shutdown_ping();
  wake.Reset();
  if (options_.mark_not_ready_on_shutdown) {
    Context final_ctx = Context::Background().WithTimeout(options_.shutdown_timeout).WithFields(ctx.fields());
    absl::Status s = PatchStatus(final_ctx, /*shutting_down=*/true);
    if (!s.ok()) log::Warning(ctx, "Could not mark the node NotReady on shutdown", {{"error", s}});
  }
  return absl::OkStatus();
}

void NodeController::Impl::SetServerNode(const corev1::Node& node, bool written_by_us) {
  auto copy = std::make_shared<const corev1::Node>(node);
  // An adopted Node's Ready is a previous run's word, not ours.
  bool ready = written_by_us && ReadyIsTrue(node);
  absl::MutexLock lock(&mu_);
  server_node_ = std::move(copy);
  node_uid_ = node.metadata().uid();
  registered_ = true;
  ready_written_ = ready;
  cv_.SignalAll();
}

absl::Status NodeController::Impl::TryRegister(const Context& ctx) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto got = nodes_.Get(ctx.WithTimeout(options_.api_timeout), "", options_.node_name);
    if (got.ok()) {
      auto managed = internal::ManagedFieldsOf(*got);
      if (!managed.ok()) {
        log::Warning(ctx, "Ignoring unreadable node ownership annotation", {{"error", managed.status()}});
        managed = internal::ManagedFields();
      }
      managed_ = *std::move(managed);
      SetServerNode(*got, /*written_by_us=*/false);
      log::Info(ctx, "Adopted existing node", {{"uid", got->metadata().uid()}});
      return absl::OkStatus();
    }
    if (!errdefs::IsNotFound(got.status())) return got.status();

    // Create it with what the provider reports now (also after a deletion).
    corev1::Node create = registration_;
    *create.mutable_metadata()->mutable_labels() = reported_.metadata().labels();
    *create.mutable_metadata()->mutable_annotations() = reported_.metadata().annotations();
    corev1::Node desired = internal::WithReady(reported_, CurrentReadyInputs(false));
    *create.mutable_status() = desired.status();
    internal::StampConditions(create.mutable_status(), nullptr, clock_->Now());
    internal::ManagedFields managed = internal::ManagedFieldsFor(create);
    (*create.mutable_metadata()->mutable_annotations())[kManagedFieldsAnnotation] =
        internal::EncodeManagedFields(managed);
    auto created = nodes_.Create(ctx.WithTimeout(options_.api_timeout), create);
    if (created.ok()) {
      managed_ = std::move(managed);
      SetServerNode(*created, /*written_by_us=*/true);
      {
        absl::MutexLock lock(&mu_);
        ++node_creates_;
      }
      log::Info(ctx, "Registered node", {{"uid", created->metadata().uid()}});
      return absl::OkStatus();
    }
    if (!errdefs::IsAlreadyExists(created.status())) return created.status();
    // Created meanwhile by someone else: adopt it.
  }
  return errdefs::Conflict("node controller: the node keeps appearing and disappearing");
}

absl::Status NodeController::Impl::Register(const Context& ctx) {
  absl::Duration backoff = options_.backoff_initial;
  while (true) {
    absl::Status s = TryRegister(ctx);
    if (s.ok()) return s;
    if (ctx.Done()) return ctx.Err();
    // The Node is built from the options and the provider: retrying cannot
    // fix an invalid one. Anything else (RBAC not there yet, a server
    // restarting) may pass later, as it does for the kubelet.
    if (errdefs::IsInvalidInput(s)) {
      log::Error(ctx, "Node registration failed", {{"error", s}});
      return s;
    }
    log::Warning(ctx, "Node registration failed; retrying", {{"error", s}, {"retry_in", backoff}});
    if (!clock_->SleepFor(ctx, backoff).ok()) return ctx.Err();
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

internal::ReadyInputs NodeController::Impl::CurrentReadyInputs(bool shutting_down) const {
  internal::ReadyInputs in;
  std::shared_ptr<internal::PingController> ping;
  {
    absl::MutexLock lock(&mu_);
    in.pods_synced = pods_synced_;
    ping = ping_;
  }
  if (ping) in.ping = ping->Result();
  in.shutting_down = shutting_down;
  return in;
}

absl::Status NodeController::Impl::PatchStatus(const Context& ctx, bool shutting_down) {
  corev1::Node desired = internal::WithReady(reported_, CurrentReadyInputs(shutting_down));
  std::shared_ptr<const corev1::Node> current = node();
  internal::NodeStatusPatch patch = internal::BuildNodeStatusPatch(desired, current.get(), managed_, clock_->Now());
  auto res = nodes_.PatchStatus(ctx.WithTimeout(options_.api_timeout), "", options_.node_name,
                                kube::PatchType::kStrategicMerge, patch.body);
  if (!res.ok()) {
    absl::MutexLock lock(&mu_);
    ++status_failures_;
    return res.status();
  }
  managed_ = std::move(patch.managed);
  bool was_ready;
  {
    absl::MutexLock lock(&mu_);
    ++status_patches_;
    was_ready = ready_written_;
  }
  SetServerNode(*res, /*written_by_us=*/true);
  bool ready = ReadyIsTrue(*res);
  if (ready != was_ready) {
    const corev1::NodeCondition c = internal::ReadyCondition(CurrentReadyInputs(shutting_down));
    log::Info(ctx, ready ? "Node is ready" : "Node is not ready", {{"reason", c.reason()}, {"message", c.message()}});
  }
  return absl::OkStatus();
}

void NodeController::Impl::StatusLoop(const Context& ctx) {
  absl::Time next = clock_->Now();  // the first patch goes out at once
  absl::Duration backoff = options_.backoff_initial;
  while (true) {
    std::shared_ptr<const corev1::Node> notified;
    bool gone = false;
    {
      absl::MutexLock lock(&mu_);
      while (!ctx.Done() && !dirty_ && !node_gone_ && notified_ == nullptr) {
        if (clock_->WaitWithDeadline(&mu_, &cv_, next)) break;
      }
      if (ctx.Done()) return;
      notified = std::move(notified_);
      notified_ = nullptr;
      dirty_ = false;
      gone = node_gone_;
      node_gone_ = false;
    }
    if (notified != nullptr) internal::ApplyNotification(*notified, registration_, &reported_);
    if (gone && options_.recreate_node) {
      log::Info(ctx, "Node was deleted; registering it again");
      absl::Status s = Register(ctx);
      if (!s.ok()) {
        if (ctx.Done()) return;
        next = clock_->Now() + status_interval_;
        continue;
      }
    }
    const absl::Time started = clock_->Now();
    absl::Status s = PatchStatus(ctx, /*shutting_down=*/false);
    if (s.ok()) {
      backoff = options_.backoff_initial;
      next = started + status_interval_;
      continue;
    }
    if (ctx.Done()) return;
    if (errdefs::IsNotFound(s)) {
      if (options_.recreate_node) {
        absl::MutexLock lock(&mu_);
        node_gone_ = true;
        continue;
      }
      log::Warning(ctx, "Node not found; not recreating it (recreate_node is off)", {{"error", s}});
      next = started + status_interval_;
      continue;
    }
    log::Warning(ctx, "Failed to update node status", {{"error", s}, {"retry_in", backoff}});
    next = started + backoff;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

absl::Status NodeController::Impl::WaitFor(const Context& ctx, bool ready) const {
  // Declared before the lock so that it is undone after the lock is released
  // (its callback takes the lock).
  CancelRegistration wake = ctx.OnCancel([this] {
    absl::MutexLock lock(&mu_);
    cv_.SignalAll();
  });
  absl::MutexLock lock(&mu_);
  auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ready ? ready_written_ : registered_; };
  while (!reached() && !finished_ && !ctx.Done()) cv_.WaitWithDeadline(&mu_, ctx.Deadline());
  if (reached()) return absl::OkStatus();
  if (finished_) return run_status_.ok() ? absl::FailedPreconditionError("node controller: stopped") : run_status_;
  return ctx.Err();
}

NodeControllerMetrics NodeController::Impl::GetMetrics() const {
  NodeControllerMetrics m;
  std::shared_ptr<internal::PingController> ping;
  std::shared_ptr<internal::LeaseController> lease;
  {
    absl::MutexLock lock(&mu_);
    m.node_creates = node_creates_;
    m.status_patches = status_patches_;
    m.status_failures = status_failures_;
    m.notifications = notifications_;
    m.registered = registered_;
    m.ready = ready_written_;
    ping = ping_;
    lease = lease_;
  }
  if (ping) {
    internal::PingMetrics pm = ping->metrics();
    m.pings = pm.pings;
    m.ping_failures = pm.failures;
    m.ping_timeouts = pm.timeouts;
    m.ping_latency_total = pm.latency_total;
    m.ping_latency_max = pm.latency_max;
    m.ping_latency_last = pm.latency_last;
  }
  if (lease) {
    internal::LeaseMetrics lm = lease->metrics();
    m.lease_renewals = lm.renewals;
    m.lease_creates = lm.creates;
    m.lease_failures = lm.failures;
  }
  return m;
}

// --- NodeController -------------------------------------------------------------

absl::StatusOr<std::unique_ptr<NodeController>> NodeController::New(NodeControllerOptions options,
                                                                    std::shared_ptr<kube::RestClient> client,
                                                                    NodeProvider* provider,
                                                                    NodeConfigurer* configurer) {
  if (client == nullptr) return errdefs::InvalidInput("node controller: client is null");
  absl::Status s = Validate(options);
  if (!s.ok()) return s;
  auto impl = std::make_unique<Impl>(std::move(options), std::move(client), provider, configurer);
  return std::unique_ptr<NodeController>(new NodeController(std::move(impl)));
}

NodeController::NodeController(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NodeController::~NodeController() = default;

absl::Status NodeController::Run(const Context& ctx) { return impl_->Run(ctx); }
absl::Status NodeController::Start(const Context& ctx) { return impl_->Start(ctx); }
absl::Status NodeController::Stop() { return impl_->Stop(); }
void NodeController::SetPodsSynced(bool synced) { impl_->SetPodsSynced(synced); }
absl::Status NodeController::WaitRegistered(const Context& ctx) const { return impl_->WaitFor(ctx, false); }
absl::Status NodeController::WaitReady(const Context& ctx) const { return impl_->WaitFor(ctx, true); }
std::shared_ptr<const corev1::Node> NodeController::node() const { return impl_->node(); }
const std::string& NodeController::node_name() const { return impl_->node_name(); }
NodeControllerMetrics NodeController::GetMetrics() const { return impl_->GetMetrics(); }

}  // namespace vkubelet::node

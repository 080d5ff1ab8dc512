// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The end-to-end scenarios. Everything goes through the Kubernetes API with
// the real client, so the same code runs against FakeApiServer and against a
// cluster.

#include "vkubelet/testing/e2e_suite.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/kube/resource_client.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/node/event_reasons.h"
#include "vkubelet/stats/summary.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/wait.h"

namespace vkubelet::testing {

namespace {

using ::vkubelet::internal::ToAbsl;

const std::vector<EndToEndScenario>& Scenarios() {
  static const auto* scenarios = new std::vector<EndToEndScenario>{
      {"pods.running-pods-via-proxy", "a pod bound to the node runs, and the node's /runningpods/ lists it"},
      {"stats.summary-via-proxy", "/stats/summary through the API server covers the pod and its three containers"},
      {"metrics.resource-via-proxy", "/metrics/resource through the API server has the pod's CPU and memory"},
      {"pods.graceful-delete", "a pod deleted with a grace period leaves the API server and the provider"},
      {"pods.force-delete", "a pod deleted with grace period 0 leaves the API server and the provider"},
      {"env.optional-secret-missing", "a pod using a missing optional Secret runs; OptionalSecretNotFound recorded"},
      {"env.optional-configmap-missing",
       "a pod using a missing optional ConfigMap runs; OptionalConfigMapNotFound recorded"},
      {"env.mandatory-secret-missing",
       "a pod needing a missing Secret does not run; MandatorySecretNotFound recorded"},
      {"env.mandatory-configmap-missing",
       "a pod needing a missing ConfigMap does not run; MandatoryConfigMapNotFound recorded"},
  };
  return *scenarios;
}

bool IsScenario(std::string_view id) {
  for (const auto& s : Scenarios()) {
    if (s.id == id) return true;
  }
  return false;
}

bool Skipped(const EndToEndConfig& config, std::string_view id) {
  for (const auto& s : config.skip) {
    if (s == id) return true;
    if (!s.empty() && s.back() == '.' && absl::StartsWith(ToAbsl(id), s)) return true;
  }
  return false;
}

std::string RandomSuffix() {
  static absl::Mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  absl::MutexLock lock(&mu);
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 6; ++i) s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

// The cluster a scenario talks to: FakeApiServer plus a running Node, or a
// real cluster through a kubeconfig.
class Cluster {
 public:
  static absl::StatusOr<std::unique_ptr<Cluster>> Start(const ProviderFactory& factory, const EndToEndConfig& config) {
    auto c = std::unique_ptr<Cluster>(new Cluster());
    c->node_name_ = config.node_name;
    if (!config.kubeconfig.empty()) {
      kube::KubeconfigOptions ko;
      ko.path = config.kubeconfig;
      VK_ASSIGN_OR_RETURN(kube::ClientConfig cc, kube::LoadKubeconfig(ko));
      VK_ASSIGN_OR_RETURN(c->client_, kube::RestClient::Create(cc));
      if (config.node_name.empty()) return errdefs::InvalidInput("e2e: a kubeconfig needs a node name (--node=)");
      kube::ResourceClient<corev1::Node> nodes(c->client_);
      auto node = nodes.Get(Context::Background().WithTimeout(config.timeout), "", config.node_name);
      if (!node.ok()) return errdefs::Annotate(node.status(), absl::StrCat("e2e: node ", config.node_name));
      return c;
    }
    if (!factory) return errdefs::InvalidInput("e2e: no provider factory given for the in-process node");
    VK_ASSIGN_OR_RETURN(c->server_, FakeApiServer::Start({}));
    kube::ClientConfig cc;
    cc.server = c->server_->url();
    cc.qps = 0;
    VK_ASSIGN_OR_RETURN(c->client_, kube::RestClient::Create(cc));
    NodeOptions o = config.node_options;
    o.node_name = config.node_name;
    o.client = c->client_;
    if (o.internal_ip.empty()) o.internal_ip = "127.0.0.1";
    o.serve_kubelet_api = true;
    o.kubelet_server.address = "127.0.0.1";
    o.kubelet_server.port = 0;  // the node advertises the port it bound
    o.kubelet_server.self_signed = true;
    // FakeApiServer reaches the kubelet API with a client certificate of its
    // own CA; no TokenReview/SubjectAccessReview round trips are needed.
    o.kubelet_server.no_auth = true;
    if (o.startup_timeout == absl::ZeroDuration()) o.startup_timeout = config.timeout;
    VK_ASSIGN_OR_RETURN(c->node_, Node::Create(std::move(o), factory));
    auto [ctx, cancel] = Context::Background().WithCancel();
    c->cancel_ = cancel;
    Node* node = c->node_.get();
    c->thread_ = std::thread([node, ctx = ctx] { (void)node->Run(ctx); });
    absl::Status ready = c->node_->WaitReady(config.timeout + absl::Seconds(5));
    if (ready.ok()) return c;
    c->StopNode();
    return errdefs::Annotate(ready, "e2e: the in-process node did not become ready");
  }

  ~Cluster() {
    // The provider's own threads may still report pods the scenario removed;
    // let it forget them while the node runs. (A vkubelet::Node destroys its
    // pod controller before the provider, so a notification sent during that
    // window would reach a destroyed controller.)
    if (node_) {
      PodLifecycleHandler* provider = node_->provider();
      (void)WaitFor(
          [provider] {
            auto pods = provider->GetPods(Context::Background().WithTimeout(absl::Seconds(5)));
            return pods.ok() && pods->empty();
          },
          absl::Seconds(30), "the provider to forget every pod");
    }
    StopNode();
    if (server_) server_->Stop();
  }

  const std::shared_ptr<kube::RestClient>& client() const { return client_; }
  const std::string& node_name() const { return node_name_; }

 private:
  Cluster() = default;
  void StopNode() {
    if (cancel_) cancel_();
    if (thread_.joinable()) thread_.join();
    node_.reset();
    cancel_ = nullptr;
  }

  std::string node_name_;
  std::unique_ptr<FakeApiServer> server_;
  std::shared_ptr<kube::RestClient> client_;
  std::unique_ptr<Node> node_;
  CancelFn cancel_;
  std::thread thread_;
};

// One scenario: its pods (removed at the end) and its failures.
class Scenario {
 public:
  Scenario(std::string_view id, Cluster& cluster, const EndToEndConfig& config)
      : id_(id), cluster_(cluster), config_(config), pods_(cluster.client()), events_(cluster.client()) {}
  ~Scenario() {
    for (const auto& name : created_) {
      kube::DeleteOptions d;
      d.grace_period_seconds = 0;
      (void)pods_.Delete(Ctx(), config_.namespace_, name, d);
    }
    for (const auto& name : created_) {
      (void)WaitForObject<corev1::Pod>(
          Context::Background(), pods_, config_.namespace_, name, [](const corev1::Pod* p) { return p == nullptr; },
          config_.timeout);
    }
  }

  void Fail(std::string_view what) { failures_.push_back(absl::StrCat("[", ToAbsl(id_), "] ", ToAbsl(what))); }
  std::vector<std::string> TakeFailures() { return std::move(failures_); }
  bool failed() const { return !failures_.empty(); }
  std::optional<std::string> skip;

  Context Ctx() const { return Context::Background().WithTimeout(config_.timeout); }
  const std::string& ns() const { return config_.namespace_; }

  // The template with a unique name, bound to the node.
  corev1::Pod NewPod(std::string_view prefix) const {
    corev1::Pod pod = config_.pod_template;
    pod.mutable_metadata()->Clear();
    *pod.mutable_metadata()->mutable_labels() = config_.pod_template.metadata().labels();
    *pod.mutable_metadata()->mutable_annotations() = config_.pod_template.metadata().annotations();
    pod.mutable_metadata()->set_name(absl::StrCat("e2e-", ToAbsl(prefix), "-", RandomSuffix()));
    pod.mutable_metadata()->set_namespace_(config_.namespace_);
    pod.mutable_spec()->set_nodename(cluster_.node_name());
    auto* t = pod.mutable_spec()->add_tolerations();
    t->set_key("virtual-kubelet.io/provider");
    t->set_operator_("Exists");
    pod.clear_status();
    return pod;
  }

  bool Create(const corev1::Pod& pod) {
    auto created = pods_.Create(Ctx(), pod);
    if (!created.ok()) {
      Fail(absl::StrCat("cannot create pod ", pod.metadata().name(), ": ", created.status().ToString()));
      return false;
    }
    created_.push_back(pod.metadata().name());
    return true;
  }

  // Waits for phase Running (fails early on a terminal phase).
  bool WaitRunning(const std::string& name) {
    std::string phase;
    auto got = WaitForObject<corev1::Pod>(
        Context::Background(), pods_, ns(), name,
        [&](const corev1::Pod* p) {
          phase = p ? p->status().phase() : "<deleted>";
          return p == nullptr || phase == "Running" || phase == "Succeeded" || phase == "Failed";
        },
        config_.timeout);
    if (!got.ok() || phase != "Running") {
      Fail(absl::StrCat("pod ", ns(), "/", name, " did not reach phase Running (phase \"", phase, "\"",
                        got.ok() ? "" : absl::StrCat(", ", got.status().message()), ")"));
      return false;
    }
    return true;
  }

  // GET nodes/<node>/proxy/<path> through the API server.
  absl::StatusOr<kube::RestResponse> Proxy(std::string_view path) {
    kube::RestRequest r;
    r.path = absl::StrCat("/api/v1/nodes/", cluster_.node_name(), "/proxy/", ToAbsl(path));
    r.accept = "application/json, */*";
    return cluster_.client()->Do(Ctx(), r);
  }

  // The provider's pods as the node reports them (/runningpods/).
  absl::StatusOr<std::vector<std::string>> RunningPods() {
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, Proxy("runningpods/"));
    corev1::PodList list;
    VK_RETURN_IF_ERROR(kube::DecodeJson(resp.body, &list));
    std::vector<std::string> out;
    for (const auto& p : list.items()) out.push_back(absl::StrCat(p.metadata().namespace_(), "/", p.metadata().name()));
    return out;
  }

  // Waits until /runningpods/ lists (or no longer lists) the pod.
  bool WaitListed(const std::string& name, bool listed) {
    const std::string key = absl::StrCat(ns(), "/", name);
    absl::Status last;
    absl::Status s = WaitFor(
        [&] {
          auto pods = RunningPods();
          if (!pods.ok()) {
            last = pods.status();
            return false;
          }
          bool has = std::find(pods->begin(), pods->end(), key) != pods->end();
          return has == listed;
        },
        config_.timeout, absl::StrCat("/runningpods/ to ", listed ? "list " : "stop listing ", key));
    if (!s.ok()) {
      Fail(absl::StrCat("the node's /runningpods/ ", listed ? "does not list " : "still lists ", key, " (",
                        s.message(), last.ok() ? "" : absl::StrCat("; last error: ", last.ToString()), ")"));
      return false;
    }
    return true;
  }

  // Waits for an Event with `reason` about pod `name`.
  bool WaitEvent(const std::string& name, std::string_view reason) {
    absl::Status last;
    absl::Status s = WaitFor(
        [&] {
          kube::ListOptions lo;
          lo.field_selector = absl::StrCat("involvedObject.name=", name);
          auto list = events_.List(Ctx(), ns(), lo);
          if (!list.ok()) {
            last = list.status();
            return false;
          }
          for (const auto& e : list->items()) {
            if (e.involvedobject().name() == name && e.reason() == reason) return true;
          }
          return false;
        },
        config_.timeout, absl::StrCat("an Event ", ToAbsl(reason), " for pod ", name));
    if (!s.ok()) {
      Fail(absl::StrCat("no Event with reason ", ToAbsl(reason), " for pod ", ns(), "/", name, " (", s.message(),
                        last.ok() ? "" : absl::StrCat("; last error: ", last.ToString()), ")"));
      return false;
    }
    return true;
  }

  const std::string id_;
  Cluster& cluster_;
  const EndToEndConfig& config_;
  kube::ResourceClient<corev1::Pod> pods_;
  kube::ResourceClient<corev1::Event> events_;

 private:
  std::vector<std::string> created_;
  std::vector<std::string> failures_;
};

// --- Scenarios -----------------------------------------------------------------------------

void RunningPodsViaProxy(Scenario& s) {
  corev1::Pod pod = s.NewPod("list");
  if (!s.Create(pod) || !s.WaitRunning(pod.metadata().name())) return;
  s.WaitListed(pod.metadata().name(), true);
}

void StatsSummaryViaProxy(Scenario& s) {
  corev1::Pod pod = s.NewPod("stats");
  const corev1::Container first = pod.spec().containers(0);
  pod.mutable_spec()->clear_containers();
  for (int i = 0; i < 3; ++i) {
    corev1::Container c = first;
    c.set_name(absl::StrCat(first.name(), "-", i));
    *pod.mutable_spec()->add_containers() = c;
  }
  if (!s.Create(pod) || !s.WaitRunning(pod.metadata().name())) return;
  const std::string name = pod.metadata().name();
  std::string seen = "no summary";
  absl::Status waited = WaitFor(
      [&] {
        auto resp = s.Proxy("stats/summary");
        if (!resp.ok()) {
          if (errdefs::IsUnimplemented(resp.status())) s.skip = "the node does not serve /stats/summary (501)";
          seen = resp.status().ToString();
          return s.skip.has_value();
        }
        auto summary = stats::SummaryFromJson(resp->body);
        if (!summary.ok()) {
          seen = absl::StrCat("an unparsable summary: ", summary.status().ToString());
          return false;
        }
        for (const auto& p : summary->pods) {
          if (p.pod_ref.namespace_ == s.ns() && p.pod_ref.name == name) {
            seen = absl::StrCat("the pod with ", p.containers.size(), " container(s)");
            return p.containers.size() == 3;
          }
        }
        seen = absl::StrCat(summary->pods.size(), " pods, not this one");
        return false;
      },
      s.config_.timeout, "the stats summary to cover the pod");
  if (!waited.ok()) {
    s.Fail(absl::StrCat("/stats/summary through the API server does not cover pod ", s.ns(), "/", name,
                        " with its 3 containers (last seen: ", seen, ")"));
  }
}

void MetricsResourceViaProxy(Scenario& s) {
  corev1::Pod pod = s.NewPod("metrics");
  if (!s.Create(pod) || !s.WaitRunning(pod.metadata().name())) return;
  const std::string name = pod.metadata().name();
  const std::string labels = absl::StrCat("namespace=\"", s.ns(), "\",pod=\"", name, "\"");
  std::string seen;
  absl::Status waited = WaitFor(
      [&] {
        auto resp = s.Proxy("metrics/resource");
        if (!resp.ok()) {
          if (errdefs::IsUnimplemented(resp.status())) s.skip = "the node does not serve /metrics/resource (501)";
          seen = resp.status().ToString();
          return s.skip.has_value();
        }
        bool cpu = false, memory = false;
        for (absl::string_view line : absl::StrSplit(resp->body, '\n')) {
          if (!absl::StrContains(line, labels)) continue;
          cpu |= absl::StartsWith(line, "pod_cpu_usage_seconds_total{");
          memory |= absl::StartsWith(line, "pod_memory_working_set_bytes{");
        }
        seen = absl::StrCat("cpu sample ", cpu ? "present" : "missing", ", memory sample ",
                            memory ? "present" : "missing");
        return cpu && memory;
      },
      s.config_.timeout, "resource metrics for the pod");
  if (!waited.ok()) {
    s.Fail(absl::StrCat("/metrics/resource through the API server has no pod_cpu_usage_seconds_total and "
                        "pod_memory_working_set_bytes samples for ",
                        s.ns(), "/", name, " (", seen, ")"));
  }
}

void Delete(Scenario& s, bool force) {
  corev1::Pod pod = s.NewPod(force ? "force" : "graceful");
  if (!force && !pod.spec().has_terminationgraceperiodseconds()) pod.mutable_spec()->set_terminationgraceperiodseconds(30);
  const std::string name = pod.metadata().name();
  if (!s.Create(pod) || !s.WaitRunning(name) || !s.WaitListed(name, true)) return;
  kube::DeleteOptions d;
  if (force) d.grace_period_seconds = 0;
  auto deleted = s.pods_.Delete(s.Ctx(), s.ns(), name, d);
  if (!deleted.ok()) {
    s.Fail(absl::StrCat("DELETE of pod ", s.ns(), "/", name, " failed: ", deleted.status().ToString()));
    return;
  }
  if (force) {
    // Grace period 0 removes the object at once (the answer is its last state).
    auto after = s.pods_.Get(s.Ctx(), s.ns(), name);
    if (!errdefs::IsNotFound(after.status())) {
      s.Fail(absl::StrCat("right after a DELETE with grace period 0, GET of pod ", s.ns(), "/", name, " answered ",
                          after.ok() ? "the pod" : after.status().ToString()));
    }
  }
  if (!force && deleted->has_value() && !(*deleted)->metadata().has_deletiontimestamp()) {
    s.Fail(absl::StrCat("a graceful DELETE of pod ", s.ns(), "/", name, " did not set deletionTimestamp"));
  }
  auto gone = WaitForObject<corev1::Pod>(
      Context::Background(), s.pods_, s.ns(), name, [](const corev1::Pod* p) { return p == nullptr; },
      s.config_.timeout);
  if (!gone.ok()) {
    s.Fail(absl::StrCat("pod ", s.ns(), "/", name, " is still in the API server after its ",
                        force ? "forced" : "graceful", " deletion (", gone.status().message(), ")"));
  }
  s.WaitListed(name, false);
}

void GracefulDelete(Scenario& s) { Delete(s, false); }
void ForceDelete(Scenario& s) { Delete(s, true); }

void MissingReference(Scenario& s, bool secret, bool optional) {
  corev1::Pod pod = s.NewPod(absl::StrCat(optional ? "opt-" : "req-", secret ? "secret" : "cm"));
  const std::string missing = absl::StrCat("e2e-missing-", RandomSuffix());
  PodBuilder b(pod);
  if (secret) {
    b.EnvFromSecretKey("E2E_VALUE", missing, "value", optional);
    if (optional) b.EnvFromSecret(missing, true);
  } else {
    b.EnvFromConfigMapKey("E2E_VALUE", missing, "value", optional);
    if (optional) b.EnvFromConfigMap(missing, true);
  }
  pod = b.Build();
  const std::string name = pod.metadata().name();
  if (!s.Create(pod)) return;
  std::string_view reason = secret ? (optional ? node::kReasonOptionalSecretNotFound : node::kReasonMandatorySecretNotFound)
                                   : (optional ? node::kReasonOptionalConfigMapNotFound
                                               : node::kReasonMandatoryConfigMapNotFound);
  if (optional) {
    if (!s.WaitRunning(name)) return;
    s.WaitEvent(name, reason);
    return;
  }
  if (!s.WaitEvent(name, reason)) return;
  auto now = s.pods_.Get(s.Ctx(), s.ns(), name);
  if (now.ok() && now->status().phase() == "Running") {
    s.Fail(absl::StrCat("pod ", s.ns(), "/", name, " runs although the ", secret ? "Secret" : "ConfigMap",
                        " it needs does not exist"));
  }
  auto listed = s.RunningPods();
  if (listed.ok() && std::find(listed->begin(), listed->end(), absl::StrCat(s.ns(), "/", name)) != listed->end()) {
    s.Fail(absl::StrCat("the provider was given pod ", s.ns(), "/", name, " although the ",
                        secret ? "Secret" : "ConfigMap", " it needs does not exist"));
  }
}

void RunScenario(Scenario& s) {
  const std::string& id = s.id_;
  if (id == "pods.running-pods-via-proxy") RunningPodsViaProxy(s);
  if (id == "stats.summary-via-proxy") StatsSummaryViaProxy(s);
  if (id == "metrics.resource-via-proxy") MetricsResourceViaProxy(s);
  if (id == "pods.graceful-delete") GracefulDelete(s);
  if (id == "pods.force-delete") ForceDelete(s);
  if (id == "env.optional-secret-missing") MissingReference(s, true, true);
  if (id == "env.optional-configmap-missing") MissingReference(s, false, true);
  if (id == "env.mandatory-secret-missing") MissingReference(s, true, false);
  if (id == "env.mandatory-configmap-missing") MissingReference(s, false, false);
}

std::vector<std::string> ProcessArgs() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (absl::string_view a : absl::StrSplit(all, '\0')) {
    if (!a.empty()) args.emplace_back(a.data(), a.size());
  }
  return args;
}

}  // namespace

const std::vector<EndToEndScenario>& EndToEndScenarios() { return Scenarios(); }

EndToEndConfig EndToEndConfigFrom(const std::vector<std::string>& args, EndToEndConfig base) {
  auto env = [](const char* name, std::string* out) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') *out = v;
  };
  env("VKUBELET_E2E_KUBECONFIG", &base.kubeconfig);
  env("VKUBELET_E2E_NODE", &base.node_name);
  env("VKUBELET_E2E_NAMESPACE", &base.namespace_);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    for (const auto& [flag, out] : {std::pair<std::string_view, std::string*>{"--kubeconfig", &base.kubeconfig},
                                    {"--node", &base.node_name},
                                    {"--e2e-namespace", &base.namespace_}}) {
      if (absl::StartsWith(ToAbsl(a), absl::StrCat(ToAbsl(flag), "="))) {
        *out = std::string(a.substr(flag.size() + 1));
      } else if (a == flag && i + 1 < args.size()) {
        *out = args[++i];
      }
    }
  }
  return base;
}

EndToEndConfig EndToEndConfigFromProcess(EndToEndConfig base) {
  return EndToEndConfigFrom(ProcessArgs(), std::move(base));
}

EndToEndSuite::EndToEndSuite(ProviderFactory factory, EndToEndConfig config)
    : factory_(std::move(factory)), config_(std::move(config)) {}

CheckResult EndToEndSuite::Run(std::string_view id) const {
  CheckResult result;
  result.clause = std::string(id);
  if (!IsScenario(id)) {
    result.outcome = CheckOutcome::kFailed;
    result.failures.push_back(absl::StrCat("[", ToAbsl(id), "] no such end-to-end scenario"));
    return result;
  }
  if (Skipped(config_, id)) {
    result.outcome = CheckOutcome::kSkipped;
    result.skip_reason = "skipped by EndToEndConfig::skip";
    return result;
  }
  auto cluster = Cluster::Start(factory_, config_);
  if (!cluster.ok()) {
    result.outcome = CheckOutcome::kFailed;
    result.failures.push_back(absl::StrCat("[", ToAbsl(id), "] ", cluster.status().ToString()));
    return result;
  }
  std::vector<std::string> failures;
  std::optional<std::string> skip;
  {
    Scenario s(id, **cluster, config_);
    RunScenario(s);
    skip = s.skip;
    failures = s.TakeFailures();
  }
  if (skip) {
    result.outcome = CheckOutcome::kSkipped;
    result.skip_reason = *skip;
  } else if (!failures.empty()) {
    result.outcome = CheckOutcome::kFailed;
    result.failures = std::move(failures);
  }
  return result;
}

ConformanceReport EndToEndSuite::RunAll() const {
  ConformanceReport report;
  for (const auto& s : Scenarios()) report.results.push_back(Run(s.id));
  return report;
}

}  // namespace vkubelet::testing

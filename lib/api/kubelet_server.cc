// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// KubeletServer on the private HTTP core (internal/http/server.h): the
// authentication/authorization filter, the route table and the handlers of
// the non-streaming routes.

#include "vkubelet/api/kubelet_server.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <list>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/container_logs.h"
#include "api/kubelet_server_internal.h"
#include "api/router.h"
#include "api/server_metrics.h"
#include "api/streaming_routes.h"
#include "internal/http/server.h"
#include "internal/tls/certs.h"
#include "stats/resource_metrics.h"
#include "stats/summary_writer.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/log.h"

namespace vkubelet::api {

namespace http = ::vkubelet::internal::http;
namespace tls = ::vkubelet::internal::tls;
using internal::RouteRequest;
using vkubelet::internal::ToAbsl;

namespace {

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";
constexpr std::string_view kJson = "application/json";

void SendText(http::Response& resp, int code, std::string body, http::Headers extra = {}) {
  http::Headers h{{"Content-Type", std::string(kTextPlain)}, {"X-Content-Type-Options", "nosniff"}};
  for (const auto& [k, v] : extra) h.Add(k, v);
  resp.Send(code, h, std::move(body));
}

void SendBody(http::Response& resp, std::string_view content_type, std::string body) {
  resp.Send(200, http::Headers{{"Content-Type", std::string(content_type)}}, std::move(body));
}

// A provider (or pod lister) error as the kubelet's stats handler answers it:
// the errdefs status code; 5xx bodies say "Internal Error: ...".
void SendProviderError(http::Response& resp, const absl::Status& s) {
  int code = errdefs::HttpStatusCode(s);
  if (code < 400) code = 500;
  std::string msg(s.message());
  if (code >= 500 && code != 501) msg = "Internal Error: " + msg;
  SendText(resp, code, std::move(msg));
}

void SendNotImplemented(http::Response& resp, std::string_view what) {
  SendText(resp, 501, absl::StrCat("501 not implemented: ", ToAbsl(what), "\n"));
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", ToAbsl(what), " ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Whether a container of that name is declared in the pod (regular, init or
// ephemeral), as the kubelet's GetContainerSpec looks.
bool PodHasContainer(const corev1::Pod& pod, const std::string& name) {
  for (const auto& c : pod.spec().containers()) {
    if (c.name() == name) return true;
  }
  for (const auto& c : pod.spec().initcontainers()) {
    if (c.name() == name) return true;
  }
  for (const auto& c : pod.spec().ephemeralcontainers()) {
    if (c.ephemeralcontainercommon().name() == name) return true;
  }
  return false;
}

std::string EncodePodList(const std::vector<std::shared_ptr<const corev1::Pod>>& pods) {
  corev1::PodList list;
  list.mutable_items()->Reserve(static_cast<int>(pods.size()));
  for (const auto& p : pods) {
    if (p != nullptr) *list.add_items() = *p;
  }
  return kube::EncodeJson(list, "v1", "PodList");
}

}  // namespace

class KubeletServer::Impl {
 public:
  Impl(KubeletServerOptions options, KubeletServerHandlers handlers)
      : options_(std::move(options)), handlers_(std::move(handlers)) {
    if (options_.clock == nullptr) options_.clock = Clock::Real();
    own_metrics_ = std::make_shared<internal::ServerMetrics>(options_.clock);
    sources_ = options_.metrics_sources;
    auto [ctx, cancel] = Context::Background().WithCancel();
    streams_ctx_ = ctx;
    cancel_streams_ = cancel;
    if (handlers_.provider != nullptr) {
      PodLifecycleHandler* p = handlers_.provider.get();
      logs_ = dynamic_cast<ContainerLogsProvider*>(p);
      stats_ = dynamic_cast<PodMetricsProvider*>(p);
      exec_ = dynamic_cast<ContainerExecProvider*>(p);
      port_forward_ = dynamic_cast<PortForwardProvider*>(p);
    }
  }

  ~Impl() { Stop(absl::ZeroDuration()); }

  absl::Status Init(std::vector<internal::Route> extra, bool replace_streaming) {
    if (options_.node_name.empty())
      return absl::InvalidArgumentError("kubelet server: node_name is required");
    if (!options_.no_auth && (options_.authenticator == nullptr || options_.authorizer == nullptr)) {
      return absl::InvalidArgumentError(
          "kubelet server: an authenticator and an authorizer are required (see NewWebhookAuth), or no_auth "
          "for "
          "development");
    }
    VK_RETURN_IF_ERROR(InitRoutes(std::move(extra), replace_streaming));

    http::ServerOptions so;
    so.address = options_.address;
    so.port = options_.port;
    so.io_threads = std::max(1, options_.io_threads);
    so.handler_threads = std::max(1, options_.handler_threads);
    so.max_connections = options_.max_connections;
    so.max_header_bytes = options_.max_header_bytes;
    so.max_body_bytes = options_.max_body_bytes;
    so.header_read_timeout = options_.header_read_timeout;
    so.idle_timeout = options_.idle_timeout;
    if (!options_.insecure_plain_http) {
      VK_ASSIGN_OR_RETURN(so.tls, TlsOptions());
    } else if (!options_.client_ca_file.empty() || !options_.client_ca_pem.empty() ||
               options_.require_client_certificate) {
      return absl::InvalidArgumentError(
          "kubelet server: client certificates need TLS (insecure_plain_http is set)");
    }
    auto server = http::Server::Create(
        std::move(so),
        [this](http::Request& req, std::shared_ptr<http::Response> r) { Handle(req, std::move(r)); });
    if (!server.ok())
      return absl::InvalidArgumentError(absl::StrCat("kubelet server: ", server.status().message()));
    server_ = *std::move(server);
    return absl::OkStatus();
  }

  absl::Status Start() {
    Context ctx = Context::Background();
    if (options_.no_auth) {
      log::Warning(
          ctx,
          "Kubelet API authentication and authorization are DISABLED (no_auth): anyone who can reach "
          "the port can read logs and metrics; use only for development",
          {{"node", options_.node_name}});
    }
    if (options_.insecure_plain_http) {
      log::Warning(ctx, "Kubelet API served over plain HTTP (insecure_plain_http); use only for development",
                   {{"node", options_.node_name}});
    }
    VK_RETURN_IF_ERROR(server_->Start());
    log::Info(ctx, "Kubelet API listening",
              {{"node", options_.node_name}, {"address", options_.address}, {"port", server_->port()}});
    return absl::OkStatus();
  }

  void Stop(absl::Duration grace) {
    std::list<std::unique_ptr<StreamWorker>> workers;
    {
      absl::MutexLock lock(&workers_mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    if (cancel_streams_) cancel_streams_();
    if (server_ != nullptr) server_->Stop(grace);
    {
      absl::MutexLock lock(&workers_mu_);
      workers.swap(workers_);
    }
    for (auto& w : workers) w->thread.join();
  }

  int port() const { return server_ ? server_->port() : 0; }
  const std::string& serving_certificate_pem() const { return serving_cert_pem_; }
  std::shared_ptr<internal::ServerMetrics> own_metrics() const { return own_metrics_; }

  void AddMetricsSource(std::shared_ptr<stats::MetricsSource> source) {
    if (source == nullptr) return;
    absl::MutexLock lock(&sources_mu_);
    if (std::find(sources_.begin(), sources_.end(), source) == sources_.end())
      sources_.push_back(std::move(source));
  }

  void RemoveMetricsSource(const std::shared_ptr<stats::MetricsSource>& source) {
    absl::MutexLock lock(&sources_mu_);
    sources_.erase(std::remove(sources_.begin(), sources_.end(), source), sources_.end());
  }

 private:
  struct StreamWorker {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  absl::StatusOr<http::ServerTlsOptions> TlsOptions() {
    http::ServerTlsOptions t;
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
      if (options_.tls_cert_file.empty() || options_.tls_key_file.empty()) {
        return absl::InvalidArgumentError("kubelet server: tls_cert_file and tls_key_file go together");
      }
      VK_ASSIGN_OR_RETURN(serving_cert_pem_, ReadFile(options_.tls_cert_file, "TLS certificate"));
      VK_ASSIGN_OR_RETURN(std::string key, ReadFile(options_.tls_key_file, "TLS key"));
      absl::Status match = tls::CheckKeyMatchesCertificate(serving_cert_pem_, key);
      if (!match.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("kubelet server: ", options_.tls_cert_file, " / ",
                                                       options_.tls_key_file, ": ", match.message()));
      }
      t.cert_file = options_.tls_cert_file;
      t.key_file = options_.tls_key_file;
    } else if (options_.self_signed) {
      tls::LeafOptions leaf;
      leaf.common_name = options_.node_name;
      std::vector<std::string> hosts = options_.self_signed_hosts;
      if (hosts.empty()) {
        hosts = {options_.node_name, "localhost", "127.0.0.1"};
        if (IsIpAddress(options_.address) && options_.address != "0.0.0.0" && options_.address != "::") {
          hosts.push_back(options_.address);
        }
      }
      for (const std::string& h : hosts) {
        auto& list = IsIpAddress(h) ? leaf.ip_addresses : leaf.dns_names;
        if (std::find(list.begin(), list.end(), h) == list.end()) list.push_back(h);
      }
      leaf.server_auth = true;
      VK_ASSIGN_OR_RETURN(tls::CertKeyPem pem, tls::GenerateSelfSigned(leaf));
      serving_cert_pem_ = pem.cert_pem;
      t.cert_pem = std::move(pem.cert_pem);
      t.key_pem = std::move(pem.key_pem);
    } else {
      return absl::InvalidArgumentError(
          "kubelet server: no serving certificate: set tls_cert_file/tls_key_file or self_signed (or "
          "insecure_plain_http for development)");
    }
    t.client_ca_pem = options_.client_ca_pem;
    if (!options_.client_ca_file.empty()) {
      VK_ASSIGN_OR_RETURN(std::string ca, ReadFile(options_.client_ca_file, "client CA"));
      if (!t.client_ca_pem.empty() && t.client_ca_pem.back() != '\n') t.client_ca_pem.push_back('\n');
      t.client_ca_pem += ca;
    }
    if (!t.client_ca_pem.empty()) {
      absl::Status ok = tls::ParseCertificatePem(t.client_ca_pem).status();
      if (!ok.ok())
        return absl::InvalidArgumentError(absl::StrCat("kubelet server: client CA: ", ok.message()));
    }
    if (options_.require_client_certificate && t.client_ca_pem.empty()) {
      return absl::InvalidArgumentError("kubelet server: require_client_certificate needs a client CA");
    }
    t.require_client_cert = options_.require_client_certificate;
    return t;
  }

  absl::Status InitRoutes(std::vector<internal::Route> extra, bool replace_streaming) {
    auto bind = [this](void (Impl::*fn)(RouteRequest&)) {
      return [this, fn](RouteRequest& r) { (this->*fn)(r); };
    };
    std::vector<internal::Route> routes = {
        {{"GET"}, "/containerLogs/{namespace}/{pod}/{container}", bind(&Impl::ServeContainerLogs)},
        {{"GET"}, "/pods", bind(&Impl::ServePods)},
        {{"GET"}, "/runningpods", bind(&Impl::ServeRunningPods)},
        {{"GET", "POST"}, "/stats/summary", bind(&Impl::ServeStatsSummary)},
        {{"GET"}, "/metrics", bind(&Impl::ServeMetrics)},
        {{"GET"}, "/metrics/resource", bind(&Impl::ServeMetricsResource)},
        {{"GET"}, "/healthz", bind(&Impl::ServeHealthz)},
        {{"GET"}, "/healthz/{check}", bind(&Impl::ServeHealthCheck)},
    };
    if (!replace_streaming) {
      internal::StreamingDeps deps;
      deps.exec = exec_;
      deps.port_forward = port_forward_;
      deps.provider = handlers_.provider;
      deps.stream_creation_timeout = options_.stream_creation_timeout;
      deps.stream_idle_timeout = options_.stream_idle_timeout;
      for (auto& r : internal::StreamingRoutes(deps)) routes.push_back(std::move(r));
    }
    for (auto& r : extra) routes.push_back(std::move(r));
    for (auto& r : routes) VK_RETURN_IF_ERROR(router_.Add(std::move(r)));
    return absl::OkStatus();
  }

  // --- the filter chain --------------------------------------------------------------

  void Handle(http::Request& raw, std::shared_ptr<http::Response> resp) {
    RouteRequest rr;
    rr.http = std::make_shared<http::Request>(std::move(raw));
    const http::Request& req = *rr.http;
    rr.response = resp;
    rr.ctx = resp->context();
    rr.scope = own_metrics_->Begin(req.method, req.path);

    if (options_.no_auth) {
      rr.user.name = std::string(kAnonymousUser);
      rr.user.groups = {std::string(kUnauthenticatedGroup)};
    } else if (!Authorize(rr)) {
      return;
    }

    internal::Router::Match m = router_.Find(req.method, req.path);
    switch (m.result) {
      case internal::Router::Result::kNotFound:
        SendText(*resp, 404, "404: Page Not Found");
        return;
      case internal::Router::Result::kMethodNotAllowed:
        SendText(*resp, 405, "405: Method Not Allowed", {{"Allow", m.allow}});
        return;
      case internal::Router::Result::kFound:
        break;
    }
    rr.vars = std::move(m.vars);
    m.route->handler(rr);
  }

  // Authenticates and authorizes; answers 401/403/500 itself and returns
  // false when the request must not go on.
  bool Authorize(RouteRequest& rr) {
    const http::Request& req = *rr.http;
    http::Response& resp = *rr.response;
    AuthenticationRequest ar;
    ar.method = req.method;
    ar.path = req.path;
    ar.authorization = req.Header("Authorization");
    ar.remote_address = req.remote_address;
    if (req.peer_certificate.has_value()) {
      ar.client_certificate =
          ClientCertificate{req.peer_certificate->common_name, req.peer_certificate->organizations,
                            req.peer_certificate->verified};
    }
    absl::StatusOr<std::optional<UserInfo>> who = options_.authenticator->Authenticate(rr.ctx, ar);
    if (!who.ok() || !who->has_value()) {
      if (!who.ok()) {
        log::Debug(rr.ctx, "Unable to authenticate the request",
                   {{"path", req.path}, {"remote", req.remote_address}, {"err", who.status()}});
      }
      SendText(resp, 401, "Unauthorized");
      return false;
    }
    rr.user = **std::move(who);

    std::vector<AuthorizationAttributes> attrs = NodeRequestAttributes(
        rr.user, req.method, req.path, options_.node_name, options_.fine_grained_authorization);
    std::vector<std::string> checked;
    for (const AuthorizationAttributes& a : attrs) {
      checked.push_back(a.subresource);
      absl::StatusOr<AuthorizationDecision> d = options_.authorizer->Authorize(rr.ctx, a);
      if (!d.ok()) {
        log::Error(
            rr.ctx, "Authorization error",
            {{"user", a.user.name}, {"verb", a.verb}, {"subresource", a.subresource}, {"err", d.status()}});
        SendText(resp, 500,
                 absl::StrFormat("Authorization error (user=%s, verb=%s, resource=%s, subresource=%s)",
                                 a.user.name, a.verb, a.resource, a.subresource));
        return false;
      }
      if (d->decision == Decision::kAllow) return true;
    }
    const AuthorizationAttributes& a = attrs.front();
    log::Debug(rr.ctx, "Forbidden", {{"user", a.user.name}, {"verb", a.verb}, {"path", req.path}});
    SendText(resp, 403,
             absl::StrFormat("Forbidden (user=%s, verb=%s, resource=%s, subresource(s)=[%s])\n", a.user.name,
                             a.verb, a.resource, absl::StrJoin(checked, " ")));
    return false;
  }

  // --- handlers ------------------------------------------------------------------------

  void ServePods(RouteRequest& r) {
    if (!handlers_.list_pods) return SendNotImplemented(*r.response, "no pod lister configured for /pods");
    auto pods = handlers_.list_pods(r.ctx.WithTimeout(options_.provider_timeout));
    if (!pods.ok()) return SendProviderError(*r.response, pods.status());
    SendBody(*r.response, kJson, EncodePodList(*pods));
  }

  void ServeRunningPods(RouteRequest& r) {
    if (handlers_.provider == nullptr) return SendNotImplemented(*r.response, "no provider");
    auto pods = handlers_.provider->GetPods(r.ctx.WithTimeout(options_.provider_timeout));
    if (!pods.ok()) return SendProviderError(*r.response, pods.status());
    SendBody(*r.response, kJson, EncodePodList(*pods));
  }

  absl::StatusOr<stats::Summary> GetSummary(const Context& ctx) {
    absl::StatusOr<stats::Summary> s = stats_->GetStatsSummary(ctx.WithTimeout(options_.provider_timeout));
    if (s.ok() && s->node.node_name.empty()) s->node.node_name = options_.node_name;
    return s;
  }

  void ServeStatsSummary(RouteRequest& r) {
    if (stats_ == nullptr) return SendNotImplemented(*r.response, "the provider does not serve stats");
    // Go's Request.Form: form-encoded POST body values first, then the query's.
    std::vector<std::string> values;
    const http::Request& req = *r.http;
    if (req.method == "POST" &&
        req.Header("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0) {
      absl::StatusOr<http::QueryParams> form = http::ParseQuery(req.body);
      if (!form.ok()) {
        return SendText(*r.response, 500,
                        absl::StrCat("Internal Error: parse form failed: ", form.status().message()));
      }
      for (const auto& [k, v] : *form) {
        if (k == "only_cpu_and_memory") values.push_back(v);
      }
    }
    for (std::string& v : req.QueryValues("only_cpu_and_memory")) values.push_back(std::move(v));
    bool only_cpu_and_memory = values.size() == 1 && values[0] == "true";

    absl::StatusOr<stats::Summary> s = GetSummary(r.ctx);
    if (!s.ok()) {
      log::Error(r.ctx, "Error getting stats summary from the provider", {{"err", s.status()}});
      return SendProviderError(*r.response, s.status());
    }
    SendSummary(*r.response, *s, only_cpu_and_memory);
  }

  // A summary that fits one piece goes out with Content-Length; a larger one
  // is streamed (chunked, as the kubelet's Go server sends any response over
  // 2 KB written without a length) while it is being encoded, so encoding,
  // encryption and the client's reading overlap.
  static void SendSummary(http::Response& resp, const stats::Summary& s, bool only_cpu_and_memory) {
    std::string first;
    bool streaming = false;
    stats::internal::SummaryJsonOptions o;
    o.cpu_and_memory_only = only_cpu_and_memory;
    stats::internal::WriteSummaryJson(s, o, [&](std::string& piece) {
      if (!streaming && first.empty()) {
        first = std::move(piece);
        return true;
      }
      if (!streaming) {
        streaming = true;
        if (!resp.StartStream(200, http::Headers{{"Content-Type", std::string(kJson)}})) return false;
        if (!resp.Write(std::move(first))) return false;
      }
      return resp.Write(std::move(piece));
    });
    if (streaming) {
      resp.Finish();
    } else {
      SendBody(resp, kJson, std::move(first));
    }
  }

  void ServeMetricsResource(RouteRequest& r) {
    if (stats_ == nullptr) return SendNotImplemented(*r.response, "the provider does not serve stats");
    absl::StatusOr<stats::Summary> s = GetSummary(r.ctx);
    if (!s.ok())
      log::Error(r.ctx, "Error getting summary for resourceMetric prometheus endpoint",
                 {{"err", s.status()}});
    std::string text;
    stats::PrometheusWriter w(&text);
    stats::internal::WriteResourceMetrics(s, w);
    SendBody(*r.response, stats::kPrometheusTextContentType, std::move(text));
  }

  void ServeMetrics(RouteRequest& r) {
    std::vector<std::shared_ptr<stats::MetricsSource>> sources;
    {
      absl::MutexLock lock(&sources_mu_);
      sources = sources_;
    }
    std::string text;
    stats::PrometheusWriter w(&text);
    own_metrics_->Collect(w);
    for (const auto& s : sources) s->Collect(w);
    SendBody(*r.response, stats::kPrometheusTextContentType, std::move(text));
  }

  std::vector<HealthCheck> HealthChecks() const {
    std::vector<HealthCheck> checks = {{"ping", [] { return absl::OkStatus(); }},
                                       {"log", [] { return absl::OkStatus(); }}};
    for (const HealthCheck& c : options_.health_checks) checks.push_back(c);
    return checks;
  }

  // The apiserver healthz handler's output.
  void ServeHealthz(RouteRequest& r) {
    std::string detail;
    bool failed = false;
    for (const HealthCheck& c : HealthChecks()) {
      absl::Status s = c.check ? c.check() : absl::OkStatus();
      if (s.ok()) {
        absl::StrAppend(&detail, "[+]", c.name, " ok\n");
      } else {
        failed = true;
        absl::StrAppend(&detail, "[-]", c.name, " failed: reason withheld\n");
        log::Info(r.ctx, "healthz check failed", {{"check", c.name}, {"err", s}});
      }
    }
    if (failed) return SendText(*r.response, 500, detail + "healthz check failed\n");
    if (!r.http->HasQuery("verbose")) return SendText(*r.response, 200, "ok");
    SendText(*r.response, 200, detail + "healthz check passed\n");
  }

  void ServeHealthCheck(RouteRequest& r) {
    std::string name = r.Var("check");
    for (const HealthCheck& c : HealthChecks()) {
      if (c.name != name) continue;
      absl::Status s = c.check ? c.check() : absl::OkStatus();
      if (!s.ok())
        return SendText(*r.response, 500, absl::StrCat("internal server error: ", s.message(), "\n"));
      return SendText(*r.response, 200, "ok");
    }
    SendText(*r.response, 404, "404: Page Not Found");
  }

  void ServeContainerLogs(RouteRequest& r) {
    http::Response& resp = *r.response;
    ContainerLogsRequest lr;
    lr.namespace_ = r.Var("namespace");
    lr.pod = r.Var("pod");
    lr.container = r.Var("container");
    absl::StatusOr<ContainerLogOptions> opts = internal::ParseContainerLogOptions(r.http->query);
    if (!opts.ok()) {
      log::Debug(r.ctx, "Bad container logs request", {{"err", opts.status()}});
      // The kubelet's bodies, word for word.
      if (errdefs::HttpStatusCode(opts.status()) == 422) {
        return SendText(resp, 422, R"({"message": "Invalid request."})");
      }
      return SendText(resp, 400, R"({"message": "Unable to decode query."})");
    }
    lr.options = *std::move(opts);

    if (handlers_.list_pods) {
      auto pods = handlers_.list_pods(r.ctx.WithTimeout(options_.provider_timeout));
      if (!pods.ok()) return SendProviderError(resp, pods.status());
      const corev1::Pod* pod = nullptr;
      for (const auto& p : *pods) {
        if (p && p->metadata().namespace_() == lr.namespace_ && p->metadata().name() == lr.pod) pod = p.get();
      }
      if (pod == nullptr) return SendText(resp, 404, absl::StrFormat("pod %s does not exist", Quote(lr.pod)));
      if (!PodHasContainer(*pod, lr.container)) {
        return SendText(
            resp, 404,
            absl::StrFormat("container %s not found in pod %s", Quote(lr.container), Quote(lr.pod)));
      }
    }
    if (logs_ == nullptr) return SendNotImplemented(resp, "the provider does not serve container logs");

    // The provider runs on a thread of its own for as long as the stream
    // lasts; its Context ends when the client leaves, the server stops or
    // limitBytes is reached.
    RouteRequest copy = r;
    auto run = [this, r = std::move(copy), lr = std::move(lr)]() mutable { StreamLogs(r, lr); };
    if (!SpawnStream(std::move(run))) {
      SendText(resp, 503, "too many concurrent container log streams, try again later\n",
               {{"Retry-After", "1"}});
    }
  }

  void StreamLogs(RouteRequest& r, const ContainerLogsRequest& lr) {
    own_metrics_->LogStreamStarted();
    auto [ctx, cancel] =
        r.ctx.WithFields({{"pod", lr.namespace_ + "/" + lr.pod}, {"container", lr.container}}).WithCancel();
    CancelRegistration on_stop = streams_ctx_.OnCancel(cancel);
    internal::ChunkedLogWriter writer(r.response, ctx, cancel, lr.options.limit_bytes,
                                      options_.log_stream_buffer_bytes);
    absl::Status s = logs_->GetContainerLogs(ctx, lr, writer);
    if (writer.started()) {
      r.response->Finish();
      if (!s.ok() && !errdefs::IsCancelled(s) && !writer.limit_reached()) {
        log::Info(ctx, "Container log stream ended with an error", {{"err", s}});
      }
    } else if (s.ok() || writer.limit_reached()) {
      SendText(*r.response, 200, "");
    } else if (streams_ctx_.Done()) {
      SendText(*r.response, 503, "the kubelet API is shutting down\n");
    } else if (!r.ctx.Done()) {
      SendProviderError(*r.response, s);
    }
    on_stop.Reset();
    cancel();
    own_metrics_->LogStreamEnded();
  }

  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
    return out;
  }

  bool SpawnStream(std::function<void()> fn) {
    std::list<std::unique_ptr<StreamWorker>> finished;
    bool ok = false;
    {
      absl::MutexLock lock(&workers_mu_);
      for (auto it = workers_.begin(); it != workers_.end();) {
        if ((*it)->done.load()) {
          finished.push_back(std::move(*it));
          it = workers_.erase(it);
        } else {
          ++it;
        }
      }
      if (!stopped_ && workers_.size() < std::max<size_t>(1, options_.max_log_streams)) {
        auto w = std::make_unique<StreamWorker>();
        StreamWorker* raw = w.get();
        w->thread = std::thread([fn = std::move(fn), raw]() mutable {
          fn();
          fn = nullptr;  // release the response and the request scope before reporting done
          raw->done.store(true);
        });
        workers_.push_back(std::move(w));
        ok = true;
      }
    }
    for (auto& w : finished) w->thread.join();
    return ok;
  }

  KubeletServerOptions options_;
  KubeletServerHandlers handlers_;
  ContainerLogsProvider* logs_ = nullptr;
  PodMetricsProvider* stats_ = nullptr;
  ContainerExecProvider* exec_ = nullptr;
  PortForwardProvider* port_forward_ = nullptr;
  internal::Router router_;
  std::unique_ptr<http::Server> server_;
  std::shared_ptr<internal::ServerMetrics> own_metrics_;
  std::string serving_cert_pem_;

  absl::Mutex sources_mu_;
  std::vector<std::shared_ptr<stats::MetricsSource>> sources_ ABSL_GUARDED_BY(sources_mu_);

  Context streams_ctx_ = Context::Background();
  CancelFn cancel_streams_;
  absl::Mutex workers_mu_;
  std::list<std::unique_ptr<StreamWorker>> workers_ ABSL_GUARDED_BY(workers_mu_);
  bool stopped_ ABSL_GUARDED_BY(workers_mu_) = false;
};

namespace internal {

absl::StatusOr<std::unique_ptr<KubeletServer>> CreateKubeletServer(KubeletServerOptions options,
                                                                   KubeletServerHandlers handlers,
                                                                   std::vector<Route> routes,
                                                                   bool replace_streaming) {
  auto impl = std::make_unique<KubeletServer::Impl>(std::move(options), std::move(handlers));
  VK_RETURN_IF_ERROR(impl->Init(std::move(routes), replace_streaming));
  return std::unique_ptr<KubeletServer>(new KubeletServer(std::move(impl)));
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<KubeletServer>> KubeletServer::Create(KubeletServerOptions options,
                                                                     KubeletServerHandlers handlers) {
  return internal::CreateKubeletServer(std::move(options), std::move(handlers), {});
}

KubeletServer::KubeletServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KubeletServer::~KubeletServer() = default;

absl::Status KubeletServer::Start() { return impl_->Start(); }
void KubeletServer::Stop(absl::Duration grace) { impl_->Stop(grace); }
int KubeletServer::port() const { return impl_->port(); }
std::string KubeletServer::serving_certificate_pem() const { return impl_->serving_certificate_pem(); }
void KubeletServer::AddMetricsSource(std::shared_ptr<stats::MetricsSource> source) {
  impl_->AddMetricsSource(std::move(source));
}
void KubeletServer::RemoveMetricsSource(const std::shared_ptr<stats::MetricsSource>& source) {
  impl_->RemoveMetricsSource(source);
}
std::shared_ptr<stats::MetricsSource> KubeletServer::own_metrics() const { return impl_->own_metrics(); }

}  // namespace vkubelet::api

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The HTTP layer of FakeApiServer: request parsing (the API server's
// RequestInfo), authentication, authorization (including the Node
// authorizer), fault injection, content negotiation, the CRUD/list/watch
// handlers over internal::Store, discovery, and the kubelet proxy.

#include "vkubelet/testing/fake_api_server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "internal/http/client.h"
#include "internal/http/server.h"
#include "internal/tls/certs.h"
#include "kube/patch.h"
#include "nlohmann/json.hpp"
#include "testing/api_errors.h"
#include "testing/fake_resources.h"
#include "testing/fake_store.h"
#include "testing/selectors.h"
#include "testing/table.h"
#include "testing/wire.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/log.h"

namespace vkubelet::testing {

namespace http = ::vkubelet::internal::http;
namespace tls = ::vkubelet::internal::tls;
using google::protobuf::Message;
using internal::EventType;
using internal::ResourceType;
using internal::Storage;
using internal::VersionPtr;
using kube::ContentType;
using vkubelet::internal::ToAbsl;

namespace {

constexpr char kFlowSchemaUid[] = "5b0a2e8e-6f64-4c5e-9a52-1f4b7f0c8a11";
constexpr char kPriorityLevelUid[] = "7c3f1d2a-0b9e-4e8d-8f61-2a5c9d4e3b22";

// Slots of ObjectVersion's encoding cache: 4 per representation (canonical,
// view).
enum Slot { kPbEnvelope = 0, kJsonTop = 1, kPbRaw = 2, kJsonItem = 3 };

bool IsTrue(std::string_view v) { return v == "true" || v == "1" || v == "True"; }

std::optional<int64_t> ParseInt(std::string_view v) {
  int64_t n;
  if (v.empty() || !absl::SimpleAtoi(ToAbsl(v), &n)) return std::nullopt;
  return n;
}

std::string FormatHttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

// The API server's view of a request (k8s.io/apiserver RequestInfo).
struct RequestInfo {
  bool resource_request = false;
  std::string verb;
  std::string prefix;  // "api" / "apis"
  std::string group;
  std::string version;
  std::string ns;
  std::string resource;
  std::string name;
  std::string subresource;
  std::string rest;  // path after the subresource (proxy)
  std::vector<std::string> parts;
  const ResourceType* type = nullptr;
};

RequestInfo ParseRequestInfo(const http::Request& req) {
  RequestInfo info;
  std::vector<std::string> parts;
  for (absl::string_view p : absl::StrSplit(req.path, '/', absl::SkipEmpty())) parts.emplace_back(p);
  info.parts = parts;
  std::string method = req.method;
  auto method_verb = [&] {
    if (method == "GET" || method == "HEAD") return std::string("get");
    if (method == "POST") return std::string("create");
    if (method == "PUT") return std::string("update");
    if (method == "PATCH") return std::string("patch");
    if (method == "DELETE") return std::string("delete");
    return absl::AsciiStrToLower(method);
  };
  info.verb = absl::AsciiStrToLower(method);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.prefix = parts[0];
  size_t i = 1;
  if (info.prefix == "api") {
    if (parts.size() < 2) return info;
    info.version = parts[1];
    i = 2;
  } else {
    if (parts.size() < 3) return info;
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  }
  if (i >= parts.size()) return info;
  std::vector<std::string> rest(parts.begin() + i, parts.end());
  info.resource_request = true;
  if (rest[0] == "namespaces" && rest.size() >= 2) {
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      info.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      info.ns = rest[1];
    }
  }
  info.resource = rest[0];
  if (rest.size() > 1) info.name = rest[1];
  if (rest.size() > 2) info.subresource = rest[2];
  if (rest.size() > 3) {
    std::vector<std::string> tail(rest.begin() + 3, rest.end());
    info.rest = absl::StrJoin(tail, "/");
    if (absl::EndsWith(req.path, "/")) info.rest += "/";
  }
  if (info.resource == "namespaces" && rest.size() >= 2 && rest[0] == "namespaces") {
    // /api/v1/namespaces/{name}[/status]: the namespace itself.
    info.name = info.ns;
  }
  info.verb = method_verb();
  if (info.name.empty()) {
    if (info.verb == "get") {
      info.verb = IsTrue(req.Query("watch")) ? "watch" : "list";
    } else if (info.verb == "delete") {
      info.verb = "deletecollection";
    }
  }
  info.type = internal::FindResource(info.group, info.version, info.resource);
  return info;
}

bool HasGroup(const FakeUser& u, std::string_view g) {
  return std::find(u.groups.begin(), u.groups.end(), g) != u.groups.end();
}

// Does `pod` reference the secret/configmap `name` (volumes, env, envFrom,
// image pull secrets)?
bool PodReferences(const corev1::Pod& pod, bool secret, const std::string& name) {
  const auto& spec = pod.spec();
  if (secret) {
    for (const auto& s : spec.imagepullsecrets()) {
      if (s.name() == name) return true;
    }
  }
  for (const auto& v : spec.volumes()) {
    const auto& src = v.volumesource();
    if (secret && src.has_secret() && src.secret().secretname() == name) return true;
    if (!secret && src.has_configmap() && src.configmap().localobjectreference().name() == name) return true;
    if (src.has_projected()) {
      for (const auto& p : src.projected().sources()) {
        if (secret && p.has_secret() && p.secret().localobjectreference().name() == name) return true;
        if (!secret && p.has_configmap() && p.configmap().localobjectreference().name() == name) return true;
      }
    }
  }
  auto check_env = [&](const auto& c) {
    for (const auto& e : c.env()) {
      if (!e.has_valuefrom()) continue;
      if (secret && e.valuefrom().has_secretkeyref() &&
          e.valuefrom().secretkeyref().localobjectreference().name() == name) {
        return true;
      }
      if (!secret && e.valuefrom().has_configmapkeyref() &&
          e.valuefrom().configmapkeyref().localobjectreference().name() == name) {
        return true;
      }
    }
    for (const auto& ef : c.envfrom()) {
      if (secret && ef.has_secretref() && ef.secretref().localobjectreference().name() == name) return true;
      if (!secret && ef.has_configmapref() && ef.configmapref().localobjectreference().name() == name) return true;
    }
    return false;
  };
  for (const auto& c : spec.containers()) {
    if (check_env(c)) return true;
  }
  for (const auto& c : spec.initcontainers()) {
    if (check_env(c)) return true;
  }
  for (const auto& c : spec.ephemeralcontainers()) {
    if (check_env(c.ephemeralcontainercommon())) return true;
  }
  return false;
}

struct Fail {
  absl::Status status;
};

}  // namespace

// ---------------------------------------------------------------------------
// Impl

class WatchStream;

class FakeApiServer::Impl {
 public:
  explicit Impl(FakeApiServerOptions options);
  ~Impl();

  absl::Status Init();
  absl::Status StartServing();
  void StopServing();
  void Handle(http::Request& req, std::shared_ptr<http::Response> resp);

  // Cached encodings of one stored version in `type`'s representation.
  const std::string& EncodeVersion(const ResourceType& type, const VersionPtr& v, ContentType ct, Slot slot);

  // Watch pump.
  void Schedule(std::shared_ptr<WatchStream> s);
  void UnregisterStream(WatchStream* s);
  size_t OpenWatches() const;

  // Used by the public API.
  std::optional<FakeUser> LookupToken(const std::string& token) const;
  AuthorizationDecision Authorize(const AuthorizationAttributes& attrs);

  FakeApiServerOptions options_;
  internal::Store store_;
  tls::CertKeyPem ca_;
  tls::CertKeyPem serving_;
  tls::CertKeyPem kubelet_client_;

  mutable absl::Mutex server_mu_;
  std::unique_ptr<http::Server> server_ ABSL_GUARDED_BY(server_mu_);
  int port_ ABSL_GUARDED_BY(server_mu_) = 0;
  bool running_ ABSL_GUARDED_BY(server_mu_) = false;

  mutable absl::Mutex mu_;
  std::map<std::string, FakeUser> tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<Fault> faults_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::vector<RequestRecord> requests_ ABSL_GUARDED_BY(mu_);

 private:
  struct Reply {
    int code = 200;
    std::string content_type;
    std::string body;
    http::Headers extra;
  };

  absl::StatusOr<FakeUser> Authenticate(const http::Request& req);
  AuthorizationDecision AuthorizeNode(const AuthorizationAttributes& attrs, const std::string& node);
  std::optional<absl::Status> MatchFault(const RequestInfo& info);
  void Record(const RequestInfo& info, const http::Request& req, const FakeUser& user, int code);

  http::Headers CommonHeaders(std::string_view content_type) const;
  void SendReply(const std::shared_ptr<http::Response>& resp, Reply reply);
  Reply StatusReply(const absl::Status& s, ContentType ct, bool pretty);

  std::string EncodeObject(const ResourceType& type, const VersionPtr& v, ContentType ct, bool pretty);
  std::string EncodeList(const ResourceType& type, const std::vector<VersionPtr>& items, const metav1::ListMeta& lm,
                         ContentType ct, bool pretty);
  Reply ObjectReply(int code, const ResourceType& type, const VersionPtr& v, ContentType ct, bool pretty);

  absl::Status DecodeBody(const http::Request& req, const ResourceType& type, Message* out,
                          std::vector<std::string>* warnings);

  absl::StatusOr<Reply> Dispatch(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty,
                                 const std::shared_ptr<http::Response>& resp, bool* answered);
  absl::StatusOr<internal::ListQuery> ParseListQuery(const http::Request& req, const RequestInfo& info,
                                                     const ResourceType& type);
  absl::StatusOr<Reply> HandleList(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleTable(const http::Request& req, const RequestInfo& info);
  absl::Status HandleWatch(const http::Request& req, const RequestInfo& info, ContentType ct,
                           const std::shared_ptr<http::Response>& resp);
  absl::StatusOr<Reply> HandleCreate(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleUpdate(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandlePatch(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleDelete(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleDeleteCollection(const http::Request& req, const RequestInfo& info, ContentType ct,
                                               bool pretty);
  absl::StatusOr<Reply> HandleBinding(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleEviction(const http::Request& req, const RequestInfo& info, ContentType ct,
                                       bool pretty);
  absl::StatusOr<Reply> HandleReview(const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty);
  absl::StatusOr<Reply> HandleDiscovery(const http::Request& req, const RequestInfo& info);
  absl::Status HandleProxy(const http::Request& req, const RequestInfo& info,
                           const std::shared_ptr<http::Response>& resp, int* code);
  absl::StatusOr<std::pair<std::string, int>> KubeletEndpoint(const std::string& node_name);
  absl::StatusOr<internal::DeleteRequest> ParseDeleteOptions(const http::Request& req);

  void PumpLoop();
  void TimerLoop();

  mutable absl::Mutex pump_mu_;
  absl::CondVar pump_cv_;
  std::deque<std::shared_ptr<WatchStream>> ready_ ABSL_GUARDED_BY(pump_mu_);
  absl::flat_hash_map<WatchStream*, std::shared_ptr<WatchStream>> streams_ ABSL_GUARDED_BY(pump_mu_);
  bool stopping_ ABSL_GUARDED_BY(pump_mu_) = false;
  absl::Mutex timer_mu_;
  absl::CondVar timer_cv_;
  bool timer_stop_ ABSL_GUARDED_BY(timer_mu_) = false;
  std::vector<std::thread> pump_threads_;
  std::thread timer_thread_;
};

class WatchStream : public std::enable_shared_from_this<WatchStream> {
 public:
  WatchStream(FakeApiServer::Impl* impl, const ResourceType* type, ContentType ct,
              std::shared_ptr<http::Response> resp, std::shared_ptr<internal::Watcher> watcher, absl::Time deadline)
      : impl_(impl), type_(type), ct_(ct), resp_(std::move(resp)), watcher_(std::move(watcher)), deadline_(deadline) {}

  void Start() {
    std::weak_ptr<WatchStream> weak = weak_from_this();
    cancel_ = resp_->context().OnCancel([weak] {
      if (auto s = weak.lock()) s->Wake();
    });
    watcher_->SetReadyCallback([weak] {
      if (auto s = weak.lock()) s->Wake();
    });
  }

  void Wake() {
    if (!scheduled_.exchange(true)) impl_->Schedule(shared_from_this());
  }

  // The watch deadline passed: a last BOOKMARK (in order with the events),
  // then the stream ends.
  void TimeOut() {
    if (timed_out_.exchange(true)) return;
    if (watcher_->bookmarks()) impl_->store_.Bookmark(watcher_);
    Wake();
  }

  absl::Time deadline() const { return deadline_; }

  void Flush() {
    absl::MutexLock lock(&mu_);
    scheduled_.store(false);
    if (done_) return;
    std::vector<internal::Watcher::Item> items;
    bool alive = watcher_->Drain(&items);
    std::string chunk;
    for (const auto& item : items) AppendFrame(item, &chunk);
    bool ok = true;
    if (!chunk.empty()) ok = resp_->Write(std::move(chunk));
    // A client that reads far slower than events arrive is cut off, as the
    // real server does; it re-watches from its last resourceVersion.
    if (!alive || !ok || timed_out_.load() || resp_->context().Done() || resp_->QueuedBytes() > (256u << 20)) {
      done_ = true;
      resp_->Finish();
      impl_->store_.StopWatch(watcher_);
      cancel_.Reset();
      impl_->UnregisterStream(this);
    }
  }

 private:
  void AppendFrame(const internal::Watcher::Item& item, std::string* out) {
    std::string_view type = internal::EventTypeName(item.type);
    if (item.type == EventType::kError) {
      metav1::Status st = errdefs::ToKubernetesStatus(item.error);
      if (ct_ == ContentType::kProtobuf) {
        *out += internal::ProtobufWatchFrame(type, internal::Envelope("v1", "Status", st.SerializeAsString()));
      } else {
        *out += internal::JsonWatchFrame(type, kube::EncodeJson(st, "v1", "Status"));
      }
      return;
    }
    if (ct_ == ContentType::kProtobuf) {
      *out += internal::ProtobufWatchFrame(type, impl_->EncodeVersion(*type_, item.object, ct_, kPbEnvelope));
    } else {
      *out += internal::JsonWatchFrame(type, impl_->EncodeVersion(*type_, item.object, ct_, kJsonTop));
    }
  }

  FakeApiServer::Impl* impl_;
  const ResourceType* type_;
  const ContentType ct_;
  std::shared_ptr<http::Response> resp_;
  std::shared_ptr<internal::Watcher> watcher_;
  const absl::Time deadline_;
  std::atomic<bool> scheduled_{false};
  std::atomic<bool> timed_out_{false};
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  CancelRegistration cancel_;
};

FakeApiServer::Impl::Impl(FakeApiServerOptions options)
    : options_(std::move(options)),
      store_(internal::StoreOptions{options_.clock, options_.watch_history, 200000}),
      tokens_(options_.tokens) {
  for (int i = 0; i < 2; ++i) pump_threads_.emplace_back([this] { PumpLoop(); });
  timer_thread_ = std::thread([this] { TimerLoop(); });
}

FakeApiServer::Impl::~Impl() {
  StopServing();
  {
    absl::MutexLock lock(&pump_mu_);
    stopping_ = true;
    pump_cv_.SignalAll();
  }
  {
    absl::MutexLock lock(&timer_mu_);
    timer_stop_ = true;
    timer_cv_.SignalAll();
  }
  for (auto& t : pump_threads_) t.join();
  timer_thread_.join();
}

absl::Status FakeApiServer::Impl::Init() {
  tls::CaOptions ca_opts;
  ca_opts.common_name = "fake-apiserver-ca";
  VK_ASSIGN_OR_RETURN(ca_, tls::GenerateCa(ca_opts));
  tls::LeafOptions serving;
  serving.common_name = "kube-apiserver";
  serving.dns_names = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"};
  serving.ip_addresses = {"127.0.0.1"};
  if (options_.address != "127.0.0.1" && options_.address != "localhost" && options_.address != "0.0.0.0") {
    serving.ip_addresses.push_back(options_.address);
  }
  VK_ASSIGN_OR_RETURN(serving_, tls::IssueCertificate(ca_, serving));
  tls::LeafOptions kubelet_client;
  kubelet_client.common_name = "kube-apiserver-kubelet-client";
  kubelet_client.organizations = {"system:masters"};
  kubelet_client.server_auth = false;
  kubelet_client.client_auth = true;
  VK_ASSIGN_OR_RETURN(kubelet_client_, tls::IssueCertificate(ca_, kubelet_client));
  const ResourceType& ns_type = internal::StorageResource(Storage::kNamespace);
  for (const std::string& name : options_.namespaces) {
    auto ns = std::make_unique<corev1::Namespace>();
    ns->mutable_metadata()->set_name(name);
    auto r = store_.Create(ns_type, std::move(ns));
    if (!r.ok() && !errdefs::IsAlreadyExists(r.status())) return r.status();
  }
  return absl::OkStatus();
}

absl::Status FakeApiServer::Impl::StartServing() {
  absl::MutexLock lock(&server_mu_);
  if (running_) return absl::OkStatus();
  http::ServerOptions so;
  so.address = options_.address;
  so.port = port_ != 0 ? port_ : options_.port;
  so.io_threads = options_.io_threads;
  so.handler_threads = options_.handler_threads;
  so.idle_timeout = absl::Minutes(5);
  if (options_.tls) {
    http::ServerTlsOptions t;
    t.cert_pem = serving_.cert_pem;
    t.key_pem = serving_.key_pem;
    t.client_ca_pem = ca_.cert_pem;
    t.require_client_cert = false;
    so.tls = t;
  }
  VK_ASSIGN_OR_RETURN(server_, http::Server::Create(so, [this](http::Request& req,
                                                               std::shared_ptr<http::Response> resp) {
                        Handle(req, std::move(resp));
                      }));
  VK_RETURN_IF_ERROR(server_->Start());
  port_ = server_->port();
  running_ = true;
  return absl::OkStatus();
}

void FakeApiServer::Impl::StopServing() {
  std::unique_ptr<http::Server> server;
  {
    absl::MutexLock lock(&server_mu_);
    if (!running_) return;
    running_ = false;
    server = std::move(server_);
  }
  store_.DropWatches();
  server->Stop(absl::Seconds(2));
}

// --- watch pump ---------------------------------------------------------------

void FakeApiServer::Impl::Schedule(std::shared_ptr<WatchStream> s) {
  absl::MutexLock lock(&pump_mu_);
  ready_.push_back(std::move(s));
  pump_cv_.Signal();
}

void FakeApiServer::Impl::UnregisterStream(WatchStream* s) {
  absl::MutexLock lock(&pump_mu_);
  streams_.erase(s);
}

size_t FakeApiServer::Impl::OpenWatches() const {
  absl::MutexLock lock(&pump_mu_);
  return streams_.size();
}

void FakeApiServer::Impl::PumpLoop() {
  while (true) {
    std::shared_ptr<WatchStream> s;
    {
      absl::MutexLock lock(&pump_mu_);
      while (ready_.empty() && !stopping_) pump_cv_.Wait(&pump_mu_);
      if (ready_.empty()) return;
      s = std::move(ready_.front());
      ready_.pop_front();
    }
    s->Flush();
  }
}

void FakeApiServer::Impl::TimerLoop() {
  const Clock* clock = options_.clock;
  absl::Time next_bookmark = options_.bookmark_interval > absl::ZeroDuration()
                                 ? clock->Now() + options_.bookmark_interval
                                 : absl::InfiniteFuture();
  while (true) {
    // Wake at the next bookmark or watch deadline, re-checking at least every
    // 100ms for watches that started meanwhile.
    absl::Time wake = std::min(next_bookmark, clock->Now() + absl::Milliseconds(100));
    {
      absl::MutexLock lock(&timer_mu_);
      if (timer_stop_) return;
      clock->WaitWithDeadline(&timer_mu_, &timer_cv_, wake);
      if (timer_stop_) return;
    }
    absl::Time now = clock->Now();
    if (now >= next_bookmark) {
      store_.SendBookmarks();
      next_bookmark = now + options_.bookmark_interval;
    }
    std::vector<std::shared_ptr<WatchStream>> expired;
    {
      absl::MutexLock lock(&pump_mu_);
      for (auto& [p, s] : streams_) {
        if (s->deadline() <= now) expired.push_back(s);
      }
    }
    for (auto& s : expired) s->TimeOut();
  }
}

// --- helpers --------------------------------------------------------------------

std::optional<FakeUser> FakeApiServer::Impl::LookupToken(const std::string& token) const {
  absl::MutexLock lock(&mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  FakeUser u = it->second;
  if (!HasGroup(u, "system:authenticated")) u.groups.push_back("system:authenticated");
  return u;
}

absl::StatusOr<FakeUser> FakeApiServer::Impl::Authenticate(const http::Request& req) {
  std::string auth = req.Header("Authorization");
  if (!auth.empty()) {
    if (absl::StartsWithIgnoreCase(auth, "Bearer ")) {
      std::string token(absl::StripAsciiWhitespace(absl::string_view(auth).substr(7)));
      if (auto u = LookupToken(token)) return *u;
    }
    return internal::UnauthorizedError();
  }
  if (req.peer_certificate.has_value() && req.peer_certificate->verified) {
    FakeUser u;
    u.name = req.peer_certificate->common_name;
    u.groups = req.peer_certificate->organizations;
    u.groups.push_back("system:authenticated");
    return u;
  }
  if (options_.require_authentication) return internal::UnauthorizedError();
  return options_.default_user;
}

AuthorizationDecision FakeApiServer::Impl::Authorize(const AuthorizationAttributes& attrs) {
  if (options_.node_authorizer && HasGroup(attrs.user, "system:nodes") &&
      absl::StartsWith(attrs.user.name, "system:node:")) {
    return AuthorizeNode(attrs, attrs.user.name.substr(std::string_view("system:node:").size()));
  }
  if (options_.authorizer) return options_.authorizer(attrs);
  return {true, ""};
}

AuthorizationDecision FakeApiServer::Impl::AuthorizeNode(const AuthorizationAttributes& a, const std::string& node) {
  auto allow = [] { return AuthorizationDecision{true, ""}; };
  auto deny = [&](std::string reason) { return AuthorizationDecision{false, std::move(reason)}; };
  if (!a.resource_request) {
    return a.verb == "get" ? allow() : deny("");
  }
  const std::string& v = a.verb;
  bool read = v == "get" || v == "list" || v == "watch";
  const std::string& r = a.resource;
  const std::string& sub = a.subresource;
  auto pod_on_node = [&]() -> bool {
    auto p = store_.Get(Storage::kPod, a.ns, a.name);
    return p.ok() && static_cast<const corev1::Pod&>((*p)->object()).spec().nodename() == node;
  };
  if (a.group.empty()) {
    if (r == "pods") {
      if (sub.empty()) {
        if (read || v == "create") return allow();
        if (v == "delete") return pod_on_node() ? allow() : deny("can only delete pods bound to the node");
        return deny("");
      }
      if (sub == "status") {
        if (v == "get" || v == "update" || v == "patch") {
          return pod_on_node() ? allow() : deny(absl::StrCat("can only update pod status for pods with spec.nodeName set to ", node));
        }
        return deny("");
      }
      if (sub == "eviction" && v == "create") return allow();
      return deny("");
    }
    if (r == "nodes") {
      if (read) return allow();
      if (v == "create") return allow();
      if (sub.empty() || sub == "status") {
        if (v == "update" || v == "patch" || v == "delete") {
          return a.name == node ? allow() : deny(absl::StrCat("node '", node, "' cannot modify node '", a.name, "'"));
        }
      }
      return deny("");
    }
    if (r == "secrets" || r == "configmaps") {
      if (!read) return deny("");
      if (a.name.empty()) return deny(absl::StrCat("node '", node, "' cannot list all ", r));
      bool secret = r == "secrets";
      internal::ListQuery q;
      q.fields = *internal::FieldSelector::Parse(absl::StrCat("spec.nodeName=", node));
      q.ns = a.ns;
      auto pods = store_.List(Storage::kPod, q);
      if (pods.ok()) {
        for (const auto& p : pods->items) {
          if (PodReferences(static_cast<const corev1::Pod&>(p->object()), secret, a.name)) return allow();
        }
      }
      return deny(absl::StrCat("no relationship found between node '", node, "' and this object"));
    }
    if (r == "events") return v == "create" || v == "update" || v == "patch" ? allow() : deny("");
    if (r == "services" || r == "endpoints") return read ? allow() : deny("");
    if (r == "namespaces") return read ? allow() : deny("");
    return deny("");
  }
  if (a.group == "coordination.k8s.io" && r == "leases") {
    if (a.ns != "kube-node-lease") return deny("");
    if (v == "create") return allow();
    if (v == "get" || v == "update" || v == "patch" || v == "delete" || v == "watch" || v == "list") {
      return a.name == node ? allow() : deny(absl::StrCat("node '", node, "' cannot access lease '", a.name, "'"));
    }
    return deny("");
  }
  if (a.group == "events.k8s.io" && r == "events") {
    return v == "create" || v == "update" || v == "patch" ? allow() : deny("");
  }
  if ((a.group == "authentication.k8s.io" && r == "tokenreviews") ||
      (a.group == "authorization.k8s.io" && r == "subjectaccessreviews")) {
    return v == "create" ? allow() : deny("");
  }
  return deny("");
}

std::optional<absl::Status> FakeApiServer::Impl::MatchFault(const RequestInfo& info) {
  absl::MutexLock lock(&mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    Fault& f = *it;
    if (f.verb != "*" && f.verb != info.verb) continue;
    if (f.resource != "*" && f.resource != info.resource) continue;
    if (f.subresource != "*" && f.subresource != info.subresource) continue;
    if (f.ns != "*" && f.ns != info.ns) continue;
    if (f.name != "*" && f.name != info.name) continue;
    int retry = static_cast<int>(absl::ToInt64Seconds(f.retry_after));
    std::string message = f.message.empty()
                              ? absl::StrCat("injected fault: ", f.code, " for ", info.verb, " ", info.resource)
                              : f.message;
    int code = f.code;
    if (f.count > 0 && --f.count == 0) faults_.erase(it);
    switch (code) {
      case 404:
        return internal::NotFoundError(info.resource, info.group, info.name);
      case 409:
        return internal::ConflictError(info.resource, info.group, info.name, internal::kModifiedDetail);
      case 410:
        return internal::ExpiredError(message);
      case 429:
        return internal::TooManyRequestsError(message, std::max(retry, 1));
      case 500:
        return internal::InternalError(message);
      case 503:
        return internal::GenericError(503, "ServiceUnavailable", message, retry);
      case 504:
        return internal::TimeoutError(message, retry);
      case 401:
        return internal::UnauthorizedError();
      case 403:
        return internal::ForbiddenError(message);
      default:
        return internal::GenericError(code, "", message, retry);
    }
  }
  return std::nullopt;
}

void FakeApiServer::Impl::Record(const RequestInfo& info, const http::Request& req, const FakeUser& user, int code) {
  RequestRecord r;
  r.verb = info.resource_request ? info.verb : absl::AsciiStrToLower(req.method);
  r.group = info.group;
  r.resource = info.resource;
  r.subresource = info.subresource;
  r.ns = info.ns;
  r.name = info.name;
  r.user = user.name;
  r.code = code;
  r.method = req.method;
  r.path = req.path;
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(r));
}

http::Headers FakeApiServer::Impl::CommonHeaders(std::string_view content_type) const {
  http::Headers h;
  h.Add("Audit-Id", internal::NewUid());
  h.Add("Cache-Control", "no-cache, private");
  if (!content_type.empty()) h.Add("Content-Type", std::string(content_type));
  h.Add("X-Kubernetes-Pf-Flowschema-Uid", kFlowSchemaUid);
  h.Add("X-Kubernetes-Pf-Prioritylevel-Uid", kPriorityLevelUid);
  h.Add("Date", FormatHttpDate(absl::Now()));
  return h;
}

void FakeApiServer::Impl::SendReply(const std::shared_ptr<http::Response>& resp, Reply reply) {
  http::Headers h = CommonHeaders(reply.content_type);
  for (const auto& [k, v] : reply.extra) h.Add(k, v);
  resp->Send(reply.code, h, std::move(reply.body));
}

FakeApiServer::Impl::Reply FakeApiServer::Impl::StatusReply(const absl::Status& s, ContentType ct, bool pretty) {
  metav1::Status st = errdefs::ToKubernetesStatus(s);
  if (st.code() == 0) st.set_code(errdefs::HttpStatusCode(s));
  if (!st.has_metadata()) st.mutable_metadata();
  Reply r;
  r.code = st.code();
  if (ct == ContentType::kProtobuf) {
    r.content_type = std::string(kube::kProtobufMediaType);
    r.body = internal::Envelope("v1", "Status", st.SerializeAsString());
  } else {
    r.content_type = std::string(kube::kJsonMediaType);
    kube::JsonEncodeOptions o;
    o.pretty = pretty;
    r.body = kube::EncodeJson(st, "v1", "Status", o);
  }
  if (st.details().retryafterseconds() > 0 && (r.code == 429 || r.code >= 500)) {
    r.extra.Add("Retry-After", absl::StrCat(st.details().retryafterseconds()));
  }
  return r;
}

const std::string& FakeApiServer::Impl::EncodeVersion(const ResourceType& type, const VersionPtr& v, ContentType,
                                                      Slot slot) {
  const int base = type.is_view ? 4 : 0;
  return v->Cached(base + slot, [&]() -> std::string {
    std::unique_ptr<Message> view;
    const Message* obj = &v->object();
    if (type.is_view) {
      view = internal::ToView(type, v->object());
      obj = view.get();
    }
    switch (slot) {
      case kPbEnvelope:
        return internal::Envelope(type.ApiVersion(), type.kind, obj->SerializeAsString());
      case kJsonTop:
        return kube::EncodeJson(*obj, type.ApiVersion(), type.kind);
      case kPbRaw:
        return obj->SerializeAsString();
      case kJsonItem:
        return kube::EncodeJson(*obj);
    }
    return std::string();
  });
}

std::string FakeApiServer::Impl::EncodeObject(const ResourceType& type, const VersionPtr& v, ContentType ct,
                                              bool pretty) {
  if (ct == ContentType::kProtobuf) return EncodeVersion(type, v, ct, kPbEnvelope);
  if (!pretty) return EncodeVersion(type, v, ct, kJsonTop);
  std::unique_ptr<Message> view = internal::ToView(type, v->object());
  kube::JsonEncodeOptions o;
  o.pretty = true;
  return kube::EncodeJson(*view, type.ApiVersion(), type.kind, o);
}

std::string FakeApiServer::Impl::EncodeList(const ResourceType& type, const std::vector<VersionPtr>& items,
                                            const metav1::ListMeta& lm, ContentType ct, bool pretty) {
  if (ct == ContentType::kProtobuf) {
    std::string raw;
    internal::AppendBytesField(&raw, 1, lm.SerializeAsString());
    for (const auto& v : items) internal::AppendBytesField(&raw, 2, EncodeVersion(type, v, ct, kPbRaw));
    return internal::Envelope(type.ApiVersion(), type.list_kind, raw);
  }
  if (pretty) {
    nlohmann::json j;
    j["kind"] = type.list_kind;
    j["apiVersion"] = type.ApiVersion();
    j["metadata"] = kube::ToJsonValue(lm);
    j["items"] = nlohmann::json::array();
    for (const auto& v : items) j["items"].push_back(nlohmann::json::parse(EncodeVersion(type, v, ct, kJsonItem)));
    return j.dump(2);
  }
  std::string out;
  size_t total = 128;
  for (const auto& v : items) total += EncodeVersion(type, v, ct, kJsonItem).size() + 1;
  out.reserve(total);
  absl::StrAppend(&out, "{\"kind\":\"", type.list_kind, "\",\"apiVersion\":\"", type.ApiVersion(),
                  "\",\"metadata\":", kube::EncodeJson(lm), ",\"items\":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += EncodeVersion(type, items[i], ct, kJsonItem);
  }
  out += "]}";
  return out;
}

FakeApiServer::Impl::Reply FakeApiServer::Impl::ObjectReply(int code, const ResourceType& type, const VersionPtr& v,
                                                            ContentType ct, bool pretty) {
  Reply r;
  r.code = code;
  r.content_type = std::string(kube::MediaType(ct));
  r.body = EncodeObject(type, v, ct, pretty);
  return r;
}

absl::Status FakeApiServer::Impl::DecodeBody(const http::Request& req, const ResourceType& type, Message* out,
                                             std::vector<std::string>* warnings) {
  std::string media = internal::BaseMediaType(req.Header("Content-Type"));
  kube::TypeMeta tm;
  if (media.empty() || media == "application/json") {
    std::vector<std::string> unknown;
    kube::JsonDecodeOptions o;
    o.unknown_paths = &unknown;
    absl::Status s = kube::DecodeJson(req.body, out, &tm, o);
    if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
    std::string validation = req.Query("fieldValidation");
    for (const std::string& path : unknown) {
      if (validation == "Strict") {
        return internal::BadRequestError(absl::StrCat("strict decoding error: unknown field \"", path, "\""));
      }
      if (validation != "Ignore" && warnings != nullptr) warnings->push_back(absl::StrCat("unknown field \"", path, "\""));
    }
  } else if (media == kube::kProtobufMediaType) {
    absl::Status s = kube::DecodeProtobuf(req.body, out, "", &tm);
    if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
  } else {
    return internal::UnsupportedMediaTypeError(req.Header("Content-Type"));
  }
  if (!tm.kind.empty() && tm.kind != type.kind) {
    return internal::BadRequestError(absl::StrCat("the kind in the data (", tm.kind,
                                                  ") does not match the expected kind (", type.kind, ")"));
  }
  if (!tm.api_version.empty() && tm.api_version != type.ApiVersion()) {
    return internal::BadRequestError(absl::StrCat("the API version in the data (", tm.api_version,
                                                  ") does not match the expected API version (", type.ApiVersion(),
                                                  ")"));
  }
  return absl::OkStatus();
}

// --- the request pipeline -----------------------------------------------------

void FakeApiServer::Impl::Handle(http::Request& req, std::shared_ptr<http::Response> resp) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    delay = delay_;
  }
  if (delay > absl::ZeroDuration()) resp->context().WaitFor(delay);

  RequestInfo info = ParseRequestInfo(req);
  const bool pretty = IsTrue(req.Query("pretty")) || absl::StartsWith(req.Header("User-Agent"), "curl/");
  std::optional<ContentType> negotiated = internal::NegotiateAccept(req.Header("Accept"), true);
  ContentType ct = negotiated.value_or(ContentType::kJson);
  FakeUser user;
  int code = 0;
  // The request is recorded before the answer leaves, so a client that got
  // its response always finds the request in the log.
  bool recorded = false;
  auto finish = [&](Reply r) {
    code = r.code;
    Record(info, req, user, code);
    recorded = true;
    SendReply(resp, std::move(r));
  };

  absl::StatusOr<FakeUser> authn = Authenticate(req);
  if (!authn.ok()) {
    finish(StatusReply(authn.status(), ct, pretty));
    return;
  }
  user = *authn;

  AuthorizationAttributes attrs;
  attrs.user = user;
  attrs.verb = info.resource_request ? info.verb : absl::AsciiStrToLower(req.method);
  attrs.resource_request = info.resource_request;
  attrs.group = info.group;
  attrs.version = info.version;
  attrs.resource = info.resource;
  attrs.subresource = info.subresource;
  attrs.ns = info.ns;
  attrs.name = info.name;
  attrs.path = req.path;
  if (info.resource_request && info.name.empty() && (info.verb == "list" || info.verb == "watch")) {
    auto fs = internal::FieldSelector::Parse(req.Query("fieldSelector"));
    if (fs.ok()) {
      if (auto n = fs->EqualityValue("metadata.name")) attrs.name = *n;
    }
  }
  AuthorizationDecision decision = Authorize(attrs);
  if (!decision.allowed) {
    absl::Status denied =
        info.resource_request
            ? internal::ForbiddenForUser(user.name, attrs.verb, info.resource, info.subresource, info.group, info.ns,
                                         attrs.name, decision.reason)
            : internal::ForbiddenError(absl::StrCat("forbidden: User \"", user.name, "\" cannot ", attrs.verb,
                                                    " path \"", req.path, "\""));
    finish(StatusReply(denied, ct, pretty));
    return;
  }

  if (std::optional<absl::Status> fault = MatchFault(info)) {
    finish(StatusReply(*fault, ct, pretty));
    return;
  }

  if (info.resource_request && !negotiated.has_value() && info.subresource != "log" && info.subresource != "exec" &&
      info.subresource != "attach" && info.subresource != "portforward" && info.subresource != "proxy") {
    finish(StatusReply(internal::NotAcceptableError(
                           "only the following media types are accepted: application/json, application/yaml, "
                           "application/vnd.kubernetes.protobuf"),
                       ContentType::kJson, pretty));
    return;
  }

  bool answered = false;
  absl::StatusOr<Reply> r = Dispatch(req, info, ct, pretty, resp, &answered);
  if (answered) {
    // Streams and proxies answered themselves.
    if (!recorded) Record(info, req, user, r.ok() ? r->code : errdefs::HttpStatusCode(r.status()));
  } else if (r.ok()) {
    finish(*std::move(r));
  } else {
    finish(StatusReply(r.status(), ct, pretty));
  }
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::Dispatch(
    const http::Request& req, const RequestInfo& info, ContentType ct, bool pretty,
    const std::shared_ptr<http::Response>& resp, bool* answered) {
  if (!info.resource_request) return HandleDiscovery(req, info);
  const ResourceType* type = info.type;
  if (type == nullptr) {
    if (info.group.empty() && info.resource == "bindings" && info.verb == "create") {
      RequestInfo bind = info;
      return HandleBinding(req, bind, ct, pretty);
    }
    return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
  }
  if (!type->namespaced && !info.ns.empty() && type->storage != Storage::kNamespace) {
    return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
  }
  if (type->storage == Storage::kNone) {
    if (info.verb != "create") return internal::MethodNotAllowedError("the server does not allow this method on the requested resource");
    return HandleReview(req, info, ct, pretty);
  }
  const std::string& sub = info.subresource;
  if (sub == "log" || sub == "exec" || sub == "attach" || sub == "portforward" || sub == "proxy") {
    *answered = true;
    int code = 0;
    absl::Status s = HandleProxy(req, info, resp, &code);
    if (!s.ok()) {
      Reply r = StatusReply(s, ct, pretty);
      code = r.code;
      SendReply(resp, std::move(r));
    }
    Reply out;
    out.code = code;
    return out;
  }
  if (sub == "binding") return HandleBinding(req, info, ct, pretty);
  if (sub == "eviction") return HandleEviction(req, info, ct, pretty);
  if (!sub.empty() && (sub != "status" || !internal::HasStatus(type->storage))) {
    return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
  }
  if ((info.verb == "get" || info.verb == "list") && sub.empty() && internal::WantsTable(req.Header("Accept"))) {
    return HandleTable(req, info);
  }
  if (info.verb == "get") {
    VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Get(type->storage, type->namespaced ? info.ns : "", info.name));
    return ObjectReply(200, *type, v, ct, pretty);
  }
  if (info.verb == "list") return HandleList(req, info, ct, pretty);
  if (info.verb == "watch") {
    absl::Status s = HandleWatch(req, info, ct, resp);
    if (!s.ok()) return s;
    *answered = true;
    Reply r;
    r.code = 200;
    return r;
  }
  if (info.verb == "create") {
    if (!sub.empty()) return internal::MethodNotAllowedError("the server does not allow this method on the requested resource");
    return HandleCreate(req, info, ct, pretty);
  }
  if (info.verb == "update") return HandleUpdate(req, info, ct, pretty);
  if (info.verb == "patch") return HandlePatch(req, info, ct, pretty);
  if (info.verb == "delete") return HandleDelete(req, info, ct, pretty);
  if (info.verb == "deletecollection") return HandleDeleteCollection(req, info, ct, pretty);
  return internal::MethodNotAllowedError("the server does not allow this method on the requested resource");
}

absl::StatusOr<internal::ListQuery> FakeApiServer::Impl::ParseListQuery(const http::Request& req,
                                                                        const RequestInfo& info,
                                                                        const ResourceType& type) {
  internal::ListQuery q;
  q.ns = type.namespaced ? info.ns : "";
  VK_ASSIGN_OR_RETURN(q.labels, internal::LabelSelector::Parse(req.Query("labelSelector")));
  VK_ASSIGN_OR_RETURN(q.fields, internal::FieldSelector::Parse(req.Query("fieldSelector")));
  for (const auto& r : q.fields.requirements()) {
    if (!internal::IsSelectableField(type.storage, r.field)) {
      return internal::BadRequestError(absl::StrCat("field label not supported: ", r.field));
    }
  }
  if (req.HasQuery("limit")) {
    auto n = ParseInt(req.Query("limit"));
    if (!n) return internal::BadRequestError(absl::StrCat("invalid limit: ", req.Query("limit")));
    q.limit = std::max<int64_t>(0, *n);
  }
  q.continue_token = req.Query("continue");
  std::string rv = req.Query("resourceVersion");
  if (!rv.empty()) {
    auto n = ParseInt(rv);
    if (!n || *n < 0) {
      return internal::BadRequestError(absl::StrCat("invalid resource version: ", rv));
    }
    q.resource_version = *n;
  }
  q.resource_version_match = req.Query("resourceVersionMatch");
  return q;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleTable(const http::Request& req,
                                                                            const RequestInfo& info) {
  const ResourceType& type = *info.type;
  internal::TableObject include;
  if (!internal::ParseIncludeObject(req.Query("includeObject"), &include)) {
    return internal::BadRequestError(absl::StrCat("invalid includeObject: ", req.Query("includeObject")));
  }
  std::vector<VersionPtr> items;
  std::string rv, cont;
  if (info.verb == "get") {
    VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Get(type.storage, type.namespaced ? info.ns : "", info.name));
    rv = absl::StrCat(v->rv());
    items.push_back(std::move(v));
  } else {
    VK_ASSIGN_OR_RETURN(internal::ListQuery q, ParseListQuery(req, info, type));
    VK_ASSIGN_OR_RETURN(internal::ListResult list, store_.List(type.storage, q));
    rv = absl::StrCat(list.resource_version);
    cont = list.continue_token;
    items = std::move(list.items);
  }
  std::vector<const Message*> objects;
  objects.reserve(items.size());
  for (const auto& v : items) objects.push_back(&v->object());
  Reply r;
  r.content_type = "application/json";
  r.body = internal::EncodeTable(type, objects, rv, cont, options_.clock->Now(), include);
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleList(const http::Request& req,
                                                                           const RequestInfo& info, ContentType ct,
                                                                           bool pretty) {
  const ResourceType& type = *info.type;
  VK_ASSIGN_OR_RETURN(internal::ListQuery q, ParseListQuery(req, info, type));
  VK_ASSIGN_OR_RETURN(internal::ListResult list, store_.List(type.storage, q));
  metav1::ListMeta lm;
  lm.set_resourceversion(absl::StrCat(list.resource_version));
  if (!list.continue_token.empty()) lm.set_continue_(list.continue_token);
  if (list.remaining_item_count.has_value()) lm.set_remainingitemcount(*list.remaining_item_count);
  Reply r;
  r.content_type = std::string(kube::MediaType(ct));
  r.body = EncodeList(type, list.items, lm, ct, pretty);
  return r;
}

absl::Status FakeApiServer::Impl::HandleWatch(const http::Request& req, const RequestInfo& info, ContentType ct,
                                              const std::shared_ptr<http::Response>& resp) {
  const ResourceType& type = *info.type;
  VK_ASSIGN_OR_RETURN(internal::ListQuery lq, ParseListQuery(req, info, type));
  internal::WatchQuery q;
  q.filter.ns = lq.ns;
  q.filter.labels = std::move(lq.labels);
  q.filter.fields = std::move(lq.fields);
  q.resource_version = lq.resource_version;
  q.bookmarks = IsTrue(req.Query("allowWatchBookmarks"));
  q.send_initial_events = IsTrue(req.Query("sendInitialEvents"));
  absl::Duration timeout;
  if (auto t = ParseInt(req.Query("timeoutSeconds")); t.has_value() && *t > 0) {
    timeout = absl::Seconds(*t);
  } else {
    // Like the server's default: random in [30m, 60m).
    thread_local absl::BitGen gen;
    timeout = absl::Seconds(absl::Uniform<int>(gen, 1800, 3600));
  }
  VK_ASSIGN_OR_RETURN(std::shared_ptr<internal::Watcher> watcher, store_.Watch(type.storage, q));
  std::string media = ct == ContentType::kProtobuf ? absl::StrCat(ToAbsl(kube::kProtobufMediaType), ";stream=watch")
                                                   : std::string(kube::kJsonMediaType);
  if (!resp->StartStream(200, CommonHeaders(media))) {
    store_.StopWatch(watcher);
    return absl::OkStatus();
  }
  auto stream = std::make_shared<WatchStream>(this, &type, ct, resp, watcher, options_.clock->Now() + timeout);
  {
    absl::MutexLock lock(&pump_mu_);
    streams_[stream.get()] = stream;
  }
  stream->Start();
  stream->Wake();
  return absl::OkStatus();
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleCreate(const http::Request& req,
                                                                             const RequestInfo& info, ContentType ct,
                                                                             bool pretty) {
  const ResourceType& type = *info.type;
  std::unique_ptr<Message> view(type.prototype->New());
  std::vector<std::string> warnings;
  VK_RETURN_IF_ERROR(DecodeBody(req, type, view.get(), &warnings));
  metav1::ObjectMeta* meta = internal::MutableMeta(view.get());
  if (type.namespaced) {
    if (!meta->namespace_().empty() && meta->namespace_() != info.ns) {
      return internal::BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta->set_namespace_(info.ns);
  }
  std::unique_ptr<Message> obj = internal::FromView(type, *view);
  bool dry_run = !req.QueryValues("dryRun").empty();
  VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Create(type, std::move(obj), dry_run));
  Reply r = ObjectReply(201, type, v, ct, pretty);
  for (const auto& w : warnings) r.extra.Add("Warning", absl::StrCat("299 - \"", w, "\""));
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleUpdate(const http::Request& req,
                                                                             const RequestInfo& info, ContentType ct,
                                                                             bool pretty) {
  const ResourceType& type = *info.type;
  std::unique_ptr<Message> view(type.prototype->New());
  std::vector<std::string> warnings;
  VK_RETURN_IF_ERROR(DecodeBody(req, type, view.get(), &warnings));
  metav1::ObjectMeta* meta = internal::MutableMeta(view.get());
  if (meta->name() != info.name) {
    return internal::BadRequestError(absl::StrCat("the name of the object (", meta->name(),
                                                  ") does not match the name on the URL (", info.name, ")"));
  }
  if (type.namespaced) {
    if (!meta->namespace_().empty() && meta->namespace_() != info.ns) {
      return internal::BadRequestError(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    meta->set_namespace_(info.ns);
  }
  std::unique_ptr<Message> obj = internal::FromView(type, *view);
  bool dry_run = !req.QueryValues("dryRun").empty();
  internal::UpdateMode mode = info.subresource == "status" ? internal::UpdateMode::kStatus : internal::UpdateMode::kMain;
  VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Update(type, std::move(obj), mode, dry_run));
  Reply r = ObjectReply(200, type, v, ct, pretty);
  for (const auto& w : warnings) r.extra.Add("Warning", absl::StrCat("299 - \"", w, "\""));
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandlePatch(const http::Request& req,
                                                                            const RequestInfo& info, ContentType ct,
                                                                            bool pretty) {
  const ResourceType& type = *info.type;
  std::string content_type = req.Header("Content-Type");
  std::string media = internal::BaseMediaType(content_type);
  if (media == kube::kApplyPatchYamlMediaType || media == "application/apply-patch+cbor") {
    return internal::UnsupportedMediaTypeError(content_type);
  }
  absl::StatusOr<vkubelet::internal::PatchType> patch_type = vkubelet::internal::PatchTypeFromContentType(media);
  if (!patch_type.ok()) return internal::UnsupportedMediaTypeError(content_type);
  internal::UpdateMode mode = info.subresource == "status" ? internal::UpdateMode::kStatus : internal::UpdateMode::kMain;
  bool dry_run = !req.QueryValues("dryRun").empty();
  const std::string& body = req.body;
  auto mutate = [&](const Message& current) -> absl::StatusOr<std::unique_ptr<Message>> {
    std::unique_ptr<Message> view = internal::ToView(type, current);
    nlohmann::json doc = kube::ToJsonValue(*view, type.ApiVersion(), type.kind);
    absl::StatusOr<nlohmann::json> patched =
        vkubelet::internal::ApplyPatch(*patch_type, doc, body, type.prototype->GetDescriptor());
    if (!patched.ok()) {
      if (errdefs::HttpStatusCode(patched.status()) == 422) {
        return internal::InvalidError(type.kind, type.group, info.name,
                                      {{"FieldValueInvalid", "", std::string(patched.status().message())}});
      }
      return internal::BadRequestError(std::string(patched.status().message()));
    }
    std::unique_ptr<Message> out(type.prototype->New());
    kube::TypeMeta tm;
    absl::Status s = kube::FromJsonValue(*patched, out.get(), &tm);
    if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
    return internal::FromView(type, *out);
  };
  VK_ASSIGN_OR_RETURN(VersionPtr v, store_.GuaranteedUpdate(type, info.ns, info.name, mode, mutate, dry_run));
  return ObjectReply(200, type, v, ct, pretty);
}

absl::StatusOr<internal::DeleteRequest> FakeApiServer::Impl::ParseDeleteOptions(const http::Request& req) {
  internal::DeleteRequest d;
  if (!req.body.empty()) {
    metav1::DeleteOptions opts;
    std::string media = internal::BaseMediaType(req.Header("Content-Type"));
    absl::Status s = media == kube::kProtobufMediaType ? kube::DecodeProtobuf(req.body, &opts)
                                                       : kube::DecodeJson(req.body, &opts);
    if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
    if (opts.has_graceperiodseconds()) d.grace_period_seconds = opts.graceperiodseconds();
    if (opts.has_preconditions()) {
      if (opts.preconditions().has_uid()) d.precondition_uid = opts.preconditions().uid();
      if (opts.preconditions().has_resourceversion()) {
        d.precondition_resource_version = opts.preconditions().resourceversion();
      }
    }
  }
  if (req.HasQuery("gracePeriodSeconds")) {
    auto n = ParseInt(req.Query("gracePeriodSeconds"));
    if (!n) return internal::BadRequestError("invalid gracePeriodSeconds");
    d.grace_period_seconds = *n;
  }
  return d;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleDelete(const http::Request& req,
                                                                             const RequestInfo& info, ContentType ct,
                                                                             bool pretty) {
  const ResourceType& type = *info.type;
  if (!info.subresource.empty()) {
    return internal::MethodNotAllowedError("the server does not allow this method on the requested resource");
  }
  VK_ASSIGN_OR_RETURN(internal::DeleteRequest d, ParseDeleteOptions(req));
  bool dry_run = !req.QueryValues("dryRun").empty();
  VK_ASSIGN_OR_RETURN(internal::DeleteResult result, store_.Delete(type, info.ns, info.name, d, dry_run));
  bool return_object = !result.removed || type.storage == Storage::kPod || type.storage == Storage::kService ||
                       type.storage == Storage::kNamespace;
  if (return_object) return ObjectReply(200, type, result.object, ct, pretty);
  metav1::Status st;
  st.mutable_metadata();
  st.set_status("Success");
  st.mutable_details()->set_name(info.name);
  if (!type.group.empty()) st.mutable_details()->set_group(type.group);
  st.mutable_details()->set_kind(type.plural);
  st.mutable_details()->set_uid(result.object->meta().uid());
  Reply r = StatusReply(errdefs::FromKubernetesStatus(st, 200), ct, pretty);
  // FromKubernetesStatus maps Success to OK without a payload: encode directly.
  r.code = 200;
  if (ct == ContentType::kProtobuf) {
    r.body = internal::Envelope("v1", "Status", st.SerializeAsString());
  } else {
    kube::JsonEncodeOptions o;
    o.pretty = pretty;
    r.body = kube::EncodeJson(st, "v1", "Status", o);
  }
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleDeleteCollection(const http::Request& req,
                                                                                       const RequestInfo& info,
                                                                                       ContentType ct, bool pretty) {
  const ResourceType& type = *info.type;
  VK_ASSIGN_OR_RETURN(internal::ListQuery q, ParseListQuery(req, info, type));
  q.limit = 0;
  q.continue_token.clear();
  VK_ASSIGN_OR_RETURN(internal::DeleteRequest d, ParseDeleteOptions(req));
  VK_ASSIGN_OR_RETURN(internal::ListResult list, store_.List(type.storage, q));
  std::vector<VersionPtr> deleted;
  for (const auto& v : list.items) {
    auto r = store_.Delete(type, v->meta().namespace_(), v->meta().name(), d);
    if (r.ok()) deleted.push_back(r->object);
  }
  metav1::ListMeta lm;
  lm.set_resourceversion(absl::StrCat(store_.CurrentResourceVersion()));
  Reply r;
  r.content_type = std::string(kube::MediaType(ct));
  r.body = EncodeList(type, deleted, lm, ct, pretty);
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleBinding(const http::Request& req,
                                                                              const RequestInfo& info, ContentType ct,
                                                                              bool pretty) {
  corev1::Binding binding;
  std::string media = internal::BaseMediaType(req.Header("Content-Type"));
  absl::Status s = media == kube::kProtobufMediaType ? kube::DecodeProtobuf(req.body, &binding)
                                                     : kube::DecodeJson(req.body, &binding);
  if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
  std::string name = info.subresource == "binding" ? info.name : binding.metadata().name();
  if (binding.target().kind() != "" && binding.target().kind() != "Node") {
    return internal::InvalidError("Binding", "", name,
                                  {{"FieldValueNotSupported", "target.kind",
                                    absl::StrCat("Unsupported value: \"", binding.target().kind(),
                                                 "\": supported values: \"Node\"")}});
  }
  const std::string node = binding.target().name();
  const absl::Time now = options_.clock->Now();
  const ResourceType& pod_type = internal::StorageResource(Storage::kPod);
  auto mutate = [&](const Message& current) -> absl::StatusOr<std::unique_ptr<Message>> {
    auto pod = std::make_unique<corev1::Pod>(static_cast<const corev1::Pod&>(current));
    if (pod->metadata().has_deletiontimestamp()) {
      return internal::ConflictError("pods", "", name, "pod is being deleted, cannot be assigned to a host");
    }
    if (!binding.metadata().uid().empty() && binding.metadata().uid() != pod->metadata().uid()) {
      return internal::ConflictError("pods", "", name, "Precondition failed: UID in precondition does not match");
    }
    if (!pod->spec().nodename().empty()) {
      return internal::ConflictError("pods", "", name,
                                     absl::StrCat("pod ", name, " is already assigned to node \"",
                                                  pod->spec().nodename(), "\""));
    }
    pod->mutable_spec()->set_nodename(node);
    corev1::PodCondition* cond = nullptr;
    for (auto& c : *pod->mutable_status()->mutable_conditions()) {
      if (c.type() == "PodScheduled") cond = &c;
    }
    if (cond == nullptr) cond = pod->mutable_status()->add_conditions();
    cond->set_type("PodScheduled");
    cond->set_status("True");
    *cond->mutable_lasttransitiontime() = internal::ToMetaTime(now);
    return pod;
  };
  VK_RETURN_IF_ERROR(
      store_.GuaranteedUpdate(pod_type, info.ns, name, internal::UpdateMode::kSystem, mutate).status());
  metav1::Status st;
  st.mutable_metadata();
  st.set_status("Success");
  st.set_code(201);
  Reply r;
  r.code = 201;
  r.content_type = std::string(kube::MediaType(ct));
  kube::JsonEncodeOptions o;
  o.pretty = pretty;
  r.body = ct == ContentType::kProtobuf ? internal::Envelope("v1", "Status", st.SerializeAsString())
                                        : kube::EncodeJson(st, "v1", "Status", o);
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleEviction(const http::Request& req,
                                                                               const RequestInfo& info,
                                                                               ContentType ct, bool pretty) {
  if (info.verb != "create") {
    return internal::MethodNotAllowedError("the server does not allow this method on the requested resource");
  }
  policyv1::Eviction eviction;
  std::string media = internal::BaseMediaType(req.Header("Content-Type"));
  absl::Status s = media == kube::kProtobufMediaType ? kube::DecodeProtobuf(req.body, &eviction)
                                                     : kube::DecodeJson(req.body, &eviction);
  if (!s.ok()) return internal::BadRequestError(std::string(s.message()));
  internal::DeleteRequest d;
  if (eviction.has_deleteoptions()) {
    const auto& o = eviction.deleteoptions();
    if (o.has_graceperiodseconds()) d.grace_period_seconds = o.graceperiodseconds();
    if (o.has_preconditions() && o.preconditions().has_uid()) d.precondition_uid = o.preconditions().uid();
    if (o.has_preconditions() && o.preconditions().has_resourceversion()) {
      d.precondition_resource_version = o.preconditions().resourceversion();
    }
  }
  VK_RETURN_IF_ERROR(store_.Delete(internal::StorageResource(Storage::kPod), info.ns, info.name, d).status());
  metav1::Status st;
  st.mutable_metadata();
  st.set_status("Success");
  st.set_code(201);
  Reply r;
  r.code = 201;
  r.content_type = std::string(kube::MediaType(ct));
  kube::JsonEncodeOptions o;
  o.pretty = pretty;
  r.body = ct == ContentType::kProtobuf ? internal::Envelope("v1", "Status", st.SerializeAsString())
                                        : kube::EncodeJson(st, "v1", "Status", o);
  return r;
}

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleReview(const http::Request& req,
                                                                             const RequestInfo& info, ContentType ct,
                                                                             bool pretty) {
  const ResourceType& type = *info.type;
  std::unique_ptr<Message> obj(type.prototype->New());
  VK_RETURN_IF_ERROR(DecodeBody(req, type, obj.get(), nullptr));
  if (type.plural == "tokenreviews") {
    auto* review = static_cast<authenticationv1::TokenReview*>(obj.get());
    authenticationv1::TokenReviewStatus status;
    if (options_.token_review) {
      status = options_.token_review(review->spec());
    } else if (auto u = LookupToken(review->spec().token())) {
      status.set_authenticated(true);
      status.mutable_user()->set_username(u->name);
      status.mutable_user()->set_uid(u->uid);
      for (const auto& g : u->groups) status.mutable_user()->add_groups(g);
      for (const auto& a : review->spec().audiences()) status.add_audiences(a);
    } else {
      status.set_authenticated(false);
      status.set_error("invalid bearer token");
    }
    *review->mutable_status() = status;
  } else {
    auto* review = static_cast<authorizationv1::SubjectAccessReview*>(obj.get());
    authorizationv1::SubjectAccessReviewStatus status;
    if (options_.subject_access_review) {
      status = options_.subject_access_review(review->spec());
    } else {
      const auto& spec = review->spec();
      AuthorizationAttributes a;
      a.user.name = spec.user();
      a.user.uid = spec.uid();
      for (const auto& g : spec.groups()) a.user.groups.push_back(g);
      if (spec.has_resourceattributes()) {
        const auto& ra = spec.resourceattributes();
        a.verb = ra.verb();
        a.group = ra.group();
        a.version = ra.version();
        a.resource = ra.resource();
        a.subresource = ra.subresource();
        a.ns = ra.namespace_();
        a.name = ra.name();
      } else {
        a.resource_request = false;
        a.verb = spec.nonresourceattributes().verb();
        a.path = spec.nonresourceattributes().path();
      }
      AuthorizationDecision d = Authorize(a);
      status.set_allowed(d.allowed);
      if (!d.reason.empty()) status.set_reason(d.reason);
    }
    *review->mutable_status() = status;
  }
  Reply r;
  r.code = 201;
  r.content_type = std::string(kube::MediaType(ct));
  kube::JsonEncodeOptions o;
  o.pretty = pretty;
  r.body = ct == ContentType::kProtobuf ? internal::Envelope(type.ApiVersion(), type.kind, obj->SerializeAsString())
                                        : kube::EncodeJson(*obj, type.ApiVersion(), type.kind, o);
  return r;
}

// --- discovery ------------------------------------------------------------------

absl::StatusOr<FakeApiServer::Impl::Reply> FakeApiServer::Impl::HandleDiscovery(const http::Request& req,
                                                                                const RequestInfo& info) {
  using nlohmann::json;
  const std::vector<std::string>& parts = info.parts;
  Reply r;
  r.content_type = std::string(kube::kJsonMediaType);
  auto groups = [] {
    std::vector<std::string> out;
    for (const ResourceType& t : internal::Resources()) {
      if (!t.group.empty() && std::find(out.begin(), out.end(), t.group) == out.end()) out.push_back(t.group);
    }
    return out;
  };
  auto group_json = [](const std::string& g) {
    json versions = json::array({{{"groupVersion", g + "/v1"}, {"version", "v1"}}});
    return json{{"name", g}, {"versions", versions}, {"preferredVersion", versions[0]}};
  };
  auto resource_list = [](const std::string& group, const std::string& version) {
    json resources = json::array();
    for (const ResourceType& t : internal::Resources()) {
      if (t.group != group || t.version != version) continue;
      json e = {{"name", t.plural},         {"singularName", t.singular}, {"namespaced", t.namespaced},
                {"kind", t.kind},           {"verbs", t.verbs}};
      if (!t.short_names.empty()) e["shortNames"] = t.short_names;
      if (!t.categories.empty()) e["categories"] = t.categories;
      resources.push_back(e);
      for (const std::string& sub : t.subresources) {
        json s = {{"name", t.plural + "/" + sub}, {"singularName", ""}, {"namespaced", t.namespaced}};
        if (sub == "status") {
          s["kind"] = t.kind;
          s["verbs"] = {"get", "patch", "update"};
        } else if (sub == "binding") {
          s["kind"] = "Binding";
          s["verbs"] = {"create"};
        } else if (sub == "eviction") {
          s["group"] = "policy";
          s["version"] = "v1";
          s["kind"] = "Eviction";
          s["verbs"] = {"create"};
        } else if (sub == "log") {
          s["kind"] = "Pod";
          s["verbs"] = {"get"};
        } else if (sub == "exec") {
          s["kind"] = "PodExecOptions";
          s["verbs"] = {"create", "get"};
        } else if (sub == "attach") {
          s["kind"] = "PodAttachOptions";
          s["verbs"] = {"create", "get"};
        } else if (sub == "portforward") {
          s["kind"] = "PodPortForwardOptions";
          s["verbs"] = {"create", "get"};
        } else if (sub == "proxy") {
          s["kind"] = t.kind == "Node" ? "NodeProxyOptions" : "PodProxyOptions";
          s["verbs"] = {"create", "delete", "get", "patch", "update"};
        }
        resources.push_back(s);
      }
    }
    if (group.empty()) {
      resources.push_back({{"name", "bindings"}, {"singularName", "binding"}, {"namespaced", true},
                           {"kind", "Binding"}, {"verbs", {"create"}}});
    }
    return json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", group.empty() ? version : group + "/" + version},
                {"resources", resources}};
  };
  if (parts.size() == 1 && parts[0] == "version") {
    std::string v = options_.version;
    std::vector<std::string> nums = absl::StrSplit(absl::StripPrefix(v, "v"), absl::MaxSplits('.', 2));
    json j = {{"major", nums.size() > 0 ? nums[0] : "1"},
              {"minor", nums.size() > 1 ? nums[1] : "0"},
              {"gitVersion", v},
              {"gitCommit", "0000000000000000000000000000000000000000"},
              {"gitTreeState", "clean"},
              {"buildDate", "2026-01-01T00:00:00Z"},
              {"goVersion", "go1.23.0"},
              {"compiler", "gc"},
              {"platform", "linux/amd64"}};
    r.body = j.dump(2);
    return r;
  }
  if (parts.size() == 1 && (parts[0] == "healthz" || parts[0] == "livez" || parts[0] == "readyz")) {
    r.content_type = "text/plain; charset=utf-8";
    r.body = "ok";
    return r;
  }
  if (parts.size() == 1 && parts[0] == "api") {
    int port;
    {
      absl::MutexLock lock(&server_mu_);
      port = port_;
    }
    r.body = json{{"kind", "APIVersions"},
                  {"versions", {"v1"}},
                  {"serverAddressByClientCIDRs",
                   json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", absl::StrCat(options_.address, ":", port)}}})}}
                 .dump();
    return r;
  }
  if (parts.size() == 1 && parts[0] == "apis") {
    json gs = json::array();
    for (const std::string& g : groups()) gs.push_back(group_json(g));
    r.body = json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", gs}}.dump();
    return r;
  }
  if (parts.size() == 2 && parts[0] == "apis") {
    auto gs = groups();
    if (std::find(gs.begin(), gs.end(), parts[1]) != gs.end()) {
      json j = group_json(parts[1]);
      j["kind"] = "APIGroup";
      j["apiVersion"] = "v1";
      r.body = j.dump();
      return r;
    }
  }
  if (parts.size() == 2 && parts[0] == "api" && parts[1] == "v1") {
    r.body = resource_list("", "v1").dump();
    return r;
  }
  if (parts.size() == 3 && parts[0] == "apis" && parts[2] == "v1") {
    auto gs = groups();
    if (std::find(gs.begin(), gs.end(), parts[1]) != gs.end()) {
      r.body = resource_list(parts[1], "v1").dump();
      return r;
    }
  }
  (void)req;
  return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
}

// --- kubelet proxy --------------------------------------------------------------

absl::StatusOr<std::pair<std::string, int>> FakeApiServer::Impl::KubeletEndpoint(const std::string& node_name) {
  VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Get(Storage::kNode, "", node_name));
  const auto& node = static_cast<const corev1::Node&>(v->object());
  std::string host;
  for (const char* kind : {"InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"}) {
    for (const auto& a : node.status().addresses()) {
      if (a.type() == kind && !a.address().empty()) {
        host = a.address();
        break;
      }
    }
    if (!host.empty()) break;
  }
  if (host.empty()) {
    return internal::BadRequestError(absl::StrCat("no preferred addresses found; known addresses: []"));
  }
  int port = node.status().daemonendpoints().kubeletendpoint().port();
  if (port <= 0) port = 10250;
  return std::make_pair(host, port);
}

absl::Status FakeApiServer::Impl::HandleProxy(const http::Request& req, const RequestInfo& info,
                                              const std::shared_ptr<http::Response>& resp, int* code) {
  std::string node_name;
  std::string target;
  const std::string& sub = info.subresource;
  std::vector<std::pair<std::string, std::string>> params;
  if (info.resource == "nodes" && sub == "proxy") {
    node_name = info.name;
    target = "/" + info.rest;
    if (!req.raw_query.empty()) absl::StrAppend(&target, "?", req.raw_query);
  } else if (info.resource == "pods") {
    VK_ASSIGN_OR_RETURN(VersionPtr v, store_.Get(Storage::kPod, info.ns, info.name));
    const auto& pod = static_cast<const corev1::Pod&>(v->object());
    node_name = pod.spec().nodename();
    if (node_name.empty()) {
      return internal::BadRequestError(absl::StrCat("pod ", info.name, " does not have a host assigned"));
    }
    std::string container = req.Query("container");
    if (container.empty() && sub != "portforward" && sub != "proxy") {
      if (pod.spec().containers_size() == 1) {
        container = pod.spec().containers(0).name();
      } else {
        std::vector<std::string> names;
        for (const auto& c : pod.spec().containers()) names.push_back(c.name());
        return internal::BadRequestError(absl::StrCat("a container name must be specified for pod ", info.name,
                                                      ", choose one of: [", absl::StrJoin(names, " "), "]"));
      }
    }
    if (sub == "log") {
      target = absl::StrCat("/containerLogs/", info.ns, "/", info.name, "/", container);
      for (const char* p : {"follow", "previous", "timestamps", "sinceSeconds", "sinceTime", "tailLines", "limitBytes",
                            "stream"}) {
        if (req.HasQuery(p)) params.emplace_back(p, req.Query(p));
      }
    } else if (sub == "exec" || sub == "attach") {
      target = absl::StrCat(sub == "exec" ? "/exec/" : "/attach/", info.ns, "/", info.name, "/", container);
      if (IsTrue(req.Query("stdin"))) params.emplace_back("input", "1");
      if (IsTrue(req.Query("stdout"))) params.emplace_back("output", "1");
      if (IsTrue(req.Query("stderr"))) params.emplace_back("error", "1");
      if (IsTrue(req.Query("tty"))) params.emplace_back("tty", "1");
      for (const std::string& c : req.QueryValues("command")) params.emplace_back("command", c);
    } else if (sub == "portforward") {
      target = absl::StrCat("/portForward/", info.ns, "/", info.name);
      for (const std::string& p : req.QueryValues("ports")) params.emplace_back("port", p);
    } else {
      return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
    }
    std::vector<std::string> q;
    for (const auto& [k, v] : params) q.push_back(absl::StrCat(k, "=", http::PercentEncode(v)));
    if (!q.empty()) absl::StrAppend(&target, "?", absl::StrJoin(q, "&"));
  } else {
    return internal::GenericError(404, "NotFound", "the server could not find the requested resource", 0);
  }
  VK_ASSIGN_OR_RETURN(auto endpoint, KubeletEndpoint(node_name));
  http::ClientOptions co;
  co.host = endpoint.first;
  co.port = endpoint.second;
  http::ClientTlsOptions t;
  t.cert_pem = kubelet_client_.cert_pem;
  t.key_pem = kubelet_client_.key_pem;
  t.insecure_skip_verify = true;
  co.tls = t;
  co.max_idle_connections = 0;
  VK_ASSIGN_OR_RETURN(std::unique_ptr<http::Client> owned, http::Client::Create(co));
  std::shared_ptr<http::Client> client(std::move(owned));

  http::ClientRequest up;
  up.method = req.method;
  up.target = target;
  for (const auto& [k, v] : req.headers) {
    if (http::EqualsIgnoreCase(k, "Authorization") || http::EqualsIgnoreCase(k, "Host") ||
        http::EqualsIgnoreCase(k, "Content-Length") || http::EqualsIgnoreCase(k, "Accept-Encoding")) {
      continue;
    }
    up.headers.Add(k, v);
  }
  up.body = req.body;

  if (req.IsUpgrade("")) {
    // exec/attach/portforward: hand the upgrade to the kubelet and splice the
    // two connections byte for byte (SPDY/3.1 or WebSocket alike).
    Context hs = Context::Background().WithTimeout(absl::Seconds(30));
    absl::StatusOr<http::UpgradeResult> result = client->Upgrade(hs, up);
    if (!result.ok()) {
      return internal::GenericError(502, "InternalError",
                                    absl::StrCat("error dialing backend: ", result.status().message()), 0);
    }
    if (result->status != 101 || !result->connection) {
      *code = result->status;
      http::Headers h;
      for (const auto& [k, v] : result->headers) {
        if (http::EqualsIgnoreCase(k, "Content-Length") || http::EqualsIgnoreCase(k, "Transfer-Encoding") ||
            http::EqualsIgnoreCase(k, "Connection")) {
          continue;
        }
        h.Add(k, v);
      }
      resp->Send(result->status, h, result->body);
      return absl::OkStatus();
    }
    VK_ASSIGN_OR_RETURN(std::shared_ptr<http::Connection> down, resp->Hijack());
    std::string head = absl::StrCat("HTTP/1.1 101 ", ToAbsl(http::StatusReason(101)), "\r\n");
    for (const auto& [k, v] : result->headers) absl::StrAppend(&head, k, ": ", v, "\r\n");
    head += "\r\n";
    down->Write(std::move(head));
    // Both directions hold the splice (and with it the kubelet client, which
    // must outlive its connection) until either side closes.
    struct Splice {
      absl::Mutex mu;
      std::shared_ptr<http::Client> client ABSL_GUARDED_BY(mu);
      std::shared_ptr<http::Connection> up ABSL_GUARDED_BY(mu);
      std::shared_ptr<http::Connection> down ABSL_GUARDED_BY(mu);
      std::shared_ptr<http::Connection> Up() {
        absl::MutexLock lock(&mu);
        return up;
      }
      std::shared_ptr<http::Connection> Down() {
        absl::MutexLock lock(&mu);
        return down;
      }
      void Close() {
        std::shared_ptr<http::Connection> u, d;
        std::shared_ptr<http::Client> c;
        {
          absl::MutexLock lock(&mu);
          u = std::move(up);
          d = std::move(down);
          c = std::move(client);
        }
        if (u) u->Close();
        if (d) d->Close();
        // Close may run on the kubelet client's own I/O thread (when the
        // kubelet closed first), and destroying a Client joins those threads:
        // release it elsewhere, after the upstream handle (which holds an
        // executor of the client's I/O context).
        if (c) {
          std::thread([u = std::move(u), c = std::move(c)]() mutable {
            u.reset();
            c.reset();
          }).detach();
        }
      }
    };
    auto splice = std::make_shared<Splice>();
    {
      absl::MutexLock lock(&splice->mu);
      splice->client = client;
      splice->up = result->connection;
      splice->down = down;
    }
    result->connection->Start(
        [splice](std::string_view data) {
          if (auto d = splice->Down()) d->Write(std::string(data));
        },
        [splice](const absl::Status&) { splice->Close(); });
    down->Start(
        [splice](std::string_view data) {
          if (auto u = splice->Up()) u->Write(std::string(data));
        },
        [splice](const absl::Status&) { splice->Close(); });
    *code = 101;
    return absl::OkStatus();
  }

  // Streaming proxy (logs -f, node proxy): relay status, headers and body as
  // they arrive.
  bool started = false;
  absl::Status s = client->Stream(
      resp->context(), up,
      [&](int status, const http::Headers& headers) {
        *code = status;
        http::Headers h;
        for (const auto& [k, v] : headers) {
          if (http::EqualsIgnoreCase(k, "Content-Length") || http::EqualsIgnoreCase(k, "Transfer-Encoding") ||
              http::EqualsIgnoreCase(k, "Connection") || http::EqualsIgnoreCase(k, "Date")) {
            continue;
          }
          h.Add(k, v);
        }
        if (!h.Has("Content-Type")) h.Add("Content-Type", "text/plain");
        started = resp->StartStream(status, h);
      },
      [&](std::string_view data) { return resp->Write(std::string(data)); });
  if (!started) {
    return internal::GenericError(502, "InternalError", absl::StrCat("error dialing backend: ", s.message()), 0);
  }
  resp->Finish();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// FakeApiServer

FakeApiServer::FakeApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeApiServer::~FakeApiServer() = default;

absl::StatusOr<std::unique_ptr<FakeApiServer>> FakeApiServer::Start(FakeApiServerOptions options) {
  if (options.clock == nullptr) options.clock = Clock::Real();
  auto impl = std::make_unique<Impl>(std::move(options));
  VK_RETURN_IF_ERROR(impl->Init());
  VK_RETURN_IF_ERROR(impl->StartServing());
  return std::unique_ptr<FakeApiServer>(new FakeApiServer(std::move(impl)));
}

void FakeApiServer::Stop() { impl_->StopServing(); }

absl::Status FakeApiServer::Restart() {
  impl_->StopServing();
  return impl_->StartServing();
}

bool FakeApiServer::running() const {
  absl::MutexLock lock(&impl_->server_mu_);
  return impl_->running_;
}

int FakeApiServer::port() const {
  absl::MutexLock lock(&impl_->server_mu_);
  return impl_->port_;
}

const std::string& FakeApiServer::host() const { return impl_->options_.address; }

std::string FakeApiServer::url() const {
  return absl::StrCat(impl_->options_.tls ? "https://" : "http://", impl_->options_.address, ":", port());
}

const std::string& FakeApiServer::ca_pem() const {
  return impl_->ca_.cert_pem;
}

absl::StatusOr<PemCertificate> FakeApiServer::IssueClientCertificate(const FakeUser& user) const {
  tls::LeafOptions o;
  o.common_name = user.name;
  o.organizations = user.groups;
  o.server_auth = false;
  o.client_auth = true;
  VK_ASSIGN_OR_RETURN(tls::CertKeyPem c, tls::IssueCertificate(impl_->ca_, o));
  return PemCertificate{c.cert_pem, c.key_pem};
}

std::string FakeApiServer::Kubeconfig(const KubeconfigOptions& options) const {
  std::string cluster = absl::StrCat("    server: ", url(), "\n");
  if (impl_->options_.tls) {
    absl::StrAppend(&cluster, "    certificate-authority-data: ", absl::Base64Escape(impl_->ca_.cert_pem), "\n");
  }
  std::string user;
  if (!options.token.empty()) absl::StrAppend(&user, "    token: ", options.token, "\n");
  if (options.client_certificate && impl_->options_.tls) {
    auto cert = IssueClientCertificate(options.certificate_user);
    if (cert.ok()) {
      absl::StrAppend(&user, "    client-certificate-data: ", absl::Base64Escape(cert->cert_pem), "\n",
                      "    client-key-data: ", absl::Base64Escape(cert->key_pem), "\n");
    }
  }
  if (user.empty()) user = "    {}\n";
  const std::string& name = options.context_name;
  std::string out = absl::StrCat("apiVersion: v1\nkind: Config\nclusters:\n- name: ", name, "\n  cluster:\n", cluster,
                                 "users:\n- name: ", name, "\n  user:\n", user, "contexts:\n- name: ", name,
                                 "\n  context:\n    cluster: ", name, "\n    user: ", name, "\n");
  if (!options.ns.empty()) absl::StrAppend(&out, "    namespace: ", options.ns, "\n");
  absl::StrAppend(&out, "current-context: ", name, "\n");
  return out;
}

absl::Status FakeApiServer::WriteKubeconfig(const std::string& path, const KubeconfigOptions& options) const {
  std::string text = Kubeconfig(options);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
    out << text;
    if (!out.good()) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

void FakeApiServer::AddToken(std::string token, FakeUser user) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->tokens_[std::move(token)] = std::move(user);
}

namespace {
absl::StatusOr<const ResourceType*> TypeFor(std::string_view full_name) {
  const ResourceType* t = internal::FindResourceByMessage(full_name);
  if (t == nullptr || t->storage == Storage::kNone) {
    return absl::InvalidArgumentError(absl::StrCat("FakeApiServer does not store ", ToAbsl(full_name)));
  }
  return t;
}
}  // namespace

absl::StatusOr<std::shared_ptr<const Message>> FakeApiServer::CreateObject(const Message& obj) {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(obj.GetDescriptor()->full_name()));
  std::unique_ptr<Message> copy(obj.New());
  copy->CopyFrom(obj);
  if (t->namespaced && internal::Meta(*copy).namespace_().empty()) {
    internal::MutableMeta(copy.get())->set_namespace_("default");
  }
  VK_ASSIGN_OR_RETURN(VersionPtr v, impl_->store_.Create(*t, std::move(copy)));
  return v->ptr();
}

absl::StatusOr<std::shared_ptr<const Message>> FakeApiServer::GetObject(std::string_view message_type,
                                                                        std::string_view ns,
                                                                        std::string_view name) const {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(message_type));
  VK_ASSIGN_OR_RETURN(VersionPtr v, impl_->store_.Get(t->storage, t->namespaced ? ns : "", name));
  return v->ptr();
}

absl::StatusOr<std::vector<std::shared_ptr<const Message>>> FakeApiServer::ListObjects(std::string_view message_type,
                                                                                       std::string_view ns) const {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(message_type));
  internal::ListQuery q;
  q.ns = t->namespaced ? std::string(ns) : "";
  VK_ASSIGN_OR_RETURN(internal::ListResult list, impl_->store_.List(t->storage, q));
  std::vector<std::shared_ptr<const Message>> out;
  for (const auto& v : list.items) out.push_back(v->ptr());
  return out;
}

absl::StatusOr<std::shared_ptr<const Message>> FakeApiServer::UpdateObject(const Message& obj, bool status) {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(obj.GetDescriptor()->full_name()));
  std::unique_ptr<Message> copy(obj.New());
  copy->CopyFrom(obj);
  VK_ASSIGN_OR_RETURN(VersionPtr v, impl_->store_.Update(*t, std::move(copy), status ? internal::UpdateMode::kStatus
                                                                                   : internal::UpdateMode::kMain));
  return v->ptr();
}

absl::StatusOr<std::shared_ptr<const Message>> FakeApiServer::ModifyObject(
    std::string_view message_type, std::string_view ns, std::string_view name,
    const std::function<void(Message*)>& fn, bool status) {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(message_type));
  auto mutate = [&](const Message& current) -> absl::StatusOr<std::unique_ptr<Message>> {
    std::unique_ptr<Message> copy(current.New());
    copy->CopyFrom(current);
    fn(copy.get());
    return copy;
  };
  VK_ASSIGN_OR_RETURN(VersionPtr v, impl_->store_.GuaranteedUpdate(
                                        *t, ns, name, status ? internal::UpdateMode::kStatus : internal::UpdateMode::kMain,
                                        mutate));
  return v->ptr();
}

absl::Status FakeApiServer::DeleteObject(std::string_view message_type, std::string_view ns, std::string_view name,
                                         int64_t grace_period_seconds) {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(message_type));
  internal::DeleteRequest d;
  if (grace_period_seconds >= 0) d.grace_period_seconds = grace_period_seconds;
  return impl_->store_.Delete(*t, ns, name, d).status();
}

absl::StatusOr<std::shared_ptr<const Message>> FakeApiServer::WaitForObject(
    std::string_view message_type, std::string_view ns, std::string_view name,
    const std::function<bool(const Message*)>& pred, absl::Duration timeout) const {
  VK_ASSIGN_OR_RETURN(const ResourceType* t, TypeFor(message_type));
  VK_ASSIGN_OR_RETURN(VersionPtr v, impl_->store_.WaitFor(t->storage, ns, name, pred, timeout));
  if (!v) return std::shared_ptr<const Message>();
  return v->ptr();
}

int64_t FakeApiServer::ResourceVersion() const { return impl_->store_.CurrentResourceVersion(); }

void FakeApiServer::InjectFault(Fault fault) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->faults_.push_back(std::move(fault));
}

void FakeApiServer::ClearFaults() {
  absl::MutexLock lock(&impl_->mu_);
  impl_->faults_.clear();
}

void FakeApiServer::SetResponseDelay(absl::Duration delay) {
  absl::MutexLock lock(&impl_->mu_);
  impl_->delay_ = delay;
}

void FakeApiServer::DropWatches() { impl_->store_.DropWatches(); }
void FakeApiServer::CompactHistory() { impl_->store_.Compact(); }
void FakeApiServer::SendBookmarks() { impl_->store_.SendBookmarks(); }

std::vector<RequestRecord> FakeApiServer::Requests() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->requests_;
}

int64_t FakeApiServer::RequestCount(std::string_view verb, std::string_view resource,
                                    std::string_view subresource) const {
  absl::MutexLock lock(&impl_->mu_);
  int64_t n = 0;
  for (const RequestRecord& r : impl_->requests_) {
    if (verb != "*" && r.verb != verb) continue;
    if (resource != "*" && r.resource != resource) continue;
    if (subresource != "*" && r.subresource != subresource) continue;
    ++n;
  }
  return n;
}

void FakeApiServer::ResetRequests() {
  absl::MutexLock lock(&impl_->mu_);
  impl_->requests_.clear();
}

size_t FakeApiServer::OpenWatches() const { return impl_->OpenWatches(); }

}  // namespace vkubelet::testing

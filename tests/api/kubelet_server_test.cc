// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// KubeletServer over real HTTPS: client certificates from a test CA, bearer
// tokens checked with FakeApiServer's TokenReview, SubjectAccessReview per
// route with the kubelet's verbs and subresources, every route's answers and
// error mapping, container log streaming (follow, backpressure, client
// leaving, limits), and hostile clients.

#include "vkubelet/api/kubelet_server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "api/kubelet_server_internal.h"
#include "internal/http_test_util.h"
#include "internal/http/client.h"
#include "internal/tls/certs.h"
#include "kubelet_test_provider.h"
#include "nlohmann/json.hpp"
#include "prometheus_parser.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/rest_client.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"

namespace vkubelet::api {
namespace {

namespace http = ::vkubelet::internal::http;
namespace tls = ::vkubelet::internal::tls;
using test::KubeletTestProvider;

constexpr char kNode[] = "vk-node-1";
constexpr char kGoodToken[] = "good-token";
constexpr char kMetricsUser[] = "system:serviceaccount:kube-system:metrics-server";

Context TestCtx() { return Context::Background().WithTimeout(absl::Seconds(30)); }

tls::CertKeyPem MakeCa(const std::string& name) {
  tls::CaOptions o;
  o.common_name = name;
  auto ca = tls::GenerateCa(o);
  REQUIRE(ca.ok());
  return *ca;
}

tls::CertKeyPem ClientCert(const tls::CertKeyPem& ca, const std::string& cn, std::vector<std::string> orgs) {
  tls::LeafOptions leaf;
  leaf.common_name = cn;
  leaf.organizations = std::move(orgs);
  leaf.server_auth = false;
  leaf.client_auth = true;
  auto c = tls::IssueCertificate(ca, leaf);
  REQUIRE(c.ok());
  return *c;
}

struct Creds {
  const tls::CertKeyPem* cert = nullptr;
  std::string token = {};
};

struct SarRecord {
  std::string user;
  std::vector<std::string> groups;
  std::string verb, resource, subresource, name, group, version;
};

struct EnvConfig {
  std::function<void(KubeletServerOptions&)> tweak = nullptr;
  std::vector<internal::Route> extra_routes = {};
  bool bare_provider = false;
  bool anonymous = false;
};

// A FakeApiServer answering TokenReview/SubjectAccessReview, a provider, and
// a KubeletServer on 127.0.0.1 with a self-signed certificate that trusts
// client certificates from `ca`.
class Env {
 public:
  explicit Env(EnvConfig cfg = {}) {
    ca = MakeCa("kubelet-client-ca");
    wrong_ca = MakeCa("someone-else");
    alice = ClientCert(ca, "alice", {"team-a"});
    mallory = ClientCert(wrong_ca, "alice", {"system:masters"});

    testing::FakeApiServerOptions ao;
    ao.token_review = [this](const authenticationv1::TokenReviewSpec& spec) {
      absl::MutexLock lock(&mu_);
      ++token_reviews_;
      authenticationv1::TokenReviewStatus st;
      if (spec.token() == kGoodToken) {
        st.set_authenticated(true);
        st.mutable_user()->set_username(kMetricsUser);
        st.mutable_user()->set_uid("sa-uid");
        st.mutable_user()->add_groups("system:serviceaccounts");
      } else {
        st.set_authenticated(false);
        st.set_error("token not recognised");
      }
      return st;
    };
    ao.subject_access_review = [this](const authorizationv1::SubjectAccessReviewSpec& spec) {
      absl::MutexLock lock(&mu_);
      const auto& ra = spec.resourceattributes();
      sars_.push_back(SarRecord{spec.user(),
                                {spec.groups().begin(), spec.groups().end()},
                                ra.verb(),
                                ra.resource(),
                                ra.subresource(),
                                ra.name(),
                                ra.group(),
                                ra.version()});
      authorizationv1::SubjectAccessReviewStatus st;
      bool allowed = allowed_subresources_.count("*") || allowed_subresources_.count(ra.subresource());
      st.set_allowed(allowed);
      if (!allowed) st.set_reason("no RBAC policy matched");
      return st;
    };
    auto api_or = testing::FakeApiServer::Start(ao);
    REQUIRE(api_or.ok());
    api = *std::move(api_or);
    kube::ClientConfig cc;
    cc.server = api->url();
    auto rest_or = kube::RestClient::Create(cc);
    REQUIRE(rest_or.ok());
    rest = *rest_or;

    KubeletServerOptions so;
    so.node_name = kNode;
    so.address = "127.0.0.1";
    so.port = 0;
    so.self_signed = true;
    so.client_ca_pem = ca.cert_pem;
    WebhookAuthOptions wo;
    wo.anonymous = cfg.anonymous;
    KubeletAuth auth = NewWebhookAuth(NewKubeReviewClient(rest), wo);
    so.authenticator = auth.authenticator;
    so.authorizer = auth.authorizer;
    so.health_checks.push_back({"provider", [this] {
                                  absl::MutexLock lock(&mu_);
                                  return provider_health_;
                                }});
    if (cfg.tweak) cfg.tweak(so);

    KubeletServerHandlers handlers;
    if (cfg.bare_provider) {
      handlers.provider = std::make_shared<test::BareProvider>();
    } else {
      provider = std::make_shared<KubeletTestProvider>();
      handlers.provider = provider;
      handlers.list_pods =
          [this](const Context&) -> absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> {
        absl::MutexLock lock(&mu_);
        return node_pods_;
      };
    }
    auto server_or = internal::CreateKubeletServer(so, handlers, std::move(cfg.extra_routes));
    REQUIRE_MESSAGE(server_or.ok(), server_or.status().ToString());
    server = *std::move(server_or);
    VK_REQUIRE_OK(server->Start());
  }

  ~Env() {
    if (server) server->Stop(absl::Seconds(2));
  }

  void AddNodePod(std::shared_ptr<const corev1::Pod> pod) {
    absl::MutexLock lock(&mu_);
    node_pods_.push_back(pod);
    if (provider) provider->AddPod(pod);
  }
  void Allow(std::set<std::string> subresources) {
    absl::MutexLock lock(&mu_);
    allowed_subresources_ = std::move(subresources);
  }
  void SetProviderHealth(absl::Status s) {
    absl::MutexLock lock(&mu_);
    provider_health_ = std::move(s);
  }
  std::vector<SarRecord> Sars() {
    absl::MutexLock lock(&mu_);
    return sars_;
  }
  void ClearSars() {
    absl::MutexLock lock(&mu_);
    sars_.clear();
  }
  int TokenReviews() {
    absl::MutexLock lock(&mu_);
    return token_reviews_;
  }

  http::ClientTlsOptions Tls(const Creds& c) const {
    http::ClientTlsOptions t;
    t.ca_pem = server->serving_certificate_pem();
    if (c.cert != nullptr) {
      t.cert_pem = c.cert->cert_pem;
      t.key_pem = c.cert->key_pem;
    }
    return t;
  }

  std::unique_ptr<http::Client> Client(const Creds& c = {}) const {
    http::ClientOptions o;
    o.port = server->port();
    o.tls = Tls(c);
    auto client = http::Client::Create(o);
    REQUIRE(client.ok());
    return *std::move(client);
  }

  static http::ClientRequest Request(std::string method, std::string target, const Creds& c) {
    http::ClientRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    if (!c.token.empty()) r.headers.Add("Authorization", "Bearer " + c.token);
    return r;
  }

  http::ClientResponse Do(std::string method, std::string target, const Creds& c, std::string body = "",
                          http::Headers headers = {}) const {
    http::ClientRequest r = Request(std::move(method), std::move(target), c);
    r.body = std::move(body);
    for (const auto& [k, v] : headers) r.headers.Add(k, v);
    auto resp = Client(c)->Do(TestCtx(), r);
    REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
    return *std::move(resp);
  }
  http::ClientResponse Get(std::string target, const Creds& c) const {
    return Do("GET", std::move(target), c);
  }

  tls::CertKeyPem ca, wrong_ca, alice, mallory;
  std::unique_ptr<testing::FakeApiServer> api;
  std::shared_ptr<kube::RestClient> rest;
  std::shared_ptr<KubeletTestProvider> provider;
  std::unique_ptr<KubeletServer> server;

 private:
  absl::Mutex mu_;
  std::vector<std::shared_ptr<const corev1::Pod>> node_pods_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> allowed_subresources_ ABSL_GUARDED_BY(mu_) = {"*"};
  std::vector<SarRecord> sars_ ABSL_GUARDED_BY(mu_);
  int token_reviews_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status provider_health_ ABSL_GUARDED_BY(mu_);
};

// --- authentication ------------------------------------------------------------------------

TEST_CASE("a client certificate from the client CA is accepted: CN is the user, O the groups") {
  Env env;
  auto resp = env.Get("/healthz", Creds{&env.alice});
  CHECK(resp.status == 200);
  CHECK(resp.body == "ok");
  auto sars = env.Sars();
  REQUIRE(sars.size() == 1);
  CHECK(sars[0].user == "alice");
  CHECK((sars[0].groups == std::vector<std::string>{"team-a", "system:authenticated"}));
  CHECK(sars[0].verb == "get");
  CHECK(sars[0].resource == "nodes");
  CHECK(sars[0].subresource == "healthz");
  CHECK(sars[0].name == kNode);
  CHECK(sars[0].group == "");
  CHECK(sars[0].version == "v1");
  CHECK(env.TokenReviews() == 0);
}

TEST_CASE("a client certificate from another CA does not authenticate") {
  Env env;
  auto resp = env.Get("/healthz", Creds{&env.mallory});
  CHECK(resp.status == 401);
  CHECK(resp.body == "Unauthorized");
  CHECK(env.Sars().empty());
}

TEST_CASE("requests without credentials are rejected (anonymous is off by default)") {
  Env env;
  for (const char* path : {"/healthz", "/pods", "/no/such/path", "/containerLogs/ns/p/c"}) {
    auto resp = env.Get(path, Creds{});
    CHECK_MESSAGE(resp.status == 401, path);
    CHECK(resp.body == "Unauthorized");
  }
  CHECK(env.Sars().empty());
}

TEST_CASE("anonymous, when enabled, applies only to requests without credentials") {
  Env env(EnvConfig{.anonymous = true});
  auto anon = env.Get("/healthz", Creds{});
  CHECK(anon.status == 200);
  REQUIRE(env.Sars().size() == 1);
  CHECK(env.Sars()[0].user == "system:anonymous");
  CHECK((env.Sars()[0].groups == std::vector<std::string>{"system:unauthenticated"}));
  // A bad token never falls back to anonymous.
  CHECK(env.Get("/healthz", Creds{nullptr, "forged"}).status == 401);
}

TEST_CASE("bearer tokens are checked with TokenReview, then authorized with SubjectAccessReview") {
  Env env;
  auto ok = env.Get("/healthz", Creds{nullptr, kGoodToken});
  CHECK(ok.status == 200);
  auto sars = env.Sars();
  REQUIRE(sars.size() == 1);
  CHECK(sars[0].user == kMetricsUser);
  CHECK((sars[0].groups == std::vector<std::string>{"system:serviceaccounts", "system:authenticated"}));

  auto bad = env.Get("/healthz", Creds{nullptr, "forged"});
  CHECK(bad.status == 401);
  CHECK(bad.body == "Unauthorized");
  // Not a bearer scheme at all.
  http::Headers basic{{"Authorization", "Basic YWxpY2U6cHc="}};
  CHECK(env.Do("GET", "/healthz", Creds{}, "", basic).status == 401);
}

TEST_CASE("TokenReview and SubjectAccessReview answers are cached") {
  Env env;
  for (int i = 0; i < 5; ++i) CHECK(env.Get("/healthz", Creds{nullptr, kGoodToken}).status == 200);
  CHECK(env.TokenReviews() == 1);
  CHECK(env.Sars().size() == 1);
  for (int i = 0; i < 3; ++i) CHECK(env.Get("/healthz", Creds{nullptr, "forged"}).status == 401);
  CHECK(env.TokenReviews() == 2);
  // Another subresource is another decision.
  env.provider->SetSummary(stats::Summary{});
  CHECK(env.Get("/stats/summary", Creds{nullptr, kGoodToken}).status == 200);
  CHECK(env.Sars().size() == 2);
}

TEST_CASE("mTLS mode refuses connections without a verified client certificate") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.require_client_certificate = true; }});
  CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);
  auto client = env.Client(Creds{nullptr, kGoodToken});
  auto r = client->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{nullptr, kGoodToken}));
  CHECK_FALSE(r.ok());
}

// --- authorization ---------------------------------------------------------------------------

TEST_CASE("each route is authorized with the kubelet's verb and subresource(s)") {
  Env env;
  env.Allow({});  // deny everything: the 403 body lists what was checked
  struct Case {
    const char* method;
    const char* path;
    const char* verb;
    const char* subresources;
  };
  for (const Case& c : {
           Case{"GET", "/stats/summary", "get", "[stats]"},
           Case{"POST", "/stats/summary", "create", "[stats]"},
           Case{"GET", "/metrics", "get", "[metrics]"},
           Case{"GET", "/metrics/resource", "get", "[metrics]"},
           Case{"GET", "/logs/syslog", "get", "[log]"},
           Case{"GET", "/pods", "get", "[pods proxy]"},
           Case{"GET", "/runningpods/", "get", "[pods proxy]"},
           Case{"GET", "/healthz", "get", "[healthz proxy]"},
           Case{"GET", "/healthz/ping", "get", "[healthz proxy]"},
           Case{"GET", "/configz", "get", "[configz proxy]"},
           Case{"GET", "/containerLogs/default/web/app", "get", "[proxy]"},
           Case{"POST", "/exec/default/web/app?command=ls", "create", "[proxy]"},
           Case{"GET", "/attach/default/web/app", "get", "[proxy]"},
           Case{"POST", "/portForward/default/web", "create", "[proxy]"},
           Case{"POST", "/run/default/web/app", "create", "[proxy]"},
           Case{"PUT", "/pods", "update", "[pods proxy]"},
           Case{"DELETE", "/statsx", "delete", "[proxy]"},
           Case{"PATCH", "/anything", "patch", "[proxy]"},
       }) {
    env.ClearSars();
    auto resp = env.Do(c.method, c.path, Creds{nullptr, kGoodToken});
    CHECK_MESSAGE(resp.status == 403, c.path);
    std::string want = absl::StrCat("Forbidden (user=", kMetricsUser, ", verb=", c.verb,
                                    ", resource=nodes, subresource(s)=", c.subresources, ")\n");
    CHECK_MESSAGE(resp.body == want, c.method, " ", c.path, ": ", resp.body);
    for (const auto& s : env.Sars()) {
      CHECK(s.verb == c.verb);
      CHECK(s.name == kNode);
      CHECK(s.resource == "nodes");
    }
  }
}

TEST_CASE("fine-grained subresources are tried first and proxy still admits") {
  Env env;
  env.provider->SetSummary(stats::Summary{});
  env.Allow({"proxy"});
  CHECK(env.Get("/pods", Creds{nullptr, kGoodToken}).status == 200);
  auto sars = env.Sars();
  REQUIRE(sars.size() == 2);
  CHECK(sars[0].subresource == "pods");
  CHECK(sars[1].subresource == "proxy");
  // proxy does not cover stats or metrics.
  CHECK(env.Get("/stats/summary", Creds{nullptr, kGoodToken}).status == 403);
  CHECK(env.Get("/metrics/resource", Creds{nullptr, kGoodToken}).status == 403);

  // (The denial above is cached for 30 s; ask as someone else.)
  env.Allow({"metrics"});
  CHECK(env.Get("/metrics/resource", Creds{&env.alice}).status == 200);
  env.Allow({"healthz"});
  env.ClearSars();
  CHECK(env.Get("/healthz/ping", Creds{&env.alice}).status == 200);
  CHECK(env.Sars().size() == 1);  // allowed by the first check
}

TEST_CASE("without fine-grained authorization everything but stats/metrics/logs is proxy") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.fine_grained_authorization = false; }});
  env.Allow({});
  auto resp = env.Get("/pods", Creds{nullptr, kGoodToken});
  CHECK(resp.body == absl::StrCat("Forbidden (user=", kMetricsUser,
                                  ", verb=get, resource=nodes, subresource(s)=[proxy])\n"));
}

TEST_CASE("an authorizer that cannot decide answers 500") {
  Env env;
  testing::Fault f;
  f.resource = "subjectaccessreviews";
  f.count = -1;
  f.code = 500;
  env.api->InjectFault(f);
  auto resp = env.Get("/metrics", Creds{nullptr, kGoodToken});
  CHECK(resp.status == 500);
  CHECK(resp.body == absl::StrCat("Authorization error (user=", kMetricsUser,
                                  ", verb=get, resource=nodes, subresource=metrics)"));
  // Errors are not cached: once the API server answers again, so does the kubelet.
  env.api->ClearFaults();
  CHECK(env.Get("/metrics", Creds{nullptr, kGoodToken}).status == 200);
}

TEST_CASE("a TokenReview that fails is a 401 and is not cached") {
  Env env;
  testing::Fault f;
  f.resource = "tokenreviews";
  f.count = -1;
  f.code = 500;
  env.api->InjectFault(f);
  CHECK(env.Get("/healthz", Creds{nullptr, kGoodToken}).status == 401);
  env.api->ClearFaults();
  CHECK(env.Get("/healthz", Creds{nullptr, kGoodToken}).status == 200);
}

TEST_CASE("streaming routes sit behind the same authorization and are extension points") {
  std::atomic<int> calls{0};
  internal::Route probe{{"GET"}, "/debug/probe/{name}", [&calls](internal::RouteRequest& r) {
                          ++calls;
                          r.response->Send(200, {},
                                           absl::StrCat("hello ", r.Var("name"), " from ", r.user.name));
                        }};
  Env env(EnvConfig{.extra_routes = {probe}});
  auto ok = env.Get("/debug/probe/x", Creds{&env.alice});
  CHECK(ok.status == 200);
  CHECK(ok.body == "hello x from alice");
  CHECK(env.Get("/debug/probe/x", Creds{}).status == 401);
  CHECK(calls == 1);
  // The placeholders for exec & co: routed (405 for the wrong method), 501 without the ability.
  auto exec = env.Do("POST", "/exec/default/web/app?command=ls&output=1", Creds{&env.alice});
  CHECK(exec.status == 501);
  CHECK(env.Do("GET", "/run/default/web/app", Creds{&env.alice}).status == 405);
  CHECK(env.Do("GET", "/portForward/default/web/uid-1", Creds{&env.alice}).status == 501);
}

// --- routes --------------------------------------------------------------------------------------

TEST_CASE("unknown paths answer 404, wrong methods 405") {
  Env env;
  auto nf = env.Get("/no/such/route", Creds{&env.alice});
  CHECK(nf.status == 404);
  CHECK(nf.body == "404: Page Not Found");
  auto na = env.Do("POST", "/pods", Creds{&env.alice});
  CHECK(na.status == 405);
  CHECK(na.headers.Get("Allow") == "GET");
  CHECK(env.Do("DELETE", "/containerLogs/a/b/c", Creds{&env.alice}).status == 405);
  CHECK(env.Get("/containerLogs/a/b", Creds{&env.alice}).status == 404);
}

TEST_CASE("/pods serves the node's pods as a v1 PodList; /runningpods/ the provider's") {
  Env env;
  env.AddNodePod(test::MakePod("default", "web", {"app"}, kNode));
  env.AddNodePod(test::MakePod("kube-system", "dns", {"coredns"}, kNode));
  auto resp = env.Get("/pods", Creds{&env.alice});
  REQUIRE(resp.status == 200);
  CHECK(resp.headers.Get("Content-Type") == "application/json");
  corev1::PodList list;
  kube::TypeMeta tm;
  VK_REQUIRE_OK(kube::DecodeJson(resp.body, &list, &tm));
  CHECK(tm.kind == "PodList");
  CHECK(tm.api_version == "v1");
  REQUIRE(list.items_size() == 2);
  CHECK(list.items(0).metadata().name() == "web");
  CHECK(list.items(1).spec().containers(0).name() == "coredns");

  auto running = env.Get("/runningpods/", Creds{&env.alice});
  REQUIRE(running.status == 200);
  VK_REQUIRE_OK(kube::DecodeJson(running.body, &list));
  CHECK(list.items_size() == 2);

  env.provider->SetPodsError(errdefs::Unavailable("backend unreachable"));
  auto failed = env.Get("/runningpods", Creds{&env.alice});
  CHECK(failed.status == 503);
  CHECK(absl::StrContains(failed.body, "backend unreachable"));
}

stats::Summary SmallSummary() {
  stats::Summary s;
  absl::Time t = absl::FromUnixSeconds(1700000000);
  s.node.start_time = t;
  s.node.cpu = stats::CPUStats{t, 5, 2000000000, std::nullopt};
  stats::MemoryStats m;
  m.time = t;
  m.working_set_bytes = 4096;
  s.node.memory = m;
  s.node.fs = stats::FsStats{};
  s.node.fs->time = t;
  s.node.fs->used_bytes = 1;
  stats::PodStats p;
  p.pod_ref = {"web", "default", "uid-web"};
  p.start_time = t;
  stats::ContainerStats c;
  c.name = "app";
  c.start_time = t;
  c.cpu = stats::CPUStats{t, 5, 1000000000, std::nullopt};
  c.memory = m;
  c.rootfs = stats::FsStats{};
  p.containers.push_back(c);
  p.cpu = c.cpu;
  p.memory = m;
  p.volume.push_back(stats::VolumeStats{});
  s.pods.push_back(p);
  return s;
}

TEST_CASE("/stats/summary: stats/v1alpha1 JSON with the schema's fields, only_cpu_and_memory, POST") {
  Env env;
  env.provider->SetSummary(SmallSummary());
  auto resp = env.Get("/stats/summary", Creds{nullptr, kGoodToken});
  REQUIRE(resp.status == 200);
  CHECK(resp.headers.Get("Content-Type") == "application/json");
  nlohmann::json j = nlohmann::json::parse(resp.body);
  // The node name is filled in when the provider leaves it empty.
  CHECK(j["node"]["nodeName"] == kNode);
  CHECK(j["node"]["startTime"] == "2023-11-14T22:13:20Z");
  CHECK(j["node"]["cpu"]["usageCoreNanoSeconds"] == 2000000000u);
  CHECK(j["node"]["cpu"]["usageNanoCores"] == 5);
  CHECK(j["node"]["memory"]["workingSetBytes"] == 4096);
  CHECK(j["node"].contains("fs"));
  const auto& pod = j["pods"][0];
  CHECK(pod["podRef"] == nlohmann::json({{"name", "web"}, {"namespace", "default"}, {"uid", "uid-web"}}));
  CHECK(pod["containers"][0]["name"] == "app");
  CHECK(pod["containers"][0]["cpu"]["time"] == "2023-11-14T22:13:20Z");
  CHECK(pod["containers"][0].contains("rootfs"));
  CHECK(pod.contains("volume"));
  auto parsed = stats::SummaryFromJson(resp.body);
  VK_REQUIRE_OK(parsed);

  for (const auto& c : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/stats/summary?only_cpu_and_memory=true", ""},
           {"GET", "/stats/summary/?only_cpu_and_memory=true", ""},
           {"POST", "/stats/summary", "only_cpu_and_memory=true"}}) {
    const std::string method = std::get<0>(c);
    const std::string target = std::get<1>(c);
    const std::string body = std::get<2>(c);
    http::Headers h{{"Content-Type", "application/x-www-form-urlencoded"}};
    auto r = env.Do(method, target, Creds{nullptr, kGoodToken}, body, h);
    REQUIRE_MESSAGE(r.status == 200, target);
    nlohmann::json k = nlohmann::json::parse(r.body);
    CHECK_FALSE(k["node"].contains("fs"));
    CHECK(k["node"]["cpu"]["usageCoreNanoSeconds"] == 2000000000u);
    CHECK_FALSE(k["pods"][0]["containers"][0].contains("rootfs"));
    CHECK_FALSE(k["pods"][0].contains("volume"));
    CHECK(k["pods"][0]["memory"]["workingSetBytes"] == 4096);
  }
  // The form value and a query value together are not "exactly one true".
  http::Headers h{{"Content-Type", "application/x-www-form-urlencoded"}};
  auto both = env.Do("POST", "/stats/summary?only_cpu_and_memory=true", Creds{nullptr, kGoodToken},
                     "only_cpu_and_memory=true", h);
  CHECK(nlohmann::json::parse(both.body)["node"].contains("fs"));
}

TEST_CASE("/stats/summary maps provider errors through errdefs") {
  Env env;
  env.provider->SetSummary(errdefs::NotFound("no such pod"));
  auto nf = env.Get("/stats/summary", Creds{&env.alice});
  CHECK(nf.status == 404);
  CHECK(nf.body == "no such pod");
  env.provider->SetSummary(absl::InternalError("disk on fire"));
  auto ie = env.Get("/stats/summary", Creds{&env.alice});
  CHECK(ie.status == 500);
  CHECK(ie.body == "Internal Error: disk on fire");
}

TEST_CASE("/metrics/resource: Prometheus text metrics-server accepts") {
  Env env;
  env.provider->SetSummary(SmallSummary());
  auto resp = env.Get("/metrics/resource", Creds{nullptr, kGoodToken});
  REQUIRE(resp.status == 200);
  CHECK(resp.headers.Get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = test::ParsePrometheusText(resp.body);
  VK_REQUIRE_OK(parsed);
  CHECK(parsed->Find("node_cpu_usage_seconds_total")->samples[0].value == 2);
  CHECK(parsed->Find("node_cpu_usage_seconds_total")->samples[0].timestamp_ms == 1700000000000);
  const auto& c = parsed->Find("container_memory_working_set_bytes")->samples[0];
  CHECK((c.labels ==
         std::map<std::string, std::string>{{"container", "app"}, {"namespace", "default"}, {"pod", "web"}}));
  CHECK(c.value == 4096);

  // A failing provider still answers 200, with resource_scrape_error 1.
  env.provider->SetSummary(errdefs::Unavailable("down"));
  auto failed = env.Get("/metrics/resource", Creds{nullptr, kGoodToken});
  CHECK(failed.status == 200);
  auto p2 = test::ParsePrometheusText(failed.body);
  VK_REQUIRE_OK(p2);
  CHECK(p2->Find("resource_scrape_error")->samples[0].value == 1);
}

class CountingSource : public stats::MetricsSource {
 public:
  void Collect(stats::PrometheusWriter& w) override {
    w.Family("vkubelet_test_queue_depth", "Items waiting", stats::MetricType::kGauge);
    w.Sample("vkubelet_test_queue_depth", {{"queue", "pods"}}, 7);
  }
};

TEST_CASE("/metrics: the server's own request metrics plus registered sources") {
  Env env;
  auto source = std::make_shared<CountingSource>();
  env.server->AddMetricsSource(source);
  env.server->AddMetricsSource(source);  // duplicates ignored
  CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);
  auto resp = env.Get("/metrics", Creds{&env.alice});
  REQUIRE(resp.status == 200);
  auto parsed = test::ParsePrometheusText(resp.body);
  VK_REQUIRE_OK(parsed);
  REQUIRE(parsed->Find("vkubelet_test_queue_depth") != nullptr);
  CHECK(parsed->Find("vkubelet_test_queue_depth")->samples.size() == 1);
  const auto* total = parsed->Find("kubelet_http_requests_total");
  REQUIRE(total != nullptr);
  bool saw_healthz = false;
  for (const auto& s : total->samples) {
    if (s.labels.at("path") == "healthz" && s.labels.at("method") == "GET") saw_healthz = s.value >= 1;
  }
  CHECK(saw_healthz);
  CHECK(parsed->Find("kubelet_http_requests_duration_seconds") != nullptr);
  env.server->RemoveMetricsSource(source);
  auto again = test::ParsePrometheusText(env.Get("/metrics", Creds{&env.alice}).body);
  VK_REQUIRE_OK(again);
  CHECK(again->Find("vkubelet_test_queue_depth") == nullptr);
}

TEST_CASE("/healthz and its checks") {
  Env env;
  CHECK(env.Get("/healthz/ping", Creds{&env.alice}).body == "ok");
  CHECK(env.Get("/healthz/log", Creds{&env.alice}).body == "ok");
  auto verbose = env.Get("/healthz?verbose", Creds{&env.alice});
  CHECK(verbose.body == "[+]ping ok\n[+]log ok\n[+]provider ok\nhealthz check passed\n");
  env.SetProviderHealth(absl::UnavailableError("backend down"));
  auto bad = env.Get("/healthz", Creds{&env.alice});
  CHECK(bad.status == 500);
  CHECK(bad.body == "[+]ping ok\n[+]log ok\n[-]provider failed: reason withheld\nhealthz check failed\n");
  auto one = env.Get("/healthz/provider", Creds{&env.alice});
  CHECK(one.status == 500);
  CHECK(one.body == "internal server error: backend down\n");
  CHECK(env.Get("/healthz/nope", Creds{&env.alice}).status == 404);
}

TEST_CASE("a provider without the optional abilities answers 501") {
  Env env(EnvConfig{.bare_provider = true});
  for (const char* path :
       {"/stats/summary", "/metrics/resource", "/containerLogs/default/web/app", "/pods"}) {
    auto resp = env.Get(path, Creds{&env.alice});
    CHECK_MESSAGE(resp.status == 501, path);
  }
  CHECK(env.Get("/runningpods/", Creds{&env.alice}).status == 200);
  CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);
}

// --- container logs ------------------------------------------------------------------------------

struct LogEnv : Env {
  LogEnv() : Env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.log_stream_buffer_bytes = 64 << 10; }}) {
    AddNodePod(test::MakePod("default", "web", {"app", "sidecar"}, kNode));
  }
};

TEST_CASE("container logs: options reach the provider, bytes come back") {
  LogEnv env;
  absl::Time now = absl::Now();
  env.provider->AppendLog("default", "web", "app", "old line", "stdout", now - absl::Hours(2));
  env.provider->AppendLog("default", "web", "app", "one", "stdout", now - absl::Minutes(5));
  env.provider->AppendLog("default", "web", "app", "two", "stderr", now - absl::Minutes(4));
  env.provider->AppendLog("default", "web", "app", "three", "stdout", now - absl::Minutes(3));

  auto all = env.Get("/containerLogs/default/web/app", Creds{&env.alice});
  CHECK(all.status == 200);
  CHECK(all.body == "old line\none\ntwo\nthree\n");
  CHECK(absl::StartsWith(all.headers.Get("Content-Type"), "text/plain"));

  auto tail = env.Get("/containerLogs/default/web/app?tailLines=2&sinceSeconds=3600", Creds{&env.alice});
  CHECK(tail.body == "two\nthree\n");
  auto legacy = env.Get("/containerLogs/default/web/app?tail=1", Creds{&env.alice});
  CHECK(legacy.body == "three\n");
  auto tail_all = env.Get("/containerLogs/default/web/app?tailLines=1&tail=all", Creds{&env.alice});
  CHECK(tail_all.body == "old line\none\ntwo\nthree\n");
  auto stderr_only = env.Get("/containerLogs/default/web/app?stream=Stderr", Creds{&env.alice});
  CHECK(stderr_only.body == "two\n");
  auto limited = env.Get("/containerLogs/default/web/app?limitBytes=6", Creds{&env.alice});
  CHECK(limited.body == "old li");
  auto stamped = env.Get("/containerLogs/default/web/app?timestamps=true&tailLines=1", Creds{&env.alice});
  CHECK(absl::EndsWith(stamped.body, "Z three\n"));
  env.Get("/containerLogs/default/web/app?previous=1&follow=false&sinceTime=2024-01-02T03:04:05Z",
          Creds{&env.alice});

  auto reqs = env.provider->requests();
  REQUIRE(reqs.size() == 8);
  CHECK(reqs[0].namespace_ == "default");
  CHECK(reqs[0].pod == "web");
  CHECK(reqs[0].container == "app");
  CHECK(reqs[0].options.stream == "All");
  CHECK_FALSE(reqs[0].options.follow);
  CHECK(*reqs[1].options.tail_lines == 2);
  CHECK(*reqs[1].options.since_seconds == 3600);
  CHECK(*reqs[2].options.tail_lines == 1);
  CHECK_FALSE(reqs[3].options.tail_lines.has_value());
  CHECK(reqs[4].options.stream == "Stderr");
  CHECK(*reqs[5].options.limit_bytes == 6);
  CHECK(reqs[6].options.timestamps);
  CHECK(reqs[7].options.previous);
  CHECK_FALSE(reqs[7].options.follow);
  CHECK(*reqs[7].options.since_time == absl::FromUnixSeconds(1704164645));
}

TEST_CASE("container logs: bad options are rejected like the kubelet does") {
  LogEnv env;
  env.provider->AppendLog("default", "web", "app", "x");
  struct Case {
    const char* query;
    int code;
  };
  for (const Case& c :
       {Case{"tailLines=-1", 422}, Case{"limitBytes=0", 422}, Case{"sinceSeconds=0", 422},
        Case{"sinceSeconds=5&sinceTime=2024-01-02T03:04:05Z", 422}, Case{"stream=Both", 422},
        Case{"stream=Stdout&tailLines=3", 422}, Case{"tailLines=abc", 400}, Case{"limitBytes=", 400},
        Case{"sinceTime=yesterday", 400}, Case{"sinceSeconds=1e3", 400}}) {
    auto resp = env.Get(absl::StrCat("/containerLogs/default/web/app?", c.query), Creds{&env.alice});
    CHECK_MESSAGE(resp.status == c.code, c.query);
    CHECK_MESSAGE(resp.body == (c.code == 422 ? R"({"message": "Invalid request."})"
                                              : R"({"message": "Unable to decode query."})"),
                  c.query);
  }
  CHECK(env.provider->requests().empty());
  // Booleans: anything but "0"/"false" is true; unknown parameters are ignored.
  CHECK(
      env.Get("/containerLogs/default/web/app?follow=False&foo=bar&timestamps=0", Creds{&env.alice}).status ==
      200);
  CHECK_FALSE(env.provider->requests().back().options.follow);
}

TEST_CASE("container logs: unknown pods and containers answer 404; provider errors map through errdefs") {
  LogEnv env;
  auto no_pod = env.Get("/containerLogs/default/nope/app", Creds{&env.alice});
  CHECK(no_pod.status == 404);
  CHECK(no_pod.body == "pod \"nope\" does not exist");
  auto no_container = env.Get("/containerLogs/default/web/nope", Creds{&env.alice});
  CHECK(no_container.status == 404);
  CHECK(no_container.body == "container \"nope\" not found in pod \"web\"");
  CHECK(env.provider->requests().empty());

  // Known to Kubernetes, unknown to the provider: its NotFound.
  auto provider_nf = env.Get("/containerLogs/default/web/sidecar", Creds{&env.alice});
  CHECK(provider_nf.status == 404);
  env.provider->FailLogs(errdefs::InvalidInput("previous terminated container not found"));
  CHECK(env.Get("/containerLogs/default/web/app", Creds{&env.alice}).status == 400);
  env.provider->FailLogs(errdefs::Unavailable("backend busy"));
  auto busy = env.Get("/containerLogs/default/web/app", Creds{&env.alice});
  CHECK(busy.status == 503);
  CHECK(busy.body == "Internal Error: backend busy");
}

// Reads a streamed response on a thread, collecting the body.
class StreamReader {
 public:
  StreamReader(const Env& env, std::string target) : client_(env.Client(Creds{&env.alice})) {
    auto [ctx, cancel] = Context::Background().WithTimeout(absl::Seconds(30)).WithCancel();
    ctx_ = ctx;
    cancel_ = cancel;
    thread_ = std::thread([this, target] {
      absl::Status s = client_->Stream(
          ctx_, Env::Request("GET", target, Creds{}),
          [this](int status, const http::Headers&) {
            absl::MutexLock lock(&mu_);
            status_ = status;
          },
          [this](std::string_view data) {
            absl::MutexLock lock(&mu_);
            body_.append(data);
            return true;
          });
      absl::MutexLock lock(&mu_);
      done_ = true;
      result_ = s;
    });
  }
  ~StreamReader() {
    cancel_();
    thread_.join();
  }
  bool AwaitBody(const std::string& want, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cond = [this, &want]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return body_ == want || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
    return body_ == want;
  }
  bool AwaitDone(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), timeout);
    return done_;
  }
  void Leave() { cancel_(); }
  std::string body() {
    absl::MutexLock lock(&mu_);
    return body_;
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  std::unique_ptr<http::Client> client_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  absl::Mutex mu_;
  std::string body_ ABSL_GUARDED_BY(mu_);
  int status_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

TEST_CASE("container logs -f: lines arrive as the provider writes them; leaving cancels the provider") {
  LogEnv env;
  env.provider->AppendLog("default", "web", "app", "first");
  StreamReader reader(env, "/containerLogs/default/web/app?follow=true");
  CHECK(reader.AwaitBody("first\n"));
  CHECK(reader.status() == 200);
  env.provider->AppendLog("default", "web", "app", "second");
  CHECK(reader.AwaitBody("first\nsecond\n"));
  env.provider->AppendLog("default", "web", "app", "third");
  CHECK(reader.AwaitBody("first\nsecond\nthird\n"));
  CHECK(env.provider->active() == 1);

  reader.Leave();
  CHECK(env.provider->Await([&] { return env.provider->finished() == 1; }));
  CHECK(env.provider->last_ctx_done());
}

TEST_CASE("container logs -f with limitBytes ends the stream and stops the provider") {
  LogEnv env;
  env.provider->AppendLog("default", "web", "app", "0123456789");
  StreamReader reader(env, "/containerLogs/default/web/app?follow=true&limitBytes=15");
  CHECK(reader.AwaitBody("0123456789\n"));
  env.provider->AppendLog("default", "web", "app", "abcdefghij");
  CHECK(reader.AwaitDone());
  CHECK(reader.body() == "0123456789\nabcd");
  CHECK(env.provider->Await([&] { return env.provider->finished() == 1; }));
}

TEST_CASE("container logs: a slow client makes the provider's Write block (backpressure)") {
  LogEnv env;
  env.provider->AppendLog("default", "web", "app", "x");
  env.provider->FloodLogs(std::string(16 << 10, 'x'));
  // A raw TLS connection that sends the request and then reads nothing.
  auto client = env.Client(Creds{&env.alice});
  auto conn = client->DialRaw(TestCtx());
  VK_REQUIRE_OK(conn.status());
  (*conn)->Start([](std::string_view) {}, [](const absl::Status&) {});
  (*conn)->PauseReading();
  (*conn)->Write("GET /containerLogs/default/web/app HTTP/1.1\r\nHost: x\r\n\r\n");
  // The provider gets blocked in Write with a bounded amount accepted.
  CHECK(env.provider->Await([&] { return env.provider->flooded_bytes() > 0 && env.provider->in_write(); }));
  int64_t before = env.provider->flooded_bytes();
  // Give it time to (wrongly) keep going; it must stay parked.
  CHECK_FALSE(env.provider->Await([&] { return env.provider->flooded_bytes() > before + (32 << 20); },
                                  absl::Milliseconds(300)));
  CHECK(env.provider->in_write());
  CHECK(env.provider->flooded_bytes() < (32 << 20));
  // The client leaving releases it.
  (*conn)->Abort();
  CHECK(env.provider->Await([&] { return env.provider->finished() == 1; }));
}

TEST_CASE("stopping the server ends open log streams promptly") {
  auto env = std::make_unique<LogEnv>();
  env->provider->AppendLog("default", "web", "app", "hello");
  auto reader = std::make_unique<StreamReader>(*env, "/containerLogs/default/web/app?follow=1");
  CHECK(reader->AwaitBody("hello\n"));
  absl::Time start = absl::Now();
  env->server->Stop(absl::Seconds(10));
  CHECK(absl::Now() - start < absl::Seconds(5));
  CHECK(reader->AwaitDone());
  CHECK(env->provider->finished() == 1);
}

TEST_CASE("log streams beyond max_log_streams answer 503") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.max_log_streams = 1; }});
  env.AddNodePod(test::MakePod("default", "web", {"app"}, kNode));
  env.provider->AppendLog("default", "web", "app", "a");
  StreamReader first(env, "/containerLogs/default/web/app?follow=true");
  CHECK(first.AwaitBody("a\n"));
  auto second = env.Get("/containerLogs/default/web/app", Creds{&env.alice});
  CHECK(second.status == 503);
  CHECK(second.headers.Get("Retry-After") == "1");
}

// --- hostile clients --------------------------------------------------------------------------------

TEST_CASE("garbage, huge headers and idle connections do not disturb other clients") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) {
    o.header_read_timeout = absl::Milliseconds(500);
    o.max_header_bytes = 16 << 10;
  }});
  auto client = env.Client(Creds{&env.alice});
  auto raw = [&](std::string bytes) {
    auto conn = client->DialRaw(TestCtx());
    REQUIRE(conn.ok());
    auto got = std::make_shared<std::string>();
    auto closed = std::make_shared<std::atomic<bool>>(false);
    auto mu = std::make_shared<absl::Mutex>();
    (*conn)->Start(
        [got, mu](std::string_view d) {
          absl::MutexLock lock(mu.get());
          got->append(d);
        },
        [closed](const absl::Status&) { closed->store(true); });
    if (!bytes.empty()) (*conn)->Write(std::move(bytes));
    return std::make_tuple(*conn, got, closed, mu);
  };

  // Idle (slowloris) connections: opened, never finishing their headers.
  auto idle1 = raw("");
  auto idle2 = raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  auto garbage = raw("\x16\x03\x01 this is not HTTP at all\r\n\r\n");
  auto garbage_path = raw("GET /%zz/../\x01 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto huge = raw(
      absl::StrCat("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(64 << 10, 'a'), "\r\n\r\n"));

  // A TCP connection that never even starts the TLS handshake.
  http::testutil::RawSocket tcp(env.server->port());
  REQUIRE(tcp.connected());

  // A well-behaved client is served meanwhile.
  for (int i = 0; i < 5; ++i) CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);

  auto await_closed = [](auto& t) {
    auto& closed = std::get<2>(t);
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!closed->load() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    return closed->load();
  };
  auto text = [](auto& t) {
    absl::MutexLock lock(std::get<3>(t).get());
    return *std::get<1>(t);
  };
  CHECK(await_closed(garbage));
  CHECK(absl::StartsWith(text(garbage), "HTTP/1.1 400"));
  CHECK(await_closed(garbage_path));
  CHECK(absl::StartsWith(text(garbage_path), "HTTP/1.1 400"));
  CHECK(await_closed(huge));
  CHECK(absl::StartsWith(text(huge), "HTTP/1.1 431"));
  CHECK(await_closed(idle1));
  CHECK(await_closed(idle2));
  CHECK(text(idle1).empty());
  CHECK(tcp.WaitClosed(absl::Seconds(10)));
  CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);
}

TEST_CASE("a plain-text client on the TLS port is dropped") {
  Env env;
  http::ClientOptions o;
  o.port = env.server->port();
  auto plain = http::Client::Create(o);
  REQUIRE(plain.ok());
  auto r = (*plain)->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  CHECK((!r.ok() || r->status == 400));
  CHECK(env.Get("/healthz", Creds{&env.alice}).status == 200);
}

// --- options ---------------------------------------------------------------------------------------

TEST_CASE("Create validates its options") {
  KubeletServerHandlers h;
  KubeletServerOptions o;
  o.self_signed = true;
  o.no_auth = true;
  CHECK(KubeletServer::Create(o, h).status().code() == absl::StatusCode::kInvalidArgument);  // no node name
  o.node_name = "n";
  o.no_auth = false;
  auto no_auth = KubeletServer::Create(o, h);
  CHECK(no_auth.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(no_auth.status().message(), "authenticator"));
  o.no_auth = true;
  o.self_signed = false;
  CHECK(KubeletServer::Create(o, h).status().code() == absl::StatusCode::kInvalidArgument);  // no certificate
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  auto missing = KubeletServer::Create(o, h);
  CHECK(missing.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(missing.status().message(), "/nonexistent/cert.pem"));
  o.tls_cert_file.clear();
  o.tls_key_file.clear();
  o.self_signed = true;
  o.client_ca_pem = "not a certificate";
  CHECK(KubeletServer::Create(o, h).status().code() == absl::StatusCode::kInvalidArgument);
  o.client_ca_pem.clear();
  o.require_client_certificate = true;
  CHECK(KubeletServer::Create(o, h).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("serving certificate from files, and no_auth for development") {
  tls::CertKeyPem ca = MakeCa("serving-ca");
  tls::LeafOptions leaf;
  leaf.common_name = "vk";
  leaf.ip_addresses = {"127.0.0.1"};
  auto serving = tls::IssueCertificate(ca, leaf);
  REQUIRE(serving.ok());
  std::string dir = std::string(VKUBELET_BUILD_ROOT) + "/kubelet_server_test_certs";
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/tls.crt") << serving->cert_pem;
    std::ofstream(dir + "/tls.key") << serving->key_pem;
  }
  KubeletServerOptions o;
  o.node_name = "vk";
  o.address = "127.0.0.1";
  o.port = 0;
  o.tls_cert_file = dir + "/tls.crt";
  o.tls_key_file = dir + "/tls.key";
  o.no_auth = true;
  auto server = KubeletServer::Create(o, KubeletServerHandlers{});
  REQUIRE(server.ok());
  VK_REQUIRE_OK((*server)->Start());
  http::ClientOptions co;
  co.port = (*server)->port();
  co.tls = http::ClientTlsOptions{ca.cert_pem, "", "", "", false};
  auto client = http::Client::Create(co);
  REQUIRE(client.ok());
  auto resp = (*client)->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  VK_REQUIRE_OK(resp.status());
  CHECK(resp->status == 200);
  CHECK((*server)->serving_certificate_pem() == serving->cert_pem);

  // Rotation: new files are picked up for new connections without a restart.
  tls::CertKeyPem ca2 = MakeCa("rotated-ca");
  auto rotated = tls::IssueCertificate(ca2, leaf);
  REQUIRE(rotated.ok());
  {
    std::ofstream(dir + "/tls.key.new") << rotated->key_pem;
    std::ofstream(dir + "/tls.crt.new") << rotated->cert_pem;
  }
  std::filesystem::rename(dir + "/tls.key.new", dir + "/tls.key");
  std::filesystem::rename(dir + "/tls.crt.new", dir + "/tls.crt");
  co.tls = http::ClientTlsOptions{ca2.cert_pem, "", "", "", false};
  auto client2 = http::Client::Create(co);
  REQUIRE(client2.ok());
  auto after = (*client2)->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  VK_REQUIRE_OK(after.status());
  CHECK(after->status == 200);
  // The old CA no longer verifies the server.
  co.tls = http::ClientTlsOptions{ca.cert_pem, "", "", "", false};
  auto client3 = http::Client::Create(co);
  REQUIRE(client3.ok());
  CHECK_FALSE((*client3)->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{})).ok());
  (*server)->Stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("request bodies are bounded") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.max_body_bytes = 1024; }});
  env.provider->SetSummary(stats::Summary{});
  auto big = env.Do("POST", "/stats/summary", Creds{&env.alice}, std::string(4096, 'x'));
  CHECK(big.status == 413);
  CHECK(env.Do("POST", "/stats/summary", Creds{&env.alice}, std::string(100, 'x')).status == 200);
}

TEST_CASE("connections are bounded") {
  Env env(EnvConfig{.tweak = [](KubeletServerOptions& o) { o.max_connections = 2; }});
  // Two connections held open; a third is turned away, the first two still work.
  auto c1 = env.Client(Creds{&env.alice});
  auto c2 = env.Client(Creds{&env.alice});
  auto r1 = c1->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  auto r2 = c2->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  VK_REQUIRE_OK(r1.status());
  VK_REQUIRE_OK(r2.status());
  auto c3 = env.Client(Creds{&env.alice});
  auto r3 = c3->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}));
  CHECK((!r3.ok() || r3->status == 503));
  CHECK(c1->Do(TestCtx(), Env::Request("GET", "/healthz", Creds{}))->status == 200);
  CHECK(c1->connections_opened() == 1);
}

}  // namespace
}  // namespace vkubelet::api

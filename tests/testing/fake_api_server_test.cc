// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeApiServer through plain HTTP (lib/internal/http's client, not the SDK's
// RestClient, so the two do not share bugs): discovery, negotiation, CRUD,
// status subresource, patches, deletion, paging, selectors, watches, faults,
// authentication/authorization, reviews, request counters, kubelet proxy.

#include "vkubelet/testing/fake_api_server.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/http/client.h"
#include "internal/http/server.h"
#include "nlohmann/json.hpp"
#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::testing {
namespace {

namespace http = ::vkubelet::internal::http;
using nlohmann::json;

constexpr char kJson[] = "application/json";
constexpr char kPb[] = "application/vnd.kubernetes.protobuf";

struct Harness {
  std::unique_ptr<FakeApiServer> server;
  std::unique_ptr<http::Client> client;

  explicit Harness(FakeApiServerOptions options = {}) {
    auto s = FakeApiServer::Start(std::move(options));
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    server = std::move(*s);
    client = MakeClient();
  }

  std::unique_ptr<http::Client> MakeClient(const std::optional<PemCertificate>& cert = std::nullopt) {
    http::ClientOptions o;
    o.port = server->port();
    if (absl::StartsWith(server->url(), "https://")) {
      http::ClientTlsOptions t;
      t.ca_pem = server->ca_pem();
      if (cert) {
        t.cert_pem = cert->cert_pem;
        t.key_pem = cert->key_pem;
      }
      o.tls = t;
    }
    auto c = http::Client::Create(o);
    REQUIRE(c.ok());
    return std::move(*c);
  }

  http::ClientResponse Do(const std::string& method, const std::string& target, const std::string& body = "",
                          const std::string& content_type = kJson, const std::string& accept = kJson,
                          const std::string& token = "") {
    http::ClientRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    if (!body.empty()) r.headers.Add("Content-Type", content_type);
    if (!accept.empty()) r.headers.Add("Accept", accept);
    if (!token.empty()) r.headers.Add("Authorization", "Bearer " + token);
    auto resp = client->Do(Context::Background().WithTimeout(absl::Seconds(20)), r);
    REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
    return *resp;
  }

  json DoJson(const std::string& method, const std::string& target, const json& body = nullptr, int expect = 0) {
    auto r = Do(method, target, body.is_null() ? "" : body.dump());
    if (expect != 0) CHECK_MESSAGE(r.status == expect, method << " " << target << ": " << r.status << " " << r.body);
    return json::parse(r.body);
  }
};

json PodJson(const std::string& name, const std::string& node = "") {
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
              {"spec", {{"containers", json::array({{{"name", "app"}, {"image", "nginx:1.25"}}})}}}};
  if (!node.empty()) pod["spec"]["nodeName"] = node;
  return pod;
}

// Reads a streamed response on its own thread; splits JSON watch events.
class JsonWatch {
 public:
  JsonWatch(Harness& h, const std::string& target, const std::string& token = "") {
    thread_ = std::thread([this, &h, target, token] {
      http::ClientRequest r;
      r.target = target;
      r.headers.Add("Accept", kJson);
      if (!token.empty()) r.headers.Add("Authorization", "Bearer " + token);
      auto [ctx, cancel] = Context::Background().WithCancel();
      {
        absl::MutexLock lock(&mu_);
        cancel_ = cancel;
      }
      absl::Status s = h.client->Stream(
          ctx, r,
          [this](int status, const http::Headers& headers) {
            absl::MutexLock lock(&mu_);
            status_ = status;
            content_type_ = headers.Get("Content-Type");
          },
          [this](std::string_view data) {
            absl::MutexLock lock(&mu_);
            splitter_.Feed(data);
            while (true) {
              auto next = splitter_.Next();
              if (!next.ok() || !next->has_value()) break;
              events_.push_back(json::parse(**next));
            }
            return true;
          });
      absl::MutexLock lock(&mu_);
      ended_ = true;
    });
  }
  ~JsonWatch() {
    {
      absl::MutexLock lock(&mu_);
      if (cancel_) cancel_();
    }
    thread_.join();
  }
  // Waits for at least n events (or the end of the stream).
  std::vector<json> WaitEvents(size_t n, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&] { return events_.size() >= n || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
    return events_;
  }
  bool WaitEnded(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&] { return ended_; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  int status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  std::string content_type() {
    absl::MutexLock lock(&mu_);
    return content_type_;
  }

 private:
  absl::Mutex mu_;
  std::vector<json> events_;
  kube::JsonStreamSplitter splitter_;
  bool ended_ = false;
  int status_ = 0;
  std::string content_type_;
  CancelFn cancel_;
  std::thread thread_;
};

TEST_CASE("discovery and version") {
  FakeApiServerOptions o;
  o.version = "v1.28.7";
  Harness h(o);
  json v = h.DoJson("GET", "/version", nullptr, 200);
  CHECK(v["gitVersion"] == "v1.28.7");
  CHECK(v["major"] == "1");
  CHECK(v["minor"] == "28");
  json api = h.DoJson("GET", "/api", nullptr, 200);
  CHECK(api["versions"] == json::array({"v1"}));
  json core = h.DoJson("GET", "/api/v1", nullptr, 200);
  bool pods = false, pod_status = false, pod_exec = false;
  for (const auto& r : core["resources"]) {
    if (r["name"] == "pods") pods = r["namespaced"] == true && r["kind"] == "Pod";
    if (r["name"] == "pods/status") pod_status = true;
    if (r["name"] == "pods/exec") pod_exec = true;
  }
  CHECK(pods);
  CHECK(pod_status);
  CHECK(pod_exec);
  json apis = h.DoJson("GET", "/apis", nullptr, 200);
  std::vector<std::string> groups;
  for (const auto& g : apis["groups"]) groups.push_back(g["name"]);
  CHECK(std::find(groups.begin(), groups.end(), "coordination.k8s.io") != groups.end());
  CHECK(std::find(groups.begin(), groups.end(), "events.k8s.io") != groups.end());
  json leases = h.DoJson("GET", "/apis/coordination.k8s.io/v1", nullptr, 200);
  CHECK(leases["resources"][0]["name"] == "leases");
  CHECK(h.Do("GET", "/openapi/v2").status == 404);
  CHECK(h.Do("GET", "/apis/nosuch.io/v1/things").status == 404);
}

TEST_CASE("create, get and content negotiation") {
  Harness h;
  json created = h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("web"), 201);
  CHECK(created["kind"] == "Pod");
  CHECK(created["apiVersion"] == "v1");
  CHECK(created["status"]["phase"] == "Pending");
  CHECK(created["status"]["qosClass"] == "BestEffort");
  CHECK(created["spec"]["terminationGracePeriodSeconds"] == 30);
  CHECK(created["spec"]["restartPolicy"] == "Always");
  CHECK(created["metadata"]["uid"].get<std::string>().size() == 36);

  // Protobuf when asked (also as the first of several), with the envelope.
  for (const char* accept : {kPb, "application/vnd.kubernetes.protobuf,application/json"}) {
    auto r = h.Do("GET", "/api/v1/namespaces/default/pods/web", "", kJson, accept);
    CHECK(r.status == 200);
    CHECK(r.headers.Get("Content-Type") == kPb);
    corev1::Pod pod;
    kube::TypeMeta tm;
    VK_REQUIRE_OK(kube::DecodeProtobuf(r.body, &pod, "Pod", &tm));
    CHECK(tm.api_version == "v1");
    CHECK(pod.metadata().name() == "web");
    CHECK(pod.metadata().uid() == created["metadata"]["uid"]);
  }
  // Fallbacks: */* and Table requests get JSON.
  for (const char* accept : {"*/*", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", ""}) {
    auto r = h.Do("GET", "/api/v1/namespaces/default/pods/web", "", kJson, accept);
    CHECK(r.status == 200);
    CHECK(r.headers.Get("Content-Type") == kJson);
    CHECK(r.headers.Has("Audit-Id"));
    CHECK(r.headers.Get("Cache-Control") == "no-cache, private");
  }
  // Nothing acceptable: 406; unknown body type: 415.
  CHECK(h.Do("GET", "/api/v1/namespaces/default/pods/web", "", kJson, "text/html").status == 406);
  CHECK(h.Do("POST", "/api/v1/namespaces/default/pods", "x", "text/plain").status == 415);

  // Create from a protobuf body.
  corev1::Pod pb;
  pb.mutable_metadata()->set_name("from-pb");
  auto* c = pb.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("busybox");
  auto body = kube::EncodeProtobuf(pb, "v1", "Pod");
  VK_REQUIRE_OK(body);
  auto r = h.Do("POST", "/api/v1/namespaces/default/pods", *body, kPb, kPb);
  CHECK(r.status == 201);
  corev1::Pod back;
  VK_REQUIRE_OK(kube::DecodeProtobuf(r.body, &back, "Pod"));
  CHECK(back.spec().containers(0).imagepullpolicy() == "Always");  // no tag

  // generateName.
  json gen = PodJson("");
  gen["metadata"].erase("name");
  gen["metadata"]["generateName"] = "gen-";
  json g = h.DoJson("POST", "/api/v1/namespaces/default/pods", gen, 201);
  CHECK(absl::StartsWith(g["metadata"]["name"].get<std::string>(), "gen-"));
}

TEST_CASE("errors are meta/v1 Status in the negotiated encoding, shaped like the real server's") {
  Harness h;
  h.DoJson("POST", "/api/v1/namespaces", {{"metadata", {{"name", "vectors"}}}}, 201);
  // 404, compared with the recorded response.
  json notfound = h.DoJson("GET", "/api/v1/namespaces/vectors/pods/nosuch", nullptr, 404);
  CHECK(notfound == json::parse(test::ReadTestdata("kube-apiserver-1.28.7/status-notfound.json")));
  auto pb = h.Do("GET", "/api/v1/namespaces/vectors/pods/nosuch", "", kJson, kPb);
  CHECK(pb.status == 404);
  metav1::Status st;
  VK_REQUIRE_OK(kube::DecodeProtobuf(pb.body, &st, "Status"));
  CHECK(st.reason() == "NotFound");
  CHECK(st.code() == 404);

  // 409 on a stale resourceVersion, compared with the recorded response.
  json cm = {{"metadata", {{"name", "cfg"}}}, {"data", {{"k", "v"}}}};
  h.DoJson("POST", "/api/v1/namespaces/vectors/configmaps", cm, 201);
  cm["metadata"]["resourceVersion"] = "1";
  json conflict = h.DoJson("PUT", "/api/v1/namespaces/vectors/configmaps/cfg", cm, 409);
  CHECK(conflict == json::parse(test::ReadTestdata("kube-apiserver-1.28.7/status-conflict.json")));

  // 422 with causes, compared with the recorded response.
  json bad = {{"metadata", {{"name", "Bad_Name"}}}, {"spec", json::object()}};
  json invalid = h.DoJson("POST", "/api/v1/namespaces/vectors/pods", bad, 422);
  CHECK(invalid == json::parse(test::ReadTestdata("kube-apiserver-1.28.7/status-invalid.json")));

  // AlreadyExists, unknown namespace, name mismatch.
  h.DoJson("POST", "/api/v1/namespaces/vectors/pods", PodJson("a"), 201);
  json exists = h.DoJson("POST", "/api/v1/namespaces/vectors/pods", PodJson("a"), 409);
  CHECK(exists["reason"] == "AlreadyExists");
  json nons = h.DoJson("POST", "/api/v1/namespaces/nosuch/pods", PodJson("a"), 404);
  CHECK(nons["message"] == "namespaces \"nosuch\" not found");
  json mismatch = h.DoJson("PUT", "/api/v1/namespaces/vectors/pods/other", PodJson("a"), 400);
  CHECK(mismatch["reason"] == "BadRequest");
  // Strict field validation rejects unknown fields; the default warns.
  json unknown = PodJson("u");
  unknown["spec"]["bogusField"] = 1;
  auto warn = h.Do("POST", "/api/v1/namespaces/vectors/pods", unknown.dump());
  CHECK(warn.status == 201);
  CHECK(absl::StrContains(warn.headers.Get("Warning"), "unknown field"));
  unknown["metadata"]["name"] = "u2";
  CHECK(h.Do("POST", "/api/v1/namespaces/vectors/pods?fieldValidation=Strict", unknown.dump()).status == 400);
}

TEST_CASE("status subresource and the three patch types") {
  Harness h;
  json pod = h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("p", "n1"), 201);
  const std::string uid = pod["metadata"]["uid"];
  const std::string base = "/api/v1/namespaces/default/pods/p";

  // PUT on the main resource ignores status.
  pod["status"]["phase"] = "Running";
  pod["metadata"]["labels"]["x"] = "1";
  json put = h.DoJson("PUT", base, pod, 200);
  CHECK(put["status"]["phase"] == "Pending");
  CHECK(put["metadata"]["labels"]["x"] == "1");

  // PUT on status ignores spec.
  put["status"]["phase"] = "Running";
  put["spec"]["activeDeadlineSeconds"] = 5;
  json st = h.DoJson("PUT", base + "/status", put, 200);
  CHECK(st["status"]["phase"] == "Running");
  CHECK_FALSE(st["spec"].contains("activeDeadlineSeconds"));

  // Strategic merge patch of status merges conditions by type (§9).
  auto smp = [&](const json& body) {
    return h.Do("PATCH", base + "/status", body.dump(), "application/strategic-merge-patch+json");
  };
  CHECK(smp({{"metadata", {{"uid", uid}}},
             {"status", {{"conditions", json::array({{{"type", "example.com/Foreign"}, {"status", "True"}}})}}}})
            .status == 200);
  auto r = smp({{"metadata", {{"uid", uid}}},
                {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}});
  REQUIRE(r.status == 200);
  json patched = json::parse(r.body);
  CHECK(patched["status"]["conditions"].size() == 2);
  // A wrong uid: 422 like the real server.
  auto wrong = smp({{"metadata", {{"uid", "00000000-0000-0000-0000-000000000000"}}}, {"status", {{"phase", "Failed"}}}});
  CHECK(wrong.status == 422);
  CHECK(json::parse(wrong.body)["reason"] == "Invalid");

  // Merge patch and JSON patch on the main resource.
  auto mp = h.Do("PATCH", base, R"({"metadata":{"labels":{"m":"1","x":null}}})", "application/merge-patch+json");
  REQUIRE(mp.status == 200);
  json mpj = json::parse(mp.body);
  CHECK(mpj["metadata"]["labels"]["m"] == "1");
  CHECK_FALSE(mpj["metadata"]["labels"].contains("x"));
  auto jp = h.Do("PATCH", base, R"([{"op":"add","path":"/metadata/labels/j","value":"2"}])",
                 "application/json-patch+json");
  REQUIRE(jp.status == 200);
  CHECK(json::parse(jp.body)["metadata"]["labels"]["j"] == "2");
  auto failed_test = h.Do("PATCH", base, R"([{"op":"test","path":"/metadata/name","value":"other"}])",
                          "application/json-patch+json");
  CHECK(failed_test.status == 422);
  // A patch carrying a stale resourceVersion conflicts.
  auto stale = h.Do("PATCH", base, R"({"metadata":{"resourceVersion":"1","labels":{"z":"1"}}})",
                    "application/merge-patch+json");
  CHECK(stale.status == 409);
  // Server-side apply is not supported.
  CHECK(h.Do("PATCH", base + "?fieldManager=t", "{}", "application/apply-patch+yaml").status == 415);
  CHECK(h.Do("PATCH", "/api/v1/namespaces/default/pods/nosuch", "{}", "application/merge-patch+json").status == 404);
}

TEST_CASE("delete: graceful, preconditions, immediate") {
  Harness h;
  json pod = h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("g", "n1"), 201);
  json del = h.DoJson("DELETE", "/api/v1/namespaces/default/pods/g", nullptr, 200);
  CHECK(del["metadata"].contains("deletionTimestamp"));
  CHECK(del["metadata"]["deletionGracePeriodSeconds"] == 30);
  json pre = {{"kind", "DeleteOptions"},
              {"apiVersion", "v1"},
              {"gracePeriodSeconds", 0},
              {"preconditions", {{"uid", "wrong"}}}};
  json conflict = h.DoJson("DELETE", "/api/v1/namespaces/default/pods/g", pre, 409);
  CHECK(absl::StrContains(conflict["message"].get<std::string>(), "Precondition failed"));
  pre["preconditions"]["uid"] = pod["metadata"]["uid"];
  h.DoJson("DELETE", "/api/v1/namespaces/default/pods/g", pre, 200);
  h.DoJson("GET", "/api/v1/namespaces/default/pods/g", nullptr, 404);

  h.DoJson("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "c"}}}}, 201);
  json st = h.DoJson("DELETE", "/api/v1/namespaces/default/configmaps/c", nullptr, 200);
  CHECK(st["kind"] == "Status");
  CHECK(st["status"] == "Success");
  CHECK(st["details"]["kind"] == "configmaps");

  h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("unbound"), 201);
  h.DoJson("DELETE", "/api/v1/namespaces/default/pods/unbound?gracePeriodSeconds=30", nullptr, 200);
  h.DoJson("GET", "/api/v1/namespaces/default/pods/unbound", nullptr, 404);
}

TEST_CASE("list: paging, remainingItemCount, selectors") {
  Harness h;
  for (int i = 0; i < 7; ++i) {
    json p = PodJson("p" + std::to_string(i), i < 2 ? "n1" : "n2");
    p["metadata"]["labels"]["i"] = std::to_string(i);
    h.DoJson("POST", "/api/v1/namespaces/default/pods", p, 201);
  }
  json page = h.DoJson("GET", "/api/v1/namespaces/default/pods?limit=3", nullptr, 200);
  CHECK(page["kind"] == "PodList");
  CHECK(page["items"].size() == 3);
  CHECK(page["metadata"]["remainingItemCount"] == 4);
  CHECK_FALSE(page["items"][0].contains("kind"));  // items carry no kind, like the real server
  std::string cont = page["metadata"]["continue"];
  json page2 = h.DoJson("GET", "/api/v1/namespaces/default/pods?limit=3&continue=" + http::PercentEncode(cont),
                        nullptr, 200);
  CHECK(page2["items"].size() == 3);
  CHECK(page2["items"][0]["metadata"]["name"] == "p3");
  json node = h.DoJson("GET", "/api/v1/pods?fieldSelector=" + http::PercentEncode("spec.nodeName=n1"), nullptr, 200);
  CHECK(node["items"].size() == 2);
  json label = h.DoJson("GET", "/api/v1/pods?labelSelector=" + http::PercentEncode("i in (1,5),app=web"), nullptr, 200);
  CHECK(label["items"].size() == 2);
  json bad = h.DoJson("GET", "/api/v1/pods?fieldSelector=spec.bogus%3Dx", nullptr, 400);
  CHECK(bad["message"] == "field label not supported: spec.bogus");
  CHECK(h.Do("GET", "/api/v1/pods?labelSelector=" + http::PercentEncode("a in (")).status == 400);

  // Protobuf list.
  auto pb = h.Do("GET", "/api/v1/pods?limit=2", "", kJson, kPb);
  corev1::PodList list;
  VK_REQUIRE_OK(kube::DecodeProtobuf(pb.body, &list, "PodList"));
  CHECK(list.items_size() == 2);
  CHECK(list.metadata().remainingitemcount() == 5);
  CHECK_FALSE(list.metadata().continue_().empty());

  // Events: involvedObject field selectors (kubectl describe).
  json ev = {{"metadata", {{"name", "e1"}}},
             {"involvedObject", {{"kind", "Pod"}, {"name", "p1"}, {"namespace", "default"}}},
             {"reason", "Started"},
             {"message", "hello"}};
  h.DoJson("POST", "/api/v1/namespaces/default/events", ev, 201);
  json evs = h.DoJson("GET",
                      "/api/v1/namespaces/default/events?fieldSelector=" +
                          http::PercentEncode("involvedObject.name=p1,involvedObject.kind=Pod"),
                      nullptr, 200);
  CHECK(evs["items"].size() == 1);
  // The same storage through events.k8s.io/v1.
  json v1 = h.DoJson("GET", "/apis/events.k8s.io/v1/namespaces/default/events/e1", nullptr, 200);
  CHECK(v1["apiVersion"] == "events.k8s.io/v1");
  CHECK(v1["note"] == "hello");
  CHECK(v1["regarding"]["name"] == "p1");
}

TEST_CASE("watch: JSON and protobuf streams, bookmarks, timeout, 410 Expired, drops") {
  Harness h;
  json a = h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("a", "n1"), 201);
  const std::string rv = a["metadata"]["resourceVersion"];

  JsonWatch w(h, "/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=" + rv);
  JsonWatch node(h, "/api/v1/pods?watch=1&fieldSelector=" + http::PercentEncode("spec.nodeName=n2"));
  h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("b", "n2"), 201);
  h.Do("PATCH", "/api/v1/namespaces/default/pods/b/status", R"({"status":{"phase":"Running"}})",
       "application/strategic-merge-patch+json");
  h.DoJson("DELETE", "/api/v1/namespaces/default/pods/b?gracePeriodSeconds=0", nullptr, 200);
  auto events = w.WaitEvents(3);
  REQUIRE(events.size() >= 3);
  CHECK(w.status() == 200);
  CHECK(w.content_type() == kJson);
  CHECK(events[0]["type"] == "ADDED");
  CHECK(events[0]["object"]["kind"] == "Pod");
  CHECK(events[1]["type"] == "MODIFIED");
  CHECK(events[1]["object"]["status"]["phase"] == "Running");
  CHECK(events[2]["type"] == "DELETED");
  auto node_events = node.WaitEvents(3);
  REQUIRE(node_events.size() >= 3);
  CHECK(node_events[0]["object"]["metadata"]["name"] == "b");

  h.server->SendBookmarks();
  events = w.WaitEvents(4);
  REQUIRE(events.size() >= 4);
  CHECK(events[3]["type"] == "BOOKMARK");
  CHECK(events[3]["object"]["metadata"]["resourceVersion"] == std::to_string(h.server->ResourceVersion()));

  // Protobuf watch with a timeout: frames decode, then the stream ends.
  http::ClientRequest req;
  req.target = "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1&resourceVersion=" + rv;
  req.headers.Add("Accept", kPb);
  std::string content_type;
  auto decoder = kube::WatchDecoder::Create(kube::ContentType::kProtobuf, &corev1::Pod::default_instance());
  VK_REQUIRE_OK(h.client->Stream(
      Context::Background().WithTimeout(absl::Seconds(10)), req,
      [&](int status, const http::Headers& hd) {
        CHECK(status == 200);
        content_type = hd.Get("Content-Type");
      },
      [&](std::string_view d) {
        decoder->Feed(d);
        return true;
      }));
  CHECK(content_type == "application/vnd.kubernetes.protobuf;stream=watch");
  std::vector<std::string> types;
  while (true) {
    auto ev = decoder->Next();
    VK_REQUIRE_OK(ev);
    if (!ev->has_value()) break;
    types.push_back((*ev)->type);
  }
  CHECK(types == std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"});

  // A watch from before a compaction: 200 with one ERROR 410 Expired.
  h.server->CompactHistory();
  JsonWatch old(h, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + rv);
  auto err = old.WaitEvents(1);
  REQUIRE(err.size() == 1);
  CHECK(old.status() == 200);
  CHECK(err[0]["type"] == "ERROR");
  CHECK(err[0]["object"]["code"] == 410);
  CHECK(err[0]["object"]["reason"] == "Expired");
  CHECK(old.WaitEnded());

  // Dropping watches ends open streams.
  CHECK(h.server->OpenWatches() >= 2);
  h.server->DropWatches();
  CHECK(w.WaitEnded());
  CHECK(node.WaitEnded());
}

TEST_CASE("fault injection, delay, restart on the same port") {
  Harness h;
  Fault f;
  f.verb = "get";
  f.resource = "namespaces";
  f.count = 2;
  f.code = 429;
  f.retry_after = absl::Seconds(3);
  h.server->InjectFault(f);
  auto r1 = h.Do("GET", "/api/v1/namespaces/default");
  CHECK(r1.status == 429);
  CHECK(r1.headers.Get("Retry-After") == "3");
  CHECK(json::parse(r1.body)["reason"] == "TooManyRequests");
  CHECK(h.Do("GET", "/api/v1/namespaces/default").status == 429);
  CHECK(h.Do("GET", "/api/v1/namespaces/default").status == 200);
  f.count = 1;
  f.code = 500;
  f.verb = "create";
  f.resource = "pods";
  h.server->InjectFault(f);
  CHECK(h.Do("POST", "/api/v1/namespaces/default/pods", PodJson("x").dump()).status == 500);
  CHECK(h.Do("POST", "/api/v1/namespaces/default/pods", PodJson("x").dump()).status == 201);

  h.server->SetResponseDelay(absl::Milliseconds(200));
  absl::Time start = absl::Now();
  h.Do("GET", "/api/v1/namespaces/default/pods/x");
  CHECK(absl::Now() - start >= absl::Milliseconds(200));
  h.server->SetResponseDelay(absl::ZeroDuration());

  int port = h.server->port();
  int64_t rv = h.server->ResourceVersion();
  VK_REQUIRE_OK(h.server->Restart());
  CHECK(h.server->port() == port);
  CHECK(h.server->ResourceVersion() == rv);
  auto c = h.MakeClient();
  http::ClientRequest r;
  r.target = "/api/v1/namespaces/default/pods/x";
  auto got = c->Do(Context::Background().WithTimeout(absl::Seconds(10)), r);
  VK_REQUIRE_OK(got);
  CHECK(got->status == 200);
}

TEST_CASE("request counters per verb and resource") {
  Harness h;
  h.server->ResetRequests();
  h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("c"), 201);
  h.Do("GET", "/api/v1/namespaces/default/pods/c");
  h.Do("GET", "/api/v1/namespaces/default/pods/c");
  h.Do("PATCH", "/api/v1/namespaces/default/pods/c/status", R"({"status":{"phase":"Running"}})",
       "application/merge-patch+json");
  h.Do("GET", "/api/v1/pods");
  CHECK(h.server->RequestCount("create", "pods") == 1);
  CHECK(h.server->RequestCount("get", "pods") == 2);
  CHECK(h.server->RequestCount("patch", "pods", "status") == 1);
  CHECK(h.server->RequestCount("patch", "pods") == 0);
  CHECK(h.server->RequestCount("list", "pods") == 1);
  CHECK(h.server->RequestCount("*", "pods", "*") == 5);
  auto log = h.server->Requests();
  REQUIRE(log.size() == 5);
  CHECK(log[0].code == 201);
  CHECK(log[0].user == "system:admin");
}

TEST_CASE("TLS, bearer tokens, client certificates and the node authorizer") {
  FakeApiServerOptions o;
  o.tls = true;
  o.require_authentication = true;
  o.node_authorizer = true;
  o.tokens["admin-token"] = {"admin", {"system:masters"}, ""};
  o.tokens["node-token"] = {"system:node:vk1", {"system:nodes"}, ""};
  Harness h(o);
  CHECK(absl::StartsWith(h.server->url(), "https://127.0.0.1:"));
  CHECK(h.Do("GET", "/api/v1/namespaces").status == 401);
  CHECK(h.Do("GET", "/api/v1/namespaces", "", kJson, kJson, "wrong").status == 401);
  CHECK(h.Do("GET", "/api/v1/namespaces", "", kJson, kJson, "admin-token").status == 200);

  // Client certificate: CN is the user, O the groups.
  auto cert = h.server->IssueClientCertificate({"system:node:vk1", {"system:nodes"}, ""});
  VK_REQUIRE_OK(cert);
  auto cc = h.MakeClient(*cert);
  http::ClientRequest r;
  r.target = "/api/v1/pods";
  auto by_cert = cc->Do(Context::Background().WithTimeout(absl::Seconds(10)), r);
  VK_REQUIRE_OK(by_cert);
  CHECK(by_cert->status == 200);

  auto admin = [&](const std::string& m, const std::string& t, const json& b) {
    return h.Do(m, t, b.dump(), kJson, kJson, "admin-token");
  };
  auto node = [&](const std::string& m, const std::string& t, const json& b = nullptr) {
    return h.Do(m, t, b.is_null() ? "" : b.dump(), kJson, kJson, "node-token");
  };
  admin("POST", "/api/v1/namespaces/default/secrets", {{"metadata", {{"name", "used"}}}});
  admin("POST", "/api/v1/namespaces/default/secrets", {{"metadata", {{"name", "other"}}}});
  admin("POST", "/api/v1/namespaces/default/configmaps", {{"metadata", {{"name", "cm"}}}});
  json pod = PodJson("p", "vk1");
  pod["spec"]["volumes"] = json::array({{{"name", "s"}, {"secret", {{"secretName", "used"}}}}});
  pod["spec"]["containers"][0]["env"] =
      json::array({{{"name", "E"}, {"valueFrom", {{"configMapKeyRef", {{"name", "cm"}, {"key", "k"}}}}}}});
  CHECK(admin("POST", "/api/v1/namespaces/default/pods", pod).status == 201);
  CHECK(admin("POST", "/api/v1/namespaces/default/pods", PodJson("elsewhere", "vk2")).status == 201);

  CHECK(node("GET", "/api/v1/namespaces/default/secrets/used").status == 200);
  CHECK(node("GET", "/api/v1/namespaces/default/configmaps/cm").status == 200);
  auto denied = node("GET", "/api/v1/namespaces/default/secrets/other");
  CHECK(denied.status == 403);
  CHECK(json::parse(denied.body)["message"] ==
        "secrets \"other\" is forbidden: User \"system:node:vk1\" cannot get resource \"secrets\" in API group \"\" "
        "in the namespace \"default\": no relationship found between node 'vk1' and this object");
  CHECK(node("GET", "/api/v1/secrets").status == 403);
  CHECK(node("GET", "/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1").status == 403);
  // Watching one referenced secret by name is allowed.
  auto one = node("GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dused");
  CHECK(one.status == 200);
  CHECK(node("GET", "/api/v1/pods").status == 200);
  CHECK(node("PATCH", "/api/v1/namespaces/default/pods/p/status").status != 403);
  CHECK(h.Do("PATCH", "/api/v1/namespaces/default/pods/elsewhere/status", R"({"status":{"phase":"Running"}})",
             "application/merge-patch+json", kJson, "node-token")
            .status == 403);
  CHECK(node("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
             {{"metadata", {{"name", "vk1"}}}, {"spec", {{"holderIdentity", "vk1"}}}})
            .status == 201);
  CHECK(node("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk1").status == 200);
  CHECK(node("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/vk2").status == 403);
  CHECK(node("POST", "/api/v1/namespaces/default/events",
             {{"metadata", {{"name", "e"}}}, {"involvedObject", {{"kind", "Node"}, {"name", "vk1"}}}})
            .status == 201);

  // Reviews.
  json tr = admin("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                  {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenReview"}, {"spec", {{"token", "node-token"}}}})
                .status == 201
                ? json::parse(admin("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                    {{"spec", {{"token", "node-token"}}}})
                                  .body)
                : json();
  CHECK(tr["status"]["authenticated"] == true);
  CHECK(tr["status"]["user"]["username"] == "system:node:vk1");
  json sar = json::parse(admin("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                               {{"spec",
                                 {{"user", "system:node:vk1"},
                                  {"groups", {"system:nodes"}},
                                  {"resourceAttributes",
                                   {{"verb", "get"}, {"resource", "secrets"}, {"namespace", "default"}, {"name", "other"}}}}}})
                             .body);
  CHECK(sar["status"]["allowed"] == false);
}

TEST_CASE("binding and eviction") {
  Harness h;
  h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("b"), 201);
  json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "b"}}},
                  {"target", {{"kind", "Node"}, {"name", "n1"}}}};
  h.DoJson("POST", "/api/v1/namespaces/default/pods/b/binding", binding, 201);
  json pod = h.DoJson("GET", "/api/v1/namespaces/default/pods/b", nullptr, 200);
  CHECK(pod["spec"]["nodeName"] == "n1");
  h.DoJson("POST", "/api/v1/namespaces/default/pods/b/binding", binding, 409);
  json eviction = {{"apiVersion", "policy/v1"}, {"kind", "Eviction"}, {"metadata", {{"name", "b"}}}};
  h.DoJson("POST", "/api/v1/namespaces/default/pods/b/eviction", eviction, 201);
  pod = h.DoJson("GET", "/api/v1/namespaces/default/pods/b", nullptr, 200);
  CHECK(pod["metadata"].contains("deletionTimestamp"));
}

// A minimal kubelet endpoint: TLS requiring the API server's client
// certificate, /containerLogs and a raw upgrade on /exec that echoes.
struct TestKubelet {
  std::unique_ptr<http::Server> server;
  absl::Mutex mu;
  std::string last_target ABSL_GUARDED_BY(mu);
  std::string last_client_cn ABSL_GUARDED_BY(mu);
  std::vector<std::shared_ptr<http::Connection>> conns ABSL_GUARDED_BY(mu);

  explicit TestKubelet(const FakeApiServer& api) {
    http::ServerOptions o;
    auto cert = api.IssueClientCertificate({"kubelet", {}, ""});
    REQUIRE(cert.ok());
    http::ServerTlsOptions t;
    t.cert_pem = cert->cert_pem;
    t.key_pem = cert->key_pem;
    t.client_ca_pem = api.ca_pem();
    t.require_client_cert = true;
    o.tls = t;
    auto s = http::Server::Create(o, [this](http::Request& req, std::shared_ptr<http::Response> resp) {
      {
        absl::MutexLock lock(&mu);
        last_target = req.target;
        last_client_cn = req.peer_certificate ? req.peer_certificate->common_name : "";
      }
      if (absl::StartsWith(req.path, "/containerLogs/")) {
        resp->StartStream(200, {{"Content-Type", "text/plain"}});
        resp->Write("line 1\n");
        resp->Write("line 2\n");
        resp->Finish();
        return;
      }
      if (absl::StartsWith(req.path, "/exec/") && req.IsUpgrade("")) {
        auto conn = resp->Upgrade({{"X-Stream-Protocol-Version", "v4.channel.k8s.io"}});
        if (!conn.ok()) return;
        http::Connection* raw = conn->get();
        {
          absl::MutexLock lock(&mu);
          conns.push_back(*conn);
        }
        (*conn)->Start([raw](std::string_view data) { raw->Write(absl::StrCat("echo:", std::string(data))); },
                       [](const absl::Status&) {});
        return;
      }
      resp->Send(404, {}, "not found");
    });
    REQUIRE(s.ok());
    server = std::move(*s);
    VK_REQUIRE_OK(server->Start());
  }
  ~TestKubelet() { server->Stop(absl::ZeroDuration()); }
};

TEST_CASE("pods/log and pods/exec reach the node's kubelet endpoint") {
  Harness h;
  TestKubelet kubelet(*h.server);
  json node = {{"metadata", {{"name", "vk1"}}},
               {"status",
                {{"addresses", json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}}})},
                 {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", kubelet.server->port()}}}}}}}};
  h.DoJson("POST", "/api/v1/nodes", node, 201);
  h.DoJson("POST", "/api/v1/namespaces/default/pods", PodJson("p", "vk1"), 201);

  auto logs = h.Do("GET", "/api/v1/namespaces/default/pods/p/log?follow=true&tailLines=5", "", kJson, "");
  CHECK(logs.status == 200);
  CHECK(logs.body == "line 1\nline 2\n");
  {
    absl::MutexLock lock(&kubelet.mu);
    CHECK(kubelet.last_target == "/containerLogs/default/p/app?follow=true&tailLines=5");
    CHECK(kubelet.last_client_cn == "kube-apiserver-kubelet-client");
  }

  http::ClientRequest up;
  up.method = "POST";
  up.target = "/api/v1/namespaces/default/pods/p/exec?command=ls&command=-l&stdin=true&stdout=true&tty=true";
  up.headers.Add("Connection", "Upgrade");
  up.headers.Add("Upgrade", "SPDY/3.1");
  up.headers.Add("X-Stream-Protocol-Version", "v4.channel.k8s.io");
  auto res = h.client->Upgrade(Context::Background().WithTimeout(absl::Seconds(10)), up);
  VK_REQUIRE_OK(res);
  REQUIRE(res->status == 101);
  CHECK(res->headers.Get("X-Stream-Protocol-Version") == "v4.channel.k8s.io");
  {
    absl::MutexLock lock(&kubelet.mu);
    CHECK(kubelet.last_target == "/exec/default/p/app?input=1&output=1&tty=1&command=ls&command=-l");
  }
  absl::Mutex mu;
  std::string got;
  res->connection->Start(
      [&](std::string_view d) {
        absl::MutexLock lock(&mu);
        got += d;
      },
      [](const absl::Status&) {});
  res->connection->Write("hello");
  absl::MutexLock lock(&mu);
  auto cond = [&] { return got == "echo:hello"; };
  CHECK(mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(10)));
  res->connection->Close();
}

TEST_CASE("direct typed access and WaitFor") {
  Harness h;
  corev1::Pod pod;
  pod.mutable_metadata()->set_name("typed");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  pod.mutable_spec()->set_nodename("n1");
  auto created = h.server->Create(pod);
  VK_REQUIRE_OK(created);
  CHECK((*created)->metadata().namespace_() == "default");
  std::thread t([&] {
    (void)h.server->Modify<corev1::Pod>("default", "typed", [](corev1::Pod* p) { p->mutable_status()->set_phase("Running"); },
                                        /*status=*/true);
  });
  auto running = h.server->WaitFor<corev1::Pod>("default", "typed",
                                                [](const corev1::Pod* p) { return p && p->status().phase() == "Running"; });
  t.join();
  VK_REQUIRE_OK(running);
  CHECK((*running)->status().phase() == "Running");
  auto listed = h.server->List<corev1::Pod>();
  VK_REQUIRE_OK(listed);
  CHECK(listed->size() == 1);
  VK_CHECK_OK(h.server->Delete<corev1::Pod>("default", "typed", 0));
  VK_CHECK_OK(h.server->WaitForDeletion<corev1::Pod>("default", "typed", absl::Seconds(5)));
  auto nodes = h.server->Get<corev1::Node>("nosuch");
  CHECK(errdefs::IsNotFound(nodes.status()));
  // Over HTTP the object is the same.
  json j = h.DoJson("GET", "/api/v1/namespaces/default/pods/typed", nullptr, 404);
  CHECK(j["reason"] == "NotFound");
}

}  // namespace
}  // namespace vkubelet::testing

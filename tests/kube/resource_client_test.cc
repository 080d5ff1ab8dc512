// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// ResourceClient<T> against FakeApiServer, every verb in both encodings.

#include "vkubelet/kube/resource_client.h"

#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client_test_util.h"
#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/config.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

using test::MakePod;
using testing::FakeApiServer;

std::unique_ptr<FakeApiServer> StartServer(testing::FakeApiServerOptions opts = {}) {
  auto s = FakeApiServer::Start(std::move(opts));
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

std::shared_ptr<RestClient> ClientFor(const FakeApiServer& server, ContentType ct) {
  ClientConfig cfg;
  cfg.server = server.url();
  cfg.content_type = ct;
  cfg.retry.initial_backoff = absl::Milliseconds(1);
  cfg.retry.max_backoff = absl::Milliseconds(10);
  auto c = RestClient::Create(cfg);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return *c;
}

// Runs the enclosing test case once per encoding.
ContentType Encoding() {
  ContentType ct = ContentType::kProtobuf;
  SUBCASE("protobuf") { ct = ContentType::kProtobuf; }
  SUBCASE("json") { ct = ContentType::kJson; }
  return ct;
}

const Context& Bg() {
  static const Context ctx = Context::Background();
  return ctx;
}

TEST_CASE("get, create, list with paging and selectors") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));

  for (int i = 0; i < 7; ++i) {
    corev1::Pod p = MakePod("default", absl::StrCat("web-", i), i % 2 ? "node-a" : "node-b",
                            {{"app", i < 5 ? "web" : "db"}});
    absl::StatusOr<corev1::Pod> created = pods.Create(Bg(), p);
    VK_REQUIRE_OK(created);
    CHECK(created->metadata().name() == p.metadata().name());
    CHECK_FALSE(created->metadata().uid().empty());
    CHECK_FALSE(created->metadata().resourceversion().empty());
  }
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("kube-public", "lonely")));

  absl::StatusOr<corev1::Pod> got = pods.Get(Bg(), "default", "web-3");
  VK_REQUIRE_OK(got);
  CHECK(got->spec().nodename() == "node-a");
  CHECK(got->spec().containers(0).image() == "nginx:1.27");
  CHECK(got->metadata().labels().at("app") == "web");

  absl::Status missing = pods.Get(Bg(), "default", "nope").status();
  CHECK(errdefs::IsNotFound(missing));
  CHECK(absl::StrContains(missing.message(), "nope"));
  CHECK(errdefs::IsAlreadyExists(pods.Create(Bg(), MakePod("default", "web-0")).status()));
  CHECK(errdefs::IsInvalidInput(pods.Get(Bg(), "", "web-0").status()));  // namespaced kind needs a namespace

  // Transparent paging: 7 pods in pages of 3 = 3 requests.
  server->ResetRequests();
  ListOptions lo;
  lo.limit = 3;
  absl::StatusOr<corev1::PodList> list = pods.List(Bg(), "default", lo);
  VK_REQUIRE_OK(list);
  CHECK(list->items_size() == 7);
  CHECK(list->metadata().continue_().empty());
  CHECK_FALSE(list->metadata().resourceversion().empty());
  CHECK(server->RequestCount("list", "pods") == 3);
  std::set<std::string> names;
  for (const auto& p : list->items()) names.insert(p.metadata().name());
  CHECK(names.size() == 7);

  // One page at a time.
  absl::StatusOr<corev1::PodList> page = pods.ListPage(Bg(), "default", lo);
  VK_REQUIRE_OK(page);
  CHECK(page->items_size() == 3);
  CHECK_FALSE(page->metadata().continue_().empty());
  lo.continue_token = page->metadata().continue_();
  page = pods.ListPage(Bg(), "default", lo);
  VK_REQUIRE_OK(page);
  CHECK(page->items_size() == 3);

  // All namespaces, label and field selectors.
  CHECK(pods.List(Bg(), "")->items_size() == 8);
  ListOptions sel;
  sel.label_selector = "app=web";
  sel.field_selector = "spec.nodeName=node-a";
  list = pods.List(Bg(), "default", sel);
  VK_REQUIRE_OK(list);
  names.clear();
  for (const auto& p : list->items()) names.insert(p.metadata().name());
  CHECK(names == std::set<std::string>{"web-1", "web-3"});
  sel.label_selector = "app in (db)";
  sel.field_selector.clear();
  CHECK(pods.List(Bg(), "default", sel)->items_size() == 2);

  // resourceVersion "0" and NotOlderThan are accepted.
  ListOptions rv;
  rv.resource_version = "0";
  CHECK(pods.List(Bg(), "default", rv)->items_size() == 7);
  rv.resource_version = list->metadata().resourceversion();
  rv.resource_version_match = "NotOlderThan";
  CHECK(pods.List(Bg(), "default", rv)->items_size() == 7);
}

TEST_CASE("update, update status, conflicts") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "p", "node-a")));
  corev1::Pod pod = *pods.Get(Bg(), "default", "p");

  corev1::Pod edited = pod;
  (*edited.mutable_metadata()->mutable_labels())["tier"] = "front";
  absl::StatusOr<corev1::Pod> updated = pods.Update(Bg(), edited);
  VK_REQUIRE_OK(updated);
  CHECK(updated->metadata().labels().at("tier") == "front");
  CHECK(updated->metadata().resourceversion() != pod.metadata().resourceversion());

  // The old resourceVersion is stale now.
  absl::Status conflict = pods.Update(Bg(), edited).status();
  CHECK(errdefs::IsConflict(conflict));
  CHECK(HttpStatusOf(conflict) == 409);

  corev1::Pod status = *updated;
  status.mutable_status()->set_phase("Running");
  status.mutable_status()->set_podip("10.1.2.3");
  absl::StatusOr<corev1::Pod> with_status = pods.UpdateStatus(Bg(), status);
  VK_REQUIRE_OK(with_status);
  CHECK(with_status->status().phase() == "Running");
  CHECK(server->Get<corev1::Pod>("default", "p").value()->status().podip() == "10.1.2.3");

  // Cluster-scoped: nodes.
  ResourceClient<corev1::Node> nodes(ClientFor(*server, ct));
  corev1::Node node;
  node.mutable_metadata()->set_name("vk-1");
  (*node.mutable_metadata()->mutable_labels())["type"] = "virtual-kubelet";
  VK_REQUIRE_OK(nodes.Create(Bg(), node));
  corev1::Node n = *nodes.Get(Bg(), "", "vk-1");
  corev1::NodeCondition* ready = n.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  absl::StatusOr<corev1::Node> ns = nodes.UpdateStatus(Bg(), n);
  VK_REQUIRE_OK(ns);
  REQUIRE(ns->status().conditions_size() == 1);
  CHECK(ns->status().conditions(0).type() == "Ready");
}

TEST_CASE("patch: merge, strategic merge, JSON patch, status subresource") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  corev1::Pod created = *pods.Create(Bg(), MakePod("default", "p", "node-a", {{"a", "1"}}));

  absl::StatusOr<corev1::Pod> merged =
      pods.Patch(Bg(), "default", "p", PatchType::kMerge, R"({"metadata":{"labels":{"b":"2","a":null}}})");
  VK_REQUIRE_OK(merged);
  CHECK(merged->metadata().labels().count("a") == 0);
  CHECK(merged->metadata().labels().at("b") == "2");

  absl::StatusOr<corev1::Pod> json_patched = pods.Patch(
      Bg(), "default", "p", PatchType::kJson, R"([{"op":"add","path":"/metadata/annotations","value":{"x":"y"}}])");
  VK_REQUIRE_OK(json_patched);
  CHECK(json_patched->metadata().annotations().at("x") == "y");

  // Status: conditions merge by type; the uid guard of the kubelet.
  const std::string status_patch = absl::StrCat(
      R"({"metadata":{"uid":")", created.metadata().uid(),
      R"("},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}})");
  absl::StatusOr<corev1::Pod> st =
      pods.PatchStatus(Bg(), "default", "p", PatchType::kStrategicMerge, status_patch);
  VK_REQUIRE_OK(st);
  CHECK(st->status().phase() == "Running");
  REQUIRE(st->status().conditions_size() == 1);
  PatchOptions po;
  po.subresource = "status";
  st = pods.Patch(Bg(), "default", "p", PatchType::kStrategicMerge,
                  R"({"status":{"conditions":[{"type":"example.com/Foreign","status":"False"}]}})", po);
  VK_REQUIRE_OK(st);
  CHECK(st->status().conditions_size() == 2);

  const std::string wrong_uid = R"({"metadata":{"uid":"not-the-uid"},"status":{"phase":"Failed"}})";
  absl::Status bad = pods.PatchStatus(Bg(), "default", "p", PatchType::kStrategicMerge, wrong_uid).status();
  CHECK_FALSE(bad.ok());
  CHECK(server->Get<corev1::Pod>("default", "p").value()->status().phase() == "Running");

  CHECK(errdefs::IsNotFound(pods.Patch(Bg(), "default", "nope", PatchType::kMerge, "{}").status()));
  CHECK(errdefs::IsInvalidInput(pods.Patch(Bg(), "default", "p", PatchType::kApply, "{}").status()));
}

TEST_CASE("delete: graceful pods, preconditions, other kinds") {
  ContentType ct = Encoding();
  auto server = StartServer();
  auto client = ClientFor(*server, ct);
  ResourceClient<corev1::Pod> pods(client);
  corev1::Pod bound = MakePod("default", "bound", "node-a");
  bound.mutable_spec()->set_terminationgraceperiodseconds(30);
  corev1::Pod created = *pods.Create(Bg(), bound);

  // A scheduled pod is deleted gracefully: the server returns it with a
  // deletionTimestamp and keeps it.
  absl::StatusOr<std::optional<corev1::Pod>> graceful = pods.Delete(Bg(), "default", "bound");
  VK_REQUIRE_OK(graceful);
  REQUIRE(graceful->has_value());
  CHECK((*graceful)->metadata().has_deletiontimestamp());
  CHECK((*graceful)->metadata().deletiongraceperiodseconds() == 30);
  CHECK(server->Get<corev1::Pod>("default", "bound").ok());

  // The final delete with a uid precondition, as the kubelet does.
  DeleteOptions wrong;
  wrong.grace_period_seconds = 0;
  wrong.precondition_uid = "someone-else";
  CHECK(errdefs::IsConflict(pods.Delete(Bg(), "default", "bound", wrong).status()));
  DeleteOptions final_delete;
  final_delete.grace_period_seconds = 0;
  final_delete.precondition_uid = created.metadata().uid();
  VK_REQUIRE_OK(pods.Delete(Bg(), "default", "bound", final_delete));
  CHECK(errdefs::IsNotFound(server->Get<corev1::Pod>("default", "bound").status()));
  CHECK(errdefs::IsNotFound(pods.Delete(Bg(), "default", "bound").status()));

  // resourceVersion precondition and propagation policy on a ConfigMap.
  ResourceClient<corev1::ConfigMap> cms(client);
  corev1::ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name("cfg");
  (*cm.mutable_data())["k"] = "v";
  (*cm.mutable_binarydata())["bin"] = std::string("\0\1\2\xff", 4);
  corev1::ConfigMap cm_created = *cms.Create(Bg(), cm);
  CHECK(cm_created.binarydata().at("bin") == std::string("\0\1\2\xff", 4));
  DeleteOptions stale;
  stale.precondition_resource_version = "1";
  CHECK(errdefs::IsConflict(cms.Delete(Bg(), "default", "cfg", stale).status()));
  DeleteOptions bg;
  bg.propagation_policy = "Background";
  bg.precondition_resource_version = cm_created.metadata().resourceversion();
  VK_REQUIRE_OK(cms.Delete(Bg(), "default", "cfg", bg));
  CHECK(errdefs::IsNotFound(cms.Get(Bg(), "default", "cfg").status()));
}

TEST_CASE("CreatePartial, PatchPartial and DeletePartial decode only the metadata") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  corev1::Pod bound = MakePod("default", "p", "node-a", {{"app", "web"}});
  bound.mutable_spec()->set_terminationgraceperiodseconds(30);
  absl::StatusOr<metav1::PartialObjectMetadata> created_meta = pods.CreatePartial(Bg(), bound);
  VK_REQUIRE_OK(created_meta);
  corev1::Pod created = **server->Get<corev1::Pod>("default", "p");
  CHECK(created_meta->metadata().uid() == created.metadata().uid());
  CHECK(created_meta->metadata().resourceversion() == created.metadata().resourceversion());
  CHECK(errdefs::IsAlreadyExists(pods.CreatePartial(Bg(), bound).status()));

  PatchOptions po;
  po.subresource = "status";
  const std::string status_patch = absl::StrCat(R"({"metadata":{"uid":")", created.metadata().uid(),
                                                R"("},"status":{"phase":"Running"}})");
  absl::StatusOr<metav1::PartialObjectMetadata> meta =
      pods.PatchPartial(Bg(), "default", "p", PatchType::kStrategicMerge, status_patch, po);
  VK_REQUIRE_OK(meta);
  corev1::Pod stored = **server->Get<corev1::Pod>("default", "p");
  CHECK(stored.status().phase() == "Running");
  CHECK(meta->metadata().resourceversion() == stored.metadata().resourceversion());
  CHECK(meta->metadata().resourceversion() != created.metadata().resourceversion());
  CHECK(meta->metadata().uid() == created.metadata().uid());
  CHECK(meta->metadata().labels().at("app") == "web");
  CHECK(errdefs::IsNotFound(
      pods.PatchPartial(Bg(), "default", "nope", PatchType::kStrategicMerge, status_patch, po).status()));

  // Graceful: the object comes back (its metadata); final: a Status (nullopt).
  absl::StatusOr<std::optional<metav1::PartialObjectMetadata>> gone = pods.DeletePartial(Bg(), "default", "p");
  VK_REQUIRE_OK(gone);
  REQUIRE(gone->has_value());
  CHECK((*gone)->metadata().has_deletiontimestamp());
  DeleteOptions final_delete;
  final_delete.grace_period_seconds = 0;
  final_delete.precondition_uid = created.metadata().uid();
  gone = pods.DeletePartial(Bg(), "default", "p", final_delete);
  VK_REQUIRE_OK(gone);
  CHECK(errdefs::IsNotFound(server->Get<corev1::Pod>("default", "p").status()));
  CHECK(errdefs::IsNotFound(pods.DeletePartial(Bg(), "default", "p").status()));
}

TEST_CASE("the other kinds a kubelet uses") {
  ContentType ct = Encoding();
  auto server = StartServer();
  auto client = ClientFor(*server, ct);

  ResourceClient<coordinationv1::Lease> leases(client);
  coordinationv1::Lease lease;
  lease.mutable_metadata()->set_namespace_("kube-node-lease");
  lease.mutable_metadata()->set_name("vk-1");
  lease.mutable_spec()->set_holderidentity("vk-1");
  lease.mutable_spec()->set_leasedurationseconds(40);
  lease.mutable_spec()->mutable_renewtime()->set_seconds(1'700'000'000);
  lease.mutable_spec()->mutable_renewtime()->set_nanos(123456000);
  absl::StatusOr<coordinationv1::Lease> l = leases.Create(Bg(), lease);
  VK_REQUIRE_OK(l);
  CHECK(l->spec().renewtime().seconds() == 1'700'000'000);
  CHECK(l->spec().renewtime().nanos() == 123456000);
  l->mutable_spec()->mutable_renewtime()->set_seconds(1'700'000'010);
  VK_REQUIRE_OK(leases.Update(Bg(), *l));

  ResourceClient<corev1::Secret> secrets(client);
  corev1::Secret sec;
  sec.mutable_metadata()->set_namespace_("default");
  sec.mutable_metadata()->set_name("s");
  (*sec.mutable_data())["token"] = std::string("\x00\x01secret", 8);
  VK_REQUIRE_OK(secrets.Create(Bg(), sec));
  CHECK(secrets.Get(Bg(), "default", "s")->data().at("token") == std::string("\x00\x01secret", 8));

  ResourceClient<corev1::Service> services(client);
  corev1::Service svc;
  svc.mutable_metadata()->set_namespace_("default");
  svc.mutable_metadata()->set_name("web");
  corev1::ServicePort* port = svc.mutable_spec()->add_ports();
  port->set_port(80);
  port->mutable_targetport()->set_type(1);
  port->mutable_targetport()->set_strval("http");
  VK_REQUIRE_OK(services.Create(Bg(), svc));
  CHECK(services.Get(Bg(), "default", "web")->spec().ports(0).targetport().strval() == "http");

  ResourceClient<corev1::Event> events(client);
  corev1::Event ev;
  ev.mutable_metadata()->set_namespace_("default");
  ev.mutable_metadata()->set_name("p.1");
  ev.mutable_involvedobject()->set_kind("Pod");
  ev.mutable_involvedobject()->set_name("p");
  ev.mutable_involvedobject()->set_namespace_("default");
  ev.set_reason("Started");
  ev.set_message("started");
  ev.set_type("Normal");
  VK_REQUIRE_OK(events.Create(Bg(), ev));
  ResourceClient<eventsv1::Event> new_events(client);
  absl::StatusOr<eventsv1::EventList> all = new_events.List(Bg(), "default");
  VK_REQUIRE_OK(all);
  CHECK(all->items_size() == 1);  // one storage for both event APIs

  ResourceClient<corev1::Namespace> namespaces(client);
  corev1::Namespace nsobj;
  nsobj.mutable_metadata()->set_name("team-a");
  VK_REQUIRE_OK(namespaces.Create(Bg(), nsobj));
  CHECK(namespaces.List(Bg(), "")->items_size() >= 5);

  ResourceClient<authenticationv1::TokenReview> reviews(client);
  authenticationv1::TokenReview tr;
  tr.mutable_spec()->set_token("unknown-token");
  absl::StatusOr<authenticationv1::TokenReview> tr_out = reviews.Create(Bg(), tr);
  VK_REQUIRE_OK(tr_out);
  CHECK_FALSE(tr_out->status().authenticated());

  ResourceClient<authorizationv1::SubjectAccessReview> sars(client);
  authorizationv1::SubjectAccessReview sar;
  sar.mutable_spec()->set_user("alice");
  sar.mutable_spec()->mutable_resourceattributes()->set_verb("get");
  sar.mutable_spec()->mutable_resourceattributes()->set_resource("pods");
  absl::StatusOr<authorizationv1::SubjectAccessReview> sar_out = sars.Create(Bg(), sar);
  VK_REQUIRE_OK(sar_out);
  CHECK(sar_out->status().allowed());
}

TEST_CASE("watch: events in order, bookmarks, server timeout, stop") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "before")));
  std::string rv = pods.List(Bg(), "default")->metadata().resourceversion();

  WatchOptions wo;
  wo.resource_version = rv;
  auto watch = pods.Watch(Bg(), "default", wo);
  VK_REQUIRE_OK(watch);
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "w")));
  VK_REQUIRE_OK(server->Modify<corev1::Pod>("default", "w", [](corev1::Pod* p) {
    (*p->mutable_metadata()->mutable_labels())["x"] = "1";
  }));
  VK_REQUIRE_OK(pods.Delete(Bg(), "default", "w"));
  server->SendBookmarks();

  auto next = [&]() {
    auto ev = (*watch)->Next(Bg());
    REQUIRE_MESSAGE(ev.ok(), ev.status().ToString());
    REQUIRE(ev->has_value());
    return std::move(**ev);
  };
  WatchEvent<corev1::Pod> e1 = next();
  CHECK(e1.type == WatchEventType::kAdded);
  CHECK(e1.object->metadata().name() == "w");
  WatchEvent<corev1::Pod> e2 = next();
  CHECK(e2.type == WatchEventType::kModified);
  CHECK(e2.object->metadata().labels().at("x") == "1");
  WatchEvent<corev1::Pod> e3 = next();
  CHECK(e3.type == WatchEventType::kDeleted);
  CHECK(e3.object->metadata().name() == "w");
  WatchEvent<corev1::Pod> e4 = next();
  CHECK(e4.type == WatchEventType::kBookmark);
  CHECK(e4.object->metadata().resourceversion() == absl::StrCat(server->ResourceVersion()));
  CHECK(WatchEventTypeName(e4.type) == "BOOKMARK");
  CHECK((*watch)->bytes_received() > 0);

  // Stop from another thread ends a blocked Next.
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(50));
    (*watch)->Stop();
  });
  auto stopped = (*watch)->Next(Bg());
  stopper.join();
  CHECK(stopped.status().code() == absl::StatusCode::kCancelled);

  // timeoutSeconds: the server ends the watch; Next reports the end.
  wo.timeout = absl::Seconds(1);
  wo.resource_version = absl::StrCat(server->ResourceVersion());
  auto short_watch = pods.Watch(Bg(), "default", wo);
  VK_REQUIRE_OK(short_watch);
  std::vector<WatchEventType> seen;
  VK_CHECK_OK((*short_watch)->ForEach(Bg(), [&](WatchEvent<corev1::Pod>&& ev) {
    seen.push_back(ev.type);
    return true;
  }));
  for (WatchEventType t : seen) CHECK(t == WatchEventType::kBookmark);  // nothing else happened

  // A watch with a label selector and no bookmarks sees only matching pods.
  WatchOptions sel;
  sel.resource_version = absl::StrCat(server->ResourceVersion());
  sel.label_selector = "app=match";
  sel.allow_bookmarks = false;
  auto filtered = pods.Watch(Bg(), "", sel);
  VK_REQUIRE_OK(filtered);
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "skip", "", {{"app", "other"}})));
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("kube-public", "hit", "", {{"app", "match"}})));
  auto hit = (*filtered)->Next(Bg());
  VK_REQUIRE_OK(hit);
  REQUIRE(hit->has_value());
  CHECK((*hit)->object->metadata().name() == "hit");
}

TEST_CASE("watch from a compacted resourceVersion: ERROR event → IsGone") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "a")));
  std::string old_rv = pods.List(Bg(), "default")->metadata().resourceversion();
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "b")));
  server->CompactHistory();
  WatchOptions wo;
  wo.resource_version = old_rv;
  auto watch = pods.Watch(Bg(), "default", wo);
  absl::Status s;
  if (!watch.ok()) {
    s = watch.status();  // an HTTP 410 is also possible
  } else {
    s = (*watch)->Next(Bg()).status();
  }
  CHECK(errdefs::IsGone(s));
  metav1::Status st;
  REQUIRE(errdefs::GetKubernetesStatus(s, &st));
  CHECK(st.code() == 410);
  CHECK(st.reason() == "Expired");
}

TEST_CASE("a watch ends with an error when the server goes away") {
  ContentType ct = Encoding();
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ct));
  auto watch = pods.Watch(Bg(), "default", {});
  VK_REQUIRE_OK(watch);
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(50));
    server->Stop();
  });
  absl::StatusOr<std::optional<WatchEvent<corev1::Pod>>> ev;
  do {
    ev = (*watch)->Next(Bg());
  } while (ev.ok() && ev->has_value());
  stopper.join();
  // Either a clean end or a broken connection — never a hang.
  if (!ev.ok()) CHECK(errdefs::IsUnavailable(ev.status()));
}

TEST_CASE("fault injection: 500 three times then success; 429 with Retry-After") {
  auto server = StartServer();
  ResourceClient<corev1::Pod> pods(ClientFor(*server, ContentType::kProtobuf));
  VK_REQUIRE_OK(pods.Create(Bg(), MakePod("default", "a")));
  testing::Fault f;
  f.verb = "get";
  f.resource = "pods";
  f.count = 3;
  f.code = 500;
  server->InjectFault(f);
  server->ResetRequests();
  VK_REQUIRE_OK(pods.Get(Bg(), "default", "a"));
  CHECK(server->RequestCount("get", "pods") == 4);

  f.count = 1;
  f.code = 429;
  f.retry_after = absl::Seconds(1);
  server->InjectFault(f);
  server->ResetRequests();
  absl::Time start = absl::Now();
  VK_REQUIRE_OK(pods.Get(Bg(), "default", "a"));
  CHECK(server->RequestCount("get", "pods") == 2);
  CHECK(absl::Now() - start >= absl::Seconds(1));  // waited out Retry-After (a lower bound, not a timing test)

  // A POST is not retried after a 500.
  f.verb = "create";
  f.code = 500;
  server->InjectFault(f);
  server->ResetRequests();
  CHECK(pods.Create(Bg(), MakePod("default", "b")).status().code() == absl::StatusCode::kInternal);
  CHECK(server->RequestCount("create", "pods") == 1);
}

TEST_CASE("kubeconfig from the fake server: TLS with a client certificate") {
  testing::FakeApiServerOptions opts;
  opts.tls = true;
  opts.require_authentication = true;
  auto server = StartServer(opts);
  testing::KubeconfigOptions ko;
  ko.client_certificate = true;
  ko.certificate_user = {"system:node:vk-1", {"system:nodes"}, ""};
  absl::StatusOr<ClientConfig> cfg = KubeconfigFromString(server->Kubeconfig(ko), "/fake/kubeconfig");
  VK_REQUIRE_OK(cfg);
  auto client = RestClient::Create(*cfg);
  VK_REQUIRE_OK(client);
  ResourceClient<corev1::Pod> pods(*client);
  VK_REQUIRE_OK(pods.List(Bg(), ""));
  auto records = server->Requests();
  REQUIRE_FALSE(records.empty());
  CHECK(records.back().user == "system:node:vk-1");

  // Without credentials: 401.
  ClientConfig anon = *cfg;
  anon.tls.cert_pem.clear();
  anon.tls.key_pem.clear();
  anon.tls.cert_file.clear();
  anon.tls.key_file.clear();
  ResourceClient<corev1::Pod> anon_pods(*RestClient::Create(anon));
  CHECK(errdefs::IsUnauthorized(anon_pods.List(Bg(), "").status()));
}

TEST_CASE("a server that refuses protobuf makes the resource switch to JSON") {
  test::TestServer server;
  server.SetHandler([](const test::SeenRequest& r, std::shared_ptr<test::ihttp::Response> resp) {
    if (r.headers.Get("Content-Type") == "application/vnd.kubernetes.protobuf") {
      resp->Send(415, {{"Content-Type", "application/json"}},
                 R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"UnsupportedMediaType",)"
                 R"("message":"the body of the request was in an unknown format","code":415})");
      return;
    }
    if (absl::StartsWith(r.headers.Get("Accept"), "application/vnd.kubernetes.protobuf")) {
      resp->Send(406, {{"Content-Type", "application/json"}},
                 R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotAcceptable","code":406})");
      return;
    }
    resp->Send(201, {{"Content-Type", "application/json"}}, r.body.empty() ? R"({"kind":"ConfigMap",
        "apiVersion":"v1","metadata":{"name":"c","namespace":"d"}})"
                                                                            : r.body);
  });
  ClientConfig cfg;
  cfg.server = server.url();
  ResourceClient<corev1::ConfigMap> cms(*RestClient::Create(cfg));
  corev1::ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("d");
  cm.mutable_metadata()->set_name("c");
  (*cm.mutable_data())["k"] = "v";
  absl::StatusOr<corev1::ConfigMap> out = cms.Create(Bg(), cm);
  VK_REQUIRE_OK(out);
  CHECK(out->data().at("k") == "v");
  CHECK(cms.core()->json());
  // Later requests go straight to JSON.
  size_t before = server.RequestCount();
  VK_REQUIRE_OK(cms.Get(Bg(), "d", "c"));
  CHECK(server.RequestCount() == before + 1);
  CHECK(server.Requests().back().headers.Get("Accept") == "application/json");
}

TEST_CASE("several clients share one RestClient") {
  auto server = StartServer();
  auto client = ClientFor(*server, ContentType::kProtobuf);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ResourceClient<corev1::Pod> pods(client);
      for (int i = 0; i < 10; ++i) {
        if (!pods.Create(Bg(), MakePod("default", absl::StrCat("t", t, "-", i))).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(ResourceClient<corev1::Pod>(client).List(Bg(), "default")->items_size() == 40);
  RequestMetrics m = client->Metrics();
  uint64_t posts = 0;
  for (const auto& s : m.requests) {
    if (s.method == "POST" && s.code == 201) posts = s.count;
  }
  CHECK(posts == 40);
}

}  // namespace
}  // namespace vkubelet::kube

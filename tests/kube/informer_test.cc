// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Informer<T> and Store<T> against FakeApiServer, including its faults: every
// case asserts the final store against the server and the exact sequence of
// handler calls (nothing lost, nothing duplicated).

#include "vkubelet/kube/informer.h"

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client_test_util.h"
#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/kube/store.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

using test::MakePod;
using testing::FakeApiServer;

const Context& Bg() {
  static const Context ctx = Context::Background();
  return ctx;
}

std::unique_ptr<FakeApiServer> StartServer(testing::FakeApiServerOptions opts = {}) {
  auto s = FakeApiServer::Start(std::move(opts));
  REQUIRE_MESSAGE(s.ok(), s.status().ToString());
  return std::move(*s);
}

std::shared_ptr<RestClient> ClientFor(const FakeApiServer& server, ContentType ct = ContentType::kProtobuf) {
  ClientConfig cfg;
  cfg.server = server.url();
  cfg.content_type = ct;
  cfg.retry.initial_backoff = absl::Milliseconds(1);
  cfg.retry.max_backoff = absl::Milliseconds(10);
  auto c = RestClient::Create(cfg);
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  return *c;
}

InformerOptions FastOptions() {
  InformerOptions o;
  o.initial_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(100);
  return o;
}

std::string Key(const corev1::Pod& p) { return absl::StrCat(p.metadata().namespace_(), "/", p.metadata().name()); }

// Records handler calls as text ("add default/a", "update default/a",
// "delete default/a") plus the objects, and lets a test wait for a count.
class Recorder {
 public:
  EventHandler<corev1::Pod> Handler() {
    EventHandler<corev1::Pod> h;
    h.on_add = [this](const std::shared_ptr<const corev1::Pod>& p) { Push("add " + Key(*p), p); };
    h.on_update = [this](const std::shared_ptr<const corev1::Pod>& old_p, const std::shared_ptr<const corev1::Pod>& p) {
      CHECK(Key(*old_p) == Key(*p));
      Push((old_p == p ? "resync " : "update ") + Key(*p), p);
    };
    h.on_delete = [this](const std::shared_ptr<const corev1::Pod>& p) { Push("delete " + Key(*p), p); };
    return h;
  }

  bool AwaitCount(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto cond = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return calls_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  std::vector<std::string> Calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  // Calls from index `from` on, as a sorted multiset (for sets of events
  // whose relative order the server does not define).
  std::multiset<std::string> CallsFrom(size_t from) {
    auto all = Calls();
    return std::multiset<std::string>(all.begin() + std::min(from, all.size()), all.end());
  }
  std::shared_ptr<const corev1::Pod> Last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  void Push(std::string s, const std::shared_ptr<const corev1::Pod>& p) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(s));
    last_ = p;
  }
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const corev1::Pod> last_ ABSL_GUARDED_BY(mu_);
};

// The store must equal the server: same keys, same resourceVersions.
void CheckStoreMatchesServer(const Lister<corev1::Pod>& lister, const FakeApiServer& server,
                             const std::string& ns = "", const std::string& node = "") {
  std::map<std::string, std::string> want, have;
  auto all = server.List<corev1::Pod>(ns);
  REQUIRE(all.ok());
  for (const auto& p : *all) {
    if (!node.empty() && p->spec().nodename() != node) continue;
    want[Key(*p)] = p->metadata().resourceversion();
  }
  for (const auto& p : lister.List()) have[Key(*p)] = p->metadata().resourceversion();
  CHECK(have == want);
}

// Waits until the store equals the server (real time, bounded).
bool AwaitStoreMatches(const Lister<corev1::Pod>& lister, const FakeApiServer& server,
                       absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::map<std::string, std::string> want, have;
    auto all = server.List<corev1::Pod>("");
    if (!all.ok()) return false;
    for (const auto& p : *all) want[Key(*p)] = p->metadata().resourceversion();
    for (const auto& p : lister.List()) have[Key(*p)] = p->metadata().resourceversion();
    if (have == want) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST_CASE("Store: keyed by namespace/name, namespace index, shared objects") {
  Store<corev1::Pod> store;
  auto a = std::make_shared<const corev1::Pod>(MakePod("ns1", "a"));
  CHECK(store.Upsert(a) == nullptr);
  store.Upsert(MakePod("ns1", "b"));
  store.Upsert(MakePod("ns2", "a"));
  store.Upsert(MakePod("ns10", "z"));
  CHECK(store.Size() == 4);
  CHECK(store.Get("ns1", "a") == a);  // the same object, not a copy
  CHECK(store.Get("ns1", "zz") == nullptr);
  CHECK(store.List("ns1").size() == 2);
  CHECK(store.List("ns2").size() == 1);
  CHECK(store.List("ns").empty());
  CHECK(store.List().size() == 4);

  corev1::Pod a2 = *a;
  a2.mutable_metadata()->set_resourceversion("2");
  auto old = store.Upsert(std::make_shared<const corev1::Pod>(a2));
  CHECK(old == a);
  CHECK(store.Get("ns1", "a")->metadata().resourceversion() == "2");
  CHECK(store.Size() == 4);

  Lister<corev1::Pod> lister = store.lister();
  CHECK(lister.ListIf("ns1", false, [](const corev1::Pod& p) { return p.metadata().name() == "b"; }).size() == 1);
  CHECK(lister.ListIf("", true, [](const corev1::Pod& p) { return p.metadata().name() == "a"; }).size() == 2);
  CHECK(store.Remove("ns1", "a") != nullptr);
  CHECK(store.Remove("ns1", "a") == nullptr);
  CHECK(lister.Size() == 3);
  store.Clear();
  CHECK(lister.Size() == 0);
}

TEST_CASE("initial list, then add/update/delete in order; field selector; both encodings") {
  ContentType ct = ContentType::kProtobuf;
  SUBCASE("protobuf") { ct = ContentType::kProtobuf; }
  SUBCASE("json") { ct = ContentType::kJson; }
  auto server = StartServer();
  for (int i = 0; i < 5; ++i) {
    VK_REQUIRE_OK(server->Create(MakePod(i < 3 ? "default" : "kube-system", absl::StrCat("p", i), "node-a")));
  }
  VK_REQUIRE_OK(server->Create(MakePod("default", "elsewhere", "node-b")));

  InformerOptions opts = FastOptions();
  opts.field_selector = "spec.nodeName=node-a";
  opts.page_size = 2;  // the first list is paged
  Informer<corev1::Pod> informer(ClientFor(*server, ct), opts);
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  CHECK_FALSE(informer.HasSynced());
  VK_REQUIRE_OK(informer.Start(Bg()));
  CHECK(informer.Start(Bg()).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  // Every initial add was delivered before HasSynced.
  CHECK(rec.CallsFrom(0) == std::multiset<std::string>{"add default/p0", "add default/p1", "add default/p2",
                                                       "add kube-system/p3", "add kube-system/p4"});
  Lister<corev1::Pod> lister = informer.lister();
  CHECK(lister.Size() == 5);
  CHECK(lister.List("kube-system").size() == 2);
  CHECK(lister.Get("default", "elsewhere") == nullptr);
  CHECK_FALSE(informer.LastSyncResourceVersion().empty());

  VK_REQUIRE_OK(server->Create(MakePod("default", "p5", "node-a")));
  VK_REQUIRE_OK(server->Create(MakePod("default", "skip", "node-b")));
  VK_REQUIRE_OK(server->Modify<corev1::Pod>("default", "p1", [](corev1::Pod* p) {
    (*p->mutable_metadata()->mutable_labels())["x"] = "y";
  }));
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("kube-system", "p3", 0));
  REQUIRE(rec.AwaitCount(8));
  std::vector<std::string> calls = rec.Calls();
  CHECK(std::vector<std::string>(calls.begin() + 5, calls.end()) ==
        std::vector<std::string>{"add default/p5", "update default/p1", "delete kube-system/p3"});
  CHECK(lister.Get("default", "p1")->metadata().labels().at("x") == "y");
  CheckStoreMatchesServer(lister, *server, "", "node-a");
  informer.Stop();
  CHECK(informer.stats().lists == 1);
}

corev1::Pod WithManagedFields(corev1::Pod pod) {
  auto* mf = pod.mutable_metadata()->add_managedfields();
  mf->set_manager("kubectl-client-side-apply");
  mf->set_operation("Update");
  mf->set_apiversion("v1");
  mf->set_fieldstype("FieldsV1");
  mf->mutable_fieldsv1()->set_raw(R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}}})");
  return pod;
}

TEST_CASE("transform: StripManagedFields keeps managedFields out of the cache and every handler call") {
  ContentType ct = ContentType::kProtobuf;
  SUBCASE("protobuf") { ct = ContentType::kProtobuf; }
  SUBCASE("json") { ct = ContentType::kJson; }
  auto server = StartServer();
  VK_REQUIRE_OK(server->Create(WithManagedFields(MakePod("default", "listed", "", {{"app", "a"}}))));

  InformerOptions opts = FastOptions();
  opts.transform = StripManagedFields();
  Informer<corev1::Pod> stripped(ClientFor(*server, ct), opts);
  Informer<corev1::Pod> plain(ClientFor(*server, ct), FastOptions());
  absl::Mutex mu;
  int seen = 0, with_fields = 0;
  EventHandler<corev1::Pod> h;
  auto note = [&](const std::shared_ptr<const corev1::Pod>& p) {
    absl::MutexLock lock(&mu);
    ++seen;
    if (p->metadata().managedfields_size() > 0) ++with_fields;
  };
  h.on_add = note;
  h.on_update = [&](const std::shared_ptr<const corev1::Pod>& old_p,
                    const std::shared_ptr<const corev1::Pod>& p) {
    note(old_p);
    note(p);
  };
  h.on_delete = note;
  stripped.AddEventHandler(h);
  VK_REQUIRE_OK(stripped.Start(Bg()));
  VK_REQUIRE_OK(plain.Start(Bg()));
  REQUIRE(stripped.WaitForSync(absl::Seconds(20)));
  REQUIRE(plain.WaitForSync(absl::Seconds(20)));

  VK_REQUIRE_OK(server->Create(WithManagedFields(MakePod("default", "watched", "", {{"app", "w"}}))));
  VK_REQUIRE_OK(server->Modify<corev1::Pod>("default", "listed", [](corev1::Pod* p) {
    (*p->mutable_metadata()->mutable_labels())["x"] = "y";
  }));
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("default", "watched", 0));
  auto all_seen = [&] {
    absl::MutexLock lock(&mu);
    return seen >= 5;  // add listed, add watched, update listed (old, new), delete watched
  };
  for (int i = 0; i < 4000 && !all_seen(); ++i) absl::SleepFor(absl::Milliseconds(5));
  REQUIRE(all_seen());
  {
    absl::MutexLock lock(&mu);
    CHECK(with_fields == 0);
  }
  auto listed = stripped.lister().Get("default", "listed");
  REQUIRE(listed != nullptr);
  CHECK(listed->metadata().managedfields_size() == 0);
  // Everything else is as the server has it.
  CHECK(listed->metadata().labels().at("app") == "a");
  CHECK(listed->metadata().labels().at("x") == "y");
  auto on_server = server->Get<corev1::Pod>("default", "listed");
  VK_REQUIRE_OK(on_server);
  CHECK((*on_server)->metadata().managedfields_size() == 1);
  CHECK(listed->metadata().resourceversion() == (*on_server)->metadata().resourceversion());
  CHECK(listed->metadata().uid() == (*on_server)->metadata().uid());
  // Without a transform objects are cached as decoded.
  REQUIRE(plain.lister().Get("default", "listed") != nullptr);
  CHECK(plain.lister().Get("default", "listed")->metadata().managedfields_size() == 1);
  stripped.Stop();
  plain.Stop();
}

TEST_CASE("transform: a transform that throws leaves the object as received") {
  auto server = StartServer();
  InformerOptions opts = FastOptions();
  opts.transform = [](google::protobuf::Message* m) {
    auto* pod = static_cast<corev1::Pod*>(m);
    if (pod->metadata().name() == "bad") throw std::runtime_error("transform failed");
    (*pod->mutable_metadata()->mutable_annotations())["transformed"] = "yes";
  };
  Informer<corev1::Pod> informer(ClientFor(*server), opts);
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  VK_REQUIRE_OK(server->Create(MakePod("default", "bad")));
  VK_REQUIRE_OK(server->Create(MakePod("default", "good")));
  REQUIRE(rec.AwaitCount(2));
  auto bad = informer.lister().Get("default", "bad");
  auto good = informer.lister().Get("default", "good");
  REQUIRE(bad != nullptr);
  REQUIRE(good != nullptr);
  CHECK(bad->metadata().annotations().count("transformed") == 0);
  CHECK(good->metadata().annotations().at("transformed") == "yes");
  informer.Stop();
}

TEST_CASE("watch dropped mid-stream: the informer resumes from its resourceVersion") {
  auto server = StartServer();
  for (int i = 0; i < 3; ++i) VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("p", i))));
  Informer<corev1::Pod> informer(ClientFor(*server), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));

  for (int round = 0; round < 3; ++round) {
    // Drop the watch the informer has open now (its round+1-th).
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (informer.stats().watches < static_cast<uint64_t>(round + 1) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(2));
    }
    REQUIRE(informer.stats().watches == static_cast<uint64_t>(round + 1));
    server->DropWatches();
    VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("new", round))));
    VK_REQUIRE_OK(server->Modify<corev1::Pod>("default", "p0", [round](corev1::Pod* p) {
      (*p->mutable_metadata()->mutable_labels())["round"] = absl::StrCat(round);
    }));
  }
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("default", "p2", 0));
  REQUIRE(rec.AwaitCount(3 + 7));
  REQUIRE(AwaitStoreMatches(informer.lister(), *server));
  std::vector<std::string> calls = rec.Calls();
  CHECK(std::vector<std::string>(calls.begin() + 3, calls.end()) ==
        std::vector<std::string>{"add default/new0", "update default/p0", "add default/new1", "update default/p0",
                                 "add default/new2", "update default/p0", "delete default/p2"});
  CHECK(informer.lister().Get("default", "p0")->metadata().labels().at("round") == "2");
  CHECK(informer.stats().lists == 1);  // resumed, never re-listed
  CHECK(informer.stats().watches >= 4);
  informer.Stop();
  CHECK(rec.Calls().size() == 10);
}

TEST_CASE("history compacted during a gap: 410 → re-list, deletions delivered, nothing duplicated") {
  auto server = StartServer();
  for (int i = 0; i < 6; ++i) VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("p", i))));
  InformerOptions opts = FastOptions();
  Informer<corev1::Pod> informer(ClientFor(*server), opts);
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  REQUIRE(rec.AwaitCount(6));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (informer.stats().watches < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  REQUIRE(informer.stats().watches == 1);

  // Open a gap: watches fail while the objects change, then history is gone.
  testing::Fault f;
  f.verb = "watch";
  f.resource = "pods";
  f.count = -1;
  f.code = 503;
  f.retry_after = absl::ZeroDuration();
  server->InjectFault(f);
  server->DropWatches();
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("default", "p1", 0));
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("default", "p4", 0));
  VK_REQUIRE_OK(server->Modify<corev1::Pod>("default", "p2", [](corev1::Pod* p) {
    (*p->mutable_metadata()->mutable_labels())["changed"] = "yes";
  }));
  VK_REQUIRE_OK(server->Create(MakePod("default", "p9")));
  server->CompactHistory();
  server->ClearFaults();

  REQUIRE(rec.AwaitCount(6 + 4));
  REQUIRE(AwaitStoreMatches(informer.lister(), *server));
  CHECK(rec.CallsFrom(6) == std::multiset<std::string>{"delete default/p1", "delete default/p4",
                                                       "update default/p2", "add default/p9"});
  // The deletes carry the last state the informer knew.
  InformerStats st = informer.stats();
  CHECK(st.expired >= 1);
  CHECK(st.lists == 2);
  // Still watching after the re-list.
  VK_REQUIRE_OK(server->Create(MakePod("default", "after")));
  REQUIRE(rec.AwaitCount(11));
  CHECK(rec.Calls().back() == "add default/after");
  informer.Stop();
  CHECK(rec.Calls().size() == 11);
}

TEST_CASE("list faults: 500 three times then success, 429 with Retry-After") {
  auto server = StartServer();
  VK_REQUIRE_OK(server->Create(MakePod("default", "a")));
  testing::Fault f;
  f.verb = "list";
  f.resource = "pods";
  f.count = 3;
  f.code = 500;
  server->InjectFault(f);
  testing::Fault throttle;
  throttle.verb = "watch";
  throttle.resource = "pods";
  throttle.count = 1;
  throttle.code = 429;
  throttle.retry_after = absl::Seconds(1);
  server->InjectFault(throttle);
  auto client = ClientFor(*server);
  Informer<corev1::Pod> informer(client, FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  CHECK(server->RequestCount("list", "pods") == 4);
  CHECK(rec.Calls() == std::vector<std::string>{"add default/a"});
  // The throttled watch is retried and then delivers events.
  VK_REQUIRE_OK(server->Create(MakePod("default", "b")));
  REQUIRE(rec.AwaitCount(2));
  CHECK(rec.Calls()[1] == "add default/b");
  uint64_t throttled = 0;
  for (const auto& series : client->Metrics().requests) {
    if (series.code == 429) throttled += series.count;
  }
  CHECK(throttled == 1);
  informer.Stop();
}

TEST_CASE("server restarted on the same port: the informer recovers") {
  auto server = StartServer();
  for (int i = 0; i < 3; ++i) VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("p", i))));
  ClientConfig cfg;
  cfg.server = server->url();
  cfg.retry.max_retries = 1;
  cfg.retry.initial_backoff = absl::Milliseconds(1);
  Informer<corev1::Pod> informer(*RestClient::Create(cfg), FastOptions());
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (informer.stats().watches < 1 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  REQUIRE(informer.stats().watches == 1);  // watching when the server goes away

  server->Stop();
  // Changes while the server is down (through the direct API: same store).
  VK_REQUIRE_OK(server->Create(MakePod("default", "while-down")));
  VK_REQUIRE_OK(server->Delete<corev1::Pod>("default", "p0", 0));
  VK_REQUIRE_OK(server->Restart());
  VK_REQUIRE_OK(server->Create(MakePod("default", "after-restart")));

  REQUIRE(rec.AwaitCount(3 + 3));
  REQUIRE(AwaitStoreMatches(informer.lister(), *server));
  CHECK(rec.CallsFrom(3) == std::multiset<std::string>{"add default/while-down", "delete default/p0",
                                                       "add default/after-restart"});
  CHECK(informer.stats().watches >= 2);  // a new watch after the restart
  CHECK(informer.stats().lists == 1);    // resumed from its resourceVersion
  informer.Stop();
  CHECK(rec.Calls().size() == 6);
}

TEST_CASE("bookmarks advance the resourceVersion") {
  auto server = StartServer();
  VK_REQUIRE_OK(server->Create(MakePod("default", "a")));
  Informer<corev1::Pod> informer(ClientFor(*server), FastOptions());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  // Objects of another kind move the global resourceVersion; a bookmark tells
  // the pod informer about it.
  corev1::ConfigMap cm;
  cm.mutable_metadata()->set_namespace_("default");
  cm.mutable_metadata()->set_name("c");
  VK_REQUIRE_OK(server->Create(cm));
  std::string want = absl::StrCat(server->ResourceVersion());
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (informer.LastSyncResourceVersion() != want && absl::Now() < deadline) {
    server->SendBookmarks();
    absl::SleepFor(absl::Milliseconds(10));
  }
  CHECK(informer.LastSyncResourceVersion() == want);
  CHECK(informer.stats().bookmarks >= 1);
  CHECK(informer.stats().events == 0);
}

TEST_CASE("resync re-delivers cached objects on the informer's clock") {
  auto server = StartServer();
  VK_REQUIRE_OK(server->Create(MakePod("default", "a")));
  VK_REQUIRE_OK(server->Create(MakePod("default", "b")));
  testing::FakeClock clock;
  InformerOptions opts = FastOptions();
  opts.clock = &clock;
  opts.resync_period = absl::Minutes(1);
  Informer<corev1::Pod> informer(ClientFor(*server), opts);
  Recorder rec;
  informer.AddEventHandler(rec.Handler());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  REQUIRE(rec.AwaitCount(2));
  clock.Advance(absl::Seconds(59));
  VK_REQUIRE_OK(server->Create(MakePod("default", "c")));
  REQUIRE(rec.AwaitCount(3));
  CHECK(rec.Calls().size() == 3);  // no resync yet
  clock.Advance(absl::Seconds(1));
  REQUIRE(rec.AwaitCount(6));
  CHECK(rec.CallsFrom(3) ==
        std::multiset<std::string>{"resync default/a", "resync default/b", "resync default/c"});
  informer.Stop();
}

TEST_CASE("a handler added late gets the cache first, then every change once") {
  auto server = StartServer();
  for (int i = 0; i < 3; ++i) VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("p", i))));
  Informer<corev1::Pod> informer(ClientFor(*server), FastOptions());
  VK_REQUIRE_OK(informer.Start(Bg()));
  REQUIRE(informer.WaitForSync(absl::Seconds(20)));
  Recorder late;
  informer.AddEventHandler(late.Handler());
  VK_REQUIRE_OK(server->Create(MakePod("default", "p3")));
  REQUIRE(late.AwaitCount(4));
  auto calls = late.Calls();
  CHECK(std::multiset<std::string>(calls.begin(), calls.begin() + 3) ==
        std::multiset<std::string>{"add default/p0", "add default/p1", "add default/p2"});
  CHECK(calls[3] == "add default/p3");
  informer.Stop();
  CHECK(late.Calls().size() == 4);
}

TEST_CASE("stop: threads joined, no handler afterwards; a cancelled context stops it too") {
  auto server = StartServer();
  VK_REQUIRE_OK(server->Create(MakePod("default", "a")));
  auto client = ClientFor(*server);
  {
    Informer<corev1::Pod> informer(client, FastOptions());
    Recorder rec;
    informer.AddEventHandler(rec.Handler());
    auto [ctx, cancel] = Bg().WithCancel();
    VK_REQUIRE_OK(informer.Start(ctx));
    REQUIRE(informer.WaitForSync(absl::Seconds(20)));
    cancel();
    informer.Stop();
    size_t n = rec.Calls().size();
    VK_REQUIRE_OK(server->Create(MakePod("default", "later")));
    absl::SleepFor(absl::Milliseconds(100));
    CHECK(rec.Calls().size() == n);
  }
  // WaitForSync gives up when its context ends (the list keeps failing).
  testing::Fault f;
  f.verb = "list";
  f.resource = "pods";
  f.count = -1;
  f.code = 403;
  server->InjectFault(f);
  Informer<corev1::Pod> blocked(client, FastOptions());
  VK_REQUIRE_OK(blocked.Start(Bg()));
  CHECK_FALSE(blocked.WaitForSync(absl::Milliseconds(200)));
  CHECK(blocked.stats().failures >= 1);
  blocked.Stop();
  blocked.Stop();  // idempotent
}

TEST_CASE("several informers share one RestClient") {
  auto server = StartServer();
  for (int i = 0; i < 4; ++i) VK_REQUIRE_OK(server->Create(MakePod("default", absl::StrCat("p", i), "node-" + std::to_string(i % 2))));
  auto client = ClientFor(*server);
  InformerOptions a = FastOptions(), b = FastOptions();
  a.field_selector = "spec.nodeName=node-0";
  b.field_selector = "spec.nodeName=node-1";
  Informer<corev1::Pod> ia(client, a), ib(client, b);
  Informer<corev1::Node> nodes(client, FastOptions());
  VK_REQUIRE_OK(ia.Start(Bg()));
  VK_REQUIRE_OK(ib.Start(Bg()));
  VK_REQUIRE_OK(nodes.Start(Bg()));
  REQUIRE(ia.WaitForSync(absl::Seconds(20)));
  REQUIRE(ib.WaitForSync(absl::Seconds(20)));
  REQUIRE(nodes.WaitForSync(absl::Seconds(20)));
  CHECK(ia.lister().Size() == 2);
  CHECK(ib.lister().Size() == 2);
  corev1::Node n;
  n.mutable_metadata()->set_name("node-0");
  VK_REQUIRE_OK(server->Create(n));
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (nodes.lister().Get("", "node-0") == nullptr && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  CHECK(nodes.lister().Get("", "node-0") != nullptr);
  // Each informer keeps one watch open on the shared client.
  deadline = absl::Now() + absl::Seconds(20);
  while (client->Metrics().open_streams != 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  CHECK(client->Metrics().open_streams == 3);
  ia.Stop();
  ib.Stop();
  nodes.Stop();
  CHECK(client->Metrics().open_streams == 0);
}

}  // namespace
}  // namespace vkubelet::kube

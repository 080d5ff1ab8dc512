// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The FakeApiServer storage engine without HTTP: selectors, defaults,
// optimistic concurrency, status subresource rules, graceful deletion,
// finalizers, paging and watch semantics.

#include <doctest/doctest.h>

#include <thread>

#include "testing/fake_store.h"
#include "testing/selectors.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_clock.h"
#include "vkubelet/types.h"

namespace vkubelet::testing::internal {
namespace {

const ResourceType& PodType() { return *FindResource("", "v1", "pods"); }
const ResourceType& NsType() { return *FindResource("", "v1", "namespaces"); }
const ResourceType& CmType() { return *FindResource("", "v1", "configmaps"); }

std::unique_ptr<corev1::Pod> MakePod(const std::string& ns, const std::string& name, const std::string& node = "") {
  auto pod = std::make_unique<corev1::Pod>();
  pod->mutable_metadata()->set_namespace_(ns);
  pod->mutable_metadata()->set_name(name);
  auto* c = pod->mutable_spec()->add_containers();
  c->set_name("app");
  c->set_image("nginx:1.25");
  if (!node.empty()) pod->mutable_spec()->set_nodename(node);
  return pod;
}

std::unique_ptr<corev1::Namespace> MakeNs(const std::string& name) {
  auto ns = std::make_unique<corev1::Namespace>();
  ns->mutable_metadata()->set_name(name);
  return ns;
}

const corev1::Pod& AsPod(const VersionPtr& v) { return static_cast<const corev1::Pod&>(v->object()); }

struct Fixture {
  FakeClock clock;
  Store store{StoreOptions{&clock, 100000, 200000}};
  Fixture() {
    REQUIRE(store.Create(NsType(), MakeNs("default")).ok());
  }
};

std::vector<Watcher::Item> DrainAll(Watcher& w) {
  std::vector<Watcher::Item> out;
  w.Drain(&out);
  return out;
}

TEST_CASE("label selectors: full syntax") {
  google::protobuf::Map<std::string, std::string> labels;
  labels["app"] = "web";
  labels["tier"] = "frontend";
  labels["n"] = "5";
  auto m = [&](const char* s) {
    auto sel = LabelSelector::Parse(s);
    REQUIRE_MESSAGE(sel.ok(), sel.status().ToString());
    return sel->Matches(labels);
  };
  CHECK(m(""));
  CHECK(m("app=web"));
  CHECK(m("app==web"));
  CHECK_FALSE(m("app!=web"));
  CHECK(m("missing!=x"));
  CHECK(m("app in (web, db)"));
  CHECK_FALSE(m("app notin (web)"));
  CHECK(m("app,tier"));
  CHECK(m("!missing"));
  CHECK_FALSE(m("!app"));
  CHECK(m("n>3,n<7"));
  CHECK_FALSE(m("n>5"));
  CHECK(m("app=web,tier in (frontend),!x"));
  for (const char* bad : {"app=", "=x", "app in ()", "app in (a", "a b", "app=web,", "-bad=x", "n>x"}) {
    auto sel = LabelSelector::Parse(bad);
    if (std::string(bad) == "app=") {
      CHECK(sel.ok());  // an empty value is valid
      continue;
    }
    CHECK_MESSAGE(!sel.ok(), bad);
    if (!sel.ok()) CHECK(errdefs::IsInvalidInput(sel.status()));
  }
}

TEST_CASE("field selectors: parse, escape, index value") {
  auto sel = FieldSelector::Parse("spec.nodeName=n1,status.phase!=Failed");
  REQUIRE(sel.ok());
  CHECK(sel->EqualityValue("spec.nodeName") == std::optional<std::string>("n1"));
  CHECK_FALSE(sel->EqualityValue("status.phase").has_value());
  auto get = [](std::string_view f) -> std::optional<std::string> {
    if (f == "spec.nodeName") return "n1";
    if (f == "status.phase") return "Running";
    return std::nullopt;
  };
  CHECK(sel->Matches(get));
  auto esc = FieldSelector::Parse("metadata.name=a\\,b");
  REQUIRE(esc.ok());
  CHECK(esc->requirements().size() == 1);
  CHECK(esc->requirements()[0].value == "a,b");
  CHECK_FALSE(FieldSelector::Parse("nooperator").ok());
}

TEST_CASE("create applies the server's defaults and system fields") {
  Fixture f;
  auto pod = MakePod("default", "");
  pod->mutable_metadata()->set_generatename("web-");
  pod->mutable_status()->set_phase("Running");  // the server resets status on create
  (*pod->mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_limits())["cpu"].set_string("1");
  (*pod->mutable_spec()->mutable_containers(0)->mutable_resources()->mutable_limits())["memory"].set_string("1Gi");
  auto v = f.store.Create(PodType(), std::move(pod));
  VK_REQUIRE_OK(v);
  const corev1::Pod& p = AsPod(*v);
  CHECK(p.metadata().name().rfind("web-", 0) == 0);
  CHECK(p.metadata().name().size() == 9);
  CHECK(p.metadata().uid().size() == 36);
  CHECK(p.metadata().resourceversion() == std::to_string((*v)->rv()));
  CHECK(p.metadata().creationtimestamp().seconds() == absl::ToUnixSeconds(f.clock.Now()));
  CHECK(p.status().phase() == "Pending");
  CHECK(p.status().qosclass() == "Guaranteed");
  CHECK(p.spec().terminationgraceperiodseconds() == 30);
  CHECK(p.spec().restartpolicy() == "Always");
  CHECK(p.spec().dnspolicy() == "ClusterFirst");
  CHECK(p.spec().schedulername() == "default-scheduler");
  CHECK(p.spec().containers(0).terminationmessagepath() == "/dev/termination-log");
  CHECK(p.spec().containers(0).imagepullpolicy() == "IfNotPresent");
  CHECK(p.spec().containers(0).resources().requests().at("cpu").string() == "1");
  CHECK(p.spec().tolerations_size() == 2);

  auto best = f.store.Create(PodType(), MakePod("default", "be"));
  VK_REQUIRE_OK(best);
  CHECK(AsPod(*best).status().qosclass() == "BestEffort");

  SUBCASE("name conflicts, missing namespaces and invalid objects are refused") {
    auto dup = f.store.Create(PodType(), MakePod("default", "be"));
    CHECK(errdefs::IsAlreadyExists(dup.status()));
    CHECK(std::string(dup.status().message()) == "pods \"be\" already exists");
    auto nons = f.store.Create(PodType(), MakePod("nosuch", "x"));
    CHECK(errdefs::IsNotFound(nons.status()));
    CHECK(std::string(nons.status().message()) == "namespaces \"nosuch\" not found");
    auto bad = MakePod("default", "Bad_Name");
    bad->mutable_spec()->clear_containers();
    auto invalid = f.store.Create(PodType(), std::move(bad));
    CHECK(errdefs::HttpStatusCode(invalid.status()) == 422);
    metav1::Status st = errdefs::ToKubernetesStatus(invalid.status());
    CHECK(st.reason() == "Invalid");
    CHECK(st.details().kind() == "Pod");
    REQUIRE(st.details().causes_size() == 2);
    CHECK(st.details().causes(0).field() == "metadata.name");
    CHECK(st.details().causes(1).field() == "spec.containers");
  }
}

TEST_CASE("update: conflicts, no-op updates, status subresource rules") {
  Fixture f;
  auto created = f.store.Create(PodType(), MakePod("default", "p", "n1"));
  VK_REQUIRE_OK(created);

  // Stale resourceVersion: 409 Conflict with the server's message.
  auto stale = std::make_unique<corev1::Pod>(AsPod(*created));
  stale->mutable_metadata()->set_resourceversion("1");
  auto conflict = f.store.Update(PodType(), std::move(stale), UpdateMode::kMain);
  CHECK(errdefs::IsConflict(conflict.status()));
  CHECK(std::string(conflict.status().message()) ==
        "Operation cannot be fulfilled on pods \"p\": the object has been modified; please apply your changes to "
        "the latest version and try again");

  // No change: same version, no new resourceVersion.
  auto same = f.store.Update(PodType(), std::make_unique<corev1::Pod>(AsPod(*created)), UpdateMode::kMain);
  VK_REQUIRE_OK(same);
  CHECK((*same)->rv() == (*created)->rv());

  // Main update ignores status.
  auto main = std::make_unique<corev1::Pod>(AsPod(*created));
  (*main->mutable_metadata()->mutable_labels())["x"] = "1";
  main->mutable_status()->set_phase("Running");
  auto updated = f.store.Update(PodType(), std::move(main), UpdateMode::kMain);
  VK_REQUIRE_OK(updated);
  CHECK((*updated)->rv() > (*created)->rv());
  CHECK(AsPod(*updated).metadata().labels().at("x") == "1");
  CHECK(AsPod(*updated).status().phase() == "Pending");

  // Status update ignores spec.
  auto status = std::make_unique<corev1::Pod>(AsPod(*updated));
  status->mutable_status()->set_phase("Running");
  status->mutable_spec()->set_nodename("elsewhere");
  auto st = f.store.Update(PodType(), std::move(status), UpdateMode::kStatus);
  VK_REQUIRE_OK(st);
  CHECK(AsPod(*st).status().phase() == "Running");
  CHECK(AsPod(*st).spec().nodename() == "n1");

  // Pod spec is immutable through the main resource.
  auto spec = std::make_unique<corev1::Pod>(AsPod(*st));
  spec->mutable_spec()->set_restartpolicy("Never");
  auto forbidden = f.store.Update(PodType(), std::move(spec), UpdateMode::kMain);
  CHECK(errdefs::HttpStatusCode(forbidden.status()) == 422);
  // ... except the image.
  auto image = std::make_unique<corev1::Pod>(AsPod(*st));
  image->mutable_spec()->mutable_containers(0)->set_image("nginx:1.26");
  VK_CHECK_OK(f.store.Update(PodType(), std::move(image), UpdateMode::kMain));

  // A different uid is an immutable-field error (422), as in §9.
  auto uid = std::make_unique<corev1::Pod>(AsPod(*st));
  uid->mutable_metadata()->set_uid("00000000-0000-0000-0000-000000000000");
  uid->mutable_metadata()->clear_resourceversion();
  auto bad_uid = f.store.Update(PodType(), std::move(uid), UpdateMode::kStatus);
  CHECK(errdefs::HttpStatusCode(bad_uid.status()) == 422);
}

TEST_CASE("delete: graceful pods, immediate deletion, preconditions, finalizers") {
  Fixture f;
  DeleteRequest none;

  SUBCASE("a pod bound to a node is deleted gracefully") {
    VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("default", "p", "n1")));
    auto r = f.store.Delete(PodType(), "default", "p", none);
    VK_REQUIRE_OK(r);
    CHECK_FALSE(r->removed);
    const auto& meta = r->object->meta();
    CHECK(meta.deletiongraceperiodseconds() == 30);
    CHECK(meta.deletiontimestamp().seconds() == absl::ToUnixSeconds(f.clock.Now() + absl::Seconds(30)));
    // A longer grace period does not extend it.
    DeleteRequest longer;
    longer.grace_period_seconds = 60;
    auto again = f.store.Delete(PodType(), "default", "p", longer);
    VK_REQUIRE_OK(again);
    CHECK(again->object->meta().deletiongraceperiodseconds() == 30);
    // Wrong uid precondition: 409.
    DeleteRequest wrong;
    wrong.grace_period_seconds = 0;
    wrong.precondition_uid = "nope";
    auto pre = f.store.Delete(PodType(), "default", "p", wrong);
    CHECK(errdefs::IsConflict(pre.status()));
    // The kubelet's final delete.
    DeleteRequest final_delete;
    final_delete.grace_period_seconds = 0;
    final_delete.precondition_uid = meta.uid();
    auto gone = f.store.Delete(PodType(), "default", "p", final_delete);
    VK_REQUIRE_OK(gone);
    CHECK(gone->removed);
    CHECK(errdefs::IsNotFound(f.store.Get(Storage::kPod, "default", "p").status()));
  }

  SUBCASE("unbound and terminal pods go at once") {
    VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("default", "unbound")));
    auto r = f.store.Delete(PodType(), "default", "unbound", none);
    VK_REQUIRE_OK(r);
    CHECK(r->removed);
    auto done = MakePod("default", "done", "n1");
    auto created = f.store.Create(PodType(), std::move(done));
    VK_REQUIRE_OK(created);
    auto st = std::make_unique<corev1::Pod>(AsPod(*created));
    st->mutable_status()->set_phase("Succeeded");
    VK_REQUIRE_OK(f.store.Update(PodType(), std::move(st), UpdateMode::kStatus));
    auto r2 = f.store.Delete(PodType(), "default", "done", none);
    VK_REQUIRE_OK(r2);
    CHECK(r2->removed);
  }

  SUBCASE("finalizers block removal until removed") {
    auto cm = std::make_unique<corev1::ConfigMap>();
    cm->mutable_metadata()->set_namespace_("default");
    cm->mutable_metadata()->set_name("c");
    cm->mutable_metadata()->add_finalizers("example.com/hold");
    VK_REQUIRE_OK(f.store.Create(CmType(), std::move(cm)));
    auto r = f.store.Delete(CmType(), "default", "c", none);
    VK_REQUIRE_OK(r);
    CHECK_FALSE(r->removed);
    CHECK(r->object->meta().has_deletiontimestamp());
    auto cur = f.store.Get(Storage::kConfigMap, "default", "c");
    VK_REQUIRE_OK(cur);
    auto copy = std::make_unique<corev1::ConfigMap>(static_cast<const corev1::ConfigMap&>((*cur)->object()));
    copy->mutable_metadata()->clear_finalizers();
    VK_REQUIRE_OK(f.store.Update(CmType(), std::move(copy), UpdateMode::kMain));
    CHECK(errdefs::IsNotFound(f.store.Get(Storage::kConfigMap, "default", "c").status()));
  }
}

TEST_CASE("list: namespaces, selectors, node index, paging") {
  Fixture f;
  VK_REQUIRE_OK(f.store.Create(NsType(), MakeNs("other")));
  for (int i = 0; i < 10; ++i) {
    auto pod = MakePod(i % 2 ? "default" : "other", "p" + std::to_string(i), i < 3 ? "n1" : "n2");
    (*pod->mutable_metadata()->mutable_labels())["i"] = std::to_string(i);
    VK_REQUIRE_OK(f.store.Create(PodType(), std::move(pod)));
  }
  ListQuery all;
  auto r = f.store.List(Storage::kPod, all);
  VK_REQUIRE_OK(r);
  CHECK(r->items.size() == 10);
  CHECK(r->resource_version == f.store.CurrentResourceVersion());

  ListQuery ns;
  ns.ns = "default";
  CHECK(f.store.List(Storage::kPod, ns)->items.size() == 5);

  ListQuery node;
  node.fields = *FieldSelector::Parse("spec.nodeName=n1");
  auto on_node = f.store.List(Storage::kPod, node);
  VK_REQUIRE_OK(on_node);
  CHECK(on_node->items.size() == 3);

  ListQuery label;
  label.labels = *LabelSelector::Parse("i in (1,2,3)");
  CHECK(f.store.List(Storage::kPod, label)->items.size() == 3);

  // Paging: every item exactly once, remainingItemCount counts down.
  ListQuery page;
  page.limit = 4;
  std::vector<std::string> names;
  std::vector<int64_t> remaining;
  while (true) {
    auto p = f.store.List(Storage::kPod, page);
    VK_REQUIRE_OK(p);
    for (const auto& v : p->items) names.push_back(v->meta().name());
    if (p->continue_token.empty()) {
      CHECK_FALSE(p->remaining_item_count.has_value());
      break;
    }
    REQUIRE(p->remaining_item_count.has_value());
    remaining.push_back(*p->remaining_item_count);
    page.continue_token = p->continue_token;
  }
  CHECK(names.size() == 10);
  CHECK(remaining == std::vector<int64_t>{6, 2});

  // A continue token from before a compaction has expired.
  ListQuery first;
  first.limit = 2;
  auto p1 = f.store.List(Storage::kPod, first);
  VK_REQUIRE_OK(p1);
  VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("default", "late")));
  f.store.Compact();
  first.continue_token = p1->continue_token;
  auto expired = f.store.List(Storage::kPod, first);
  CHECK(errdefs::IsGone(expired.status()));
  CHECK(errdefs::HttpStatusCode(expired.status()) == 410);
}

TEST_CASE("watch: initial state, replay, selector transitions, expiry, bookmarks, drops") {
  Fixture f;
  auto a = f.store.Create(PodType(), MakePod("default", "a"));
  VK_REQUIRE_OK(a);
  const int64_t after_a = (*a)->rv();

  WatchQuery from_now;
  auto w_all = f.store.Watch(Storage::kPod, from_now);
  VK_REQUIRE_OK(w_all);
  auto initial = DrainAll(**w_all);
  REQUIRE(initial.size() == 1);
  CHECK(initial[0].type == EventType::kAdded);

  WatchQuery node;
  node.filter.fields = *FieldSelector::Parse("spec.nodeName=n1");
  node.resource_version = after_a;
  node.bookmarks = true;
  auto w_node = f.store.Watch(Storage::kPod, node);
  VK_REQUIRE_OK(w_node);
  CHECK(DrainAll(**w_node).empty());

  int notified = 0;
  (*w_node)->SetReadyCallback([&] { ++notified; });

  // Binding pod a to n1 makes it appear (ADDED) for the node watcher.
  VK_REQUIRE_OK(f.store.GuaranteedUpdate(PodType(), "default", "a", UpdateMode::kSystem,
                                         [](const google::protobuf::Message& cur) -> absl::StatusOr<std::unique_ptr<google::protobuf::Message>> {
                                           auto p = std::make_unique<corev1::Pod>(static_cast<const corev1::Pod&>(cur));
                                           p->mutable_spec()->set_nodename("n1");
                                           return p;
                                         }));
  CHECK(notified == 1);
  auto items = DrainAll(**w_node);
  REQUIRE(items.size() == 1);
  CHECK(items[0].type == EventType::kAdded);
  auto all_items = DrainAll(**w_all);
  REQUIRE(all_items.size() == 1);
  CHECK(all_items[0].type == EventType::kModified);

  // Replay from the first version sees the same change.
  WatchQuery replay;
  replay.resource_version = after_a;
  auto w_replay = f.store.Watch(Storage::kPod, replay);
  VK_REQUIRE_OK(w_replay);
  auto replayed = DrainAll(**w_replay);
  REQUIRE(replayed.size() == 1);
  CHECK(replayed[0].type == EventType::kModified);
  CHECK(replayed[0].object->rv() > after_a);

  // A label watcher sees DELETED when the object stops matching.
  auto lbl = std::make_unique<corev1::Pod>(AsPod(*f.store.Get(Storage::kPod, "default", "a")));
  (*lbl->mutable_metadata()->mutable_labels())["app"] = "web";
  VK_REQUIRE_OK(f.store.Update(PodType(), std::move(lbl), UpdateMode::kMain));
  WatchQuery by_label;
  by_label.filter.labels = *LabelSelector::Parse("app=web");
  by_label.resource_version = f.store.CurrentResourceVersion();
  auto w_label = f.store.Watch(Storage::kPod, by_label);
  VK_REQUIRE_OK(w_label);
  auto unl = std::make_unique<corev1::Pod>(AsPod(*f.store.Get(Storage::kPod, "default", "a")));
  unl->mutable_metadata()->mutable_labels()->clear();
  VK_REQUIRE_OK(f.store.Update(PodType(), std::move(unl), UpdateMode::kMain));
  auto gone = DrainAll(**w_label);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].type == EventType::kDeleted);
  CHECK(gone[0].object->meta().labels().at("app") == "web");

  // Bookmarks only to watchers that asked.
  DrainAll(**w_node);
  DrainAll(**w_all);
  f.store.SendBookmarks();
  auto bm = DrainAll(**w_node);
  REQUIRE(bm.size() == 1);
  CHECK(bm[0].type == EventType::kBookmark);
  CHECK(bm[0].object->meta().resourceversion() == std::to_string(f.store.CurrentResourceVersion()));
  CHECK(DrainAll(**w_all).empty());

  // After compaction a watch from an old version gets one ERROR 410 Expired.
  f.store.Compact();
  auto w_old = f.store.Watch(Storage::kPod, replay);
  VK_REQUIRE_OK(w_old);
  auto err = DrainAll(**w_old);
  REQUIRE(err.size() == 1);
  CHECK(err[0].type == EventType::kError);
  metav1::Status st = errdefs::ToKubernetesStatus(err[0].error);
  CHECK(st.code() == 410);
  CHECK(st.reason() == "Expired");
  CHECK((*w_old)->closed());

  // Dropping watches closes them.
  f.store.DropWatches();
  CHECK((*w_all)->closed());
  std::vector<Watcher::Item> rest;
  CHECK_FALSE((*w_all)->Drain(&rest));
}

TEST_CASE("deleting a namespace removes its content") {
  Fixture f;
  VK_REQUIRE_OK(f.store.Create(NsType(), MakeNs("tmp")));
  VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("tmp", "p", "n1")));
  VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("default", "keep", "n1")));
  auto r = f.store.Delete(NsType(), "", "tmp", DeleteRequest{});
  VK_REQUIRE_OK(r);
  CHECK(static_cast<const corev1::Namespace&>(r->object->object()).status().phase() == "Terminating");
  CHECK(errdefs::IsNotFound(f.store.Get(Storage::kNamespace, "", "tmp").status()));
  CHECK(errdefs::IsNotFound(f.store.Get(Storage::kPod, "tmp", "p").status()));
  VK_CHECK_OK(f.store.Get(Storage::kPod, "default", "keep"));
}

TEST_CASE("WaitFor wakes on the change it waits for") {
  Fixture f;
  VK_REQUIRE_OK(f.store.Create(PodType(), MakePod("default", "p", "n1")));
  std::thread writer([&] {
    auto cur = f.store.Get(Storage::kPod, "default", "p");
    auto st = std::make_unique<corev1::Pod>(AsPod(*cur));
    st->mutable_status()->set_phase("Running");
    (void)f.store.Update(PodType(), std::move(st), UpdateMode::kStatus);
  });
  auto v = f.store.WaitFor(
      Storage::kPod, "default", "p",
      [](const google::protobuf::Message* m) {
        return m != nullptr && static_cast<const corev1::Pod*>(m)->status().phase() == "Running";
      },
      absl::Seconds(10));
  writer.join();
  VK_CHECK_OK(v);
  auto timeout = f.store.WaitFor(
      Storage::kPod, "default", "nosuch", [](const google::protobuf::Message* m) { return m != nullptr; },
      absl::Milliseconds(20));
  CHECK(timeout.status().code() == absl::StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace vkubelet::testing::internal

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "kube/patch.h"

#include <doctest/doctest.h>
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <functional>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "k8s.io/api/core/v1/generated.pb.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::internal {
namespace {

using Json = nlohmann::json;

Json J(const char* text) { return Json::parse(text); }

const google::protobuf::Descriptor* PodType() { return k8s::io::api::core::v1::Pod::descriptor(); }
const google::protobuf::Descriptor* NodeType() { return k8s::io::api::core::v1::Node::descriptor(); }

// Applies a strategic merge patch to a Pod and requires success.
Json PatchPod(const Json& pod, const char* patch) {
  absl::StatusOr<Json> out = ApplyStrategicMergePatch(pod, J(patch), PodType());
  REQUIRE_MESSAGE(out.ok(), out.status().ToString());
  return *out;
}

// ---------------------------------------------------------------------------
// RFC 6902
// ---------------------------------------------------------------------------

struct JsonPatchCase {
  const char* name;
  const char* doc;
  const char* patch;
  const char* want;  // nullptr: the patch must fail with 422
};

// RFC 6902 Appendix A (A.13, duplicate members, is a parser matter), then the
// corners the appendix does not show.
const JsonPatchCase kJsonPatchCases[] = {
    {"A.1 add an object member", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])",
     R"({"baz":"qux","foo":"bar"})"},
    {"A.2 add an array element", R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])",
     R"({"foo":["bar","qux","baz"]})"},
    {"A.3 remove an object member", R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])",
     R"({"foo":"bar"})"},
    {"A.4 remove an array element", R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])",
     R"({"foo":["bar","baz"]})"},
    {"A.5 replace a value", R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])",
     R"({"baz":"boo","foo":"bar"})"},
    {"A.6 move a value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
     R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
     R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"},
    {"A.7 move an array element", R"({"foo":["all","grass","cows","eat"]})",
     R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])", R"({"foo":["all","cows","eat","grass"]})"},
    {"A.8 test success", R"({"baz":"qux","foo":["a",2,"c"]})",
     R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
     R"({"baz":"qux","foo":["a",2,"c"]})"},
    {"A.9 test error", R"({"baz":"qux"})", R"([{"op":"test","path":"/baz","value":"bar"}])", nullptr},
    {"A.10 add a nested member object", R"({"foo":"bar"})",
     R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])", R"({"foo":"bar","child":{"grandchild":{}}})"},
    {"A.11 ignore unrecognized elements", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])",
     R"({"foo":"bar","baz":"qux"})"},
    {"A.12 add to a nonexistent target", R"({"foo":"bar"})", R"([{"op":"add","path":"/baz/bat","value":"qux"}])",
     nullptr},
    {"A.14 ~ escape ordering", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])",
     R"({"/":9,"~1":10})"},
    {"A.15 comparing strings and numbers", R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":"10"}])",
     nullptr},
    {"A.16 add an array value", R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
     R"({"foo":["bar",["abc","def"]]})"},

    {"~1 addresses a member with a slash", R"({"metadata":{"labels":{}}})",
     R"([{"op":"add","path":"/metadata/labels/example.com~1zone","value":"a"}])",
     R"({"metadata":{"labels":{"example.com/zone":"a"}}})"},
    {"copy", R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a/b","path":"/c"}])", R"({"a":{"b":[1]},"c":[1]})"},
    {"replace the whole document", R"({"a":1})", R"([{"op":"replace","path":"","value":[1]}])", R"([1])"},
    {"add at the end by index", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])", R"({"a":[1,2]})"},
    {"test of a whole object ignores member order", R"({"a":{"x":1,"y":2}})",
     R"([{"op":"test","path":"/a","value":{"y":2,"x":1}}])", R"({"a":{"x":1,"y":2}})"},
    {"test treats 1 and 1.0 as equal numbers", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
     R"({"a":1})"},
    {"move to the same place", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":1})"},
    {"replace a missing member", R"({"a":1})", R"([{"op":"replace","path":"/b","value":2}])", nullptr},
    {"remove a missing member", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", nullptr},
    {"remove past the end", R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])", nullptr},
    {"add beyond the end", R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":3}])", nullptr},
    {"index with a leading zero", R"({"a":[1,2]})", R"([{"op":"replace","path":"/a/01","value":3}])", nullptr},
    {"remove of -", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", nullptr},
    {"test of a missing path", R"({"a":1})", R"([{"op":"test","path":"/b","value":null}])", nullptr},
    {"move into its own child", R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])", nullptr},
    {"path without leading slash", R"({"a":1})", R"([{"op":"remove","path":"a"}])", nullptr},
    {"bad ~ escape", R"({"a":1})", R"([{"op":"remove","path":"/~2"}])", nullptr},
    {"unknown op", R"({"a":1})", R"([{"op":"frobnicate","path":"/a"}])", nullptr},
    {"missing value", R"({"a":1})", R"([{"op":"add","path":"/b"}])", nullptr},
    {"missing from", R"({"a":1})", R"([{"op":"copy","path":"/b"}])", nullptr},
    {"descend into a scalar", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":1}])", nullptr},
};

TEST_CASE("JSON patch: RFC 6902 examples and corners") {
  for (const JsonPatchCase& c : kJsonPatchCases) {
    CAPTURE(c.name);
    const Json doc = J(c.doc);
    absl::StatusOr<Json> got = ApplyJsonPatch(doc, J(c.patch));
    if (c.want == nullptr) {
      REQUIRE_FALSE(got.ok());
      CHECK(errdefs::HttpStatusCode(got.status()) == 422);
      CHECK(errdefs::Reason(got.status()) == "Invalid");
    } else {
      REQUIRE_MESSAGE(got.ok(), got.status().ToString());
      CHECK(*got == J(c.want));
    }
    CHECK(doc == J(c.doc));
  }
}

TEST_CASE("JSON patch: all or nothing") {
  const Json doc = J(R"({"a":1,"b":[1,2]})");
  absl::StatusOr<Json> got = ApplyJsonPatch(
      doc, J(R"([{"op":"replace","path":"/a","value":2},{"op":"add","path":"/b/0","value":0},
                 {"op":"test","path":"/a","value":3}])"));
  REQUIRE_FALSE(got.ok());
  CHECK(errdefs::HttpStatusCode(got.status()) == 422);
  CHECK(got.status().message().find("operation 2") != absl::string_view::npos);
  CHECK(doc == J(R"({"a":1,"b":[1,2]})"));
}

TEST_CASE("JSON patch: a patch that is not a list of operations is a bad request") {
  for (const char* patch : {R"({"op":"add","path":"/a","value":1})", R"([1])", R"("x")"}) {
    CAPTURE(patch);
    absl::StatusOr<Json> got = ApplyJsonPatch(J(R"({})"), J(patch));
    REQUIRE_FALSE(got.ok());
    CHECK(errdefs::HttpStatusCode(got.status()) == 400);
  }
}

// ---------------------------------------------------------------------------
// RFC 7386
// ---------------------------------------------------------------------------

struct MergePatchCase {
  const char* original;
  const char* patch;
  const char* want;
};

// RFC 7386 Appendix A, every row.
const MergePatchCase kMergePatchCases[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", R"(null)", R"(null)"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
};

TEST_CASE("merge patch: RFC 7386 appendix") {
  for (const MergePatchCase& c : kMergePatchCases) {
    CAPTURE(c.original);
    CAPTURE(c.patch);
    absl::StatusOr<Json> got = ApplyMergePatch(J(c.original), J(c.patch));
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(*got == J(c.want));
  }
}

TEST_CASE("merge patch: RFC 7386 section 3 example, applied and created") {
  const Json target = J(R"({"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
                            "tags":["example","sample"],"content":"This will be unchanged"})");
  const Json patch = J(R"({"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},
                           "tags":["example"]})");
  const Json result = J(R"({"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
                            "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})");
  absl::StatusOr<Json> got = ApplyMergePatch(target, patch);
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  CHECK(*got == result);
  CHECK(CreateMergePatch(target, result) == patch);
}

TEST_CASE("merge patch: created patches are minimal and reproduce the target") {
  const Json original = J(R"({"metadata":{"labels":{"a":"1","b":"2"},"name":"p"},"spec":{"x":[1,2]},"gone":true})");
  const Json modified = J(R"({"metadata":{"labels":{"a":"1","c":"3"},"name":"p"},"spec":{"x":[2]},"new":{"k":"v"}})");
  const Json patch = CreateMergePatch(original, modified);
  CHECK(patch == J(R"({"metadata":{"labels":{"b":null,"c":"3"}},"spec":{"x":[2]},"gone":null,"new":{"k":"v"}})"));
  absl::StatusOr<Json> got = ApplyMergePatch(original, patch);
  REQUIRE(got.ok());
  CHECK(*got == modified);
  CHECK(CreateMergePatch(original, original) == Json::object());
}

TEST_CASE("patches nested deeper than the limit are refused, not crashed on") {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 5000; ++i) deep += "}";
  const Json patch = Json::parse(deep);
  absl::StatusOr<Json> merged = ApplyMergePatch(J("{}"), patch);
  REQUIRE_FALSE(merged.ok());
  CHECK(errdefs::HttpStatusCode(merged.status()) == 400);
  absl::StatusOr<Json> strategic = ApplyStrategicMergePatch(J("{}"), patch, PodType());
  REQUIRE_FALSE(strategic.ok());
  CHECK(errdefs::HttpStatusCode(strategic.status()) == 400);

  // Deep but within the limit: applied, twice so that the second merges
  // level by level into the first.
  std::string ok;
  for (int i = 0; i < 400; ++i) ok += R"({"a":)";
  ok += "1";
  for (int i = 0; i < 400; ++i) ok += "}";
  const Json within = Json::parse(ok);
  absl::StatusOr<Json> once = ApplyStrategicMergePatch(J("{}"), within, PodType());
  REQUIRE_MESSAGE(once.ok(), once.status().ToString());
  absl::StatusOr<Json> twice = ApplyStrategicMergePatch(*once, within, PodType());
  REQUIRE_MESSAGE(twice.ok(), twice.status().ToString());
  CHECK(*twice == within);
  absl::StatusOr<Json> merge = ApplyMergePatch(*once, within);
  REQUIRE(merge.ok());
  CHECK(*merge == within);
}

// ---------------------------------------------------------------------------
// Strategic merge patch: the strategy table against the schema
// ---------------------------------------------------------------------------

TEST_CASE("strategic merge patch: strategies of well-known fields") {
  PatchStrategy conditions = LookupPatchStrategy("k8s.io.api.core.v1.PodStatus", "conditions");
  CHECK(conditions.merge);
  CHECK(conditions.merge_key == "type");
  PatchStrategy volumes = LookupPatchStrategy("k8s.io.api.core.v1.PodSpec", "volumes");
  CHECK(volumes.merge);
  CHECK(volumes.retain_keys);
  CHECK(volumes.merge_key == "name");
  PatchStrategy finalizers = LookupPatchStrategy("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers");
  CHECK(finalizers.merge);
  CHECK(finalizers.merge_key.empty());
  CHECK(LookupPatchStrategy("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "ownerReferences").merge_key == "uid");
  CHECK(LookupPatchStrategy("k8s.io.api.core.v1.NodeStatus", "addresses").merge_key == "type");
  CHECK(LookupPatchStrategy("k8s.io.api.core.v1.Container", "ports").merge_key == "containerPort");
  CHECK(LookupPatchStrategy("k8s.io.api.core.v1.PodSpec", "hostAliases").merge_key == "ip");
  // Atomic lists.
  CHECK_FALSE(LookupPatchStrategy("k8s.io.api.core.v1.PodSpec", "tolerations").merge);
  CHECK_FALSE(LookupPatchStrategy("k8s.io.api.core.v1.Container", "args").merge);
  CHECK_FALSE(LookupPatchStrategy("k8s.io.api.core.v1.PodStatus", "containerStatuses").merge);
  CHECK_FALSE(LookupPatchStrategy("k8s.io.api.core.v1.NodeSpec", "taints").merge);
  CHECK_FALSE(LookupPatchStrategy("k8s.io.api.core.v1.Nope", "conditions").merge);
}

// Whether JSON objects of `message` have member `name`, directly or through a
// field JSON writes inline (EphemeralContainer -> EphemeralContainerCommon).
bool HasMember(const google::protobuf::Descriptor* message, const std::string& name) {
  if (message->FindFieldByName(name) != nullptr) return true;
  for (int i = 0; i < message->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = message->field(i);
    if (!f->is_repeated() && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        f->message_type()->FindFieldByName(name) != nullptr) {
      return true;
    }
  }
  return false;
}

TEST_CASE("strategic merge patch: every table row names a repeated field of the generated schema") {
  // Referencing Pod pulls core/v1 (and the meta/v1 it imports) into the binary.
  REQUIRE(PodType() != nullptr);
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  REQUIRE(pool->FindMessageTypeByName("k8s.io.api.core.v1.Pod") == PodType());
  std::vector<std::pair<std::string, std::string>> rows = PatchStrategyFields();
  CHECK(rows.size() > 25);
  for (const auto& [message, field] : rows) {
    CAPTURE(message);
    CAPTURE(field);
    const google::protobuf::Descriptor* d = pool->FindMessageTypeByName(message);
    REQUIRE(d != nullptr);
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(field);
    REQUIRE(f != nullptr);
    CHECK(f->is_repeated());
    PatchStrategy s = LookupPatchStrategy(message, field);
    CHECK(s.merge);
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      REQUIRE_FALSE(s.merge_key.empty());
      CHECK(HasMember(f->message_type(), s.merge_key));
    } else {
      CHECK(s.merge_key.empty());
    }
  }
}

// ---------------------------------------------------------------------------
// Strategic merge patch: apply
// ---------------------------------------------------------------------------

const char* const kPod = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web", "namespace": "default", "uid": "u-1",
               "labels": {"app": "web", "tier": "front"},
               "finalizers": ["a.example.com/f", "b.example.com/f"]},
  "spec": {
    "nodeName": "vk",
    "containers": [
      {"name": "app", "image": "app:1", "args": ["--x", "--y"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
       "ports": [{"containerPort": 8080, "protocol": "TCP"}]},
      {"name": "sidecar", "image": "side:1"}
    ],
    "volumes": [{"name": "data", "emptyDir": {}}],
    "tolerations": [{"key": "k1", "operator": "Exists"}, {"key": "k2", "operator": "Exists"}]
  },
  "status": {
    "phase": "Running",
    "conditions": [
      {"type": "PodScheduled", "status": "True"},
      {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
      {"type": "example.com/Foreign", "status": "True"}
    ]
  }
})";

TEST_CASE("SMP: conditions merge by type and keep a condition written by someone else") {
  // The kubelet's status patch: only Ready, plus the uid guard.
  Json got = PatchPod(J(kPod), R"({"metadata":{"uid":"u-1"},
      "status":{"conditions":[{"type":"Ready","status":"True","reason":null}]}})");
  CHECK(got["status"]["conditions"] == J(R"([
      {"type": "PodScheduled", "status": "True"},
      {"type": "Ready", "status": "True"},
      {"type": "example.com/Foreign", "status": "True"}])"));
  CHECK(got["metadata"] == J(kPod)["metadata"]);
  CHECK(got["spec"] == J(kPod)["spec"]);
}

TEST_CASE("SMP: a condition the server does not have goes before the server's own, as upstream orders it") {
  Json got = PatchPod(J(kPod), R"({"status":{"conditions":[{"type":"ContainersReady","status":"True"}]}})");
  CHECK(got["status"]["conditions"] == J(R"([
      {"type": "ContainersReady", "status": "True"},
      {"type": "PodScheduled", "status": "True"},
      {"type": "Ready", "status": "False", "reason": "ContainersNotReady"},
      {"type": "example.com/Foreign", "status": "True"}])"));
}

TEST_CASE("SMP: $patch delete removes one condition") {
  Json got = PatchPod(J(kPod), R"({"status":{"conditions":[{"type":"example.com/Foreign","$patch":"delete"}]}})");
  CHECK(got["status"]["conditions"] == J(R"([
      {"type": "PodScheduled", "status": "True"},
      {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}])"));
}

TEST_CASE("SMP: $patch replace on a list and on a map") {
  Json list = PatchPod(J(kPod), R"({"status":{"conditions":[{"$patch":"replace"},{"type":"Ready","status":"True"}]}})");
  CHECK(list["status"]["conditions"] == J(R"([{"type":"Ready","status":"True"}])"));
  Json map = PatchPod(J(kPod), R"({"metadata":{"labels":{"$patch":"replace","only":"this"}}})");
  CHECK(map["metadata"]["labels"] == J(R"({"only":"this"})"));
  Json gone = PatchPod(J(kPod), R"({"metadata":{"labels":{"$patch":"delete"}}})");
  CHECK(gone["metadata"]["labels"] == Json::object());
}

TEST_CASE("SMP: containers merge by name, env by name, atomic lists are replaced") {
  Json got = PatchPod(J(kPod), R"({"spec":{"containers":[
      {"name":"app","image":"app:2","args":["--z"],
       "env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}})");
  Json containers = got["spec"]["containers"];
  REQUIRE(containers.size() == 2);
  CHECK(containers[0]["name"] == "app");
  CHECK(containers[0]["image"] == "app:2");
  CHECK(containers[0]["args"] == J(R"(["--z"])"));
  CHECK(containers[0]["ports"] == J(R"([{"containerPort": 8080, "protocol": "TCP"}])"));
  CHECK(containers[0]["env"] == J(R"([{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}])"));
  CHECK(containers[1] == J(R"({"name": "sidecar", "image": "side:1"})"));

  Json tolerations = PatchPod(J(kPod), R"({"spec":{"tolerations":[{"key":"k3","operator":"Exists"}]}})");
  CHECK(tolerations["spec"]["tolerations"] == J(R"([{"key":"k3","operator":"Exists"}])"));
}

TEST_CASE("SMP: a new container is placed before the existing ones (kubectl patch documents the same)") {
  Json got = PatchPod(J(kPod), R"({"spec":{"containers":[{"name":"extra","image":"redis"}]}})");
  Json containers = got["spec"]["containers"];
  REQUIRE(containers.size() == 3);
  CHECK(containers[0]["name"] == "extra");
  CHECK(containers[1]["name"] == "app");
  CHECK(containers[2]["name"] == "sidecar");
}

TEST_CASE("SMP: ephemeral containers are typed through their inline common part") {
  Json pod = J(kPod);
  pod["spec"]["ephemeralContainers"] = J(R"([{"name":"dbg","image":"busybox","env":[{"name":"A","value":"1"}]}])");
  Json got = PatchPod(pod, R"({"spec":{"ephemeralContainers":[{"name":"dbg","env":[{"name":"B","value":"2"}]}]}})");
  // Merged by name (env kept A), not replaced.
  CHECK(got["spec"]["ephemeralContainers"] ==
        J(R"([{"name":"dbg","image":"busybox","env":[{"name":"B","value":"2"},{"name":"A","value":"1"}]}])"));
}

TEST_CASE("SMP: $retainKeys clears the members it does not name") {
  Json got = PatchPod(J(kPod), R"({"spec":{"volumes":[
      {"name":"data","$retainKeys":["configMap","name"],"configMap":{"name":"cm"}}]}})");
  CHECK(got["spec"]["volumes"] == J(R"([{"name":"data","configMap":{"name":"cm"}}])"));

  absl::StatusOr<Json> bad = ApplyStrategicMergePatch(
      J(kPod), J(R"({"spec":{"volumes":[{"name":"data","$retainKeys":["name"],"configMap":{"name":"cm"}}]}})"),
      PodType());
  REQUIRE_FALSE(bad.ok());
  CHECK(errdefs::HttpStatusCode(bad.status()) == 400);
}

TEST_CASE("SMP: finalizers merge as a set of primitives") {
  Json added = PatchPod(J(kPod), R"({"metadata":{"finalizers":["c.example.com/f","a.example.com/f"]}})");
  // Patch items in patch order, the server-only one after them (upstream order rules).
  CHECK(added["metadata"]["finalizers"] == J(R"(["c.example.com/f","a.example.com/f","b.example.com/f"])"));

  Json removed = PatchPod(J(kPod), R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a.example.com/f","zzz"]}})");
  CHECK(removed["metadata"]["finalizers"] == J(R"(["b.example.com/f"])"));

  Json both = PatchPod(J(kPod), R"({"metadata":{
      "$setElementOrder/finalizers":["b.example.com/f","c.example.com/f"],
      "$deleteFromPrimitiveList/finalizers":["a.example.com/f"],
      "finalizers":["c.example.com/f"]}})");
  CHECK(both["metadata"]["finalizers"] == J(R"(["b.example.com/f","c.example.com/f"])"));
}

TEST_CASE("SMP: upstream's ordering of merged primitive lists") {
  // From upstream's patch tests: [1,2]+[2,3] -> [1,2,3]; [1,2,3]+[3,1] -> [2,3,1].
  Json pod = J(R"({"metadata":{"finalizers":["1","2"]}})");
  CHECK(PatchPod(pod, R"({"metadata":{"finalizers":["2","3"]}})")["metadata"]["finalizers"] ==
        J(R"(["1","2","3"])"));
  pod = J(R"({"metadata":{"finalizers":["1","2","3"]}})");
  CHECK(PatchPod(pod, R"({"metadata":{"finalizers":["3","1"]}})")["metadata"]["finalizers"] ==
        J(R"(["2","3","1"])"));
}

TEST_CASE("SMP: upstream's add-and-delete cases with $setElementOrder keep its exact order") {
  // Upstream "add map and delete map from merging list" (three-way result).
  Json pod = J(R"({"status":{"conditions":[{"type":"1"},{"type":"2","status":"b"},{"type":"4","status":"c"}]}})");
  Json got = PatchPod(pod, R"({"status":{"$setElementOrder/conditions":[{"type":"2"},{"type":"3"}],
      "conditions":[{"type":"3"},{"type":"1","$patch":"delete"}]}})");
  CHECK(got["status"]["conditions"] == J(R"([{"type":"2","status":"b"},{"type":"4","status":"c"},{"type":"3"}])"));
  // ... "with conflict".
  pod = J(R"({"status":{"conditions":[{"type":"1","status":"a"},{"type":"4","status":"c"}]}})");
  got = PatchPod(pod, R"({"status":{"$setElementOrder/conditions":[{"type":"2"},{"type":"3"}],
      "conditions":[{"type":"2"},{"type":"3"},{"type":"1","$patch":"delete"}]}})");
  CHECK(got["status"]["conditions"] == J(R"([{"type":"4","status":"c"},{"type":"2"},{"type":"3"}])"));
  // "merge lists of maps": $setElementOrder wins over everything.
  pod = J(R"({"status":{"conditions":[{"type":"1","status":"a"},{"type":"2","status":"b"}]}})");
  got = PatchPod(pod, R"({"status":{"$setElementOrder/conditions":[{"type":"4"},{"type":"1"},{"type":"2"},{"type":"3"}],
      "conditions":[{"type":"4","status":"d"},{"type":"3","status":"c"}]}})");
  CHECK(got["status"]["conditions"] == J(R"([{"type":"4","status":"d"},{"type":"1","status":"a"},
      {"type":"2","status":"b"},{"type":"3","status":"c"}])"));
}

TEST_CASE("SMP: null deletes a label, maps merge") {
  Json got = PatchPod(J(kPod), R"({"metadata":{"labels":{"tier":null,"new":"x"}}})");
  CHECK(got["metadata"]["labels"] == J(R"({"app":"web","new":"x"})"));
  Json status = PatchPod(J(kPod), R"({"status":{"phase":"Succeeded","podIP":"10.0.0.5"}})");
  CHECK(status["status"]["phase"] == "Succeeded");
  CHECK(status["status"]["podIP"] == "10.0.0.5");
  CHECK(status["status"]["conditions"] == J(kPod)["status"]["conditions"]);
}

TEST_CASE("SMP: unknown fields behave like a plain map and an atomic list") {
  Json once = PatchPod(J(kPod), R"({"spec":{"futureMap":{"a":1,"gone":null},"futureList":[{"k":1}]},
                                      "futureTop":{"x":{"y":null}}})");
  CHECK(once["spec"]["futureMap"] == J(R"({"a":1})"));
  CHECK(once["spec"]["futureList"] == J(R"([{"k":1}])"));
  CHECK(once["futureTop"] == J(R"({"x":{}})"));
  Json twice = PatchPod(once, R"({"spec":{"futureMap":{"b":2},"futureList":[{"k":2}]}})");
  CHECK(twice["spec"]["futureMap"] == J(R"({"a":1,"b":2})"));
  CHECK(twice["spec"]["futureList"] == J(R"([{"k":2}])"));
  // A known field of a type the patch does not match is replaced, as upstream does.
  Json retyped = PatchPod(J(kPod), R"({"spec":{"containers":"oops"}})");
  CHECK(retyped["spec"]["containers"] == "oops");
}

TEST_CASE("SMP: new values lose their directives and nulls") {
  Json pod = J(R"({"metadata":{"name":"p"}})");
  Json got = PatchPod(pod, R"({"spec":{"containers":[{"name":"a","image":null},{"name":"b","$patch":"delete"}]}})");
  CHECK(got["spec"]["containers"] == J(R"([{"name":"a"}])"));
}

TEST_CASE("SMP: node conditions and addresses merge by type") {
  const Json node = J(R"({"metadata":{"name":"vk"},"status":{
      "conditions":[{"type":"Ready","status":"True"},{"type":"example.com/Disk","status":"False"}],
      "addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"vk"}]}})");
  absl::StatusOr<Json> got = ApplyStrategicMergePatch(
      node, J(R"({"status":{"conditions":[{"type":"Ready","status":"False"}],
                            "addresses":[{"type":"InternalIP","address":"10.0.0.2"}]}})"),
      NodeType());
  REQUIRE_MESSAGE(got.ok(), got.status().ToString());
  CHECK((*got)["status"]["conditions"] ==
        J(R"([{"type":"Ready","status":"False"},{"type":"example.com/Disk","status":"False"}])"));
  CHECK((*got)["status"]["addresses"] ==
        J(R"([{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"vk"}])"));
}

TEST_CASE("SMP: without a schema everything is a plain map or an atomic list") {
  absl::StatusOr<Json> got = ApplyStrategicMergePatch(J(kPod), J(R"({"status":{"conditions":[{"type":"Ready"}]}})"),
                                                      nullptr);
  REQUIRE(got.ok());
  CHECK((*got)["status"]["conditions"] == J(R"([{"type":"Ready"}])"));
}

TEST_CASE("SMP: malformed patches are bad requests") {
  struct Bad {
    const char* patch;
    int http;
  };
  const Bad cases[] = {
      {R"({"status":{"conditions":[{"status":"True"}]}})", 400},                  // no merge key
      {R"({"status":{"conditions":[{"type":"Ready","$patch":"merge"}]}})", 400},  // not supported upstream
      {R"({"status":{"conditions":[{"type":"Ready","$patch":"explode"}]}})", 400},
      {R"({"metadata":{"labels":{"$patch":"explode"}}})", 400},
      {R"({"status":{"conditions":["Ready"]}})", 400},  // element kinds differ
      {R"({"status":{"conditions":[["Ready"]]}})", 400},
      {R"({"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}})", 400},
      {R"({"status":{"$setElementOrder/conditions":[{"type":"Ready"}],
                     "conditions":[{"type":"PodScheduled"},{"type":"Ready"}]}})", 400},  // order mismatch
      {R"({"status":{"$setElementOrder/conditions":{"type":"Ready"}}})", 400},
      {R"({"spec":{"volumes":[{"name":"data","$retainKeys":"name"}]}})", 400},
      {R"([1])", 400},
  };
  for (const Bad& c : cases) {
    CAPTURE(c.patch);
    absl::StatusOr<Json> got = ApplyStrategicMergePatch(J(kPod), J(c.patch), PodType());
    REQUIRE_FALSE(got.ok());
    CHECK(errdefs::HttpStatusCode(got.status()) == c.http);
  }
  // Lists of lists are refused with 422, as kube-apiserver does.
  Json pod = J(kPod);
  pod["status"]["conditions"] = Json::array();
  absl::StatusOr<Json> lists = ApplyStrategicMergePatch(pod, J(R"({"status":{"conditions":[["Ready"]]}})"), PodType());
  REQUIRE_FALSE(lists.ok());
  CHECK(errdefs::HttpStatusCode(lists.status()) == 422);
}

TEST_CASE("ApplyPatch parses the body and dispatches on the content type") {
  const Json doc = J(R"({"metadata":{"labels":{"a":"1"}},"status":{"conditions":[{"type":"Ready","status":"False"}]}})");
  auto type = PatchTypeFromContentType("application/strategic-merge-patch+json; charset=utf-8");
  REQUIRE(type.ok());
  CHECK(*type == PatchType::kStrategicMergePatch);
  CHECK(ContentTypeOf(*type) == "application/strategic-merge-patch+json");
  absl::StatusOr<Json> smp =
      ApplyPatch(*type, doc, R"({"status":{"conditions":[{"type":"X","status":"True"}]}})", PodType());
  REQUIRE(smp.ok());
  CHECK((*smp)["status"]["conditions"].size() == 2);
  absl::StatusOr<Json> merge = ApplyPatch(PatchType::kMergePatch, doc,
                                          R"({"status":{"conditions":[{"type":"X","status":"True"}]}})", nullptr);
  REQUIRE(merge.ok());
  CHECK((*merge)["status"]["conditions"].size() == 1);
  absl::StatusOr<Json> json =
      ApplyPatch(PatchType::kJsonPatch, doc, R"([{"op":"remove","path":"/metadata/labels/a"}])", nullptr);
  REQUIRE(json.ok());
  CHECK((*json)["metadata"]["labels"] == Json::object());

  CHECK(errdefs::HttpStatusCode(ApplyPatch(PatchType::kMergePatch, doc, "{not json", nullptr).status()) == 400);
  CHECK(errdefs::IsUnimplemented(ApplyPatch(PatchType::kApplyPatch, doc, "{}", nullptr).status()));
  CHECK(errdefs::IsInvalidInput(PatchTypeFromContentType("text/plain").status()));
  CHECK(*PatchTypeFromContentType("Application/JSON-Patch+JSON") == PatchType::kJsonPatch);
  CHECK(*PatchTypeFromContentType("application/merge-patch+json") == PatchType::kMergePatch);
}

// ---------------------------------------------------------------------------
// Strategic merge patch: create
// ---------------------------------------------------------------------------

TEST_CASE("create SMP: the patch a status update sends") {
  Json modified = J(kPod);
  modified["status"]["conditions"][1] = J(R"({"type":"Ready","status":"True"})");
  absl::StatusOr<Json> patch = CreateStrategicMergePatch(J(kPod), modified, PodType());
  REQUIRE_MESSAGE(patch.ok(), patch.status().ToString());
  CHECK(*patch == J(R"({"status":{
      "$setElementOrder/conditions":[{"type":"PodScheduled"},{"type":"Ready"},{"type":"example.com/Foreign"}],
      "conditions":[{"type":"Ready","status":"True","reason":null}]}})"));
}

TEST_CASE("create SMP: deletions in every list flavour") {
  Json modified = J(kPod);
  modified["metadata"]["labels"].erase("tier");
  modified["metadata"]["finalizers"] = J(R"(["b.example.com/f"])");
  modified["spec"]["containers"].erase(1);
  modified["spec"]["volumes"][0] = J(R"({"name":"data","configMap":{"name":"cm"}})");
  absl::StatusOr<Json> patch = CreateStrategicMergePatch(J(kPod), modified, PodType());
  REQUIRE_MESSAGE(patch.ok(), patch.status().ToString());
  CHECK(*patch == J(R"({
      "metadata":{"labels":{"tier":null},
                  "$deleteFromPrimitiveList/finalizers":["a.example.com/f"],
                  "$setElementOrder/finalizers":["b.example.com/f"]},
      "spec":{"$setElementOrder/containers":[{"name":"app"}],
              "containers":[{"name":"sidecar","$patch":"delete"}],
              "$setElementOrder/volumes":[{"name":"data"}],
              "volumes":[{"name":"data","$retainKeys":["configMap","name"],"configMap":{"name":"cm"},"emptyDir":null}]}})"));
  absl::StatusOr<Json> applied = ApplyStrategicMergePatch(J(kPod), *patch, PodType());
  REQUIRE(applied.ok());
  CHECK(*applied == modified);
}

TEST_CASE("create SMP: identical documents give an empty patch; lists without strategy are sent whole") {
  absl::StatusOr<Json> none = CreateStrategicMergePatch(J(kPod), J(kPod), PodType());
  REQUIRE(none.ok());
  CHECK(*none == Json::object());
  Json modified = J(kPod);
  modified["spec"]["tolerations"].erase(0);
  absl::StatusOr<Json> patch = CreateStrategicMergePatch(J(kPod), modified, PodType());
  REQUIRE(patch.ok());
  CHECK(*patch == J(R"({"spec":{"tolerations":[{"key":"k2","operator":"Exists"}]}})"));
  CHECK(errdefs::IsInvalidInput(CreateStrategicMergePatch(J("[]"), J("{}"), PodType()).status()));
}

// Random documents and random edits; the created patch must turn each
// original into its modified copy exactly (order of every list included).
class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  int Below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool Chance(int percent) { return Below(100) < percent; }

  template <typename T>
  void Shuffle(std::vector<T>& v) {
    std::shuffle(v.begin(), v.end(), rng_);
  }

  // Distinct names from a small alphabet so that edits collide with
  // existing items often.
  std::vector<std::string> Names(const char* prefix, int max) {
    std::vector<std::string> all;
    for (int i = 0; i < 8; ++i) all.push_back(prefix + std::to_string(i));
    Shuffle(all);
    all.resize(static_cast<size_t>(Below(max + 1)));
    return all;
  }

  Json Labels() {
    Json labels = Json::object();
    for (const std::string& k : Names("k", 4)) labels[k] = "v" + std::to_string(Below(3));
    return labels;
  }

  Json Conditions(const char* prefix) {
    Json out = Json::array();
    for (const std::string& t : Names(prefix, 5)) {
      Json c = {{"type", t}, {"status", Chance(50) ? "True" : "False"}};
      if (Chance(40)) c["reason"] = "R" + std::to_string(Below(3));
      out.push_back(c);
    }
    return out;
  }

  Json Container(const std::string& name) {
    Json c = {{"name", name}, {"image", "img:" + std::to_string(Below(3))}};
    if (Chance(50)) {
      Json env = Json::array();
      for (const std::string& e : Names("E", 4)) env.push_back({{"name", e}, {"value", std::to_string(Below(3))}});
      c["env"] = env;
    }
    if (Chance(40)) {
      Json ports = Json::array();
      for (int p : {80, 443, 8080}) {
        if (Chance(50)) ports.push_back({{"containerPort", p}, {"protocol", "TCP"}});
      }
      c["ports"] = ports;
    }
    if (Chance(40)) c["args"] = Json::array({"--a=" + std::to_string(Below(3)), "--b"});
    return c;
  }

  Json Containers() {
    Json out = Json::array();
    for (const std::string& n : Names("c", 4)) out.push_back(Container(n));
    return out;
  }

  Json Pod() {
    Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
    pod["metadata"] = {{"name", "p"}, {"namespace", "default"}, {"uid", "u"}};
    if (Chance(80)) pod["metadata"]["labels"] = Labels();
    if (Chance(60)) pod["metadata"]["finalizers"] = Json(Names("f", 3));
    pod["spec"] = {{"nodeName", "vk"}, {"containers", Containers()}};
    if (Chance(50)) {
      Json volumes = Json::array();
      for (const std::string& v : Names("vol", 3)) {
        volumes.push_back(Chance(50) ? Json{{"name", v}, {"emptyDir", Json::object()}}
                                     : Json{{"name", v}, {"configMap", {{"name", "cm" + std::to_string(Below(2))}}}});
      }
      pod["spec"]["volumes"] = volumes;
    }
    pod["status"] = {{"phase", "Running"}, {"conditions", Conditions("C")}};
    return pod;
  }

  Json Node() {
    Json node = {{"apiVersion", "v1"}, {"kind", "Node"}};
    node["metadata"] = {{"name", "vk"}};
    if (Chance(80)) node["metadata"]["labels"] = Labels();
    node["spec"] = Json::object();
    if (Chance(50)) node["spec"]["podCIDRs"] = Json(Names("10.0.", 3));
    if (Chance(50)) {
      Json taint = {{"key", "t" + std::to_string(Below(3))}, {"effect", "NoSchedule"}};
      node["spec"]["taints"] = Json::array({taint});
    }
    node["status"] = {{"conditions", Conditions("N")}};
    Json addresses = Json::array();
    for (const std::string& t : Names("Addr", 3)) addresses.push_back({{"type", t}, {"address", std::to_string(Below(9))}});
    node["status"]["addresses"] = addresses;
    node["status"]["capacity"] = {{"cpu", std::to_string(1 + Below(8))}, {"pods", "110"}};
    return node;
  }

  // Edits a list of keyed objects: drop, change, add, reorder.
  void EditList(Json& list, const char* key, const std::function<Json(const std::string&)>& make) {
    Json out = Json::array();
    for (Json& item : list) {
      if (Chance(20)) continue;
      if (Chance(30)) {
        Json fresh = make(item[key].get<std::string>());
        for (auto it = fresh.begin(); it != fresh.end(); ++it) item[it.key()] = *it;
      }
      out.push_back(item);
    }
    if (Chance(40)) {
      std::string name = std::string("new") + std::to_string(Below(100));
      bool taken = false;
      for (const Json& item : out) taken = taken || item[key] == name;
      if (!taken) out.insert(out.begin() + Below(static_cast<int>(out.size()) + 1), make(name));
    }
    if (Chance(25)) std::shuffle(out.begin(), out.end(), rng_);
    list = out;
  }

  void EditMap(Json& parent, const char* key) {
    if (Chance(10)) {
      parent.erase(key);
      return;
    }
    if (!parent.contains(key)) {
      if (Chance(50)) parent[key] = Labels();
      return;
    }
    Json& map = parent[key];
    for (const std::string& k : Names("k", 3)) {
      if (Chance(40)) {
        map.erase(k);
      } else {
        map[k] = "w" + std::to_string(Below(3));
      }
    }
  }

  void EditStrings(Json& parent, const char* key, const char* prefix) {
    if (Chance(10)) {
      parent.erase(key);
      return;
    }
    std::vector<std::string> values = Names(prefix, 4);
    if (parent.contains(key) && Chance(50)) {
      values = parent[key].get<std::vector<std::string>>();
      if (!values.empty() && Chance(50)) values.erase(values.begin() + Below(static_cast<int>(values.size())));
      std::string extra = std::string(prefix) + "x" + std::to_string(Below(3));
      if (Chance(50) && std::find(values.begin(), values.end(), extra) == values.end()) values.push_back(extra);
      if (Chance(30)) Shuffle(values);
    }
    parent[key] = values;
  }

  Json EditPod(Json pod) {
    EditMap(pod["metadata"], "labels");
    if (Chance(50)) EditStrings(pod["metadata"], "finalizers", "f");
    EditList(pod["status"]["conditions"], "type", [this](const std::string& t) {
      return Json{{"type", t}, {"status", Chance(50) ? "True" : "Unknown"}};
    });
    if (Chance(70)) {
      EditList(pod["spec"]["containers"], "name", [this](const std::string& n) {
        Json c = Container(n);
        if (c.contains("env") && !c["env"].empty() && Chance(50)) c["env"].erase(0);
        return c;
      });
    }
    if (pod["spec"].contains("volumes") && Chance(50)) {
      for (Json& v : pod["spec"]["volumes"]) {
        if (Chance(50)) {
          std::string name = v["name"];
          v = Chance(50) ? Json{{"name", name}, {"hostPath", {{"path", "/tmp"}}}} : Json{{"name", name}, {"emptyDir", Json::object()}};
        }
      }
    }
    if (Chance(20)) pod["status"]["phase"] = "Succeeded";
    return pod;
  }

  Json EditNode(Json node) {
    EditMap(node["metadata"], "labels");
    if (Chance(50)) EditStrings(node["spec"], "podCIDRs", "10.1.");
    if (Chance(30)) {
      Json taint = {{"key", "t9"}, {"effect", "NoExecute"}};
      node["spec"]["taints"] = Json::array({taint});
    }
    EditList(node["status"]["conditions"], "type", [this](const std::string& t) {
      return Json{{"type", t}, {"status", Chance(50) ? "True" : "False"}, {"message", "m" + std::to_string(Below(3))}};
    });
    EditList(node["status"]["addresses"], "type", [this](const std::string& t) {
      return Json{{"type", t}, {"address", "a" + std::to_string(Below(9))}};
    });
    if (Chance(30)) node["status"]["capacity"]["cpu"] = std::to_string(1 + Below(8));
    return node;
  }

 private:
  std::mt19937 rng_;
};

// How often each directive showed up in the created patches, so that the
// property tests prove they exercised every kind of patch.
struct DirectiveCounts {
  int set_element_order = 0;
  int delete_item = 0;
  int delete_from_primitive_list = 0;
  int retain_keys = 0;
  int null_member = 0;

  void Count(const std::string& patch) {
    set_element_order += patch.find("$setElementOrder/") != std::string::npos;
    delete_item += patch.find(R"("$patch":"delete")") != std::string::npos;
    delete_from_primitive_list += patch.find("$deleteFromPrimitiveList/") != std::string::npos;
    retain_keys += patch.find("$retainKeys") != std::string::npos;
    null_member += patch.find(":null") != std::string::npos;
  }
};

void CheckRoundTrip(const Json& original, const Json& modified, const google::protobuf::Descriptor* type,
                    DirectiveCounts* counts) {
  absl::StatusOr<Json> patch = CreateStrategicMergePatch(original, modified, type);
  REQUIRE_MESSAGE(patch.ok(), patch.status().ToString());
  counts->Count(patch->dump());
  absl::StatusOr<Json> applied = ApplyStrategicMergePatch(original, *patch, type);
  REQUIRE_MESSAGE(applied.ok(), applied.status().ToString() << "\npatch: " << patch->dump());
  CHECK_MESSAGE(*applied == modified, "original: " << original.dump() << "\npatch: " << patch->dump()
                                                   << "\ngot: " << applied->dump() << "\nwant: " << modified.dump());
  // The reverse direction too, which exercises additions where the forward
  // one exercised deletions.
  absl::StatusOr<Json> back = CreateStrategicMergePatch(modified, original, type);
  REQUIRE_MESSAGE(back.ok(), back.status().ToString());
  counts->Count(back->dump());
  absl::StatusOr<Json> restored = ApplyStrategicMergePatch(modified, *back, type);
  REQUIRE_MESSAGE(restored.ok(), restored.status().ToString());
  CHECK_MESSAGE(*restored == original, "patch: " << back->dump() << "\ngot: " << restored->dump());
}

TEST_CASE("create SMP: applying the created patch to the original gives the modified pod") {
  Generator gen(20260701);
  DirectiveCounts counts;
  for (int i = 0; i < 40; ++i) {
    CAPTURE(i);
    Json original = gen.Pod();
    Json modified = gen.EditPod(original);
    CheckRoundTrip(original, modified, PodType(), &counts);
  }
  CHECK(counts.set_element_order > 10);
  CHECK(counts.delete_item > 5);
  CHECK(counts.delete_from_primitive_list > 3);
  CHECK(counts.retain_keys > 3);
  CHECK(counts.null_member > 5);
}

TEST_CASE("create SMP: applying the created patch to the original gives the modified node") {
  Generator gen(424242);
  DirectiveCounts counts;
  for (int i = 0; i < 30; ++i) {
    CAPTURE(i);
    Json original = gen.Node();
    Json modified = gen.EditNode(original);
    CheckRoundTrip(original, modified, NodeType(), &counts);
  }
  CHECK(counts.set_element_order > 10);
  CHECK(counts.delete_item > 5);
  CHECK(counts.delete_from_primitive_list > 3);
}

}  // namespace
}  // namespace vkubelet::internal

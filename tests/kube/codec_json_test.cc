// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Kubernetes JSON mapping: special types, presence rules, and bad input
// (each error names the JSON path).

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "codec_test_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

using nlohmann::json;

template <typename T>
T MustDecode(const std::string& text) {
  T msg;
  absl::Status s = DecodeJson(text, &msg);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return msg;
}

void CheckError(const absl::Status& s, const std::string& fragment) {
  CAPTURE(s.ToString());
  REQUIRE(!s.ok());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find(fragment) != std::string::npos);
}

TEST_CASE("special types decode to their protobuf form") {
  auto pod = MustDecode<corev1::Pod>(R"({
    "metadata": {"name": "p", "creationTimestamp": "2024-05-01T12:00:00Z", "generation": 3},
    "spec": {"containers": [{
      "name": "c",
      "ports": [{"containerPort": 80}],
      "resources": {"limits": {"cpu": "1500m", "memory": 1073741824}},
      "livenessProbe": {"httpGet": {"port": "http"}},
      "readinessProbe": {"tcpSocket": {"port": 8080}}
    }]}
  })");
  CHECK(pod.metadata().creationtimestamp().seconds() == 1714564800);
  CHECK(pod.metadata().generation() == 3);
  const auto& c = pod.spec().containers(0);
  CHECK(c.resources().limits().at("cpu").string() == "1500m");
  CHECK(c.resources().limits().at("memory").string() == "1073741824");  // a JSON number is accepted
  // IntOrString: Go writes all three fields, and so do we.
  const auto& named = c.livenessprobe().handler().httpget().port();
  CHECK(named.type() == 1);
  CHECK(named.strval() == "http");
  CHECK(named.has_intval());
  const auto& numeric = c.readinessprobe().handler().tcpsocket().port();
  CHECK(numeric.type() == 0);
  CHECK(numeric.intval() == 8080);
  // The quantity number comes back as a string (the API server canonicalises).
  json back = ToJsonValue(pod);
  CHECK(back["spec"]["containers"][0]["resources"]["limits"]["memory"] == "1073741824");
  CHECK(back["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] == "http");
  CHECK(back["spec"]["containers"][0]["readinessProbe"]["tcpSocket"]["port"] == 8080);
}

TEST_CASE("MicroTime keeps microseconds, Time keeps seconds") {
  auto lease = MustDecode<coordinationv1::Lease>(
      R"({"spec":{"renewTime":"2026-11-27T02:37:36.017953789Z","acquireTime":"2026-11-27T02:37:36Z"}})");
  CHECK(lease.spec().renewtime().nanos() == 17953000);
  json j = ToJsonValue(lease);
  CHECK(j["spec"]["renewTime"] == "2026-11-27T02:37:36.017953Z");
  CHECK(j["spec"]["acquireTime"] == "2026-11-27T02:37:36.000000Z");

  auto pod = MustDecode<corev1::Pod>(R"({"metadata":{"creationTimestamp":"2024-05-01T12:00:00.75+01:00"}})");
  CHECK(ToJsonValue(pod)["metadata"]["creationTimestamp"] == "2024-05-01T11:00:00Z");
}

TEST_CASE("null: a zero Time round-trips as null, anything else is unset") {
  auto pod = MustDecode<corev1::Pod>(
      R"({"metadata":{"name":"p","creationTimestamp":null,"labels":null,"deletionGracePeriodSeconds":null},"status":{}})");
  CHECK(pod.metadata().has_creationtimestamp());
  CHECK(!pod.metadata().creationtimestamp().has_seconds());
  CHECK(pod.metadata().labels().empty());
  CHECK(!pod.metadata().has_deletiongraceperiodseconds());
  CHECK(pod.has_status());
  CHECK(EncodeJson(pod) == R"({"metadata":{"name":"p","creationTimestamp":null},"status":{}})");
}

TEST_CASE("presence: set zero values are written, unset fields are not") {
  corev1::Pod pod;
  pod.mutable_spec()->set_automountserviceaccounttoken(false);
  pod.mutable_spec()->set_terminationgraceperiodseconds(0);
  pod.mutable_spec()->add_containers()->set_name("");
  CHECK(EncodeJson(pod) ==
        R"({"spec":{"containers":[{"name":""}],"terminationGracePeriodSeconds":0,"automountServiceAccountToken":false}})");
  // A list's items are written even when empty, as the API server does.
  CHECK(EncodeJson(corev1::PodList(), "v1", "PodList") == R"({"kind":"PodList","apiVersion":"v1","items":[]})");
}

TEST_CASE("bytes and maps: Secret data is base64, keys are sorted") {
  corev1::Secret secret;
  (*secret.mutable_data())["zeta"] = std::string("\x00\xff", 2);
  (*secret.mutable_data())["alpha"] = "secret";
  CHECK(EncodeJson(secret, "v1", "Secret") ==
        R"({"kind":"Secret","apiVersion":"v1","data":{"alpha":"c2VjcmV0","zeta":"AP8="}})");
  auto back = MustDecode<corev1::Secret>(EncodeJson(secret));
  CHECK(back.data().at("zeta") == std::string("\x00\xff", 2));
}

TEST_CASE("Go string escaping") {
  corev1::ConfigMap cm;
  (*cm.mutable_data())["k"] = std::string("<a&b>\"\\\n\t\x01\xe2\x80\xa8 caf\xc3\xa9 \xff");
  std::string text = EncodeJson(cm);
  CHECK(text == "{\"data\":{\"k\":\"\\u003ca\\u0026b\\u003e\\\"\\\\\\n\\t\\u0001\\u2028 caf\xc3\xa9 \\ufffd\"}}");
  // ToJsonValue keeps the value dump()-able even for invalid UTF-8, in keys too.
  CHECK_NOTHROW((void)ToJsonValue(cm).dump());
  (*cm.mutable_data())["bad\xffkey"] = "v";
  CHECK_NOTHROW((void)ToJsonValue(cm).dump());
  CHECK(ToJsonValue(cm)["data"].contains("bad\xEF\xBF\xBDkey"));
}

TEST_CASE("RawExtension, FieldsV1 and string lists are inline JSON") {
  auto list = MustDecode<metav1::List>(R"({"items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}]})");
  REQUIRE(list.items_size() == 1);
  // Kept as compact JSON text (keys sorted: DecodeJson parses into nlohmann::json).
  CHECK(list.items(0).raw() == R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}})");
  CHECK(ToJsonValue(list)["items"][0]["metadata"]["name"] == "a");

  // A RawExtension holding a protobuf envelope (as in a protobuf List) shows as its object.
  metav1::List pb_list;
  auto env = EncodeProtobuf(corev1::Pod(), "v1", "Pod");
  VK_REQUIRE_OK(env);
  pb_list.add_items()->set_raw(*env);
  CHECK(ToJsonValue(pb_list)["items"][0] == json::parse(R"({"kind":"Pod","apiVersion":"v1"})"));
  // Bytes that are neither JSON nor a known envelope cannot be shown: null.
  pb_list.mutable_items(0)->set_raw("\x01\x02");
  CHECK(ToJsonValue(pb_list)["items"][0].is_null());

  auto pod = MustDecode<corev1::Pod>(
      R"({"metadata":{"managedFields":[{"manager":"m","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{".":{}}}}]}})");
  CHECK(pod.metadata().managedfields(0).fieldsv1().raw() == R"({"f:spec":{".":{}}})");

  auto review = MustDecode<authenticationv1::TokenReview>(
      R"({"status":{"user":{"username":"u","extra":{"scopes":["a","b"]}}}})");
  CHECK(review.status().user().extra().at("scopes").items_size() == 2);
  CHECK(ToJsonValue(review)["status"]["user"]["extra"]["scopes"] == json::parse(R"(["a","b"])"));
}

TEST_CASE("Duration is a Go duration string") {
  metav1::Duration d;
  d.set_duration(90'000'000'000);
  CHECK(EncodeJson(d) == R"("1m30s")");
  auto back = MustDecode<metav1::Duration>(R"("1h2m3.5s")");
  CHECK(back.duration() == 3723'500'000'000);
  metav1::Duration bad;
  CheckError(DecodeJson(R"("90")", &bad), "JSON <root>: invalid duration \"90\"");
  CheckError(DecodeJson("90", &bad), "JSON <root>: expected a duration string");
}

TEST_CASE("kind and apiVersion go to TypeMeta; items may carry them") {
  corev1::PodList list;
  TypeMeta tm;
  VK_REQUIRE_OK(DecodeJson(
      R"({"kind":"PodList","apiVersion":"v1","items":[{"kind":"Pod","apiVersion":"v1","metadata":{"name":"a"}}]})",
      &list, &tm, {.unknown_fields = JsonDecodeOptions::UnknownFields::kReject}));
  CHECK(tm.kind == "PodList");
  CHECK(list.items(0).metadata().name() == "a");
  // Fields of their own named kind/apiVersion are ordinary fields.
  auto ref = MustDecode<metav1::OwnerReference>(R"({"apiVersion":"v1","kind":"Node","name":"n"})");
  CHECK(ref.name() == "n");
}

TEST_CASE("unknown fields: ignored, reported or rejected") {
  const char* text = R"({"metadata":{"name":"a","fancy":1},"spec":{"containers":[{"name":"c","newField":{}}]}})";
  corev1::Pod pod;
  std::vector<std::string> paths;
  VK_REQUIRE_OK(DecodeJson(text, &pod, nullptr, {.unknown_paths = &paths}));
  CHECK(pod.spec().containers(0).name() == "c");
  CHECK(paths == std::vector<std::string>{"metadata.fancy", "spec.containers[0].newField"});
  CheckError(DecodeJson(text, &pod, nullptr, {.unknown_fields = JsonDecodeOptions::UnknownFields::kReject}),
             "JSON metadata.fancy: unknown field");
}

TEST_CASE("bad input names the path") {
  struct Case {
    const char* json;
    const char* fragment;
  } cases[] = {
      {R"({"spec":"x"})", "JSON spec: expected an object, got string"},
      {R"({"metadata":{"name":5}})", "JSON metadata.name: expected a string, got integer"},
      {R"({"metadata":{"labels":["a"]}})", "JSON metadata.labels: expected an object, got array"},
      {R"({"metadata":{"labels":{"a":1}}})", "JSON metadata.labels[a]: expected a string, got integer"},
      {R"({"metadata":{"finalizers":"x"}})", "JSON metadata.finalizers: expected an array, got string"},
      {R"({"metadata":{"generation":"3"}})", "JSON metadata.generation: expected an integer, got string"},
      {R"({"metadata":{"generation":1.5}})", "JSON metadata.generation: expected an integer, got number"},
      {R"({"metadata":{"creationTimestamp":"yesterday"}})", "JSON metadata.creationTimestamp: invalid time"},
      {R"({"metadata":{"creationTimestamp":1714564800}})",
       "JSON metadata.creationTimestamp: expected an RFC 3339 time string, got integer"},
      {R"({"spec":{"containers":[{"name":"c"},{"ports":[{"containerPort":4294967296}]}]}})",
       "JSON spec.containers[1].ports[0].containerPort: number 4294967296 is out of range"},
      {R"({"spec":{"containers":[{"stdin":"yes"}]}})", "JSON spec.containers[0].stdin: expected a boolean"},
      {R"({"spec":{"containers":[{"resources":{"limits":{"memory":"1.2.3Gi"}}}]}})",
       "JSON spec.containers[0].resources.limits[memory]: invalid quantity \"1.2.3Gi\""},
      {R"({"spec":{"containers":[{"resources":{"limits":{"cpu":""}}}]}})", "invalid quantity \"\""},
      {R"({"spec":{"containers":[{"resources":{"limits":{"cpu":true}}}]}})",
       "expected a quantity string like \"100m\" or a number, got boolean"},
      {R"({"spec":{"containers":[{"livenessProbe":{"httpGet":{"port":80.5}}}]}})",
       "JSON spec.containers[0].livenessProbe.httpGet.port: expected an integer or a string, got number"},
      {R"({"spec":{"containers":[{"livenessProbe":{"httpGet":{"port":{}}}}]}})",
       "expected an integer or a string, got object"},
      {R"({"spec":{"volumes":[{"name":"v","configMap":{"name":7}}]}})",
       "JSON spec.volumes[0].configMap.name: expected a string, got integer"},
      {"[]", "JSON <root>: expected an object, got array"},
      {R"({"kind":5})", "JSON kind: expected a string"},
      {"{\"metadata\":", "invalid JSON: "},
      {"", "invalid JSON"},
  };
  for (const Case& c : cases) {
    corev1::Pod pod;
    CAPTURE(c.json);
    CheckError(DecodeJson(c.json, &pod), c.fragment);
  }
  corev1::Secret secret;
  CheckError(DecodeJson(R"({"data":{"k":"not base64!"}})", &secret), "JSON data[k]: invalid base64");
  metav1::Status status;
  CheckError(DecodeJson(R"({"details":{"causes":{"reason":"x"}}})", &status),
             "JSON details.causes: expected an array, got object");
}

TEST_CASE("deeply nested input is refused, not recursed into") {
  std::string deep(100000, '[');
  corev1::Pod pod;
  CheckError(DecodeJson(deep, &pod), "nested deeper");
  std::string raw = R"({"items":[)" + std::string(5000, '[') + std::string(5000, ']') + "]}";
  metav1::List list;
  CheckError(DecodeJson(raw, &list), "nested deeper");
}

}  // namespace
}  // namespace vkubelet::kube

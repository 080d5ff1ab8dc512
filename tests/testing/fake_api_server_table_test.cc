// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeApiServer's server-side printing: the meta.k8s.io/v1 Table kubectl asks
// for, with the columns kubectl shows for pods and nodes.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "internal/http/client.h"
#include "nlohmann/json.hpp"
#include "testing/table.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_api_server.h"
#include "vkubelet/testing/fake_clock.h"

namespace {

using json = nlohmann::json;
using namespace vkubelet;
namespace http = vkubelet::internal::http;
using testing::internal::HumanDuration;

constexpr char kKubectlAccept[] =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";

struct Server {
  testing::FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<testing::FakeApiServer> api;
  std::unique_ptr<http::Client> client;

  Server() {
    testing::FakeApiServerOptions o;
    o.clock = &clock;
    auto s = testing::FakeApiServer::Start(o);
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    api = *std::move(s);
    http::ClientOptions co;
    co.port = api->port();
    auto c = http::Client::Create(co);
    REQUIRE(c.ok());
    client = *std::move(c);
  }

  http::ClientResponse Get(const std::string& target, const std::string& accept = kKubectlAccept) {
    http::ClientRequest r;
    r.method = "GET";
    r.target = target;
    r.headers.Add("Accept", accept);
    auto resp = client->Do(Context::Background().WithTimeout(absl::Seconds(10)), r);
    REQUIRE_MESSAGE(resp.ok(), resp.status().ToString());
    return *resp;
  }
};

// The cells of the row named `name`, keyed by column name.
std::map<std::string, json> Row(const json& table, const std::string& name) {
  std::map<std::string, json> out;
  for (const auto& row : table["rows"]) {
    if (row["object"]["metadata"]["name"] != name) continue;
    for (size_t i = 0; i < table["columnDefinitions"].size(); ++i) {
      out[table["columnDefinitions"][i]["name"]] = row["cells"][i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("HumanDuration matches kubectl's age format") {
  CHECK(HumanDuration(absl::Seconds(-5)) == "<invalid>");
  CHECK(HumanDuration(absl::Milliseconds(-500)) == "0s");
  CHECK(HumanDuration(absl::Seconds(45)) == "45s");
  CHECK(HumanDuration(absl::Seconds(119)) == "119s");
  CHECK(HumanDuration(absl::Seconds(200)) == "3m20s");
  CHECK(HumanDuration(absl::Minutes(5)) == "5m");
  CHECK(HumanDuration(absl::Minutes(42)) == "42m");
  CHECK(HumanDuration(absl::Hours(5) + absl::Minutes(7)) == "5h7m");
  CHECK(HumanDuration(absl::Hours(30)) == "30h");
  CHECK(HumanDuration(absl::Hours(24 * 3 + 4)) == "3d4h");
  CHECK(HumanDuration(absl::Hours(24 * 40)) == "40d");
  CHECK(HumanDuration(absl::Hours(24 * (365 * 3 + 10))) == "3y10d");
}

TEST_CASE("WantsTable follows the order of the Accept header") {
  CHECK(testing::internal::WantsTable(kKubectlAccept));
  CHECK(testing::internal::WantsTable("application/json;as=Table;v=v1beta1;g=meta.k8s.io"));
  CHECK_FALSE(testing::internal::WantsTable("application/json"));
  CHECK_FALSE(testing::internal::WantsTable("application/json, application/json;as=Table;v=v1;g=meta.k8s.io"));
  CHECK_FALSE(testing::internal::WantsTable("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"));
  CHECK_FALSE(testing::internal::WantsTable(""));
}

TEST_CASE("kubectl get pods and nodes receive Tables with kubectl's columns") {
  Server s;
  corev1::Node node;
  node.mutable_metadata()->set_name("vk-1");
  (*node.mutable_metadata()->mutable_labels())["kubernetes.io/role"] = "agent";
  (*node.mutable_metadata()->mutable_labels())["node-role.kubernetes.io/virtual"] = "";
  auto* cond = node.mutable_status()->add_conditions();
  cond->set_type("Ready");
  cond->set_status("True");
  auto* addr = node.mutable_status()->add_addresses();
  addr->set_type("InternalIP");
  addr->set_address("10.0.0.7");
  node.mutable_status()->mutable_nodeinfo()->set_kubeletversion("v1.31.4-vkubelet");
  VK_REQUIRE_OK(s.api->Create(node).status());

  corev1::Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_nodename("vk-1");
  for (const char* name : {"a", "b"}) {
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name(name);
    c->set_image("busybox");
  }
  VK_REQUIRE_OK(s.api->Create(pod).status());
  s.clock.Advance(absl::Seconds(200));
  VK_REQUIRE_OK(s.api
                    ->Modify<corev1::Pod>(
                        "default", "web",
                        [&](corev1::Pod* p) {
                          auto* st = p->mutable_status();
                          st->set_phase("Running");
                          st->set_podip("10.244.0.9");
                          auto* a = st->add_containerstatuses();
                          a->set_name("a");
                          a->set_ready(true);
                          a->mutable_state()->mutable_running();
                          a->set_restartcount(2);
                          auto* b = st->add_containerstatuses();
                          b->set_name("b");
                          b->mutable_state()->mutable_waiting()->set_reason("CrashLoopBackOff");
                          b->set_restartcount(1);
                        },
                        /*status=*/true)
                    .status());

  SUBCASE("a list of pods") {
    auto r = s.Get("/api/v1/namespaces/default/pods");
    REQUIRE(r.status == 200);
    json t = json::parse(r.body);
    CHECK(t["kind"] == "Table");
    CHECK(t["apiVersion"] == "meta.k8s.io/v1");
    CHECK(!t["metadata"]["resourceVersion"].get<std::string>().empty());
    auto row = Row(t, "web");
    REQUIRE(!row.empty());
    CHECK(row["Name"] == "web");
    CHECK(row["Ready"] == "1/2");
    CHECK(row["Status"] == "CrashLoopBackOff");
    CHECK(row["Restarts"] == "3");
    CHECK(row["Age"] == "3m20s");
    CHECK(row["IP"] == "10.244.0.9");
    CHECK(row["Node"] == "vk-1");
    CHECK(t["rows"][0]["object"]["kind"] == "PartialObjectMetadata");
    CHECK(t["rows"][0]["object"]["metadata"]["namespace"] == "default");
  }
  SUBCASE("one node, with the whole object on request") {
    auto r = s.Get("/api/v1/nodes/vk-1?includeObject=Object");
    REQUIRE(r.status == 200);
    json t = json::parse(r.body);
    REQUIRE(t["rows"].size() == 1);
    auto row = Row(t, "vk-1");
    CHECK(row["Status"] == "Ready");
    CHECK(row["Roles"] == "agent,virtual");
    CHECK(row["Version"] == "v1.31.4-vkubelet");
    CHECK(row["Internal-IP"] == "10.0.0.7");
    CHECK(row["External-IP"] == "<none>");
    CHECK(t["rows"][0]["object"]["kind"] == "Node");
    CHECK(t["rows"][0]["object"]["status"]["addresses"][0]["address"] == "10.0.0.7");
  }
  SUBCASE("a terminating pod, and clients that ask for plain JSON") {
    VK_REQUIRE_OK(s.api->Delete<corev1::Pod>("default", "web", 30));
    json t = json::parse(s.Get("/api/v1/pods").body);
    CHECK(Row(t, "web")["Status"] == "Terminating");
    json plain = json::parse(s.Get("/api/v1/pods", "application/json").body);
    CHECK(plain["kind"] == "PodList");
  }
  SUBCASE("errors stay meta/v1 Status; bad includeObject is a 400") {
    auto r = s.Get("/api/v1/nodes/missing");
    CHECK(r.status == 404);
    CHECK(json::parse(r.body)["kind"] == "Status");
    CHECK(s.Get("/api/v1/nodes?includeObject=Everything").status == 400);
  }
}

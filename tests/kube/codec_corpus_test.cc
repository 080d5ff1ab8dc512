// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Round trips over the YAML corpus in tests/kube/testdata: every document
// decodes (no field unknown to the schema), re-encodes to the same JSON, and
// survives protobuf both ways.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "codec_test_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/resource.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

void RoundTripCorpus(const std::string& file, int expected_documents) {
  std::vector<nlohmann::json> docs = test::YamlDocuments(test::CodecTestdata(file));
  CHECK(docs.size() == static_cast<size_t>(expected_documents));
  for (const nlohmann::json& doc : docs) {
    std::string api_version = doc.value("apiVersion", "");
    std::string kind = doc.value("kind", "");
    std::string name = doc.contains("metadata") ? doc["metadata"].value("name", "") : "";
    CAPTURE(kind);
    CAPTURE(name);
    const google::protobuf::Message* proto = FindPrototype(api_version, kind);
    REQUIRE(proto != nullptr);

    // JSON -> proto -> JSON
    std::unique_ptr<google::protobuf::Message> msg(proto->New());
    TypeMeta tm;
    JsonDecodeOptions strict;
    strict.unknown_fields = JsonDecodeOptions::UnknownFields::kReject;
    VK_REQUIRE_OK(FromJsonValue(doc, msg.get(), &tm, strict));
    CHECK(tm.kind == kind);
    CHECK(tm.api_version == api_version);
    nlohmann::json again = ToJsonValue(*msg, tm.api_version, tm.kind);
    CHECK_MESSAGE(again == doc, test::JsonDiff(doc, again));
    // The text encoder says the same.
    CHECK(nlohmann::json::parse(EncodeJson(*msg, api_version, kind)) == doc);

    // proto -> bytes -> proto
    auto bytes = EncodeProtobuf(*msg, api_version, kind);
    VK_REQUIRE_OK(bytes);
    std::unique_ptr<google::protobuf::Message> decoded(proto->New());
    TypeMeta pb_tm;
    VK_REQUIRE_OK(DecodeProtobuf(*bytes, decoded.get(), kind, &pb_tm));
    CHECK(pb_tm.api_version == api_version);
    std::string diff;
    CHECK_MESSAGE(test::MessagesEqual(*msg, *decoded, &diff), diff);
    auto bytes_again = EncodeProtobuf(*decoded, api_version, kind);
    VK_REQUIRE_OK(bytes_again);
    CHECK(*bytes_again == *bytes);
    CHECK(ToJsonValue(*decoded, api_version, kind) == doc);

    // And as a watch event in both encodings.
    const ResourceInfo* info = FindResourceByKind(api_version, kind);
    if (info != nullptr) {
      for (ContentType type : {ContentType::kProtobuf, ContentType::kJson}) {
        auto dec = WatchDecoder::Create(type, info->prototype);
        dec->Feed(type == ContentType::kProtobuf ? EncodeProtobufWatchEvent("ADDED", *msg, api_version, kind)
                                                 : EncodeJsonWatchEvent("ADDED", *msg, api_version, kind));
        auto ev = dec->Next();
        VK_REQUIRE_OK(ev);
        REQUIRE(ev->has_value());
        CHECK((*ev)->type_meta.kind == kind);
        CHECK(test::MessagesEqual(*msg, *(*ev)->object, &diff));
      }
    }
  }
}

TEST_CASE("corpus: pods") { RoundTripCorpus("codec-corpus-pods.yaml", 2); }

TEST_CASE("corpus: nodes, secrets, services, leases, events, status, lists, reviews") {
  RoundTripCorpus("codec-corpus-objects.yaml", 13);
}

TEST_CASE("corpus: the everything pod decodes to the expected protobuf values") {
  std::vector<nlohmann::json> docs = test::YamlDocuments(test::CodecTestdata("codec-corpus-pods.yaml"));
  corev1::Pod pod;
  VK_REQUIRE_OK(FromJsonValue(docs.at(0), &pod));
  const corev1::PodSpec& spec = pod.spec();
  CHECK(spec.volumes(0).volumesource().emptydir().sizelimit().string() == "256Mi");
  CHECK(spec.volumes(1).volumesource().has_emptydir());
  CHECK(spec.volumes(5).volumesource().projected().sources(0).serviceaccounttoken().expirationseconds() == 3600);
  CHECK(spec.volumes(6).volumesource().csi().nodepublishsecretref().name() == "csi-creds");
  CHECK(spec.volumes(9).volumesource().ephemeral().volumeclaimtemplate().spec().storageclassname() == "fast");
  CHECK(spec.containers(0).env(4).valuefrom().configmapkeyref().localobjectreference().name() == "app-config");
  CHECK(spec.containers(0).env(4).valuefrom().configmapkeyref().has_optional());
  CHECK(!spec.containers(0).env(4).valuefrom().configmapkeyref().optional());
  CHECK(spec.containers(0).startupprobe().handler().grpc().port() == 9090);
  CHECK(spec.containers(0).lifecycle().prestop().sleep().seconds() == 5);
  CHECK(spec.ephemeralcontainers(0).ephemeralcontainercommon().name() == "debugger");
  CHECK(spec.ephemeralcontainers(0).targetcontainername() == "app");
  CHECK(spec.has_terminationgraceperiodseconds());
  CHECK(spec.terminationgraceperiodseconds() == 0);
  CHECK(spec.has_automountserviceaccounttoken());
  CHECK(!spec.automountserviceaccounttoken());
  CHECK(spec.tolerations(1).tolerationseconds() == 300);
  CHECK(spec.topologyspreadconstraints(0).mindomains() == 2);
  CHECK(pod.metadata().deletiontimestamp().seconds() == 1714568400);
  CHECK(pod.status().containerstatuses(0).laststate().terminated().exitcode() == 137);
  CHECK(pod.status().conditions(0).has_lastprobetime());
  CHECK(!pod.status().conditions(0).lastprobetime().has_seconds());

  std::vector<nlohmann::json> objects = test::YamlDocuments(test::CodecTestdata("codec-corpus-objects.yaml"));
  corev1::Node node;
  VK_REQUIRE_OK(FromJsonValue(objects.at(0), &node));
  CHECK(node.status().daemonendpoints().kubeletendpoint().port() == 10250);
  CHECK(node.status().capacity().at("memory").string() == "100Gi");
  corev1::Secret secret;
  VK_REQUIRE_OK(FromJsonValue(objects.at(1), &secret));
  CHECK(secret.data().at("tls.key").size() == 256);
  CHECK(static_cast<unsigned char>(secret.data().at("tls.key")[255]) == 0xff);
  corev1::Service service;
  VK_REQUIRE_OK(FromJsonValue(objects.at(3), &service));
  CHECK(service.spec().ports(0).targetport().strval() == "http");
  CHECK(service.spec().ports(1).targetport().intval() == 9090);
}

}  // namespace
}  // namespace vkubelet::kube

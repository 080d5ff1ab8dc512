// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The codec against bytes recorded from a real kube-apiserver 1.28.7.

#include <doctest/doctest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codec_test_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

using test::Recording;

struct Vector {
  const char* base;  // file name without extension
  const google::protobuf::Message* prototype;
  const char* api_version;
  const char* kind;
  bool has_pb;
};

const std::vector<Vector>& Vectors() {
  static const std::vector<Vector> v = {
      {"pod-rich", &corev1::Pod::default_instance(), "v1", "Pod", true},
      {"podlist", &corev1::PodList::default_instance(), "v1", "PodList", true},
      {"podlist-limit1", &corev1::PodList::default_instance(), "v1", "PodList", false},
      {"configmap", &corev1::ConfigMap::default_instance(), "v1", "ConfigMap", true},
      {"secret", &corev1::Secret::default_instance(), "v1", "Secret", true},
      {"service", &corev1::Service::default_instance(), "v1", "Service", true},
      {"node", &corev1::Node::default_instance(), "v1", "Node", true},
      {"lease", &coordinationv1::Lease::default_instance(), "coordination.k8s.io/v1", "Lease", true},
      {"status-notfound", &metav1::Status::default_instance(), "v1", "Status", true},
      {"status-conflict", &metav1::Status::default_instance(), "v1", "Status", true},
      {"status-invalid", &metav1::Status::default_instance(), "v1", "Status", false},
      {"patch-status-response", &corev1::Pod::default_instance(), "v1", "Pod", false},
  };
  return v;
}

TEST_CASE("every JSON recording decodes and re-encodes to the same JSON") {
  for (const Vector& vec : Vectors()) {
    CAPTURE(vec.base);
    std::string text = Recording(std::string(vec.base) + ".json");
    std::unique_ptr<google::protobuf::Message> msg(vec.prototype->New());
    TypeMeta tm;
    JsonDecodeOptions opts;
    opts.unknown_fields = JsonDecodeOptions::UnknownFields::kReject;  // the schema knows every field
    VK_REQUIRE_OK(DecodeJson(text, msg.get(), &tm, opts));
    CHECK(tm.kind == vec.kind);
    CHECK(tm.api_version == vec.api_version);

    // Equal as values (key order ignored) ...
    nlohmann::json want = nlohmann::json::parse(text);
    nlohmann::json got = ToJsonValue(*msg, tm.api_version, tm.kind);
    CHECK_MESSAGE(got == want, test::JsonDiff(want, got));
    // ... and byte for byte: the server's key order and pretty printing.
    std::string pretty = EncodeJson(*msg, tm.api_version, tm.kind, {.pretty = true});
    std::string trimmed = text;
    while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
    CHECK(pretty == trimmed);
  }
}

TEST_CASE("every protobuf recording decodes and re-encodes to the same bytes") {
  for (const Vector& vec : Vectors()) {
    if (!vec.has_pb) continue;
    CAPTURE(vec.base);
    std::string bytes = Recording(std::string(vec.base) + ".pb");
    std::unique_ptr<google::protobuf::Message> msg(vec.prototype->New());
    TypeMeta tm;
    VK_REQUIRE_OK(DecodeProtobuf(bytes, msg.get(), vec.kind, &tm));
    CHECK(tm.kind == vec.kind);
    CHECK(tm.api_version == vec.api_version);
    auto again = EncodeProtobuf(*msg, tm.api_version, tm.kind);
    VK_REQUIRE_OK(again);
    CHECK(*again == bytes);
  }
}

TEST_CASE("protobuf and JSON recordings of the same object decode to the same message") {
  for (const Vector& vec : Vectors()) {
    if (!vec.has_pb) continue;
    CAPTURE(vec.base);
    std::unique_ptr<google::protobuf::Message> from_pb(vec.prototype->New());
    std::unique_ptr<google::protobuf::Message> from_json(vec.prototype->New());
    VK_REQUIRE_OK(DecodeProtobuf(Recording(std::string(vec.base) + ".pb"), from_pb.get()));
    VK_REQUIRE_OK(DecodeJson(Recording(std::string(vec.base) + ".json"), from_json.get()));
    std::string diff;
    // Go's protobuf encoder writes zero values of non-pointer fields that its
    // JSON encoder omits (codec.h); apart from those the messages are equal.
    CHECK_MESSAGE(test::EquivalentIgnoringZeroScalars(*from_pb, *from_json, &diff), diff);
  }
}

TEST_CASE("a protobuf-decoded Pod shows in JSON with Go's zero values but nothing else extra") {
  corev1::Pod pod;
  VK_REQUIRE_OK(DecodeProtobuf(Recording("pod-rich.pb"), &pod, "Pod"));
  nlohmann::json got = ToJsonValue(pod, "v1", "Pod");
  nlohmann::json want = nlohmann::json::parse(Recording("pod-rich.json"));
  // Every recorded value is there with the same value.
  for (const auto& op : nlohmann::json::diff(want, got)) {
    CAPTURE(op.dump());
    CHECK(op["op"] == "add");  // only additions, never a change or removal
    nlohmann::json v = op.value("value", nlohmann::json());
    bool zero = v == "" || v == 0 || v == false || v == nlohmann::json::object();
    CHECK(zero);
  }
  CHECK(got["spec"]["containers"][0]["stdin"] == false);
}

// ---------------------------------------------------------------------------
// Watch streams

struct Collected {
  std::vector<std::string> types;
  std::vector<std::string> kinds;
  std::vector<std::string> objects;  // deterministic protobuf bytes of each object
  std::vector<std::unique_ptr<google::protobuf::Message>> messages;
};

Collected Drain(WatchDecoder& dec) {
  Collected c;
  while (true) {
    auto ev = dec.Next();
    REQUIRE_MESSAGE(ev.ok(), ev.status().ToString());
    if (!ev->has_value()) break;
    DecodedWatchEvent& e = **ev;
    c.types.push_back(e.type);
    c.kinds.push_back(e.type_meta.kind);
    c.objects.push_back(test::DeterministicBytes(*e.object));
    c.messages.push_back(std::move(e.object));
  }
  return c;
}

Collected DecodeInChunks(ContentType type, const std::string& stream, const std::vector<size_t>& cuts) {
  auto dec = WatchDecoder::Create(type, &corev1::Pod::default_instance());
  Collected all;
  size_t prev = 0;
  auto feed = [&](size_t end) {
    dec->Feed(std::string_view(stream).substr(prev, end - prev));
    prev = end;
    Collected c = Drain(*dec);
    for (size_t i = 0; i < c.types.size(); ++i) {
      all.types.push_back(c.types[i]);
      all.kinds.push_back(c.kinds[i]);
      all.objects.push_back(c.objects[i]);
      all.messages.push_back(std::move(c.messages[i]));
    }
  };
  for (size_t cut : cuts) feed(cut);
  feed(stream.size());
  CHECK(dec->Buffered() == 0);
  return all;
}

const std::vector<std::string> kRecordedTypes = {"ADDED", "MODIFIED", "MODIFIED", "MODIFIED",
                                                 "MODIFIED", "DELETED", "BOOKMARK"};

TEST_CASE("recorded watch streams decode in any chunking") {
  for (ContentType type : {ContentType::kProtobuf, ContentType::kJson}) {
    std::string stream = Recording(type == ContentType::kProtobuf ? "watch-pods.pb" : "watch-pods.json");
    CAPTURE(static_cast<int>(type));
    Collected whole = DecodeInChunks(type, stream, {});
    CHECK(whole.types == kRecordedTypes);
    for (const std::string& k : whole.kinds) CHECK(k == "Pod");

    std::vector<size_t> every_byte;
    for (size_t i = 1; i < stream.size(); ++i) every_byte.push_back(i);
    Collected bytewise = DecodeInChunks(type, stream, every_byte);
    CHECK(bytewise.types == whole.types);
    CHECK(bytewise.objects == whole.objects);

    std::mt19937 rng(42);
    for (int round = 0; round < 20; ++round) {
      std::vector<size_t> cuts;
      size_t pos = 0;
      while (true) {
        pos += 1 + rng() % 700;
        if (pos >= stream.size()) break;
        cuts.push_back(pos);
      }
      Collected random = DecodeInChunks(type, stream, cuts);
      CHECK(random.types == whole.types);
      CHECK(random.objects == whole.objects);
    }
  }
}

TEST_CASE("protobuf and JSON watch streams carry the same pods") {
  Collected pb = DecodeInChunks(ContentType::kProtobuf, Recording("watch-pods.pb"), {});
  Collected js = DecodeInChunks(ContentType::kJson, Recording("watch-pods.json"), {});
  REQUIRE(pb.messages.size() == js.messages.size());
  for (size_t i = 0; i < pb.messages.size(); ++i) {
    CAPTURE(i);
    std::string diff;
    CHECK_MESSAGE(test::EquivalentIgnoringZeroScalars(*pb.messages[i], *js.messages[i], &diff), diff);
  }
  const auto& bookmark = static_cast<const corev1::Pod&>(*pb.messages.back());
  CHECK(!bookmark.metadata().resourceversion().empty());
}

TEST_CASE("watch events re-encode to the recorded frames and lines") {
  SUBCASE("protobuf") {
    std::string stream = Recording("watch-pods.pb");
    Collected c = DecodeInChunks(ContentType::kProtobuf, stream, {});
    std::string again;
    for (size_t i = 0; i < c.messages.size(); ++i) {
      again += EncodeProtobufWatchEvent(c.types[i], *c.messages[i], "v1", "Pod");
    }
    CHECK(again == stream);
  }
  SUBCASE("JSON") {
    std::string stream = Recording("watch-pods.json");
    Collected c = DecodeInChunks(ContentType::kJson, stream, {});
    std::vector<std::string> lines;
    for (size_t pos = 0; pos < stream.size();) {
      size_t nl = stream.find('\n', pos);
      lines.push_back(stream.substr(pos, nl + 1 - pos));
      pos = nl + 1;
    }
    REQUIRE(lines.size() == c.messages.size());
    for (size_t i = 0; i < c.messages.size(); ++i) {
      CAPTURE(i);
      std::string again = EncodeJsonWatchEvent(c.types[i], *c.messages[i], "v1", "Pod");
      if (c.types[i] != "BOOKMARK") {
        CHECK(again == lines[i]);
        continue;
      }
      // Go writes the BOOKMARK pod's nil containers slice as null; null
      // decodes to "empty", which is omitted (codec.h).
      nlohmann::json want = nlohmann::json::parse(lines[i]);
      CHECK(want["object"]["spec"]["containers"].is_null());
      want["object"]["spec"].erase("containers");
      CHECK(nlohmann::json::parse(again) == want);
    }
  }
}

TEST_CASE("an ERROR event carries a Status (410 Expired)") {
  for (ContentType type : {ContentType::kProtobuf, ContentType::kJson}) {
    std::string stream = Recording(type == ContentType::kProtobuf ? "watch-expired.pb" : "watch-expired.json");
    auto dec = WatchDecoder::Create(type, &corev1::Pod::default_instance());
    dec->Feed(stream);
    auto ev = dec->Next();
    VK_REQUIRE_OK(ev);
    REQUIRE(ev->has_value());
    CHECK((*ev)->type == "ERROR");
    CHECK((*ev)->type_meta.kind == "Status");
    const auto* st = dynamic_cast<const metav1::Status*>((*ev)->object.get());
    REQUIRE(st != nullptr);
    CHECK(st->code() == 410);
    CHECK(st->reason() == "Expired");
    CHECK(st->message() == "too old resource version: 1 (11880)");
    auto end = dec->Next();
    VK_REQUIRE_OK(end);
    CHECK(!end->has_value());
  }
}

TEST_CASE("a PodList from protobuf shows in JSON with its items inline") {
  corev1::PodList list;
  VK_REQUIRE_OK(DecodeProtobuf(Recording("podlist.pb"), &list, "PodList"));
  REQUIRE(list.items_size() == 1);
  CHECK(list.items(0).metadata().name() == "rich");
  nlohmann::json j = ToJsonValue(list, "v1", "PodList");
  CHECK(j["items"][0]["metadata"]["name"] == "rich");
  CHECK(j["metadata"]["resourceVersion"] == "12030");
}

}  // namespace
}  // namespace vkubelet::kube

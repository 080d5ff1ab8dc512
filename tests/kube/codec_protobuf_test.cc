// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The protobuf side: envelope and watch-frame golden bytes (built by hand from
// the byte layout in the wire fact sheet §1.2a), decoder errors, unknown
// fields.

#include <doctest/doctest.h>

#include <string>

#include "codec_test_util.h"
#include "google/protobuf/unknown_field_set.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

corev1::Pod NamedPod(const std::string& name) {
  corev1::Pod pod;
  pod.mutable_metadata()->set_name(name);
  return pod;
}

// "k8s\0" | 0a 09 TypeMeta{0a 02 "v1" 12 03 "Pod"} | 12 05 Pod{0a 03 ObjectMeta{0a 01 "a"}} | 1a 00 | 22 00
const std::string kGoldenEnvelope = Bytes({0x6b, 0x38, 0x73, 0x00,                                   // magic
                                           0x0a, 0x09, 0x0a, 0x02, 'v', '1', 0x12, 0x03, 'P', 'o', 'd',  // typeMeta
                                           0x12, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'a',                      // raw
                                           0x1a, 0x00,                                                   // contentEncoding
                                           0x22, 0x00});                                                 // contentType

TEST_CASE("envelope golden bytes") {
  auto got = EncodeProtobuf(NamedPod("a"), "v1", "Pod");
  VK_REQUIRE_OK(got);
  CHECK(*got == kGoldenEnvelope);

  auto env = DecodeEnvelope(kGoldenEnvelope);
  VK_REQUIRE_OK(env);
  CHECK(env->type_meta.api_version == "v1");
  CHECK(env->type_meta.kind == "Pod");
  CHECK(env->raw == Bytes({0x0a, 0x03, 0x0a, 0x01, 'a'}));
  CHECK(env->content_encoding.empty());
  CHECK(env->content_type.empty());

  corev1::Pod pod;
  TypeMeta tm;
  VK_REQUIRE_OK(DecodeProtobuf(kGoldenEnvelope, &pod, "Pod", &tm));
  CHECK(pod.metadata().name() == "a");
  CHECK(tm.kind == "Pod");
}

TEST_CASE("watch frame golden bytes") {
  // 00 00 00 28 | WatchEvent{0a 08 "MODIFIED" | 12 1c RawExtension{0a 1a <the 26-byte envelope>}}
  std::string want = Bytes({0x00, 0x00, 0x00, 0x28, 0x0a, 0x08, 'M', 'O', 'D', 'I', 'F', 'I', 'E', 'D', 0x12, 0x1c,
                            0x0a, 0x1a}) +
                     kGoldenEnvelope;
  REQUIRE(kGoldenEnvelope.size() == 0x1a);
  CHECK(EncodeProtobufWatchEvent("MODIFIED", NamedPod("a"), "v1", "Pod") == want);

  auto dec = WatchDecoder::Create(ContentType::kProtobuf, &corev1::Pod::default_instance());
  dec->Feed(want);
  auto ev = dec->Next();
  VK_REQUIRE_OK(ev);
  REQUIRE(ev->has_value());
  CHECK((*ev)->type == "MODIFIED");
  CHECK((*ev)->type_meta.kind == "Pod");
  CHECK(static_cast<const corev1::Pod&>(*(*ev)->object).metadata().name() == "a");
}

TEST_CASE("JSON watch event encoding") {
  CHECK(EncodeJsonWatchEvent("ADDED", NamedPod("a"), "v1", "Pod") ==
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\"}}}\n");
}

void CheckError(const absl::Status& s, const std::string& fragment) {
  CAPTURE(s.ToString());
  REQUIRE(!s.ok());
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find(fragment) != std::string::npos);
}

TEST_CASE("envelope decoding errors") {
  corev1::Pod pod;
  CheckError(DecodeProtobuf("", &pod), "empty data");
  CheckError(DecodeProtobuf("{\"kind\":\"Pod\"}", &pod), "does not appear to be a protobuf message");
  CheckError(DecodeProtobuf("k8s", &pod), "does not appear to be a protobuf message");
  CheckError(DecodeProtobuf(std::string("k8s\x01", 4) + kGoldenEnvelope.substr(4), &pod),
             "does not appear to be a protobuf message");
  CheckError(DecodeProtobuf(std::string("k8s\0", 4), &pod), "empty body");
  // Every truncation of the Unknown is reported, never misread.
  for (size_t n = 5; n < kGoldenEnvelope.size() - 4; ++n) {
    CAPTURE(n);
    absl::Status s = DecodeProtobuf(kGoldenEnvelope.substr(0, n), &pod);
    // Cutting exactly between fields leaves a shorter but valid Unknown.
    if (n == 15 || n == 22 || n == 24) continue;
    CheckError(s, "invalid runtime.Unknown");
  }
  CheckError(DecodeProtobuf(kGoldenEnvelope, &pod, "Node"), "expected kind Node, got \"Pod\"");
  // A raw that is not a Pod.
  std::string bad_raw = Bytes({0x6b, 0x38, 0x73, 0x00, 0x12, 0x02, 0x0a, 0x05});
  CheckError(DecodeProtobuf(bad_raw, &pod), "not a valid");
  // A wrong wire type for typeMeta.
  CheckError(DecodeProtobuf(Bytes({0x6b, 0x38, 0x73, 0x00, 0x08, 0x01}), &pod), "invalid runtime.Unknown");
  // Content encodings are not supported.
  std::string gz = kGoldenEnvelope.substr(0, kGoldenEnvelope.size() - 4) + Bytes({0x1a, 0x04, 'g', 'z', 'i', 'p'}) +
                   Bytes({0x22, 0x00});
  CheckError(DecodeProtobuf(gz, &pod), "contentEncoding");
}

TEST_CASE("protobuf watch decoding errors") {
  std::string frame = EncodeProtobufWatchEvent("ADDED", NamedPod("a"), "v1", "Pod");
  auto make = [] { return WatchDecoder::Create(ContentType::kProtobuf, &corev1::Pod::default_instance()); };

  SUBCASE("a partial frame is not an event yet") {
    auto dec = make();
    dec->Feed(frame.substr(0, frame.size() - 1));
    auto ev = dec->Next();
    VK_REQUIRE_OK(ev);
    CHECK(!ev->has_value());
    CHECK(dec->Buffered() == frame.size() - 1);
    dec->Feed(frame.substr(frame.size() - 1));
    ev = dec->Next();
    VK_REQUIRE_OK(ev);
    CHECK(ev->has_value());
    CHECK(dec->Buffered() == 0);
  }
  SUBCASE("an oversized frame is refused before it is buffered") {
    WatchDecoder::Options opts;
    opts.max_event_bytes = 16;
    auto dec = WatchDecoder::Create(ContentType::kProtobuf, &corev1::Pod::default_instance(), opts);
    dec->Feed(frame.substr(0, 4));
    auto ev = dec->Next();
    REQUIRE(!ev.ok());
    CHECK(ev.status().code() == absl::StatusCode::kResourceExhausted);
    dec->Feed(frame.substr(4));
    CHECK(!dec->Next().ok());  // sticky
  }
  SUBCASE("a corrupt frame") {
    auto dec = make();
    dec->Feed(Bytes({0, 0, 0, 3, 0x0a, 0x05, 'A'}));
    auto ev = dec->Next();
    REQUIRE(!ev.ok());
    CheckError(ev.status(), "malformed WatchEvent");
  }
  SUBCASE("an object without the k8s magic") {
    auto dec = make();
    dec->Feed(Bytes({0, 0, 0, 11, 0x0a, 0x05, 'A', 'D', 'D', 'E', 'D', 0x12, 0x02, 0x0a, 0x00}));
    auto ev = dec->Next();
    REQUIRE(!ev.ok());
    CheckError(ev.status(), "empty data");
  }
  SUBCASE("an unknown event type") {
    auto dec = make();
    dec->Feed(EncodeProtobufWatchEvent("CHANGED", NamedPod("a"), "v1", "Pod"));
    CheckError(dec->Next().status(), "unknown event type \"CHANGED\"");
  }
  SUBCASE("an event of another kind") {
    auto dec = make();
    corev1::Node node;
    dec->Feed(EncodeProtobufWatchEvent("ADDED", node, "v1", "Node"));
    CheckError(dec->Next().status(), "carries kind \"Node\", expected Pod");
  }
  SUBCASE("an ERROR event that is not a Status") {
    auto dec = make();
    dec->Feed(EncodeProtobufWatchEvent("ERROR", NamedPod("a"), "v1", "Pod"));
    CheckError(dec->Next().status(), "expected Status");
  }
}

TEST_CASE("JSON watch decoding errors") {
  auto make = [] { return WatchDecoder::Create(ContentType::kJson, &corev1::Pod::default_instance()); };
  struct Case {
    const char* input;
    const char* fragment;
  } cases[] = {
      {"{\"type\":\"ADDED\"}", "has no object"},
      {"{\"object\":{}}", "no string \"type\""},
      {"{\"type\":\"NOPE\",\"object\":{}}", "unknown event type"},
      {"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Node\",\"apiVersion\":\"v1\"}}", "expected Pod"},
      {"{\"type\":\"ADDED\",\"object\":{\"spec\":[]}}", "JSON spec: expected an object, got array"},
      {"{\"type\":\"ADDED\",\"object\":{]}", "invalid JSON"},
      {"[1,2]", "not an object"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.input);
    auto dec = make();
    dec->Feed(c.input);
    auto ev = dec->Next();
    REQUIRE(!ev.ok());
    CHECK(std::string(ev.status().message()).find(c.fragment) != std::string::npos);
    CHECK(!dec->Next().ok());
  }
}

TEST_CASE("fields unknown to the schema survive a protobuf round trip") {
  corev1::Pod pod = NamedPod("future");
  // As if a newer server had sent fields this schema lacks, at two depths.
  pod.GetReflection()->MutableUnknownFields(&pod)->AddVarint(9001, 42);
  corev1::PodSpec* spec = pod.mutable_spec();
  spec->GetReflection()->MutableUnknownFields(spec)->AddLengthDelimited(9002, "new-field-value");
  auto bytes = EncodeProtobuf(pod, "v1", "Pod");
  VK_REQUIRE_OK(bytes);

  corev1::Pod decoded;
  VK_REQUIRE_OK(DecodeProtobuf(*bytes, &decoded, "Pod"));
  const auto& top = decoded.GetReflection()->GetUnknownFields(decoded);
  REQUIRE(top.field_count() == 1);
  CHECK(top.field(0).number() == 9001);
  CHECK(top.field(0).varint() == 42);
  const auto& nested = decoded.spec().GetReflection()->GetUnknownFields(decoded.spec());
  REQUIRE(nested.field_count() == 1);
  CHECK(nested.field(0).number() == 9002);
  CHECK(nested.field(0).length_delimited() == "new-field-value");
  // A read-modify-write keeps them.
  decoded.mutable_metadata()->set_resourceversion("7");
  auto again = EncodeProtobuf(decoded, "v1", "Pod");
  VK_REQUIRE_OK(again);
  corev1::Pod third;
  VK_REQUIRE_OK(DecodeProtobuf(*again, &third));
  CHECK(third.spec().GetReflection()->GetUnknownFields(third.spec()).field_count() == 1);
  CHECK(third.metadata().resourceversion() == "7");
}

TEST_CASE("Encode/Decode dispatch on the content type") {
  corev1::Pod pod = NamedPod("x");
  for (ContentType t : {ContentType::kProtobuf, ContentType::kJson}) {
    auto body = Encode(t, pod, "v1", "Pod");
    VK_REQUIRE_OK(body);
    corev1::Pod back;
    TypeMeta tm;
    VK_REQUIRE_OK(Decode(t, *body, &back, "Pod", &tm));
    CHECK(back.metadata().name() == "x");
    CHECK(tm.kind == "Pod");
    CHECK(tm.api_version == "v1");
    CHECK(!Decode(t, *body, &back, "Node").ok());
  }
}

}  // namespace
}  // namespace vkubelet::kube

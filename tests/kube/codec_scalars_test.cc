// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Scalar formats of the Kubernetes JSON mapping, media types, the JSON stream
// splitter.

#include <doctest/doctest.h>

#include <string>

#include "absl/time/time.h"
#include "test_util.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
namespace {

absl::Time At(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

TEST_CASE("media types") {
  CHECK(ParseContentType("application/vnd.kubernetes.protobuf") == ContentType::kProtobuf);
  CHECK(ParseContentType("application/vnd.kubernetes.protobuf;stream=watch") == ContentType::kProtobuf);
  CHECK(ParseContentType(" Application/JSON ; charset=utf-8") == ContentType::kJson);
  CHECK(ParseContentType("application/yaml") == std::nullopt);
  CHECK(ParseContentType("") == std::nullopt);
  CHECK(MediaType(ContentType::kProtobuf) == "application/vnd.kubernetes.protobuf");
  CHECK(MediaType(ContentType::kJson) == "application/json");
}

TEST_CASE("Time and MicroTime formatting") {
  CHECK(FormatRfc3339Time(At(2024, 5, 1, 12, 0, 0)) == "2024-05-01T12:00:00Z");
  // Seconds precision: fractions are dropped, not rounded.
  CHECK(FormatRfc3339Time(At(2024, 5, 1, 12, 0, 0) + absl::Milliseconds(999)) == "2024-05-01T12:00:00Z");
  CHECK(FormatRfc3339MicroTime(At(2024, 5, 1, 12, 0, 0) + absl::Nanoseconds(123456789)) ==
        "2024-05-01T12:00:00.123456Z");
  CHECK(FormatRfc3339MicroTime(At(2024, 5, 1, 12, 0, 0)) == "2024-05-01T12:00:00.000000Z");
  CHECK(FormatRfc3339Time(absl::UnixEpoch()) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339Time(At(999, 1, 2, 3, 4, 5)) == "0999-01-02T03:04:05Z");
}

TEST_CASE("Time parsing") {
  auto t = ParseRfc3339Time("2024-05-01T12:00:00Z");
  VK_REQUIRE_OK(t);
  CHECK(*t == At(2024, 5, 1, 12, 0, 0));
  t = ParseRfc3339Time("2024-05-01T14:30:00+02:30");
  VK_REQUIRE_OK(t);
  CHECK(*t == At(2024, 5, 1, 12, 0, 0));
  t = ParseRfc3339Time("2024-05-01T12:00:00.5-01:00");
  VK_REQUIRE_OK(t);
  CHECK(*t == At(2024, 5, 1, 13, 0, 0) + absl::Milliseconds(500));
  t = ParseRfc3339Time("2026-11-27T02:37:36.017953Z");
  VK_REQUIRE_OK(t);
  CHECK(FormatRfc3339MicroTime(*t) == "2026-11-27T02:37:36.017953Z");
  t = ParseRfc3339Time("2024-02-29T00:00:00Z");  // leap day
  VK_CHECK_OK(t);

  for (const char* bad : {"", "2024-05-01", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00", "2024-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:00:60Z",
                          "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00Zjunk", "2024-05-01T12:00:00+0200",
                          "0000-01-01T00:00:00+01:00", "9999-12-31T23:00:00-02:00",
                          "yesterday"}) {
    CAPTURE(bad);
    auto r = ParseRfc3339Time(bad);
    REQUIRE(!r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(r.status().message()).find("invalid time") != std::string::npos);
  }
}

TEST_CASE("Go duration formatting") {
  CHECK(FormatGoDuration(absl::ZeroDuration()) == "0s");
  CHECK(FormatGoDuration(absl::Seconds(90)) == "1m30s");
  CHECK(FormatGoDuration(absl::Minutes(5)) == "5m0s");
  CHECK(FormatGoDuration(absl::Hours(1)) == "1h0m0s");
  CHECK(FormatGoDuration(absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)) == "1h2m3.5s");
  CHECK(FormatGoDuration(absl::Milliseconds(300)) == "300ms");
  CHECK(FormatGoDuration(absl::Microseconds(1500)) == "1.5ms");
  CHECK(FormatGoDuration(absl::Nanoseconds(1500)) == "1.5\xC2\xB5s");
  CHECK(FormatGoDuration(absl::Nanoseconds(12)) == "12ns");
  CHECK(FormatGoDuration(absl::Seconds(-1)) == "-1s");
  CHECK(FormatGoDuration(absl::Hours(100)) == "100h0m0s");
  CHECK(FormatGoDuration(absl::Nanoseconds(INT64_MIN)) == "-2562047h47m16.854775808s");
}

TEST_CASE("Go duration parsing") {
  struct Case {
    const char* text;
    absl::Duration want;
  } cases[] = {
      {"0", absl::ZeroDuration()},
      {"0s", absl::ZeroDuration()},
      {"1m30s", absl::Seconds(90)},
      {"1h2m3.5s", absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3500)},
      {"300ms", absl::Milliseconds(300)},
      {"-1s", absl::Seconds(-1)},
      {"+2h", absl::Hours(2)},
      {"1.5us", absl::Nanoseconds(1500)},
      {"1.5\xC2\xB5s", absl::Nanoseconds(1500)},
      {"1.5\xCE\xBCs", absl::Nanoseconds(1500)},
      {".5s", absl::Milliseconds(500)},
      {"5.s", absl::Seconds(5)},
      {"1h1h", absl::Hours(2)},
      {"2562047h47m16.854775807s", absl::Nanoseconds(INT64_MAX)},
      {"-2562047h47m16.854775808s", absl::Nanoseconds(INT64_MIN)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    auto d = ParseGoDuration(c.text);
    VK_REQUIRE_OK(d);
    CHECK(*d == c.want);
  }
  for (const char* bad : {"", "-", "s", "1", "1x", "1.s.", "..5s", "1h-2m", "2562047h47m16.854775808s",
                          "99999999999999999999h", "3000000h"}) {
    CAPTURE(bad);
    auto d = ParseGoDuration(bad);
    REQUIRE(!d.ok());
    CHECK(std::string(d.status().message()).find("invalid duration") != std::string::npos);
  }
  // Round trip of what we print.
  for (absl::Duration d : {absl::Seconds(90), absl::Nanoseconds(1500), absl::Hours(-3) - absl::Nanoseconds(1)}) {
    auto back = ParseGoDuration(FormatGoDuration(d));
    VK_REQUIRE_OK(back);
    CHECK(*back == d);
  }
}

TEST_CASE("base64") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode(std::string("\x00\xff\x00\xff", 4)) == "AP8A/w==");
  for (std::string s : {std::string(""), std::string("f"), std::string("fo"), std::string("foob"),
                        std::string("\x00\x01\x02\x03\x04\x05\x06\x07", 8)}) {
    auto back = Base64Decode(Base64Encode(s));
    VK_REQUIRE_OK(back);
    CHECK(*back == s);
  }
  auto wrapped = Base64Decode("Zm9v\r\nYmFy\n");
  VK_REQUIRE_OK(wrapped);
  CHECK(*wrapped == "foobar");
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zm9=v", "Zg==Zg==", "Zm-_", "=Zg="}) {
    CAPTURE(bad);
    auto r = Base64Decode(bad);
    REQUIRE(!r.ok());
    CHECK(std::string(r.status().message()).find("invalid base64") != std::string::npos);
  }
}

TEST_CASE("JsonStreamSplitter splits on complete values, not lines") {
  JsonStreamSplitter s;
  s.Feed(" {\"a\":\"}\\\"{\",\"b\":[1,{\"c\":2}]}\n{\"x\"");
  auto v = s.Next();
  VK_REQUIRE_OK(v);
  REQUIRE(v->has_value());
  CHECK(**v == "{\"a\":\"}\\\"{\",\"b\":[1,{\"c\":2}]}");
  v = s.Next();
  VK_REQUIRE_OK(v);
  CHECK(!v->has_value());
  s.Feed(":1}[2]\"str\"");
  v = s.Next();
  VK_REQUIRE_OK(v);
  CHECK(**v == "{\"x\":1}");
  v = s.Next();
  VK_REQUIRE_OK(v);
  CHECK(**v == "[2]");
  v = s.Next();
  VK_REQUIRE_OK(v);
  CHECK(**v == "\"str\"");
  CHECK(s.Buffered() == 0);
}

TEST_CASE("JsonStreamSplitter errors") {
  SUBCASE("a value over the limit") {
    JsonStreamSplitter s(16);
    s.Feed("{\"a\":\"0123456789abcdef\"}");
    auto v = s.Next();
    REQUIRE(!v.ok());
    CHECK(v.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(!s.Next().ok());  // sticky
  }
  SUBCASE("a byte that cannot start a value") {
    JsonStreamSplitter s;
    s.Feed("{}x{}");
    auto v = s.Next();
    VK_REQUIRE_OK(v);
    v = s.Next();
    REQUIRE(!v.ok());
    CHECK(std::string(v.status().message()).find("cannot start a value") != std::string::npos);
  }
}

}  // namespace
}  // namespace vkubelet::kube

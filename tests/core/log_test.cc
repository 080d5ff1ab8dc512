// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/log.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

namespace vkubelet {
namespace {

std::string Capture(std::shared_ptr<log::Sink> (*make)(FILE*), const std::function<void(const Context&)>& body) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  auto logger = std::make_shared<log::Logger>(make(f), log::Level::kDebug);
  body(Context::Background().WithLogger(logger).WithField("node", "vk-1"));
  std::fclose(f);
  std::string out(buf, len);
  free(buf);
  return out;
}

TEST_CASE("text sink writes klog-style lines with quoted fields") {
  std::string out = Capture(&log::NewTextSink, [](const Context& ctx) {
    log::Info(ctx, "created \"pod\"", {{"pod", "default/nginx"}, {"attempt", 3}, {"ok", true}});
  });
  CHECK(out.rfind("I", 0) == 0);
  CHECK(out.find("log_test.cc:") != std::string::npos);
  CHECK(out.find("] \"created \\\"pod\\\"\" node=\"vk-1\" pod=\"default/nginx\" attempt=3 ok=true\n") !=
        std::string::npos);
}

TEST_CASE("json sink writes one object per line") {
  std::string out = Capture(&log::NewJsonSink, [](const Context& ctx) {
    log::Warning(ctx, "line\nbreak", {{"n", 2}, {"err", absl::NotFoundError("x")}});
  });
  CHECK(out.find("\"level\":\"warning\"") != std::string::npos);
  CHECK(out.find("\"msg\":\"line\\nbreak\"") != std::string::npos);
  CHECK(out.find("\"node\":\"vk-1\"") != std::string::npos);
  CHECK(out.find("\"n\":2") != std::string::npos);
  CHECK(out.find("\"err\":\"NOT_FOUND: x\"") != std::string::npos);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
}

TEST_CASE("levels filter") {
  auto sink = std::make_shared<log::MemorySink>();
  auto logger = std::make_shared<log::Logger>(sink, log::Level::kWarning);
  Context ctx = Context::Background().WithLogger(logger);
  log::Debug(ctx, "d");
  log::Info(ctx, "i");
  log::Error(ctx, "e", {{"k", "v"}});
  auto lines = sink->lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].message == "e");
  CHECK(lines[0].fields[0] == std::pair<std::string, std::string>("k", "v"));
  log::Level level;
  CHECK(log::ParseLevel("WARN", &level));
  CHECK(level == log::Level::kWarning);
  CHECK_FALSE(log::ParseLevel("loud", &level));
}

TEST_CASE("redaction keeps only the size") { CHECK(log::Redacted("hunter2") == "<redacted, 7 bytes>"); }

}  // namespace
}  // namespace vkubelet

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Server limits and shutdown: oversized headers and bodies, slowloris,
// garbage, connection limits, Stop() with open streams.

#include <dirent.h>
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "http_test_util.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::internal::http {
namespace {

using testutil::AwaitFor;
using testutil::Get;
using testutil::Eventually;
using testutil::MakeClient;
using testutil::RawSocket;
using testutil::StartServer;
using testutil::TestCtx;

void Ok(Request& req, std::shared_ptr<Response> resp) {
  resp->Send(200, {}, absl::StrCat("ok ", req.body.size()));
}

int StatusOf(const std::string& raw) {
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

TEST_CASE("a header larger than max_header_bytes gets 431") {
  ServerOptions opts;
  opts.max_header_bytes = 16 << 10;
  auto server = StartServer(opts, Ok);
  REQUIRE(server);
  RawSocket s(server->port());
  std::string req = absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(64 << 10, 'a'), "\r\n\r\n");
  s.Send(req);
  CHECK(StatusOf(s.ReadUntil("\r\n\r\n")) == 431);
  CHECK(s.WaitClosed());
  // Below the limit is fine.
  auto client = MakeClient(server->port());
  ClientRequest ok;
  ok.headers.Add("X-Big", std::string(8 << 10, 'a'));
  auto r = client->Do(TestCtx(), ok);
  VK_REQUIRE_OK(r);
  CHECK(r->status == 200);
}

TEST_CASE("a body larger than max_body_bytes gets 413") {
  ServerOptions opts;
  opts.max_body_bytes = 1 << 20;
  auto server = StartServer(opts, Ok);
  REQUIRE(server);
  auto client = MakeClient(server->port());
  ClientRequest big;
  big.method = "PUT";
  big.body = std::string(2 << 20, 'b');
  auto r = client->Do(TestCtx(), big);
  VK_REQUIRE_OK(r);
  CHECK(r->status == 413);
  big.body = std::string(1 << 20, 'b');
  auto r2 = client->Do(TestCtx(), big);
  VK_REQUIRE_OK(r2);
  CHECK(r2->status == 200);
  CHECK(r2->body == absl::StrCat("ok ", 1 << 20));

  // Chunked bodies are limited too.
  RawSocket s(server->port());
  s.Send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string chunk = absl::StrCat("10000\r\n", std::string(0x10000, 'c'), "\r\n");
  for (int i = 0; i < 20 && !s.closed(); ++i) {
    if (!s.Send(chunk)) break;
  }
  CHECK(StatusOf(s.ReadUntil("\r\n\r\n")) == 413);
}

TEST_CASE("Expect: 100-continue is answered before the body is read") {
  auto server = StartServer({}, Ok);
  REQUIRE(server);
  RawSocket s(server->port());
  s.Send("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  CHECK(s.ReadUntil("\r\n\r\n").rfind("HTTP/1.1 100 Continue\r\n\r\n", 0) == 0);
  s.Send("hello");
  CHECK(s.ReadUntil("ok 5").find("ok 5") != std::string::npos);
}

TEST_CASE("a slowloris client is closed after the header timeout while others are served") {
  ServerOptions opts;
  opts.header_read_timeout = absl::Seconds(1);
  opts.io_threads = 1;  // one I/O thread must not be held up by the stalled client
  auto server = StartServer(opts, Ok);
  REQUIRE(server);
  RawSocket slow(server->port());
  REQUIRE(slow.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Partial: "));
  auto client = MakeClient(server->port());
  int served = 0;
  // Requests made while the slow client is stalled succeed.
  while (!slow.closed() && served < 5) {
    auto r = client->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(r);
    CHECK(r->status == 200);
    ++served;
  }
  CHECK(served > 0);
  CHECK(slow.WaitClosed(absl::Seconds(10)));
  CHECK(slow.received().empty());
  // A connection that sends nothing at all is closed too.
  RawSocket silent(server->port());
  CHECK(silent.WaitClosed(absl::Seconds(10)));
  VK_CHECK_OK(client->Do(TestCtx(), Get("/")));
}

TEST_CASE("garbage gets 400 and a closed connection; other connections are unaffected") {
  auto server = StartServer({}, Ok);
  REQUIRE(server);
  auto client = MakeClient(server->port());
  VK_REQUIRE_OK(client->Do(TestCtx(), Get("/")));
  for (std::string garbage : {std::string("\x16\x03\x01\x02\x00garbage\r\n\r\n", 16), std::string("GET\r\n\r\n"),
                              std::string("GET / HTTP/9.9\r\n\r\n"), std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                              std::string("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n")}) {
    RawSocket s(server->port());
    s.Send(garbage);
    CHECK_MESSAGE(StatusOf(s.ReadUntil("\r\n\r\n")) == 400, garbage);
    CHECK(s.WaitClosed());
  }
  // The keep-alive connection opened before still works.
  VK_CHECK_OK(client->Do(TestCtx(), Get("/")));
  CHECK(client->connections_opened() == 1);
}

TEST_CASE("connections beyond max_connections get 503") {
  ServerOptions opts;
  opts.max_connections = 2;
  auto server = StartServer(opts, Ok);
  REQUIRE(server);
  auto a = std::make_unique<RawSocket>(server->port());
  RawSocket b(server->port());
  REQUIRE(Eventually([&] { return server->open_connections() == 2; }));
  RawSocket c(server->port());
  CHECK(StatusOf(c.ReadUntil("\r\n\r\n")) == 503);
  CHECK(c.WaitClosed());
  // The admitted connections are served.
  b.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(StatusOf(b.ReadUntil("ok 0")) == 200);
  a.reset();
  REQUIRE(Eventually([&] { return server->open_connections() == 1; }));
  RawSocket d(server->port());
  d.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(StatusOf(d.ReadUntil("ok 0")) == 200);
}

int ThreadCount() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
  }
  return n;
}

TEST_CASE("Stop() with open streams and upgraded connections returns within the grace and joins its threads") {
  // Start the process-wide deadline thread of Context before counting.
  (void)Context::Background().WithTimeout(absl::Seconds(1));
  int baseline = ThreadCount();
  {
    absl::Mutex mu;
    int streaming = 0;
    auto server = StartServer({}, [&](Request& req, std::shared_ptr<Response> resp) {
      if (req.IsUpgrade("raw")) {
        auto c = resp->Upgrade({});
        if (!c.ok()) return;
        (*c)->Start([](std::string_view) {}, [conn = *c](const absl::Status&) {});
        // An upgraded session ends when its context does (server stopping).
        (*c)->context().WaitFor(absl::Seconds(30));
        (*c)->Close();
        return;
      }
      resp->StartStream(200, {});
      {
        absl::MutexLock lock(&mu);
        ++streaming;
      }
      // Streams until its context ends.
      while (resp->Write("tick\n") && !resp->context().WaitFor(absl::Milliseconds(20))) {
      }
    });
    REQUIRE(server);
    auto client = MakeClient(server->port());
    std::vector<std::thread> readers;
    std::atomic<int> ended{0};
    for (int i = 0; i < 3; ++i) {
      readers.emplace_back([&] {
        (void)client->Stream(TestCtx(), Get("/watch"), nullptr, [](std::string_view) { return true; });
        ended.fetch_add(1);
      });
    }
    ClientRequest up;
    up.headers = {{"Connection", "Upgrade"}, {"Upgrade", "raw"}};
    auto conn = client->Upgrade(TestCtx(), up);
    VK_REQUIRE_OK(conn);
    testutil::AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return streaming == 3; }, absl::Seconds(10));

    absl::Duration grace = absl::Seconds(20);
    absl::Time start = absl::Now();
    server->Stop(grace);
    CHECK(absl::Now() - start < grace);
    CHECK(server->open_connections() == 0);
    for (auto& t : readers) t.join();
    CHECK(ended.load() == 3);
    // Stopping again is harmless.
    server->Stop();
  }
  CHECK(ThreadCount() == baseline);
}

TEST_CASE("Stop() lets an in-flight request finish within the grace") {
  absl::Mutex mu;
  bool in_handler = false;
  bool release = false;
  bool ctx_was_cancelled = true;
  auto server = StartServer({}, [&](Request&, std::shared_ptr<Response> resp) {
    {
      absl::MutexLock lock(&mu);
      in_handler = true;
      mu.Await(absl::Condition(&release));
    }
    bool cancelled = resp->context().Done();
    resp->Send(200, {}, "finished");
    absl::MutexLock lock(&mu);
    ctx_was_cancelled = cancelled;
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  absl::StatusOr<ClientResponse> result;
  std::thread requester([&] { result = client->Do(TestCtx(), Get("/slow")); });
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return in_handler; }, absl::Seconds(10)));
  std::thread stopper([&] { server->Stop(absl::Seconds(20)); });
  // New connections are refused once stopping began.
  REQUIRE(Eventually([&] { return !RawSocket(server->port()).connected(); }));
  {
    absl::MutexLock lock(&mu);
    release = true;
  }
  requester.join();
  stopper.join();
  VK_REQUIRE_OK(result);
  CHECK(result->status == 200);
  CHECK(result->body == "finished");
  absl::MutexLock lock(&mu);
  CHECK_FALSE(ctx_was_cancelled);
}

TEST_CASE("Stop() aborts connections that outlive the grace") {
  auto server = StartServer({}, [](Request&, std::shared_ptr<Response> resp) {
    // Ignores its context: only the end of the grace closes it.
    auto c = resp->Upgrade({});
    if (c.ok()) (*c)->Start([](std::string_view) {}, [conn = *c](const absl::Status&) {});
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  ClientRequest up;
  up.headers = {{"Connection", "Upgrade"}, {"Upgrade", "raw"}};
  auto conn = client->Upgrade(TestCtx(), up);
  VK_REQUIRE_OK(conn);
  absl::Mutex mu;
  bool closed = false;
  conn->connection->Start([](std::string_view) {}, [&](const absl::Status&) {
    absl::MutexLock lock(&mu);
    closed = true;
  });
  REQUIRE(Eventually([&] { return server->open_connections() == 1; }));
  server->Stop(absl::Milliseconds(200));
  CHECK(server->open_connections() == 0);
  CHECK(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed; }, absl::Seconds(10)));
}

}  // namespace
}  // namespace vkubelet::internal::http

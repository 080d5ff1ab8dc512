// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// HTTP server/client over plain TCP: request/response, keep-alive, streaming,
// disconnect detection, backpressure, upgrades, hijacking and WebSockets.

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
using testutil::MakeClient;
using testutil::RawSocket;
using testutil::StartServer;
using testutil::TestCtx;

// Echoes what the server parsed, one "key=value" per line.
void EchoHandler(Request& req, std::shared_ptr<Response> resp) {
  std::string out = absl::StrCat("method=", req.method, "\npath=", req.path, "\nraw_query=", req.raw_query,
                                 "\nq=", req.Query("q"), "\nmulti=");
  for (const auto& v : req.QueryValues("m")) absl::StrAppend(&out, v, ",");
  absl::StrAppend(&out, "\nhas_flag=", req.HasQuery("flag") ? "yes" : "no", "\nx-test=", req.Header("X-TEST"),
                  "\nbody=", req.body, "\nremote_ok=", req.remote_address.rfind("127.0.0.1:", 0) == 0 ? "yes" : "no",
                  "\ntls=", req.tls ? "yes" : "no");
  resp->Send(200, {{"Content-Type", "text/plain"}, {"X-Reply", "a"}, {"X-Reply", "b"}}, out);
}

TEST_CASE("plain request/response with decoded path, query, headers and body") {
  auto server = StartServer({}, EchoHandler);
  REQUIRE(server);
  auto client = MakeClient(server->port());
  REQUIRE(client);
  ClientRequest req;
  req.method = "POST";
  req.target = "/a%20b/c?q=hello+world&m=1&m=2%263&flag";
  req.headers.Add("X-Test", "value");
  req.body = "payload";
  auto resp = client->Do(TestCtx(), req);
  VK_REQUIRE_OK(resp);
  CHECK(resp->status == 200);
  CHECK(resp->body ==
        "method=POST\npath=/a b/c\nraw_query=q=hello+world&m=1&m=2%263&flag\nq=hello world\nmulti=1,2&3,\n"
        "has_flag=yes\nx-test=value\nbody=payload\nremote_ok=yes\ntls=no");
  CHECK(resp->headers.GetAll("x-reply") == std::vector<std::string>{"a", "b"});
  CHECK(resp->headers.Get("Content-Length") == std::to_string(resp->body.size()));
}

TEST_CASE("keep-alive connections are reused, also with inline handlers") {
  for (int handler_threads : {8, 0}) {
    ServerOptions opts;
    opts.handler_threads = handler_threads;
    auto server = StartServer(opts, EchoHandler);
    REQUIRE(server);
    auto client = MakeClient(server->port());
    for (int i = 0; i < 5; ++i) {
      auto resp = client->Do(TestCtx(), Get(absl::StrCat("/n?q=", i)));
      VK_REQUIRE_OK(resp);
      CHECK(resp->body.find(absl::StrCat("q=", i, "\n")) != std::string::npos);
    }
    CHECK(client->connections_opened() == 1);
  }
}

TEST_CASE("pipelined requests are answered in order") {
  auto server = StartServer({}, [](Request& req, std::shared_ptr<Response> resp) {
    // The first request answers late, from another thread.
    if (req.path == "/slow") {
      std::thread([resp] { resp->Send(200, {}, "slow"); }).detach();
      return;
    }
    resp->Send(200, {}, "fast");
  });
  REQUIRE(server);
  RawSocket s(server->port());
  REQUIRE(s.connected());
  REQUIRE(s.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = s.ReadUntil("fast");
  size_t slow = got.find("slow");
  size_t fast = got.find("fast");
  REQUIRE(slow != std::string::npos);
  REQUIRE(fast != std::string::npos);
  CHECK(slow < fast);
}

TEST_CASE("a handler that throws or drops its response yields 500; the server goes on") {
  auto server = StartServer({}, [](Request& req, std::shared_ptr<Response> resp) {
    if (req.path == "/throw") throw std::runtime_error("boom");
    if (req.path == "/drop") return;
    resp->Send(200, {}, "ok");
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto r1 = client->Do(TestCtx(), Get("/throw"));
  VK_REQUIRE_OK(r1);
  CHECK(r1->status == 500);
  auto r2 = client->Do(TestCtx(), Get("/drop"));
  VK_REQUIRE_OK(r2);
  CHECK(r2->status == 500);
  auto r3 = client->Do(TestCtx(), Get("/fine"));
  VK_REQUIRE_OK(r3);
  CHECK(r3->status == 200);
  CHECK(r3->body == "ok");
}

TEST_CASE("each streamed chunk reaches the client before the next is written") {
  absl::Mutex mu;
  int seen = 0;  // lines the client has received
  constexpr int kLines = 5;
  auto server = StartServer({}, [&](Request&, std::shared_ptr<Response> resp) {
    resp->StartStream(200, {{"Content-Type", "application/json"}});
    for (int i = 0; i < kLines; ++i) {
      // Only write line i once the client has seen line i-1.
      if (!AwaitFor(mu, [&] { return seen >= i; }, absl::Seconds(10))) break;
      resp->Write(absl::StrCat("{\"line\":", i, "}\n"));
    }
    resp->Finish();
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  std::string all;
  int status = 0;
  std::string te;
  auto s = client->Stream(
      TestCtx(), Get("/watch"),
      [&](int st, const Headers& h) {
        status = st;
        te = h.Get("Transfer-Encoding");
      },
      [&](std::string_view data) {
        all.append(data);
        absl::MutexLock lock(&mu);
        seen = static_cast<int>(std::count(all.begin(), all.end(), '\n'));
        return true;
      });
  VK_CHECK_OK(s);
  CHECK(status == 200);
  CHECK(te == "chunked");
  CHECK(seen == kLines);
  CHECK(all == "{\"line\":0}\n{\"line\":1}\n{\"line\":2}\n{\"line\":3}\n{\"line\":4}\n");
  // The connection serves the next request after the stream finished.
  auto after = client->Stream(TestCtx(), Get("/again"), nullptr, [](std::string_view) { return true; });
  VK_CHECK_OK(after);
  CHECK(client->connections_opened() == 1);
}

TEST_CASE("client disconnect cancels context() and makes Write return false") {
  absl::Mutex mu;
  bool handler_done = false;
  bool ctx_cancelled = false;
  bool write_failed = false;
  auto server = StartServer({}, [&](Request&, std::shared_ptr<Response> resp) {
    resp->StartStream(200, {});
    resp->Write("first\n");
    bool cancelled = resp->context().WaitFor(absl::Seconds(10));
    bool failed = !resp->Write("after\n");
    absl::MutexLock lock(&mu);
    ctx_cancelled = cancelled;
    write_failed = failed;
    handler_done = true;
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto s = client->Stream(TestCtx(), Get("/logs"), nullptr, [](std::string_view) { return false; });
  VK_CHECK_OK(s);
  REQUIRE(AwaitFor(mu, [&] { return handler_done; }, absl::Seconds(15)));
  absl::MutexLock lock(&mu);
  CHECK(ctx_cancelled);
  CHECK(write_failed);
}

TEST_CASE("Client::Stream is cancelled through its context") {
  auto server = StartServer({}, [](Request&, std::shared_ptr<Response> resp) {
    resp->StartStream(200, {});
    resp->Write("x");
    resp->context().WaitFor(absl::Seconds(20));
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto [ctx, cancel] = TestCtx().WithCancel();
  auto s = client->Stream(ctx, Get("/"), nullptr, [&, c = cancel](std::string_view) {
    c();  // cancel from inside the reader; the next read must end at once
    return true;
  });
  CHECK(s.code() == absl::StatusCode::kCancelled);
}

TEST_CASE("WaitWritable applies backpressure to a producer when the reader is slow") {
  constexpr size_t kChunk = 256 << 10;
  constexpr size_t kMark = 1 << 20;
  constexpr int kChunks = 128;  // 32 MiB: far more than socket buffers hold
  absl::Mutex mu;
  bool producer_blocked = false;
  bool producer_done = false;
  size_t max_queued = 0;
  absl::Status wait_status;
  auto server = StartServer({}, [&](Request&, std::shared_ptr<Response> resp) {
    resp->StartStream(200, {});
    std::string chunk(kChunk, 'x');
    for (int i = 0; i < kChunks; ++i) {
      if (resp->QueuedBytes() >= kMark) {
        absl::MutexLock lock(&mu);
        producer_blocked = true;
      }
      absl::Status s = resp->WaitWritable(resp->context(), kMark);
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        wait_status = s;
        break;
      }
      resp->Write(chunk);
      absl::MutexLock lock(&mu);
      max_queued = std::max(max_queued, resp->QueuedBytes());
    }
    resp->Finish();
    absl::MutexLock lock(&mu);
    producer_done = true;
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  size_t received = 0;
  bool waited = false;
  auto s = client->Stream(TestCtx(), Get("/big"), nullptr, [&](std::string_view data) {
    received += data.size();
    if (!waited) {
      // Stop reading until the producer is blocked by backpressure.
      waited = true;
      CHECK(AwaitFor(mu, [&] { return producer_blocked; }, absl::Seconds(15)));
      absl::MutexLock lock(&mu);
      CHECK_FALSE(producer_done);
    }
    return true;
  });
  VK_CHECK_OK(s);
  CHECK(received == kChunk * kChunks);
  REQUIRE(AwaitFor(mu, [&] { return producer_done; }, absl::Seconds(15)));
  absl::MutexLock lock(&mu);
  VK_CHECK_OK(wait_status);
  CHECK(max_queued <= kMark + kChunk + 64);
}

// Handler for upgrade tests: switches "echo" upgrades to a raw echo.
void UpgradeEchoHandler(Request& req, std::shared_ptr<Response> resp) {
  if (!req.IsUpgrade("test-echo")) {
    resp->Send(400, {}, "not an upgrade");
    return;
  }
  auto conn = resp->Upgrade({{"Upgrade", "test-echo"}, {"Connection", "Upgrade"}, {"X-Chosen", "yes"}});
  if (!conn.ok()) return;
  std::shared_ptr<Connection> c = *conn;
  c->Start([c](std::string_view data) { c->Write("echo:" + std::string(data)); },
           [c](const absl::Status&) {});
}

// Reads from `conn` until `want` was received.
struct Collector {
  absl::Mutex mu;
  std::string data ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  absl::Status close_status ABSL_GUARDED_BY(mu);

  void Attach(Connection& conn) {
    conn.Start(
        [this](std::string_view d) {
          absl::MutexLock lock(&mu);
          data.append(d);
        },
        [this](const absl::Status& s) {
          absl::MutexLock lock(&mu);
          closed = true;
          close_status = s;
        });
  }
  bool WaitFor(std::string_view want) {
    return AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return data.find(want) != std::string::npos; },
                    absl::Seconds(10));
  }
  bool WaitClosed() {
    return AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed; }, absl::Seconds(10));
  }
};

TEST_CASE("101 Upgrade, then raw bytes flow both ways") {
  auto server = StartServer({}, UpgradeEchoHandler);
  REQUIRE(server);
  auto client = MakeClient(server->port());
  ClientRequest req;
  req.target = "/exec";
  req.headers = {{"Connection", "Upgrade"}, {"Upgrade", "test-echo"}};
  auto up = client->Upgrade(TestCtx(), req);
  VK_REQUIRE_OK(up);
  CHECK(up->status == 101);
  CHECK(up->headers.Get("X-Chosen") == "yes");
  REQUIRE(up->connection);
  Collector col;
  col.Attach(*up->connection);
  CHECK(up->connection->Write("hello"));
  CHECK(col.WaitFor("echo:hello"));
  CHECK(up->connection->Write(" world"));
  CHECK(col.WaitFor("echo: world"));
  up->connection->Close();
  CHECK(col.WaitClosed());
  absl::MutexLock lock(&col.mu);
  VK_CHECK_OK(col.close_status);
}

TEST_CASE("a non-101 answer to an upgrade request comes back with its body") {
  auto server = StartServer({}, UpgradeEchoHandler);
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto up = client->Upgrade(TestCtx(), Get("/exec"));
  VK_REQUIRE_OK(up);
  CHECK(up->status == 400);
  CHECK(up->body == "not an upgrade");
  CHECK(up->connection == nullptr);
}

TEST_CASE("Hijack delivers bytes pipelined after the request first") {
  auto server = StartServer({}, [](Request&, std::shared_ptr<Response> resp) {
    auto conn = resp->Hijack();
    if (!conn.ok()) return;
    std::shared_ptr<Connection> c = *conn;
    // A proxy writes the upstream's own 101.
    c->Write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n");
    c->Start([c](std::string_view d) { c->Write("[" + std::string(d) + "]"); }, [c](const absl::Status&) {});
  });
  REQUIRE(server);
  RawSocket s(server->port());
  REQUIRE(s.Send("GET /proxy HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\nPIPELINED"));
  std::string got = s.ReadUntil("PIPELINED]");
  CHECK(got.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(got.find("[PIPELINED]") != std::string::npos);
  REQUIRE(s.Send("more"));
  CHECK(s.ReadUntil("[more]").find("[more]") != std::string::npos);
}

TEST_CASE("WebSocket echo with a chosen subprotocol") {
  auto server = StartServer({}, [](Request& req, std::shared_ptr<Response> resp) {
    std::string offered = req.Header("Sec-WebSocket-Protocol");
    std::string chosen = offered.find("v4.channel.k8s.io") != std::string::npos ? "v4.channel.k8s.io" : "";
    auto ws = resp->AcceptWebSocket(chosen);
    if (!ws.ok()) {
      resp->Send(400, {}, std::string(ws.status().message()));
      return;
    }
    std::shared_ptr<WebSocketConnection> w = *ws;
    w->Start([w](std::string data, bool binary) { w->Send("echo:" + std::string(data), binary); },
             [w](int, const std::string&) {});
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto ws = client->WebSocket(TestCtx(), "/exec?command=sh", {"v5.channel.k8s.io", "v4.channel.k8s.io"});
  VK_REQUIRE_OK(ws);
  CHECK((*ws)->subprotocol() == "v4.channel.k8s.io");

  absl::Mutex mu;
  std::vector<std::pair<std::string, bool>> got;
  int close_code = 0;
  bool closed = false;
  (*ws)->Start(
      [&](std::string data, bool binary) {
        absl::MutexLock lock(&mu);
        got.emplace_back(std::move(data), binary);
      },
      [&](int code, const std::string&) {
        absl::MutexLock lock(&mu);
        close_code = code;
        closed = true;
      });
  CHECK((*ws)->Send(std::string("\x01stdin", 6), true));
  CHECK((*ws)->Send("text", false));
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return got.size() == 2; }, absl::Seconds(10)));
  {
    absl::MutexLock lock(&mu);
    CHECK(got[0].first == std::string("echo:\x01stdin", 11));
    CHECK(got[0].second);
    CHECK(got[1].first == "echo:text");
    CHECK_FALSE(got[1].second);
  }
  (*ws)->Close(1000, "bye");
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed; }, absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  CHECK(close_code == 1000);
}

TEST_CASE("a WebSocket message over max_message_bytes closes the connection with 1009") {
  absl::Mutex mu;
  int server_close_code = 0;
  int messages = 0;
  auto server = StartServer({}, [&](Request&, std::shared_ptr<Response> resp) {
    WebSocketOptions opts;
    opts.max_message_bytes = 1024;
    auto ws = resp->AcceptWebSocket("", opts);
    if (!ws.ok()) return;
    std::shared_ptr<WebSocketConnection> w = *ws;
    w->Start(
        [&](std::string, bool) {
          absl::MutexLock lock(&mu);
          ++messages;
        },
        [&, w](int code, const std::string&) {
          absl::MutexLock lock(&mu);
          server_close_code = code;
        });
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto ws = client->WebSocket(TestCtx(), "/", {});
  VK_REQUIRE_OK(ws);
  CHECK((*ws)->subprotocol().empty());
  bool closed = false;
  (*ws)->Start([](std::string, bool) {}, [&](int, const std::string&) {
    absl::MutexLock lock(&mu);
    closed = true;
  });
  CHECK((*ws)->Send(std::string(1000, 'a')));
  CHECK((*ws)->Send(std::string(2000, 'b')));
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return server_close_code != 0 && closed; },
                   absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  CHECK(messages == 1);
  CHECK(server_close_code == 1009);
}

TEST_CASE("AcceptWebSocket on a plain request is refused without sending anything") {
  auto server = StartServer({}, [](Request&, std::shared_ptr<Response> resp) {
    auto ws = resp->AcceptWebSocket("");
    resp->Send(ws.status().code() == absl::StatusCode::kInvalidArgument ? 400 : 500, {}, "no");
  });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto r = client->Do(TestCtx(), Get("/"));
  VK_REQUIRE_OK(r);
  CHECK(r->status == 400);
}

TEST_CASE("a WebSocket handshake the server rejects is an error with the status") {
  auto server = StartServer({}, [](Request&, std::shared_ptr<Response> resp) { resp->Send(403, {}, "no"); });
  REQUIRE(server);
  auto client = MakeClient(server->port());
  auto ws = client->WebSocket(TestCtx(), "/", {"v4.channel.k8s.io"});
  REQUIRE_FALSE(ws.ok());
  CHECK(ws.status().message().find("403") != std::string::npos);
}

}  // namespace
}  // namespace vkubelet::internal::http

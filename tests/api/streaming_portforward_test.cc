// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// port-forward on the real kubelet server over SPDY/3.1, raw and tunnelled
// through a WebSocket (SPDY/3.1+portforward.k8s.io), plain and TLS: stream
// pairs, many concurrent connections on one session, provider errors on the
// error stream, resets, pair timeouts, and a provider that does not read.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "streaming_test_util.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::streaming_test {
namespace {

constexpr char kTarget[] = "/portForward/ns/web";

std::unique_ptr<SpdyTestClient> ConnectPf(http::Client& hc, SpdyClientOptions o = SpdyClientOptions()) {
  auto up = SpdyTestClient::Connect(hc, kTarget, {"portforward.k8s.io"}, o);
  REQUIRE(up.status == 101);
  CHECK(up.headers.Get("X-Stream-Protocol-Version") == "portforward.k8s.io");
  return std::move(up.client);
}

// One forwarded connection as client-go opens it: error stream first (the
// client half-closes it at once), then the data stream.
struct Pf {
  uint32_t error = 0, data = 0;
};
Pf OpenPair(SpdyTestClient& c, int port, int request_id) {
  Pf p;
  p.error = c.Open(
      {{"streamtype", "error"}, {"port", std::to_string(port)}, {"requestid", std::to_string(request_id)}});
  REQUIRE(c.WaitReplied(p.error));
  REQUIRE(c.HalfClose(p.error).ok());
  p.data = c.Open(
      {{"streamtype", "data"}, {"port", std::to_string(port)}, {"requestid", std::to_string(request_id)}});
  REQUIRE(c.WaitReplied(p.data));
  return p;
}

void EchoRoundTrip(SpdyTestClient& c, int request_id, size_t size) {
  Pf p = OpenPair(c, 7, request_id);
  const std::string payload = Pattern(size, static_cast<uint32_t>(request_id) + 100);
  std::thread sender([&] { CHECK(c.Send(p.data, payload, /*fin=*/true).ok()); });
  CHECK(c.WaitFin(p.data, absl::Seconds(60)));
  sender.join();
  CHECK(c.Stream(p.data).data == payload);
  CHECK(c.WaitFin(p.error));
  CHECK(c.Stream(p.error).data.empty());
}

TEST_CASE("SPDY port-forward: an echo connection, then the provider's error on the error stream") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  EchoRoundTrip(*c, 0, 300 * 1024);

  Pf bad = OpenPair(*c, 9, 1);
  REQUIRE(c->WaitFin(bad.error));
  CHECK(c->Stream(bad.error).data == "error forwarding port 9 to pod web, uid : connection refused");
  CHECK(c->WaitFin(bad.data));
  CHECK(c->Stream(bad.data).data.empty());

  // A generator: the provider writes 1 MiB and returns; the data stream ends.
  Pf gen = OpenPair(*c, 19, 2);
  REQUIRE(c->WaitFin(gen.data));
  CHECK(c->Stream(gen.data).data == Pattern(1 << 20, 19));
  CHECK(!c->closed());
  CHECK(ts->provider->pf_calls() == 3);
  CHECK(ts->counters().spdy_port_forward_sessions == 1);
}

TEST_CASE("SPDY port-forward: the uid route names the uid in errors") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, "/portForward/ns/web/uid-123", {"portforward.k8s.io"});
  REQUIRE(up.status == 101);
  Pf bad = OpenPair(*up.client, 9, 0);
  REQUIRE(up.client->WaitFin(bad.error));
  CHECK(up.client->Stream(bad.error).data ==
        "error forwarding port 9 to pod web, uid uid-123: connection refused");
}

TEST_CASE("SPDY port-forward: 16 concurrent connections interleave on one session") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  constexpr int kConns = 16;
  std::vector<Pf> pairs;
  for (int i = 0; i < kConns; ++i) pairs.push_back(OpenPair(*c, 7, i));
  std::vector<std::string> payloads;
  for (int i = 0; i < kConns; ++i) payloads.push_back(Pattern(256 * 1024 + i * 1000, 500 + i));
  std::vector<std::thread> senders;
  for (int i = 0; i < kConns; ++i) {
    senders.emplace_back([&, i] {
      // Small pieces so that frames of every connection interleave.
      const std::string& p = payloads[i];
      for (size_t pos = 0; pos < p.size(); pos += 4096) {
        CHECK(c->Send(pairs[i].data, std::string_view(p).substr(pos, 4096)).ok());
      }
      CHECK(c->HalfClose(pairs[i].data).ok());
    });
  }
  for (int i = 0; i < kConns; ++i) {
    CHECK(c->WaitFin(pairs[i].data, absl::Seconds(60)));
    CHECK(c->Stream(pairs[i].data).data == payloads[i]);
  }
  for (auto& t : senders) t.join();
  CHECK(ts->provider->max_pf_running() > 1);
  CHECK(ts->counters().port_forward_connections == kConns);
}

TEST_CASE("SPDY port-forward: a client reset cancels that connection only; leaving cancels the rest") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  Pf hang1 = OpenPair(*c, 13, 0);
  Pf hang2 = OpenPair(*c, 13, 1);
  REQUIRE(ts->provider->WaitWaiting(2));
  REQUIRE(c->Reset(hang1.data).ok());
  CHECK(ts->provider->WaitCancelled(1));
  CHECK(ts->provider->cancelled() == 1);
  // The session still serves new connections.
  EchoRoundTrip(*c, 2, 64 * 1024);
  c->Abort();
  CHECK(ts->provider->WaitCancelled(2));
  CHECK(ts->provider->WaitPfIdle());
  (void)hang2;
}

TEST_CASE("SPDY port-forward: streams that cannot form a connection are refused") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  const uint32_t no_port = c->Open({{"streamtype", "data"}, {"requestid", "0"}});
  const uint32_t bad_port = c->Open({{"streamtype", "data"}, {"port", "70000"}, {"requestid", "1"}});
  const uint32_t zero_port = c->Open({{"streamtype", "data"}, {"port", "0"}, {"requestid", "2"}});
  const uint32_t wrong_type = c->Open({{"streamtype", "stdin"}, {"port", "7"}, {"requestid", "3"}});
  for (uint32_t id : {no_port, bad_port, zero_port, wrong_type}) {
    REQUIRE(c->WaitReplied(id));
    CHECK(c->Stream(id).reset);
    CHECK(c->Stream(id).reset_status == spdy::RstStatus::kRefusedStream);
  }
  Pf ok = OpenPair(*c, 7, 4);
  const uint32_t dup = c->Open({{"streamtype", "data"}, {"port", "7"}, {"requestid", "4"}});
  REQUIRE(c->WaitReplied(dup));
  CHECK(c->Stream(dup).reset);
  REQUIRE(c->Send(ok.data, "still works", true).ok());
  REQUIRE(c->WaitFin(ok.data));
  CHECK(c->Stream(ok.data).data == "still works");
}

TEST_CASE("SPDY port-forward: clients without requestid pair error stream N with data stream N+2") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  const uint32_t error = c->Open({{"streamtype", "error"}, {"port", "7"}});
  const uint32_t data = c->Open({{"streamtype", "data"}, {"port", "7"}});
  REQUIRE(data == error + 2);
  REQUIRE(c->WaitReplied(data));
  REQUIRE(c->Send(data, "legacy", true).ok());
  REQUIRE(c->WaitFin(data));
  CHECK(c->Stream(data).data == "legacy");
}

TEST_CASE("SPDY port-forward: half a pair times out (fake clock)") {
  testing::FakeClock clock;
  StreamingOptions opts;
  opts.clock = &clock;
  opts.stream_idle_timeout = absl::InfiniteDuration();
  opts.stream_creation_timeout = absl::Seconds(30);
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  const uint32_t error = c->Open({{"streamtype", "error"}, {"port", "7"}, {"requestid", "0"}});
  const uint32_t data = c->Open({{"streamtype", "data"}, {"port", "7"}, {"requestid", "1"}});
  REQUIRE(c->WaitReplied(error));
  REQUIRE(c->WaitReplied(data));
  REQUIRE(clock.AwaitWaiters(1));
  clock.Advance(absl::Seconds(31));
  REQUIRE(c->WaitFin(error));
  CHECK(c->Stream(error).data == "(request=0) timed out waiting for streams");
  CHECK(c->WaitFor([&] { return c->Stream(data).reset; }));
  CHECK(ts->counters().creation_timeouts == 2);
  CHECK(ts->provider->pf_calls() == 0);
  CHECK(!c->closed());
  // The session goes on.
  Pf ok = OpenPair(*c, 7, 2);
  REQUIRE(c->Send(ok.data, "late", true).ok());
  REQUIRE(c->WaitFin(ok.data));
  CHECK(c->Stream(ok.data).data == "late");
}

TEST_CASE("SPDY port-forward: a provider that does not read holds back only its connection") {
  StreamingOptions opts;
  opts.read_buffer_bytes = 128 * 1024;
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  auto c = ConnectPf(*hc);
  Pf held = OpenPair(*c, 23, 0);
  REQUIRE(ts->provider->WaitWaiting(1));
  const std::string big = Pattern(1 << 20, 23);
  std::thread sender([&] { CHECK(c->Send(held.data, big, /*fin=*/true).ok()); });
  REQUIRE(c->WaitFor([&] { return c->window_available(held.data) == 0; }));
  // Other connections on the same session flow meanwhile.
  EchoRoundTrip(*c, 1, 512 * 1024);
  CHECK(ts->counters().read_pauses.load() == 0);
  ts->provider->Release();
  REQUIRE(c->WaitFin(held.data, absl::Seconds(60)));
  sender.join();
  CHECK(c->Stream(held.data).data == big);
}

TEST_CASE("SPDY port-forward tunnelled in a WebSocket, plain and TLS") {
  for (bool tls : {false, true}) {
    CAPTURE(tls);
    auto ts = StartServer({}, tls);
    auto hc = ts->Client();
    auto c = SpdyTestClient::ConnectTunnel(*hc, kTarget, "SPDY/3.1+portforward.k8s.io");
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    // Two connections at once, 10 MiB each way in total.
    std::thread a([&] { EchoRoundTrip(**c, 0, 5 << 20); });
    EchoRoundTrip(**c, 1, 5 << 20);
    a.join();
    Pf bad = OpenPair(**c, 9, 2);
    REQUIRE((*c)->WaitFin(bad.error));
    CHECK(absl::StrContains((*c)->Stream(bad.error).data, "connection refused"));
    CHECK(ts->counters().tunnel_port_forward_sessions == 1);
    CHECK(ts->counters().spdy_port_forward_sessions == 0);
  }
}

TEST_CASE("SPDY port-forward: negotiation and a provider without the ability") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, kTarget, {"v4.channel.k8s.io"});
  CHECK(up.status == 403);
  CHECK(up.headers.GetAll("X-Accepted-Stream-Protocol-Versions") ==
        std::vector<std::string>{"portforward.k8s.io"});
  auto plain = hc->Do(TestCtx(), {"GET", kTarget, {}, ""});
  REQUIRE(plain.ok());
  CHECK(plain->status == 400);

  // A server whose provider cannot forward ports answers 501.
  api::internal::StreamingDeps deps;
  auto svc = std::make_shared<StreamingService>(deps, StreamingOptions());
  api::KubeletServerOptions so;
  so.node_name = "n";
  so.address = "127.0.0.1";
  so.port = 0;
  so.no_auth = true;
  so.insecure_plain_http = true;
  auto server = api::internal::CreateKubeletServer(so, {}, svc->Routes(), true);
  REQUIRE(server.ok());
  REQUIRE((*server)->Start().ok());
  http::ClientOptions co;
  co.port = (*server)->port();
  auto hc2 = http::Client::Create(co);
  REQUIRE(hc2.ok());
  auto none = SpdyTestClient::Connect(**hc2, kTarget, {"portforward.k8s.io"});
  CHECK(none.status == 501);
  auto exec = SpdyTestClient::Connect(**hc2, "/exec/ns/web/app?command=x&output=1", {"v4.channel.k8s.io"});
  CHECK(exec.status == 501);
}

}  // namespace
}  // namespace vkubelet::streaming_test

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// exec, attach and port-forward on the real kubelet server over the
// WebSocket channel protocols (v5, v4, base64, v1), plain and TLS: the ready
// message, the error channel, v5 CLOSE for stdin EOF, resize, bad messages,
// backpressure, and v4 port-forward with its port prefixes.

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "streaming_test_util.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::streaming_test {
namespace {

std::string ExecTarget(const std::vector<std::string>& cmd, const std::string& flags = "output=1") {
  std::vector<std::string> q;
  for (const auto& c : cmd) q.push_back("command=" + http::PercentEncode(c));
  q.push_back(flags);
  return "/exec/ns/web/app?" + absl::StrJoin(q, "&");
}

std::unique_ptr<WsTestClient> Connect(http::Client& hc, const std::string& target,
                                      const std::string& protocol) {
  auto c = WsTestClient::Connect(hc, target, {protocol});
  REQUIRE_MESSAGE(c.ok(), c.status().ToString());
  CHECK((*c)->subprotocol() == protocol);
  return *std::move(c);
}

TEST_CASE("WebSocket exec: every channel protocol; ready message, output, status, close 1000") {
  auto ts = StartServer();
  auto hc = ts->Client();
  const std::vector<std::pair<std::string, int>> protocols = {{"v5.channel.k8s.io", 5},
                                                              {"v4.channel.k8s.io", 4},
                                                              {"v4.base64.channel.k8s.io", 4},
                                                              {"channel.k8s.io", 1},
                                                              {"base64.channel.k8s.io", 1}};
  for (const auto& [protocol, version] : protocols) {
    CAPTURE(protocol);
    auto c = Connect(*hc, ExecTarget({"echo", "hello"}), protocol);
    REQUIRE(c->WaitClosed());
    CHECK(c->close_code() == 1000);
    CHECK(c->bad_messages() == 0);
    auto msgs = c->messages();
    REQUIRE(!msgs.empty());
    // The first message is the empty "ready" message on stdout.
    CHECK(msgs[0].channel == 1);
    CHECK(msgs[0].payload.empty());
    CHECK(c->Channel(1) == "hello\n");
    CHECK(c->Channel(3) == (version >= 4 ? spdy::SuccessStatusJson() : ""));
  }
  CHECK(ts->counters().websocket_exec_sessions == protocols.size());
}

TEST_CASE("WebSocket exec: the ready message goes to the lowest channel the server writes") {
  auto ts = StartServer();
  auto hc = ts->Client();
  {
    auto c = Connect(*hc, ExecTarget({"stderr", "e"}, "error=1"), "v4.channel.k8s.io");
    REQUIRE(c->WaitClosed());
    auto msgs = c->messages();
    REQUIRE(!msgs.empty());
    CHECK(msgs[0].channel == 2);
    CHECK(msgs[0].payload.empty());
    CHECK(c->Channel(2) == "e\n");
  }
  {
    auto c = Connect(*hc, ExecTarget({"count"}, "input=1"), "v5.channel.k8s.io");
    REQUIRE(c->WaitFor([&] { return !c->messages().empty(); }));
    CHECK(c->messages()[0].channel == 3);
    c->SendClose(0);
    REQUIRE(c->WaitClosed());
    // count's output has nowhere to go: the provider's error is reported.
    auto parsed = spdy::ParseErrorStream(5, c->Channel(3));
    REQUIRE(parsed.ok());
    CHECK(absl::StrContains(parsed->error, "stream not requested"));
  }
}

TEST_CASE("WebSocket exec v5: stdin EOF with CLOSE; 10 MiB round trip; exit codes and errors") {
  auto ts = StartServer();
  auto hc = ts->Client();
  {
    auto c = Connect(*hc, ExecTarget({"cat"}, "input=1&output=1"), "v5.channel.k8s.io");
    const std::string input = Pattern(10 << 20, 11);
    for (size_t pos = 0; pos < input.size(); pos += 32 * 1024) {
      REQUIRE(c->Send(0, std::string_view(input).substr(pos, 32 * 1024)));
      if (c->ws().QueuedBytes() > (4 << 20)) REQUIRE(c->ws().WaitWritable(TestCtx(), 1 << 20).ok());
    }
    REQUIRE(c->SendClose(0));
    REQUIRE(c->WaitClosed(absl::Seconds(60)));
    CHECK(c->Channel(1).size() == input.size());
    CHECK(c->Channel(1) == input);
    CHECK(c->Channel(3) == spdy::SuccessStatusJson());
  }
  {
    auto c = Connect(*hc, ExecTarget({"exit", "42"}), "v5.channel.k8s.io");
    REQUIRE(c->WaitClosed());
    CHECK(c->Channel(3) == spdy::NonZeroExitStatusJson(42, "exit status 42"));
  }
  {
    auto c = Connect(*hc, ExecTarget({"nosuch"}), "v4.base64.channel.k8s.io");
    REQUIRE(c->WaitClosed());
    auto parsed = spdy::ParseErrorStream(4, c->Channel(3));
    REQUIRE(parsed.ok());
    CHECK(absl::StrContains(parsed->error, "executable not found: nosuch"));
  }
  {
    auto c = Connect(*hc, ExecTarget({"exit", "2"}), "channel.k8s.io");
    REQUIRE(c->WaitClosed());
    CHECK(c->Channel(3) == "command terminated with non-zero exit code: exit status 2");
  }
}

TEST_CASE("WebSocket exec over TLS with base64 framing: stdin and stdout") {
  auto ts = StartServer({}, /*tls=*/true);
  auto hc = ts->Client();
  // base64 protocols have no CLOSE: stdin ends when the command stops reading.
  auto c = Connect(*hc, ExecTarget({"resize", "1"}, "input=1&output=1&tty=1"), "v4.base64.channel.k8s.io");
  REQUIRE(c->Send(4, "{\"Width\":120,\"Height\":40}"));
  REQUIRE(c->WaitClosed());
  CHECK(c->Channel(1) == "120x40\n");
  CHECK(c->Channel(3) == spdy::SuccessStatusJson());
}

TEST_CASE("WebSocket exec with a TTY: resizes in order, stderr dropped") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = Connect(*hc, ExecTarget({"resize", "2"}, "input=1&output=1&error=1&tty=1"), "v5.channel.k8s.io");
  REQUIRE(c->Send(4, "{\"Width\":80,\"Height\":24}\n"));
  REQUIRE(c->Send(4, "{\"Width\":81,\"Height\":25}\n"));
  REQUIRE(c->WaitClosed());
  CHECK(c->Channel(1) == "80x24\n81x25\n");
  auto calls = ts->provider->calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].tty);
  CHECK(!calls[0].has_stderr);
}

TEST_CASE("WebSocket attach") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto c = Connect(*hc, "/attach/ns/web/app?input=1&output=1", "v5.channel.k8s.io");
  REQUIRE(c->Send(0, "hi"));
  REQUIRE(c->SendClose(0));
  REQUIRE(c->WaitClosed());
  CHECK(c->Channel(1) == "attached\nhi");
}

TEST_CASE("WebSocket exec: bad messages are skipped; a malformed CLOSE ends the session") {
  auto ts = StartServer();
  auto hc = ts->Client();
  {
    auto c = Connect(*hc, ExecTarget({"cat"}, "input=1&output=1"), "v5.channel.k8s.io");
    REQUIRE(c->SendRaw("", true));                        // empty
    REQUIRE(c->SendRaw(std::string("\x09zz", 3), true));  // unknown channel
    REQUIRE(c->Send(2, "to stderr?"));                    // a channel the server does not read
    REQUIRE(c->Send(0, "kept"));
    REQUIRE(c->SendClose(0));
    REQUIRE(c->WaitClosed());
    CHECK(c->Channel(1) == "kept");
    CHECK(c->Channel(3) == spdy::SuccessStatusJson());
  }
  {
    auto c = Connect(*hc, ExecTarget({"cat"}, "input=1&output=1"), "v4.base64.channel.k8s.io");
    REQUIRE(c->SendRaw("0!!!notbase64", false));
    REQUIRE(c->Send(0, "fine"));
    REQUIRE(c->WaitChannel(1, 4));
    CHECK(c->Channel(1) == "fine");
  }
  {
    auto c = Connect(*hc, ExecTarget({"hang"}, "input=1&output=1"), "v5.channel.k8s.io");
    REQUIRE(ts->provider->WaitWaiting(1));
    REQUIRE(c->SendRaw(std::string("\xff\x00\x01", 3), true));
    REQUIRE(c->WaitClosed());
    CHECK(c->close_code() == 1002);
    CHECK(ts->provider->WaitCancelled(1));
  }
}

TEST_CASE("WebSocket: negotiation failures and requests that are not upgrades") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto bad = WsTestClient::Connect(*hc, ExecTarget({"echo"}), {"v9.channel.k8s.io"});
  CHECK(!bad.ok());
  CHECK(absl::StrContains(bad.status().ToString(), "403"));
  auto no_ports = WsTestClient::Connect(*hc, "/portForward/ns/web", {"v4.channel.k8s.io"});
  CHECK(!no_ports.ok());
  CHECK(absl::StrContains(no_ports.status().ToString(), "400"));
  auto bad_port = WsTestClient::Connect(*hc, "/portForward/ns/web?port=x", {"v4.channel.k8s.io"});
  CHECK(!bad_port.ok());
  CHECK(ts->provider->calls().empty());
  CHECK(ts->provider->pf_calls() == 0);
}

TEST_CASE("WebSocket backpressure: a provider's writes wait for a client that does not read") {
  StreamingOptions opts;
  opts.write_buffer_bytes = 256 * 1024;
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  const size_t total = 32 << 20;
  auto c = Connect(*hc, ExecTarget({"gen", std::to_string(total)}), "v5.channel.k8s.io");
  c->ws().PauseReading();
  REQUIRE(c->WaitFor([&] { return ts->counters().write_waits.load() > 0; }));
  CHECK(ts->counters().max_queued_bytes.load() <= opts.write_buffer_bytes + 128 * 1024);
  CHECK(!c->closed());
  c->ws().ResumeReading();
  REQUIRE(c->WaitClosed(absl::Seconds(60)));
  CHECK(c->Channel(1) == Pattern(total, 7));
}

TEST_CASE("WebSocket: a fast client stalls while the provider does not read stdin") {
  StreamingOptions opts;
  opts.read_buffer_bytes = 256 * 1024;
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  auto c = Connect(*hc, ExecTarget({"hold"}, "input=1&output=1"), "v5.channel.k8s.io");
  REQUIRE(ts->provider->WaitWaiting(1));
  const std::string input = Pattern(16 << 20, 12);
  for (size_t pos = 0; pos < input.size(); pos += 32 * 1024) {
    REQUIRE(c->Send(0, std::string_view(input).substr(pos, 32 * 1024)));
  }
  REQUIRE(c->SendClose(0));
  REQUIRE(c->WaitFor([&] { return ts->counters().read_pauses.load() > 0; }));
  CHECK(c->ws().QueuedBytes() > 0);
  ts->provider->Release();
  REQUIRE(c->WaitClosed(absl::Seconds(60)));
  CHECK(c->Channel(1) == input);
  CHECK(ts->counters().max_buffered_bytes.load() <= opts.read_buffer_bytes + 64 * 1024);
}

TEST_CASE("WebSocket: a peer that stops answering pings is dropped after the idle timeout") {
  StreamingOptions opts;
  opts.stream_idle_timeout = absl::Milliseconds(400);
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  // A raw client that completes the handshake by hand and then stays silent.
  http::ClientRequest req;
  req.method = "GET";
  req.target = ExecTarget({"hang"});
  req.headers.Add("Connection", "Upgrade");
  req.headers.Add("Upgrade", "websocket");
  req.headers.Add("Sec-WebSocket-Version", "13");
  req.headers.Add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  req.headers.Add("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
  auto up = hc->Upgrade(TestCtx(), req);
  REQUIRE(up.ok());
  REQUIRE(up->status == 101);
  absl::Mutex mu;
  bool closed = false;
  up->connection->Start([](std::string_view) {},
                        [&](const absl::Status&) {
                          absl::MutexLock lock(&mu);
                          closed = true;
                        });
  REQUIRE(ts->provider->WaitWaiting(1));
  CHECK(ts->provider->WaitCancelled(1));
  absl::MutexLock lock(&mu);
  CHECK(mu.AwaitWithTimeout(absl::Condition(&closed), absl::Seconds(20)));
}

TEST_CASE("WebSocket port-forward (v4 channels): port prefixes, echo, generator, errors") {
  for (const std::string protocol : {"v4.channel.k8s.io", "v4.base64.channel.k8s.io"}) {
    CAPTURE(protocol);
    auto ts = StartServer();
    auto hc = ts->Client();
    auto c = Connect(*hc, "/portForward/ns/web?port=7&port=19&port=9", protocol);
    // Port i: channel 2i data, 2i+1 error, each opened with the port (LE).
    REQUIRE(c->WaitChannel(5, 2));
    auto msgs = c->messages();
    REQUIRE(msgs.size() >= 6);
    for (int i = 0; i < 6; ++i) {
      const int port = std::vector<int>{7, 19, 9}[i / 2];
      CHECK(msgs[i].channel == i);
      CHECK(msgs[i].payload == wsstream::PortPrefix(static_cast<uint16_t>(port)));
    }
    const std::string payload = Pattern(200 * 1024, 77);
    for (size_t pos = 0; pos < payload.size(); pos += 16 * 1024) {
      REQUIRE(c->Send(0, std::string_view(payload).substr(pos, 16 * 1024)));
    }
    REQUIRE(c->WaitChannel(0, 2 + payload.size()));
    CHECK(c->Channel(0).substr(2) == payload);
    REQUIRE(c->WaitChannel(2, 2 + (1 << 20)));
    CHECK(c->Channel(2).substr(2) == Pattern(1 << 20, 19));
    REQUIRE(c->WaitChannel(5, 3));
    CHECK(c->Channel(5).substr(2) == "error forwarding port 9 to pod web, uid : connection refused");
    // The echo only ends with the connection: closing it cancels the provider.
    CHECK(!c->closed());
    c->Close();
    REQUIRE(c->WaitClosed());
    CHECK(ts->provider->WaitPfIdle());
    CHECK(ts->counters().websocket_port_forward_sessions == 1);
  }
}

}  // namespace
}  // namespace vkubelet::streaming_test

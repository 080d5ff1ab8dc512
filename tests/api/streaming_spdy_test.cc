// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// exec, attach and run on the real kubelet server (127.0.0.1, plain and TLS)
// over SPDY/3.1, driven by a SPDY client built on our own engine: protocol
// negotiation, stream creation, error-stream Status, TTY and resize, flow
// control and backpressure both ways, timeouts, abrupt and malformed input.

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/spdy/frame_writer.h"
#include "streaming_test_util.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::streaming_test {
namespace {

struct ExecFlags {
  bool in = false, out = true, err = false, tty = false;
};

std::string ExecTarget(const std::vector<std::string>& cmd, ExecFlags f,
                       std::string_view path = "/exec/ns/web/app") {
  std::vector<std::string> q;
  for (const auto& c : cmd) q.push_back("command=" + http::PercentEncode(c));
  if (f.in) q.push_back("input=1");
  if (f.out) q.push_back("output=1");
  if (f.err) q.push_back("error=1");
  if (f.tty) q.push_back("tty=1");
  return absl::StrCat(std::string(path), "?", absl::StrJoin(q, "&"));
}

// Opens the streams the way client-go does: error first, then the standard
// streams, then resize.
struct Streams {
  uint32_t error = 0, in = 0, out = 0, err = 0, resize = 0;
};
Streams OpenStreams(SpdyTestClient& c, ExecFlags f, bool resize = false) {
  Streams s;
  s.error = c.OpenType("error");
  if (f.in) s.in = c.OpenType("stdin");
  if (f.out) s.out = c.OpenType("stdout");
  if (f.err) s.err = c.OpenType("stderr");
  if (resize) s.resize = c.OpenType("resize");
  for (uint32_t id : {s.error, s.in, s.out, s.err, s.resize}) {
    if (id != 0) REQUIRE(c.WaitReplied(id));
  }
  return s;
}

const std::vector<std::string> kAllVersions = {"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
                                               "v2.channel.k8s.io", "channel.k8s.io"};

TEST_CASE("SPDY exec: echo under every protocol version, Status on the error stream, GOAWAY, close") {
  auto ts = StartServer();
  auto http_client = ts->Client();
  for (const std::string& version : kAllVersions) {
    CAPTURE(version);
    auto up = SpdyTestClient::Connect(*http_client, ExecTarget({"echo", "hello", "world"}, {}), {version});
    REQUIRE(up.status == 101);
    CHECK(up.headers.Get("X-Stream-Protocol-Version") == version);
    SpdyTestClient& c = *up.client;
    Streams s = OpenStreams(c, {});
    REQUIRE(c.WaitFin(s.out));
    CHECK(c.Stream(s.out).data == "hello world\n");
    REQUIRE(c.WaitFin(s.error));
    const int v = spdy::RemoteCommandVersion(version);
    CHECK(c.Stream(s.error).data == (v >= 4 ? spdy::SuccessStatusJson() : ""));
    CHECK(c.WaitClosed());
    CHECK(c.goaway_received());
  }
  auto calls = ts->provider->calls();
  REQUIRE(calls.size() == kAllVersions.size());
  CHECK(calls[0].request.namespace_ == "ns");
  CHECK(calls[0].request.pod == "web");
  CHECK(calls[0].request.container == "app");
  CHECK(calls[0].request.command == std::vector<std::string>{"echo", "hello", "world"});
  CHECK(calls[0].has_stdout);
  CHECK(!calls[0].has_stdin);
  CHECK(!calls[0].has_stderr);
  CHECK(ts->counters().spdy_exec_sessions == kAllVersions.size());
}

TEST_CASE("SPDY exec: the client's first supported protocol wins, comma lists included") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo", "x"}, {}),
                                    {"v9.channel.k8s.io, v3.channel.k8s.io", "v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  CHECK(up.headers.Get("X-Stream-Protocol-Version") == "v3.channel.k8s.io");
}

TEST_CASE("SPDY exec: non-zero exit codes and provider errors on the error stream") {
  auto ts = StartServer();
  auto hc = ts->Client();
  SUBCASE("exit 3, v4: NonZeroExitCode Status with the ExitCode cause") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"exit", "3"}, {}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {});
    REQUIRE(up.client->WaitFin(s.error));
    const std::string payload = up.client->Stream(s.error).data;
    CHECK(payload == spdy::NonZeroExitStatusJson(3, "exit status 3"));
    auto parsed = spdy::ParseErrorStream(4, payload);
    REQUIRE(parsed.ok());
    CHECK(parsed->exit_code == 3);
    CHECK(up.client->WaitFin(s.out));
    CHECK(up.client->Stream(s.out).data.empty());
  }
  SUBCASE("exit 3, v2: the Status message as text") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"exit", "3"}, {}), {"v2.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {});
    REQUIRE(up.client->WaitFin(s.error));
    CHECK(up.client->Stream(s.error).data == spdy::ErrorStreamPayload(2, spdy::ExecResult{3, ""}));
    CHECK(up.client->Stream(s.error).data == "command terminated with non-zero exit code: exit status 3");
  }
  SUBCASE("a provider error becomes an InternalError Status") {
    auto up =
        SpdyTestClient::Connect(*hc, ExecTarget({"fail", "disk", "on", "fire"}, {}), {"v5.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {});
    REQUIRE(up.client->WaitFin(s.error));
    const std::string payload = up.client->Stream(s.error).data;
    CHECK(payload == spdy::InternalErrorStatusJson("disk on fire"));
    auto parsed = spdy::ParseErrorStream(5, payload);
    REQUIRE(parsed.ok());
    CHECK(parsed->exit_code == 0);
    CHECK(absl::StrContains(parsed->error, "disk on fire"));
  }
}

TEST_CASE("SPDY exec: stderr, and stdin copied to stdout until the client's FIN (Read() == 0)") {
  auto ts = StartServer();
  auto hc = ts->Client();
  {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"stderr", "oops"}, {.out = true, .err = true}),
                                      {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {.out = true, .err = true});
    REQUIRE(up.client->WaitFin(s.err));
    CHECK(up.client->Stream(s.err).data == "oops\n");
    REQUIRE(up.client->WaitFin(s.out));
    CHECK(up.client->Stream(s.out).data.empty());
  }
  // 10 MiB through `cat`, sent in uneven pieces while stdout flows back:
  // stdin and stdout frames interleave on one connection, both directions
  // under SPDY flow control (our client announces 64 KiB windows).
  const std::string input = Pattern(10 << 20, 3);
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"cat"}, {.in = true}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  Streams s = OpenStreams(c, {.in = true});
  std::thread sender([&] {
    size_t pos = 0, step = 1;
    while (pos < input.size()) {
      const size_t n = std::min(input.size() - pos, (step++ * 7919) % 65536 + 1);
      absl::Status st = c.Send(s.in, std::string_view(input).substr(pos, n));
      CHECK_MESSAGE(st.ok(), st.ToString(), " at ", pos);
      if (!st.ok()) return;
      pos += n;
    }
    CHECK(c.HalfClose(s.in).ok());
  });
  CHECK(c.WaitFin(s.out, absl::Seconds(60)));
  sender.join();
  // Our client does flow control: the server never had to stop reading.
  CHECK(ts->counters().read_pauses.load() == 0);
  const std::string out = c.Stream(s.out).data;
  CHECK(out.size() == input.size());
  CHECK(out == input);
  REQUIRE(c.WaitFin(s.error));
  CHECK(c.Stream(s.error).data == spdy::SuccessStatusJson());
}

TEST_CASE("SPDY exec over TLS: echo and a 10 MiB stdin round trip") {
  auto ts = StartServer({}, /*tls=*/true);
  auto hc = ts->Client();
  {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo", "secure"}, {}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {});
    REQUIRE(up.client->WaitFin(s.out));
    CHECK(up.client->Stream(s.out).data == "secure\n");
  }
  const std::string input = Pattern(10 << 20, 4);
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"cat"}, {.in = true}), {"v5.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  Streams s = OpenStreams(c, {.in = true});
  std::thread sender([&] { CHECK(c.Send(s.in, input, /*fin=*/true).ok()); });
  CHECK(c.WaitFin(s.out, absl::Seconds(60)));
  sender.join();
  CHECK(c.Stream(s.out).data == input);
}

TEST_CASE("SPDY exec with a TTY: stderr is merged, resizes reach AttachIO::NextResize") {
  auto ts = StartServer();
  auto hc = ts->Client();
  SUBCASE("stderr requested with tty is dropped and its stream refused") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"tty"}, {.out = true, .err = true, .tty = true}),
                                      {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    const uint32_t error = c.OpenType("error");
    const uint32_t err = c.OpenType("stderr");
    REQUIRE(c.WaitReplied(err));
    CHECK(c.Stream(err).reset);
    CHECK(c.Stream(err).reset_status == spdy::RstStatus::kRefusedStream);
    const uint32_t out = c.OpenType("stdout");
    const uint32_t resize = c.OpenType("resize");
    REQUIRE(c.WaitFin(out));
    CHECK(c.Stream(out).data == "tty stdin=0 stderr=0\n");
    REQUIRE(c.WaitFin(error));
    CHECK(c.Stream(error).data == spdy::SuccessStatusJson());
    (void)resize;
  }
  SUBCASE("resize events split across frames arrive in order") {
    auto up = SpdyTestClient::Connect(
        *hc, ExecTarget({"resize", "3"}, {.in = true, .out = true, .tty = true}), {"v5.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    Streams s = OpenStreams(c, {.in = true, .out = true}, /*resize=*/true);
    const std::string json =
        "{\"Width\":80,\"Height\":24}\n{\"Width\":100,\"Height\":50}\n{\"width\":7,\"height\":9}\n";
    REQUIRE(c.Send(s.resize, json.substr(0, 5)).ok());
    REQUIRE(c.Send(s.resize, json.substr(5, 30)).ok());
    REQUIRE(c.Send(s.resize, json.substr(35)).ok());
    REQUIRE(c.WaitFin(s.out));
    CHECK(c.Stream(s.out).data == "80x24\n100x50\n7x9\n");
    auto calls = ts->provider->calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0].tty);
    CHECK(!calls[0].has_stderr);
  }
  SUBCASE("v2 has no resize stream: it is not waited for") {
    auto up =
        SpdyTestClient::Connect(*hc, ExecTarget({"tty"}, {.out = true, .tty = true}), {"v2.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {.out = true});
    REQUIRE(up.client->WaitFin(s.out));
    CHECK(up.client->Stream(s.out).data == "tty stdin=0 stderr=0\n");
  }
}

TEST_CASE("SPDY attach") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, "/attach/ns/web/app?input=1&output=1", {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  Streams s = OpenStreams(c, {.in = true, .out = true});
  REQUIRE(c.Send(s.in, "typed\n", /*fin=*/true).ok());
  REQUIRE(c.WaitFin(s.out));
  CHECK(c.Stream(s.out).data == "attached\ntyped\n");
  auto calls = ts->provider->calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].attach);
}

TEST_CASE("SPDY exec: requests that cannot be served are answered before any upgrade") {
  auto ts = StartServer();
  auto hc = ts->Client();
  SUBCASE("no X-Stream-Protocol-Version: 400") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo"}, {}), {});
    CHECK(up.status == 400);
    CHECK(absl::StrContains(up.body, "X-Stream-Protocol-Version is required"));
  }
  SUBCASE("no common protocol: 403 listing what the server accepts") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo"}, {}), {"v9.channel.k8s.io"});
    CHECK(up.status == 403);
    std::vector<std::string> accepted = up.headers.GetAll("X-Accepted-Stream-Protocol-Versions");
    CHECK(accepted == std::vector<std::string>{"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io",
                                               "v2.channel.k8s.io", "channel.k8s.io"});
  }
  SUBCASE("no standard stream requested: 400") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo"}, {.out = false}), {"v4.channel.k8s.io"});
    CHECK(up.status == 400);
    CHECK(absl::StrContains(up.body, "at least 1 of stdin, stdout, stderr"));
  }
  SUBCASE("exec without a command: 400") {
    auto up = SpdyTestClient::Connect(*hc, "/exec/ns/web/app?output=1", {"v4.channel.k8s.io"});
    CHECK(up.status == 400);
  }
  SUBCASE("not an upgrade: 400") {
    auto r = hc->Do(TestCtx(), {"POST", ExecTarget({"echo"}, {}), {}, ""});
    REQUIRE(r.ok());
    CHECK(r->status == 400);
    CHECK(absl::StrContains(r->body, "unable to upgrade"));
  }
  CHECK(ts->provider->calls().empty());
}

TEST_CASE("SPDY exec: unexpected and duplicate streams are refused, the session goes on") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo", "ok"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  const uint32_t bogus = c.OpenType("bogus");
  const uint32_t in = c.OpenType("stdin");  // not requested
  const uint32_t error = c.OpenType("error");
  const uint32_t error2 = c.OpenType("error");
  for (uint32_t id : {bogus, in, error2}) {
    REQUIRE(c.WaitReplied(id));
    CHECK(c.Stream(id).reset);
  }
  const uint32_t out = c.OpenType("stdout");
  REQUIRE(c.WaitFin(out));
  CHECK(c.Stream(out).data == "ok\n");
  REQUIRE(c.WaitFin(error));
  CHECK(c.Stream(error).data == spdy::SuccessStatusJson());
}

TEST_CASE("SPDY: the server answers pings; a client that leaves cancels the provider") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hang"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  REQUIRE(c.Ping().ok());
  CHECK(c.WaitFor([&] { return c.pings_answered() == 1; }));
  Streams s = OpenStreams(c, {});
  REQUIRE(ts->provider->WaitWaiting(1));
  c.Abort();
  CHECK(ts->provider->WaitCancelled(1));
  (void)s;
}

TEST_CASE("SPDY flow control: provider writes stop at the client's window and go on as it consumes") {
  auto ts = StartServer();
  auto hc = ts->Client();
  SpdyTestClient::Options o;
  o.auto_consume = false;
  o.window = 64 * 1024;
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"gen", std::to_string(4 << 20)}, {}),
                                    {"v4.channel.k8s.io"}, o);
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  Streams s = OpenStreams(c, {});
  // The provider blocks once the 64 KiB window is used up.
  REQUIRE(c.WaitFor([&] { return ts->counters().write_waits.load() > 0; }));
  CHECK(c.WaitData(s.out, 64 * 1024));
  CHECK(c.Stream(s.out).data.size() == 64 * 1024);
  CHECK(!c.Stream(s.out).fin);
  // Consuming in steps lets it go on, step by step, to the end.
  size_t consumed = 0;
  while (!c.Stream(s.out).fin) {
    const size_t have = c.Stream(s.out).data.size();
    if (have > consumed) {
      c.Consume(s.out, have - consumed);
      consumed = have;
    }
    REQUIRE(c.WaitFor([&] { return c.Stream(s.out).data.size() > consumed || c.Stream(s.out).fin; }));
  }
  CHECK(c.Stream(s.out).data == Pattern(4 << 20, 7));
}

TEST_CASE("SPDY backpressure against a client without flow control (Go's spdystream)") {
  StreamingOptions opts;
  opts.write_buffer_bytes = 256 * 1024;
  opts.read_buffer_bytes = 256 * 1024;
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  SpdyTestClient::Options o;
  o.flow_control = spdy::FlowControlMode::kDisabled;

  SUBCASE("provider Write blocks while the client does not read") {
    const size_t total = 32 << 20;
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"gen", std::to_string(total)}, {}),
                                      {"v4.channel.k8s.io"}, o);
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    Streams s = OpenStreams(c, {});
    c.PauseReading();
    REQUIRE(c.WaitFor([&] { return ts->counters().write_waits.load() > 0; }));
    // Bounded by the write buffer (plus one provider write), not by the 32 MiB.
    CHECK(ts->counters().max_queued_bytes.load() <= opts.write_buffer_bytes + 128 * 1024);
    CHECK(!c.Stream(s.out).fin);
    c.ResumeReading();
    REQUIRE(c.WaitFin(s.out, absl::Seconds(60)));
    CHECK(c.Stream(s.out).data == Pattern(total, 7));
  }
  SUBCASE("a fast client stalls while the provider does not read stdin") {
    const std::string input = Pattern(16 << 20, 5);
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hold"}, {.in = true}), {"v4.channel.k8s.io"}, o);
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    Streams s = OpenStreams(c, {.in = true});
    REQUIRE(ts->provider->WaitWaiting(1));
    REQUIRE(c.Send(s.in, input, /*fin=*/true).ok());
    // The server stops reading the connection once a stream holds the
    // read buffer's worth; the rest waits in the client's queue and socket.
    REQUIRE(c.WaitFor([&] { return ts->counters().read_pauses.load() > 0; }));
    CHECK(c.QueuedBytes() > 0);
    ts->provider->Release();
    REQUIRE(c.WaitFin(s.out, absl::Seconds(60)));
    CHECK(c.Stream(s.out).data == input);
    CHECK(ts->counters().max_buffered_bytes.load() <= opts.read_buffer_bytes + 64 * 1024);
  }
}

TEST_CASE("SPDY with flow control: a provider ignoring stdin holds back only its own stream") {
  StreamingOptions opts;
  opts.read_buffer_bytes = 128 * 1024;
  auto ts = StartServer(opts);
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hold"}, {.in = true}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  SpdyTestClient& c = *up.client;
  Streams s = OpenStreams(c, {.in = true});
  REQUIRE(ts->provider->WaitWaiting(1));
  const std::string input = Pattern(2 << 20, 6);
  std::thread sender([&] { CHECK(c.Send(s.in, input, /*fin=*/true).ok()); });
  // The client runs out of window at the server's stream window...
  REQUIRE(c.WaitFor([&] { return c.window_available(s.in) == 0; }));
  // ...while the connection keeps being read: pings are still answered.
  REQUIRE(c.Ping().ok());
  CHECK(c.WaitFor([&] { return c.pings_answered() == 1; }));
  CHECK(ts->counters().read_pauses.load() == 0);
  ts->provider->Release();
  REQUIRE(c.WaitFin(s.out, absl::Seconds(60)));
  sender.join();
  CHECK(c.Stream(s.out).data == input);
}

TEST_CASE(
    "SPDY: a provider that hangs does not block other sessions and is cancelled when its client leaves") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto hung = SpdyTestClient::Connect(*hc, ExecTarget({"hang"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(hung.status == 101);
  OpenStreams(*hung.client, {});
  REQUIRE(ts->provider->WaitWaiting(1));
  for (int i = 0; i < 3; ++i) {
    auto up =
        SpdyTestClient::Connect(*hc, ExecTarget({"echo", std::to_string(i)}, {}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    Streams s = OpenStreams(*up.client, {});
    REQUIRE(up.client->WaitFin(s.out));
    CHECK(up.client->Stream(s.out).data == std::to_string(i) + "\n");
  }
  CHECK(ts->provider->cancelled() == 0);
  hung.client.reset();  // aborts the connection
  CHECK(ts->provider->WaitCancelled(1));
}

TEST_CASE("SPDY: stopping the server cancels running providers") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hang"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  OpenStreams(*up.client, {});
  REQUIRE(ts->provider->WaitWaiting(1));
  ts->server->Stop(absl::Seconds(1));
  CHECK(ts->provider->WaitCancelled(1));
  CHECK(up.client->WaitClosed());
}

TEST_CASE("SPDY timeouts (fake clock): stream creation and idle") {
  testing::FakeClock clock;
  StreamingOptions opts;
  opts.clock = &clock;

  SUBCASE("the client does not open every stream in time") {
    opts.stream_creation_timeout = absl::Seconds(30);
    opts.stream_idle_timeout = absl::InfiniteDuration();
    auto ts = StartServer(opts);
    auto hc = ts->Client();
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo"}, {.in = true}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    const uint32_t error = c.OpenType("error");
    REQUIRE(c.WaitReplied(error));
    REQUIRE(clock.AwaitWaiters(1));
    clock.Advance(absl::Seconds(29));
    REQUIRE(clock.AwaitWaiters(1));
    CHECK(!c.closed());
    clock.Advance(absl::Seconds(2));
    REQUIRE(c.WaitClosed());
    CHECK(c.goaway_received());
    auto parsed = spdy::ParseErrorStream(4, c.Stream(error).data);
    REQUIRE(parsed.ok());
    CHECK(absl::StrContains(parsed->error, "timed out waiting for client to create streams"));
    CHECK(ts->counters().creation_timeouts == 1);
    CHECK(ts->provider->calls().empty());
  }
  SUBCASE("no traffic for the idle timeout closes the session and cancels the provider") {
    opts.stream_creation_timeout = absl::InfiniteDuration();
    opts.stream_idle_timeout = absl::Seconds(10);
    auto ts = StartServer(opts);
    auto hc = ts->Client();
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hang"}, {}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    OpenStreams(c, {});
    REQUIRE(ts->provider->WaitWaiting(1));
    REQUIRE(clock.AwaitWaiters(1));
    // Traffic (a ping) at +6 s moves the deadline to +16 s.
    clock.Advance(absl::Seconds(6));
    REQUIRE(c.Ping().ok());
    REQUIRE(c.WaitFor([&] { return c.pings_answered() == 1; }));
    const uint64_t checks = ts->counters().idle_checks.load();
    clock.Advance(absl::Seconds(6));
    REQUIRE(c.WaitFor([&] { return ts->counters().idle_checks.load() > checks; }));
    CHECK(!c.closed());
    CHECK(ts->counters().idle_timeouts == 0);
    clock.Advance(absl::Seconds(5));
    REQUIRE(c.WaitClosed());
    CHECK(c.goaway_received());
    CHECK(ts->counters().idle_timeouts == 1);
    CHECK(ts->provider->WaitCancelled(1));
  }
}

TEST_CASE("SPDY: malformed and truncated input end only that session") {
  auto ts = StartServer();
  auto hc = ts->Client();
  SUBCASE("a control frame with a bad version: GOAWAY(PROTOCOL_ERROR) and close") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"hang"}, {}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    OpenStreams(c, {});
    REQUIRE(ts->provider->WaitWaiting(1));
    c.WriteRaw(std::string("\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));
    CHECK(c.WaitClosed());
    CHECK(ts->provider->WaitCancelled(1));
  }
  SUBCASE("half a frame, then the client vanishes") {
    auto up = SpdyTestClient::Connect(*hc, ExecTarget({"cat"}, {.in = true}), {"v4.channel.k8s.io"});
    REQUIRE(up.status == 101);
    SpdyTestClient& c = *up.client;
    Streams s = OpenStreams(c, {.in = true});
    REQUIRE(c.Send(s.in, "partial").ok());
    REQUIRE(c.WaitData(s.out, 7));
    std::string frame;
    REQUIRE(spdy::AppendDataFrame(&frame, s.in, std::string(100, 'x'), false).ok());
    c.WriteRaw(frame.substr(0, 20));
    c.Abort();
  }
  // The server is still fine.
  auto up = SpdyTestClient::Connect(*hc, ExecTarget({"echo", "alive"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  Streams s = OpenStreams(*up.client, {});
  REQUIRE(up.client->WaitFin(s.out));
  CHECK(up.client->Stream(s.out).data == "alive\n");
}

TEST_CASE("/run: combined output of a command split on spaces") {
  auto ts = StartServer();
  auto hc = ts->Client();
  auto run = [&](std::string cmd) {
    auto r = hc->Do(TestCtx(), {"POST", "/run/ns/web/app?cmd=" + http::PercentEncode(cmd), {}, ""});
    REQUIRE(r.ok());
    return *r;
  };
  auto ok = run("echo  hi there");
  CHECK(ok.status == 200);
  CHECK(ok.body == "hi there\n");
  auto calls = ts->provider->calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].request.command == std::vector<std::string>{"echo", "hi", "there"});
  CHECK(!calls[0].has_stdin);
  auto err = run("stderr to stderr");
  CHECK(err.status == 200);
  CHECK(err.body == "to stderr\n");
  auto code = run("exit 4");
  CHECK(code.status == 500);
  CHECK(absl::StrContains(code.body, "exit status 4"));
  auto missing = run("nosuchcommand");
  CHECK(missing.status == 404);
  CHECK(run("").status == 400);
  auto get = hc->Do(TestCtx(), {"GET", "/run/ns/web/app?cmd=echo", {}, ""});
  REQUIRE(get.ok());
  CHECK(get->status == 405);
}

}  // namespace
}  // namespace vkubelet::streaming_test

namespace vkubelet::streaming_test {
namespace {

TEST_CASE("KubeletServer::Create mounts the streaming routes for a provider that can exec") {
  auto provider = std::make_shared<StreamingTestProvider>();
  api::KubeletServerOptions so;
  so.node_name = "n";
  so.address = "127.0.0.1";
  so.port = 0;
  so.no_auth = true;
  so.insecure_plain_http = true;
  api::KubeletServerHandlers handlers;
  handlers.provider = provider;
  auto server = api::KubeletServer::Create(so, handlers);
  REQUIRE(server.ok());
  REQUIRE((*server)->Start().ok());
  http::ClientOptions co;
  co.port = (*server)->port();
  auto hc = http::Client::Create(co);
  REQUIRE(hc.ok());
  auto up = SpdyTestClient::Connect(**hc, ExecTarget({"echo", "mounted"}, {}), {"v4.channel.k8s.io"});
  REQUIRE(up.status == 101);
  Streams s = OpenStreams(*up.client, {});
  REQUIRE(up.client->WaitFin(s.out));
  CHECK(up.client->Stream(s.out).data == "mounted\n");
  auto ws = WsTestClient::Connect(**hc, ExecTarget({"echo", "ws"}, {}), {"v5.channel.k8s.io"});
  REQUIRE(ws.ok());
  REQUIRE((*ws)->WaitClosed());
  CHECK((*ws)->Channel(1) == "ws\n");
  auto run = (*hc)->Do(TestCtx(), {"POST", "/run/ns/web/app?cmd=echo%20run", {}, ""});
  REQUIRE(run.ok());
  CHECK(run->body == "run\n");
}

}  // namespace
}  // namespace vkubelet::streaming_test

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// WebSocket channel protocols, port-forward framing, the SPDY-over-WebSocket
// tunnel, and the remote-command semantics shared with SPDY (negotiation,
// error-stream Status JSON, resize decoding, port-forward headers).

#include <doctest/doctest.h>

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "api/spdy/remotecommand.h"
#include "api/spdy/session.h"
#include "api/wsstream/channel.h"
#include "api/wsstream/tunnel.h"
#include "test_util.h"

namespace vkubelet::internal::wsstream {
namespace {

using spdy::ExecResult;
using spdy::TerminalSize;

std::vector<std::string> Strings(std::initializer_list<const char*> v) {
  return std::vector<std::string>(v.begin(), v.end());
}

// ---- protocol table and negotiation -------------------------------------------

TEST_CASE("protocol table: names, encodings, versions, CLOSE support") {
  const ChannelProtocol* v5 = FindProtocol(ProtocolUse::kRemoteCommand, "v5.channel.k8s.io");
  REQUIRE(v5 != nullptr);
  CHECK(v5->encoding == Encoding::kBinary);
  CHECK(v5->version == 5);
  CHECK(v5->supports_close);
  const ChannelProtocol* b64 =
      FindProtocol(ProtocolUse::kRemoteCommand, "v4.base64.channel.k8s.io");
  REQUIRE(b64 != nullptr);
  CHECK(b64->encoding == Encoding::kBase64);
  CHECK(b64->version == 4);
  CHECK_FALSE(b64->supports_close);
  const ChannelProtocol* legacy = FindProtocol(ProtocolUse::kRemoteCommand, "");
  REQUIRE(legacy != nullptr);
  CHECK(legacy->encoding == Encoding::kBinary);
  CHECK(legacy->version == 1);
  CHECK(FindProtocol(ProtocolUse::kRemoteCommand, "base64.channel.k8s.io")->version == 1);
  CHECK(FindProtocol(ProtocolUse::kRemoteCommand, "v3.channel.k8s.io") == nullptr);
  CHECK(ProtocolNames(ProtocolUse::kRemoteCommand) ==
        std::vector<std::string_view>{"v5.channel.k8s.io", "v4.channel.k8s.io",
                                      "v4.base64.channel.k8s.io", "channel.k8s.io",
                                      "base64.channel.k8s.io", ""});
  CHECK(ProtocolNames(ProtocolUse::kPortForward) ==
        std::vector<std::string_view>{"v4.channel.k8s.io", "v4.base64.channel.k8s.io", ""});
  CHECK(FindProtocol(ProtocolUse::kPortForward, "v5.channel.k8s.io") == nullptr);
}

TEST_CASE("negotiation: Kubernetes picks the client's first supported offer") {
  const std::vector<std::string_view> server = ProtocolNames(ProtocolUse::kRemoteCommand);
  struct Row {
    std::vector<std::string> offers;
    const char* want;  // nullptr: refused
  };
  const std::vector<Row> table = {
      {Strings({"v5.channel.k8s.io"}), "v5.channel.k8s.io"},
      // Client order wins over the server's list order.
      {Strings({"v4.base64.channel.k8s.io", "v5.channel.k8s.io"}), "v4.base64.channel.k8s.io"},
      {Strings({"x.k8s.io", "channel.k8s.io", "v4.channel.k8s.io"}), "channel.k8s.io"},
      {Strings({"base64.channel.k8s.io"}), "base64.channel.k8s.io"},
      {{}, ""},  // no Sec-WebSocket-Protocol: the legacy binary protocol
      {Strings({"v3.channel.k8s.io"}), nullptr},
      {Strings({"SPDY/3.1+portforward.k8s.io"}), nullptr},
  };
  for (const Row& row : table) {
    CAPTURE(row.offers.size());
    absl::StatusOr<std::string> got = NegotiateSubprotocol(row.offers, server);
    if (row.want == nullptr) {
      CHECK(absl::IsPermissionDenied(got.status()));
    } else {
      VK_REQUIRE_OK(got);
      CHECK(*got == row.want);
    }
  }
  // A server without the legacy protocol refuses a client that offers none.
  const std::vector<std::string_view> v5_only = {"v5.channel.k8s.io"};
  absl::StatusOr<std::string> none = NegotiateSubprotocol({}, v5_only);
  CHECK(absl::IsPermissionDenied(none.status()));
  absl::StatusOr<std::string> bad =
      NegotiateSubprotocol(Strings({"a", "b"}), std::vector<std::string_view>{"c", "d"});
  CHECK(bad.status().message() == "requested protocol(s) are not supported: [a b]; supports [c d]");
}

TEST_CASE("Sec-WebSocket-Protocol header values split on commas") {
  CHECK(ParseSubprotocols(Strings({"v5.channel.k8s.io, v4.channel.k8s.io", "\tchannel.k8s.io ,,"})) ==
        Strings({"v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"}));
  CHECK(ParseSubprotocols({}).empty());
}

// ---- channel messages ------------------------------------------------------------

TEST_CASE("binary channel messages: 1 byte channel + payload") {
  absl::StatusOr<std::string> m = EncodeMessage(Encoding::kBinary, kStdoutChannel, "hello");
  VK_REQUIRE_OK(m);
  CHECK(*m == std::string("\x01hello"));
  absl::StatusOr<DecodedMessage> d = DecodeMessage(Encoding::kBinary, *m, 5, false);
  VK_REQUIRE_OK(d);
  CHECK(d->kind == DecodedMessage::Kind::kData);
  CHECK(d->channel == 1);
  CHECK(d->payload == "hello");
  // Binary-safe payload, including NUL and 0xff bytes.
  const std::string raw("\0\xff\x01x", 4);
  absl::StatusOr<std::string> m2 = EncodeMessage(Encoding::kBinary, kStdinChannel, raw);
  VK_REQUIRE_OK(m2);
  CHECK(DecodeMessage(Encoding::kBinary, *m2, 5, true)->payload == raw);
  // The "ready" message: a channel byte alone.
  CHECK(*EncodeMessage(Encoding::kBinary, ReadyChannel(true, true), "") == "\x01");
  CHECK(ReadyChannel(false, true) == kStderrChannel);
  CHECK(ReadyChannel(false, false) == kErrorChannel);
}

TEST_CASE("base64 channel messages: ASCII digit + standard base64") {
  absl::StatusOr<std::string> m = EncodeMessage(Encoding::kBase64, kStdoutChannel, "hello");
  VK_REQUIRE_OK(m);
  CHECK(*m == "1aGVsbG8=");
  CHECK(*EncodeMessage(Encoding::kBase64, kErrorChannel, "") == "3");
  CHECK(*EncodeMessage(Encoding::kBase64, kStdinChannel, "ab") == "0YWI=");
  CHECK(*EncodeMessage(Encoding::kBase64, kStdinChannel, "abc") == "0YWJj");
  for (const std::string& payload : {std::string(""), std::string("a"), std::string("\0\xfe", 2),
                                    std::string(1000, '\x7f')}) {
    absl::StatusOr<std::string> enc = EncodeMessage(Encoding::kBase64, 2, payload);
    VK_REQUIRE_OK(enc);
    absl::StatusOr<DecodedMessage> dec = DecodeMessage(Encoding::kBase64, *enc, 5, false);
    VK_REQUIRE_OK(dec);
    CHECK(dec->channel == 2);
    CHECK(dec->payload == payload);
  }
  // Go's decoder skips line breaks.
  CHECK(DecodeMessage(Encoding::kBase64, "0aGVs\r\nbG8=", 5, false)->payload == "hello");
  CHECK(absl::IsInvalidArgument(EncodeMessage(Encoding::kBase64, 80, "x").status()));
}

TEST_CASE("channel message errors: empty, unknown channel, bad base64") {
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBinary, "", 5, true).status()));
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBinary, "\x05x", 5, true).status()));
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBase64, "5", 5, false).status()));
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBase64, " aGk=", 5, false).status()));
  for (const char* bad : {"0aGk", "0aG=k", "0a===", "0a*==", "0aGk=x==", "0=aGk"}) {
    CAPTURE(bad);
    absl::StatusOr<DecodedMessage> d = DecodeMessage(Encoding::kBase64, bad, 5, false);
    CHECK(absl::IsInvalidArgument(d.status()));
  }
  CHECK(absl::IsInvalidArgument(EncodeMessage(Encoding::kBinary, 255, "x").status()));
}

TEST_CASE("v5 CLOSE: [255, channel] half-closes a channel") {
  CHECK(EncodeClose(kStdinChannel) == std::string("\xff\x00", 2));
  absl::StatusOr<DecodedMessage> d =
      DecodeMessage(Encoding::kBinary, EncodeClose(kStdinChannel), 5, /*supports_close=*/true);
  VK_REQUIRE_OK(d);
  CHECK(d->kind == DecodedMessage::Kind::kClose);
  CHECK(d->channel == kStdinChannel);
  CHECK(d->payload.empty());
  // Without CLOSE support 255 is just an unknown channel.
  CHECK(absl::IsInvalidArgument(
      DecodeMessage(Encoding::kBinary, EncodeClose(0), 5, /*supports_close=*/false).status()));
  // Malformed CLOSE messages.
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBinary, "\xff", 5, true).status()));
  CHECK(absl::IsInvalidArgument(
      DecodeMessage(Encoding::kBinary, std::string("\xff\x00\x00", 3), 5, true).status()));
  CHECK(absl::IsInvalidArgument(DecodeMessage(Encoding::kBinary, "\xff\x07", 5, true).status()));
}

// ---- port-forward over WebSocket ---------------------------------------------------

TEST_CASE("port-forward: channels 2i/2i+1 and little-endian port prefixes") {
  CHECK(PortForwardDataChannel(0) == 0);
  CHECK(PortForwardErrorChannel(0) == 1);
  CHECK(PortForwardDataChannel(3) == 6);
  CHECK(PortForwardErrorChannel(3) == 7);
  CHECK(PortPrefix(8080) == std::string("\x90\x1f", 2));
  CHECK(PortPrefix(80) == std::string("\x50\x00", 2));

  absl::StatusOr<std::vector<uint16_t>> ports = ParsePortForwardPorts(Strings({"80,443", "8080"}));
  VK_REQUIRE_OK(ports);
  CHECK(*ports == std::vector<uint16_t>{80, 443, 8080});
  const std::vector<uint16_t> two = {80, 8080};
  absl::StatusOr<std::vector<std::string>> opening =
      PortForwardOpeningMessages(Encoding::kBinary, two);
  VK_REQUIRE_OK(opening);
  CHECK(*opening == std::vector<std::string>{std::string("\x00\x50\x00", 3),
                                             std::string("\x01\x50\x00", 3),
                                             std::string("\x02\x90\x1f", 3),
                                             std::string("\x03\x90\x1f", 3)});
  absl::StatusOr<std::vector<std::string>> opening64 =
      PortForwardOpeningMessages(Encoding::kBase64, two);
  VK_REQUIRE_OK(opening64);
  CHECK(*opening64 == Strings({"0UAA=", "1UAA=", "2kB8=", "3kB8="}));

  absl::StatusOr<PortForwardChannel> c = ClassifyPortForwardChannel(3, 2);
  VK_REQUIRE_OK(c);
  CHECK(c->port_index == 1);
  CHECK(c->is_error);
  CHECK(absl::IsInvalidArgument(ClassifyPortForwardChannel(4, 2).status()));

  for (const auto& bad : {Strings({}), Strings({""}), Strings({"0"}), Strings({"65536"}),
                          Strings({"80,"}), Strings({"http"}), Strings({"-1"})}) {
    CHECK(absl::IsInvalidArgument(ParsePortForwardPorts(bad).status()));
  }
}

// ---- SPDY over WebSocket -------------------------------------------------------------

TEST_CASE("tunnel subprotocol: SPDY/3.1+ prefix over a supported SPDY protocol") {
  const std::vector<std::string_view> spdy = {"portforward.k8s.io"};
  CHECK(SelectTunnelProtocol(Strings({"v4.channel.k8s.io", "SPDY/3.1+portforward.k8s.io"}),
                             spdy) == "SPDY/3.1+portforward.k8s.io");
  CHECK_FALSE(SelectTunnelProtocol(Strings({"SPDY/3.1+other.k8s.io"}), spdy).has_value());
  CHECK_FALSE(SelectTunnelProtocol(Strings({"portforward.k8s.io"}), spdy).has_value());
}

// Port-forward through the tunnel: a client SpdySession (kubectl's role)
// and a server SpdySession (the kubelet's) exchange binary WebSocket
// messages of at most 7 bytes.
struct PortForwardServer : spdy::SessionVisitor {
  spdy::SpdySession* session = nullptr;
  std::map<std::string, std::map<spdy::StreamType, uint32_t>> requests;
  std::string received;
  void OnStreamOpened(const spdy::IncomingStream& s) override {
    VK_CHECK_OK(session->Reply(s.stream_id, {}));
    requests[spdy::PortForwardRequestId(s.headers, s.stream_id)][spdy::StreamTypeOf(s.headers)] =
        s.stream_id;
  }
  void OnData(uint32_t id, std::string_view data, bool fin) override {
    received.append(data);
    session->Consumed(id, data.size());
    if (fin) {
      // Echo back upper-cased and close.
      std::string up = received;
      for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      VK_CHECK_OK(session->SendData(id, up, /*fin=*/true));
    }
  }
};

struct PortForwardClient : spdy::SessionVisitor {
  std::map<uint32_t, std::string> data;
  std::map<uint32_t, bool> fin;
  void OnData(uint32_t id, std::string_view d, bool f) override {
    data[id].append(d);
    if (f) fin[id] = true;
  }
};

TEST_CASE("tunnel: a SPDY session runs unchanged over 7-byte binary messages") {
  PortForwardClient client_events;
  PortForwardServer server_events;
  spdy::SpdySession client({.role = spdy::Role::kClient}, &client_events);
  spdy::SpdySession server({.role = spdy::Role::kServer}, &server_events);
  server_events.session = &server;
  SpdyWebSocketTunnel client_side(&client, 7);
  SpdyWebSocketTunnel server_side(&server, 7);

  auto pump = [&] {
    for (int i = 0; i < 100; ++i) {
      std::vector<std::string> up = client_side.TakeMessages();
      std::vector<std::string> down = server_side.TakeMessages();
      if (up.empty() && down.empty()) return;
      for (const std::string& m : up) {
        CHECK(m.size() <= 7);
        VK_REQUIRE_OK(server_side.OnMessage(/*binary=*/true, m));
      }
      for (const std::string& m : down) VK_REQUIRE_OK(client_side.OnMessage(true, m));
    }
    FAIL("tunnel never went quiet");
  };

  // kubectl's port-forward: an error stream, then a data stream, same request.
  spdy::Headers error_headers{{"streamType", "error"}, {"port", "8080"}, {"requestID", "0"}};
  spdy::Headers data_headers{{"streamType", "data"}, {"port", "8080"}, {"requestID", "0"}};
  absl::StatusOr<uint32_t> error_stream = client.OpenStream(error_headers);
  absl::StatusOr<uint32_t> data_stream = client.OpenStream(data_headers);
  VK_REQUIRE_OK(error_stream);
  VK_REQUIRE_OK(data_stream);
  pump();
  REQUIRE(server_events.requests.count("0") == 1);
  CHECK(server_events.requests["0"][spdy::StreamType::kError] == *error_stream);
  CHECK(server_events.requests["0"][spdy::StreamType::kData] == *data_stream);

  VK_REQUIRE_OK(client.SendData(*data_stream, "get / http/1.0", /*fin=*/true));
  pump();
  CHECK(client_events.data[*data_stream] == "GET / HTTP/1.0");
  CHECK(client_events.fin[*data_stream]);

  // A text message is not SPDY.
  CHECK(absl::IsInvalidArgument(server_side.OnMessage(/*binary=*/false, "hello")));
  // Normal closure at a frame boundary is a clean EOF; an abnormal one is not.
  VK_CHECK_OK(server_side.OnClose(/*normal_closure=*/true));
  spdy::SpdySession other({.role = spdy::Role::kServer}, nullptr);
  SpdyWebSocketTunnel other_side(&other);
  CHECK(absl::IsUnavailable(other_side.OnClose(/*normal_closure=*/false)));
  // Unlimited message size: all output in one message.
  // Message framing keeps frames whole: no need to hold the server's output.
  spdy::SpdySession single({.role = spdy::Role::kServer, .server_speaks_after_client = false},
                           nullptr);
  SpdyWebSocketTunnel single_side(&single, 0);
  CHECK(single_side.TakeMessages().size() == 1);
  CHECK(single_side.TakeMessages().empty());
}

// ---- remote-command semantics ---------------------------------------------------------

TEST_CASE("X-Stream-Protocol-Version: client order, comma lists, 400 and 403") {
  const auto server = spdy::ServerRemoteCommandProtocols();
  CHECK(std::vector<std::string_view>(server.begin(), server.end()) ==
        std::vector<std::string_view>{"v5.channel.k8s.io", "v4.channel.k8s.io",
                                      "v3.channel.k8s.io", "v2.channel.k8s.io",
                                      "channel.k8s.io"});
  // client-go's SPDY executor offers v5..v1 as separate header lines.
  spdy::HandshakeResult r = spdy::NegotiateStreamProtocol(
      Strings({"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"}), server);
  CHECK(r.http_status == 0);
  CHECK(r.protocol == "v5.channel.k8s.io");
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{
                         {"X-Stream-Protocol-Version", "v5.channel.k8s.io"}});
  // A kubelet that only speaks v4..v1 picks the client's first match.
  const std::vector<std::string_view> kubelet = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                                 "v2.channel.k8s.io", "channel.k8s.io"};
  r = spdy::NegotiateStreamProtocol(Strings({"v5.channel.k8s.io, v2.channel.k8s.io",
                                             "v4.channel.k8s.io"}),
                                    kubelet);
  CHECK(r.protocol == "v2.channel.k8s.io");
  CHECK(spdy::RemoteCommandVersion(r.protocol) == 2);

  r = spdy::NegotiateStreamProtocol({}, server);
  CHECK(r.http_status == 400);
  CHECK(r.body == "unable to upgrade: X-Stream-Protocol-Version is required\n");

  const std::vector<std::string_view> v4_only = {"v4.channel.k8s.io", "channel.k8s.io"};
  r = spdy::NegotiateStreamProtocol(Strings({"v9.channel.k8s.io", "x"}), v4_only);
  CHECK(r.http_status == 403);
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{
                         {"X-Accepted-Stream-Protocol-Versions", "v4.channel.k8s.io"},
                         {"X-Accepted-Stream-Protocol-Versions", "channel.k8s.io"}});
  CHECK(r.body ==
        "unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io x], "
        "server accepts [v4.channel.k8s.io channel.k8s.io]\n");

  CHECK(spdy::ExpectedStreamCount(4, true, true, false, true) == 4);  // error stdin stdout resize
  CHECK(spdy::ExpectedStreamCount(2, true, true, true, true) == 4);   // no resize before v3
  CHECK(spdy::ExpectedStreamCount(5, false, false, false, false) == 1);
}

TEST_CASE("stream types") {
  CHECK(spdy::StreamTypeOf(spdy::Headers{{"streamType", "stdin"}}) == spdy::StreamType::kStdin);
  CHECK(spdy::StreamTypeOf(spdy::Headers{{"streamtype", "resize"}}) == spdy::StreamType::kResize);
  CHECK(spdy::StreamTypeOf(spdy::Headers{{"streamtype", "STDIN"}}) == spdy::StreamType::kUnknown);
  CHECK(spdy::StreamTypeOf(spdy::Headers{}) == spdy::StreamType::kUnknown);
  CHECK(spdy::StreamTypeName(spdy::StreamType::kData) == "data");
}

TEST_CASE("error stream: the exact Status JSON Go writes") {
  CHECK(spdy::SuccessStatusJson() == R"({"metadata":{},"status":"Success"})");
  CHECK(spdy::NonZeroExitStatusJson(2, "") ==
        R"({"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 2","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"2"}]}})");
  CHECK(spdy::InternalErrorStatusJson("no such container") ==
        R"({"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: no such container","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: no such container"}]},"code":500})");

  CHECK(spdy::ErrorStreamPayload(4, {}) == spdy::SuccessStatusJson());
  CHECK(spdy::ErrorStreamPayload(5, {3, ""}) == spdy::NonZeroExitStatusJson(3, ""));
  CHECK(spdy::ErrorStreamPayload(4, {0, "boom"}) == spdy::InternalErrorStatusJson("boom"));
  // v1-v3: plain text, nothing on success.
  CHECK(spdy::ErrorStreamPayload(3, {}).empty());
  CHECK(spdy::ErrorStreamPayload(2, {1, ""}) ==
        "command terminated with non-zero exit code: exit status 1");
  CHECK(spdy::ErrorStreamPayload(1, {0, "boom"}) ==
        "Internal error occurred: error executing command in container: boom");

  // The client side reads them back.
  for (const ExecResult& r : {ExecResult{}, ExecResult{7, "exit status 7"},
                              ExecResult{255, "killed <by> & signal"}}) {
    absl::StatusOr<ExecResult> back = spdy::ParseErrorStream(4, spdy::ErrorStreamPayload(4, r));
    VK_REQUIRE_OK(back);
    CHECK(*back == r);
  }
  absl::StatusOr<ExecResult> internal =
      spdy::ParseErrorStream(4, spdy::InternalErrorStatusJson("x"));
  VK_REQUIRE_OK(internal);
  CHECK(internal->exit_code == 0);
  CHECK(internal->error == "Internal error occurred: error executing command in container: x");
  CHECK(absl::IsInvalidArgument(spdy::ParseErrorStream(4, "not json").status()));
  CHECK(absl::IsInvalidArgument(
      spdy::ParseErrorStream(
          4, R"({"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"300"}]}})")
          .status()));
}

TEST_CASE("Go JSON string quoting") {
  CHECK(spdy::GoJsonQuote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(spdy::GoJsonQuote("<a&b>") == R"("\u003ca\u0026b\u003e")");
  CHECK(spdy::GoJsonQuote(std::string("\n\t\x01\x1f", 4)) == R"("\n\t\u0001\u001f")");
  CHECK(spdy::GoJsonQuote("h\xc3\xa9llo") == "\"h\xc3\xa9llo\"");
  CHECK(spdy::GoJsonQuote("bad\xff\xc3") == R"("bad\ufffd\ufffd")");
  CHECK(spdy::GoJsonQuote("\xe2\x80\xa8") == R"("\u2028")");
}

TEST_CASE("resize stream: objects one after another, split anywhere") {
  const std::string stream =
      "{\"Width\":80,\"Height\":24}\n{\"Width\":120,\"Height\":40}\n"
      "{\"height\":10,\"width\":20,\"extra\":{\"x\":[1,\"}\"]}}  {\"Width\":1}";
  const std::vector<TerminalSize> want = {{80, 24}, {120, 40}, {20, 10}, {1, 0}};
  for (size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    spdy::TerminalSizeDecoder decoder;
    std::vector<TerminalSize> got;
    VK_REQUIRE_OK(decoder.Feed(std::string_view(stream).substr(0, split), &got));
    VK_REQUIRE_OK(decoder.Feed(std::string_view(stream).substr(split), &got));
    CHECK(got == want);
    CHECK(decoder.buffered() == 0);
  }
  // Byte by byte.
  spdy::TerminalSizeDecoder decoder;
  std::vector<TerminalSize> got;
  for (char c : stream) VK_REQUIRE_OK(decoder.Feed(std::string_view(&c, 1), &got));
  CHECK(got == want);
}

TEST_CASE("resize stream: errors stop the decoder") {
  for (const char* bad : {"[1,2]", "{\"Width\":-1}", "{\"Width\":70000}", "{\"Width\":8.5}",
                          "{\"Width\":\"80\"}", "{\"Width\":80,}", "80"}) {
    CAPTURE(bad);
    spdy::TerminalSizeDecoder decoder;
    std::vector<TerminalSize> got;
    absl::Status s = decoder.Feed(bad, &got);
    CHECK(absl::IsInvalidArgument(s));
    CHECK(got.empty());
    CHECK(decoder.Feed("{\"Width\":1,\"Height\":1}", &got) == s);
  }
  spdy::TerminalSizeDecoder small(16);
  std::vector<TerminalSize> got;
  CHECK(absl::IsResourceExhausted(small.Feed("{\"Width\":1,\"Height\":1   ", &got)));
}

TEST_CASE("port-forward over SPDY: port header and request ids") {
  absl::StatusOr<uint16_t> port = spdy::ParsePortHeader(spdy::Headers{{"port", "8080"}});
  VK_REQUIRE_OK(port);
  CHECK(*port == 8080);
  for (const char* bad : {"", "0", "65536", "80a", "-1", "+80"}) {
    CAPTURE(bad);
    CHECK(absl::IsInvalidArgument(spdy::ParsePortHeader(spdy::Headers{{"port", bad}}).status()));
  }
  CHECK(absl::IsInvalidArgument(spdy::ParsePortHeader(spdy::Headers{}).status()));

  CHECK(spdy::PortForwardRequestId(
            spdy::Headers{{"streamtype", "data"}, {"requestid", "42"}}, 7) == "42");
  // Clients without requestID: the kubelet pairs error stream N with data N+2.
  CHECK(spdy::PortForwardRequestId(spdy::Headers{{"streamtype", "error"}}, 5) == "5");
  CHECK(spdy::PortForwardRequestId(spdy::Headers{{"streamtype", "data"}}, 7) == "5");
  CHECK(spdy::PortForwardErrorMessage(80, "web-0", "1234", "connection refused") ==
        "error forwarding port 80 to pod web-0, uid 1234: connection refused");
}

}  // namespace
}  // namespace vkubelet::internal::wsstream

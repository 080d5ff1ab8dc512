// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SPDY/3.1 engine: header blocks and compression (with public golden frames),
// frame encoding, and client/server sessions wired back to back in memory.

#include <doctest/doctest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "api/spdy/compression.h"
#include "api/spdy/frame_writer.h"
#include "api/spdy/headers.h"
#include "api/spdy/protocol.h"
#include "api/spdy/session.h"
#include "test_util.h"

namespace vkubelet::internal::spdy {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// --- Public golden frames ----------------------------------------------------

// Chromium net/spdy spdy_framer_test.cc, CreateSynStreamCompressed (SPDY/3):
// SYN_STREAM stream 1, priority 4, headers bar: foo, foo: bar, compressed by
// Chromium's framer (zlib window 2^11).
const std::string kChromiumSynStream = Bytes({
    0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x27, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x38, 0xEA, 0xE3, 0xC6, 0xA7, 0xC2,
    0x02, 0xE5, 0x0E, 0x50, 0xC2, 0x4B, 0x4A, 0x04, 0xE5, 0x0B, 0xE6, 0xB4,
    0xFC, 0x7C, 0x24, 0x0A, 0x28, 0x08, 0x00, 0x00, 0x00, 0xFF, 0xFF,
});

// proxygen SPDYCodecTest pushStreamWithHostMissing: a server-push SYN_STREAM
// (stream 2, associated to 1, unidirectional) whose header block is a zlib
// stored block — an independent encoder, readable bytes.
const std::string kProxygenPushStream = Bytes({
    0x80, 0x03, 0x00, 0x01, 0x02, 0x00, 0x00, 0x7c, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x38, 0x30, 0xe3, 0xc6, 0xa7, 0xc2, 0x00, 0x62, 0x00, 0x9d,
    0xff, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x05, 0x3a, 0x70, 0x61, 0x74, 0x68,
    0x00, 0x00, 0x00, 0x14, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0x2f, 0x2f, 0x77, 0x77,
    0x77, 0x2e, 0x66, 0x6f, 0x6f, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x00, 0x00, 0x00, 0x07,
    0x3a, 0x73, 0x63, 0x68, 0x65, 0x6d, 0x65, 0x00, 0x00, 0x00, 0x04, 0x68, 0x74, 0x74,
    0x70, 0x00, 0x00, 0x00, 0x07, 0x3a, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x00, 0x00,
    0x00, 0x03, 0x32, 0x30, 0x30, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x76, 0x65, 0x72, 0x73,
    0x69, 0x6f, 0x6e, 0x00, 0x00, 0x00, 0x08, 0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e,
    0x31, 0x00, 0x00, 0x00, 0xff, 0xff,
});

// --- Recording visitor ---------------------------------------------------------

struct Recorder : SessionVisitor {
  SpdySession* session = nullptr;
  bool auto_reply = true;
  bool auto_consume = true;
  std::vector<std::string> log;  // one line per event; DATA chunks merged
  std::map<uint32_t, std::string> data;
  std::map<uint32_t, bool> fin;
  std::vector<IncomingStream> opened;
  std::vector<std::pair<uint32_t, RstStatus>> resets;
  std::vector<uint32_t> pings;
  std::vector<uint32_t> ping_replies;
  std::vector<Setting> settings;
  std::vector<std::pair<uint32_t, GoAwayStatus>> goaways;
  std::vector<std::pair<uint32_t, size_t>> windows;
  std::vector<std::tuple<uint32_t, Headers, bool, bool>> headers;

  void Line(std::string s) { log.push_back(std::move(s)); }

  void OnStreamOpened(const IncomingStream& s) override {
    opened.push_back(s);
    std::string line = "open " + std::to_string(s.stream_id);
    for (const auto& [k, v] : s.headers.fields()) line += " " + k + "=" + v;
    if (s.fin) line += " fin";
    Line(line);
    if (auto_reply && session != nullptr && !s.unidirectional) {
      VK_CHECK_OK(session->Reply(s.stream_id, {}));
    }
  }
  void OnHeaders(uint32_t id, const Headers& h, bool f, bool is_reply) override {
    headers.emplace_back(id, h, f, is_reply);
    Line((is_reply ? "reply " : "headers ") + std::to_string(id) + (f ? " fin" : ""));
    if (f) fin[id] = true;
  }
  void OnData(uint32_t id, std::string_view d, bool f) override {
    data[id].append(d);
    // Consecutive chunks of one stream make one line, so that logs compare
    // across different chunkings of the same bytes.
    const std::string line = "data " + std::to_string(id);
    if (!d.empty() && (log.empty() || log.back() != line)) Line(line);
    if (f) {
      fin[id] = true;
      Line("fin " + std::to_string(id));
    }
    if (auto_consume && session != nullptr) session->Consumed(id, d.size());
  }
  void OnStreamReset(uint32_t id, RstStatus status, bool by_peer) override {
    resets.emplace_back(id, status);
    Line("reset " + std::to_string(id) + " " + std::string(RstStatusName(status)) +
         (by_peer ? " by-peer" : " local"));
  }
  void OnPing(uint32_t id, bool is_reply) override {
    (is_reply ? ping_replies : pings).push_back(id);
    Line((is_reply ? "pong " : "ping ") + std::to_string(id));
  }
  void OnSettings(std::span<const Setting> s) override {
    settings.insert(settings.end(), s.begin(), s.end());
    Line("settings");
  }
  void OnGoAway(uint32_t last, GoAwayStatus status) override {
    goaways.emplace_back(last, status);
    Line("goaway " + std::to_string(last));
  }
  void OnWindowAvailable(uint32_t id, size_t window) override {
    windows.emplace_back(id, window);
    Line("window " + std::to_string(id));
  }
};

// A client and a server session wired back to back.
struct Pair {
  explicit Pair(SessionOptions client_opts = {}, SessionOptions server_opts = {}) {
    client_opts.role = Role::kClient;
    server_opts.role = Role::kServer;
    client = std::make_unique<SpdySession>(client_opts, &client_rec);
    server = std::make_unique<SpdySession>(server_opts, &server_rec);
    client_rec.session = client.get();
    server_rec.session = server.get();
    client_rec.auto_reply = false;
  }
  // Moves bytes both ways until both sides are quiet. `chunk`: feed at most
  // this many bytes per Feed() call.
  void Pump(size_t chunk = 0) {
    for (int round = 0; round < 10000; ++round) {
      std::string c2s = client->TakeOutput();
      std::string s2c = server->TakeOutput();
      if (c2s.empty() && s2c.empty()) return;
      FeedAll(*server, c2s, chunk);
      FeedAll(*client, s2c, chunk);
    }
    FAIL("sessions never went quiet");
  }
  static void FeedAll(SpdySession& s, std::string_view bytes, size_t chunk) {
    if (chunk == 0) chunk = bytes.size() + 1;
    for (size_t i = 0; i < bytes.size(); i += chunk) {
      VK_REQUIRE_OK(s.Feed(bytes.substr(i, chunk)));
    }
  }
  Recorder client_rec, server_rec;
  std::unique_ptr<SpdySession> client, server;
};

// Parses a byte stream into frame summaries ("RST 5 2", "GOAWAY 0 1", ...)
// with an independent little reader, to check what a session emitted.
std::vector<std::string> Summarize(std::string_view bytes) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (bytes.size() - pos >= 8) {
    const uint32_t w0 = ReadU32(bytes, pos), w1 = ReadU32(bytes, pos + 4);
    const uint32_t len = w1 & 0xffffff;
    if (bytes.size() - pos - 8 < len) break;
    std::string_view p = bytes.substr(pos + 8, len);
    if (w0 & 0x80000000) {
      const uint16_t type = w0 & 0xffff;
      std::string s(ControlTypeName(type));
      if (type == 3 || type == 7 || type == 9) {
        s += " " + std::to_string(ReadU32(p, 0)) + " " + std::to_string(ReadU32(p, 4));
      } else if (type == 6) {
        s += " " + std::to_string(ReadU32(p, 0));
      } else if (type == 1 || type == 2 || type == 8) {
        s += " " + std::to_string(ReadU32(p, 0));
      }
      if (w1 >> 24) s += " flags=" + std::to_string(w1 >> 24);
      out.push_back(s);
    } else {
      out.push_back("DATA " + std::to_string(w0) + " len=" + std::to_string(len) +
                    ((w1 >> 24) & 1 ? " fin" : ""));
    }
    pos += 8 + len;
  }
  return out;
}

// What a session wrote, without the preface every kAuto session starts with
// (SETTINGS and the session WINDOW_UPDATE).
std::vector<std::string> Frames(SpdySession& s) {
  std::vector<std::string> out = Summarize(s.TakeOutput());
  std::erase_if(out, [](const std::string& f) {
    return f == "SETTINGS" || f == "WINDOW_UPDATE 0 983040";
  });
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Builds a raw control frame (for malformed input).
std::string Control(uint16_t type, uint8_t flags, std::string_view payload,
                    uint16_t version = 3) {
  std::string out;
  AppendU16(&out, static_cast<uint16_t>(0x8000 | version));
  AppendU16(&out, type);
  AppendU32(&out, (uint32_t{flags} << 24) | static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::string U32(uint32_t v) {
  std::string out;
  AppendU32(&out, v);
  return out;
}

std::string Data(uint32_t id, std::string_view payload, bool fin = false) {
  std::string out;
  VK_CHECK_OK(AppendDataFrame(&out, id, payload, fin));
  return out;
}

// zlib with the SPDY dictionary, done directly (independent of
// HeaderCompressor) so tests can craft blocks.
std::string DeflateWithDictionary(std::string_view block) {
  z_stream zs{};
  REQUIRE(deflateInit(&zs, 9) == Z_OK);
  std::string_view dict = HeaderDictionary();
  REQUIRE(deflateSetDictionary(&zs, reinterpret_cast<const Bytef*>(dict.data()),
                               static_cast<uInt>(dict.size())) == Z_OK);
  std::string out(deflateBound(&zs, block.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  zs.avail_in = static_cast<uInt>(block.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_SYNC_FLUSH) == Z_OK);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

std::string InflateWithDictionary(std::string_view compressed) {
  z_stream zs{};
  REQUIRE(inflateInit(&zs) == Z_OK);
  std::string out(1 << 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int ret = inflate(&zs, Z_SYNC_FLUSH);
  if (ret == Z_NEED_DICT) {
    std::string_view dict = HeaderDictionary();
    REQUIRE(inflateSetDictionary(&zs, reinterpret_cast<const Bytef*>(dict.data()),
                                 static_cast<uInt>(dict.size())) == Z_OK);
    ret = inflate(&zs, Z_SYNC_FLUSH);
  }
  REQUIRE(ret == Z_OK);
  out.resize(out.size() - zs.avail_out);
  inflateEnd(&zs);
  return out;
}

std::string SynStreamFrame(uint32_t id, std::string_view compressed_block, uint8_t flags = 0) {
  return Control(1, flags, U32(id) + U32(0) + Bytes({0, 0}) + std::string(compressed_block));
}

// ===========================================================================

TEST_CASE("the SPDY/3 dictionary is the spec's 1423 bytes (Adler-32 e3c6a7c2)") {
  std::string_view dict = HeaderDictionary();
  CHECK(dict.size() == 1423);
  CHECK(adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(dict.data()),
                static_cast<uInt>(dict.size())) == kHeaderDictionaryId);
  CHECK(dict.substr(0, 11) == std::string_view("\0\0\0\x07options", 11));
  CHECK(dict.substr(dict.size() - 7) == ",enq=0.");
}

TEST_CASE("golden: Chromium's compressed SYN_STREAM decodes, at every split point") {
  for (size_t split = 0; split <= kChromiumSynStream.size(); ++split) {
    CAPTURE(split);
    Recorder rec;
    SpdySession server({.role = Role::kServer}, &rec);
    rec.session = &server;
    server.TakeOutput();
    VK_REQUIRE_OK(server.Feed(std::string_view(kChromiumSynStream).substr(0, split)));
    VK_REQUIRE_OK(server.Feed(std::string_view(kChromiumSynStream).substr(split)));
    REQUIRE(rec.opened.size() == 1);
    const IncomingStream& s = rec.opened[0];
    CHECK(s.stream_id == 1);
    CHECK(s.associated_stream_id == 0);
    CHECK(s.priority == 4);
    CHECK_FALSE(s.fin);
    CHECK(s.headers == Headers{{"bar", "foo"}, {"foo", "bar"}});
    CHECK(Frames(server) == std::vector<std::string>{"SYN_REPLY 1"});
    CHECK(server.status().ok());
  }
}

TEST_CASE("golden cross-check: proxygen's push SYN_STREAM (stored zlib block) decodes") {
  Recorder rec;
  SpdySession client({.role = Role::kClient}, &rec);
  VK_REQUIRE_OK(client.Feed(kProxygenPushStream));
  REQUIRE(rec.opened.size() == 1);
  const IncomingStream& s = rec.opened[0];
  CHECK(s.stream_id == 2);
  CHECK(s.associated_stream_id == 1);
  CHECK(s.unidirectional);
  CHECK_FALSE(s.fin);
  CHECK(s.headers == Headers{{":path", "https://www.foo.com/"},
                             {":scheme", "http"},
                             {":status", "200"},
                             {":version", "HTTP/1.1"}});
  // Unidirectional: this side may not send on it.
  CHECK(client.SendWindow(2) == 0);
}

TEST_CASE("our SYN_STREAM: Go-compatible zlib header, decodes with plain zlib") {
  HeaderCompressor compressor;
  std::string frame;
  VK_REQUIRE_OK(AppendSynStream(&frame, compressor, {.stream_id = 1, .priority = 4},
                                Headers{{"bar", "foo"}, {"foo", "bar"}}));
  // Control bit + version 3, type 1, no flags; stream 1; associated 0;
  // priority 4 << 5; slot 0; then zlib level 9 with FDICT and DICTID.
  CHECK(Hex(frame.substr(0, 6)) == "800300010000");
  CHECK(Hex(frame.substr(8, 10)) == "00000001000000008000");
  CHECK(Hex(frame.substr(18, 6)) == "78f9e3c6a7c2");
  CHECK(ReadU32(frame, 4) == frame.size() - 8);
  const std::string block = InflateWithDictionary(std::string_view(frame).substr(18));
  CHECK(Hex(block) ==
        "00000002"
        "00000003" "626172" "00000003" "666f6f"
        "00000003" "666f6f" "00000003" "626172");
}

TEST_CASE("frame writer: fixed frames match the SPDY/3 layouts") {
  std::string out;
  VK_CHECK_OK(AppendRstStream(&out, 1, RstStatus::kProtocolError));
  CHECK(Hex(out) == "80030003000000080000000100000001");
  out.clear();
  VK_CHECK_OK(AppendPing(&out, 0x12345678));
  CHECK(Hex(out) == "800300060000000412345678");
  out.clear();
  VK_CHECK_OK(AppendGoAway(&out, 0x7fffffff, GoAwayStatus::kInternalError));
  CHECK(Hex(out) == "80030007000000087fffffff00000002");
  out.clear();
  const Setting s[] = {{0x030201, 0x0a0b0c0d, 0x04}};
  VK_CHECK_OK(AppendSettings(&out, s));
  CHECK(Hex(out) == "800300040000000c00000001040302010a0b0c0d");
  out.clear();
  VK_CHECK_OK(AppendWindowUpdate(&out, 0, 0x10000));
  CHECK(Hex(out) == "80030009000000080000000000010000");
  out.clear();
  VK_CHECK_OK(AppendDataFrame(&out, 3, "hi", /*fin=*/true));
  CHECK(Hex(out) == "00000003010000026869");

  out.clear();
  CHECK(absl::IsInvalidArgument(AppendRstStream(&out, 0, RstStatus::kCancel)));
  CHECK(absl::IsInvalidArgument(AppendPing(&out, 0)));
  CHECK(absl::IsInvalidArgument(AppendWindowUpdate(&out, 1, 0)));
  CHECK(absl::IsInvalidArgument(AppendWindowUpdate(&out, 1, 0x80000000u)));
  CHECK(absl::IsInvalidArgument(AppendDataFrame(&out, 0x80000001u, "x", false)));
  CHECK(out.empty());
}

TEST_CASE("header blocks: round trip, multi-values, validation both ways") {
  Headers h{{"StreamType", "stdout"}, {"x", "a"}, {"port", "80"}, {"x", "b"}};
  CHECK(h.Get("streamtype") == "stdout");
  CHECK(h.Get("STREAMTYPE") == "stdout");
  CHECK(h.GetAll("x") == std::vector<std::string>{"a", "b"});
  absl::StatusOr<std::string> block = SerializeHeaderBlock(h);
  VK_REQUIRE_OK(block);
  // Three names; "x" carries "a\0b" at the position of its first value.
  CHECK(Hex(*block) ==
        "00000003"
        "0000000a" "73747265616d74797065" "00000006" "7374646f7574"
        "00000001" "78" "00000003" "610062"
        "00000004" "706f7274" "00000002" "3830");
  absl::StatusOr<Headers> back = ParseHeaderBlock(*block);
  VK_REQUIRE_OK(back);
  CHECK(back->GetAll("x") == std::vector<std::string>{"a", "b"});
  CHECK(back->Get("port") == "80");

  CHECK(absl::IsInvalidArgument(SerializeHeaderBlock(Headers{{"", "v"}}).status()));
  CHECK(absl::IsInvalidArgument(SerializeHeaderBlock(Headers{{"connection", "x"}}).status()));
  CHECK(absl::IsInvalidArgument(SerializeHeaderBlock(Headers{{"Host", "x"}}).status()));
  CHECK(absl::IsInvalidArgument(
      SerializeHeaderBlock(Headers{{"a", std::string_view("x\0y", 3)}}).status()));
  CHECK(absl::IsInvalidArgument(SerializeHeaderBlock(Headers{{"a", ""}, {"a", "b"}}).status()));

  auto parse_error = [](std::string block) {
    absl::StatusOr<Headers> h = ParseHeaderBlock(block);
    CHECK(absl::IsInvalidArgument(h.status()));
    return std::string(h.status().message());
  };
  CHECK(parse_error(U32(1) + U32(1) + "A" + U32(0)).find("lower-case") != std::string::npos);
  CHECK(parse_error(U32(1) + U32(0) + U32(0)).find("zero-length") != std::string::npos);
  CHECK(parse_error(U32(2) + U32(1) + "a" + U32(0) + U32(1) + "a" + U32(0))
            .find("duplicate") != std::string::npos);
  CHECK(parse_error(U32(1) + U32(1) + "a" + U32(2) + std::string("\0x", 2)).find("NUL") !=
        std::string::npos);
  CHECK(parse_error(U32(1) + U32(1) + "a" + U32(3) + std::string("x\0\0", 3)).find("NUL") !=
        std::string::npos);
  CHECK(parse_error(U32(1) + U32(1) + "a" + U32(9) + "x").find("truncated") !=
        std::string::npos);
  CHECK(parse_error(U32(0x7fffffff)).find("declares") != std::string::npos);
  CHECK(parse_error(U32(0) + "zz").find("trailing") != std::string::npos);
  CHECK(parse_error("ab").find("truncated") != std::string::npos);
}

TEST_CASE("decompressor: one zlib stream per direction, bounded output") {
  HeaderCompressor compressor;
  HeaderDecompressor decompressor;
  // Later blocks refer back to earlier ones: each must be decoded in order.
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<std::string> block =
        SerializeHeaderBlock(Headers{{"streamtype", "stdout"}, {"n", std::to_string(i)}});
    VK_REQUIRE_OK(block);
    absl::StatusOr<std::string> compressed = compressor.Compress(*block);
    VK_REQUIRE_OK(compressed);
    absl::StatusOr<std::string> plain = decompressor.Decompress(*compressed, 1024);
    VK_REQUIRE_OK(plain);
    CHECK(*plain == *block);
  }

  HeaderDecompressor bombed;
  const std::string big = U32(1) + U32(1) + "x" + U32(8 << 20) + std::string(8 << 20, 'a');
  const std::string bomb = DeflateWithDictionary(big);
  CHECK(bomb.size() < 64 * 1024);
  absl::StatusOr<std::string> r = bombed.Decompress(bomb, 256 * 1024);
  CHECK(absl::IsResourceExhausted(r.status()));
  // The shared state is gone: every later block fails too.
  CHECK(absl::IsDataLoss(bombed.Decompress(bomb.substr(0, 10), 1024).status()));

  HeaderDecompressor wrong_dict;
  CHECK(absl::IsDataLoss(
      wrong_dict.Decompress(Bytes({0x78, 0xf9, 0x00, 0x00, 0x00, 0x01, 0x00}), 1024).status()));
  HeaderDecompressor partial;
  const std::string good = DeflateWithDictionary(U32(0));
  // Without its sync-flush tail the block does not end on a flush boundary.
  CHECK(absl::IsDataLoss(partial.Decompress(good.substr(0, good.size() - 4), 1024).status()));
}

// --- sessions ------------------------------------------------------------------

TEST_CASE("sessions: SETTINGS at start; a server speaks only after the client") {
  SpdySession quiet({.role = Role::kServer, .flow_control = FlowControlMode::kDisabled}, nullptr);
  CHECK(quiet.PendingOutputBytes() == 0);
  SpdySession client({.role = Role::kClient}, nullptr);
  CHECK(Summarize(client.TakeOutput()) ==
        std::vector<std::string>{"SETTINGS", "WINDOW_UPDATE 0 983040"});
  // client-go reads the 101 through a bufio.Reader: nothing may follow it
  // before the client's first frame.
  SpdySession server({.role = Role::kServer}, nullptr);
  CHECK(server.PendingOutputBytes() > 0);
  CHECK(server.TakeOutput().empty());
  VK_REQUIRE_OK(server.Ping());
  CHECK(server.TakeOutput().empty());
  VK_REQUIRE_OK(server.Feed(Control(6, 0, U32(1)).substr(0, 1)));
  CHECK(Summarize(server.TakeOutput()) ==
        std::vector<std::string>{"SETTINGS", "WINDOW_UPDATE 0 983040", "PING 2"});
  // Inside message-framed transports the hold can be switched off.
  SpdySession eager({.role = Role::kServer, .server_speaks_after_client = false}, nullptr);
  CHECK(Summarize(eager.TakeOutput()) ==
        std::vector<std::string>{"SETTINGS", "WINDOW_UPDATE 0 983040"});
}

TEST_CASE("sessions: interleaved streams, replies, data, half-close in both directions") {
  Pair p;
  p.Pump();
  auto a = p.client->OpenStream(Headers{{"streamType", "stdin"}});
  auto b = p.client->OpenStream(Headers{{"streamType", "stdout"}});
  auto c = p.client->OpenStream(Headers{{"streamType", "error"}});
  VK_REQUIRE_OK(a);
  VK_REQUIRE_OK(b);
  VK_REQUIRE_OK(c);
  CHECK(*a == 1);
  CHECK(*b == 3);
  CHECK(*c == 5);
  p.Pump();
  REQUIRE(p.server_rec.opened.size() == 3);
  CHECK(p.server_rec.opened[0].headers.Get("streamtype") == "stdin");
  // Replies arrived.
  CHECK(p.client_rec.log == std::vector<std::string>{"settings", "reply 1", "reply 3", "reply 5"});

  // Interleave: client writes stdin in pieces, server writes stdout/error.
  for (int i = 0; i < 3; ++i) {
    VK_REQUIRE_OK(p.client->SendData(1, "in" + std::to_string(i)));
    VK_REQUIRE_OK(p.server->SendData(3, "out" + std::to_string(i)));
    VK_REQUIRE_OK(p.server->SendData(5, "err" + std::to_string(i)));
  }
  VK_REQUIRE_OK(p.client->HalfClose(1));
  p.Pump();
  CHECK(p.server_rec.data[1] == "in0in1in2");
  CHECK(p.server_rec.fin[1]);
  CHECK(p.client_rec.data[3] == "out0out1out2");
  CHECK(p.client_rec.data[5] == "err0err1err2");
  // Stream 1 is half-closed by the client; the server closes it too.
  CHECK(p.server->IsStreamOpen(1));
  VK_REQUIRE_OK(p.server->HalfClose(1));
  CHECK_FALSE(p.server->IsStreamOpen(1));
  p.Pump();
  CHECK_FALSE(p.client->IsStreamOpen(1));
  // Both sides close 3 and 5 with FIN on the last data.
  VK_REQUIRE_OK(p.server->SendData(3, "bye", /*fin=*/true));
  VK_REQUIRE_OK(p.server->HalfClose(5));
  VK_REQUIRE_OK(p.client->HalfClose(3));
  VK_REQUIRE_OK(p.client->HalfClose(5));
  p.Pump();
  CHECK(p.client_rec.data[3] == "out0out1out2bye");
  CHECK(p.server->OpenStreamIds().empty());
  CHECK(p.client->OpenStreamIds().empty());
  CHECK(p.client->status().ok());
  CHECK(p.server->status().ok());
}

TEST_CASE("sessions: every byte boundary of a whole conversation gives the same events") {
  // Record what a client sends for a short exec-like exchange.
  Recorder sink;
  SpdySession client({.role = Role::kClient}, &sink);
  std::string wire = client.TakeOutput();
  auto id = client.OpenStream(Headers{{"streamtype", "stdin"}, {"x", "1"}, {"x", "2"}});
  VK_REQUIRE_OK(id);
  auto id2 = client.OpenStream(Headers{{"streamtype", "resize"}});
  VK_REQUIRE_OK(id2);
  wire += client.TakeOutput();
  // DATA must follow a SYN_REPLY on the Go side, but the receiving session
  // here takes it either way; data frames of several sizes, with a FIN.
  wire += Data(1, "hello ");
  wire += Data(3, "{\"Width\":80,\"Height\":24}\n");
  wire += Data(1, std::string(300, 'z'));
  wire += Data(1, "", /*fin=*/true);
  VK_REQUIRE_OK(client.Ping());
  wire += client.TakeOutput();

  auto run = [&](size_t split, size_t chunk) {
    Recorder rec;
    SpdySession server({.role = Role::kServer}, &rec);
    rec.session = &server;
    std::string_view w = wire;
    Pair::FeedAll(server, w.substr(0, split), chunk);
    Pair::FeedAll(server, w.substr(split), chunk);
    REQUIRE(server.status().ok());
    return std::make_pair(rec.log, rec.data);
  };
  const auto reference = run(0, 0);
  CHECK(reference.second.at(1) == "hello " + std::string(300, 'z'));
  CHECK(reference.second.at(3) == "{\"Width\":80,\"Height\":24}\n");
  CHECK(Contains(reference.first, "fin 1"));
  CHECK(Contains(reference.first, "ping 1"));
  for (size_t split = 1; split < wire.size(); ++split) {
    CAPTURE(split);
    const auto got = run(split, 0);
    CHECK(got.first == reference.first);
    CHECK(got.second == reference.second);
  }
  // And one byte per Feed().
  const auto bytewise = run(0, 1);
  CHECK(bytewise.second == reference.second);
  CHECK(Contains(bytewise.first, "fin 1"));
}

TEST_CASE("flow control: a sender blocks at exactly the window until the receiver consumes") {
  Pair p;
  p.server_rec.auto_consume = false;  // slow consumer
  p.Pump();
  auto id = p.client->OpenStream(Headers{{"streamtype", "stdin"}});
  VK_REQUIRE_OK(id);
  p.Pump();
  const std::string payload(200 * 1024, 'p');
  absl::StatusOr<size_t> sent = p.client->SendData(*id, payload);
  VK_REQUIRE_OK(sent);
  CHECK(*sent == 64 * 1024);  // the server's initial stream window
  CHECK(p.client->SendWindow(*id) == 0);
  absl::StatusOr<size_t> again = p.client->SendData(*id, std::string_view(payload).substr(*sent));
  VK_REQUIRE_OK(again);
  CHECK(*again == 0);
  p.Pump();
  CHECK(p.server_rec.data[*id].size() == 64 * 1024);
  CHECK(p.server->UnconsumedBytes() == 64 * 1024);
  // Nothing consumed: no WINDOW_UPDATE, the sender stays blocked.
  CHECK(p.client->SendWindow(*id) == 0);
  CHECK(p.client_rec.windows.empty());

  // The consumer catches up: the window reopens and the sender is told.
  p.server->Consumed(*id, 64 * 1024);
  CHECK(p.server->UnconsumedBytes() == 0);
  p.Pump();
  REQUIRE(p.client_rec.windows.size() == 1);
  CHECK(p.client_rec.windows[0] == std::make_pair(*id, size_t{64 * 1024}));
  size_t offset = *sent;
  absl::StatusOr<size_t> more = p.client->SendData(*id, std::string_view(payload).substr(offset));
  VK_REQUIRE_OK(more);
  CHECK(*more == 64 * 1024);
  offset += *more;

  // A fast consumer never stalls the sender: everything flows.
  p.server_rec.auto_consume = true;
  p.Pump();
  int rounds = 0;
  while (offset < payload.size() && rounds++ < 100) {
    absl::StatusOr<size_t> n = p.client->SendData(*id, std::string_view(payload).substr(offset));
    VK_REQUIRE_OK(n);
    offset += *n;
    p.Pump();
  }
  CHECK(offset == payload.size());
  CHECK(p.server_rec.data[*id] == payload);
  CHECK(p.server->UnconsumedBytes() == 0);
}

TEST_CASE("flow control: the session window binds across streams (strict sender)") {
  SessionOptions strict;
  strict.flow_control = FlowControlMode::kStrict;
  SessionOptions receiver;
  receiver.session_window = 64 * 1024;          // SPDY/3.1's initial session window
  receiver.initial_stream_window = 1024 * 1024;  // streams are not the limit
  Pair p(strict, receiver);
  p.server_rec.auto_consume = false;
  p.Pump();
  auto s1 = p.client->OpenStream({});
  auto s2 = p.client->OpenStream({});
  VK_REQUIRE_OK(s1);
  VK_REQUIRE_OK(s2);
  p.Pump();
  auto n1 = p.client->SendData(*s1, std::string(40 * 1024, 'a'));
  auto n2 = p.client->SendData(*s2, std::string(40 * 1024, 'b'));
  VK_REQUIRE_OK(n1);
  VK_REQUIRE_OK(n2);
  CHECK(*n1 == 40 * 1024);
  CHECK(*n2 == 24 * 1024);  // 64 KiB session window in total
  p.Pump();
  CHECK(p.client_rec.windows.empty());
  p.server->Consumed(*s1, 40 * 1024);  // > half the session window: WINDOW_UPDATE(0)
  p.Pump();
  REQUIRE(p.client_rec.windows.size() == 1);
  CHECK(p.client_rec.windows[0].first == *s2);
  CHECK(p.client_rec.windows[0].second == 40 * 1024);
}

TEST_CASE("flow control: a kAuto sender ignores windows of a peer that never shows them") {
  // spdystream never sends SETTINGS or WINDOW_UPDATE; neither does kDisabled.
  SessionOptions go_like;
  go_like.flow_control = FlowControlMode::kDisabled;
  Pair p({}, go_like);
  p.server_rec.auto_consume = false;
  p.Pump();
  auto id = p.client->OpenStream({});
  VK_REQUIRE_OK(id);
  p.Pump();
  CHECK(p.client->SendWindow(*id) == SIZE_MAX);
  auto n = p.client->SendData(*id, std::string(1 << 20, 'x'));
  VK_REQUIRE_OK(n);
  CHECK(*n == (1u << 20));
  // Frames are cut at max_send_frame_size (32 KiB).
  const std::vector<std::string> frames = Summarize(p.client->TakeOutput());
  CHECK(frames.size() == 32);
  CHECK(frames[0] == "DATA 1 len=32768");
}

TEST_CASE("flow control: kStrict receiver resets a stream that overruns its window") {
  SessionOptions strict;
  strict.flow_control = FlowControlMode::kStrict;
  Recorder rec;
  SpdySession server(strict, &rec);
  rec.session = &server;
  rec.auto_consume = false;
  SpdySession client({.role = Role::kClient, .flow_control = FlowControlMode::kDisabled},
                     nullptr);
  auto id = client.OpenStream({});
  VK_REQUIRE_OK(id);
  VK_REQUIRE_OK(server.Feed(client.TakeOutput()));
  server.TakeOutput();
  VK_REQUIRE_OK(server.Feed(Data(*id, std::string(64 * 1024, 'a'))));
  CHECK(rec.resets.empty());
  VK_REQUIRE_OK(server.Feed(Data(*id, "b")));
  REQUIRE(rec.resets.size() == 1);
  CHECK(rec.resets[0] == std::make_pair(*id, RstStatus::kFlowControlError));
  CHECK(Contains(Frames(server), "RST_STREAM 1 7"));
}

TEST_CASE("ping: round trip with auto-answer, both directions") {
  Pair p;
  p.Pump();
  auto ping = p.client->Ping();
  VK_REQUIRE_OK(ping);
  CHECK(*ping == 1);
  p.Pump();
  CHECK(p.server_rec.pings == std::vector<uint32_t>{1});
  CHECK(p.client_rec.ping_replies == std::vector<uint32_t>{1});
  auto sping = p.server->Ping();
  VK_REQUIRE_OK(sping);
  CHECK(*sping == 2);
  p.Pump();
  CHECK(p.client_rec.pings == std::vector<uint32_t>{2});
  CHECK(p.server_rec.ping_replies == std::vector<uint32_t>{2});
  // A pong for a ping never sent is ignored.
  std::string unsolicited;
  VK_CHECK_OK(AppendPing(&unsolicited, 7));
  VK_CHECK_OK(p.client->Feed(unsolicited));
  CHECK(p.client_rec.ping_replies.size() == 1);
  CHECK(p.client->TakeOutput().empty());
}

TEST_CASE("stream errors: RST_STREAM for bad streams, never an RST storm") {
  Recorder rec;
  SpdySession server({.role = Role::kServer}, &rec);
  rec.session = &server;
  server.TakeOutput();

  // DATA on a stream never opened.
  VK_REQUIRE_OK(server.Feed(Data(5, "x")));
  CHECK(Frames(server) == std::vector<std::string>{"RST_STREAM 5 2"});
  // More frames on it are dropped quietly.
  VK_REQUIRE_OK(server.Feed(Data(5, "y")));
  CHECK(server.TakeOutput().empty());

  // Open stream 1, the peer half-closes it, then sends more data.
  SpdySession client({.role = Role::kClient}, nullptr);
  client.TakeOutput();
  auto id = client.OpenStream({}, {.fin = true});
  VK_REQUIRE_OK(id);
  VK_REQUIRE_OK(server.Feed(client.TakeOutput()));
  server.TakeOutput();
  VK_REQUIRE_OK(server.Feed(Data(1, "after fin")));
  CHECK(Frames(server) == std::vector<std::string>{"RST_STREAM 1 9"});
  REQUIRE(rec.resets.size() == 1);
  CHECK(rec.resets[0] == std::make_pair(uint32_t{1}, RstStatus::kStreamAlreadyClosed));
  CHECK_FALSE(server.IsStreamOpen(1));
  VK_REQUIRE_OK(server.Feed(Data(1, "again")));
  CHECK(server.TakeOutput().empty());

  // SYN_STREAM with the server's own parity, then a non-increasing id.
  HeaderCompressor comp;
  std::string bad;
  VK_CHECK_OK(AppendSynStream(&bad, comp, {.stream_id = 4}, {}));
  VK_CHECK_OK(AppendSynStream(&bad, comp, {.stream_id = 3}, {}));
  VK_CHECK_OK(AppendSynStream(&bad, comp, {.stream_id = 1}, {}));
  SpdySession fresh({.role = Role::kServer}, nullptr);
  fresh.TakeOutput();
  VK_REQUIRE_OK(fresh.Feed(bad));
  CHECK(Frames(fresh) ==
        std::vector<std::string>{"RST_STREAM 4 1", "RST_STREAM 1 1"});
  CHECK(fresh.IsStreamOpen(3));
  CHECK(fresh.status().ok());
}

TEST_CASE("stream errors: malformed header block resets only that stream") {
  // Upper-case name: a stream error (the zlib state stays in sync).
  const std::string block1 = U32(1) + U32(1) + "A" + U32(1) + "v";
  const std::string block2 = U32(1) + U32(1) + "a" + U32(1) + "v";
  z_stream zs{};
  REQUIRE(deflateInit(&zs, 9) == Z_OK);
  std::string_view dict = HeaderDictionary();
  deflateSetDictionary(&zs, reinterpret_cast<const Bytef*>(dict.data()),
                       static_cast<uInt>(dict.size()));
  auto compress = [&](const std::string& in) {
    std::string out(1024, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_SYNC_FLUSH) == Z_OK);
    out.resize(out.size() - zs.avail_out);
    return out;
  };
  const std::string c1 = compress(block1);
  const std::string c2 = compress(block2);
  deflateEnd(&zs);
  Recorder rec;
  SpdySession s2({.role = Role::kServer}, &rec);
  rec.session = &s2;
  s2.TakeOutput();
  VK_REQUIRE_OK(s2.Feed(SynStreamFrame(1, c1) + SynStreamFrame(3, c2)));
  CHECK(Frames(s2) == std::vector<std::string>{"RST_STREAM 1 1", "SYN_REPLY 3"});
  REQUIRE(rec.opened.size() == 1);
  CHECK(rec.opened[0].headers.Get("a") == "v");
}

TEST_CASE("limits: peer streams beyond max_concurrent_streams are refused") {
  Pair p({}, {.max_concurrent_streams = 2});
  // Three streams go out before the client has seen the server's SETTINGS.
  for (int i = 0; i < 3; ++i) VK_REQUIRE_OK(p.client->OpenStream({}));
  p.Pump();
  CHECK(p.server_rec.opened.size() == 2);
  REQUIRE(p.client_rec.resets.size() == 1);
  CHECK(p.client_rec.resets[0] == std::make_pair(uint32_t{5}, RstStatus::kRefusedStream));
  // The client saw MAX_CONCURRENT_STREAMS=2 and stops opening itself.
  CHECK(absl::IsResourceExhausted(p.client->OpenStream({}).status()));
}

TEST_CASE("limits: oversized DATA resets the stream, oversized control frame kills the session") {
  Recorder rec;
  SpdySession server({.role = Role::kServer, .max_data_frame_size = 16}, &rec);
  rec.session = &server;
  SpdySession client({.role = Role::kClient}, nullptr);
  VK_REQUIRE_OK(client.OpenStream({}));
  VK_REQUIRE_OK(server.Feed(client.TakeOutput()));
  server.TakeOutput();
  VK_REQUIRE_OK(server.Feed(Data(1, std::string(17, 'x'))));
  CHECK(Frames(server) == std::vector<std::string>{"RST_STREAM 1 11"});
  CHECK(rec.data[1].empty());

  SpdySession small({.role = Role::kServer, .max_control_frame_size = 64}, nullptr);
  small.TakeOutput();
  absl::Status s = small.Feed(SynStreamFrame(1, std::string(100, 'x')));
  CHECK(absl::IsResourceExhausted(s));
  CHECK(Frames(small) == std::vector<std::string>{"GOAWAY 0 1"});
}

TEST_CASE("session errors: GOAWAY(PROTOCOL_ERROR) and a dead session") {
  struct Case {
    const char* name;
    std::string bytes;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"version 2", Control(6, 0, U32(1), /*version=*/2), absl::StatusCode::kInvalidArgument},
      {"PING length 5", Control(6, 0, U32(1) + "x"), absl::StatusCode::kInvalidArgument},
      {"PING id 0", Control(6, 0, U32(0)), absl::StatusCode::kInvalidArgument},
      {"PING flags", Control(6, 1, U32(1)), absl::StatusCode::kInvalidArgument},
      {"RST length 4", Control(3, 0, U32(1)), absl::StatusCode::kInvalidArgument},
      {"RST stream 0", Control(3, 0, U32(0) + U32(5)), absl::StatusCode::kInvalidArgument},
      {"RST status 0", Control(3, 0, U32(1) + U32(0)), absl::StatusCode::kInvalidArgument},
      {"RST reserved bit", Control(3, 0, U32(0x80000001u) + U32(5)),
       absl::StatusCode::kInvalidArgument},
      {"WINDOW_UPDATE reserved bit", Control(9, 0, U32(1) + U32(0x80000001u)),
       absl::StatusCode::kInvalidArgument},
      {"SETTINGS count mismatch", Control(4, 0, U32(2) + U32(7) + U32(1)),
       absl::StatusCode::kInvalidArgument},
      {"SETTINGS length", Control(4, 0, U32(1) + U32(7) + "abc"),
       absl::StatusCode::kInvalidArgument},
      {"GOAWAY length", Control(7, 0, U32(0)), absl::StatusCode::kInvalidArgument},
      {"DATA stream 0", Data(1, "x").replace(0, 4, U32(0)), absl::StatusCode::kInvalidArgument},
      {"SYN_STREAM short", Control(1, 0, U32(1)), absl::StatusCode::kInvalidArgument},
      {"corrupt header block", SynStreamFrame(1, Bytes({0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2, 0xff,
                                                        0xff, 0xff, 0xff})),
       absl::StatusCode::kDataLoss},
      {"header block without dictionary id", SynStreamFrame(1, Bytes({0x78, 0xf9, 1, 2, 3, 4})),
       absl::StatusCode::kDataLoss},
      {"decompression bomb",
       SynStreamFrame(1, DeflateWithDictionary(U32(1) + U32(1) + "x" + U32(4 << 20) +
                                               std::string(4 << 20, 'a'))),
       absl::StatusCode::kResourceExhausted},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Recorder rec;
    SpdySession server({.role = Role::kServer}, &rec);
    rec.session = &server;
    server.TakeOutput();
    absl::Status s = server.Feed(c.bytes);
    CHECK(s.code() == c.code);
    CHECK(server.status() == s);
    CHECK(Frames(server) == std::vector<std::string>{"GOAWAY 0 1"});
    CHECK(server.goaway_sent());
    // Dead: input and output both refuse.
    CHECK(server.Feed(Data(1, "x")) == s);
    CHECK(absl::IsFailedPrecondition(server.OpenStream({}).status()));
    CHECK(absl::IsFailedPrecondition(server.Ping().status()));
    CHECK(rec.opened.empty());
  }
}

TEST_CASE("session errors: GOAWAY names the last stream accepted") {
  Pair p;
  p.Pump();
  VK_REQUIRE_OK(p.client->OpenStream({}));
  VK_REQUIRE_OK(p.client->OpenStream({}));
  p.Pump();
  CHECK_FALSE(p.server->Feed(Control(6, 0, U32(0))).ok());
  CHECK(Contains(Summarize(p.server->TakeOutput()), "GOAWAY 3 1"));
}

TEST_CASE("unknown control frames and CREDENTIAL are skipped") {
  Recorder rec;
  SpdySession server({.role = Role::kServer}, &rec);
  server.TakeOutput();
  VK_REQUIRE_OK(server.Feed(Control(10, 0, std::string(40, 'c'))));  // CREDENTIAL
  VK_REQUIRE_OK(server.Feed(Control(5, 0, "")));                     // old NOOP
  VK_REQUIRE_OK(server.Feed(Control(0x4242, 0xff, std::string(1000, 'u'))));
  VK_REQUIRE_OK(server.Feed(Control(6, 0, U32(1))));  // still parsing in step
  CHECK(rec.pings == std::vector<uint32_t>{1});
}

TEST_CASE("truncation: FinishInput() inside a frame is DataLoss, at a boundary OK") {
  SpdySession client({.role = Role::kClient}, nullptr);
  VK_REQUIRE_OK(client.OpenStream(Headers{{"streamtype", "error"}}));
  const std::string frame = client.TakeOutput();
  {
    SpdySession server({.role = Role::kServer}, nullptr);
    VK_REQUIRE_OK(server.Feed(std::string_view(frame).substr(0, frame.size() - 3)));
    absl::Status s = server.FinishInput();
    CHECK(absl::IsDataLoss(s));
    CHECK(s.message().find("SYN_STREAM") != std::string_view::npos);
    CHECK(server.Feed("x") == s);
  }
  {
    SpdySession server({.role = Role::kServer}, nullptr);
    VK_REQUIRE_OK(server.Feed(frame.substr(0, 5)));
    CHECK(absl::IsDataLoss(server.FinishInput()));
  }
  {
    Recorder rec;
    SpdySession server({.role = Role::kServer}, &rec);
    rec.session = &server;
    VK_REQUIRE_OK(server.Feed(frame));
    const std::string data = Data(1, std::string(100, 'd'));
    VK_REQUIRE_OK(server.Feed(std::string_view(data).substr(0, 50)));
    CHECK(rec.data[1].size() == 42);  // delivered as it arrived
    absl::Status s = server.FinishInput();
    CHECK(absl::IsDataLoss(s));
    CHECK(s.message().find("42 of 100") != std::string_view::npos);
  }
  {
    SpdySession server({.role = Role::kServer}, nullptr);
    VK_REQUIRE_OK(server.Feed(frame));
    VK_CHECK_OK(server.FinishInput());
    CHECK(absl::IsFailedPrecondition(server.Feed("x")));
  }
}

TEST_CASE("GOAWAY: no new streams either way; unprocessed local streams are refused") {
  Pair p;
  p.Pump();
  VK_REQUIRE_OK(p.client->OpenStream({}));
  p.Pump();
  VK_REQUIRE_OK(p.client->OpenStream({}));  // stream 3, not yet seen by the server
  VK_REQUIRE_OK(p.server->GoAway());
  std::string to_client = p.server->TakeOutput();
  VK_REQUIRE_OK(p.client->Feed(to_client));
  CHECK(p.client_rec.goaways == std::vector<std::pair<uint32_t, GoAwayStatus>>{
                                   {1, GoAwayStatus::kOk}});
  CHECK(p.client_rec.resets ==
        std::vector<std::pair<uint32_t, RstStatus>>{{3, RstStatus::kRefusedStream}});
  CHECK(p.client->IsStreamOpen(1));
  CHECK(absl::IsFailedPrecondition(p.client->OpenStream({}).status()));
  // The server ignores streams that arrive after its GOAWAY.
  VK_REQUIRE_OK(p.server->Feed(p.client->TakeOutput()));
  CHECK(p.server_rec.opened.size() == 1);
}

TEST_CASE("API misuse is refused with clear errors") {
  Pair p;
  p.server_rec.auto_reply = false;
  p.Pump();
  auto id = p.client->OpenStream({});
  VK_REQUIRE_OK(id);
  p.Pump();
  // DATA before the reply would be dropped by spdystream.
  CHECK(absl::IsFailedPrecondition(p.server->SendData(*id, "x").status()));
  CHECK(absl::IsFailedPrecondition(p.server->SendHeaders(*id, {})));
  CHECK(absl::IsFailedPrecondition(p.client->Reply(*id, {})));
  CHECK(absl::IsNotFound(p.server->Reply(99, {})));
  VK_REQUIRE_OK(p.server->Reply(*id, Headers{{"ok", "1"}}));
  CHECK(absl::IsFailedPrecondition(p.server->Reply(*id, {})));
  CHECK(absl::IsInvalidArgument(p.server->SendHeaders(*id, Headers{{"connection", "x"}})));
  VK_REQUIRE_OK(p.server->SendHeaders(*id, Headers{{"trailer-ish", "1"}}));
  VK_REQUIRE_OK(p.server->HalfClose(*id));
  CHECK(absl::IsFailedPrecondition(p.server->SendData(*id, "late").status()));
  CHECK(absl::IsNotFound(p.server->Reset(1234)));
  p.Pump();
  CHECK(p.client_rec.log == std::vector<std::string>{"settings", "reply 1", "headers 1", "fin 1"});
  CHECK(p.client->status().ok());
}

TEST_CASE("Reset() from a callback mid-frame drops the rest of the frame") {
  struct Resetter : Recorder {
    void OnData(uint32_t id, std::string_view d, bool f) override {
      Recorder::OnData(id, d, f);
      if (session->IsStreamOpen(id)) VK_CHECK_OK(session->Reset(id));
    }
  } rec;
  SpdySession server({.role = Role::kServer}, &rec);
  rec.session = &server;
  SpdySession client({.role = Role::kClient}, nullptr);
  VK_REQUIRE_OK(client.OpenStream({}));
  VK_REQUIRE_OK(server.Feed(client.TakeOutput()));
  const std::string data = Data(1, std::string(100, 'q'));
  VK_REQUIRE_OK(server.Feed(std::string_view(data).substr(0, 20)));
  VK_REQUIRE_OK(server.Feed(std::string_view(data).substr(20)));
  CHECK(rec.data[1].size() == 12);
  CHECK(Contains(Frames(server), "RST_STREAM 1 5"));
  CHECK(server.status().ok());
}

TEST_CASE("Feed() from a callback is refused") {
  struct Reentrant : Recorder {
    absl::Status inner;
    void OnPing(uint32_t id, bool is_reply) override {
      Recorder::OnPing(id, is_reply);
      inner = session->Feed("x");
    }
  } rec;
  SpdySession server({.role = Role::kServer}, &rec);
  rec.session = &server;
  VK_REQUIRE_OK(server.Feed(Control(6, 0, U32(1))));
  CHECK(absl::IsFailedPrecondition(rec.inner));
}

TEST_CASE("SETTINGS_INITIAL_WINDOW_SIZE shifts open streams and wakes blocked senders") {
  Pair p;
  p.server_rec.auto_consume = false;
  p.Pump();
  auto id = p.client->OpenStream({});
  VK_REQUIRE_OK(id);
  p.Pump();
  auto n = p.client->SendData(*id, std::string(70000, 'w'));
  VK_REQUIRE_OK(n);
  CHECK(*n == 65536);
  const Setting bigger[] = {{static_cast<uint32_t>(SettingId::kInitialWindowSize), 100000, 0}};
  VK_REQUIRE_OK(p.server->SendSettings(bigger));
  p.Pump();
  REQUIRE(p.client_rec.windows.size() == 1);
  CHECK(p.client_rec.windows[0].second == 100000 - 65536);
}

}  // namespace
}  // namespace vkubelet::internal::spdy

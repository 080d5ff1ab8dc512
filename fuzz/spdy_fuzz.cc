// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// libFuzzer target for the SPDY/3.1 session engine (not built by default).
// The input is fed to SpdySession::Feed() in chunks whose sizes come from
// the input itself; the visitor behaves like a kubelet (replies to every
// stream, consumes and echoes data, resets some streams, pings). Properties
// checked (a violation aborts, which libFuzzer reports as a crash):
//   * no crash, hang or sanitizer report on any input;
//   * once Feed() fails, status() keeps that error and Feed() returns it;
//   * whatever the session writes is valid SPDY for a peer: a fresh client
//     session fed the server's entire output never reports a session error
//     (header compression stays in sync across every block it emitted).
//
// Build (clang): clang++ -std=c++20 -fsanitize=fuzzer,address,undefined
//   -Ilib -Iinclude fuzz/spdy_fuzz.cc lib/api/spdy/*.cc -labsl_... -lz

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/spdy/session.h"

namespace {

using vkubelet::internal::spdy::Headers;
using vkubelet::internal::spdy::IncomingStream;
using vkubelet::internal::spdy::RstStatus;
using vkubelet::internal::spdy::Role;
using vkubelet::internal::spdy::SessionOptions;
using vkubelet::internal::spdy::SessionVisitor;
using vkubelet::internal::spdy::SpdySession;
using vkubelet::internal::spdy::FlowControlMode;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "spdy_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

class KubeletLike : public SessionVisitor {
 public:
  explicit KubeletLike(uint8_t mood) : mood_(mood) {}
  SpdySession* session = nullptr;

  void OnStreamOpened(const IncomingStream& s) override {
    if (s.unidirectional) return;
    if ((mood_ & 1) != 0 && (s.stream_id % 7) == 0) {
      session->Reset(s.stream_id, RstStatus::kRefusedStream).IgnoreError();
      return;
    }
    session->Reply(s.stream_id, Headers{{"x-echo", "1"}}).IgnoreError();
  }
  void OnData(uint32_t id, std::string_view data, bool fin) override {
    session->Consumed(id, data.size());
    if (!data.empty() && (mood_ & 2) != 0) session->SendData(id, data, fin).IgnoreError();
    if (fin && (mood_ & 4) != 0) session->HalfClose(id).IgnoreError();
    if ((mood_ & 8) != 0 && data.size() > 100) session->Reset(id).IgnoreError();
  }
  void OnPing(uint32_t, bool is_reply) override {
    if (!is_reply && (mood_ & 16) != 0) session->Ping().IgnoreError();
  }

 private:
  uint8_t mood_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mood = data[0];
  const uint8_t chunking = data[1];
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  SessionOptions options;
  options.role = Role::kServer;
  options.flow_control = (mood & 32) != 0 ? FlowControlMode::kStrict : FlowControlMode::kAuto;
  options.max_control_frame_size = 64 * 1024;
  options.max_header_block_size = 64 * 1024;
  options.max_concurrent_streams = 16;
  options.max_send_frame_size = 1 + (chunking & 0x3f) * 64;

  KubeletLike visitor(mood);
  SpdySession server(options, &visitor);
  visitor.session = &server;

  SessionOptions peer_options;
  peer_options.role = Role::kClient;
  SpdySession peer(peer_options, nullptr);

  std::string emitted;
  size_t step = 1 + (chunking >> 6) * 7;
  while (!input.empty()) {
    const size_t n = std::min(step, input.size());
    const absl::Status s = server.Feed(input.substr(0, n));
    input.remove_prefix(n);
    emitted += server.TakeOutput();
    if (!s.ok()) {
      Check(server.status() == s, "status() keeps the session error");
      Check(server.Feed("x") == s, "a dead session returns its error");
      break;
    }
    step = step * 3 % 61 + 1;
  }
  server.FinishInput().IgnoreError();
  emitted += server.TakeOutput();

  // Our output must never be a protocol violation for a peer.
  Check(peer.Feed(emitted).ok(), "server output is valid SPDY for a client");
  return 0;
}

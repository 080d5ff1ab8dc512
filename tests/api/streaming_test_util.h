// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Helpers for the streaming tests: a provider with scripted exec commands and
// port-forward behaviours, a kubelet server on 127.0.0.1 serving the real
// streaming routes, and test clients that speak SPDY/3.1 (on our own
// SpdySession in client role, with or without flow control) and the
// WebSocket channel protocols, each recording what the server sent.

#ifndef VKUBELET_TESTS_API_STREAMING_TEST_UTIL_H_
#define VKUBELET_TESTS_API_STREAMING_TEST_UTIL_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/kubelet_server_internal.h"
#include "api/kubelet_test_provider.h"
#include "api/spdy/remotecommand.h"
#include "api/spdy/session.h"
#include "api/streaming/service.h"
#include "api/streaming/transport.h"
#include "api/wsstream/channel.h"
#include "internal/http/client.h"
#include "vkubelet/api/kubelet_server.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/provider.h"

namespace vkubelet::streaming_test {

namespace http = ::vkubelet::internal::http;
namespace spdy = ::vkubelet::internal::spdy;
namespace wsstream = ::vkubelet::internal::wsstream;
using api::internal::StreamingOptions;
using api::internal::StreamingService;

inline Context TestCtx(absl::Duration d = absl::Seconds(30)) { return Context::Background().WithTimeout(d); }

// Deterministic bytes: position-dependent so that reordering, loss or
// duplication anywhere shows.
inline std::string Pattern(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>((x >> 16) ^ (i >> 12));
  }
  return s;
}

// ---- provider ----------------------------------------------------------------------

// Exec commands (argv[0]):
//   echo ARGS...        ARGS joined by spaces + "\n" on stdout
//   stderr ARGS...      the same on stderr
//   exit N              returns errdefs::ExitCode(N)
//   fail MESSAGE        returns errdefs::Internal(MESSAGE)
//   cat                 copies stdin to stdout until EOF, then "<n bytes>" nothing more
//   count               reads stdin to EOF, prints its byte count
//   gen N               writes N pattern bytes (seed 7) to stdout
//   hang                waits for its Context; counts the cancellation
//   hold                waits for Release() (or its Context), then behaves like cat
//   resize N            prints "WxH\n" for each of N resizes, then returns
//   tty                 prints "tty" or "notty" and which streams it got
// Attach: prints "attached\n" then copies stdin to stdout.
// Port-forward by port: 7 echo; 9 fails ("connection refused"); 13 waits for
// its Context; 19 writes 1 MiB of pattern (seed = port) and returns; 23
// waits for Release() then echoes.
class StreamingTestProvider : public test::BareProvider,
                              public ContainerExecProvider,
                              public PortForwardProvider {
 public:
  struct ExecCall {
    ExecRequest request;
    bool attach = false;
    bool tty = false;
    bool has_stdin = false, has_stdout = false, has_stderr = false;
  };

  absl::Status RunInContainer(const Context& ctx, const ExecRequest& req, AttachIO& io) override {
    Record(req, false, io);
    const std::vector<std::string>& argv = req.command;
    const std::string cmd = argv.empty() ? "" : argv[0];
    std::vector<std::string> args(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
    if (cmd == "echo") return Out(io.Stdout(), absl::StrCat(absl::StrJoin(args, " "), "\n"));
    if (cmd == "stderr") return Out(io.Stderr(), absl::StrCat(absl::StrJoin(args, " "), "\n"));
    if (cmd == "exit") {
      int code = 1;
      if (!args.empty() && !absl::SimpleAtoi(args[0], &code)) code = 1;
      return errdefs::ExitCode(code);
    }
    if (cmd == "fail") return errdefs::Internal(absl::StrJoin(args, " "));
    if (cmd == "cat") return Cat(io.Stdin(), io.Stdout());
    if (cmd == "count") {
      size_t total = 0;
      std::string buf(64 * 1024, '\0');
      while (true) {
        auto n = io.Stdin()->Read(buf.data(), buf.size());
        if (!n.ok()) return n.status();
        if (*n == 0) break;
        total += *n;
      }
      return Out(io.Stdout(), absl::StrCat(total, "\n"));
    }
    if (cmd == "gen") {
      size_t n = 0;
      if (args.empty() || !absl::SimpleAtoi(args[0], &n)) return errdefs::InvalidInput("gen N");
      return Gen(io.Stdout(), n, 7);
    }
    if (cmd == "hang") return Hang(ctx);
    if (cmd == "hold") {
      if (!WaitRelease(ctx)) return ctx.Err();
      return Cat(io.Stdin(), io.Stdout());
    }
    if (cmd == "resize") {
      int n = 1;
      if (!args.empty() && !absl::SimpleAtoi(args[0], &n)) n = 1;
      for (int i = 0; i < n; ++i) {
        std::optional<TermSize> s = io.NextResize(ctx);
        if (!s) return absl::CancelledError("no more resizes");
        VK_RETURN_IF_ERROR(Out(io.Stdout(), absl::StrCat(s->width, "x", s->height, "\n")));
      }
      return absl::OkStatus();
    }
    if (cmd == "tty") {
      return Out(io.Stdout(), absl::StrCat(io.Tty() ? "tty" : "notty", " stdin=", io.Stdin() != nullptr,
                                           " stderr=", io.Stderr() != nullptr, "\n"));
    }
    return errdefs::NotFound(absl::StrCat("executable not found: ", cmd));
  }

  absl::Status AttachToContainer(const Context&, const AttachRequest& req, AttachIO& io) override {
    ExecRequest e{req.namespace_, req.pod, req.container, {}};
    Record(e, true, io);
    if (io.Stdout() != nullptr) VK_RETURN_IF_ERROR(io.Stdout()->Write("attached\n"));
    if (io.Stdin() == nullptr) return absl::OkStatus();
    return Cat(io.Stdin(), io.Stdout());
  }

  absl::Status PortForward(const Context& ctx, const PortForwardRequest& req, DuplexStream& stream) override {
    {
      absl::MutexLock lock(&mu_);
      ++pf_calls_;
      ++pf_running_;
      pf_ports_.push_back(req.port);
      max_pf_running_ = std::max(max_pf_running_, pf_running_);
    }
    absl::Status st = DoPortForward(ctx, req, stream);
    absl::MutexLock lock(&mu_);
    --pf_running_;
    return st;
  }

  // --- controls and observations ---
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  std::vector<ExecCall> calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  int cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }
  bool WaitCancelled(int n, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cancelled_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  bool WaitWaiting(int n, absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }
  int pf_calls() const {
    absl::MutexLock lock(&mu_);
    return pf_calls_;
  }
  int max_pf_running() const {
    absl::MutexLock lock(&mu_);
    return max_pf_running_;
  }
  int pf_running() const {
    absl::MutexLock lock(&mu_);
    return pf_running_;
  }
  bool WaitPfIdle(absl::Duration timeout = absl::Seconds(10)) const {
    absl::MutexLock lock(&mu_);
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pf_running_ == 0; };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }

 private:
  void Record(const ExecRequest& req, bool attach, AttachIO& io) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(
        {req, attach, io.Tty(), io.Stdin() != nullptr, io.Stdout() != nullptr, io.Stderr() != nullptr});
  }
  static absl::Status Out(ByteWriter* w, std::string_view s) {
    if (w == nullptr) return errdefs::InvalidInput("stream not requested");
    return w->Write(s);
  }
  static absl::Status Cat(ByteReader* in, ByteWriter* out) {
    if (in == nullptr) return absl::OkStatus();
    std::string buf(64 * 1024, '\0');
    while (true) {
      auto n = in->Read(buf.data(), buf.size());
      if (!n.ok()) return n.status();
      if (*n == 0) return absl::OkStatus();
      if (out != nullptr) VK_RETURN_IF_ERROR(out->Write(std::string_view(buf.data(), *n)));
    }
  }
  static absl::Status Gen(ByteWriter* out, size_t n, uint32_t seed) {
    if (out == nullptr) return errdefs::InvalidInput("stream not requested");
    const std::string data = Pattern(n, seed);
    for (size_t pos = 0; pos < n; pos += 64 * 1024) {
      VK_RETURN_IF_ERROR(out->Write(std::string_view(data).substr(pos, 64 * 1024)));
    }
    return absl::OkStatus();
  }
  absl::Status Hang(const Context& ctx) {
    {
      absl::MutexLock lock(&mu_);
      ++waiting_;
    }
    ctx.Wait();
    absl::MutexLock lock(&mu_);
    ++cancelled_;
    return ctx.Err();
  }
  bool WaitRelease(const Context& ctx) {
    auto wake = [this] {
      absl::MutexLock lock(&mu_);
      ++wakeups_;
    };
    CancelRegistration reg = ctx.OnCancel(wake);
    absl::MutexLock lock(&mu_);
    ++waiting_;
    auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return released_ || ctx.Done(); };
    mu_.Await(absl::Condition(&cond));
    return released_;
  }
  absl::Status DoPortForward(const Context& ctx, const PortForwardRequest& req, DuplexStream& stream) {
    switch (req.port) {
      case 7:
        return Cat(&stream, &stream);
      case 9:
        return errdefs::Unavailable("connection refused");
      case 13:
        return Hang(ctx);
      case 19:
        return Gen(&stream, 1 << 20, static_cast<uint32_t>(req.port));
      case 23:
        if (!WaitRelease(ctx)) return ctx.Err();
        return Cat(&stream, &stream);
      default:
        return errdefs::Unavailable(absl::StrCat("nothing listens on port ", req.port));
    }
  }

  mutable absl::Mutex mu_;
  std::vector<ExecCall> calls_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int cancelled_ ABSL_GUARDED_BY(mu_) = 0;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  int pf_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int pf_running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_pf_running_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int32_t> pf_ports_ ABSL_GUARDED_BY(mu_);
};

// ---- server ------------------------------------------------------------------------------

// A KubeletServer on 127.0.0.1 (plain HTTP or TLS with a self-signed
// certificate) whose streaming routes are a StreamingService over a
// StreamingTestProvider.
struct TestServer {
  std::shared_ptr<StreamingTestProvider> provider;
  std::shared_ptr<StreamingService> service;
  std::unique_ptr<api::KubeletServer> server;
  bool tls = false;

  std::unique_ptr<http::Client> Client() const {
    http::ClientOptions o;
    o.port = server->port();
    if (tls) {
      http::ClientTlsOptions t;
      t.ca_pem = server->serving_certificate_pem();
      o.tls = t;
    }
    auto c = http::Client::Create(o);
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    return *std::move(c);
  }
  const api::internal::StreamingCounters& counters() const { return service->counters(); }
};

inline std::unique_ptr<TestServer> StartServer(StreamingOptions options = {}, bool tls = false) {
  auto ts = std::make_unique<TestServer>();
  ts->tls = tls;
  ts->provider = std::make_shared<StreamingTestProvider>();
  api::internal::StreamingDeps deps;
  deps.exec = ts->provider.get();
  deps.port_forward = ts->provider.get();
  deps.provider = ts->provider;
  ts->service = std::make_shared<StreamingService>(deps, options);
  api::KubeletServerOptions so;
  so.node_name = "stream-node";
  so.address = "127.0.0.1";
  so.port = 0;
  so.no_auth = true;
  if (tls) {
    so.self_signed = true;
  } else {
    so.insecure_plain_http = true;
  }
  so.handler_threads = 4;
  api::KubeletServerHandlers handlers;
  handlers.provider = ts->provider;
  auto server =
      api::internal::CreateKubeletServer(so, handlers, ts->service->Routes(), /*replace_streaming=*/true);
  REQUIRE_MESSAGE(server.ok(), server.status().ToString());
  ts->server = *std::move(server);
  absl::Status st = ts->server->Start();
  REQUIRE_MESSAGE(st.ok(), st.ToString());
  return ts;
}

// ---- SPDY client ----------------------------------------------------------------------------

// A SPDY/3.1 client session over the connection left after the upgrade.
// Thread-safe; records per stream what the server sent.
struct SpdyClientOptions {
  // kAuto: announces and honours windows (our own engine on both sides);
  // kDisabled: behaves like Go's spdystream (no windows at all).
  spdy::FlowControlMode flow_control = spdy::FlowControlMode::kAuto;
  uint32_t window = 64 * 1024;
  // Report received bytes as consumed at once (else Consume()).
  bool auto_consume = true;
};

class SpdyTestClient : public spdy::SessionVisitor {
 public:
  using Options = SpdyClientOptions;
  struct Upgrade {
    int status = 0;
    http::Headers headers;
    std::string body;
    std::unique_ptr<SpdyTestClient> client;  // set for 101
  };

  // Sends the upgrade request (POST, Upgrade: SPDY/3.1, one
  // X-Stream-Protocol-Version line per protocol).
  static Upgrade Connect(http::Client& c, const std::string& target,
                         const std::vector<std::string>& protocols, Options options = Options()) {
    http::ClientRequest req;
    req.method = "POST";
    req.target = target;
    req.headers.Add("Connection", "Upgrade");
    req.headers.Add("Upgrade", "SPDY/3.1");
    for (const auto& p : protocols) req.headers.Add(std::string(spdy::kProtocolVersionHeader), p);
    auto r = c.Upgrade(TestCtx(), req);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    Upgrade out;
    out.status = r->status;
    out.headers = r->headers;
    out.body = r->body;
    if (r->status == 101 && r->connection) {
      out.client.reset(new SpdyTestClient(api::internal::NewRawTransport(r->connection), options));
      out.client->Start();
    }
    return out;
  }

  // SPDY inside a WebSocket (Sec-WebSocket-Protocol SPDY/3.1+<protocol>).
  static absl::StatusOr<std::unique_ptr<SpdyTestClient>> ConnectTunnel(http::Client& c,
                                                                       const std::string& target,
                                                                       const std::string& subprotocol,
                                                                       Options options = Options()) {
    auto ws = c.WebSocket(TestCtx(), target, {subprotocol});
    if (!ws.ok()) return ws.status();
    std::unique_ptr<SpdyTestClient> out(
        new SpdyTestClient(api::internal::NewWebSocketTunnelTransport(*ws, 7 * 1024), options));
    out->Start();
    return out;
  }

  ~SpdyTestClient() override {
    conn_->Abort();
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  }

  // Opens a stream with these headers (names lower-cased by the engine).
  uint32_t Open(std::vector<std::pair<std::string, std::string>> headers, bool fin = false) {
    spdy::Headers h;
    for (auto& [k, v] : headers) h.Add(k, v);
    spdy::OpenStreamOptions o;
    o.fin = fin;
    absl::MutexLock lock(&mu_);
    auto id = session_.OpenStream(h, o);
    REQUIRE_MESSAGE(id.ok(), id.status().ToString());
    streams_[*id];
    FlushLocked();
    return *id;
  }
  uint32_t OpenType(std::string_view type) { return Open({{"streamtype", std::string(type)}}); }

  // Sends all of `data` (waiting for windows), optionally with FIN.
  absl::Status Send(uint32_t id, std::string_view data, bool fin = false) {
    absl::MutexLock lock(&mu_);
    while (true) {
      if (closed_) return absl::UnavailableError("connection closed");
      auto n = session_.SendData(id, data, fin && true);
      if (!n.ok()) return n.status();
      data.remove_prefix(*n);
      FlushLocked();
      if (data.empty()) return absl::OkStatus();
      auto can_send = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closed_ || !session_.IsStreamOpen(id) || session_.SendWindow(id) > 0;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&can_send), absl::Seconds(30))) {
        return absl::DeadlineExceededError("window stayed closed");
      }
    }
  }
  absl::Status HalfClose(uint32_t id) {
    absl::MutexLock lock(&mu_);
    absl::Status st = session_.HalfClose(id);
    FlushLocked();
    return st;
  }
  absl::Status Reset(uint32_t id) {
    absl::MutexLock lock(&mu_);
    absl::Status st = session_.Reset(id);
    FlushLocked();
    return st;
  }
  absl::Status GoAway() {
    absl::MutexLock lock(&mu_);
    absl::Status st = session_.GoAway();
    FlushLocked();
    return st;
  }
  absl::StatusOr<uint32_t> Ping() {
    absl::MutexLock lock(&mu_);
    auto id = session_.Ping();
    FlushLocked();
    return id;
  }
  void Consume(uint32_t id, size_t n) {
    absl::MutexLock lock(&mu_);
    session_.Consumed(id, n);
    FlushLocked();
  }
  // Bytes straight onto the connection (bypassing the session).
  void WriteRaw(std::string bytes) { conn_->Write(std::move(bytes)); }
  void PauseReading() { conn_->PauseReading(); }
  void ResumeReading() { conn_->ResumeReading(); }
  void Abort() { conn_->Abort(); }
  size_t QueuedBytes() const { return conn_->QueuedBytes(); }

  // Waits (up to `timeout`) until pred() holds. pred runs without the lock
  // (it may call the accessors) after every event, and every few
  // milliseconds for conditions on other objects.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (pred()) return true;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return pred();
      absl::MutexLock lock(&mu_);
      const uint64_t seen = events_;
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&changed), std::min(left, absl::Milliseconds(5)));
    }
  }
  bool WaitReplied(uint32_t id) {
    return WaitFor([&] {
      StreamView v = Stream(id);
      return v.replied || v.reset;
    });
  }
  bool WaitFin(uint32_t id, absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor(
        [&] {
          StreamView v = Stream(id);
          return v.fin || v.reset || closed();
        },
        timeout);
  }
  bool WaitData(uint32_t id, size_t n, absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor(
        [&] {
          StreamView v = Stream(id);
          return v.data.size() >= n || v.fin || closed();
        },
        timeout);
  }
  bool WaitClosed(absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor([&] { return closed(); }, timeout);
  }

  struct StreamView {
    std::string data;
    bool replied = false;
    bool fin = false;
    bool reset = false;
    spdy::RstStatus reset_status = spdy::RstStatus::kCancel;
  };
  StreamView Stream(uint32_t id) {
    absl::MutexLock lock(&mu_);
    return St(id);
  }
  bool closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  bool goaway_received() {
    absl::MutexLock lock(&mu_);
    return goaway_;
  }
  size_t pings_answered() {
    absl::MutexLock lock(&mu_);
    return pongs_;
  }
  size_t window_available(uint32_t id) {
    absl::MutexLock lock(&mu_);
    return session_.SendWindow(id);
  }

 private:
  SpdyTestClient(std::unique_ptr<api::internal::ByteTransport> conn, Options o)
      : conn_(std::move(conn)), options_(o), session_(MakeOptions(o), this) {}

  static spdy::SessionOptions MakeOptions(const Options& o) {
    spdy::SessionOptions so;
    so.role = spdy::Role::kClient;
    so.flow_control = o.flow_control;
    so.initial_stream_window = o.window;
    so.session_window = std::max<uint32_t>(o.window * 16, 64 * 1024);
    return so;
  }

  void Start() {
    {
      absl::MutexLock lock(&mu_);
      FlushLocked();
    }
    conn_->Start(
        [this](std::string_view data) {
          absl::MutexLock lock(&mu_);
          absl::Status st = session_.Feed(data);
          if (!st.ok()) feed_error_ = st;
          FlushLocked();
          ++events_;
        },
        [this](const absl::Status& st) {
          absl::MutexLock lock(&mu_);
          closed_ = true;
          close_status_ = st;
          ++events_;
        });
  }

  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string out = session_.TakeOutput();
    if (!out.empty()) conn_->Write(std::move(out));
  }
  StreamView& St(uint32_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return streams_[id]; }

  // Visitor (mu_ held by Feed).
  void OnHeaders(uint32_t id, const spdy::Headers&, bool fin, bool is_reply) override {
    if (is_reply) streams_[id].replied = true;
    if (fin) streams_[id].fin = true;
  }
  void OnData(uint32_t id, std::string_view data, bool fin) override {
    streams_[id].data.append(data);
    if (fin) streams_[id].fin = true;
    if (options_.auto_consume) session_.Consumed(id, data.size());
  }
  void OnStreamReset(uint32_t id, spdy::RstStatus status, bool) override {
    streams_[id].reset = true;
    streams_[id].reset_status = status;
  }
  void OnGoAway(uint32_t, spdy::GoAwayStatus) override { goaway_ = true; }
  void OnPing(uint32_t, bool is_reply) override {
    if (is_reply) ++pongs_;
  }

  std::unique_ptr<api::internal::ByteTransport> conn_;
  Options options_;
  absl::Mutex mu_;
  spdy::SpdySession session_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, StreamView> streams_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool goaway_ ABSL_GUARDED_BY(mu_) = false;
  size_t pongs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  absl::Status feed_error_ ABSL_GUARDED_BY(mu_);
};

// ---- WebSocket client ------------------------------------------------------------------------

class WsTestClient {
 public:
  struct Message {
    uint8_t channel = 0;
    std::string payload;
  };

  // Opens a WebSocket offering `protocols`; the encoding follows the
  // protocol the server picks.
  static absl::StatusOr<std::unique_ptr<WsTestClient>> Connect(http::Client& c, const std::string& target,
                                                               const std::vector<std::string>& protocols) {
    auto ws = c.WebSocket(TestCtx(), target, protocols);
    if (!ws.ok()) return ws.status();
    std::unique_ptr<WsTestClient> out(new WsTestClient(*ws));
    out->Start();
    return out;
  }
  ~WsTestClient() {
    ws_->Abort();
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(10));
  }

  const std::string& subprotocol() const { return ws_->subprotocol(); }
  wsstream::Encoding encoding() const {
    return absl::StrContains(ws_->subprotocol(), "base64") ? wsstream::Encoding::kBase64
                                                           : wsstream::Encoding::kBinary;
  }
  bool Send(uint8_t channel, std::string_view payload) {
    auto m = wsstream::EncodeMessage(encoding(), channel, payload);
    REQUIRE(m.ok());
    return ws_->Send(*m, encoding() == wsstream::Encoding::kBinary);
  }
  bool SendClose(uint8_t channel) { return ws_->Send(wsstream::EncodeClose(channel), true); }
  bool SendRaw(std::string data, bool binary) { return ws_->Send(std::move(data), binary); }
  void Close() { ws_->Close(1000, ""); }
  http::WebSocketConnection& ws() { return *ws_; }

  // As SpdyTestClient::WaitFor.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(20)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (pred()) return true;
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return pred();
      absl::MutexLock lock(&mu_);
      const uint64_t seen = events_;
      auto changed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_ != seen; };
      mu_.AwaitWithTimeout(absl::Condition(&changed), std::min(left, absl::Milliseconds(5)));
    }
  }
  bool WaitClosed(absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor([&] { return closed(); }, timeout);
  }
  bool WaitChannel(uint8_t ch, size_t n, absl::Duration timeout = absl::Seconds(20)) {
    return WaitFor([&] { return Channel(ch).size() >= n || closed(); }, timeout);
  }
  std::string Channel(uint8_t ch) {
    absl::MutexLock lock(&mu_);
    return data_[ch];
  }
  std::vector<Message> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  int close_code() {
    absl::MutexLock lock(&mu_);
    return close_code_;
  }
  bool closed() {
    absl::MutexLock lock(&mu_);
    return closed_;
  }
  size_t bad_messages() {
    absl::MutexLock lock(&mu_);
    return bad_;
  }

 private:
  explicit WsTestClient(std::shared_ptr<http::WebSocketConnection> ws) : ws_(std::move(ws)) {}
  void Start() {
    ws_->Start(
        [this](std::string data, bool) {
          auto m = wsstream::DecodeMessage(encoding(), data, 255, false);
          absl::MutexLock lock(&mu_);
          if (!m.ok()) {
            ++bad_;
            ++events_;
            return;
          }
          messages_.push_back({m->channel, m->payload});
          data_[m->channel].append(m->payload);
          ++events_;
        },
        [this](int code, const std::string&) {
          absl::MutexLock lock(&mu_);
          closed_ = true;
          close_code_ = code;
          ++events_;
        });
  }

  std::shared_ptr<http::WebSocketConnection> ws_;
  absl::Mutex mu_;
  std::vector<Message> messages_ ABSL_GUARDED_BY(mu_);
  std::map<uint8_t, std::string> data_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  int close_code_ ABSL_GUARDED_BY(mu_) = 0;
  size_t bad_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t events_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::streaming_test

#endif  // VKUBELET_TESTS_API_STREAMING_TEST_UTIL_H_

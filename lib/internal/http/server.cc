// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/http/server.h"

#include <condition_variable>
#include <deque>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/strings/str_cat.h"
#include "internal/http/transport.h"
#include "internal/http/websocket.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::internal::http {

// --- Request -----------------------------------------------------------------------------

std::string Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> Request::QueryValues(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : query) {
    if (k == name) out.push_back(v);
  }
  return out;
}

bool Request::HasQuery(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return true;
  }
  return false;
}

bool Request::IsUpgrade(std::string_view token) const {
  if (!headers.HasToken("Connection", "upgrade")) return false;
  if (token.empty()) return headers.Has("Upgrade");
  return headers.HasToken("Upgrade", token);
}

namespace detail {
namespace bhttp = beast::http;

namespace {

bool ValidHeaderText(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Status line and headers, without the terminating blank line.
std::string FormatHead(int version, int status, const Headers& headers) {
  std::string out = absl::StrCat(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ", status, " ",
                                 ToAbsl(StatusReason(status)), "\r\n");
  for (const auto& [k, v] : headers) {
    if (k.empty() || !ValidHeaderText(k) || !ValidHeaderText(v) || k.find(':') != std::string::npos) continue;
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  }
  return out;
}

bool BodyAllowed(int status) { return !(status / 100 == 1 || status == 204 || status == 304); }

std::string SimpleResponse(int status, std::string_view message) {
  std::string body = absl::StrCat(ToAbsl(message), "\n");
  return absl::StrCat(FormatHead(11, status, {}), "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ",
                      body.size(), "\r\nConnection: close\r\n\r\n", body);
}

// A plain thread pool for handlers.
class HandlerPool {
 public:
  explicit HandlerPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~HandlerPool() { Stop(); }

  bool enabled() const { return !threads_.empty(); }

  void Submit(absl::AnyInvocable<void()> task) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    tasks_.push_back(std::move(task));
  }

  // Drops queued tasks and joins the threads (running tasks finish first).
  void Stop() {
    std::deque<absl::AnyInvocable<void()>> dropped;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      dropped.swap(tasks_);
    }
    dropped.clear();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

 private:
  void Loop() {
    for (;;) {
      absl::AnyInvocable<void()> task;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !tasks_.empty(); };
        mu_.Await(absl::Condition(&ready));
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace

class ServerImpl {
 public:
  ServerImpl(ServerOptions options, Handler handler, std::unique_ptr<ServerTlsContext> tls)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        tls_(std::move(tls)),
        rt_(options_.io_threads),
        pool_(options_.handler_threads),
        acceptor_(net::make_strand(rt_.ioc())) {}

  ~ServerImpl() { Stop(absl::ZeroDuration()); }

  absl::Status Start();
  void Stop(absl::Duration grace);
  int port() const { return port_.load(); }
  size_t open_connections() const { return rt_.LiveChannels(); }

  const ServerOptions& options() const { return options_; }
  bool stopping() const { return stopping_.load(); }
  void RunHandler(Request& req, std::shared_ptr<Response> resp);
  void Dispatch(absl::AnyInvocable<void()> task, bool inline_ok);
  void Track(const std::shared_ptr<ServerSession>& s);

 private:
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);

  ServerOptions options_;
  Handler handler_;
  std::unique_ptr<ServerTlsContext> tls_;
  IoRuntime rt_;
  HandlerPool pool_;
  tcp::acceptor acceptor_;
  std::atomic<int> port_{0};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<ServerSession>> sessions_ ABSL_GUARDED_BY(mu_);
};

// The HTTP side of one server connection. Strand-only except where noted.
class ServerSession : public std::enable_shared_from_this<ServerSession> {
 public:
  ServerSession(ServerImpl* server, std::shared_ptr<Channel> ch)
      : server_(server), opts_(server->options()), ch_(std::move(ch)), timer_(ch_->executor()) {}

  void Start() {
    auto self = shared_from_this();
    ch_->SetOwner(self, [self](const absl::Status&) { self->OnChannelClosed(); });
    if (ch_->transport().is_tls()) {
      ArmTimer(opts_.header_read_timeout);
      static_cast<TlsTransport&>(ch_->transport())
          .Handshake(ssl::stream_base::server, [self](error_code ec) {
            self->CancelTimer();
            if (self->ch_->finalized()) return;
            if (ec) {
              self->ch_->AbortOnStrand(IoError("TLS handshake", ec));
              return;
            }
            self->peer_ = PeerCertificateOf(self->ch_->transport().native_ssl());
            self->ReadRequest();
          });
      return;
    }
    ReadRequest();
  }

  // Called from any thread.
  void ServerStopping() {
    net::dispatch(ch_->executor(), [self = shared_from_this()] {
      self->keep_alive_ = false;
      if (self->detached_) return;
      if (!self->in_request_) {
        self->ch_->CloseOnStrand(absl::OkStatus(), absl::Seconds(1));
        return;
      }
      // A stream (watch, logs -f) would only end with the grace: ask its
      // producer to stop now. Ordinary requests may finish undisturbed.
      auto resp = self->response_.lock();
      if (resp && resp->streaming() && self->req_cancel_) self->req_cancel_();
    });
  }

  // Posted by Response when the final bytes of response `seq` are queued.
  void ResponseDone(uint64_t seq, bool keep_alive) {
    if (seq != seq_ || !in_request_ || detached_) return;
    in_request_ = false;
    if (req_cancel_) req_cancel_();
    if (!keep_alive || !keep_alive_ || server_->stopping()) {
      ch_->CloseOnStrand(absl::OkStatus(), absl::Seconds(1));
      return;
    }
    if (watch_reading_) {
      // The background read doubles as the wait for the next request.
      ArmTimer(opts_.idle_timeout);
      return;
    }
    ReadRequest();
  }

  // Posted by Response::Upgrade/Hijack/AcceptWebSocket before the switch.
  void Detach() {
    detached_ = true;
    in_request_ = false;
    CancelTimer();
  }

  // Strand: hands the parsed request to a WebSocket handshake once writes
  // are drained and no read is in flight.
  void SwitchToWebSocket(absl::AnyInvocable<void(BeastRequest)> accept) {
    Detach();
    auto self = shared_from_this();
    auto fn = std::make_shared<absl::AnyInvocable<void(BeastRequest)>>(std::move(accept));
    ch_->WhenDrained([self, fn] {
      self->ch_->WhenReadIdle([self, fn] {
        if (self->ch_->finalized()) return;
        (*fn)(std::move(self->req_));
      });
    });
  }

  const std::shared_ptr<Channel>& channel() const { return ch_; }

 private:
  void OnChannelClosed() {
    CancelTimer();
    if (req_cancel_) req_cancel_();
  }

  void ArmTimer(absl::Duration d) {
    uint64_t gen = ++timer_gen_;
    timer_.expires_after(ToChrono(d));
    timer_.async_wait([self = shared_from_this(), gen](error_code ec) {
      if (ec || gen != self->timer_gen_ || self->detached_) return;
      self->ch_->AbortOnStrand(absl::DeadlineExceededError("request read timed out"));
    });
  }

  void CancelTimer() {
    ++timer_gen_;
    timer_.cancel();
  }

  // Waits for the first byte of the next request (idle/first-request timer),
  // then reads its header.
  void ReadRequest() {
    if (ch_->finalized() || ch_->closing()) return;
    if (ch_->buffer().size() > 0) {
      ReadHeader();
      return;
    }
    ArmTimer(first_request_ ? opts_.header_read_timeout : opts_.idle_timeout);
    WatchClient();
  }

  // A read into the channel buffer. Used to wait for the next request and,
  // while a handler runs, to notice the client leaving.
  void WatchClient() {
    if (watch_reading_ || detached_ || ch_->finalized() || ch_->closing()) return;
    // With pipelined bytes already buffered the next request is waiting:
    // ResponseDone parses it directly, so no read may be in flight then.
    if (in_request_ && ch_->buffer().size() > 0) return;
    watch_reading_ = true;
    auto buf = ch_->buffer().prepare(4096);
    ch_->transport().ReadSome(buf, [self = shared_from_this()](error_code ec, std::size_t n) {
      self->OnWatch(ec, n);
    });
  }

  void OnWatch(error_code ec, std::size_t n) {
    watch_reading_ = false;
    if (!ec) ch_->buffer().commit(n);
    if (detached_ || ch_->finalized() || ch_->closing()) return;
    if (ec) {
      // The client went away (or half-closed): cancel the request in flight.
      ch_->AbortOnStrand(in_request_ ? absl::CancelledError("client disconnected") : absl::OkStatus());
      return;
    }
    if (in_request_) {
      WatchClient();
    } else {
      ReadHeader();
    }
  }

  void ReadHeader() {
    ArmTimer(opts_.header_read_timeout);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts_.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(opts_.max_body_bytes);
    bhttp::async_read_header(ch_->stream(), ch_->buffer(), *parser_,
                             [self = shared_from_this()](error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  bool HandleReadError(error_code ec) {
    CancelTimer();
    if (ch_->finalized() || ch_->closing()) return true;
    if (!ec) return false;
    if (ec == bhttp::error::header_limit) {
      Reject(431, "request header fields too large");
    } else if (ec == bhttp::error::body_limit) {
      Reject(413, "request body too large");
    } else if (ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted ||
               ec == net::error::connection_reset || ec == ssl::error::stream_truncated ||
               ec.category() == net::error::get_ssl_category()) {
      ch_->AbortOnStrand(absl::OkStatus());
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
      Reject(400, "malformed HTTP request");
    } else {
      ch_->AbortOnStrand(IoError("reading request", ec));
    }
    return true;
  }

  void Reject(int status, std::string_view message) {
    ch_->Write(SimpleResponse(status, message));
    ch_->CloseOnStrand(absl::OkStatus(), absl::Seconds(2));
  }

  void OnHeader(error_code ec) {
    if (HandleReadError(ec)) return;
    auto& msg = parser_->get();
    if (msg[bhttp::field::expect] == "100-continue" && !parser_->is_done()) {
      ch_->Write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    ArmTimer(opts_.header_read_timeout);
    bhttp::async_read_some(ch_->stream(), ch_->buffer(), *parser_,
                           [self = shared_from_this()](error_code ec, std::size_t) {
                             if (self->HandleReadError(ec)) return;
                             if (self->parser_->is_done()) {
                               self->Dispatch();
                             } else {
                               self->ReadBody();
                             }
                           });
  }

  void Dispatch() {
    CancelTimer();
    req_ = parser_->release();
    parser_.reset();
    first_request_ = false;

    Request req;
    req.method = std::string(req_.method_string());
    req.target = std::string(req_.target());
    req.version = req_.version();
    std::string_view target = req.target;
    size_t q = target.find('?');
    auto path = PercentDecode(target.substr(0, q));
    auto query = ParseQuery(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
    if (!path.ok() || !query.ok() || target.empty()) {
      Reject(400, "malformed request target");
      return;
    }
    req.path = *std::move(path);
    req.raw_query = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
    req.query = *std::move(query);
    for (const auto& f : req_) req.headers.Add(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(req_.body());
    req.remote_address = ch_->remote_address();
    req.tls = ch_->transport().is_tls();
    req.peer_certificate = peer_;

    ++seq_;
    in_request_ = true;
    keep_alive_ = keep_alive_ && req_.keep_alive();
    auto [rctx, rcancel] = ch_->context().WithCancel();
    req_cancel_ = rcancel;

    std::shared_ptr<Response> resp(new Response());
    resp->session_ = weak_from_this();
    resp->channel_ = ch_;
    resp->seq_ = seq_;
    resp->ctx_ = rctx;
    resp->head_request_ = req.method == "HEAD";
    resp->version_ = req.version;
    resp->client_keep_alive_ = keep_alive_;
    bool upgrade = req.IsUpgrade("");
    if (upgrade) resp->upgrade_token_ = req.headers.Get("Upgrade");
    resp->websocket_request_ = upgrade && req.IsUpgrade("websocket");
    response_ = resp;

    // Only non-upgrade requests are watched: bytes after an upgrade request
    // belong to the upgraded protocol.
    if (!upgrade) WatchClient();

    auto task = [server = server_, req = std::move(req), resp = std::move(resp)]() mutable {
      server->RunHandler(req, std::move(resp));
    };
    server_->Dispatch(std::move(task), true);
  }

  ServerImpl* server_;
  const ServerOptions& opts_;
  std::shared_ptr<Channel> ch_;
  net::steady_timer timer_;
  uint64_t timer_gen_ = 0;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  BeastRequest req_;
  std::optional<PeerCertificate> peer_;
  uint64_t seq_ = 0;
  bool first_request_ = true;
  bool in_request_ = false;
  bool keep_alive_ = true;
  bool detached_ = false;
  bool watch_reading_ = false;
  CancelFn req_cancel_;
  std::weak_ptr<Response> response_;
};

// --- ServerImpl --------------------------------------------------------------------------

absl::Status ServerImpl::Start() {
  if (started_.exchange(true)) return absl::FailedPreconditionError("server already started");
  error_code ec;
  auto address = net::ip::make_address(options_.address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("invalid listen address \"", options_.address, "\""));
  tcp::endpoint ep(address, static_cast<unsigned short>(options_.port));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close(ec);
    return absl::UnavailableError(
        absl::StrCat("listening on ", options_.address, ":", options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint(ec).port();
  net::dispatch(acceptor_.get_executor(), [this] { Accept(); });
  return absl::OkStatus();
}

void ServerImpl::Accept() {
  acceptor_.async_accept(net::make_strand(rt_.ioc()),
                         [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void ServerImpl::OnAccept(error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open() || stopping_) return;
  if (ec) {
    // Typically EMFILE: keep accepting; the failed connection is gone.
    log::Warning(rt_.context(), "accept failed", {{"error", ec.message()}});
    Accept();
    return;
  }
  bool over_limit = rt_.LiveChannels() >= options_.max_connections;
  socket.set_option(tcp::no_delay(true), ec);
  if (over_limit) {
    if (tls_) {
      socket.close(ec);
    } else {
      auto ch = Channel::Create(&rt_, std::make_unique<TcpTransport>(std::move(socket)), rt_.context());
      ch->Write(SimpleResponse(503, "too many connections"));
      ch->Close(absl::OkStatus(), absl::Milliseconds(500));
    }
    Accept();
    return;
  }
  std::unique_ptr<Transport> transport;
  if (tls_) {
    transport = std::make_unique<TlsTransport>(std::move(socket), tls_->Get());
  } else {
    transport = std::make_unique<TcpTransport>(std::move(socket));
  }
  auto ch = Channel::Create(&rt_, std::move(transport), rt_.context());
  auto session = std::make_shared<ServerSession>(this, ch);
  Track(session);
  net::dispatch(ch->executor(), [session] {
    if (session->channel()->finalized()) return;
    session->Start();
  });
  Accept();
}

void ServerImpl::Track(const std::shared_ptr<ServerSession>& s) {
  absl::MutexLock lock(&mu_);
  if (sessions_.size() > 64 && sessions_.size() % 64 == 0) {
    std::erase_if(sessions_, [](const std::weak_ptr<ServerSession>& w) { return w.expired(); });
  }
  sessions_.push_back(s);
}

void ServerImpl::Dispatch(absl::AnyInvocable<void()> task, bool inline_ok) {
  if (pool_.enabled()) {
    pool_.Submit(std::move(task));
  } else if (inline_ok) {
    task();
  }
}

void ServerImpl::RunHandler(Request& req, std::shared_ptr<Response> resp) {
  try {
    handler_(req, resp);
  } catch (const std::exception& e) {
    log::Error(rt_.context(), "HTTP handler threw", {{"path", req.path}, {"error", e.what()}});
    resp->Send(500, {{"Content-Type", "text/plain; charset=utf-8"}}, "internal server error\n");
  } catch (...) {
    log::Error(rt_.context(), "HTTP handler threw", {{"path", req.path}});
    resp->Send(500, {{"Content-Type", "text/plain; charset=utf-8"}}, "internal server error\n");
  }
}

void ServerImpl::Stop(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  if (started_) {
    // Close the acceptor on its strand and wait for that.
    absl::Mutex m;
    bool done = false;
    net::dispatch(acceptor_.get_executor(), [&] {
      error_code ec;
      acceptor_.close(ec);
      absl::MutexLock l(&m);
      done = true;
    });
    absl::MutexLock l(&m);
    m.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(5));
  }
  std::vector<std::shared_ptr<ServerSession>> live;
  {
    absl::MutexLock lock(&mu_);
    for (auto& w : sessions_) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
    sessions_.clear();
  }
  for (auto& s : live) s->ServerStopping();
  live.clear();
  rt_.CancelLongLived();
  rt_.WaitNoChannels(grace);
  rt_.Shutdown();
  pool_.Stop();
}

}  // namespace detail

// --- Response ------------------------------------------------------------------------------

using detail::Channel;
using detail::ServerSession;
namespace net = detail::net;

namespace {
// Chunks from this size on are written without copying them.
constexpr size_t kChunkCopyLimit = 32 << 10;
}  // namespace

Response::~Response() {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kNone) {
    // The handler dropped the response without answering.
    auto ch = channel_.lock();
    if (ch && !ch->IsClosed()) {
      std::string body = "handler did not respond\n";
      Headers h{{"Content-Type", "text/plain; charset=utf-8"}};
      bool keep = client_keep_alive_;
      if (!keep) h.Add("Connection", "close");
      ch->Write(absl::StrCat(detail::FormatHead(version_, 500, h), "Content-Length: ", body.size(), "\r\n\r\n",
                             head_request_ ? "" : body));
      state_ = State::kSent;
      Complete(keep);
    }
  } else if (state_ == State::kStreaming) {
    auto ch = channel_.lock();
    if (ch && chunked_) ch->Write("0\r\n\r\n");
    state_ = State::kFinished;
    Complete(keep_alive_ && chunked_);
  }
}

bool Response::Complete(bool keep_alive) {
  auto session = session_.lock();
  auto ch = channel_.lock();
  if (!session || !ch) return false;
  net::post(ch->executor(), [session, seq = seq_, keep_alive] { session->ResponseDone(seq, keep_alive); });
  return true;
}

bool Response::Send(int status, const Headers& headers, std::string body) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNone) return false;
  auto ch = channel_.lock();
  if (!ch) return false;
  state_ = State::kSent;
  bool keep = client_keep_alive_ && !headers.HasToken("Connection", "close");
  std::string out = detail::FormatHead(version_, status, headers);
  if (detail::BodyAllowed(status)) {
    absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  } else {
    body.clear();
  }
  if (!keep && !headers.HasToken("Connection", "close")) out += "Connection: close\r\n";
  if (keep && version_ == 10) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!head_request_) {
    if (out.size() + body.size() < 64 * 1024) {
      out += body;
      body.clear();
    }
  }
  bool ok = ch->Write(std::move(out));
  if (ok && !head_request_ && !body.empty()) ok = ch->Write(std::move(body));
  Complete(keep);
  return ok;
}

bool Response::StartStream(int status, const Headers& headers) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNone) return false;
  auto ch = channel_.lock();
  if (!ch) return false;
  state_ = State::kStreaming;
  // HTTP/1.0 has no chunked encoding: the body ends when the connection does.
  chunked_ = version_ == 11;
  keep_alive_ = chunked_ && client_keep_alive_ && !headers.HasToken("Connection", "close");
  std::string out = detail::FormatHead(version_, status, headers);
  if (chunked_) out += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive_ && !headers.HasToken("Connection", "close")) out += "Connection: close\r\n";
  out += "\r\n";
  if (head_request_) {
    state_ = State::kFinished;
    bool ok = ch->Write(std::move(out));
    Complete(keep_alive_);
    return ok;
  }
  return ch->Write(std::move(out));
}

bool Response::Write(std::string data) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kStreaming) return false;
  auto ch = channel_.lock();
  if (!ch || ctx_.Done()) return false;
  if (data.empty()) return ch->AcceptsWrites();
  if (!chunked_) return ch->Write(std::move(data));
  char hex[24];
  int n = std::snprintf(hex, sizeof(hex), "%zx\r\n", data.size());
  if (data.size() >= kChunkCopyLimit) {
    // Large chunks are queued as they are, framed by two small writes,
    // instead of being copied behind their size line.
    bool ok = ch->Write(std::string(hex, static_cast<size_t>(n)));
    ok = ok && ch->Write(std::move(data));
    return ok && ch->Write("\r\n");
  }
  std::string chunk;
  chunk.reserve(data.size() + static_cast<size_t>(n) + 2);
  chunk.append(hex, static_cast<size_t>(n));
  chunk += data;
  chunk += "\r\n";
  return ch->Write(std::move(chunk));
}

size_t Response::QueuedBytes() const {
  auto ch = channel_.lock();
  return ch ? ch->QueuedBytes() : 0;
}

absl::Status Response::WaitWritable(const Context& ctx, size_t below_bytes) {
  auto ch = channel_.lock();
  if (!ch) return absl::UnavailableError("connection closed");
  return ch->WaitWritable(ctx, below_bytes);
}

bool Response::Finish() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kStreaming) return false;
  state_ = State::kFinished;
  auto ch = channel_.lock();
  bool ok = ch != nullptr;
  if (ok && chunked_) ok = ch->Write("0\r\n\r\n");
  Complete(keep_alive_);
  return ok;
}

bool Response::started() const {
  absl::MutexLock lock(&mu_);
  return state_ != State::kNone;
}

bool Response::streaming() const {
  absl::MutexLock lock(&mu_);
  return state_ == State::kStreaming;
}

std::shared_ptr<Channel> Response::TakeOver() {
  if (state_ != State::kNone) return nullptr;
  auto ch = channel_.lock();
  if (!ch || ch->IsClosed()) return nullptr;
  state_ = State::kTakenOver;
  ch->long_lived = true;
  return ch;
}

absl::StatusOr<std::shared_ptr<Connection>> Response::Upgrade(const Headers& headers) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNone) return absl::FailedPreconditionError("response already started");
  auto ch = TakeOver();
  if (!ch) return absl::UnavailableError("connection closed");
  Headers h = headers;
  if (!h.Has("Connection")) h.Add("Connection", "Upgrade");
  if (!h.Has("Upgrade") && !upgrade_token_.empty()) h.Add("Upgrade", upgrade_token_);
  ch->Write(detail::FormatHead(11, 101, h) + "\r\n");
  auto session = session_.lock();
  return detail::MakeRawConnection(ch, [session] {
    if (session) session->Detach();
  });
}

absl::StatusOr<std::shared_ptr<Connection>> Response::Hijack() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNone) return absl::FailedPreconditionError("response already started");
  auto ch = TakeOver();
  if (!ch) return absl::UnavailableError("connection closed");
  auto session = session_.lock();
  return detail::MakeRawConnection(ch, [session] {
    if (session) session->Detach();
  });
}

absl::StatusOr<std::shared_ptr<WebSocketConnection>> Response::AcceptWebSocket(std::string subprotocol,
                                                                               const WebSocketOptions& options) {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNone) return absl::FailedPreconditionError("response already started");
  if (!websocket_request_) return absl::InvalidArgumentError("not a WebSocket upgrade request");
  auto session = session_.lock();
  if (!session) return absl::UnavailableError("connection closed");
  auto ch = TakeOver();
  if (!ch) return absl::UnavailableError("connection closed");
  auto pending = detail::PrepareServerWebSocket(ch, std::move(subprotocol), options);
  auto accept = std::make_shared<decltype(pending.accept)>(std::move(pending.accept));
  net::dispatch(ch->executor(), [session, accept] { session->SwitchToWebSocket(std::move(*accept)); });
  return pending.handle;
}

// --- Server --------------------------------------------------------------------------------

Server::Server(std::unique_ptr<detail::ServerImpl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  if (impl_) impl_->Stop(absl::ZeroDuration());
}

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options, Handler handler) {
  if (!handler) return absl::InvalidArgumentError("server needs a handler");
  if (options.io_threads < 1) return absl::InvalidArgumentError("io_threads must be at least 1");
  if (options.handler_threads < 0) return absl::InvalidArgumentError("handler_threads must not be negative");
  if (options.port < 0 || options.port > 65535) return absl::InvalidArgumentError("port out of range");
  if (options.max_connections == 0) return absl::InvalidArgumentError("max_connections must be positive");
  std::unique_ptr<detail::ServerTlsContext> tls;
  if (options.tls) {
    VK_ASSIGN_OR_RETURN(tls, detail::ServerTlsContext::Create(*options.tls));
  }
  auto impl = std::make_unique<detail::ServerImpl>(std::move(options), std::move(handler), std::move(tls));
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

absl::Status Server::Start() { return impl_->Start(); }
void Server::Stop(absl::Duration grace) { impl_->Stop(grace); }
int Server::port() const { return impl_->port(); }
size_t Server::open_connections() const { return impl_->open_connections(); }

}  // namespace vkubelet::internal::http

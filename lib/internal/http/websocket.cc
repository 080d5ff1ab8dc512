// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/http/websocket.h"

#include <deque>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::http::detail {
namespace {

namespace websocket = beast::websocket;
namespace bhttp = beast::http;

websocket::stream_base::timeout Timeouts(const WebSocketOptions& o) {
  websocket::stream_base::timeout t;
  t.handshake_timeout = o.handshake_timeout == absl::InfiniteDuration() ? websocket::stream_base::none()
                                                                         : ToChrono(o.handshake_timeout);
  t.idle_timeout =
      o.idle_timeout == absl::InfiniteDuration() ? websocket::stream_base::none() : ToChrono(o.idle_timeout);
  t.keep_alive_pings = o.keep_alive_pings;
  return t;
}

// Strand-side state of one WebSocket; owned by its Channel.
class WsCore : public std::enable_shared_from_this<WsCore> {
 public:
  WsCore(std::shared_ptr<Channel> ch, const WebSocketOptions& options)
      : ch_(std::move(ch)), ws_(AnyStream(&ch_->transport())) {
    ws_.read_message_max(options.max_message_bytes);
    ws_.auto_fragment(false);
  }

  websocket::stream<AnyStream>& ws() { return ws_; }
  std::atomic<bool> accepting{true};

  void Opened() {
    open_ = true;
    MaybeRead();
    MaybeWrite();
  }

  void Fail(const absl::Status& why) { ch_->AbortOnStrand(why); }

  void Start(WebSocketConnection::MessageFn on_message, WebSocketConnection::CloseFn on_close) {
    if (started_) return;
    started_ = true;
    on_message_ = std::move(on_message);
    on_close_ = std::move(on_close);
    if (closed_) {
      FireClose();
      return;
    }
    MaybeRead();
  }

  void SetPaused(bool paused) {
    paused_ = paused;
    MaybeRead();
  }

  void Enqueue(std::string data, bool binary) {
    if (closed_) return;
    out_.emplace_back(std::move(data), binary);
    MaybeWrite();
  }

  void RequestClose(int code, std::string reason) {
    accepting = false;
    if (closed_ || close_requested_) return;
    close_requested_ = true;
    close_code_req_ = code;
    close_reason_req_ = std::move(reason);
    MaybeWrite();
  }

  void OnClosed() {
    closed_ = true;
    accepting = false;
    if (started_) FireClose();
  }

 private:
  void FireClose() {
    auto cb = std::move(on_close_);
    on_message_ = nullptr;
    on_close_ = nullptr;
    if (cb) cb(close_code_, close_reason_);
  }

  void MaybeRead() {
    if (!open_ || !started_ || paused_ || reading_ || closed_ || ch_->closing()) return;
    reading_ = true;
    ws_.async_read(rbuf_, [self = shared_from_this()](error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(error_code ec) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      if (ec == websocket::error::closed) {
        close_code_ = ws_.reason().code;
        close_reason_ = std::string(ws_.reason().reason.c_str());
        if (close_code_ == 0) close_code_ = 1005;
        ch_->AbortOnStrand(absl::OkStatus());
      } else if (ec == websocket::error::message_too_big) {
        close_code_ = 1009;
        close_reason_ = "message too big";
        ch_->AbortOnStrand(absl::ResourceExhaustedError("message too big"));
      } else if (close_started_) {
        // Our close is in progress; its completion finishes the job.
      } else {
        ch_->AbortOnStrand(IoError("websocket read failed", ec));
      }
      return;
    }
    std::string msg = beast::buffers_to_string(rbuf_.data());
    rbuf_.consume(rbuf_.size());
    bool binary = ws_.got_binary();
    if (on_message_) {
      try {
        on_message_(std::move(msg), binary);
      } catch (...) {
        ch_->AbortOnStrand(absl::InternalError("message callback threw"));
        return;
      }
    }
    MaybeRead();
  }

  void MaybeWrite() {
    if (!open_ || writing_ || closed_ || close_started_) return;
    if (out_.empty()) {
      if (close_requested_) StartClose();
      return;
    }
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(net::buffer(out_.front().first),
                    [self = shared_from_this()](error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void OnWrite(error_code ec) {
    writing_ = false;
    if (closed_) return;
    if (ec) {
      ch_->AbortOnStrand(IoError("websocket write failed", ec));
      return;
    }
    ch_->SubQueued(out_.front().first.size());
    out_.pop_front();
    MaybeWrite();
  }

  void StartClose() {
    close_started_ = true;
    websocket::close_reason cr(static_cast<websocket::close_code>(close_code_req_), close_reason_req_);
    ws_.async_close(cr, [self = shared_from_this()](error_code ec) {
      if (self->closed_) return;
      if (self->ws_.reason().code != 0) {
        self->close_code_ = self->ws_.reason().code;
        self->close_reason_ = std::string(self->ws_.reason().reason.c_str());
      } else {
        self->close_code_ = self->close_code_req_;
        self->close_reason_ = self->close_reason_req_;
      }
      self->ch_->AbortOnStrand(ec ? IoError("websocket close", ec) : absl::OkStatus());
    });
  }

  std::shared_ptr<Channel> ch_;
  websocket::stream<AnyStream> ws_;
  beast::flat_buffer rbuf_;
  std::deque<std::pair<std::string, bool>> out_;
  WebSocketConnection::MessageFn on_message_;
  WebSocketConnection::CloseFn on_close_;
  bool open_ = false;
  bool started_ = false;
  bool paused_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
  bool close_requested_ = false;
  bool close_started_ = false;
  int close_code_req_ = 1000;
  std::string close_reason_req_;
  int close_code_ = 1006;
  std::string close_reason_;
};

class WsHandle : public WebSocketConnection {
 public:
  WsHandle(const std::shared_ptr<Channel>& ch, const std::shared_ptr<WsCore>& core, std::string subprotocol)
      : ch_(ch),
        core_(core),
        ctx_(ch->context()),
        remote_(ch->remote_address()),
        subprotocol_(std::move(subprotocol)) {}

  ~WsHandle() override {
    if (!started_.load()) Abort();
  }

  void Start(MessageFn on_message, CloseFn on_close) override {
    if (started_.exchange(true)) return;
    auto core = core_.lock();
    auto ch = ch_.lock();
    if (!core || !ch) {
      if (on_close) on_close(1006, "connection closed");
      return;
    }
    net::post(ch->executor(), [core, m = std::move(on_message), c = std::move(on_close)]() mutable {
      core->Start(std::move(m), std::move(c));
    });
  }
  void PauseReading() override { Post([](WsCore& c) { c.SetPaused(true); }); }
  void ResumeReading() override { Post([](WsCore& c) { c.SetPaused(false); }); }

  bool Send(std::string data, bool binary) override {
    auto core = core_.lock();
    auto ch = ch_.lock();
    if (!core || !ch || !core->accepting.load() || ch->IsClosed()) return false;
    ch->AddQueued(data.size());
    net::post(ch->executor(), [core, d = std::move(data), binary]() mutable { core->Enqueue(std::move(d), binary); });
    return true;
  }
  size_t QueuedBytes() const override {
    auto ch = ch_.lock();
    return ch ? ch->QueuedBytes() : 0;
  }
  absl::Status WaitWritable(const Context& ctx, size_t below_bytes) override {
    auto ch = ch_.lock();
    if (!ch) return absl::UnavailableError("connection closed");
    return ch->WaitWritable(ctx, below_bytes);
  }
  void Close(int code, std::string reason) override {
    Post([code, reason](WsCore& c) { c.RequestClose(code, reason); });
  }
  void Abort() override {
    if (auto ch = ch_.lock()) ch->Abort(absl::CancelledError("websocket aborted"));
  }
  const std::string& subprotocol() const override { return subprotocol_; }
  const Context& context() const override { return ctx_; }
  std::string RemoteAddress() const override { return remote_; }

 private:
  template <typename F>
  void Post(F f) {
    auto core = core_.lock();
    auto ch = ch_.lock();
    if (!core || !ch) return;
    net::post(ch->executor(), [core, f] { f(*core); });
  }

  std::weak_ptr<Channel> ch_;
  std::weak_ptr<WsCore> core_;
  Context ctx_ = Context::Background();
  std::string remote_;
  std::string subprotocol_;
  std::atomic<bool> started_{false};
};

void Own(const std::shared_ptr<Channel>& ch, const std::shared_ptr<WsCore>& core) {
  ch->SetOwner(core, [core](const absl::Status&) { core->OnClosed(); });
}

}  // namespace

PendingWebSocket PrepareServerWebSocket(const std::shared_ptr<Channel>& ch, std::string subprotocol,
                                        const WebSocketOptions& options) {
  auto core = std::make_shared<WsCore>(ch, options);
  PendingWebSocket out;
  out.handle = std::make_shared<WsHandle>(ch, core, subprotocol);
  out.accept = [ch, core, subprotocol, options](BeastRequest req) {
    if (ch->finalized()) {
      core->OnClosed();
      return;
    }
    Own(ch, core);
    core->ws().set_option(Timeouts(options));
    core->ws().set_option(websocket::stream_base::decorator([subprotocol](websocket::response_type& res) {
      res.set(bhttp::field::server, "vkubelet");
      if (!subprotocol.empty()) res.set(bhttp::field::sec_websocket_protocol, subprotocol);
    }));
    auto req_ptr = std::make_shared<BeastRequest>(std::move(req));
    core->ws().async_accept(*req_ptr, [core, req_ptr](error_code ec) {
      if (ec) {
        core->Fail(IoError("websocket handshake", ec));
        return;
      }
      core->Opened();
    });
  };
  return out;
}

absl::StatusOr<std::shared_ptr<WebSocketConnection>> ClientWebSocketHandshake(
    const Context& ctx, const std::shared_ptr<Channel>& ch, const std::string& host, const std::string& target,
    const Headers& headers, const std::vector<std::string>& subprotocols, const WebSocketOptions& options) {
  struct Result {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    absl::Status status ABSL_GUARDED_BY(mu);
    std::string subprotocol ABSL_GUARDED_BY(mu);
    websocket::response_type res;
  };
  auto result = std::make_shared<Result>();
  auto core = std::make_shared<WsCore>(ch, options);
  std::string protocols = absl::StrJoin(subprotocols, ", ");
  net::dispatch(ch->executor(), [=] {
    Own(ch, core);
    core->ws().set_option(Timeouts(options));
    core->ws().set_option(websocket::stream_base::decorator([headers, protocols](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.insert(k, v);
      if (!protocols.empty()) req.set(bhttp::field::sec_websocket_protocol, protocols);
    }));
    core->ws().async_handshake(result->res, host, target, [core, result](error_code ec) {
      absl::MutexLock lock(&result->mu);
      result->done = true;
      if (ec) {
        int status = result->res.result_int();
        result->status = status != 0 && status != 101
                             ? absl::UnavailableError(absl::StrCat("websocket handshake rejected with HTTP ", status))
                             : IoError("websocket handshake", ec);
        core->Fail(result->status);
        return;
      }
      result->subprotocol = std::string(result->res[bhttp::field::sec_websocket_protocol]);
      core->Opened();
    });
  });
  CancelRegistration reg = ctx.OnCancel([ch] { ch->Abort(absl::CancelledError("cancelled")); });
  absl::MutexLock lock(&result->mu);
  result->mu.Await(absl::Condition(&result->done));
  if (!result->status.ok()) {
    if (!ctx.Err().ok()) return ctx.Err();
    return result->status;
  }
  std::string chosen = result->subprotocol;
  if (!chosen.empty() && std::find(subprotocols.begin(), subprotocols.end(), chosen) == subprotocols.end()) {
    ch->Abort(absl::UnavailableError("bad subprotocol"));
    return absl::UnavailableError(absl::StrCat("server chose an unoffered subprotocol \"", chosen, "\""));
  }
  return std::shared_ptr<WebSocketConnection>(std::make_shared<WsHandle>(ch, core, chosen));
}

}  // namespace vkubelet::internal::http::detail

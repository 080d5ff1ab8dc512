// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/spdy_server.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vkubelet/log.h"

namespace vkubelet::api::internal {

namespace spdy = ::vkubelet::internal::spdy;

namespace {

spdy::SessionOptions EngineOptions(const StreamingOptions& o, bool raw_upgrade) {
  spdy::SessionOptions so;
  so.role = spdy::Role::kServer;
  so.flow_control = spdy::FlowControlMode::kAuto;
  // The stream window is what one stream may hold unread; a flow-controlled
  // peer never sends more. At least SPDY's initial 64 KiB.
  const size_t window = std::clamp<size_t>(o.read_buffer_bytes, 64 * 1024, size_t{1} << 30);
  so.initial_stream_window = static_cast<uint32_t>(window);
  so.session_window = static_cast<uint32_t>(std::min<size_t>(window * 16, size_t{1} << 30));
  so.server_speaks_after_client = raw_upgrade;
  return so;
}

}  // namespace

SpdyServerSession::SpdyServerSession(std::shared_ptr<StreamingRuntime> rt,
                                     std::unique_ptr<ByteTransport> transport, bool raw_upgrade,
                                     Context log_ctx, std::shared_ptr<void> scope)
    : rt_(std::move(rt)),
      log_ctx_(std::move(log_ctx)),
      session_(EngineOptions(rt_->options, raw_upgrade), this),
      pause_threshold_(EngineOptions(rt_->options, raw_upgrade).initial_stream_window),
      transport_(std::move(transport)),
      raw_upgrade_(raw_upgrade),
      scope_(std::move(scope)) {
  auto [ctx, cancel] = transport_->context().WithCancel();
  ctx_ = ctx;
  cancel_ = cancel;
  last_activity_ = rt_->options.clock->Now();
  ++rt_->counters.active_sessions;
}

SpdyServerSession::~SpdyServerSession() {
  root_reg_.Reset();
  self_reg_.Reset();
  if (cancel_) cancel_();
  --rt_->counters.active_sessions;
}

void SpdyServerSession::Start() {
  if (started_) return;
  started_ = true;
  std::weak_ptr<SpdyServerSession> weak = shared_from_this();
  // Server stop (the connection's context), the streaming routes going away
  // (root) and Shutdown() all end in the same place.
  self_reg_ = ctx_.OnCancel([weak] {
    if (auto s = weak.lock())
      s->Shutdown(absl::CancelledError("streaming session cancelled"), /*graceful=*/true);
  });
  CancelFn cancel = cancel_;
  root_reg_ = rt_->root.OnCancel([cancel] { cancel(); });
  auto self = shared_from_this();
  transport_->Start([self](std::string_view data) { self->OnTransportData(data); },
                    [self](const absl::Status& status) {
                      self->Shutdown(
                          status.ok() ? absl::CancelledError("the client closed the connection") : status,
                          /*graceful=*/false);
                    });
  absl::MutexLock lock(&mu_);
  // Inside a WebSocket tunnel the WebSocket's own pings decide when the peer
  // is gone (see ws_server.h), as for every other WebSocket session.
  if (raw_upgrade_ && rt_->options.stream_idle_timeout != absl::InfiniteDuration()) {
    ArmIdleTimerLocked(last_activity_ + rt_->options.stream_idle_timeout);
  }
}

bool SpdyServerSession::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

// ---- plumbing ---------------------------------------------------------------------

void SpdyServerSession::Defer(absl::AnyInvocable<void()> fn) { deferred_.push_back(std::move(fn)); }

void SpdyServerSession::RunDeferred() {
  while (true) {
    std::vector<absl::AnyInvocable<void()>> work;
    {
      absl::MutexLock lock(&mu_);
      work.swap(deferred_);
    }
    if (work.empty()) return;
    for (auto& fn : work) fn();
  }
}

void SpdyServerSession::WithLock(absl::FunctionRef<void()> fn) {
  {
    absl::MutexLock lock(&mu_);
    fn();
  }
  RunDeferred();
}

void SpdyServerSession::FlushLocked() {
  std::string out = session_.TakeOutput();
  if (!out.empty()) transport_->Write(std::move(out));
}

uint64_t SpdyServerSession::ScheduleLocked(absl::Time when, absl::AnyInvocable<void()> fn) {
  std::weak_ptr<SpdyServerSession> weak = weak_from_this();
  auto shared_fn = std::make_shared<absl::AnyInvocable<void()>>(std::move(fn));
  return rt_->timers.Schedule(when, [weak, shared_fn] {
    auto self = weak.lock();
    if (!self) return;
    {
      absl::MutexLock lock(&self->mu_);
      if (self->closed_) return;
      (*shared_fn)();
    }
    self->RunDeferred();
  });
}

void SpdyServerSession::ArmIdleTimerLocked(absl::Time when) {
  std::weak_ptr<SpdyServerSession> weak = weak_from_this();
  rt_->timers.Schedule(when, [weak] {
    if (auto self = weak.lock()) self->OnIdleTimer();
  });
}

void SpdyServerSession::OnIdleTimer() {
  bool expired = false;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    ++rt_->counters.idle_checks;
    const absl::Time now = rt_->options.clock->Now();
    // While reading is paused the client is held back by us, not idle.
    if (paused_) last_activity_ = now;
    const absl::Time deadline = last_activity_ + rt_->options.stream_idle_timeout;
    if (now >= deadline) {
      expired = true;
    } else {
      ArmIdleTimerLocked(deadline);
    }
  }
  if (expired) {
    ++rt_->counters.idle_timeouts;
    log::Info(log_ctx_, "Closing an idle streaming connection",
              {{"idleTimeout", rt_->options.stream_idle_timeout}});
    Shutdown(absl::DeadlineExceededError("streaming connection idle timeout"), /*graceful=*/true);
  }
}

void SpdyServerSession::Shutdown(absl::Status why, bool graceful) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    if (graceful && session_.status().ok()) {
      session_.GoAway(spdy::GoAwayStatus::kOk).IgnoreError();
      FlushLocked();
    }
    cv_.SignalAll();
  }
  log::Debug(log_ctx_, "Streaming session ended", {{"reason", why}});
  if (cancel_) cancel_();
  if (graceful) {
    transport_->Close();
  } else {
    transport_->Abort();
  }
  HandleClosed();
  RunDeferred();
}

// ---- input --------------------------------------------------------------------------

void SpdyServerSession::OnTransportData(std::string_view data) {
  absl::Status failed;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    last_activity_ = rt_->options.clock->Now();
    absl::Status st = session_.Feed(data);
    FlushLocked();
    if (!st.ok()) failed = st;
  }
  RunDeferred();
  if (!failed.ok()) {
    log::Info(log_ctx_, "Closing a streaming connection after a SPDY protocol error", {{"err", failed}});
    // The engine queued GOAWAY(PROTOCOL_ERROR); let it reach the client.
    Shutdown(failed, /*graceful=*/true);
  }
}

void SpdyServerSession::OnStreamOpened(const spdy::IncomingStream& stream) { HandleNewStream(stream); }

void SpdyServerSession::OnHeaders(uint32_t stream_id, const spdy::Headers&, bool fin, bool) {
  if (!fin) return;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  it->second.eof = true;
  if (it->second.mode == StreamMode::kCustom) HandleCustomData(stream_id, {}, true);
  cv_.SignalAll();
}

void SpdyServerSession::OnData(uint32_t stream_id, std::string_view data, bool fin) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    session_.Consumed(stream_id, data.size());
    return;
  }
  StreamState& st = it->second;
  switch (st.mode) {
    case StreamMode::kBuffer:
      st.in.Append(data);
      StreamingCounters::RaiseTo(rt_->counters.max_buffered_bytes, st.in.size());
      // A peer that honours our windows never holds more than one stream
      // window unread here; pausing for it would also stop its
      // WINDOW_UPDATEs and could deadlock a provider that writes before it
      // reads. Only a peer without flow control gets this far.
      if (!paused_ && st.in.size() > pause_threshold_) {
        paused_ = true;
        ++rt_->counters.read_pauses;
        transport_->PauseReading();
      }
      break;
    case StreamMode::kDiscard:
      session_.Consumed(stream_id, data.size());
      break;
    case StreamMode::kCustom:
      session_.Consumed(stream_id, data.size());
      HandleCustomData(stream_id, data, fin);
      break;
  }
  if (fin) st.eof = true;
  if (fin || !data.empty()) cv_.SignalAll();
}

void SpdyServerSession::OnStreamReset(uint32_t stream_id, RstStatus status, bool by_peer) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  log::Debug(log_ctx_, "Stream reset",
             {{"stream", stream_id}, {"status", spdy::RstStatusName(status)}, {"byClient", by_peer}});
  it->second.reset = true;
  // Unread bytes of a stream that is gone are dropped.
  InboundBuffer dropped;
  std::swap(dropped, it->second.in);
  cv_.SignalAll();
  HandleStreamReset(stream_id);
  MaybeResumeLocked();
}

void SpdyServerSession::OnWindowAvailable(uint32_t, size_t) { cv_.SignalAll(); }

// ---- streams --------------------------------------------------------------------------

absl::Status SpdyServerSession::AcceptStream(uint32_t stream, StreamMode mode) {
  absl::Status st = session_.Reply(stream, {});
  if (!st.ok()) return st;
  StreamState& s = streams_[stream];
  s.mode = mode;
  return absl::OkStatus();
}

void SpdyServerSession::RefuseStream(uint32_t stream, RstStatus status) {
  session_.Reset(stream, status).IgnoreError();
  streams_.erase(stream);
}

void SpdyServerSession::ReleaseStream(uint32_t stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  const size_t unread = it->second.in.size();
  streams_.erase(it);
  if (unread > 0) session_.Consumed(stream, unread);
  FlushLocked();
  MaybeResumeLocked();
}

void SpdyServerSession::MaybeResumeLocked() {
  if (!paused_) return;
  const size_t low = pause_threshold_ / 2;
  for (const auto& [id, st] : streams_) {
    if (st.in.size() > low) return;
  }
  paused_ = false;
  transport_->ResumeReading();
}

absl::StatusOr<size_t> SpdyServerSession::ReadStream(uint32_t stream, char* buffer, size_t size) {
  if (size == 0) return size_t{0};
  absl::MutexLock lock(&mu_);
  while (true) {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return absl::CancelledError("stream closed");
    StreamState& st = it->second;
    if (!st.in.empty()) {
      const size_t n = st.in.Take(buffer, size);
      session_.Consumed(stream, n);
      FlushLocked();
      MaybeResumeLocked();
      return n;
    }
    if (st.eof) return size_t{0};
    if (st.reset) return absl::CancelledError("stream reset by the client");
    if (closed_) return absl::CancelledError("streaming session closed");
    cv_.Wait(&mu_);
  }
}

absl::Status SpdyServerSession::WriteStream(uint32_t stream, std::string_view data) {
  const size_t limit = std::max<size_t>(rt_->options.write_buffer_bytes, 1);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        if (closed_) return absl::CancelledError("streaming session closed");
        auto it = streams_.find(stream);
        if (it == streams_.end() || it->second.reset)
          return absl::CancelledError("stream reset by the client");
        if (it->second.write_closed) return absl::FailedPreconditionError("write after Close()");
        if (data.empty()) return absl::OkStatus();
        absl::StatusOr<size_t> n = session_.SendData(stream, data.substr(0, limit));
        if (!n.ok()) {
          if (absl::IsNotFound(n.status())) return absl::CancelledError("stream reset by the client");
          return n.status();
        }
        if (*n > 0) {
          data.remove_prefix(*n);
          last_activity_ = rt_->options.clock->Now();
          FlushLocked();
          break;
        }
        // The peer's window is closed: wait for its WINDOW_UPDATE.
        ++rt_->counters.write_waits;
        cv_.Wait(&mu_);
      }
    }
    const size_t queued = transport_->QueuedBytes();
    StreamingCounters::RaiseTo(rt_->counters.max_queued_bytes, queued);
    if (queued >= limit) {
      ++rt_->counters.write_waits;
      absl::Status w = transport_->WaitWritable(ctx_, limit);
      if (!w.ok()) return absl::CancelledError(absl::StrCat("client gone: ", w.message()));
    }
    if (data.empty()) return absl::OkStatus();
  }
}

absl::Status SpdyServerSession::CloseStreamWrite(uint32_t stream) {
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.write_closed) return absl::OkStatus();
  it->second.write_closed = true;
  if (closed_ || it->second.reset) return absl::OkStatus();
  absl::Status st = session_.HalfClose(stream);
  FlushLocked();
  if (!st.ok() && !absl::IsNotFound(st) && !absl::IsFailedPrecondition(st)) return st;
  return absl::OkStatus();
}

}  // namespace vkubelet::api::internal

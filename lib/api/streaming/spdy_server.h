// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SpdyServerSession: a SpdySession (api/spdy/session.h) driven over a
// ByteTransport for the kubelet's streaming endpoints, with the blocking
// per-stream Read/Write that providers use. Subclasses decide which streams
// to accept (exec/attach, port-forward). Private to the library.
//
// Threading: one mutex guards the SpdySession and every stream's state.
// Transport callbacks (I/O strand) feed received bytes in and never block;
// provider threads block in ReadStream/WriteStream on a condition variable
// and on the transport's write queue, never with the mutex held while
// waiting for the transport. Output is handed to the transport under the
// mutex, so frames leave in the order the engine produced them.
//
// Backpressure:
// * towards the client: WriteStream takes at most the peer's SPDY window
//   (peers that do flow control) and then waits until the transport has
//   fewer than options.write_buffer_bytes queued;
// * from the client: the session announces options.read_buffer_bytes as its
//   stream window; a stream holding that many unread bytes (a peer without
//   flow control, e.g. Go's spdystream) pauses reading the connection until
//   the provider has read half of them.
//
// Lifetime: shared; the transport callbacks, provider threads and (weakly)
// timers hold it. The session ends with Shutdown(): the Context is
// cancelled, blocked calls return Cancelled, a graceful end sends GOAWAY and
// flushes before the transport closes.

#ifndef VKUBELET_LIB_API_STREAMING_SPDY_SERVER_H_
#define VKUBELET_LIB_API_STREAMING_SPDY_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/spdy/session.h"
#include "api/streaming/runtime_state.h"
#include "api/streaming/stream_io.h"
#include "api/streaming/transport.h"
#include "vkubelet/context.h"

namespace vkubelet::api::internal {

class SpdyServerSession : public ::vkubelet::internal::spdy::SessionVisitor,
                          public StreamEndpoint,
                          public std::enable_shared_from_this<SpdyServerSession> {
 public:
  // `raw_upgrade`: the transport is the raw connection after a 101 (the
  // engine then holds its output until the client spoke, and the idle
  // timeout applies); false inside a WebSocket tunnel, whose WebSocket
  // pings detect a dead peer instead. `scope` is kept until the session is destroyed.
  SpdyServerSession(std::shared_ptr<StreamingRuntime> rt, std::unique_ptr<ByteTransport> transport,
                    bool raw_upgrade, Context log_ctx, std::shared_ptr<void> scope);
  ~SpdyServerSession() override;
  SpdyServerSession(const SpdyServerSession&) = delete;
  SpdyServerSession& operator=(const SpdyServerSession&) = delete;

  // Starts reading and arms the idle timer. Call once, right after creation.
  void Start();

  // StreamEndpoint (provider threads).
  absl::StatusOr<size_t> ReadStream(uint32_t stream, char* buffer, size_t size) override;
  absl::Status WriteStream(uint32_t stream, std::string_view data) override;
  absl::Status CloseStreamWrite(uint32_t stream) override;

  // Ends the session (idempotent). Graceful: GOAWAY, flush, close; else abort.
  void Shutdown(absl::Status why, bool graceful);
  // Cancelled when the session ends (client gone, timeout, server stop).
  const Context& context() const { return ctx_; }
  bool closed() const;

 protected:
  using RstStatus = ::vkubelet::internal::spdy::RstStatus;
  enum class StreamMode {
    kBuffer,   // bytes kept for ReadStream
    kDiscard,  // bytes dropped (the server never reads this stream)
    kCustom,   // bytes handed to HandleCustomData
  };

  // ---- hooks, called with mu_ held (from inside Feed or a timer) ----
  // A stream the client opened: AcceptStream() or RefuseStream() it.
  virtual void HandleNewStream(const ::vkubelet::internal::spdy::IncomingStream& stream)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;
  virtual void HandleCustomData(uint32_t stream, std::string_view data, bool fin)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    (void)stream, (void)data, (void)fin;
  }
  // The client reset the stream (or the engine did).
  virtual void HandleStreamReset(uint32_t stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { (void)stream; }
  // After the session ended; no lock held.
  virtual void HandleClosed() {}

  // SYN_REPLY and start tracking the stream.
  absl::Status AcceptStream(uint32_t stream, StreamMode mode) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // RST_STREAM.
  void RefuseStream(uint32_t stream, RstStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets a stream the provider is done with; later bytes are discarded.
  void ReleaseStream(uint32_t stream) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `fn` once mu_ has been released by the current entry point (for
  // anything that may call back into the session, e.g. cancelling a Context).
  void Defer(absl::AnyInvocable<void()> fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Schedules `fn` (run with mu_ held unless the session ended) at `when`.
  uint64_t ScheduleLocked(absl::Time when, absl::AnyInvocable<void()> fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Locks mu_, runs `fn`, unlocks, runs deferred work.
  void WithLock(absl::FunctionRef<void()> fn);

  const std::shared_ptr<StreamingRuntime> rt_;
  const Context log_ctx_;
  mutable absl::Mutex mu_;
  ::vkubelet::internal::spdy::SpdySession session_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

 private:
  // Unread bytes on one stream beyond which reading pauses: the stream
  // window this side announces.
  const size_t pause_threshold_;
  struct StreamState {
    StreamMode mode = StreamMode::kBuffer;
    InboundBuffer in;
    bool eof = false;           // the client half-closed
    bool reset = false;         // gone (RST either way)
    bool write_closed = false;  // this side half-closed
  };

  // SessionVisitor (mu_ held: called from Feed).
  void OnStreamOpened(const ::vkubelet::internal::spdy::IncomingStream& stream) override;
  void OnHeaders(uint32_t stream_id, const ::vkubelet::internal::spdy::Headers& headers, bool fin,
                 bool is_reply) override;
  void OnData(uint32_t stream_id, std::string_view data, bool fin) override;
  void OnStreamReset(uint32_t stream_id, RstStatus status, bool by_peer) override;
  void OnWindowAvailable(uint32_t stream_id, size_t window) override;

  void OnTransportData(std::string_view data);
  void OnIdleTimer();
  void ArmIdleTimerLocked(absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeResumeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunDeferred();

  std::unique_ptr<ByteTransport> transport_;
  const bool raw_upgrade_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  CancelRegistration root_reg_;
  CancelRegistration self_reg_;
  std::shared_ptr<void> scope_;

  absl::CondVar cv_;
  absl::flat_hash_map<uint32_t, StreamState> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::AnyInvocable<void()>> deferred_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  bool started_ = false;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_SPDY_SERVER_H_

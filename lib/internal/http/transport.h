// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Beast/Asio machinery behind server.h and client.h. Included only by the
// .cc files of lib/internal/http (and, for its TLS context helpers, by the
// API client's native transport in lib/kube).
//
// Pieces:
//   IoRuntime  an io_context, its threads and a registry of live Channels, so
//              that stopping can abort every connection and join every thread.
//   Transport  a socket, plain or TLS, behind one virtual interface; it counts
//              the reads and writes in flight and can serve bytes that were
//              read ahead (by an HTTP parser) before touching the socket.
//   AnyStream  adapts a Transport to Asio's AsyncReadStream/AsyncWriteStream so
//              that Beast's HTTP parser and WebSocket stream run on it (and
//              are instantiated once, not once per socket type).
//   Channel    one connection: the Transport, a strand, the read buffer, an
//              ordered thread-safe write queue with byte accounting and
//              backpressure waits, a Context cancelled on close, and the
//              graceful-close sequence. A "mode" object (HTTP server session,
//              raw Connection, WebSocket, client exchange) drives its reads.
//
// Lifetimes: the IoRuntime's registry owns each open Channel; a Channel owns
// its current mode object until it is finalized (closed), which breaks the
// Channel <-> mode reference cycle. User-visible handles (Response,
// Connection, WebSocketConnection) hold only weak references, so they may
// outlive the server or client that made them.

#ifndef VKUBELET_INTERNAL_HTTP_TRANSPORT_H_
#define VKUBELET_INTERNAL_HTTP_TRANSPORT_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "internal/http/types.h"
#include "vkubelet/context.h"

namespace vkubelet::internal::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

using IoHandler = absl::AnyInvocable<void(error_code, std::size_t)>;
using DoneHandler = absl::AnyInvocable<void(error_code)>;

std::chrono::steady_clock::duration ToChrono(absl::Duration d);
// Converts an Asio error to a Status ("what: message").
absl::Status IoError(std::string_view what, const error_code& ec);

class Channel;

// An io_context with its threads and the registry of open channels.
class IoRuntime {
 public:
  explicit IoRuntime(int threads);
  ~IoRuntime();  // calls Shutdown()
  IoRuntime(const IoRuntime&) = delete;
  IoRuntime& operator=(const IoRuntime&) = delete;

  net::io_context& ioc() { return ioc_; }
  // Cancelled by Shutdown(); every channel context derives from it.
  const Context& context() const { return ctx_; }

  void Register(const std::shared_ptr<Channel>& ch);
  void Unregister(uint64_t id);
  size_t LiveChannels() const;
  // Cancels the root context (every channel's and request's context).
  void CancelAll();
  // Cancels the contexts of channels marked long-lived (upgraded).
  void CancelLongLived();
  // Aborts every open channel.
  void AbortAll();
  // Waits until no channel is open or `timeout` passed; true if none is open.
  bool WaitNoChannels(absl::Duration timeout);
  // Cancels, aborts, waits briefly for the channels to unwind, stops the
  // io_context and joins its threads. Idempotent; must not run on an I/O
  // thread.
  void Shutdown();
  bool IsIoThread() const;

 private:
  net::io_context ioc_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  std::vector<std::thread> threads_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Channel>> channels_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// A socket (plain or TLS) behind a virtual interface. Strand-only.
class Transport {
 public:
  explicit Transport(net::any_io_executor ex) : ex_(std::move(ex)) {}
  virtual ~Transport() = default;

  const net::any_io_executor& executor() const { return ex_; }
  virtual tcp::socket& socket() = 0;
  virtual SSL* native_ssl() { return nullptr; }
  bool is_tls() { return native_ssl() != nullptr; }

  // Reads some bytes; serves `preread` first.
  void ReadSome(net::mutable_buffer buf, IoHandler handler);
  void WriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler);
  // TLS: sends close_notify (and waits for the peer's); TCP: shutdown(send).
  virtual void Shutdown(DoneHandler handler) = 0;
  virtual void Close();

  int reads_in_flight() const { return reads_; }
  void set_owner(const std::shared_ptr<Channel>& owner) { owner_ = owner; }
  int writes_in_flight() const { return writes_; }

  // Bytes to hand out before reading the socket.
  std::string preread;

 protected:
  virtual void DoReadSome(net::mutable_buffer buf, IoHandler handler) = 0;
  virtual void DoWriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) = 0;
  // The owning Channel, for internal operations that must keep it (and so
  // this transport) alive until they complete.
  std::shared_ptr<Channel> owner() const { return owner_.lock(); }

 private:
  net::any_io_executor ex_;
  std::weak_ptr<Channel> owner_;
  int reads_ = 0;
  int writes_ = 0;
};

class TcpTransport : public Transport {
 public:
  explicit TcpTransport(tcp::socket socket);
  tcp::socket& socket() override { return socket_; }
  void Shutdown(DoneHandler handler) override;

 protected:
  void DoReadSome(net::mutable_buffer buf, IoHandler handler) override;
  void DoWriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) override;

 private:
  tcp::socket socket_;
};

// TLS over OpenSSL with memory BIOs instead of asio::ssl::stream: a socket
// read feeds as many records as arrived and a read hands back as many as fit
// the caller's buffer; a write encrypts all it is given and sends the
// records with one socket write. (asio's stream moves one 16 KB record per
// socket operation and completion, which made a 10 MB response cost tens of
// thousands of scheduler round trips.) Strand-only, like every Transport; at
// most one read, one write and one handshake/shutdown at a time.
class TlsTransport : public Transport {
 public:
  TlsTransport(tcp::socket socket, std::shared_ptr<ssl::context> ctx);
  ~TlsTransport() override;
  tcp::socket& socket() override { return socket_; }
  SSL* native_ssl() override { return ssl_; }
  void Handshake(ssl::stream_base::handshake_type type, DoneHandler handler);
  void Shutdown(DoneHandler handler) override;
  // Closes the socket and fails the pending operations with
  // operation_aborted, posted like asio's: their handlers (which usually hold
  // the Channel that owns this transport) must not stay stored here, or an
  // I/O context stopped before they ran would leave that cycle behind.
  void Close() override;

 protected:
  void DoReadSome(net::mutable_buffer buf, IoHandler handler) override;
  void DoWriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) override;

 private:
  struct ReadOp {
    net::mutable_buffer buf;
    IoHandler handler;
    bool wants_input = false;
  };
  struct WriteOp {
    std::vector<net::const_buffer> bufs;
    std::string scratch;  // small gathers coalesced into one record
    size_t index = 0, offset = 0, consumed = 0;
    bool encrypted = false;
    uint64_t flushed_at = 0;  // done once sent_ reaches it
    bool wants_input = false;
    IoHandler handler;
  };
  enum class CtlKind { kHandshake, kShutdown };
  struct CtlOp {
    CtlKind kind = CtlKind::kHandshake;
    DoneHandler handler;
    bool finished = false;  // waiting for its output to be sent
    uint64_t flushed_at = 0;
    error_code result;
    bool wants_input = false;
  };
  using Completion = absl::AnyInvocable<void()>;

  // Advances every pending operation; `initiating`: called from an
  // initiating function, so completions are posted rather than run.
  void Progress(bool initiating);
  void StepRead(std::vector<Completion>& done);
  void StepWrite(std::vector<Completion>& done);
  void StepCtl(std::vector<Completion>& done);
  void CollectOutput();
  void StartSocketWrite();
  void StartSocketRead();
  void OnSocketRead(error_code ec, std::size_t n);
  // Maps the SSL error of a failed call (and the error queue) to an error code.
  error_code SslError(int ssl_error);
  // The error a read sees once the socket input ended or failed.
  error_code InputError() const;

  tcp::socket socket_;
  std::shared_ptr<ssl::context> ctx_;  // must outlive ssl_
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  std::optional<ReadOp> read_op_;
  std::optional<WriteOp> write_op_;
  std::optional<CtlOp> ctl_op_;
  bool in_progress_ = false;
  bool again_ = false;
  // Socket input.
  std::vector<char> in_buf_;
  bool socket_reading_ = false;
  error_code input_error_;  // sticky: eof or a socket error
  error_code fatal_;        // sticky: a fatal TLS error
  // Socket output: ciphertext not yet handed to the socket, and in flight.
  std::string out_, sending_;
  bool socket_writing_ = false;
  uint64_t produced_ = 0, sent_ = 0;
  error_code output_error_;
};

// Asio stream concept over a Transport (not owned).
class AnyStream {
 public:
  using executor_type = net::any_io_executor;
  explicit AnyStream(Transport* t) : t_(t) {}
  executor_type get_executor() const noexcept { return t_->executor(); }
  Transport& transport() const { return *t_; }

  template <class MutableBufferSequence, class Handler>
  auto async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    return net::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto h, const MutableBufferSequence& bufs) {
          net::mutable_buffer first;
          for (auto it = net::buffer_sequence_begin(bufs); it != net::buffer_sequence_end(bufs); ++it) {
            if (net::mutable_buffer(*it).size() > 0) {
              first = *it;
              break;
            }
          }
          t_->ReadSome(first, IoHandler(std::move(h)));
        },
        handler, buffers);
  }

  template <class ConstBufferSequence, class Handler>
  auto async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    return net::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto h, const ConstBufferSequence& bufs) {
          std::vector<net::const_buffer> v;
          for (auto it = net::buffer_sequence_begin(bufs); it != net::buffer_sequence_end(bufs); ++it) {
            net::const_buffer b(*it);
            if (b.size() > 0) v.push_back(b);
            if (v.size() >= 64) break;
          }
          t_->WriteSome(v, IoHandler(std::move(h)));
        },
        handler, buffers);
  }

 private:
  Transport* t_;
};

// Lets beast::close_socket / WebSocket timeouts close an AnyStream.
void beast_close_socket(AnyStream& stream);

// WebSocket teardown for AnyStream (found by ADL).
void teardown(beast::role_type role, AnyStream& stream, error_code& ec);

template <class TeardownHandler>
void async_teardown(beast::role_type /*role*/, AnyStream& stream, TeardownHandler&& handler) {
  Transport* t = &stream.transport();
  auto h = std::make_shared<std::decay_t<TeardownHandler>>(std::forward<TeardownHandler>(handler));
  t->Shutdown([t, h](error_code ec) mutable {
    t->Close();
    if (ec == net::error::eof || ec == ssl::error::stream_truncated) ec = {};
    (*h)(ec);
  });
}

// One connection. See the file comment.
class Channel : public std::enable_shared_from_this<Channel> {
 public:
  // Registers with `rt`. `parent` is usually rt->context().
  static std::shared_ptr<Channel> Create(IoRuntime* rt, std::unique_ptr<Transport> transport, const Context& parent);
  ~Channel();

  uint64_t id() const { return id_; }
  IoRuntime* runtime() const { return rt_; }
  const net::any_io_executor& executor() const { return transport_->executor(); }
  Transport& transport() { return *transport_; }
  AnyStream& stream() { return stream_; }
  beast::flat_buffer& buffer() { return buffer_; }
  const Context& context() const { return ctx_; }
  const std::string& remote_address() const { return remote_address_; }

  // --- Thread-safe -----------------------------------------------------------
  // Enqueues bytes for writing, in call order. False once closing/closed.
  bool Write(std::string data);
  size_t QueuedBytes() const;
  absl::Status WaitWritable(const Context& ctx, size_t below_bytes);
  // Accounting for bytes written by someone else (the WebSocket stream).
  void AddQueued(size_t n);
  void SubQueued(size_t n);
  // Stops accepting writes, flushes, then shuts down gracefully (bounded by
  // `linger`) and finalizes.
  void Close(absl::Status why = absl::OkStatus(), absl::Duration linger = absl::Seconds(1));
  // Closes the socket at once and finalizes.
  void Abort(absl::Status why);
  bool IsClosed() const;
  bool AcceptsWrites() const;
  // Cancels context() without closing (the owner decides what to do).
  void CancelContext() { cancel_(); }
  // Set for connections taken over after an upgrade: Server::Stop cancels
  // their contexts at once instead of waiting for them to go idle.
  std::atomic<bool> long_lived{false};

  // --- Strand only -------------------------------------------------------------
  // The mode object kept alive until finalization, and called then.
  void SetOwner(std::shared_ptr<void> owner, absl::AnyInvocable<void(const absl::Status&)> on_closed);
  // Runs `fn` once no write is queued or in flight (now, if already so).
  void WhenDrained(absl::AnyInvocable<void()> fn);
  // Called by the Transport after a read handler ran and no read is left in
  // flight, so that a close or mode switch waiting for that can proceed.
  void ReadCompleted();
  // Runs `fn` once no read is in flight.
  void WhenReadIdle(absl::AnyInvocable<void()> fn);
  bool closing() const { return closing_; }
  bool finalized() const { return finalized_; }
  void CloseOnStrand(absl::Status why, absl::Duration linger);
  void AbortOnStrand(absl::Status why);
  // Stops accepting writes (for modes that switch to their own writer).
  void StopWrites();

 private:
  Channel(IoRuntime* rt, std::unique_ptr<Transport> transport);
  void Flush();
  void StartWrite();
  void OnWrite(error_code ec, std::size_t n);
  void RunDrained();
  void ContinueClose();
  void Linger();
  void Finalize(absl::Status why);

  IoRuntime* rt_;
  uint64_t id_;
  std::unique_ptr<Transport> transport_;
  AnyStream stream_;
  beast::flat_buffer buffer_;
  Context ctx_ = Context::Background();
  CancelFn cancel_;
  std::string remote_address_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<std::string> pending_ ABSL_GUARDED_BY(mu_);
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool flush_posted_ ABSL_GUARDED_BY(mu_) = false;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  // Strand-only state.
  std::deque<std::string> out_;
  std::vector<net::const_buffer> write_bufs_;
  size_t write_count_ = 0;
  bool write_in_flight_ = false;
  std::vector<absl::AnyInvocable<void()>> drained_;
  std::vector<absl::AnyInvocable<void()>> read_idle_;
  bool closing_ = false;
  bool shutdown_started_ = false;
  bool finalized_ = false;
  absl::Status close_status_;
  absl::Duration linger_ = absl::Seconds(1);
  net::steady_timer linger_timer_;
  std::array<char, 4096> discard_{};
  std::shared_ptr<void> owner_;
  absl::AnyInvocable<void(const absl::Status&)> on_closed_;
};

// --- TLS -----------------------------------------------------------------------

// A server TLS context that follows certificate files as they change.
class ServerTlsContext {
 public:
  static absl::StatusOr<std::unique_ptr<ServerTlsContext>> Create(const ServerTlsOptions& options);
  // The current context; reloads the files first when their mtime/size
  // changed (keeping the old context if the new files do not load).
  std::shared_ptr<ssl::context> Get();

 private:
  explicit ServerTlsContext(ServerTlsOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::shared_ptr<ssl::context>> Build(const std::string& cert, const std::string& key);
  std::string FileStamp() const;

  ServerTlsOptions options_;
  absl::Mutex mu_;
  std::shared_ptr<ssl::context> current_ ABSL_GUARDED_BY(mu_);
  std::string stamp_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const ClientTlsOptions& options);
// Sets SNI and host/IP verification on a client TLS transport.
absl::Status ConfigureClientTls(TlsTransport& t, const ClientTlsOptions& options, const std::string& host);
// The same for any client SSL object (SNI, and the name or IP address the
// server certificate must carry).
absl::Status ConfigureClientSsl(SSL* ssl, const ClientTlsOptions& options, const std::string& host);
// The peer certificate of a completed handshake, if one was presented.
std::optional<PeerCertificate> PeerCertificateOf(SSL* ssl);

// --- Upgraded connections ----------------------------------------------------------

// Switches `ch` to raw mode and returns the user handle. Callable from any
// thread: the switch is dispatched to the strand, where `first` runs before
// it (to detach the previous mode); reading starts once no read is in flight.
std::shared_ptr<Connection> MakeRawConnection(const std::shared_ptr<Channel>& ch,
                                              absl::AnyInvocable<void()> first = nullptr);

}  // namespace vkubelet::internal::http::detail

#endif  // VKUBELET_INTERNAL_HTTP_TRANSPORT_H_

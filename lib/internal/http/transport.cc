// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/http/transport.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "internal/tls/certs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::internal::http::detail {

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return std::chrono::hours(24 * 365 * 10);
  if (d < absl::ZeroDuration()) return std::chrono::steady_clock::duration::zero();
  return absl::ToChronoNanoseconds(d);
}

absl::Status IoError(std::string_view what, const error_code& ec) {
  return absl::UnavailableError(absl::StrCat(ToAbsl(what), ": ", ec.message()));
}

// --- IoRuntime -------------------------------------------------------------------------

IoRuntime::IoRuntime(int threads) {
  auto [ctx, cancel] = Context::Background().WithCancel();
  ctx_ = ctx;
  cancel_ = cancel;
  guard_.emplace(net::make_work_guard(ioc_));
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      for (;;) {
        try {
          ioc_.run();
          return;
        } catch (const std::exception& e) {
          // A completion handler threw: keep the loop alive.
          log::Error(Context::Background(), "exception in I/O thread", {{"error", e.what()}});
        }
      }
    });
  }
}

IoRuntime::~IoRuntime() { Shutdown(); }

bool IoRuntime::IsIoThread() const {
  for (const std::thread& t : threads_) {
    if (t.get_id() == std::this_thread::get_id()) return true;
  }
  return false;
}

void IoRuntime::Register(const std::shared_ptr<Channel>& ch) {
  bool reject;
  {
    absl::MutexLock lock(&mu_);
    reject = shut_down_;
    if (!reject) channels_[ch->id()] = ch;
  }
  if (reject) ch->Abort(absl::UnavailableError("shutting down"));
}

void IoRuntime::Unregister(uint64_t id) {
  std::shared_ptr<Channel> dropped;  // released after the lock
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(id);
  if (it != channels_.end()) {
    dropped = std::move(it->second);
    channels_.erase(it);
  }
}

size_t IoRuntime::LiveChannels() const {
  absl::MutexLock lock(&mu_);
  return channels_.size();
}

void IoRuntime::CancelAll() { cancel_(); }

void IoRuntime::CancelLongLived() {
  std::vector<std::shared_ptr<Channel>> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, ch] : channels_) {
      if (ch->long_lived.load()) all.push_back(ch);
    }
  }
  for (auto& ch : all) ch->CancelContext();
}

void IoRuntime::AbortAll() {
  std::vector<std::shared_ptr<Channel>> all;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, ch] : channels_) all.push_back(ch);
  }
  for (auto& ch : all) ch->Abort(absl::UnavailableError("connection closed: shutting down"));
}

bool IoRuntime::WaitNoChannels(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return channels_.empty(); };
  return mu_.AwaitWithTimeout(absl::Condition(&empty), timeout);
}

void IoRuntime::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  cancel_();
  AbortAll();
  WaitNoChannels(absl::Seconds(5));
  // Let the threads finish outstanding completions, then stop whatever is
  // still armed (timers of closed channels).
  guard_.reset();
  ioc_.stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

// --- Transports ------------------------------------------------------------------------

void Transport::ReadSome(net::mutable_buffer buf, IoHandler handler) {
  ++reads_;
  // After the reader's handler ran (and possibly started the next read), tell
  // the channel when no read is left in flight.
  auto wrapped = [this, h = std::move(handler), owner = owner_](error_code ec, std::size_t n) mutable {
    std::shared_ptr<Channel> keep = owner.lock();
    --reads_;
    h(ec, n);
    if (keep && reads_ == 0) keep->ReadCompleted();
  };
  if (!preread.empty()) {
    size_t n = std::min(buf.size(), preread.size());
    std::memcpy(buf.data(), preread.data(), n);
    preread.erase(0, n);
    net::post(ex_, [w = std::move(wrapped), n]() mutable { w(error_code(), n); });
    return;
  }
  DoReadSome(buf, std::move(wrapped));
}

void Transport::WriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) {
  ++writes_;
  DoWriteSome(bufs, [this, h = std::move(handler)](error_code ec, std::size_t n) mutable {
    --writes_;
    h(ec, n);
  });
}

void Transport::Close() {
  error_code ec;
  socket().close(ec);
}

TcpTransport::TcpTransport(tcp::socket socket) : Transport(socket.get_executor()), socket_(std::move(socket)) {}

void TcpTransport::DoReadSome(net::mutable_buffer buf, IoHandler handler) {
  socket_.async_read_some(buf, std::move(handler));
}

void TcpTransport::DoWriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) {
  socket_.async_write_some(bufs, std::move(handler));
}

void TcpTransport::Shutdown(DoneHandler handler) {
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  net::post(executor(), [h = std::move(handler), ec]() mutable { h(ec); });
}

namespace {
// Socket reads start small (idle and chatty connections) and grow while reads
// fill the buffer (bulk transfers).
constexpr size_t kMinSocketRead = 16 << 10;
constexpr size_t kMaxSocketRead = 256 << 10;
// Gathers up to this size are copied into one buffer so that small pieces
// share a record.
constexpr size_t kCoalesceBytes = 64 << 10;
}  // namespace

TlsTransport::TlsTransport(tcp::socket socket, std::shared_ptr<ssl::context> ctx)
    : Transport(socket.get_executor()), socket_(std::move(socket)), ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->native_handle());
  if (ssl_ == nullptr) throw std::bad_alloc();
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  if (rbio_ == nullptr || wbio_ == nullptr) {
    if (rbio_) BIO_free(rbio_);
    if (wbio_) BIO_free(wbio_);
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  // An empty input BIO means "not yet", never end of file.
  BIO_set_mem_eof_return(rbio_, -1);
  BIO_set_mem_eof_return(wbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  // Neither Go nor the kubelet renegotiate; refusing it means a write never
  // has to wait for input.
  SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

void TlsTransport::Handshake(ssl::stream_base::handshake_type type, DoneHandler handler) {
  if (type == ssl::stream_base::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  ctl_op_.emplace();
  ctl_op_->kind = CtlKind::kHandshake;
  ctl_op_->handler = std::move(handler);
  Progress(true);
}

void TlsTransport::Close() {
  Transport::Close();
  error_code ec = net::error::operation_aborted;
  if (read_op_) {
    net::post(executor(), [h = std::move(read_op_->handler), ec]() mutable { h(ec, 0); });
    read_op_.reset();
  }
  if (write_op_) {
    net::post(executor(), [h = std::move(write_op_->handler), ec]() mutable { h(ec, 0); });
    write_op_.reset();
  }
  if (ctl_op_) {
    net::post(executor(), [h = std::move(ctl_op_->handler), ec]() mutable { h(ec); });
    ctl_op_.reset();
  }
}

void TlsTransport::Shutdown(DoneHandler handler) {
  ctl_op_.emplace();
  ctl_op_->kind = CtlKind::kShutdown;
  ctl_op_->handler = std::move(handler);
  Progress(true);
}

void TlsTransport::DoReadSome(net::mutable_buffer buf, IoHandler handler) {
  read_op_.emplace();
  read_op_->buf = buf;
  read_op_->handler = std::move(handler);
  Progress(true);
}

void TlsTransport::DoWriteSome(const std::vector<net::const_buffer>& bufs, IoHandler handler) {
  // Built in place: bufs may point into scratch, whose characters a move
  // would not keep (short strings live inside the object).
  WriteOp& op = write_op_.emplace();
  op.handler = std::move(handler);
  size_t total = 0;
  for (const auto& b : bufs) total += b.size();
  if (bufs.size() > 1 && total <= kCoalesceBytes) {
    op.scratch.reserve(total);
    for (const auto& b : bufs) op.scratch.append(static_cast<const char*>(b.data()), b.size());
    op.bufs.emplace_back(op.scratch.data(), op.scratch.size());
  } else {
    op.bufs = bufs;
  }
  Progress(true);
}

error_code TlsTransport::SslError(int ssl_error) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e != 0) return error_code(static_cast<int>(e), net::error::get_ssl_category());
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return net::error::eof;
  return ssl::error::stream_truncated;
}

error_code TlsTransport::InputError() const {
  // asio's convention: a TCP end without close_notify is a truncated stream.
  if (input_error_ == net::error::eof) return ssl::error::stream_truncated;
  return input_error_;
}

void TlsTransport::Progress(bool initiating) {
  if (in_progress_) {
    again_ = true;
    return;
  }
  in_progress_ = true;
  std::vector<Completion> done;
  do {
    again_ = false;
    StepCtl(done);
    StepRead(done);
    StepWrite(done);
    CollectOutput();
    StartSocketWrite();
    bool wants_input = (read_op_ && read_op_->wants_input) || (write_op_ && write_op_->wants_input) ||
                       (ctl_op_ && ctl_op_->wants_input);
    if (wants_input) StartSocketRead();
  } while (again_);
  in_progress_ = false;
  for (auto& fn : done) {
    if (initiating) {
      net::post(executor(), std::move(fn));
    } else {
      fn();
    }
  }
}

void TlsTransport::StepRead(std::vector<Completion>& done) {
  if (!read_op_) return;
  ReadOp& op = *read_op_;
  op.wants_input = false;
  auto finish = [&](error_code ec, size_t n) {
    done.push_back([h = std::move(op.handler), ec, n]() mutable { h(ec, n); });
    read_op_.reset();
  };
  if (op.buf.size() == 0) return finish({}, 0);
  if (fatal_) return finish(fatal_, 0);
  ERR_clear_error();
  char* data = static_cast<char*>(op.buf.data());
  size_t total = 0;
  for (;;) {
    size_t n = 0;
    int r = SSL_read_ex(ssl_, data + total, op.buf.size() - total, &n);
    if (r == 1) {
      total += n;
      if (total == op.buf.size()) break;
      continue;
    }
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ) {
      if (total > 0) break;
      if (input_error_) return finish(InputError(), 0);
      op.wants_input = true;
      return;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
      // close_notify: the data before it first, then end of file.
      return finish(total > 0 ? error_code() : error_code(net::error::eof), total);
    }
    error_code ec = SslError(err);
    fatal_ = ec;
    return finish(total > 0 ? error_code() : ec, total);
  }
  finish({}, total);
}

void TlsTransport::StepWrite(std::vector<Completion>& done) {
  if (!write_op_) return;
  WriteOp& op = *write_op_;
  op.wants_input = false;
  auto finish = [&](error_code ec, size_t n) {
    done.push_back([h = std::move(op.handler), ec, n]() mutable { h(ec, n); });
    write_op_.reset();
  };
  if (output_error_) return finish(output_error_, 0);
  if (!op.encrypted) {
    if (fatal_) return finish(fatal_, 0);
    ERR_clear_error();
    while (op.index < op.bufs.size()) {
      const net::const_buffer& b = op.bufs[op.index];
      if (op.offset == b.size()) {
        ++op.index;
        op.offset = 0;
        continue;
      }
      size_t n = 0;
      int r = SSL_write_ex(ssl_, static_cast<const char*>(b.data()) + op.offset, b.size() - op.offset, &n);
      if (r == 1) {
        op.offset += n;
        op.consumed += n;
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        if (input_error_) return finish(InputError(), 0);
        op.wants_input = true;
        return;
      }
      error_code ec = SslError(err);
      fatal_ = ec;
      return finish(ec, 0);
    }
    op.encrypted = true;
    CollectOutput();
    op.flushed_at = produced_;
  }
  // Done once its records reached the socket, as with a plain socket write.
  if (sent_ >= op.flushed_at) finish({}, op.consumed);
}

void TlsTransport::StepCtl(std::vector<Completion>& done) {
  if (!ctl_op_) return;
  CtlOp& op = *ctl_op_;
  op.wants_input = false;
  auto finish = [&](error_code ec) {
    done.push_back([h = std::move(op.handler), ec]() mutable { h(ec); });
    ctl_op_.reset();
  };
  if (!op.finished) {
    if (fatal_) return finish(fatal_);
    ERR_clear_error();
    int r = op.kind == CtlKind::kHandshake ? SSL_do_handshake(ssl_) : SSL_shutdown(ssl_);
    if (r == 1) {
      op.finished = true;
    } else if (op.kind == CtlKind::kShutdown && r == 0) {
      // Our close_notify is out; wait for the peer's.
      CollectOutput();
      if (input_error_) {
        op.finished = true;
        op.result = input_error_ == net::error::eof ? error_code(net::error::eof) : input_error_;
      } else {
        op.wants_input = true;
        return;
      }
    } else {
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ) {
        if (input_error_) {
          op.finished = true;
          op.result = op.kind == CtlKind::kShutdown && input_error_ == net::error::eof
                          ? error_code(net::error::eof)
                          : InputError();
        } else {
          op.wants_input = true;
          return;
        }
      } else {
        // Send the alert OpenSSL queued, but report the failure at once.
        error_code ec = SslError(err);
        if (op.kind == CtlKind::kHandshake) fatal_ = ec;
        return finish(ec);
      }
    }
    CollectOutput();
    op.flushed_at = produced_;
  }
  if (output_error_ && op.flushed_at > sent_) return finish(output_error_);
  if (sent_ >= op.flushed_at) finish(op.result);
}

void TlsTransport::CollectOutput() {
  size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  size_t old = out_.size();
  out_.resize(old + pending);
  int n = BIO_read(wbio_, out_.data() + old, static_cast<int>(pending));
  out_.resize(old + static_cast<size_t>(std::max(n, 0)));
  produced_ += static_cast<uint64_t>(std::max(n, 0));
}

void TlsTransport::StartSocketWrite() {
  if (socket_writing_ || out_.empty()) return;
  if (output_error_) {
    out_.clear();
    return;
  }
  std::swap(out_, sending_);
  out_.clear();
  socket_writing_ = true;
  net::async_write(socket_, net::buffer(sending_), [this, keep = owner()](error_code ec, std::size_t n) {
    socket_writing_ = false;
    sent_ += n;
    sending_.clear();
    // A cancelled TLS write leaves the stream unusable, so
    // every write error is final.
    if (ec) output_error_ = ec;
    Progress(false);
  });
}

void TlsTransport::StartSocketRead() {
  if (socket_reading_ || input_error_) return;
  if (in_buf_.empty()) in_buf_.resize(kMinSocketRead);
  socket_reading_ = true;
  socket_.async_read_some(net::buffer(in_buf_),
                          [this, keep = owner()](error_code ec, std::size_t n) { OnSocketRead(ec, n); });
}

void TlsTransport::OnSocketRead(error_code ec, std::size_t n) {
  socket_reading_ = false;
  if (n > 0) {
    BIO_write(rbio_, in_buf_.data(), static_cast<int>(n));
    if (n == in_buf_.size() && in_buf_.size() < kMaxSocketRead) in_buf_.resize(in_buf_.size() * 2);
  }
  std::vector<Completion> done;
  if (ec == net::error::operation_aborted) {
    // Cancelled (socket().cancel()): the operations that were waiting for
    // input fail; later ones may read again.
    if (read_op_ && read_op_->wants_input) {
      done.push_back([h = std::move(read_op_->handler), ec]() mutable { h(ec, 0); });
      read_op_.reset();
    }
    if (ctl_op_ && ctl_op_->wants_input) {
      done.push_back([h = std::move(ctl_op_->handler), ec]() mutable { h(ec); });
      ctl_op_.reset();
    }
    if (write_op_ && write_op_->wants_input) {
      done.push_back([h = std::move(write_op_->handler), ec]() mutable { h(ec, 0); });
      write_op_.reset();
    }
  } else if (ec) {
    input_error_ = ec;
  }
  Progress(false);
  for (auto& fn : done) fn();
}

void beast_close_socket(AnyStream& stream) { stream.transport().Close(); }

void teardown(beast::role_type, AnyStream& stream, error_code& ec) {
  stream.transport().Close();
  ec = {};
}

// --- Channel ---------------------------------------------------------------------------

namespace {
std::atomic<uint64_t> next_channel_id{1};
}  // namespace

Channel::Channel(IoRuntime* rt, std::unique_ptr<Transport> transport)
    : rt_(rt),
      id_(next_channel_id.fetch_add(1)),
      transport_(std::move(transport)),
      stream_(transport_.get()),
      linger_timer_(transport_->executor()) {}

Channel::~Channel() = default;

std::shared_ptr<Channel> Channel::Create(IoRuntime* rt, std::unique_ptr<Transport> transport,
                                         const Context& parent) {
  std::shared_ptr<Channel> ch(new Channel(rt, std::move(transport)));
  auto [ctx, cancel] = parent.WithCancel();
  ch->ctx_ = ctx;
  ch->cancel_ = cancel;
  error_code ec;
  auto ep = ch->transport_->socket().remote_endpoint(ec);
  if (!ec) {
    ch->remote_address_ = ep.address().is_v6() ? absl::StrCat("[", ep.address().to_string(), "]:", ep.port())
                                               : absl::StrCat(ep.address().to_string(), ":", ep.port());
  }
  ch->transport_->set_owner(ch);
  rt->Register(ch);
  return ch;
}

bool Channel::Write(std::string data) {
  {
    absl::MutexLock lock(&mu_);
    if (!accepting_) return false;
    if (data.empty()) return true;
    queued_ += data.size();
    pending_.push_back(std::move(data));
    if (flush_posted_) return true;
    flush_posted_ = true;
  }
  net::post(executor(), [self = shared_from_this()] { self->Flush(); });
  return true;
}

size_t Channel::QueuedBytes() const {
  absl::MutexLock lock(&mu_);
  return queued_;
}

void Channel::AddQueued(size_t n) {
  absl::MutexLock lock(&mu_);
  queued_ += n;
}

void Channel::SubQueued(size_t n) {
  absl::MutexLock lock(&mu_);
  queued_ = queued_ >= n ? queued_ - n : 0;
  cv_.SignalAll();
}

absl::Status Channel::WaitWritable(const Context& ctx, size_t below_bytes) {
  CancelRegistration reg = ctx.OnCancel([this] {
    absl::MutexLock lock(&mu_);
    cv_.SignalAll();
  });
  absl::MutexLock lock(&mu_);
  for (;;) {
    if (closed_ || !accepting_) return absl::UnavailableError("connection closed");
    if (queued_ < below_bytes) return absl::OkStatus();
    if (ctx.Done()) return ctx.Err();
    cv_.WaitWithDeadline(&mu_, ctx.Deadline());
  }
}

bool Channel::IsClosed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

bool Channel::AcceptsWrites() const {
  absl::MutexLock lock(&mu_);
  return accepting_;
}

void Channel::Close(absl::Status why, absl::Duration linger) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
  }
  net::post(executor(), [self = shared_from_this(), why, linger] { self->CloseOnStrand(why, linger); });
}

void Channel::Abort(absl::Status why) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    accepting_ = false;
    cv_.SignalAll();
  }
  net::post(executor(), [self = shared_from_this(), why] { self->AbortOnStrand(why); });
}

void Channel::StopWrites() {
  absl::MutexLock lock(&mu_);
  accepting_ = false;
  cv_.SignalAll();
}

void Channel::SetOwner(std::shared_ptr<void> owner, absl::AnyInvocable<void(const absl::Status&)> on_closed) {
  owner_ = std::move(owner);
  on_closed_ = std::move(on_closed);
}

void Channel::Flush() {
  {
    absl::MutexLock lock(&mu_);
    flush_posted_ = false;
    for (std::string& s : pending_) out_.push_back(std::move(s));
    pending_.clear();
  }
  StartWrite();
  if (!write_in_flight_) RunDrained();
}

void Channel::StartWrite() {
  if (write_in_flight_ || out_.empty() || finalized_) return;
  write_bufs_.clear();
  size_t bytes = 0;
  write_count_ = 0;
  for (const std::string& s : out_) {
    if (write_count_ >= 64 || (write_count_ > 0 && bytes + s.size() > (1 << 20))) break;
    write_bufs_.emplace_back(s.data(), s.size());
    bytes += s.size();
    ++write_count_;
  }
  write_in_flight_ = true;
  net::async_write(stream_, write_bufs_,
                   [self = shared_from_this()](error_code ec, std::size_t n) { self->OnWrite(ec, n); });
}

void Channel::OnWrite(error_code ec, std::size_t n) {
  write_in_flight_ = false;
  if (finalized_) return;
  if (ec) {
    AbortOnStrand(IoError("write failed", ec));
    return;
  }
  for (size_t i = 0; i < write_count_; ++i) out_.pop_front();
  write_count_ = 0;
  SubQueued(n);
  StartWrite();
  if (!write_in_flight_) RunDrained();
}

void Channel::RunDrained() {
  {
    absl::MutexLock lock(&mu_);
    if (!pending_.empty()) return;  // a Flush is posted
  }
  if (write_in_flight_ || !out_.empty()) return;
  auto fns = std::move(drained_);
  drained_.clear();
  for (auto& fn : fns) std::move(fn)();
}

void Channel::WhenDrained(absl::AnyInvocable<void()> fn) {
  bool pending_empty;
  {
    absl::MutexLock lock(&mu_);
    pending_empty = pending_.empty();
  }
  if (pending_empty && !write_in_flight_ && out_.empty()) {
    fn();
  } else {
    drained_.push_back(std::move(fn));
  }
}

void Channel::ReadCompleted() {
  if (transport_->reads_in_flight() > 0 || read_idle_.empty()) return;
  auto fns = std::move(read_idle_);
  read_idle_.clear();
  for (auto& fn : fns) std::move(fn)();
}

void Channel::WhenReadIdle(absl::AnyInvocable<void()> fn) {
  if (transport_->reads_in_flight() == 0) {
    fn();
  } else {
    read_idle_.push_back(std::move(fn));
  }
}

void Channel::CloseOnStrand(absl::Status why, absl::Duration linger) {
  if (finalized_ || closing_) return;
  closing_ = true;
  close_status_ = std::move(why);
  linger_ = linger;
  {
    absl::MutexLock lock(&mu_);
    accepting_ = false;
    cv_.SignalAll();
  }
  WhenDrained([self = shared_from_this()] { self->ContinueClose(); });
}

void Channel::ContinueClose() {
  if (finalized_ || shutdown_started_) return;
  if (transport_->reads_in_flight() > 0) {
    // Stop the mode's read; its completion calls ReadCompleted().
    error_code ec;
    transport_->socket().cancel(ec);
    WhenReadIdle([self = shared_from_this()] { self->ContinueClose(); });
    return;
  }
  shutdown_started_ = true;
  linger_timer_.expires_after(ToChrono(linger_));
  linger_timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (!ec) self->Finalize(self->close_status_);
  });
  transport_->Shutdown([self = shared_from_this()](error_code) {
    if (self->finalized_) return;
    if (self->transport_->is_tls()) {
      self->Finalize(self->close_status_);
    } else {
      self->Linger();
    }
  });
}

// Reads and drops whatever the peer still sends until it closes, so that
// closing does not reset the connection before the peer read our response.
void Channel::Linger() {
  if (finalized_) return;
  transport_->ReadSome(net::buffer(discard_), [self = shared_from_this()](error_code ec, std::size_t) {
    if (self->finalized_) return;
    if (ec) {
      self->Finalize(self->close_status_);
    } else {
      self->Linger();
    }
  });
}

void Channel::AbortOnStrand(absl::Status why) { Finalize(std::move(why)); }

void Channel::Finalize(absl::Status why) {
  if (finalized_) return;
  finalized_ = true;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    accepting_ = false;
    pending_.clear();
    queued_ = 0;
    cv_.SignalAll();
  }
  transport_->Close();
  linger_timer_.cancel();
  cancel_();
  drained_.clear();
  read_idle_.clear();
  auto on_closed = std::move(on_closed_);
  auto owner = std::move(owner_);
  if (on_closed) {
    try {
      on_closed(why);
    } catch (const std::exception& e) {
      log::Error(ctx_, "connection close callback threw", {{"error", e.what()}});
    } catch (...) {
      log::Error(ctx_, "connection close callback threw");
    }
  }
  rt_->Unregister(id_);
}

// --- TLS -------------------------------------------------------------------------------

namespace {

std::string SslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void RestrictProtocols(ssl::context& ctx) {
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerTlsContext>> ServerTlsContext::Create(const ServerTlsOptions& options) {
  std::unique_ptr<ServerTlsContext> c(new ServerTlsContext(options));
  bool files = !options.cert_file.empty() || !options.key_file.empty();
  if (files && (options.cert_file.empty() || options.key_file.empty())) {
    return absl::InvalidArgumentError("TLS needs both cert_file and key_file");
  }
  std::string cert = options.cert_pem, key = options.key_pem;
  std::string stamp;
  if (files) {
    stamp = c->FileStamp();
    VK_ASSIGN_OR_RETURN(cert, ReadFile(options.cert_file));
    VK_ASSIGN_OR_RETURN(key, ReadFile(options.key_file));
  }
  if (cert.empty() || key.empty()) return absl::InvalidArgumentError("TLS needs a certificate and a key");
  VK_ASSIGN_OR_RETURN(auto ctx, c->Build(cert, key));
  absl::MutexLock lock(&c->mu_);
  c->current_ = std::move(ctx);
  c->stamp_ = stamp;
  return c;
}

std::string ServerTlsContext::FileStamp() const {
  std::string out;
  for (const std::string& path : {options_.cert_file, options_.key_file}) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      out += "missing;";
      continue;
    }
    absl::StrAppend(&out, st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec, "/", st.st_size, "/", st.st_ino, ";");
  }
  return out;
}

std::shared_ptr<ssl::context> ServerTlsContext::Get() {
  if (options_.cert_file.empty()) {
    absl::MutexLock lock(&mu_);
    return current_;
  }
  std::string stamp = FileStamp();
  absl::MutexLock lock(&mu_);
  if (stamp == stamp_) return current_;
  auto cert = ReadFile(options_.cert_file);
  auto key = ReadFile(options_.key_file);
  if (cert.ok() && key.ok()) {
    auto ctx = Build(*cert, *key);
    if (ctx.ok()) {
      current_ = *std::move(ctx);
      stamp_ = stamp;
      return current_;
    }
    log::Warning(Context::Background(), "keeping the previous TLS certificate",
                 {{"error", ctx.status()}, {"cert_file", options_.cert_file}});
  }
  return current_;
}

absl::StatusOr<std::shared_ptr<ssl::context>> ServerTlsContext::Build(const std::string& cert,
                                                                      const std::string& key) {
  VK_RETURN_IF_ERROR(tls::CheckKeyMatchesCertificate(cert, key));
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  RestrictProtocols(*ctx);
  error_code ec;
  ERR_clear_error();
  ctx->use_certificate_chain(net::buffer(cert), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("loading certificate: ", ec.message(), " ", SslErrors()));
  ctx->use_private_key(net::buffer(key), ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("loading key: ", ec.message(), " ", SslErrors()));
  static const unsigned char kSessionId[] = "vkubelet";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionId, sizeof(kSessionId) - 1);
  if (!options_.client_ca_pem.empty()) {
    ctx->add_certificate_authority(net::buffer(options_.client_ca_pem), ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("loading client CA: ", ec.message(), " ", SslErrors()));
    // Advertise the acceptable CAs in the CertificateRequest.
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    BIO* bio = BIO_new_mem_buf(options_.client_ca_pem.data(), static_cast<int>(options_.client_ca_pem.size()));
    while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)));
      X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    bool require = options_.require_client_cert;
    ctx->set_verify_mode(ssl::verify_peer | (require ? ssl::verify_fail_if_no_peer_cert : 0));
    // Without `require`, an unverifiable certificate is accepted and reported
    // as unverified (SSL_get_verify_result) to the handler.
    ctx->set_verify_callback([require](bool preverified, ssl::verify_context&) { return preverified || !require; });
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

absl::StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const ClientTlsOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  RestrictProtocols(*ctx);
  error_code ec;
  ERR_clear_error();
  if (!options.ca_pem.empty()) {
    ctx->add_certificate_authority(net::buffer(options.ca_pem), ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("loading CA: ", ec.message(), " ", SslErrors()));
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (!options.cert_pem.empty() || !options.key_pem.empty()) {
    VK_RETURN_IF_ERROR(tls::CheckKeyMatchesCertificate(options.cert_pem, options.key_pem));
    ctx->use_certificate_chain(net::buffer(options.cert_pem), ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("loading client certificate: ", ec.message()));
    ctx->use_private_key(net::buffer(options.key_pem), ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("loading client key: ", ec.message()));
  }
  ctx->set_verify_mode(options.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer);
  ERR_clear_error();
  return ctx;
}

absl::Status ConfigureClientTls(TlsTransport& t, const ClientTlsOptions& options, const std::string& host) {
  return ConfigureClientSsl(t.native_ssl(), options, host);
}

absl::Status ConfigureClientSsl(SSL* ssl, const ClientTlsOptions& options, const std::string& host) {
  std::string name = options.server_name.empty() ? host : options.server_name;
  if (!name.empty() && name.front() == '[' && name.back() == ']') name = name.substr(1, name.size() - 2);
  error_code ec;
  net::ip::make_address(name, ec);
  bool is_ip = !ec;
  if (!is_ip && !name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (options.insecure_skip_verify) return absl::OkStatus();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) return absl::InvalidArgumentError(absl::StrCat("invalid TLS server name \"", name, "\""));
  return absl::OkStatus();
}

std::optional<PeerCertificate> PeerCertificateOf(SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(cert);
  auto info = tls::ParseCertificatePem(pem);
  if (!info.ok()) return std::nullopt;
  PeerCertificate out;
  out.common_name = info->common_name;
  out.organizations = info->organizations;
  out.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  return out;
}

// --- Raw connections ---------------------------------------------------------------------

namespace {

// Strand-side state of an upgraded connection; owned by its Channel.
class RawCore : public std::enable_shared_from_this<RawCore> {
 public:
  explicit RawCore(std::shared_ptr<Channel> ch) : ch_(std::move(ch)) {}

  void Start(Connection::DataFn on_data, Connection::CloseFn on_close) {
    if (started_) return;
    started_ = true;
    on_data_ = std::move(on_data);
    on_close_ = std::move(on_close);
    if (closed_) {
      FireClose();
      return;
    }
    MaybeRead();
  }

  void SetReady() {
    ready_ = true;
    MaybeRead();
  }

  void SetPaused(bool paused) {
    paused_ = paused;
    MaybeRead();
  }

  void OnClosed(const absl::Status& why) {
    closed_ = true;
    close_status_ = why;
    if (started_) FireClose();
  }

 private:
  void FireClose() {
    auto cb = std::move(on_close_);
    on_data_ = nullptr;
    on_close_ = nullptr;
    if (cb) cb(close_status_);
  }

  void MaybeRead() {
    while (started_ && ready_ && !paused_ && !reading_ && !closed_ && !ch_->closing()) {
      beast::flat_buffer& buf = ch_->buffer();
      if (buf.size() > 0) {
        // Bytes the HTTP parser read past the request.
        std::string data(static_cast<const char*>(buf.data().data()), buf.size());
        buf.consume(buf.size());
        Deliver(data);
        continue;
      }
      reading_ = true;
      ch_->transport().ReadSome(net::buffer(rbuf_), [self = shared_from_this()](error_code ec, std::size_t n) {
        self->OnRead(ec, n);
      });
    }
  }

  void OnRead(error_code ec, std::size_t n) {
    reading_ = false;
    if (closed_ || ch_->finalized() || ch_->closing()) return;
    if (ec) {
      if (ec == net::error::eof || ec == ssl::error::stream_truncated) {
        ch_->CloseOnStrand(absl::OkStatus(), absl::Seconds(1));
      } else {
        ch_->AbortOnStrand(IoError("read failed", ec));
      }
      return;
    }
    Deliver(std::string_view(rbuf_.data(), n));
    MaybeRead();
  }

  void Deliver(std::string_view data) {
    if (!on_data_) return;
    try {
      on_data_(data);
    } catch (const std::exception& e) {
      ch_->AbortOnStrand(absl::InternalError(absl::StrCat("data callback threw: ", e.what())));
    } catch (...) {
      ch_->AbortOnStrand(absl::InternalError("data callback threw"));
    }
  }

  std::shared_ptr<Channel> ch_;
  Connection::DataFn on_data_;
  Connection::CloseFn on_close_;
  bool started_ = false;
  bool ready_ = false;
  bool paused_ = false;
  bool reading_ = false;
  bool closed_ = false;
  absl::Status close_status_;
  std::array<char, 16384> rbuf_{};
};

// The user's handle; holds only weak references (see transport.h).
class RawConnectionHandle : public Connection {
 public:
  RawConnectionHandle(const std::shared_ptr<Channel>& ch, const std::shared_ptr<RawCore>& core)
      : ch_(ch), core_(core), ctx_(ch->context()), remote_(ch->remote_address()) {}

  ~RawConnectionHandle() override {
    if (!started_.load()) Abort();
  }

  void Start(DataFn on_data, CloseFn on_close) override {
    if (started_.exchange(true)) return;
    auto core = core_.lock();
    auto ch = ch_.lock();
    if (!core || !ch) {
      if (on_close) on_close(absl::UnavailableError("connection closed"));
      return;
    }
    net::post(ch->executor(), [core, on_data = std::move(on_data), on_close = std::move(on_close)]() mutable {
      core->Start(std::move(on_data), std::move(on_close));
    });
  }

  void PauseReading() override { Post([](RawCore& c) { c.SetPaused(true); }); }
  void ResumeReading() override { Post([](RawCore& c) { c.SetPaused(false); }); }

  bool Write(std::string data) override {
    auto ch = ch_.lock();
    return ch && ch->Write(std::move(data));
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
  void Close() override {
    if (auto ch = ch_.lock()) ch->Close();
  }
  void Abort() override {
    if (auto ch = ch_.lock()) ch->Abort(absl::CancelledError("connection aborted"));
  }
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
  std::weak_ptr<RawCore> core_;
  Context ctx_ = Context::Background();
  std::string remote_;
  // No executor is kept here: a handle may outlive the I/O context.
  std::atomic<bool> started_{false};
};

}  // namespace

std::shared_ptr<Connection> MakeRawConnection(const std::shared_ptr<Channel>& ch,
                                              absl::AnyInvocable<void()> first) {
  auto core = std::make_shared<RawCore>(ch);
  auto handle = std::make_shared<RawConnectionHandle>(ch, core);
  net::dispatch(ch->executor(), [ch, core, first = std::move(first)]() mutable {
    if (first) first();
    if (ch->finalized()) {
      core->OnClosed(absl::UnavailableError("connection closed"));
      return;
    }
    ch->SetOwner(core, [core](const absl::Status& why) { core->OnClosed(why); });
    ch->WhenReadIdle([core] { core->SetReady(); });
  });
  return handle;
}

}  // namespace vkubelet::internal::http::detail

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// HttpTransport on plain sockets, driven by the thread that makes the request.
//
// Why: with a callback-based client every request crosses threads several
// times (caller → I/O thread → completion → caller), and on small machines
// those futex wake-ups and context switches cost more CPU than the request
// itself. Here a request is a send() and a few recv() on the caller's thread:
//
//  * non-blocking sockets with poll(); the wait is bounded by the Context's
//    deadline and the idle timeout; cancelling the Context shuts the socket
//    down, which wakes the poll at once;
//  * TLS by OpenSSL on memory BIOs (the socket I/O stays ours: MSG_NOSIGNAL,
//    poll, cancellation), with the same context setup as the kubelet's own
//    client (lib/internal/http);
//  * Beast's HTTP/1.1 response parser fed from a buffer;
//  * a LIFO pool of idle keep-alive connections; a pooled connection the
//    server has closed is noticed with a non-blocking peek before use, and an
//    exchange that fails on a reused connection before any response byte is
//    sent once more on a new connection (any request whose bytes could not be
//    written; idempotent requests only after the write).

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "internal/http/transport.h"
#include "kube/http_transport.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::kube::internal {
namespace {

namespace bhttp = boost::beast::http;
namespace ihttp = vkubelet::internal::http;
using Parser = bhttp::response_parser<bhttp::string_body>;

constexpr size_t kReadChunk = 64 << 10;
constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr int kMaxIdleConnections = 64;
constexpr absl::Duration kConnectTimeout = absl::Seconds(30);
// Idle pooled connections older than this are closed rather than reused.
constexpr absl::Duration kMaxIdleAge = absl::Seconds(90);

struct ServerUrl {
  bool tls = false;
  std::string host;  // without brackets
  int port = 0;
  std::string prefix;       // path prefix without a trailing '/', or ""
  std::string host_header;  // "host:port" ("[v6]:port")
};

absl::StatusOr<ServerUrl> ParseServerUrl(const std::string& server) {
  auto bad = [&](std::string_view why) {
    return errdefs::InvalidInput(
        absl::StrCat("server URL \"", server, "\" is not valid: ", vkubelet::internal::ToAbsl(why)));
  };
  ServerUrl u;
  std::string_view rest = server;
  if (rest.substr(0, 8) == "https://") {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.substr(0, 7) == "http://") {
    rest.remove_prefix(7);
  } else {
    return errdefs::InvalidInput(absl::StrCat("server URL \"", server, "\" must be http:// or https://"));
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (!path.empty() && path.front() != '/') return bad("query or fragment in the server URL");
  if (authority.find('@') != std::string_view::npos) return bad("user information in the server URL");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    u.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected characters after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("no host");
  if (port.empty()) {
    u.port = u.tls ? 443 : 80;
  } else if (!absl::SimpleAtoi(vkubelet::internal::ToAbsl(port), &u.port) || u.port <= 0 || u.port > 65535) {
    return bad("port out of range");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  u.prefix = std::string(path);
  bool v6 = u.host.find(':') != std::string::npos;
  u.host_header = absl::StrCat(v6 ? "[" : "", u.host, v6 ? "]" : "", ":", u.port);
  return u;
}

std::string Errno(int err) { return std::strerror(err); }

std::string SslErrorString() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// Waits until `fd` is ready for `events`, the idle timeout passes or the
// context ends (then its error).
absl::Status Await(int fd, short events, const Context& ctx, absl::Duration idle) {
  for (;;) {
    VK_RETURN_IF_ERROR(ctx.Err());
    absl::Duration wait = std::min(ctx.Remaining(), idle);
    int ms = -1;
    if (wait != absl::InfiniteDuration()) {
      // Rounded up, so that a wake-up at the deadline finds the context done.
      int64_t m = absl::ToInt64Milliseconds(wait + absl::Milliseconds(1) - absl::Nanoseconds(1));
      ms = static_cast<int>(std::clamp<int64_t>(m, 0, INT_MAX));
    }
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, ms);
    if (r > 0) return absl::OkStatus();  // errors and hang-ups surface in the next send/recv
    if (r == 0) {
      VK_RETURN_IF_ERROR(ctx.Err());
      if (wait >= idle) {
        return errdefs::Unavailable(absl::StrCat("no data from the API server within ", absl::FormatDuration(idle)));
      }
      continue;
    }
    if (errno == EINTR) continue;
    return errdefs::Unavailable(absl::StrCat("poll: ", Errno(errno)));
  }
}

// One connection. Owned by one thread at a time (the pool, a request, or a
// stream); only Shutdown() may be called from another thread.
class Conn {
 public:
  Conn(int fd, uint64_t generation) : fd_(fd), generation_(generation) {}
  ~Conn() {
    if (ssl_ != nullptr) SSL_free(ssl_);  // frees the BIOs
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int fd() const { return fd_; }
  uint64_t generation() const { return generation_; }
  absl::Time idle_since;
  // Plaintext bytes received and not yet parsed.
  std::string in;
  size_t in_off = 0;

  // Wakes any blocked I/O on this connection; later I/O fails. Thread-safe.
  void Shutdown() { ::shutdown(fd_, SHUT_RDWR); }

  // Starts TLS on the connected socket and completes the handshake.
  absl::Status StartTls(SSL_CTX* ctx, const ihttp::ClientTlsOptions& options, const std::string& host,
                        const Context& cctx) {
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) return errdefs::Unavailable(absl::StrCat("TLS: ", SslErrorString()));
    rbio_ = BIO_new(BIO_s_mem());
    wbio_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, rbio_, wbio_);
    SSL_set_connect_state(ssl_);
    VK_RETURN_IF_ERROR(ihttp::detail::ConfigureClientSsl(ssl_, options, host));
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      VK_RETURN_IF_ERROR(FlushTls(cctx, kConnectTimeout));
      if (r == 1) return absl::OkStatus();
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ) {
        VK_ASSIGN_OR_RETURN(bool more, FeedTls(cctx, kConnectTimeout));
        if (!more) return errdefs::Unavailable("TLS handshake: the server closed the connection");
        continue;
      }
      std::string why = SslErrorString();
      long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        absl::StrAppend(&why, why.empty() ? "" : "; ", "certificate verification: ",
                        X509_verify_cert_error_string(verify));
      }
      return errdefs::Unavailable(absl::StrCat("TLS handshake: ", why.empty() ? "failed" : why));
    }
  }

  // Sends all of `data` (plaintext).
  absl::Status WriteAll(std::string_view data, const Context& ctx, absl::Duration idle) {
    if (ssl_ == nullptr) return SendAll(data, ctx, idle);
    while (!data.empty()) {
      ERR_clear_error();
      int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), INT_MAX)));
      if (n <= 0) {
        int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_WANT_READ) {
          VK_RETURN_IF_ERROR(FlushTls(ctx, idle));
          VK_ASSIGN_OR_RETURN(bool more, FeedTls(ctx, idle));
          if (!more) return errdefs::Unavailable("the API server closed the connection");
          continue;
        }
        return errdefs::Unavailable(absl::StrCat("TLS write: ", SslErrorString()));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return FlushTls(ctx, idle);
  }

  // Appends up to kReadChunk plaintext bytes to `in`. Returns the count; 0 at
  // the end of the stream.
  absl::StatusOr<size_t> ReadMore(const Context& ctx, absl::Duration idle) {
    if (in_off > 0 && in_off == in.size()) {
      in.clear();
      in_off = 0;
    } else if (in_off > kReadChunk) {
      in.erase(0, in_off);
      in_off = 0;
    }
    // A fixed scratch buffer: growing `in` by a chunk per read would
    // zero-fill 64 KiB each time (a tenth of all the client's instructions).
    if (scratch_ == nullptr) scratch_ = std::make_unique<char[]>(kReadChunk);
    absl::StatusOr<size_t> n = ssl_ == nullptr ? Recv(scratch_.get(), kReadChunk, ctx, idle)
                                               : TlsRead(scratch_.get(), kReadChunk, ctx, idle);
    if (n.ok()) in.append(scratch_.get(), *n);
    return n;
  }

  // True when OpenSSL holds received bytes not yet returned.
  bool TlsBuffered() const {
    return ssl_ != nullptr && (SSL_pending(ssl_) > 0 || BIO_ctrl_pending(rbio_) > 0);
  }

  // True when the idle connection looks usable: nothing to read, not closed.
  bool LooksAlive() {
    char c;
    ssize_t r = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

 private:
  absl::Status SendAll(std::string_view data, const Context& ctx, absl::Duration idle) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        VK_RETURN_IF_ERROR(Await(fd_, POLLOUT, ctx, idle));
        continue;
      }
      VK_RETURN_IF_ERROR(ctx.Err());
      return errdefs::Unavailable(absl::StrCat("sending to the API server: ", Errno(errno)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<size_t> Recv(char* buf, size_t len, const Context& ctx, absl::Duration idle) {
    for (;;) {
      ssize_t n = ::recv(fd_, buf, len, MSG_DONTWAIT);
      if (n >= 0) {
        if (n == 0) VK_RETURN_IF_ERROR(ctx.Err());  // a cancelled request's socket reads as closed
        return static_cast<size_t>(n);
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        VK_RETURN_IF_ERROR(Await(fd_, POLLIN, ctx, idle));
        continue;
      }
      VK_RETURN_IF_ERROR(ctx.Err());
      return errdefs::Unavailable(absl::StrCat("reading from the API server: ", Errno(errno)));
    }
  }

  // Sends the TLS records OpenSSL produced.
  absl::Status FlushTls(const Context& ctx, absl::Duration idle) {
    char buf[16 << 10];
    while (BIO_ctrl_pending(wbio_) > 0) {
      int n = BIO_read(wbio_, buf, sizeof(buf));
      if (n <= 0) break;
      VK_RETURN_IF_ERROR(SendAll(std::string_view(buf, static_cast<size_t>(n)), ctx, idle));
    }
    return absl::OkStatus();
  }

  // Moves received TLS records into OpenSSL. False at the end of the stream.
  absl::StatusOr<bool> FeedTls(const Context& ctx, absl::Duration idle) {
    if (tls_in_.size() < kReadChunk) tls_in_.resize(kReadChunk);
    VK_ASSIGN_OR_RETURN(size_t n, Recv(tls_in_.data(), tls_in_.size(), ctx, idle));
    if (n == 0) return false;
    BIO_write(rbio_, tls_in_.data(), static_cast<int>(n));
    return true;
  }

  absl::StatusOr<size_t> TlsRead(char* buf, size_t len, const Context& ctx, absl::Duration idle) {
    for (;;) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(len, INT_MAX)));
      if (n > 0) return static_cast<size_t>(n);
      int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
      if (e == SSL_ERROR_WANT_READ) {
        VK_RETURN_IF_ERROR(FlushTls(ctx, idle));
        VK_ASSIGN_OR_RETURN(bool more, FeedTls(ctx, idle));
        if (!more) return 0;  // closed without close_notify: the HTTP framing decides
        continue;
      }
      if (e == SSL_ERROR_WANT_WRITE) {
        VK_RETURN_IF_ERROR(FlushTls(ctx, idle));
        continue;
      }
      VK_RETURN_IF_ERROR(ctx.Err());
      return errdefs::Unavailable(absl::StrCat("TLS read: ", SslErrorString()));
    }
  }

  int fd_;
  uint64_t generation_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;
  BIO* wbio_ = nullptr;
  std::string tls_in_;
  std::unique_ptr<char[]> scratch_;
};

// Feeds buffered bytes to `parser` until the header (header_only) or the
// whole message is parsed, reading more as needed. `*got_bytes` is set once
// any response byte arrived.
absl::Status ParseResponse(Conn& conn, Parser& parser, bool header_only, const Context& ctx, absl::Duration idle,
                           bool* got_bytes) {
  auto done = [&] { return header_only ? parser.is_header_done() : parser.is_done(); };
  // The answer to a request just sent is rarely there yet: wait before the
  // first read instead of failing a recv() first.
  if (done()) return absl::OkStatus();
  if (conn.in_off == conn.in.size() && !conn.TlsBuffered()) VK_RETURN_IF_ERROR(Await(conn.fd(), POLLIN, ctx, idle));
  for (;;) {
    if (done()) return absl::OkStatus();
    if (conn.in_off < conn.in.size()) {
      *got_bytes = true;
      boost::system::error_code ec;
      size_t n = parser.put(boost::asio::buffer(conn.in.data() + conn.in_off, conn.in.size() - conn.in_off), ec);
      conn.in_off += n;
      if (ec && ec != bhttp::error::need_more) {
        return errdefs::Unavailable(absl::StrCat("malformed HTTP response from the API server: ", ec.message()));
      }
      // Progress (even with need_more: the rest of a chunk is missing).
      if (n > 0) continue;
    }
    VK_ASSIGN_OR_RETURN(size_t n, conn.ReadMore(ctx, idle));
    if (n == 0) {
      if (!parser.got_some()) return errdefs::Unavailable("the API server closed the connection");
      boost::system::error_code ec;
      parser.put_eof(ec);
      if (ec || !done()) {
        return errdefs::Unavailable(*got_bytes ? "the API server closed the connection in the middle of a response"
                                               : "the API server closed the connection");
      }
      return absl::OkStatus();
    }
  }
}

void ConfigureParser(Parser& p, const std::string& method) {
  p.eager(true);
  p.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  // Unlimited (a list of many pods is large); not boost::none, which Boost
  // 1.74 compares as smaller than any Content-Length.
  p.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (method == "HEAD") p.skip(true);
}

void CopyHeaders(const Parser& p, WireResult* out) {
  for (const auto& f : p.get()) {
    out->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    if (absl::EqualsIgnoreCase(absl::string_view(f.name_string().data(), f.name_string().size()), "Content-Type")) {
      out->content_type = std::string(f.value());
    }
  }
}

// The body of a streamed response; owns its connection.
class NativeStream final : public ResponseStream {
 public:
  NativeStream(std::unique_ptr<Conn> conn, std::unique_ptr<Parser> parser, Context ctx, absl::Duration idle,
               int status, std::string content_type, std::shared_ptr<std::atomic<int64_t>> open_streams)
      : conn_(std::move(conn)),
        parser_(std::move(parser)),
        ctx_(std::move(ctx)),
        idle_(idle),
        status_(status),
        content_type_(std::move(content_type)),
        open_streams_(std::move(open_streams)) {
    Conn* c = conn_.get();
    reg_ = ctx_.OnCancel([c] { c->Shutdown(); });
    open_streams_->fetch_add(1);
  }
  ~NativeStream() override {
    reg_.Reset();
    open_streams_->fetch_sub(1);
  }

  int status_code() const override { return status_; }
  const std::string& content_type() const override { return content_type_; }

  absl::StatusOr<bool> Read(std::string* out, size_t max_bytes) override {
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (ended_) return false;
    max_bytes = std::max<size_t>(max_bytes, 1);
    for (;;) {
      std::string& body = parser_->get().body();
      if (body_off_ < body.size()) {
        size_t n = std::min(max_bytes, body.size() - body_off_);
        out->append(body, body_off_, n);
        body_off_ += n;
        if (body_off_ == body.size()) {
          body.clear();
          body_off_ = 0;
        }
        return true;
      }
      if (parser_->is_done()) {
        ended_ = true;
        return false;
      }
      bool got = true;
      // Parse what is buffered, reading from the socket only when needed;
      // stop as soon as body bytes are available.
      absl::Status s = ReadSomeBody(&got);
      if (!s.ok()) return Broken(s);
    }
  }

  void Close() override {
    if (!closed_.exchange(true)) conn_->Shutdown();
  }

 private:
  absl::Status ReadSomeBody(bool* got) {
    Conn& c = *conn_;
    if (c.in_off < c.in.size()) {
      boost::system::error_code ec;
      size_t n = parser_->put(boost::asio::buffer(c.in.data() + c.in_off, c.in.size() - c.in_off), ec);
      c.in_off += n;
      if (ec && ec != bhttp::error::need_more) {
        return errdefs::Unavailable(absl::StrCat("malformed HTTP response body: ", ec.message()));
      }
      if (n > 0) return absl::OkStatus();
    }
    VK_ASSIGN_OR_RETURN(size_t n, c.ReadMore(ctx_, idle_));
    *got = n > 0;
    if (n == 0) {
      boost::system::error_code ec;
      parser_->put_eof(ec);
      if (ec || !parser_->is_done()) return errdefs::Unavailable("the connection closed in the middle of the body");
    }
    return absl::OkStatus();
  }

  absl::Status Broken(const absl::Status& s) {
    ended_ = true;
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (!ctx_.Err().ok()) return ctx_.Err();
    return errdefs::Unavailable(absl::StrCat("stream from the API server broke: ", s.message()));
  }

  std::unique_ptr<Conn> conn_;
  std::unique_ptr<Parser> parser_;
  Context ctx_;
  absl::Duration idle_;
  int status_;
  std::string content_type_;
  std::shared_ptr<std::atomic<int64_t>> open_streams_;
  CancelRegistration reg_;
  size_t body_off_ = 0;
  std::atomic<bool> closed_{false};
  bool ended_ = false;
};

class NativeTransport final : public HttpTransport {
 public:
  NativeTransport(TransportConfig config, ServerUrl url) : config_(std::move(config)), url_(std::move(url)) {}

  absl::Status Init() {
    if (!url_.tls) return absl::OkStatus();
    absl::MutexLock lock(&mu_);
    return RebuildTlsLocked(config_.cert_pem, config_.key_pem);
  }

  WireResult RoundTrip(const Context& ctx, const WireRequest& request) override;
  uint64_t connections_opened() const override { return opened_.load(); }

 private:
  ihttp::ClientTlsOptions TlsOptions(std::string cert, std::string key) const {
    ihttp::ClientTlsOptions o;
    o.ca_pem = config_.ca_pem;
    o.cert_pem = std::move(cert);
    o.key_pem = std::move(key);
    o.server_name = config_.server_name;
    o.insecure_skip_verify = config_.insecure;
    return o;
  }

  absl::Status RebuildTlsLocked(const std::string& cert, const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ihttp::ClientTlsOptions o = TlsOptions(cert, key);
    auto ctx = ihttp::detail::MakeClientTlsContext(o);
    if (!ctx.ok()) return errdefs::InvalidInput(absl::StrCat("TLS configuration: ", ctx.status().message()));
    tls_ctx_ = *std::move(ctx);
    tls_options_ = std::move(o);
    ++generation_;
    idle_.clear();  // connections made with the old client certificate
    return absl::OkStatus();
  }

  // A pooled connection that still looks alive, or null.
  std::unique_ptr<Conn> TakeIdle(uint64_t generation) {
    absl::Time now = absl::Now();
    std::vector<std::unique_ptr<Conn>> dead;  // closed outside the lock
    std::unique_ptr<Conn> out;
    {
      absl::MutexLock lock(&mu_);
      while (!idle_.empty()) {
        std::unique_ptr<Conn> c = std::move(idle_.back());
        idle_.pop_back();
        if (c->generation() == generation && now - c->idle_since < kMaxIdleAge && c->LooksAlive()) {
          out = std::move(c);
          break;
        }
        dead.push_back(std::move(c));
      }
    }
    return out;
  }

  void PutIdle(std::unique_ptr<Conn> c) {
    c->idle_since = absl::Now();
    absl::MutexLock lock(&mu_);
    if (c->generation() == generation_ && static_cast<int>(idle_.size()) < kMaxIdleConnections) {
      idle_.push_back(std::move(c));
    }
  }

  absl::StatusOr<std::unique_ptr<Conn>> Dial(const Context& ctx, bool* refused);
  absl::StatusOr<std::unique_ptr<Conn>> Get(const Context& ctx, const WireRequest& request, bool* reused,
                                            bool* refused);
  std::string Serialize(const WireRequest& r) const;

  const TransportConfig config_;
  const ServerUrl url_;
  std::atomic<uint64_t> opened_{0};
  absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> tls_ctx_ ABSL_GUARDED_BY(mu_);
  ihttp::ClientTlsOptions tls_options_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::unique_ptr<Conn>> idle_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<Conn>> NativeTransport::Dial(const Context& ctx, bool* refused) {
  Context cctx = ctx.WithTimeout(kConnectTimeout);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url_.port);
  int gai = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0) {
    return errdefs::Unavailable(absl::StrCat("resolving ", url_.host, ": ", ::gai_strerror(gai)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);

  std::shared_ptr<boost::asio::ssl::context> tls_ctx;
  ihttp::ClientTlsOptions tls_options;
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    tls_ctx = tls_ctx_;
    tls_options = tls_options_;
    generation = generation_;
  }

  int last_error = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    auto conn = std::make_unique<Conn>(fd, generation);
    absl::Status s;
    {
      Conn* c = conn.get();
      CancelRegistration reg = ctx.OnCancel([c] { c->Shutdown(); });
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          last_error = errno;
          continue;
        }
        s = Await(fd, POLLOUT, cctx, kConnectTimeout);
        if (!s.ok()) {
          if (!ctx.Err().ok()) return ctx.Err();
          return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": timed out"));
        }
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          last_error = err;
          continue;
        }
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      if (url_.tls) s = conn->StartTls(tls_ctx->native_handle(), tls_options, url_.host, cctx);
    }
    if (!s.ok()) {
      if (!ctx.Err().ok()) return ctx.Err();
      return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": ", s.message()));
    }
    opened_.fetch_add(1);
    return conn;
  }
  VK_RETURN_IF_ERROR(ctx.Err());
  if (last_error == ECONNREFUSED || last_error == EHOSTUNREACH || last_error == ENETUNREACH) {
    *refused = true;
    return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": connection refused"));
  }
  return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": ", Errno(last_error)));
}

absl::StatusOr<std::unique_ptr<Conn>> NativeTransport::Get(const Context& ctx, const WireRequest& request,
                                                           bool* reused, bool* refused) {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    if (url_.tls && !request.cert_pem.empty() && request.cert_pem != tls_options_.cert_pem) {
      VK_RETURN_IF_ERROR(RebuildTlsLocked(std::string(request.cert_pem), std::string(request.key_pem)));
    }
    generation = generation_;
  }
  if (auto c = TakeIdle(generation)) {
    *reused = true;
    return c;
  }
  *reused = false;
  return Dial(ctx, refused);
}

std::string NativeTransport::Serialize(const WireRequest& r) const {
  std::string out;
  out.reserve(256 + r.target.size() + r.body.size());
  absl::StrAppend(&out, r.method, " ", url_.prefix, r.target.empty() ? "/" : r.target, " HTTP/1.1\r\nHost: ",
                  config_.server_name.empty() ? url_.host_header : config_.server_name, "\r\n");
  for (const auto& [k, v] : r.headers) {
    // Header injection is impossible: such a header is dropped.
    if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  }
  if (r.has_body || !r.body.empty()) absl::StrAppend(&out, "Content-Length: ", r.body.size(), "\r\n");
  out += "\r\n";
  out.append(r.body.data(), r.body.size());
  return out;
}

WireResult NativeTransport::RoundTrip(const Context& ctx, const WireRequest& request) {
  WireResult out;
  const std::string wire = Serialize(request);
  const absl::Duration idle = request.streaming ? config_.watch_idle_timeout : config_.timeout;
  for (int attempt = 0;; ++attempt) {
    out = WireResult();
    if (!ctx.Err().ok()) {
      out.error = ctx.Err();
      return out;
    }
    bool reused = false;
    auto conn_or = Get(ctx, request, &reused, &out.not_sent);
    if (!conn_or.ok()) {
      out.error = conn_or.status();
      return out;
    }
    std::unique_ptr<Conn> conn = *std::move(conn_or);
    Conn* c = conn.get();
    CancelRegistration reg = ctx.OnCancel([c] { c->Shutdown(); });
    bool written = false, got_bytes = false;
    auto parser = std::make_unique<Parser>();
    ConfigureParser(*parser, request.method);
    absl::Status s = conn->WriteAll(wire, ctx, idle);
    if (s.ok()) {
      written = true;
      s = ParseResponse(*conn, *parser, request.streaming, ctx, idle, &got_bytes);
    }
    if (!s.ok()) {
      reg.Reset();
      if (!ctx.Err().ok()) {
        out.error = ctx.Err();
        return out;
      }
      // The server closed a kept-alive connection we thought idle.
      if (reused && !got_bytes && attempt == 0 && (!written || IsIdempotent(request.method))) continue;
      out.error = s;
      return out;
    }
    const auto& msg = parser->get();
    out.status_code = msg.result_int();
    CopyHeaders(*parser, &out);
    bool ok2xx = out.status_code >= 200 && out.status_code < 300;
    if (request.streaming && ok2xx) {
      reg.Reset();
      out.stream = std::make_unique<NativeStream>(std::move(conn), std::move(parser), ctx, idle, out.status_code,
                                                  out.content_type, config_.open_streams);
      return out;
    }
    if (request.streaming) {
      // An error answer to a watch: read its (small) body like any response.
      s = ParseResponse(*conn, *parser, false, ctx, idle, &got_bytes);
      if (!s.ok() && ok2xx) out.error = s;
    }
    out.body = std::move(parser->get().body());
    bool keep = s.ok() && parser->is_done() && parser->get().keep_alive() && conn->in_off == conn->in.size();
    reg.Reset();
    if (keep && ctx.Err().ok()) PutIdle(std::move(conn));
    return out;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> NewNativeTransport(const TransportConfig& config) {
  VK_ASSIGN_OR_RETURN(ServerUrl url, ParseServerUrl(config.server));
  auto t = std::make_unique<NativeTransport>(config, std::move(url));
  VK_RETURN_IF_ERROR(t->Init());
  return std::unique_ptr<HttpTransport>(std::move(t));
}

}  // namespace vkubelet::kube::internal

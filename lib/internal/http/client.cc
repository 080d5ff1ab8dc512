// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/http/client.h"

#include <deque>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/strings/str_cat.h"
#include "internal/http/transport.h"
#include "internal/http/websocket.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::http {
namespace detail {
namespace {

namespace bhttp = beast::http;
using ResponseParser = bhttp::response_parser<bhttp::string_body>;
using DoneFn = std::function<void(absl::Status)>;

constexpr size_t kReadBufferBytes = 64 << 10;

// A one-shot completion a caller thread waits for.
struct Waiter {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);

  void Done(absl::Status s) {
    absl::MutexLock lock(&mu);
    if (done) return;
    done = true;
    status = std::move(s);
  }
  absl::Status Wait() {
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
    return status;
  }
};

// Starts `start` on the channel's strand and blocks until it reports;
// cancelling ctx aborts the channel (which makes any pending I/O complete).
absl::Status RunOnStrand(const Context& ctx, const std::shared_ptr<Channel>& ch,
                         absl::AnyInvocable<void(DoneFn)> start) {
  auto w = std::make_shared<Waiter>();
  CancelRegistration reg = ctx.OnCancel([ch] { ch->Abort(absl::CancelledError("cancelled")); });
  net::dispatch(ch->executor(), [start = std::move(start), w]() mutable {
    start([w](absl::Status s) { w->Done(std::move(s)); });
  });
  absl::Status s = w->Wait();
  if (!s.ok() && ctx.Done()) return ctx.Err();
  return s;
}

Headers ToHeaders(const bhttp::fields& fields) {
  Headers h;
  for (const auto& f : fields) h.Add(std::string(f.name_string()), std::string(f.value()));
  return h;
}

bool StaleConnectionError(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

}  // namespace

class ClientImpl {
 public:
  ClientImpl(ClientOptions options, std::shared_ptr<ssl::context> tls)
      : opts_(std::move(options)), tls_(std::move(tls)), rt_(1) {
    bool v6 = opts_.host.find(':') != std::string::npos && opts_.host.front() != '[';
    host_header_ = v6 ? absl::StrCat("[", opts_.host, "]:", opts_.port) : absl::StrCat(opts_.host, ":", opts_.port);
  }

  ~ClientImpl() {
    {
      absl::MutexLock lock(&mu_);
      idle_.clear();
    }
    rt_.Shutdown();
  }

  absl::StatusOr<std::shared_ptr<Channel>> Dial(const Context& ctx);
  absl::StatusOr<ClientResponse> Do(const Context& ctx, const ClientRequest& request);
  absl::Status Stream(const Context& ctx, const ClientRequest& request, const Client::HeadersFn& on_headers,
                      const Client::DataFn& on_data);
  absl::StatusOr<UpgradeResult> Upgrade(const Context& ctx, const ClientRequest& request);
  absl::StatusOr<std::shared_ptr<WebSocketConnection>> WebSocket(const Context& ctx, const std::string& target,
                                                                 const std::vector<std::string>& subprotocols,
                                                                 const Headers& headers,
                                                                 const WebSocketOptions& options);
  uint64_t opened() const { return opened_.load(); }

 private:
  std::string Serialize(const ClientRequest& r) const;
  std::shared_ptr<Channel> TakeIdle();
  void PutIdle(std::shared_ptr<Channel> ch);
  // A pooled or new connection; `reused` tells which.
  absl::StatusOr<std::shared_ptr<Channel>> Get(const Context& ctx, bool* reused);

  ClientOptions opts_;
  std::shared_ptr<ssl::context> tls_;
  std::string host_header_;
  IoRuntime rt_;
  std::atomic<uint64_t> opened_{0};
  absl::Mutex mu_;
  std::deque<std::shared_ptr<Channel>> idle_ ABSL_GUARDED_BY(mu_);
};

std::string ClientImpl::Serialize(const ClientRequest& r) const {
  std::string out = absl::StrCat(r.method, " ", r.target.empty() ? "/" : r.target, " HTTP/1.1\r\n");
  if (!r.headers.Has("Host")) absl::StrAppend(&out, "Host: ", host_header_, "\r\n");
  for (const auto& [k, v] : r.headers) {
    if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos) continue;
    absl::StrAppend(&out, k, ": ", v, "\r\n");
  }
  bool body_method = r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
  if (!r.headers.Has("Content-Length") && !r.headers.Has("Transfer-Encoding") && (!r.body.empty() || body_method)) {
    absl::StrAppend(&out, "Content-Length: ", r.body.size(), "\r\n");
  }
  out += "\r\n";
  out += r.body;
  return out;
}

absl::StatusOr<std::shared_ptr<Channel>> ClientImpl::Dial(const Context& ctx) {
  VK_RETURN_IF_ERROR(ctx.Err());
  tcp::socket socket(net::make_strand(rt_.ioc()));
  std::unique_ptr<Transport> transport;
  TlsTransport* tls_transport = nullptr;
  if (tls_) {
    auto t = std::make_unique<TlsTransport>(std::move(socket), tls_);
    VK_RETURN_IF_ERROR(ConfigureClientTls(*t, *opts_.tls, opts_.host));
    tls_transport = t.get();
    transport = std::move(t);
  } else {
    transport = std::make_unique<TcpTransport>(std::move(socket));
  }
  auto ch = Channel::Create(&rt_, std::move(transport), rt_.context());
  // Beast's parser reads at most the buffer's free capacity at a time: without
  // room a large body arrives in pieces of a few hundred bytes, each a
  // separate completion (and, for Stream, a thread handoff).
  ch->buffer().reserve(kReadBufferBytes);
  Context cctx = ctx.WithTimeout(opts_.connect_timeout);
  std::string host = opts_.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = std::to_string(opts_.port);
  absl::Status s = RunOnStrand(cctx, ch, [this, ch, host, port, tls_transport](DoneFn done) {
    auto resolver = std::make_shared<tcp::resolver>(ch->executor());
    resolver->async_resolve(
        host, port, [ch, resolver, done, tls_transport](error_code ec, tcp::resolver::results_type results) {
          if (ec) {
            done(IoError("resolving", ec));
            return;
          }
          net::async_connect(ch->transport().socket(), results,
                             [ch, done, tls_transport](error_code ec, const tcp::endpoint&) {
                               if (ec) {
                                 done(IoError("connecting", ec));
                                 return;
                               }
                               error_code ignored;
                               ch->transport().socket().set_option(tcp::no_delay(true), ignored);
                               if (!tls_transport) {
                                 done(absl::OkStatus());
                                 return;
                               }
                               tls_transport->Handshake(ssl::stream_base::client, [done](error_code ec) {
                                 done(ec ? IoError("TLS handshake", ec) : absl::OkStatus());
                               });
                             });
        });
    (void)this;
  });
  if (!s.ok()) {
    ch->Abort(s);
    if (!ctx.Err().ok()) return ctx.Err();
    if (cctx.Done()) return absl::DeadlineExceededError("connect timed out");
    return s;
  }
  opened_.fetch_add(1);
  return ch;
}

std::shared_ptr<Channel> ClientImpl::TakeIdle() {
  absl::MutexLock lock(&mu_);
  while (!idle_.empty()) {
    auto ch = std::move(idle_.back());
    idle_.pop_back();
    if (!ch->IsClosed()) return ch;
  }
  return nullptr;
}

void ClientImpl::PutIdle(std::shared_ptr<Channel> ch) {
  {
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(idle_.size()) < opts_.max_idle_connections) {
      idle_.push_back(std::move(ch));
      return;
    }
  }
  ch->Close();
}

absl::StatusOr<std::shared_ptr<Channel>> ClientImpl::Get(const Context& ctx, bool* reused) {
  if (auto ch = TakeIdle()) {
    *reused = true;
    return ch;
  }
  *reused = false;
  return Dial(ctx);
}

absl::StatusOr<ClientResponse> ClientImpl::Do(const Context& ctx, const ClientRequest& request) {
  std::string wire = Serialize(request);
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    VK_ASSIGN_OR_RETURN(auto ch, Get(ctx, &reused));
    auto parser = std::make_shared<ResponseParser>();
    parser->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts_.max_response_header_bytes, UINT32_MAX)));
    parser->body_limit(opts_.max_response_body_bytes);
    if (request.method == "HEAD") parser->skip(true);
    auto stale = std::make_shared<bool>(false);
    ch->Write(wire);
    absl::Status s = RunOnStrand(ctx, ch, [ch, parser, stale](DoneFn done) {
      bhttp::async_read(ch->stream(), ch->buffer(), *parser, [parser, stale, done](error_code ec, std::size_t) {
        if (ec) {
          *stale = StaleConnectionError(ec) && !parser->got_some();
          done(IoError("reading response", ec));
          return;
        }
        done(absl::OkStatus());
      });
    });
    if (!s.ok()) {
      ch->Abort(s);
      if (reused && *stale && attempt == 0 && !ctx.Done()) continue;
      return s;
    }
    ClientResponse out;
    auto& msg = parser->get();
    out.status = msg.result_int();
    out.headers = ToHeaders(msg);
    out.body = std::move(msg.body());
    if (msg.keep_alive()) {
      PutIdle(std::move(ch));
    } else {
      ch->Close();
    }
    return out;
  }
}

absl::Status ClientImpl::Stream(const Context& ctx, const ClientRequest& request, const Client::HeadersFn& on_headers,
                                const Client::DataFn& on_data) {
  std::string wire = Serialize(request);
  std::shared_ptr<Channel> ch;
  auto parser = std::make_shared<ResponseParser>();
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    VK_ASSIGN_OR_RETURN(ch, Get(ctx, &reused));
    parser = std::make_shared<ResponseParser>();
    parser->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts_.max_response_header_bytes, UINT32_MAX)));
    // Unlimited; not boost::none, which Boost 1.74 compares as smaller than any
    // Content-Length (every non-chunked response failed with body_limit).
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (request.method == "HEAD") parser->skip(true);
    auto stale = std::make_shared<bool>(false);
    ch->Write(wire);
    absl::Status s = RunOnStrand(ctx, ch, [ch, parser, stale](DoneFn done) {
      bhttp::async_read_header(ch->stream(), ch->buffer(), *parser, [parser, stale, done](error_code ec, std::size_t) {
        if (ec) {
          *stale = StaleConnectionError(ec) && !parser->got_some();
          done(IoError("reading response", ec));
          return;
        }
        done(absl::OkStatus());
      });
    });
    if (s.ok()) break;
    ch->Abort(s);
    if (reused && *stale && attempt == 0 && !ctx.Done()) continue;
    return s;
  }
  if (on_headers) on_headers(parser->get().result_int(), ToHeaders(parser->get()));
  while (!parser->is_done()) {
    auto chunk = std::make_shared<std::string>();
    absl::Status s = RunOnStrand(ctx, ch, [ch, parser, chunk](DoneFn done) {
      bhttp::async_read_some(ch->stream(), ch->buffer(), *parser, [parser, chunk, done](error_code ec, std::size_t) {
        *chunk = std::move(parser->get().body());
        parser->get().body().clear();
        done(ec ? IoError("reading response body", ec) : absl::OkStatus());
      });
    });
    if (!chunk->empty() && on_data && !on_data(*chunk)) {
      ch->Abort(absl::CancelledError("reader stopped"));
      return absl::OkStatus();
    }
    if (!s.ok()) {
      ch->Abort(s);
      return s;
    }
  }
  if (parser->get().keep_alive()) {
    PutIdle(std::move(ch));
  } else {
    ch->Close();
  }
  return absl::OkStatus();
}

absl::StatusOr<UpgradeResult> ClientImpl::Upgrade(const Context& ctx, const ClientRequest& request) {
  VK_ASSIGN_OR_RETURN(auto ch, Dial(ctx));
  auto parser = std::make_shared<ResponseParser>();
  parser->header_limit(static_cast<std::uint32_t>(std::min<size_t>(opts_.max_response_header_bytes, UINT32_MAX)));
  parser->body_limit(opts_.max_response_body_bytes);
  ch->Write(Serialize(request));
  absl::Status s = RunOnStrand(ctx, ch, [ch, parser](DoneFn done) {
    bhttp::async_read_header(ch->stream(), ch->buffer(), *parser, [ch, parser, done](error_code ec, std::size_t) {
      if (ec) {
        done(IoError("reading upgrade response", ec));
        return;
      }
      if (parser->get().result_int() == 101 || parser->is_done()) {
        done(absl::OkStatus());
        return;
      }
      bhttp::async_read(ch->stream(), ch->buffer(), *parser, [parser, done](error_code ec, std::size_t) {
        done(ec ? IoError("reading response body", ec) : absl::OkStatus());
      });
    });
  });
  if (!s.ok()) {
    ch->Abort(s);
    return s;
  }
  UpgradeResult out;
  out.status = parser->get().result_int();
  out.headers = ToHeaders(parser->get());
  if (out.status == 101) {
    out.connection = MakeRawConnection(ch);
  } else {
    out.body = std::move(parser->get().body());
    ch->Close();
  }
  return out;
}

absl::StatusOr<std::shared_ptr<WebSocketConnection>> ClientImpl::WebSocket(
    const Context& ctx, const std::string& target, const std::vector<std::string>& subprotocols,
    const Headers& headers, const WebSocketOptions& options) {
  VK_ASSIGN_OR_RETURN(auto ch, Dial(ctx));
  return ClientWebSocketHandshake(ctx, ch, host_header_, target, headers, subprotocols, options);
}

}  // namespace detail

// --- Client --------------------------------------------------------------------------------

Client::Client(std::unique_ptr<detail::ClientImpl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.host.empty()) return absl::InvalidArgumentError("client needs a host");
  if (options.port <= 0 || options.port > 65535) return absl::InvalidArgumentError("client port out of range");
  std::shared_ptr<detail::ssl::context> tls;
  if (options.tls) {
    VK_ASSIGN_OR_RETURN(tls, detail::MakeClientTlsContext(*options.tls));
  }
  return std::unique_ptr<Client>(new Client(std::make_unique<detail::ClientImpl>(std::move(options), tls)));
}

absl::StatusOr<ClientResponse> Client::Do(const Context& ctx, const ClientRequest& request) {
  return impl_->Do(ctx, request);
}

absl::Status Client::Stream(const Context& ctx, const ClientRequest& request, HeadersFn on_headers, DataFn on_data) {
  return impl_->Stream(ctx, request, on_headers, on_data);
}

absl::StatusOr<UpgradeResult> Client::Upgrade(const Context& ctx, const ClientRequest& request) {
  return impl_->Upgrade(ctx, request);
}

absl::StatusOr<std::shared_ptr<WebSocketConnection>> Client::WebSocket(const Context& ctx, const std::string& target,
                                                                       const std::vector<std::string>& subprotocols,
                                                                       const Headers& headers,
                                                                       const WebSocketOptions& options) {
  return impl_->WebSocket(ctx, target, subprotocols, headers, options);
}

absl::StatusOr<std::shared_ptr<Connection>> Client::DialRaw(const Context& ctx) {
  VK_ASSIGN_OR_RETURN(auto ch, impl_->Dial(ctx));
  return detail::MakeRawConnection(ch);
}

uint64_t Client::connections_opened() const { return impl_->opened(); }

}  // namespace vkubelet::internal::http

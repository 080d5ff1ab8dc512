// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The only translation unit of lib/kube that includes cpprestsdk.

#define _TURN_OFF_PLATFORM_STRING
#include "vkubelet/kube/rest_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>
#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>
#include <cpprest/producerconsumerstream.h>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kube/credentials.h"
#include "kube/rate_limiter.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/types.h"

#ifndef VKUBELET_VERSION
#define VKUBELET_VERSION "0.0.0"
#endif

namespace vkubelet::kube {

using vkubelet::internal::ToAbsl;
namespace http = web::http;
namespace http_client = web::http::client;

namespace {

#if defined(__x86_64__)
constexpr const char* kArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "unknown";
#endif

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60};
  return kBuckets;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" || method == "OPTIONS";
}

std::string PercentEncode(std::string_view in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Path characters that may stay as they are; everything else is escaped.
std::string EncodePath(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '/' || c == ':' || c == '@' || c == '+' || c == ',' || c == '=') {
      out.push_back(c);
    } else {
      out += PercentEncode(std::string_view(&c, 1));
    }
  }
  return out;
}

std::string ReasonForHttp(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

std::optional<absl::Duration> ParseRetryAfter(const std::string& value) {
  int64_t seconds = 0;
  if (value.empty() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(std::min<int64_t>(seconds, 3600));
}

std::string ReadFileOrEmpty(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The outcome of one attempt.
struct Attempt {
  std::optional<http::http_response> response;
  absl::Status error;     // transport error when there is no response
  bool not_sent = false;  // the connection was refused: nothing reached the server
};

HeaderList CopyHeaders(const http::http_headers& headers) {
  HeaderList out;
  for (const auto& [name, value] : headers) out.emplace_back(name, value);
  return out;
}

std::string FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(n), ToAbsl(name))) return v;
  }
  return "";
}

}  // namespace

std::string RestResponse::Header(std::string_view name) const { return FindHeader(headers, name); }

int HttpStatusOf(const absl::Status& status) {
  metav1::Status st;
  if (errdefs::GetKubernetesStatus(status, &st)) return st.code();
  return 0;
}

// ---------------------------------------------------------------------------

class RestClient::Impl {
 public:
  Impl(ClientConfig config, const Clock* clock, std::unique_ptr<internal::CredentialSource> creds)
      : config_(std::move(config)),
        clock_(clock),
        credentials_(std::move(creds)),
        limiter_(config_.qps, config_.burst, clock) {
    if (config_.user_agent.empty()) {
      config_.user_agent = absl::StrCat("vkubelet/", VKUBELET_VERSION, " (linux/", kArch, ")");
    }
    default_accept_ = config_.content_type == ContentType::kProtobuf
                          ? absl::StrCat(ToAbsl(kProtobufMediaType), ", ", ToAbsl(kJsonMediaType))
                          : std::string(kJsonMediaType);
  }

  absl::Status Init() {
    // Inline PEM wins over files, like client-go.
    if (config_.tls.ca_pem.empty() && !config_.tls.ca_file.empty()) {
      bool ok;
      ca_pem_ = ReadFileOrEmpty(config_.tls.ca_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("certificate authority file ", config_.tls.ca_file, " cannot be read"));
    } else {
      ca_pem_ = config_.tls.ca_pem;
    }
    std::string cert = config_.tls.cert_pem, key = config_.tls.key_pem;
    if (cert.empty() && !config_.tls.cert_file.empty()) {
      bool ok;
      cert = ReadFileOrEmpty(config_.tls.cert_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("client certificate file ", config_.tls.cert_file, " cannot be read"));
    }
    if (key.empty() && !config_.tls.key_file.empty()) {
      bool ok;
      key = ReadFileOrEmpty(config_.tls.key_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("client key file ", config_.tls.key_file, " cannot be read"));
    }
    if (cert.empty() != key.empty()) {
      return errdefs::InvalidInput("a client certificate needs both a certificate and a key");
    }
    VK_RETURN_IF_ERROR(CheckTlsMaterial(ca_pem_, cert, key));
    static_cert_pem_ = cert;
    static_key_pem_ = key;
    try {
      base_uri_ = web::uri(config_.server);
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("server URL \"", config_.server, "\" is not valid: ", e.what()));
    }
    if (base_uri_.scheme() != "https" && base_uri_.scheme() != "http") {
      return errdefs::InvalidInput(absl::StrCat("server URL \"", config_.server, "\" must be http:// or https://"));
    }
    absl::MutexLock lock(&clients_mu_);
    RebuildClientsLocked(static_cert_pem_, static_key_pem_);
    return absl::OkStatus();
  }

  absl::StatusOr<RestResponse> Do(const Context& ctx, const RestRequest& request);
  absl::StatusOr<std::unique_ptr<ResponseStream>> Stream(const Context& ctx, const RestRequest& request);

  const ClientConfig& config() const { return config_; }
  const std::string& default_accept() const { return default_accept_; }
  RequestMetrics Metrics() const;

  const std::shared_ptr<std::atomic<int64_t>>& open_streams() const { return open_streams_; }

 private:
  struct Clients {
    std::shared_ptr<http_client::http_client> normal;
    std::shared_ptr<http_client::http_client> streaming;
  };

  // Loads the PEM material into a throwaway context so that bad input is an
  // error now rather than a failed handshake later.
  absl::Status CheckTlsMaterial(const std::string& ca, const std::string& cert, const std::string& key) {
    try {
      boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
      if (!ca.empty()) {
        try {
          ctx.add_certificate_authority(boost::asio::buffer(ca));
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("certificate authority (",
                                                    config_.tls.ca_file.empty() ? "inline data" : config_.tls.ca_file,
                                                    ") is not valid PEM: ", e.what()));
        }
      }
      if (!cert.empty()) {
        try {
          ctx.use_certificate_chain(boost::asio::buffer(cert));
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("client certificate (",
                                                    config_.tls.cert_file.empty() ? "inline data" : config_.tls.cert_file,
                                                    ") is not valid PEM: ", e.what()));
        }
        try {
          ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("client key (",
                                                    config_.tls.key_file.empty() ? "inline data" : config_.tls.key_file,
                                                    ") is not valid PEM or does not match the certificate: ", e.what()));
        }
      }
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("TLS configuration: ", e.what()));
    }
    return absl::OkStatus();
  }

  std::shared_ptr<http_client::http_client> MakeClient(absl::Duration idle_timeout, const std::string& cert,
                                                       const std::string& key) {
    http_client::http_client_config cfg;
    cfg.set_timeout(std::chrono::microseconds(absl::ToInt64Microseconds(idle_timeout)));
    cfg.set_validate_certificates(!config_.tls.insecure);
    std::string ca = ca_pem_;
    cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      // Validated in Init(); a throw here would only fail this connection.
      if (!ca.empty()) {
        // Trust only the configured CAs, not the system roots (like kubectl).
        SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
        ctx.add_certificate_authority(boost::asio::buffer(ca));
      }
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert));
        ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
      }
    });
    return std::make_shared<http_client::http_client>(base_uri_, cfg);
  }

  void RebuildClientsLocked(const std::string& cert, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(clients_mu_) {
    clients_.normal = MakeClient(config_.timeout, cert, key);
    clients_.streaming = MakeClient(config_.watch_idle_timeout, cert, key);
    client_cert_pem_ = cert;
  }

  // The clients to use with `creds`; a new client certificate from the exec
  // plugin means new connections.
  Clients ClientsFor(const internal::Credentials& creds) {
    absl::MutexLock lock(&clients_mu_);
    if (!creds.cert_pem.empty() && creds.cert_pem != client_cert_pem_) {
      RebuildClientsLocked(creds.cert_pem, creds.key_pem);
    }
    return clients_;
  }

  absl::StatusOr<http::http_request> BuildRequest(const RestRequest& request, const internal::Credentials& creds) {
    http::http_request req(request.method);
    std::string target = EncodePath(request.path);
    if (!request.query.empty()) {
      target.push_back('?');
      bool first = true;
      for (const auto& [name, value] : request.query) {
        if (!first) target.push_back('&');
        first = false;
        absl::StrAppend(&target, PercentEncode(name), "=", PercentEncode(value));
      }
    }
    try {
      req.set_request_uri(web::uri(target));
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("request path \"", request.path, "\": ", e.what()));
    }
    http::http_headers& h = req.headers();
    h.add("User-Agent", config_.user_agent);
    h.add("Accept", request.accept.empty() ? default_accept_ : request.accept);
    if (!creds.authorization.empty()) h.add("Authorization", creds.authorization);
    if (!config_.tls.server_name.empty()) {
      // cpprest takes the TLS server name (SNI and verification) from Host.
      h.add("Host", config_.tls.server_name);
    }
    for (const auto& [name, value] : request.headers) h.add(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
      h.set_content_type(request.content_type.empty() ? std::string(kJsonMediaType) : request.content_type);
    }
    return req;
  }

  // Maps a cpprest failure. `not_sent` is set when the server never got the
  // request (connection refused).
  absl::Status TransportError(const Context& ctx, const std::exception* e, const std::error_code* ec,
                              bool* not_sent) {
    if (!ctx.Err().ok()) return ctx.Err();
    std::string what = e ? e->what() : "request cancelled";
    if (ec) {
      int v = ec->value();
      if (v == EHOSTUNREACH || v == ECONNREFUSED) {
        *not_sent = true;
        return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": connection refused"));
      }
      if (v == ETIMEDOUT) {
        return errdefs::Unavailable(absl::StrCat("no data from ", config_.server, " within the idle timeout"));
      }
    }
    return errdefs::Unavailable(absl::StrCat("request to ", config_.server, " failed: ", what));
  }

  // Sends one attempt and waits for the response headers.
  Attempt Send(const Context& ctx, const std::shared_ptr<http_client::http_client>& client,
               http::http_request req, const pplx::cancellation_token_source& cts) {
    Attempt a;
    try {
      a.response = client->request(req, cts.get_token()).get();
    } catch (const http::http_exception& e) {
      std::error_code ec = e.error_code();
      a.error = TransportError(ctx, &e, &ec, &a.not_sent);
    } catch (const pplx::task_canceled&) {
      a.error = TransportError(ctx, nullptr, nullptr, &a.not_sent);
    } catch (const std::exception& e) {
      a.error = TransportError(ctx, &e, nullptr, &a.not_sent);
    }
    return a;
  }

  absl::Status ErrorFromResponse(int code, const std::string& content_type, const std::string& body,
                                 const std::string& retry_after_header) {
    metav1::Status st;
    bool decoded = false;
    std::optional<ContentType> ct = ParseContentType(content_type);
    if (ct && !body.empty()) {
      TypeMeta tm;
      decoded = Decode(*ct, body, &st, "", &tm).ok() && tm.kind == "Status";
    }
    if (!decoded) {
      st.Clear();
      st.set_status("Failure");
      st.set_reason(ReasonForHttp(code));
      std::string excerpt = body.substr(0, 512);
      for (char& c : excerpt) {
        if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
      }
      st.set_message(absl::StrCat("the server responded with HTTP ", code,
                                  excerpt.empty() ? "" : ": ", excerpt));
    }
    st.set_code(code);
    if (auto ra = ParseRetryAfter(retry_after_header); ra && st.details().retryafterseconds() == 0) {
      st.mutable_details()->set_retryafterseconds(static_cast<int32_t>(absl::ToInt64Seconds(*ra)));
    }
    return errdefs::FromKubernetesStatus(st, code);
  }

  absl::Duration Backoff(int attempt) {
    absl::Duration d = config_.retry.initial_backoff;
    for (int i = 0; i < attempt && d < config_.retry.max_backoff; ++i) d *= 2;
    d = std::min(d, config_.retry.max_backoff);
    double j = config_.retry.jitter;
    if (j > 0) {
      absl::MutexLock lock(&rng_mu_);
      d *= absl::Uniform(rng_, 1.0 - j / 2, 1.0 + j / 2);
    }
    return d;
  }

  // Decides whether to retry after a failed attempt and sleeps if so.
  // Returns true to retry.
  bool WaitBeforeRetry(const Context& ctx, const RestRequest& request, int attempt, int code, bool not_sent,
                       std::optional<absl::Duration> retry_after) {
    if (attempt >= config_.retry.max_retries) return false;
    bool retry = false;
    if (code == 429) {
      retry = true;
    } else if (code == 0) {
      retry = not_sent || IsIdempotent(request.method);
    } else if (code >= 500) {
      bool known = code == 500 || code == 502 || code == 503 || code == 504;
      retry = retry_after.has_value() || (known && IsIdempotent(request.method));
    }
    if (!retry) return false;
    absl::Duration wait = retry_after ? *retry_after : Backoff(attempt);
    if (wait > ctx.Remaining()) return false;
    retries_.fetch_add(1);
    log::Debug(ctx, "Retrying Kubernetes API request",
               {{"method", request.method}, {"path", request.path}, {"code", code}, {"wait", wait}});
    return clock_->SleepUntil(ctx, clock_->Now() + wait).ok();
  }

  void Record(const std::string& method, int code, absl::Duration latency) {
    double seconds = absl::ToDoubleSeconds(latency);
    const std::vector<double>& b = LatencyBuckets();
    size_t bucket = std::lower_bound(b.begin(), b.end(), seconds) - b.begin();
    absl::MutexLock lock(&metrics_mu_);
    RequestMetrics::Series& s = series_[{method, code}];
    if (s.latency_counts.empty()) {
      s.method = method;
      s.code = code;
      s.latency_counts.assign(b.size() + 1, 0);
    }
    ++s.count;
    s.latency_sum_seconds += seconds;
    ++s.latency_counts[bucket];
  }

  absl::Status WaitForLimiter(const Context& ctx) {
    absl::Duration waited;
    absl::Status s = limiter_.Wait(ctx, &waited);
    if (waited > absl::ZeroDuration()) {
      absl::MutexLock lock(&metrics_mu_);
      ++rate_limited_;
      rate_limiter_wait_ += waited;
    }
    return s;
  }

  // The shared loop of Do and Stream: returns the first 2xx response (its
  // body unread) or the final error. `cts` receives the token source of the
  // successful attempt (a stream keeps it to end the body read).
  absl::StatusOr<http::http_response> Execute(const Context& ctx, const RestRequest& request, bool streaming,
                                              std::shared_ptr<pplx::cancellation_token_source>* cts_out,
                                              CancelRegistration* reg_out,
                                              std::shared_ptr<http_client::http_client>* client_out);

  ClientConfig config_;
  const Clock* clock_;
  std::unique_ptr<internal::CredentialSource> credentials_;
  internal::TokenBucket limiter_;
  std::string default_accept_;
  web::uri base_uri_;
  std::string ca_pem_;
  std::string static_cert_pem_, static_key_pem_;

  absl::Mutex clients_mu_;
  Clients clients_ ABSL_GUARDED_BY(clients_mu_);
  std::string client_cert_pem_ ABSL_GUARDED_BY(clients_mu_);

  absl::Mutex rng_mu_;
  absl::BitGen rng_ ABSL_GUARDED_BY(rng_mu_);

  mutable absl::Mutex metrics_mu_;
  std::map<std::pair<std::string, int>, RequestMetrics::Series> series_ ABSL_GUARDED_BY(metrics_mu_);
  uint64_t rate_limited_ ABSL_GUARDED_BY(metrics_mu_) = 0;
  absl::Duration rate_limiter_wait_ ABSL_GUARDED_BY(metrics_mu_);
  std::atomic<uint64_t> retries_{0};
  // Shared with the streams, which may outlive the client.
  std::shared_ptr<std::atomic<int64_t>> open_streams_ = std::make_shared<std::atomic<int64_t>>(0);
};

absl::StatusOr<http::http_response> RestClient::Impl::Execute(
    const Context& ctx, const RestRequest& request, bool streaming,
    std::shared_ptr<pplx::cancellation_token_source>* cts_out, CancelRegistration* reg_out,
    std::shared_ptr<http_client::http_client>* client_out) {
  bool auth_retried = false;
  for (int attempt = 0;; ++attempt) {
    VK_RETURN_IF_ERROR(ctx.Err());
    VK_ASSIGN_OR_RETURN(internal::Credentials creds, credentials_->Get(ctx));
    VK_RETURN_IF_ERROR(WaitForLimiter(ctx));
    Clients clients = ClientsFor(creds);
    std::shared_ptr<http_client::http_client> client = streaming ? clients.streaming : clients.normal;
    VK_ASSIGN_OR_RETURN(http::http_request req, BuildRequest(request, creds));

    auto cts = std::make_shared<pplx::cancellation_token_source>();
    CancelRegistration reg = ctx.OnCancel([cts] { cts->cancel(); });
    absl::Time start = absl::Now();
    Attempt a = Send(ctx, client, std::move(req), *cts);
    if (!a.response) {
      Record(request.method, 0, absl::Now() - start);
      if (!ctx.Err().ok()) return ctx.Err();
      if (WaitBeforeRetry(ctx, request, attempt, 0, a.not_sent, std::nullopt)) continue;
      if (!ctx.Err().ok()) return ctx.Err();
      return a.error;
    }
    http::http_response& resp = *a.response;
    int code = resp.status_code();
    if (code >= 200 && code < 300) {
      if (streaming) Record(request.method, code, absl::Now() - start);
      *cts_out = std::move(cts);
      *reg_out = std::move(reg);
      *client_out = std::move(client);
      return std::move(resp);
    }
    // Read the error body (small) and decide.
    std::string body;
    try {
      std::vector<unsigned char> v = resp.extract_vector().get();
      body.assign(v.begin(), v.end());
    } catch (const std::exception&) {
      // An error status without a readable body is still an error status.
    }
    Record(request.method, code, absl::Now() - start);
    std::string content_type = resp.headers().content_type();
    std::string retry_after_header;
    resp.headers().match("Retry-After", retry_after_header);
    absl::Status err = ErrorFromResponse(code, content_type, body, retry_after_header);
    if (code == 401 && !auth_retried && credentials_->OnUnauthorized(creds)) {
      auth_retried = true;
      retries_.fetch_add(1);
      continue;
    }
    std::optional<absl::Duration> retry_after = ParseRetryAfter(retry_after_header);
    if (!retry_after && code == 429) retry_after = errdefs::RetryAfter(err);
    if (WaitBeforeRetry(ctx, request, attempt, code, false, retry_after)) continue;
    if (!ctx.Err().ok() && attempt < config_.retry.max_retries && (code == 429 || code >= 500)) {
      return ctx.Err();
    }
    return err;
  }
}

absl::StatusOr<RestResponse> RestClient::Impl::Do(const Context& ctx, const RestRequest& request) {
  // Execute retries until response headers arrive; a body cut off after that
  // (connection reset) is retried here, for idempotent requests only.
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<pplx::cancellation_token_source> cts;
    CancelRegistration reg;
    std::shared_ptr<http_client::http_client> client;
    absl::Time start = absl::Now();
    VK_ASSIGN_OR_RETURN(http::http_response resp, Execute(ctx, request, false, &cts, &reg, &client));
    RestResponse out;
    out.status_code = resp.status_code();
    out.content_type = resp.headers().content_type();
    out.headers = CopyHeaders(resp.headers());
    absl::Status err;
    bool not_sent = false;
    try {
      std::vector<unsigned char> v = resp.extract_vector().get();
      out.body.assign(v.begin(), v.end());
    } catch (const http::http_exception& e) {
      std::error_code ec = e.error_code();
      err = TransportError(ctx, &e, &ec, &not_sent);
    } catch (const std::exception& e) {
      err = TransportError(ctx, &e, nullptr, &not_sent);
    }
    if (err.ok()) {
      Record(request.method, out.status_code, absl::Now() - start);
      return out;
    }
    Record(request.method, 0, absl::Now() - start);
    if (!ctx.Err().ok()) return ctx.Err();
    if (WaitBeforeRetry(ctx, request, attempt, 0, false, std::nullopt)) continue;
    if (!ctx.Err().ok()) return ctx.Err();
    return err;
  }
}

namespace {

// A response body read as it arrives. cpprest's producer/consumer buffer
// completes a read of N bytes only once N bytes are there, so Read asks for
// one byte (blocking until the next chunk) and then takes what is buffered.
class CppRestStream final : public ResponseStream {
 public:
  CppRestStream(std::shared_ptr<std::atomic<int64_t>> open_streams, http::http_response resp,
                std::shared_ptr<pplx::cancellation_token_source> cts, CancelRegistration reg,
                std::shared_ptr<http_client::http_client> client, Context ctx)
      : open_streams_(std::move(open_streams)),
        resp_(std::move(resp)),
        buf_(resp_.body().streambuf()),
        cts_(std::move(cts)),
        reg_(std::move(reg)),
        client_(std::move(client)),
        ctx_(std::move(ctx)),
        content_type_(resp_.headers().content_type()),
        status_code_(resp_.status_code()) {
    open_streams_->fetch_add(1);
  }

  ~CppRestStream() override {
    Close();
    reg_.Reset();
    open_streams_->fetch_sub(1);
  }

  int status_code() const override { return status_code_; }
  const std::string& content_type() const override { return content_type_; }

  absl::StatusOr<bool> Read(std::string* out, size_t max_bytes) override {
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (ended_) return false;
    try {
      size_t avail = buf_.in_avail();
      if (avail == 0) {
        uint8_t first = 0;
        size_t n = buf_.getn(&first, 1).get();
        if (n == 0) return End();
        out->push_back(static_cast<char>(first));
        avail = std::min(buf_.in_avail(), max_bytes > 0 ? max_bytes - 1 : 0);
      } else {
        avail = std::min(avail, max_bytes);
      }
      if (avail > 0) {
        size_t old = out->size();
        out->resize(old + avail);
        size_t n = buf_.getn(reinterpret_cast<uint8_t*>(out->data() + old), avail).get();
        out->resize(old + n);
      }
      return true;
    } catch (const std::exception& e) {
      return Broken(e.what());
    }
  }

  void Close() override {
    if (!closed_.exchange(true)) cts_->cancel();
  }

 private:
  absl::StatusOr<bool> End() {
    ended_ = true;
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (!ctx_.Err().ok()) return ctx_.Err();
    try {
      // Completes with an exception when the body ended because of an error.
      resp_.content_ready().get();
    } catch (const std::exception& e) {
      return Broken(e.what());
    }
    return false;
  }

  absl::Status Broken(std::string_view what) {
    ended_ = true;
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (!ctx_.Err().ok()) return ctx_.Err();
    return errdefs::Unavailable(absl::StrCat("stream from the API server broke: ", ToAbsl(what)));
  }

  std::shared_ptr<std::atomic<int64_t>> open_streams_;
  http::http_response resp_;
  concurrency::streams::streambuf<uint8_t> buf_;
  std::shared_ptr<pplx::cancellation_token_source> cts_;
  CancelRegistration reg_;
  std::shared_ptr<http_client::http_client> client_;
  Context ctx_;
  std::string content_type_;
  int status_code_;
  std::atomic<bool> closed_{false};
  bool ended_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ResponseStream>> RestClient::Impl::Stream(const Context& ctx,
                                                                         const RestRequest& request) {
  std::shared_ptr<pplx::cancellation_token_source> cts;
  CancelRegistration reg;
  std::shared_ptr<http_client::http_client> client;
  VK_ASSIGN_OR_RETURN(http::http_response resp, Execute(ctx, request, true, &cts, &reg, &client));
  return std::unique_ptr<ResponseStream>(
      new CppRestStream(open_streams_, std::move(resp), std::move(cts), std::move(reg), std::move(client), ctx));
}

RequestMetrics RestClient::Impl::Metrics() const {
  RequestMetrics m;
  m.latency_buckets = LatencyBuckets();
  absl::MutexLock lock(&metrics_mu_);
  for (const auto& [key, s] : series_) m.requests.push_back(s);
  m.retries = retries_.load();
  m.rate_limited = rate_limited_;
  m.rate_limiter_wait_seconds = absl::ToDoubleSeconds(rate_limiter_wait_);
  m.open_streams = static_cast<uint64_t>(std::max<int64_t>(0, open_streams_->load()));
  return m;
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::shared_ptr<RestClient>> RestClient::Create(ClientConfig config, const Clock* clock) {
  if (config.server.empty()) return errdefs::InvalidInput("ClientConfig.server is empty");
  VK_ASSIGN_OR_RETURN(std::unique_ptr<internal::CredentialSource> creds,
                      internal::CredentialSource::Create(config, clock));
  auto impl = std::make_unique<Impl>(std::move(config), clock, std::move(creds));
  VK_RETURN_IF_ERROR(impl->Init());
  return std::shared_ptr<RestClient>(new RestClient(std::move(impl)));
}

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

absl::StatusOr<RestResponse> RestClient::Do(const Context& ctx, const RestRequest& request) {
  return impl_->Do(ctx, request);
}

absl::StatusOr<std::unique_ptr<ResponseStream>> RestClient::Stream(const Context& ctx, const RestRequest& request) {
  return impl_->Stream(ctx, request);
}

const ClientConfig& RestClient::config() const { return impl_->config(); }
std::string RestClient::DefaultAccept() const { return impl_->default_accept(); }
RequestMetrics RestClient::Metrics() const { return impl_->Metrics(); }

}  // namespace vkubelet::kube

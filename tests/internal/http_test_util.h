// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Helpers for the HTTP core tests: a blocking raw TCP socket (to send bytes no
// well-behaved client would) and a latch-like condition.

#ifndef VKUBELET_TESTS_INTERNAL_HTTP_TEST_UTIL_H_
#define VKUBELET_TESTS_INTERNAL_HTTP_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "internal/http/client.h"
#include "internal/http/server.h"

namespace vkubelet::internal::http::testutil {

// A blocking TCP socket to 127.0.0.1 with deadline-bounded reads.
class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { Close(); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `marker` was seen, EOF, or the timeout. Returns what was read.
  std::string ReadUntil(std::string_view marker, absl::Duration timeout = absl::Seconds(10)) {
    absl::Time deadline = absl::Now() + timeout;
    while (received_.find(marker) == std::string::npos) {
      if (!ReadSome(deadline)) break;
    }
    return received_;
  }

  // Reads until the peer closes (true) or the timeout (false).
  bool WaitClosed(absl::Duration timeout = absl::Seconds(10)) {
    absl::Time deadline = absl::Now() + timeout;
    while (!closed_) {
      if (!ReadSome(deadline) && !closed_) return false;
    }
    return true;
  }

  const std::string& received() const { return received_; }
  bool closed() const { return closed_; }

 private:
  // False on timeout or close.
  bool ReadSome(absl::Time deadline) {
    if (closed_) return false;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (r <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string received_;
};

// Waits until `pred` holds, re-checking whenever `mu` is released.
inline bool AwaitFor(absl::Mutex& mu, const std::function<bool()>& pred, absl::Duration timeout) {
  absl::MutexLock lock(&mu);
  return mu.AwaitWithTimeout(absl::Condition(&pred), timeout);
}

// Polls a condition that no mutex guards (e.g. a server's connection count).
inline bool Eventually(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!pred()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

inline std::unique_ptr<Server> StartServer(ServerOptions options, Handler handler) {
  auto server = Server::Create(std::move(options), std::move(handler));
  if (!server.ok()) return nullptr;
  if (!(*server)->Start().ok()) return nullptr;
  return *std::move(server);
}

inline std::unique_ptr<Client> MakeClient(int port, std::optional<ClientTlsOptions> tls = std::nullopt) {
  ClientOptions o;
  o.port = port;
  o.tls = std::move(tls);
  auto c = Client::Create(std::move(o));
  return c.ok() ? *std::move(c) : nullptr;
}

inline ClientRequest Get(std::string target) {
  ClientRequest r;
  r.target = std::move(target);
  return r;
}

inline Context TestCtx() { return Context::Background().WithTimeout(absl::Seconds(20)); }

}  // namespace vkubelet::internal::http::testutil

#endif  // VKUBELET_TESTS_INTERNAL_HTTP_TEST_UTIL_H_

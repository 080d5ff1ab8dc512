// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Pieces shared by the SPDY and WebSocket sessions: the buffer of bytes a
// client sent on one stream, the adapters that give a provider
// ByteReader/ByteWriter/DuplexStream/AttachIO views of a session's streams,
// the queue of terminal sizes, and the request parameters of exec/attach.
// Private to the library.

#ifndef VKUBELET_LIB_API_STREAMING_STREAM_IO_H_
#define VKUBELET_LIB_API_STREAMING_STREAM_IO_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "api/spdy/remotecommand.h"
#include "internal/http/server.h"
#include "vkubelet/context.h"
#include "vkubelet/io.h"
#include "vkubelet/provider.h"

namespace vkubelet::api::internal {

// Bytes received for one stream, in order. Not thread-safe (the owning
// session's mutex guards it).
class InboundBuffer {
 public:
  void Append(std::string_view data);
  // Moves up to `size` bytes into `out`; returns how many.
  size_t Take(char* out, size_t size);
  size_t size() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

 private:
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;
  size_t bytes_ = 0;
};

// The per-stream operations a session offers its provider-facing adapters.
// Every call may block (on the client) until the session ends.
class StreamEndpoint {
 public:
  virtual ~StreamEndpoint() = default;
  // ByteReader::Read semantics: >0 bytes, 0 at the client's end of stream,
  // Cancelled once the session or stream is gone.
  virtual absl::StatusOr<size_t> ReadStream(uint32_t stream, char* buffer, size_t size) = 0;
  // ByteWriter::Write semantics: all bytes, or Cancelled once the client is gone.
  virtual absl::Status WriteStream(uint32_t stream, std::string_view data) = 0;
  // Half-closes the server's side of the stream; idempotent.
  virtual absl::Status CloseStreamWrite(uint32_t stream) = 0;
};

class EndpointReader : public ByteReader {
 public:
  EndpointReader(StreamEndpoint* ep, uint32_t stream) : ep_(ep), stream_(stream) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override;

 private:
  StreamEndpoint* ep_;
  uint32_t stream_;
};

class EndpointWriter : public ByteWriter {
 public:
  EndpointWriter(StreamEndpoint* ep, uint32_t stream) : ep_(ep), stream_(stream) {}
  absl::Status Write(std::string_view data) override;
  absl::Status Close() override;

 private:
  StreamEndpoint* ep_;
  uint32_t stream_;
};

// One port-forward connection: reads from and writes to the same stream.
class EndpointDuplex : public DuplexStream {
 public:
  EndpointDuplex(StreamEndpoint* ep, uint32_t stream) : ep_(ep), stream_(stream) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override;
  absl::Status Write(std::string_view data) override;
  absl::Status Close() override;

 private:
  StreamEndpoint* ep_;
  uint32_t stream_;
};

// Terminal sizes from the client, for AttachIO::NextResize. Thread-safe.
class ResizeQueue {
 public:
  explicit ResizeQueue(size_t max_pending) : max_pending_(max_pending == 0 ? 1 : max_pending) {}
  // Drops the oldest size when full.
  void Push(TermSize size);
  // No more sizes will come: Next returns nullopt once the queue is empty.
  void Close();
  // Blocks until a size is available (returns it), the queue is closed and
  // empty, or `ctx` or `session` ended (nullopt).
  std::optional<TermSize> Next(const Context& ctx, const Context& session);

 private:
  const size_t max_pending_;
  absl::Mutex mu_;
  std::deque<TermSize> sizes_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// AttachIO over a session's streams. The readers/writers are owned by the
// session; null ones were not requested.
class SessionAttachIO : public AttachIO {
 public:
  SessionAttachIO(ByteReader* in, ByteWriter* out, ByteWriter* err, bool tty, ResizeQueue* resizes,
                  Context session)
      : in_(in), out_(out), err_(err), tty_(tty), resizes_(resizes), session_(std::move(session)) {}
  ByteReader* Stdin() override { return in_; }
  ByteWriter* Stdout() override { return out_; }
  ByteWriter* Stderr() override { return err_; }
  bool Tty() const override { return tty_; }
  std::optional<TermSize> NextResize(const Context& ctx) override;

 private:
  ByteReader* in_;
  ByteWriter* out_;
  ByteWriter* err_;
  bool tty_;
  ResizeQueue* resizes_;
  Context session_;
};

// exec/attach request parameters, as the kubelet reads them.
struct RemoteCommandParams {
  std::string namespace_;
  std::string pod;
  std::string uid;
  std::string container;
  bool with_stdin = false;
  bool with_stdout = false;
  bool with_stderr = false;
  bool tty = false;
  std::vector<std::string> command;  // exec only
};

// Decodes input/output/error/tty ("1" or "true") and command= (repeated).
// With tty, stderr is dropped (merged into stdout), like the kubelet.
// Errors (InvalidInput, 400): none of stdin/stdout/stderr requested; exec
// without a command.
absl::StatusOr<RemoteCommandParams> ParseRemoteCommandParams(
    const ::vkubelet::internal::http::Request& request, std::string_view ns, std::string_view pod,
    std::string_view uid, std::string_view container, bool exec);

// Answers a request that cannot be served with a plain-text error, as Go's
// http.Error does (text/plain, nosniff, the message and a newline).
void SendPlainError(::vkubelet::internal::http::Response& response, int status, std::string_view message,
                    const ::vkubelet::internal::http::Headers& extra = {});

// The message of a non-OK status (its ToString() when the message is empty).
std::string StatusText(const absl::Status& status);

// How a provider call ended, for the error stream: OK → success;
// errdefs::ExitCode(n) with n != 0 → NonZeroExitCode; anything else → the
// error text (written as an InternalError Status).
::vkubelet::internal::spdy::ExecResult ExecResultOf(const absl::Status& status);

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_STREAMING_STREAM_IO_H_

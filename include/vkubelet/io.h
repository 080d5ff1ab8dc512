// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Byte-stream interfaces through which providers exchange data with clients of
// the kubelet API: container logs, exec/attach standard streams, port-forward
// connections. The SDK implements them over HTTP chunked responses, SPDY/3.1
// streams and WebSocket channels, with flow control: a Write blocks while the
// client is slow, a Read blocks until data arrives.

#ifndef VKUBELET_IO_H_
#define VKUBELET_IO_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vkubelet {

// A source of bytes. Not thread-safe: one reader at a time.
class ByteReader {
 public:
  virtual ~ByteReader() = default;
  // Reads up to `size` bytes into `buffer`, blocking until at least one byte is
  // available. Returns 0 at end of stream (the client closed its side).
  // Errors: Cancelled when the connection ended or the request's Context is done.
  virtual absl::StatusOr<size_t> Read(char* buffer, size_t size) = 0;
};

// A sink of bytes. Write may be called from any one thread at a time.
class ByteWriter {
 public:
  virtual ~ByteWriter() = default;
  // Writes all of `data`, blocking while the client is slower than the
  // producer. Errors: Cancelled once the client has gone away (stop producing).
  virtual absl::Status Write(std::string_view data) = 0;
  // Half-closes the stream (no more writes). Idempotent.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Both directions of one connection (port-forward).
class DuplexStream : public ByteReader, public ByteWriter {};

}  // namespace vkubelet

#endif  // VKUBELET_IO_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// /containerLogs: query decoding and validation as the kubelet does it
// (v1.PodLogOptions from query parameters, ValidatePodLogOptions), and the
// ByteWriter that streams a provider's log bytes as chunked HTTP with
// backpressure. Private to the library.

#ifndef VKUBELET_LIB_API_CONTAINER_LOGS_H_
#define VKUBELET_LIB_API_CONTAINER_LOGS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "internal/http/server.h"
#include "vkubelet/context.h"
#include "vkubelet/io.h"
#include "vkubelet/provider.h"

namespace vkubelet::api::internal {

namespace http = ::vkubelet::internal::http;

// Decodes the query of a /containerLogs request. Legacy `tail=N` replaces
// tailLines (`tail=all` removes it). Booleans are true unless "0" or
// "false" (any case), as Go's query conversion reads them.
// Errors: errdefs::InvalidInput (400: a number or time that does not parse),
// errdefs::Invalid (422: negative tailLines, limitBytes or sinceSeconds < 1,
// both sinceSeconds and sinceTime, an unknown stream, tailLines with a single
// stream). The message names the problem.
absl::StatusOr<ContainerLogOptions> ParseContainerLogOptions(const http::QueryParams& query);

// Streams log bytes to an HTTP response: the response (200, chunked,
// text/plain) starts with the first byte; each Write is flushed at once and
// then blocks while more than `buffer_bytes` wait for a slow client. Stops the
// producer (Cancelled) once the client left, `ctx` ended, or `limit_bytes`
// were written (the write that crosses the limit is truncated and `cancel` is
// called so a following provider stops). One writer at a time.
class ChunkedLogWriter : public ByteWriter {
 public:
  ChunkedLogWriter(std::shared_ptr<http::Response> response, Context ctx, CancelFn cancel,
                   std::optional<int64_t> limit_bytes, size_t buffer_bytes);

  absl::Status Write(std::string_view data) override;

  // True once the response was started (a status can no longer be chosen).
  bool started() const;
  int64_t bytes_written() const;
  bool limit_reached() const;

 private:
  std::shared_ptr<http::Response> response_;
  const Context ctx_;
  CancelFn cancel_;
  const std::optional<int64_t> limit_;
  const size_t buffer_bytes_;
  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool limit_reached_ ABSL_GUARDED_BY(mu_) = false;
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vkubelet::api::internal

#endif  // VKUBELET_LIB_API_CONTAINER_LOGS_H_

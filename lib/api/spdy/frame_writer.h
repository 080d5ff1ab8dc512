// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Serialisation of SPDY/3.1 frames into a byte buffer. Pure functions except
// for the header-carrying frames, which advance the direction's shared
// compressor. Reserved bits are always written as zero. Internal.

#ifndef VKUBELET_LIB_API_SPDY_FRAME_WRITER_H_
#define VKUBELET_LIB_API_SPDY_FRAME_WRITER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "api/spdy/compression.h"
#include "api/spdy/headers.h"
#include "api/spdy/protocol.h"

namespace vkubelet::internal::spdy {

// Uncompressed header blocks above this size are refused before they reach
// the compressor, so that a compressed block always fits one frame.
inline constexpr size_t kMaxEncodedHeaderBlock = 8 * 1024 * 1024;

struct SynStreamParams {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 0 (highest) .. 7
  bool fin = false;
  bool unidirectional = false;
};

// Header-carrying frames. Errors: InvalidArgument for a zero or 32-bit
// stream id, a priority above 7 or headers SerializeHeaderBlock refuses (the
// compressor is not touched then); Internal when compression fails (the
// compressor, and the session owning it, must not be used again).
absl::Status AppendSynStream(std::string* out, HeaderCompressor& compressor,
                             const SynStreamParams& params, const Headers& headers);
absl::Status AppendSynReply(std::string* out, HeaderCompressor& compressor, uint32_t stream_id,
                            bool fin, const Headers& headers);
absl::Status AppendHeaders(std::string* out, HeaderCompressor& compressor, uint32_t stream_id,
                           bool fin, const Headers& headers);

// Fixed-size frames. Errors: InvalidArgument for out-of-range ids/values
// (RST_STREAM with stream 0 or status 0, PING id 0, WINDOW_UPDATE delta 0 or
// above 2^31-1, more than 2^24/8 settings).
absl::Status AppendRstStream(std::string* out, uint32_t stream_id, RstStatus status);
absl::Status AppendSettings(std::string* out, std::span<const Setting> settings,
                            uint8_t flags = 0);
absl::Status AppendPing(std::string* out, uint32_t id);
absl::Status AppendGoAway(std::string* out, uint32_t last_good_stream_id, GoAwayStatus status);
absl::Status AppendWindowUpdate(std::string* out, uint32_t stream_id, uint32_t delta);

// DATA frame. Errors: InvalidArgument for stream 0, a 32-bit id or more than
// 2^24-1 bytes of payload.
absl::Status AppendDataFrame(std::string* out, uint32_t stream_id, std::string_view data,
                             bool fin);

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_FRAME_WRITER_H_

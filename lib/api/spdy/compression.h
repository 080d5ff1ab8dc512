// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// zlib header-block compression of SPDY/3. Each direction of a session is ONE
// zlib stream primed with the SPDY/3 dictionary: every header block (of
// SYN_STREAM, SYN_REPLY and HEADERS, on any stream) continues the previous one
// and ends with a sync flush, so both the compressor and the decompressor must
// see every block of their direction, in order, exactly once — even blocks of
// streams that end up refused. Internal.

#ifndef VKUBELET_LIB_API_SPDY_COMPRESSION_H_
#define VKUBELET_LIB_API_SPDY_COMPRESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct z_stream_s;

namespace vkubelet::internal::spdy {

// The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1),
// 1423 bytes.
std::string_view HeaderDictionary();
// Adler-32 of HeaderDictionary(): the DICTID every SPDY/3 compressed block
// stream announces in its zlib header.
inline constexpr uint32_t kHeaderDictionaryId = 0xe3c6a7c2;

// Compressor for the outgoing direction of one session. Not thread-safe.
class HeaderCompressor {
 public:
  // `level`: zlib level 0..9; Go's framer uses 9 (BestCompression).
  explicit HeaderCompressor(int level = 9);
  ~HeaderCompressor();
  HeaderCompressor(const HeaderCompressor&) = delete;
  HeaderCompressor& operator=(const HeaderCompressor&) = delete;

  // Compresses the next uncompressed name/value block of this direction and
  // sync-flushes. Errors: Internal when zlib fails (the compressor is then
  // unusable, and so is the session).
  absl::StatusOr<std::string> Compress(std::string_view block);

 private:
  absl::Status Init();

  int level_;
  std::unique_ptr<z_stream_s> zs_;
  bool initialized_ = false;
  bool failed_ = false;
};

// Decompressor for the incoming direction of one session. Not thread-safe.
class HeaderDecompressor {
 public:
  HeaderDecompressor();
  ~HeaderDecompressor();
  HeaderDecompressor(const HeaderDecompressor&) = delete;
  HeaderDecompressor& operator=(const HeaderDecompressor&) = delete;

  // Inflates one compressed header block (all of `compressed`). Errors:
  //   ResourceExhausted - the block inflates to more than `max_output` bytes
  //                       (a decompression bomb); nothing beyond the limit
  //                       is ever produced;
  //   DataLoss          - corrupt deflate data, a wrong dictionary id, the
  //                       zlib stream ending, or a block that does not end on
  //                       a flush boundary.
  // After any error the decompressor is unusable (the shared zlib state is
  // lost) and every further call fails.
  absl::StatusOr<std::string> Decompress(std::string_view compressed, size_t max_output);

 private:
  std::unique_ptr<z_stream_s> zs_;
  bool initialized_ = false;
  bool failed_ = false;
};

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_COMPRESSION_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/frame_writer.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::spdy {
namespace {

void AppendControlHeader(std::string* out, ControlType type, uint8_t flags, uint32_t length) {
  AppendU16(out, static_cast<uint16_t>(0x8000 | kSpdyVersion));
  AppendU16(out, static_cast<uint16_t>(type));
  AppendU32(out, (uint32_t{flags} << 24) | length);
}

absl::Status CheckStreamId(uint32_t id, std::string_view frame) {
  if (id == 0 || id > kMaxStreamId) {
    return absl::InvalidArgumentError(
        absl::StrCat("spdy: ", ToAbsl(frame), " needs a stream id in 1..2^31-1, got ", id));
  }
  return absl::OkStatus();
}

// Serialises and compresses `headers`; the compressor only sees valid blocks.
absl::StatusOr<std::string> CompressedBlock(HeaderCompressor& compressor,
                                            const Headers& headers) {
  VK_ASSIGN_OR_RETURN(std::string block, SerializeHeaderBlock(headers));
  if (block.size() > kMaxEncodedHeaderBlock) {
    return absl::InvalidArgumentError(absl::StrCat("spdy: header block of ", block.size(),
                                                   " bytes exceeds ", kMaxEncodedHeaderBlock));
  }
  return compressor.Compress(block);
}

absl::Status AppendHeaderFrame(std::string* out, HeaderCompressor& compressor, ControlType type,
                               uint32_t stream_id, bool fin, const Headers& headers) {
  VK_RETURN_IF_ERROR(CheckStreamId(stream_id, ControlTypeName(static_cast<uint16_t>(type))));
  VK_ASSIGN_OR_RETURN(std::string compressed, CompressedBlock(compressor, headers));
  AppendControlHeader(out, type, fin ? kFlagFin : 0,
                      static_cast<uint32_t>(4 + compressed.size()));
  AppendU32(out, stream_id);
  out->append(compressed);
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendSynStream(std::string* out, HeaderCompressor& compressor,
                             const SynStreamParams& params, const Headers& headers) {
  VK_RETURN_IF_ERROR(CheckStreamId(params.stream_id, "SYN_STREAM"));
  if (params.associated_stream_id > kMaxStreamId) {
    return absl::InvalidArgumentError("spdy: associated stream id above 2^31-1");
  }
  if (params.priority > 7) {
    return absl::InvalidArgumentError(
        absl::StrCat("spdy: priority must be 0..7, got ", params.priority));
  }
  VK_ASSIGN_OR_RETURN(std::string compressed, CompressedBlock(compressor, headers));
  uint8_t flags = (params.fin ? kFlagFin : 0) | (params.unidirectional ? kFlagUnidirectional : 0);
  AppendControlHeader(out, ControlType::kSynStream, flags,
                      static_cast<uint32_t>(10 + compressed.size()));
  AppendU32(out, params.stream_id);
  AppendU32(out, params.associated_stream_id);
  AppendU8(out, static_cast<uint8_t>(params.priority << 5));
  AppendU8(out, 0);  // credential slot
  out->append(compressed);
  return absl::OkStatus();
}

absl::Status AppendSynReply(std::string* out, HeaderCompressor& compressor, uint32_t stream_id,
                            bool fin, const Headers& headers) {
  return AppendHeaderFrame(out, compressor, ControlType::kSynReply, stream_id, fin, headers);
}

absl::Status AppendHeaders(std::string* out, HeaderCompressor& compressor, uint32_t stream_id,
                           bool fin, const Headers& headers) {
  return AppendHeaderFrame(out, compressor, ControlType::kHeaders, stream_id, fin, headers);
}

absl::Status AppendRstStream(std::string* out, uint32_t stream_id, RstStatus status) {
  VK_RETURN_IF_ERROR(CheckStreamId(stream_id, "RST_STREAM"));
  if (static_cast<uint32_t>(status) == 0) {
    return absl::InvalidArgumentError("spdy: RST_STREAM status 0 is invalid");
  }
  AppendControlHeader(out, ControlType::kRstStream, 0, 8);
  AppendU32(out, stream_id);
  AppendU32(out, static_cast<uint32_t>(status));
  return absl::OkStatus();
}

absl::Status AppendSettings(std::string* out, std::span<const Setting> settings, uint8_t flags) {
  if (settings.size() > (kMaxFrameLength - 4) / 8) {
    return absl::InvalidArgumentError("spdy: too many settings for one frame");
  }
  for (const Setting& s : settings) {
    if (s.id > 0xffffff) {
      return absl::InvalidArgumentError(absl::StrCat("spdy: setting id ", s.id, " above 2^24-1"));
    }
  }
  AppendControlHeader(out, ControlType::kSettings, flags,
                      static_cast<uint32_t>(4 + 8 * settings.size()));
  AppendU32(out, static_cast<uint32_t>(settings.size()));
  for (const Setting& s : settings) {
    AppendU32(out, (uint32_t{s.flags} << 24) | s.id);
    AppendU32(out, s.value);
  }
  return absl::OkStatus();
}

absl::Status AppendPing(std::string* out, uint32_t id) {
  if (id == 0) return absl::InvalidArgumentError("spdy: PING id 0 is invalid");
  AppendControlHeader(out, ControlType::kPing, 0, 4);
  AppendU32(out, id);
  return absl::OkStatus();
}

absl::Status AppendGoAway(std::string* out, uint32_t last_good_stream_id, GoAwayStatus status) {
  if (last_good_stream_id > kMaxStreamId) {
    return absl::InvalidArgumentError("spdy: GOAWAY last-good stream id above 2^31-1");
  }
  AppendControlHeader(out, ControlType::kGoAway, 0, 8);
  AppendU32(out, last_good_stream_id);
  AppendU32(out, static_cast<uint32_t>(status));
  return absl::OkStatus();
}

absl::Status AppendWindowUpdate(std::string* out, uint32_t stream_id, uint32_t delta) {
  if (stream_id > kMaxStreamId) {
    return absl::InvalidArgumentError("spdy: WINDOW_UPDATE stream id above 2^31-1");
  }
  if (delta == 0 || delta > kMaxWindowSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("spdy: WINDOW_UPDATE delta must be 1..2^31-1, got ", delta));
  }
  AppendControlHeader(out, ControlType::kWindowUpdate, 0, 8);
  AppendU32(out, stream_id);
  AppendU32(out, delta);
  return absl::OkStatus();
}

absl::Status AppendDataFrame(std::string* out, uint32_t stream_id, std::string_view data,
                             bool fin) {
  VK_RETURN_IF_ERROR(CheckStreamId(stream_id, "DATA"));
  if (data.size() > kMaxFrameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("spdy: DATA payload of ", data.size(), " bytes exceeds 2^24-1"));
  }
  AppendU32(out, stream_id);
  AppendU32(out, (uint32_t{fin ? kFlagFin : uint8_t{0}} << 24) |
                     static_cast<uint32_t>(data.size()));
  out->append(data);
  return absl::OkStatus();
}

}  // namespace vkubelet::internal::spdy

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SPDY/3.1 wire constants (draft-mbelshe-httpbis-spdy-00 plus the 3.1
// session flow-control addendum), shared by the header-block codec, the frame
// writer and SpdySession. Internal.
//
// Frame layout (all integers big-endian):
//   control: |1| version(15) | type(16) | flags(8) | length(24) | payload
//   data:    |0| stream-id(31)           | flags(8) | length(24) | payload

#ifndef VKUBELET_LIB_API_SPDY_PROTOCOL_H_
#define VKUBELET_LIB_API_SPDY_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vkubelet::internal::spdy {

inline constexpr uint16_t kSpdyVersion = 3;
inline constexpr size_t kFrameHeaderSize = 8;
// 24-bit length field.
inline constexpr uint32_t kMaxFrameLength = (1u << 24) - 1;
// 31-bit stream ids and window sizes.
inline constexpr uint32_t kMaxStreamId = 0x7fffffffu;
inline constexpr int64_t kMaxWindowSize = 0x7fffffff;
// Initial stream and session window of SPDY/3.1 before any SETTINGS.
inline constexpr int64_t kDefaultInitialWindow = 64 * 1024;

enum class ControlType : uint16_t {
  kSynStream = 1,
  kSynReply = 2,
  kRstStream = 3,
  kSettings = 4,
  // 5 was NOOP in SPDY/2; unknown in SPDY/3 and skipped.
  kPing = 6,
  kGoAway = 7,
  kHeaders = 8,
  kWindowUpdate = 9,
  // CREDENTIAL: defined by SPDY/3, removed by 3.1; skipped on receipt.
  kCredential = 10,
};

// Flags of SYN_STREAM / SYN_REPLY / HEADERS and of DATA frames.
inline constexpr uint8_t kFlagFin = 0x01;
inline constexpr uint8_t kFlagUnidirectional = 0x02;  // SYN_STREAM only
// SETTINGS frame flag.
inline constexpr uint8_t kFlagClearSettings = 0x01;

// RST_STREAM status codes.
enum class RstStatus : uint32_t {
  kProtocolError = 1,
  kInvalidStream = 2,
  kRefusedStream = 3,
  kUnsupportedVersion = 4,
  kCancel = 5,
  kInternalError = 6,
  kFlowControlError = 7,
  kStreamInUse = 8,
  kStreamAlreadyClosed = 9,
  kInvalidCredentials = 10,
  kFrameTooLarge = 11,
};

// GOAWAY status codes.
enum class GoAwayStatus : uint32_t {
  kOk = 0,
  kProtocolError = 1,
  kInternalError = 2,
};

// SETTINGS ids (24 bits on the wire, preceded by 8 bits of per-entry flags).
enum class SettingId : uint32_t {
  kUploadBandwidth = 1,
  kDownloadBandwidth = 2,
  kRoundTripTime = 3,
  kMaxConcurrentStreams = 4,
  kCurrentCwnd = 5,
  kDownloadRetransRate = 6,
  kInitialWindowSize = 7,
  kClientCertificateVectorSize = 8,
};

// One SETTINGS entry. `flags`: 0x1 PERSIST_VALUE, 0x2 PERSISTED.
struct Setting {
  uint32_t id = 0;  // SettingId, or an unknown id as received
  uint32_t value = 0;
  uint8_t flags = 0;

  friend bool operator==(const Setting&, const Setting&) = default;
};

// Big-endian helpers for the fixed-width fields of the framing layer.
inline void AppendU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void AppendU16(std::string* out, uint16_t v) {
  AppendU8(out, static_cast<uint8_t>(v >> 8));
  AppendU8(out, static_cast<uint8_t>(v));
}
inline void AppendU32(std::string* out, uint32_t v) {
  AppendU16(out, static_cast<uint16_t>(v >> 16));
  AppendU16(out, static_cast<uint16_t>(v));
}
inline uint32_t ReadU32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint32_t ReadU32(std::string_view s, size_t offset) {
  return ReadU32(reinterpret_cast<const unsigned char*>(s.data()) + offset);
}

// Human-readable names for logs and error messages.
std::string_view RstStatusName(RstStatus status);
std::string_view GoAwayStatusName(GoAwayStatus status);
std::string_view ControlTypeName(uint16_t type);

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_PROTOCOL_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/protocol.h"

namespace vkubelet::internal::spdy {

std::string_view RstStatusName(RstStatus status) {
  switch (status) {
    case RstStatus::kProtocolError: return "PROTOCOL_ERROR";
    case RstStatus::kInvalidStream: return "INVALID_STREAM";
    case RstStatus::kRefusedStream: return "REFUSED_STREAM";
    case RstStatus::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case RstStatus::kCancel: return "CANCEL";
    case RstStatus::kInternalError: return "INTERNAL_ERROR";
    case RstStatus::kFlowControlError: return "FLOW_CONTROL_ERROR";
    case RstStatus::kStreamInUse: return "STREAM_IN_USE";
    case RstStatus::kStreamAlreadyClosed: return "STREAM_ALREADY_CLOSED";
    case RstStatus::kInvalidCredentials: return "INVALID_CREDENTIALS";
    case RstStatus::kFrameTooLarge: return "FRAME_TOO_LARGE";
  }
  return "UNKNOWN";
}

std::string_view GoAwayStatusName(GoAwayStatus status) {
  switch (status) {
    case GoAwayStatus::kOk: return "OK";
    case GoAwayStatus::kProtocolError: return "PROTOCOL_ERROR";
    case GoAwayStatus::kInternalError: return "INTERNAL_ERROR";
  }
  return "UNKNOWN";
}

std::string_view ControlTypeName(uint16_t type) {
  switch (static_cast<ControlType>(type)) {
    case ControlType::kSynStream: return "SYN_STREAM";
    case ControlType::kSynReply: return "SYN_REPLY";
    case ControlType::kRstStream: return "RST_STREAM";
    case ControlType::kSettings: return "SETTINGS";
    case ControlType::kPing: return "PING";
    case ControlType::kGoAway: return "GOAWAY";
    case ControlType::kHeaders: return "HEADERS";
    case ControlType::kWindowUpdate: return "WINDOW_UPDATE";
    case ControlType::kCredential: return "CREDENTIAL";
  }
  return "UNKNOWN";
}

}  // namespace vkubelet::internal::spdy

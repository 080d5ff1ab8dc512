// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/session.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "api/spdy/frame_writer.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::spdy {
namespace {

// Frames on closed streams are answered with RST_STREAM once; the ids of the
// last this many resets are remembered so that frames still in flight are
// dropped quietly instead.
constexpr size_t kRememberedResets = 1024;

constexpr uint32_t kReservedBit = 0x80000000u;

uint32_t Clamp31(uint64_t v) { return static_cast<uint32_t>(std::min<uint64_t>(v, kMaxWindowSize)); }

}  // namespace

SpdySession::SpdySession(const SessionOptions& options, SessionVisitor* visitor)
    : options_(options),
      visitor_(visitor != nullptr ? visitor : &noop_visitor_),
      compressor_(options.compression_level),
      next_local_stream_id_(options.role == Role::kClient ? 1 : 2),
      next_ping_id_(options.role == Role::kClient ? 1 : 2) {
  output_released_ = options_.role == Role::kClient || !options_.server_speaks_after_client;
  options_.max_send_frame_size = std::clamp<uint32_t>(options_.max_send_frame_size, 1,
                                                      kMaxFrameLength);
  options_.initial_stream_window = Clamp31(options_.initial_stream_window);
  options_.session_window =
      std::max<uint32_t>(Clamp31(options_.session_window), kDefaultInitialWindow);
  if (options_.flow_control == FlowControlMode::kDisabled) return;
  const Setting settings[] = {
      {static_cast<uint32_t>(SettingId::kInitialWindowSize), options_.initial_stream_window, 0},
      {static_cast<uint32_t>(SettingId::kMaxConcurrentStreams), options_.max_concurrent_streams,
       0},
  };
  AppendSettings(&output_, settings).IgnoreError();
  if (options_.session_window > kDefaultInitialWindow) {
    AppendWindowUpdate(&output_, 0,
                       static_cast<uint32_t>(options_.session_window - kDefaultInitialWindow))
        .IgnoreError();
    session_recv_window_ = options_.session_window;
  }
}

SpdySession::~SpdySession() = default;

// ---------------------------------------------------------------------------
// Small helpers.

bool SpdySession::IsPeerId(uint32_t id) const {
  // Clients open odd streams, servers even ones.
  const bool odd = (id & 1) != 0;
  return options_.role == Role::kServer ? odd : !odd;
}

bool SpdySession::EnforcePeerStreamWindow() const {
  switch (options_.flow_control) {
    case FlowControlMode::kStrict: return true;
    case FlowControlMode::kAuto: return peer_stream_fc_;
    case FlowControlMode::kDisabled: return false;
  }
  return false;
}

bool SpdySession::EnforcePeerSessionWindow() const {
  switch (options_.flow_control) {
    case FlowControlMode::kStrict: return true;
    case FlowControlMode::kAuto: return peer_session_fc_;
    case FlowControlMode::kDisabled: return false;
  }
  return false;
}

size_t SpdySession::Available(const Stream& s) const {
  if (s.local_closed) return 0;
  int64_t avail = std::numeric_limits<int64_t>::max();
  if (EnforcePeerStreamWindow()) avail = std::min(avail, s.send_window);
  if (EnforcePeerSessionWindow()) avail = std::min(avail, session_send_window_);
  if (avail <= 0) return 0;
  if (avail == std::numeric_limits<int64_t>::max()) return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(avail);
}

SpdySession::Stream* SpdySession::Find(uint32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

const SpdySession::Stream* SpdySession::Find(uint32_t id) const {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : &it->second;
}

absl::Status SpdySession::CheckAlive() const {
  if (!status_.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: session is dead: ", status_.message()));
  }
  return absl::OkStatus();
}

bool SpdySession::IsStreamOpen(uint32_t stream_id) const { return Find(stream_id) != nullptr; }

std::vector<uint32_t> SpdySession::OpenStreamIds() const {
  std::vector<uint32_t> ids;
  ids.reserve(streams_.size());
  for (const auto& [id, s] : streams_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

size_t SpdySession::SendWindow(uint32_t stream_id) const {
  const Stream* s = Find(stream_id);
  return s == nullptr ? 0 : Available(*s);
}

std::string SpdySession::TakeOutput() {
  if (!output_released_) return {};
  std::string out;
  out.swap(output_);
  return out;
}

// ---------------------------------------------------------------------------
// Errors and bookkeeping.

void SpdySession::SessionError(absl::Status error, GoAwayStatus goaway) {
  if (!goaway_sent_) {
    AppendGoAway(&output_, last_peer_stream_id_, goaway).IgnoreError();
    goaway_sent_ = true;
  }
  if (status_.ok()) status_ = std::move(error);
  state_ = ParseState::kDead;
}

absl::Status SpdySession::Fatal(absl::Status error) {
  SessionError(error, GoAwayStatus::kInternalError);
  return error;
}

void SpdySession::RememberReset(uint32_t stream_id) {
  if (!reset_ids_.insert(stream_id).second) return;
  reset_order_.push_back(stream_id);
  if (reset_order_.size() > kRememberedResets) {
    reset_ids_.erase(reset_order_.front());
    reset_order_.pop_front();
  }
}

bool SpdySession::RecentlyReset(uint32_t stream_id) const {
  return reset_ids_.contains(stream_id);
}

bool SpdySession::WasOpened(uint32_t stream_id) const {
  return IsPeerId(stream_id) ? stream_id <= last_peer_stream_id_
                             : stream_id < next_local_stream_id_;
}

void SpdySession::SendRst(uint32_t stream_id, RstStatus status) {
  AppendRstStream(&output_, stream_id, status).IgnoreError();
  RememberReset(stream_id);
}

void SpdySession::ResetFromFeed(uint32_t stream_id, RstStatus status) {
  SendRst(stream_id, status);
  if (Find(stream_id) != nullptr) {
    Erase(stream_id);
    visitor_->OnStreamReset(stream_id, status, /*by_peer=*/false);
  }
}

void SpdySession::Erase(uint32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  const Stream& s = it->second;
  // Bytes the consumer still holds will never be reported for a stream that
  // is gone: give them back to the session window now.
  unconsumed_total_ -= s.unconsumed;
  const uint64_t release = s.unconsumed;
  if (s.local) {
    --local_streams_open_;
  } else {
    --peer_streams_open_;
  }
  streams_.erase(it);
  CreditSession(release);
}

void SpdySession::MaybeEraseClosed(uint32_t stream_id) {
  const Stream* s = Find(stream_id);
  if (s != nullptr && s->local_closed && s->remote_closed) Erase(stream_id);
}

void SpdySession::CreditSession(uint64_t bytes) {
  if (options_.flow_control == FlowControlMode::kDisabled || bytes == 0) return;
  session_pending_update_ += bytes;
  const uint64_t threshold = std::max<uint64_t>(1, options_.session_window / 2);
  if (session_pending_update_ < threshold || !status_.ok()) return;
  const uint32_t delta = Clamp31(session_pending_update_);
  AppendWindowUpdate(&output_, 0, delta).IgnoreError();
  session_recv_window_ += delta;
  session_pending_update_ -= delta;
}

// ---------------------------------------------------------------------------
// Input.

absl::Status SpdySession::Feed(std::string_view bytes) {
  if (in_feed_) {
    return absl::FailedPreconditionError("spdy: Feed() called from a session callback");
  }
  if (!status_.ok()) return status_;
  if (input_finished_) return absl::FailedPreconditionError("spdy: Feed() after FinishInput()");
  if (!bytes.empty()) output_released_ = true;  // the client has read our 101
  in_feed_ = true;
  while (!bytes.empty() && state_ != ParseState::kDead) {
    switch (state_) {
      case ParseState::kFrameHeader: {
        const size_t n = std::min(kFrameHeaderSize - header_buf_.size(), bytes.size());
        header_buf_.append(bytes.data(), n);
        bytes.remove_prefix(n);
        if (header_buf_.size() == kFrameHeaderSize) OnFrameHeader();
        break;
      }
      case ParseState::kControlPayload: {
        const size_t n = std::min<size_t>(cur_length_ - payload_buf_.size(), bytes.size());
        payload_buf_.append(bytes.data(), n);
        bytes.remove_prefix(n);
        if (payload_buf_.size() == cur_length_) {
          state_ = ParseState::kFrameHeader;
          ProcessControlFrame();
          payload_buf_.clear();
        }
        break;
      }
      case ParseState::kDataPayload:
      case ParseState::kSkipPayload: {
        const size_t n = std::min<size_t>(remaining_, bytes.size());
        const std::string_view chunk = bytes.substr(0, n);
        bytes.remove_prefix(n);
        remaining_ -= static_cast<uint32_t>(n);
        const bool last = remaining_ == 0;
        const bool deliver = state_ == ParseState::kDataPayload;
        if (last) state_ = ParseState::kFrameHeader;
        if (deliver) DeliverData(chunk, last);
        break;
      }
      case ParseState::kDead:
        break;
    }
  }
  in_feed_ = false;
  return status_;
}

absl::Status SpdySession::FinishInput() {
  if (in_feed_) {
    return absl::FailedPreconditionError("spdy: FinishInput() called from a session callback");
  }
  if (input_finished_) return status_;
  input_finished_ = true;
  if (!status_.ok()) return status_;
  std::string where;
  if (!header_buf_.empty()) {
    where = absl::StrCat("a frame header (", header_buf_.size(), " of 8 bytes received)");
  } else if (state_ == ParseState::kControlPayload) {
    where = absl::StrCat("a ", ToAbsl(ControlTypeName(cur_type_)), " frame (", payload_buf_.size(),
                         " of ", cur_length_, " payload bytes received)");
  } else if (state_ == ParseState::kDataPayload || state_ == ParseState::kSkipPayload) {
    where = absl::StrCat("a frame on stream ", cur_stream_, " (", cur_length_ - remaining_,
                         " of ", cur_length_, " payload bytes received)");
  }
  if (!where.empty()) {
    status_ = absl::DataLossError(absl::StrCat("spdy: connection closed inside ", where));
    state_ = ParseState::kDead;
  }
  return status_;
}

void SpdySession::OnFrameHeader() {
  const uint32_t word0 = ReadU32(header_buf_, 0);
  const uint32_t word1 = ReadU32(header_buf_, 4);
  header_buf_.clear();
  const uint8_t flags = static_cast<uint8_t>(word1 >> 24);
  const uint32_t length = word1 & kMaxFrameLength;

  if ((word0 & kReservedBit) == 0) {
    const uint32_t stream_id = word0;
    if (stream_id == 0) {
      SessionError(absl::InvalidArgumentError("spdy: DATA frame on stream 0"));
      return;
    }
    BeginDataFrame(stream_id, flags, length);
    return;
  }

  const uint16_t version = static_cast<uint16_t>((word0 >> 16) & 0x7fff);
  const uint16_t type = static_cast<uint16_t>(word0 & 0xffff);
  if (version != kSpdyVersion) {
    SessionError(absl::InvalidArgumentError(absl::StrCat(
        "spdy: control frame (type ", type, ") has version ", version, ", expected 3")));
    return;
  }
  cur_type_ = type;
  cur_flags_ = flags;
  cur_length_ = length;

  uint32_t min_length = 0;
  std::optional<uint32_t> exact_length;
  switch (static_cast<ControlType>(type)) {
    case ControlType::kSynStream: min_length = 10; break;
    case ControlType::kSynReply:
    case ControlType::kHeaders: min_length = 4; break;
    case ControlType::kSettings:
      min_length = 4;
      if (length >= 4 && (length - 4) % 8 != 0) exact_length = length - (length - 4) % 8;
      break;
    case ControlType::kRstStream:
    case ControlType::kGoAway:
    case ControlType::kWindowUpdate: exact_length = 8; break;
    case ControlType::kPing: exact_length = 4; break;
    case ControlType::kCredential:
    default:
      // Unknown control frames (and CREDENTIAL, dropped by SPDY/3.1) are
      // skipped without being buffered.
      remaining_ = length;
      state_ = length == 0 ? ParseState::kFrameHeader : ParseState::kSkipPayload;
      return;
  }
  if (length < min_length || (exact_length && length != *exact_length)) {
    SessionError(absl::InvalidArgumentError(absl::StrCat(
        "spdy: ", ToAbsl(ControlTypeName(type)), " frame with invalid length ", length,
        exact_length ? absl::StrCat(" (expected ", *exact_length, ")")
                     : absl::StrCat(" (expected at least ", min_length, ")"))));
    return;
  }
  if (length > options_.max_control_frame_size) {
    SessionError(absl::ResourceExhaustedError(
        absl::StrCat("spdy: ", ToAbsl(ControlTypeName(type)), " frame of ", length,
                     " bytes exceeds the limit of ", options_.max_control_frame_size)));
    return;
  }
  payload_buf_.clear();
  payload_buf_.reserve(length);
  state_ = ParseState::kControlPayload;
}

void SpdySession::BeginDataFrame(uint32_t stream_id, uint8_t flags, uint32_t length) {
  cur_type_ = 0;
  cur_stream_ = stream_id;
  cur_flags_ = flags;
  cur_length_ = length;
  remaining_ = length;
  cur_deliver_ = false;

  session_recv_window_ -= length;
  if (options_.flow_control == FlowControlMode::kStrict && session_recv_window_ < 0) {
    SessionError(absl::ResourceExhaustedError(
        absl::StrCat("spdy: peer overran the session flow-control window by ",
                     -session_recv_window_, " bytes")));
    return;
  }

  std::optional<RstStatus> reject;
  Stream* s = Find(stream_id);
  const bool known = s != nullptr;
  if (!known) {
    if (!RecentlyReset(stream_id)) {
      reject = WasOpened(stream_id) ? RstStatus::kStreamAlreadyClosed : RstStatus::kInvalidStream;
    }
  } else if (s->remote_closed) {
    reject = RstStatus::kStreamAlreadyClosed;
  } else if (length > options_.max_data_frame_size) {
    reject = RstStatus::kFrameTooLarge;
  } else {
    s->recv_window -= length;
    if (options_.flow_control == FlowControlMode::kStrict && s->recv_window < 0) {
      reject = RstStatus::kFlowControlError;
    }
  }
  if (reject) {
    if (known) {
      ResetFromFeed(stream_id, *reject);
    } else {
      SendRst(stream_id, *reject);
    }
  }
  cur_deliver_ = known && !reject;
  // Bytes that will never reach a consumer go straight back to the session.
  if (!cur_deliver_) CreditSession(length);

  if (length == 0) {
    state_ = ParseState::kFrameHeader;
    if (cur_deliver_) DeliverData({}, /*last=*/true);
    return;
  }
  state_ = cur_deliver_ ? ParseState::kDataPayload : ParseState::kSkipPayload;
}

void SpdySession::DeliverData(std::string_view chunk, bool last) {
  Stream* s = Find(cur_stream_);
  if (s == nullptr) {
    // The consumer reset the stream in the middle of this frame.
    CreditSession(chunk.size());
    return;
  }
  s->unconsumed += chunk.size();
  unconsumed_total_ += chunk.size();
  const bool fin = last && (cur_flags_ & kFlagFin) != 0;
  if (fin) s->remote_closed = true;
  const uint32_t id = cur_stream_;
  visitor_->OnData(id, chunk, fin);
  if (fin) MaybeEraseClosed(id);
}

absl::StatusOr<std::string> SpdySession::DecompressBlock(std::string_view compressed) {
  absl::StatusOr<std::string> block =
      decompressor_.Decompress(compressed, options_.max_header_block_size);
  if (!block.ok()) {
    SessionError(absl::Status(block.status().code(),
                              absl::StrCat("spdy: cannot decode the header block of a ",
                                           ToAbsl(ControlTypeName(cur_type_)), ": ",
                                           block.status().message())));
  }
  return block;
}

void SpdySession::ProcessControlFrame() {
  const std::string_view p = payload_buf_;
  switch (static_cast<ControlType>(cur_type_)) {
    case ControlType::kSynStream: HandleSynStream(p); break;
    case ControlType::kSynReply: HandleSynReplyOrHeaders(p, /*is_reply=*/true); break;
    case ControlType::kHeaders: HandleSynReplyOrHeaders(p, /*is_reply=*/false); break;
    case ControlType::kRstStream: HandleRstStream(p); break;
    case ControlType::kSettings: HandleSettings(p); break;
    case ControlType::kPing: HandlePing(p); break;
    case ControlType::kGoAway: HandleGoAway(p); break;
    case ControlType::kWindowUpdate: HandleWindowUpdate(p); break;
    case ControlType::kCredential: break;
  }
}

void SpdySession::HandleSynStream(std::string_view p) {
  const uint32_t raw_id = ReadU32(p, 0);
  const uint32_t raw_assoc = ReadU32(p, 4);
  const uint8_t priority = static_cast<uint8_t>(static_cast<unsigned char>(p[8]) >> 5);
  // The block belongs to the direction's zlib stream whatever becomes of the
  // stream, so it is always inflated first.
  absl::StatusOr<std::string> block = DecompressBlock(p.substr(10));
  if (!block.ok()) return;
  if ((raw_id | raw_assoc) & kReservedBit) {
    SessionError(absl::InvalidArgumentError("spdy: reserved bit set in a SYN_STREAM stream id"));
    return;
  }
  if (raw_id == 0) {
    SessionError(absl::InvalidArgumentError("spdy: SYN_STREAM with stream id 0"));
    return;
  }
  const uint32_t id = raw_id;
  if (goaway_sent_) return;  // after our GOAWAY new streams are ignored
  if (!IsPeerId(id)) {
    SendRst(id, RstStatus::kProtocolError);
    return;
  }
  if (id <= last_peer_stream_id_) {
    if (Find(id) != nullptr) {
      ResetFromFeed(id, RstStatus::kStreamInUse);
    } else {
      SendRst(id, RstStatus::kProtocolError);
    }
    return;
  }
  last_peer_stream_id_ = id;
  absl::StatusOr<Headers> headers = ParseHeaderBlock(*block);
  if (!headers.ok()) {
    SendRst(id, RstStatus::kProtocolError);
    return;
  }
  if (peer_streams_open_ >= options_.max_concurrent_streams) {
    SendRst(id, RstStatus::kRefusedStream);
    return;
  }
  IncomingStream event;
  event.stream_id = id;
  event.associated_stream_id = raw_assoc;
  event.priority = priority;
  event.fin = (cur_flags_ & kFlagFin) != 0;
  event.unidirectional = (cur_flags_ & kFlagUnidirectional) != 0;
  event.headers = *std::move(headers);

  Stream s;
  s.id = id;
  s.local = false;
  s.remote_closed = event.fin;
  s.local_closed = event.unidirectional;
  s.send_window = peer_initial_window_;
  s.recv_window = options_.initial_stream_window;
  streams_.emplace(id, s);
  ++peer_streams_open_;
  visitor_->OnStreamOpened(event);
  MaybeEraseClosed(id);
}

void SpdySession::HandleSynReplyOrHeaders(std::string_view p, bool is_reply) {
  const uint32_t raw_id = ReadU32(p, 0);
  absl::StatusOr<std::string> block = DecompressBlock(p.substr(4));
  if (!block.ok()) return;
  const std::string_view what = ControlTypeName(cur_type_);
  if (raw_id & kReservedBit) {
    SessionError(absl::InvalidArgumentError(
        absl::StrCat("spdy: reserved bit set in a ", ToAbsl(what), " stream id")));
    return;
  }
  if (raw_id == 0) {
    SessionError(absl::InvalidArgumentError(absl::StrCat("spdy: ", ToAbsl(what), " on stream 0")));
    return;
  }
  const uint32_t id = raw_id;
  Stream* s = Find(id);
  if (s == nullptr) {
    if (!RecentlyReset(id)) {
      SendRst(id, WasOpened(id) ? RstStatus::kStreamAlreadyClosed : RstStatus::kInvalidStream);
    }
    return;
  }
  if (is_reply && !s->local) {
    ResetFromFeed(id, RstStatus::kProtocolError);
    return;
  }
  if (is_reply && s->replied) {
    ResetFromFeed(id, RstStatus::kStreamInUse);
    return;
  }
  if (s->remote_closed) {
    ResetFromFeed(id, RstStatus::kStreamAlreadyClosed);
    return;
  }
  absl::StatusOr<Headers> headers = ParseHeaderBlock(*block);
  if (!headers.ok()) {
    ResetFromFeed(id, RstStatus::kProtocolError);
    return;
  }
  if (is_reply) s->replied = true;
  const bool fin = (cur_flags_ & kFlagFin) != 0;
  if (fin) s->remote_closed = true;
  visitor_->OnHeaders(id, *headers, fin, is_reply);
  if (fin) MaybeEraseClosed(id);
}

void SpdySession::HandleRstStream(std::string_view p) {
  const uint32_t raw_id = ReadU32(p, 0);
  const uint32_t status = ReadU32(p, 4);
  if (raw_id & kReservedBit) {
    SessionError(absl::InvalidArgumentError("spdy: reserved bit set in a RST_STREAM stream id"));
    return;
  }
  if (raw_id == 0) {
    SessionError(absl::InvalidArgumentError("spdy: RST_STREAM on stream 0"));
    return;
  }
  if (status == 0) {
    SessionError(absl::InvalidArgumentError("spdy: RST_STREAM with status 0"));
    return;
  }
  // Never answer a RST_STREAM; frames still in flight are dropped.
  RememberReset(raw_id);
  if (Find(raw_id) == nullptr) return;
  Erase(raw_id);
  visitor_->OnStreamReset(raw_id, static_cast<RstStatus>(status), /*by_peer=*/true);
}

void SpdySession::HandleSettings(std::string_view p) {
  const uint32_t count = ReadU32(p, 0);
  const size_t carried = (p.size() - 4) / 8;
  if (count != carried) {
    SessionError(absl::InvalidArgumentError(absl::StrCat(
        "spdy: SETTINGS declares ", count, " entries but carries ", carried)));
    return;
  }
  std::vector<Setting> settings;
  settings.reserve(count);
  for (size_t i = 0; i < carried; ++i) {
    const uint32_t flags_and_id = ReadU32(p, 4 + 8 * i);
    Setting s{flags_and_id & 0xffffff, ReadU32(p, 8 + 8 * i),
              static_cast<uint8_t>(flags_and_id >> 24)};
    if (s.id == static_cast<uint32_t>(SettingId::kInitialWindowSize)) {
      if (s.value > kMaxWindowSize) {
        SessionError(absl::InvalidArgumentError(absl::StrCat(
            "spdy: SETTINGS_INITIAL_WINDOW_SIZE ", s.value, " exceeds 2^31-1")));
        return;
      }
      // A new initial window shifts every open stream's send window.
      const int64_t delta = int64_t{s.value} - peer_initial_window_;
      for (auto& [id, stream] : streams_) stream.send_window += delta;
      peer_initial_window_ = s.value;
      peer_stream_fc_ = true;
    } else if (s.id == static_cast<uint32_t>(SettingId::kMaxConcurrentStreams)) {
      peer_max_concurrent_ = s.value;
    }
    settings.push_back(s);
  }
  visitor_->OnSettings(settings);
  NotifyWindowsAvailable();
}

void SpdySession::HandlePing(std::string_view p) {
  if (cur_flags_ != 0) {
    SessionError(absl::InvalidArgumentError("spdy: PING with non-zero flags"));
    return;
  }
  const uint32_t id = ReadU32(p, 0);
  if (id == 0) {
    SessionError(absl::InvalidArgumentError("spdy: PING with id 0"));
    return;
  }
  const bool own_parity = ((id & 1) != 0) == (options_.role == Role::kClient);
  if (own_parity) {
    // An answer; pings this side never sent are ignored.
    if (outstanding_pings_.erase(id) > 0) visitor_->OnPing(id, /*is_reply=*/true);
    return;
  }
  AppendPing(&output_, id).IgnoreError();
  visitor_->OnPing(id, /*is_reply=*/false);
}

void SpdySession::HandleGoAway(std::string_view p) {
  if (cur_flags_ != 0) {
    SessionError(absl::InvalidArgumentError("spdy: GOAWAY with non-zero flags"));
    return;
  }
  const uint32_t raw_last = ReadU32(p, 0);
  const uint32_t status = ReadU32(p, 4);
  if (raw_last & kReservedBit) {
    SessionError(absl::InvalidArgumentError("spdy: reserved bit set in a GOAWAY stream id"));
    return;
  }
  goaway_received_ = true;
  visitor_->OnGoAway(raw_last, static_cast<GoAwayStatus>(status));
  // Streams this side opened above the last one the peer processed never
  // reached it.
  std::vector<uint32_t> refused;
  for (const auto& [id, s] : streams_) {
    if (s.local && id > raw_last) refused.push_back(id);
  }
  std::sort(refused.begin(), refused.end());
  for (uint32_t id : refused) {
    if (Find(id) == nullptr) continue;
    Erase(id);
    RememberReset(id);
    visitor_->OnStreamReset(id, RstStatus::kRefusedStream, /*by_peer=*/true);
  }
}

void SpdySession::HandleWindowUpdate(std::string_view p) {
  if (cur_flags_ != 0) {
    SessionError(absl::InvalidArgumentError("spdy: WINDOW_UPDATE with non-zero flags"));
    return;
  }
  const uint32_t raw_id = ReadU32(p, 0);
  const uint32_t raw_delta = ReadU32(p, 4);
  if ((raw_id | raw_delta) & kReservedBit) {
    SessionError(absl::InvalidArgumentError("spdy: reserved bit set in a WINDOW_UPDATE"));
    return;
  }
  if (raw_id == 0) {
    if (raw_delta == 0) {
      SessionError(absl::InvalidArgumentError("spdy: session WINDOW_UPDATE with delta 0"));
      return;
    }
    peer_session_fc_ = true;
    session_send_window_ += raw_delta;
    if (session_send_window_ > kMaxWindowSize) {
      SessionError(absl::InvalidArgumentError(
          "spdy: peer grew the session flow-control window beyond 2^31-1"));
      return;
    }
  } else {
    peer_stream_fc_ = true;
    Stream* s = Find(raw_id);
    if (s == nullptr) return;  // closed meanwhile
    if (raw_delta == 0) {
      ResetFromFeed(raw_id, RstStatus::kProtocolError);
      return;
    }
    s->send_window += raw_delta;
    if (s->send_window > kMaxWindowSize) {
      ResetFromFeed(raw_id, RstStatus::kFlowControlError);
      return;
    }
  }
  NotifyWindowsAvailable();
}

void SpdySession::NotifyWindowsAvailable() {
  std::vector<uint32_t> ids;
  for (const auto& [id, s] : streams_) {
    if (s.blocked && Available(s) > 0) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  for (uint32_t id : ids) {
    Stream* s = Find(id);
    if (s == nullptr || !s->blocked) continue;
    const size_t avail = Available(*s);
    if (avail == 0) continue;
    s->blocked = false;
    visitor_->OnWindowAvailable(id, avail);
  }
}

// ---------------------------------------------------------------------------
// Output.

absl::StatusOr<uint32_t> SpdySession::OpenStream(const Headers& headers,
                                                 const OpenStreamOptions& options) {
  VK_RETURN_IF_ERROR(CheckAlive());
  if (goaway_sent_ || goaway_received_) {
    return absl::FailedPreconditionError("spdy: cannot open a stream after GOAWAY");
  }
  if (local_streams_open_ >= peer_max_concurrent_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "spdy: the peer allows at most ", peer_max_concurrent_, " concurrent streams"));
  }
  if (next_local_stream_id_ > kMaxStreamId) {
    return absl::ResourceExhaustedError("spdy: stream ids exhausted");
  }
  const uint32_t id = next_local_stream_id_;
  SynStreamParams params;
  params.stream_id = id;
  params.associated_stream_id = options.associated_stream_id;
  params.priority = options.priority;
  params.fin = options.fin;
  params.unidirectional = options.unidirectional;
  std::string frame;
  if (absl::Status st = AppendSynStream(&frame, compressor_, params, headers); !st.ok()) {
    return st.code() == absl::StatusCode::kInternal ? Fatal(st) : st;
  }
  output_.append(frame);
  next_local_stream_id_ += 2;
  if (options.fin && options.unidirectional) return id;  // closed both ways already
  Stream s;
  s.id = id;
  s.local = true;
  s.local_closed = options.fin;
  s.remote_closed = options.unidirectional;
  s.send_window = peer_initial_window_;
  s.recv_window = options_.initial_stream_window;
  streams_.emplace(id, s);
  ++local_streams_open_;
  return id;
}

absl::Status SpdySession::Reply(uint32_t stream_id, const Headers& headers, bool fin) {
  VK_RETURN_IF_ERROR(CheckAlive());
  Stream* s = Find(stream_id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("spdy: no open stream ", stream_id));
  if (s->local) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spdy: stream ", stream_id, " was opened by this side; only peer streams take a reply"));
  }
  if (s->replied) {
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: stream ", stream_id, " was already replied to"));
  }
  std::string frame;
  if (absl::Status st = AppendSynReply(&frame, compressor_, stream_id, fin, headers); !st.ok()) {
    return st.code() == absl::StatusCode::kInternal ? Fatal(st) : st;
  }
  output_.append(frame);
  s->replied = true;
  if (fin) {
    s->local_closed = true;
    MaybeEraseClosed(stream_id);
  }
  return absl::OkStatus();
}

absl::Status SpdySession::SendHeaders(uint32_t stream_id, const Headers& headers, bool fin) {
  VK_RETURN_IF_ERROR(CheckAlive());
  Stream* s = Find(stream_id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("spdy: no open stream ", stream_id));
  if (s->local_closed) {
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: stream ", stream_id, " is half-closed on this side"));
  }
  if (!s->local && !s->replied) {
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: Reply() to stream ", stream_id, " before sending HEADERS"));
  }
  std::string frame;
  if (absl::Status st = AppendHeaders(&frame, compressor_, stream_id, fin, headers); !st.ok()) {
    return st.code() == absl::StatusCode::kInternal ? Fatal(st) : st;
  }
  output_.append(frame);
  if (fin) {
    s->local_closed = true;
    MaybeEraseClosed(stream_id);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> SpdySession::SendData(uint32_t stream_id, std::string_view data,
                                             bool fin) {
  VK_RETURN_IF_ERROR(CheckAlive());
  Stream* s = Find(stream_id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("spdy: no open stream ", stream_id));
  if (s->local_closed) {
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: stream ", stream_id, " is half-closed on this side"));
  }
  if (!s->local && !s->replied) {
    // spdystream drops DATA that precedes the SYN_REPLY.
    return absl::FailedPreconditionError(
        absl::StrCat("spdy: Reply() to stream ", stream_id, " before sending data"));
  }
  if (data.empty() && !fin) return size_t{0};
  const size_t take = std::min(data.size(), Available(*s));
  if (take == 0 && !data.empty()) {
    s->blocked = true;
    return size_t{0};
  }
  const bool send_fin = fin && take == data.size();
  size_t offset = 0;
  do {
    const size_t n = std::min<size_t>(take - offset, options_.max_send_frame_size);
    const bool last = offset + n == take;
    AppendDataFrame(&output_, stream_id, data.substr(offset, n), last && send_fin).IgnoreError();
    offset += n;
  } while (offset < take);
  s->send_window -= static_cast<int64_t>(take);
  session_send_window_ -= static_cast<int64_t>(take);
  if (take < data.size()) s->blocked = true;
  if (send_fin) {
    s->local_closed = true;
    MaybeEraseClosed(stream_id);
  }
  return take;
}

absl::Status SpdySession::HalfClose(uint32_t stream_id) {
  return SendData(stream_id, {}, /*fin=*/true).status();
}

absl::Status SpdySession::Reset(uint32_t stream_id, RstStatus status) {
  VK_RETURN_IF_ERROR(CheckAlive());
  if (Find(stream_id) == nullptr) {
    return absl::NotFoundError(absl::StrCat("spdy: no open stream ", stream_id));
  }
  SendRst(stream_id, status);
  Erase(stream_id);
  return absl::OkStatus();
}

void SpdySession::Consumed(uint32_t stream_id, size_t bytes) {
  Stream* s = Find(stream_id);
  if (s == nullptr || bytes == 0) return;
  const uint64_t n = std::min<uint64_t>(bytes, s->unconsumed);
  s->unconsumed -= n;
  unconsumed_total_ -= n;
  if (options_.flow_control == FlowControlMode::kDisabled || !status_.ok()) return;
  s->pending_update += n;
  const uint64_t threshold = std::max<uint64_t>(1, options_.initial_stream_window / 2);
  if (!s->remote_closed && s->pending_update >= threshold) {
    const uint32_t delta = Clamp31(s->pending_update);
    AppendWindowUpdate(&output_, stream_id, delta).IgnoreError();
    s->recv_window += delta;
    s->pending_update -= delta;
  }
  CreditSession(n);
}

absl::StatusOr<uint32_t> SpdySession::Ping() {
  VK_RETURN_IF_ERROR(CheckAlive());
  const uint32_t id = next_ping_id_;
  // Same wrap-around as spdystream: stay within 31 bits, keep the parity.
  next_ping_id_ = next_ping_id_ > 0x7ffffffe ? next_ping_id_ - 0x7ffffffe : next_ping_id_ + 2;
  AppendPing(&output_, id).IgnoreError();
  outstanding_pings_.insert(id);
  return id;
}

absl::Status SpdySession::SendSettings(std::span<const Setting> settings) {
  VK_RETURN_IF_ERROR(CheckAlive());
  std::string frame;
  VK_RETURN_IF_ERROR(AppendSettings(&frame, settings));
  output_.append(frame);
  return absl::OkStatus();
}

absl::Status SpdySession::GoAway(GoAwayStatus status) {
  VK_RETURN_IF_ERROR(CheckAlive());
  if (goaway_sent_) return absl::OkStatus();
  VK_RETURN_IF_ERROR(AppendGoAway(&output_, last_peer_stream_id_, status));
  goaway_sent_ = true;
  return absl::OkStatus();
}

}  // namespace vkubelet::internal::spdy

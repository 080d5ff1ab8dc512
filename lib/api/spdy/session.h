// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// SpdySession: a sans-I/O SPDY/3.1 session engine. It owns no socket: the
// transport hands received bytes to Feed() (in any chunking) and writes out
// whatever TakeOutput() returns. Events are reported to a SessionVisitor
// from inside Feed(). This is what the kubelet API server runs after
// "Upgrade: SPDY/3.1" (exec, attach, port-forward) and inside the
// SPDY-over-WebSocket tunnel of port-forward (see wsstream/tunnel.h).
//
// ---------------------------------------------------------------------------
// What the Go peers actually do on the wire (read from moby/spdystream
// connection.go, stream.go, spdy/{types,read,write}.go, and
// k8s.io/apimachinery/pkg/util/httpstream/spdy/connection.go):
//
// * Framing is SPDY/3 (version field 3). Header blocks use zlib level 9 with
//   the SPDY/3 dictionary, ONE compression stream per direction, a sync flush
//   after every block. Names are written lower-case ("streamtype", "port",
//   "requestid"). On read, Go treats as fatal (its read loop ends and the
//   connection is dropped): an upper-case or repeated header name, a header
//   block that does not consume exactly its frame, stream id 0 in
//   SYN_STREAM/SYN_REPLY/HEADERS/DATA/RST_STREAM, RST status 0, PING id 0,
//   non-zero flags or a length other than 8 on GOAWAY/WINDOW_UPDATE, and the
//   hop-by-hop headers connection/host/keep-alive/proxy-connection/
//   transfer-encoding. This engine never sends any of those.
// * Stream ids: client odd starting at 1, server even starting at 2, +2 per
//   stream. A SYN_STREAM whose id is not above the previous one gets
//   RST_STREAM(PROTOCOL_ERROR). In Kubernetes streaming only the client
//   (apiserver/kubectl) opens streams.
// * PING ids: client odd, server even. A PING of the other side's parity is
//   echoed unchanged; one of its own parity completes a Ping() call.
//   client-go pings every 5 s (NewClientConnectionWithPings); the server must
//   answer. This engine answers automatically.
// * Flow control: NONE. spdystream never sends SETTINGS or WINDOW_UPDATE and
//   ignores both when received ("unhandled frame type"); it has no stream or
//   session window (SPDY/3.1's session window on stream 0 included). Each
//   Write() on a stream becomes one DATA frame of up to 2^24-1 bytes (client
//   code mostly writes 32 KiB, io.Copy's buffer). Back-pressure is TCP's: a
//   slow stream reader blocks spdystream's frame handlers and so the socket.
// * httpstream/spdy answers every accepted stream with an empty SYN_REPLY
//   (fin=false) and refuses one with RST_STREAM(CANCEL). Stream Close() sends
//   an empty DATA frame with FIN, Reset() sends RST_STREAM(CANCEL),
//   Connection.Close() sends GOAWAY(OK). spdystream drops DATA and HEADERS
//   that arrive on a stream it opened before that stream's SYN_REPLY, so this
//   engine refuses to send DATA/HEADERS on a peer-opened stream before
//   Reply().
// * No initial SETTINGS from either side, and the server never speaks first.
//   That matters: client-go's SpdyRoundTripper reads the "101 Switching
//   Protocols" response through a bufio.Reader and then hands the raw
//   connection to spdystream, so bytes a server sends right behind the 101
//   can be swallowed by that buffer — a frame cut in two there desynchronises
//   the client for good. A server-role session therefore holds all output
//   until the client's first bytes arrive (server_speaks_after_client).
//
// What this engine does:
// * Feed() parses any chunking; DATA payloads are delivered as they arrive
//   (a 16 MiB frame is never buffered whole); control frames are buffered up
//   to SessionOptions::max_control_frame_size.
// * Flow control, chosen by SessionOptions::flow_control:
//   - kAuto (default): at start sends SETTINGS(INITIAL_WINDOW_SIZE,
//     MAX_CONCURRENT_STREAMS) and a WINDOW_UPDATE on stream 0 growing the
//     session window to SessionOptions::session_window, then WINDOW_UPDATEs
//     as the consumer reports Consumed() bytes. spdystream ignores all of
//     this. The peer's windows bind this side's SendData() only once the peer
//     shows that it does flow control: stream windows after it sends
//     SETTINGS(INITIAL_WINDOW_SIZE) or any WINDOW_UPDATE, the session window
//     after it sends a WINDOW_UPDATE for stream 0 (two kAuto sessions do both
//     at start, so they flow-control each other fully). Data received beyond
//     the windows we granted is accepted: against spdystream the transport
//     must stop reading while UnconsumedBytes() is large — the only
//     back-pressure a Go peer understands.
//   - kStrict: SPDY/3.1 as specified: 64 KiB initial stream and session
//     windows bind SendData() from the start; received data beyond a granted
//     window is RST_STREAM(FLOW_CONTROL_ERROR) (stream) or a session error.
//   - kDisabled: spdystream's behaviour: no SETTINGS, no WINDOW_UPDATE, no
//     limits in either direction.
// * Stream-level protocol errors reset only the stream, and never answer a
//   frame on a stream this side has already reset (no RST storms):
//     DATA/HEADERS on an id never opened          -> RST INVALID_STREAM
//     DATA/HEADERS after the peer's FIN or on a closed stream
//                                                 -> RST STREAM_ALREADY_CLOSED
//     SYN_STREAM with our parity / non-increasing -> RST PROTOCOL_ERROR
//     SYN_STREAM on an id that is open            -> RST STREAM_IN_USE
//     malformed (but decompressible) header block -> RST PROTOCOL_ERROR
//     too many peer streams                       -> RST REFUSED_STREAM
//     DATA frame above max_data_frame_size        -> RST FRAME_TOO_LARGE
//   DATA and HEADERS on a stream this side opened are delivered even before
//   its SYN_REPLY (spdystream would drop them; nothing is lost by taking them).
//   Session-level errors (bad version, bad lengths, reserved bits set, control
//   frames above the limit, zero ids where Go forbids them, a corrupt or
//   oversized compressed header block) queue GOAWAY(PROTOCOL_ERROR) and make
//   Feed() return the error; the session is then dead (status()).
//
// Thread safety: none; one thread (or strand) drives a session.
// ---------------------------------------------------------------------------

#ifndef VKUBELET_LIB_API_SPDY_SESSION_H_
#define VKUBELET_LIB_API_SPDY_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/spdy/compression.h"
#include "api/spdy/headers.h"
#include "api/spdy/protocol.h"

namespace vkubelet::internal::spdy {

enum class Role { kClient, kServer };

enum class FlowControlMode { kAuto, kStrict, kDisabled };

struct SessionOptions {
  Role role = Role::kServer;
  FlowControlMode flow_control = FlowControlMode::kAuto;
  // Receive window granted to each stream (announced with
  // SETTINGS_INITIAL_WINDOW_SIZE). Keep it >= 64 KiB with kStrict: a peer may
  // send that much before it sees our SETTINGS.
  uint32_t initial_stream_window = 64 * 1024;
  // Session-wide receive window (SPDY/3.1 starts at 64 KiB; a larger value is
  // announced with a WINDOW_UPDATE on stream 0).
  uint32_t session_window = 1024 * 1024;
  // Streams the peer may have open at once; more are refused. Port-forward
  // uses two streams per forwarded connection and spdystream sets no limit,
  // so keep this generous.
  uint32_t max_concurrent_streams = 1000;
  // Largest DATA payload accepted from the peer. The default is the protocol
  // maximum because spdystream writes each Write() as one frame.
  uint32_t max_data_frame_size = kMaxFrameLength;
  // Largest control frame accepted (SYN_STREAM, SETTINGS, ...).
  uint32_t max_control_frame_size = 256 * 1024;
  // Largest header block after decompression (decompression-bomb bound).
  uint32_t max_header_block_size = 256 * 1024;
  // DATA frames this side sends carry at most this many bytes.
  uint32_t max_send_frame_size = 32 * 1024;
  // zlib level of outgoing header blocks (Go uses 9).
  int compression_level = 9;
  // Role server: TakeOutput() returns nothing until the client has sent its
  // first bytes (see the file comment). Keep true on a raw connection after
  // an HTTP upgrade; false is safe inside message-framed transports.
  bool server_speaks_after_client = true;
};

// A stream the peer opened (SYN_STREAM).
struct IncomingStream {
  uint32_t stream_id = 0;
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;
  // The peer will send nothing more (FIN on the SYN_STREAM).
  bool fin = false;
  // This side may not send on the stream.
  bool unidirectional = false;
  Headers headers;
};

// Options of SpdySession::OpenStream.
struct OpenStreamOptions {
  uint32_t associated_stream_id = 0;
  uint8_t priority = 0;  // 0 highest .. 7 lowest
  bool fin = false;      // this side sends no data
  bool unidirectional = false;
};

// Receives a session's events. Called only from inside SpdySession::Feed()
// (and FinishInput()); a handler may call the session's sending methods,
// Consumed() and Reset(), but not Feed(). Every method has a no-op default.
class SessionVisitor {
 public:
  virtual ~SessionVisitor() = default;
  // The peer opened a stream. Accept it with Reply() or refuse it with
  // Reset(); both may be called from here or later.
  virtual void OnStreamOpened(const IncomingStream& stream) { (void)stream; }
  // SYN_REPLY (is_reply) or HEADERS on an open stream. `fin`: the peer
  // half-closed the stream.
  virtual void OnHeaders(uint32_t stream_id, const Headers& headers, bool fin, bool is_reply) {
    (void)stream_id, (void)headers, (void)fin, (void)is_reply;
  }
  // Stream payload, possibly a part of a DATA frame. `fin`: the peer
  // half-closed the stream (may come with empty `data`). Report every byte
  // with SpdySession::Consumed() once it has been handed on.
  virtual void OnData(uint32_t stream_id, std::string_view data, bool fin) {
    (void)stream_id, (void)data, (void)fin;
  }
  // The stream is gone: RST_STREAM from the peer (`by_peer`), or this session
  // reset it because the peer broke the protocol on it, or the peer's GOAWAY
  // excluded it (kRefusedStream, by_peer).
  virtual void OnStreamReset(uint32_t stream_id, RstStatus status, bool by_peer) {
    (void)stream_id, (void)status, (void)by_peer;
  }
  // A PING from the peer (already answered) or the answer to our Ping().
  virtual void OnPing(uint32_t id, bool is_reply) { (void)id, (void)is_reply; }
  virtual void OnSettings(std::span<const Setting> settings) { (void)settings; }
  virtual void OnGoAway(uint32_t last_good_stream_id, GoAwayStatus status) {
    (void)last_good_stream_id, (void)status;
  }
  // A stream whose SendData() accepted less than offered can take `window`
  // more bytes now.
  virtual void OnWindowAvailable(uint32_t stream_id, size_t window) {
    (void)stream_id, (void)window;
  }
};

// One SPDY/3.1 session. Not thread-safe. Outgoing methods append frames to
// an internal buffer (TakeOutput()); they fail with FailedPrecondition once
// the session is dead (status() not OK).
class SpdySession {
 public:
  // `visitor` may be null (events are dropped) and must outlive the session.
  // In kAuto/kStrict mode the output starts with SETTINGS and a session
  // WINDOW_UPDATE.
  SpdySession(const SessionOptions& options, SessionVisitor* visitor);
  ~SpdySession();
  SpdySession(const SpdySession&) = delete;
  SpdySession& operator=(const SpdySession&) = delete;

  // ---- input ----
  // Parses received bytes; a frame may be split across calls. Returns the
  // session error that killed the session (GOAWAY already queued), the same
  // error again on later calls, or FailedPrecondition when called from a
  // visitor callback.
  absl::Status Feed(std::string_view bytes);
  // The transport reached end of input. DataLoss when it ended inside a
  // frame (the session is then dead); OK at a frame boundary. Feed() fails
  // afterwards.
  absl::Status FinishInput();

  // ---- output ----
  // Bytes to write to the transport, in order; empties the buffer. Empty
  // while a server still waits for the client's first bytes.
  std::string TakeOutput();
  // Bytes queued for the transport (held ones included).
  size_t PendingOutputBytes() const { return output_.size(); }

  // ---- streams ----
  // Opens a stream (SYN_STREAM) with the next id of this side's parity.
  // Errors: FailedPrecondition after GOAWAY (either way) or session death;
  // ResourceExhausted when the peer's MAX_CONCURRENT_STREAMS is reached or ids
  // are exhausted; InvalidArgument for headers the encoder refuses.
  absl::StatusOr<uint32_t> OpenStream(const Headers& headers,
                                      const OpenStreamOptions& options = {});
  // Accepts a peer-opened stream (SYN_REPLY). Errors: NotFound (no such open
  // stream), FailedPrecondition (not peer-opened, already replied),
  // InvalidArgument (headers).
  absl::Status Reply(uint32_t stream_id, const Headers& headers, bool fin = false);
  // HEADERS frame. A peer-opened stream must have been replied to.
  absl::Status SendHeaders(uint32_t stream_id, const Headers& headers, bool fin = false);
  // Sends as much of `data` as the peer's windows allow (everything when they
  // are not enforced, see the file comment) in frames of at most
  // max_send_frame_size and returns how many bytes were taken. FIN goes out
  // only when all of `data` was taken; empty `data` with `fin` half-closes
  // regardless of windows. When fewer bytes were taken, OnWindowAvailable()
  // reports when to retry. Errors: NotFound (no open stream),
  // FailedPrecondition (this side already half-closed, or a peer-opened
  // stream not replied to yet).
  absl::StatusOr<size_t> SendData(uint32_t stream_id, std::string_view data, bool fin = false);
  // Half-closes this side (empty DATA with FIN), like Go's Stream.Close().
  absl::Status HalfClose(uint32_t stream_id);
  // RST_STREAM; the stream is forgotten. NotFound if it is not open.
  absl::Status Reset(uint32_t stream_id, RstStatus status = RstStatus::kCancel);
  // The consumer has handed on `bytes` bytes delivered by OnData() for the
  // stream: replenishes the stream and session windows (WINDOW_UPDATE once
  // half a window has been consumed). Unknown streams are ignored.
  void Consumed(uint32_t stream_id, size_t bytes);

  // ---- session ----
  // Sends a PING with the next id of this side's parity and returns it.
  absl::StatusOr<uint32_t> Ping();
  absl::Status SendSettings(std::span<const Setting> settings);
  // GOAWAY naming the last peer stream processed; new peer streams are then
  // ignored and OpenStream() fails. A second call is a no-op.
  absl::Status GoAway(GoAwayStatus status = GoAwayStatus::kOk);

  // ---- introspection ----
  // OK, or the error that killed the session.
  const absl::Status& status() const { return status_; }
  Role role() const { return options_.role; }
  bool IsStreamOpen(uint32_t stream_id) const;
  std::vector<uint32_t> OpenStreamIds() const;
  // Bytes SendData() would take now (SIZE_MAX when no window binds; 0 for
  // unknown or half-closed streams).
  size_t SendWindow(uint32_t stream_id) const;
  // Bytes delivered by OnData() and not yet reported by Consumed().
  size_t UnconsumedBytes() const { return unconsumed_total_; }
  // Bytes of a partial frame held between Feed() calls (excluding DATA
  // payload, which is never held).
  size_t BufferedInputBytes() const { return header_buf_.size() + payload_buf_.size(); }
  uint32_t last_peer_stream_id() const { return last_peer_stream_id_; }
  bool goaway_sent() const { return goaway_sent_; }
  bool goaway_received() const { return goaway_received_; }

 private:
  struct Stream {
    uint32_t id = 0;
    bool local = false;          // opened by this side
    bool replied = false;        // SYN_REPLY sent (peer stream) / received (local)
    bool local_closed = false;   // this side sent FIN (or may not send)
    bool remote_closed = false;  // the peer sent FIN (or may not send)
    bool blocked = false;        // SendData() took less than offered
    int64_t send_window = 0;
    int64_t recv_window = 0;
    uint64_t unconsumed = 0;
    uint64_t pending_update = 0;
  };
  enum class ParseState { kFrameHeader, kControlPayload, kDataPayload, kSkipPayload, kDead };

  bool IsPeerId(uint32_t id) const;
  bool EnforcePeerStreamWindow() const;
  bool EnforcePeerSessionWindow() const;
  size_t Available(const Stream& s) const;
  Stream* Find(uint32_t id);
  const Stream* Find(uint32_t id) const;
  absl::Status CheckAlive() const;

  // Parsing.
  void OnFrameHeader();
  void BeginDataFrame(uint32_t stream_id, uint8_t flags, uint32_t length);
  void DeliverData(std::string_view chunk, bool last);
  void ProcessControlFrame();
  void HandleSynStream(std::string_view payload);
  void HandleSynReplyOrHeaders(std::string_view payload, bool is_reply);
  void HandleRstStream(std::string_view payload);
  void HandleSettings(std::string_view payload);
  void HandlePing(std::string_view payload);
  void HandleGoAway(std::string_view payload);
  void HandleWindowUpdate(std::string_view payload);
  absl::StatusOr<std::string> DecompressBlock(std::string_view compressed);
  void NotifyWindowsAvailable();

  // Errors and bookkeeping.
  void SessionError(absl::Status error, GoAwayStatus goaway = GoAwayStatus::kProtocolError);
  void ResetFromFeed(uint32_t stream_id, RstStatus status);
  void SendRst(uint32_t stream_id, RstStatus status);
  void RememberReset(uint32_t stream_id);
  bool RecentlyReset(uint32_t stream_id) const;
  bool WasOpened(uint32_t stream_id) const;
  void Erase(uint32_t stream_id);
  void MaybeEraseClosed(uint32_t stream_id);
  void CreditSession(uint64_t bytes);
  absl::Status Fatal(absl::Status error);

  SessionOptions options_;
  SessionVisitor noop_visitor_;
  SessionVisitor* visitor_;
  absl::Status status_;
  std::string output_;
  bool output_released_ = true;
  HeaderCompressor compressor_;
  HeaderDecompressor decompressor_;

  // Parser state.
  ParseState state_ = ParseState::kFrameHeader;
  bool in_feed_ = false;
  bool input_finished_ = false;
  std::string header_buf_;
  std::string payload_buf_;
  uint16_t cur_type_ = 0;
  uint8_t cur_flags_ = 0;
  uint32_t cur_length_ = 0;
  uint32_t cur_stream_ = 0;
  uint32_t remaining_ = 0;
  bool cur_deliver_ = false;

  // Streams.
  std::unordered_map<uint32_t, Stream> streams_;
  size_t peer_streams_open_ = 0;
  size_t local_streams_open_ = 0;
  uint32_t next_local_stream_id_;
  uint32_t last_peer_stream_id_ = 0;
  std::deque<uint32_t> reset_order_;
  absl::flat_hash_set<uint32_t> reset_ids_;

  // Flow control.
  bool peer_stream_fc_ = false;   // the peer has shown stream flow control
  bool peer_session_fc_ = false;  // the peer has shown session flow control
  int64_t peer_initial_window_ = kDefaultInitialWindow;
  uint32_t peer_max_concurrent_ = std::numeric_limits<uint32_t>::max();
  int64_t session_send_window_ = kDefaultInitialWindow;
  int64_t session_recv_window_ = kDefaultInitialWindow;
  uint64_t session_pending_update_ = 0;
  size_t unconsumed_total_ = 0;

  // Ping and GOAWAY.
  uint32_t next_ping_id_;
  absl::flat_hash_set<uint32_t> outstanding_pings_;
  bool goaway_sent_ = false;
  bool goaway_received_ = false;
};

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_SESSION_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/streaming/transport.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace vkubelet::api::internal {
namespace {

namespace http = ::vkubelet::internal::http;

class RawTransport : public ByteTransport {
 public:
  explicit RawTransport(std::shared_ptr<http::Connection> conn) : conn_(std::move(conn)) {}
  void Start(DataFn on_data, CloseFn on_close) override {
    conn_->Start(std::move(on_data), std::move(on_close));
  }
  void PauseReading() override { conn_->PauseReading(); }
  void ResumeReading() override { conn_->ResumeReading(); }
  bool Write(std::string data) override { return conn_->Write(std::move(data)); }
  size_t QueuedBytes() const override { return conn_->QueuedBytes(); }
  absl::Status WaitWritable(const Context& ctx, size_t below_bytes) override {
    return conn_->WaitWritable(ctx, below_bytes);
  }
  void Close() override { conn_->Close(); }
  void Abort() override { conn_->Abort(); }
  const Context& context() const override { return conn_->context(); }

 private:
  std::shared_ptr<http::Connection> conn_;
};

class TunnelTransport : public ByteTransport {
 public:
  TunnelTransport(std::shared_ptr<http::WebSocketConnection> ws, size_t max_message_bytes)
      : ws_(std::move(ws)), max_message_(max_message_bytes == 0 ? size_t{32 * 1024} : max_message_bytes) {}

  void Start(DataFn on_data, CloseFn on_close) override {
    // The text-message error must reach on_close instead of the close code.
    auto text_error = std::make_shared<bool>(false);
    std::weak_ptr<http::WebSocketConnection> weak = ws_;
    ws_->Start(
        [on_data, text_error, weak](std::string data, bool binary) {
          if (*text_error) return;
          if (!binary) {
            *text_error = true;
            if (auto ws = weak.lock()) ws->Close(1003, "SPDY tunnel carries binary messages only");
            return;
          }
          on_data(data);
        },
        [on_close, text_error](int code, const std::string& reason) {
          if (*text_error) {
            on_close(absl::InvalidArgumentError(
                "text message in a SPDY tunnel (only binary messages carry SPDY)"));
          } else if (code == 1000 || code == 1005) {
            on_close(absl::OkStatus());
          } else {
            on_close(
                absl::UnavailableError(absl::StrCat("tunnel WebSocket closed with ", code, " ", reason)));
          }
        });
  }
  void PauseReading() override { ws_->PauseReading(); }
  void ResumeReading() override { ws_->ResumeReading(); }
  bool Write(std::string data) override {
    if (data.size() <= max_message_) return ws_->Send(std::move(data), /*binary=*/true);
    bool ok = true;
    for (size_t pos = 0; pos < data.size() && ok; pos += max_message_) {
      ok = ws_->Send(data.substr(pos, max_message_), /*binary=*/true);
    }
    return ok;
  }
  size_t QueuedBytes() const override { return ws_->QueuedBytes(); }
  absl::Status WaitWritable(const Context& ctx, size_t below_bytes) override {
    return ws_->WaitWritable(ctx, below_bytes);
  }
  void Close() override { ws_->Close(1000, ""); }
  void Abort() override { ws_->Abort(); }
  const Context& context() const override { return ws_->context(); }

 private:
  std::shared_ptr<http::WebSocketConnection> ws_;
  size_t max_message_;
};

}  // namespace

std::unique_ptr<ByteTransport> NewRawTransport(std::shared_ptr<http::Connection> conn) {
  return std::make_unique<RawTransport>(std::move(conn));
}

std::unique_ptr<ByteTransport> NewWebSocketTunnelTransport(std::shared_ptr<http::WebSocketConnection> ws,
                                                           size_t max_message_bytes) {
  return std::make_unique<TunnelTransport>(std::move(ws), max_message_bytes);
}

}  // namespace vkubelet::api::internal

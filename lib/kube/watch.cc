// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/watch.h"

#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

using vkubelet::internal::ToAbsl;

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return kWatchAdded;
    case WatchEventType::kModified: return kWatchModified;
    case WatchEventType::kDeleted: return kWatchDeleted;
    case WatchEventType::kBookmark: return kWatchBookmark;
  }
  return "UNKNOWN";
}

namespace internal {

WatchStream::WatchStream(std::unique_ptr<ResponseStream> stream, std::unique_ptr<WatchDecoder> decoder)
    : stream_(std::move(stream)), decoder_(std::move(decoder)) {}

WatchStream::~WatchStream() { Stop(); }

void WatchStream::Stop() { stream_->Close(); }

uint64_t WatchStream::bytes_received() const { return bytes_; }

absl::StatusOr<std::optional<WatchStream::Event>> WatchStream::Convert(DecodedWatchEvent ev) {
  Event out;
  if (ev.type == kWatchAdded) {
    out.type = WatchEventType::kAdded;
  } else if (ev.type == kWatchModified) {
    out.type = WatchEventType::kModified;
  } else if (ev.type == kWatchDeleted) {
    out.type = WatchEventType::kDeleted;
  } else if (ev.type == kWatchBookmark) {
    out.type = WatchEventType::kBookmark;
  } else if (ev.type == kWatchError) {
    const auto* status = dynamic_cast<const metav1::Status*>(ev.object.get());
    if (status == nullptr) return errdefs::Internal("watch ERROR event without a Status object");
    absl::Status s = errdefs::FromKubernetesStatus(*status, status->code() != 0 ? status->code() : 500);
    if (s.ok()) s = errdefs::Internal(absl::StrCat("watch ERROR event: ", status->message()));
    return s;
  } else {
    return errdefs::InvalidInput(absl::StrCat("watch event of unknown type \"", ev.type, "\""));
  }
  if (ev.object == nullptr) return errdefs::InvalidInput(absl::StrCat("watch ", ev.type, " event without an object"));
  out.object = std::move(ev.object);
  return std::optional<Event>(std::move(out));
}

absl::StatusOr<std::optional<WatchStream::Event>> WatchStream::Next(const Context& ctx) {
  if (!error_.ok()) return error_;
  while (true) {
    absl::StatusOr<std::optional<DecodedWatchEvent>> ev = decoder_->Next();
    if (!ev.ok()) {
      error_ = ev.status();
      stream_->Close();
      return error_;
    }
    if (ev->has_value()) {
      absl::StatusOr<std::optional<Event>> out = Convert(std::move(**ev));
      if (!out.ok()) {
        error_ = out.status();
        stream_->Close();
      }
      return out;
    }
    if (ended_) {
      if (decoder_->Buffered() > 0) {
        error_ = errdefs::Unavailable(
            absl::StrCat("watch stream ended in the middle of an event (", decoder_->Buffered(), " bytes left)"));
        return error_;
      }
      return std::nullopt;
    }
    buffer_.clear();
    absl::StatusOr<bool> more;
    {
      // Only a blocking read needs to notice the caller's context.
      CancelRegistration reg = ctx.OnCancel([this] { stream_->Close(); });
      more = stream_->Read(&buffer_);
    }
    if (!more.ok()) {
      error_ = ctx.Err().ok() ? more.status() : ctx.Err();
      return error_;
    }
    if (!*more) {
      ended_ = true;
      continue;
    }
    bytes_ += buffer_.size();
    decoder_->Feed(buffer_);
  }
}

}  // namespace internal
}  // namespace vkubelet::kube

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "api/spdy/compression.h"

#include <zlib.h>

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace vkubelet::internal::spdy {
namespace {

// The dictionary is a protocol constant: 65 length-prefixed words (32-bit
// big-endian length, then the word) followed by an unprefixed tail. It is
// built from that description at compile time; its size and Adler-32
// (kHeaderDictionaryId) are checked by the tests.
constexpr std::string_view kDictionaryWords[] = {
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
    "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
    "cache-control", "connection", "content-base", "content-encoding", "content-language",
    "content-length", "content-location", "content-md5", "content-range", "content-type",
    "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
    "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
    "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
};

constexpr std::string_view kDictionaryTail =
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
    "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, "
    "Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

constexpr size_t DictionarySize() {
  size_t n = kDictionaryTail.size();
  for (std::string_view w : kDictionaryWords) n += 4 + w.size();
  return n;
}

constexpr std::array<char, DictionarySize()> BuildDictionary() {
  std::array<char, DictionarySize()> out{};
  size_t pos = 0;
  for (std::string_view w : kDictionaryWords) {
    const size_t len = w.size();
    out[pos++] = static_cast<char>((len >> 24) & 0xff);
    out[pos++] = static_cast<char>((len >> 16) & 0xff);
    out[pos++] = static_cast<char>((len >> 8) & 0xff);
    out[pos++] = static_cast<char>(len & 0xff);
    for (char c : w) out[pos++] = c;
  }
  for (char c : kDictionaryTail) out[pos++] = c;
  return out;
}

constexpr std::array<char, DictionarySize()> kDictionary = BuildDictionary();
static_assert(kDictionary.size() == 1423, "SPDY/3 dictionary is 1423 bytes");

const Bytef* DictBytes() { return reinterpret_cast<const Bytef*>(kDictionary.data()); }

std::string ZlibMessage(const z_stream& zs, int ret) {
  return absl::StrCat(zs.msg != nullptr ? zs.msg : "zlib error", " (", ret, ")");
}

}  // namespace

std::string_view HeaderDictionary() {
  return std::string_view(kDictionary.data(), kDictionary.size());
}

// --- HeaderCompressor -------------------------------------------------------

HeaderCompressor::HeaderCompressor(int level)
    : level_(std::clamp(level, 0, 9)), zs_(std::make_unique<z_stream>()) {}

HeaderCompressor::~HeaderCompressor() {
  if (initialized_) deflateEnd(zs_.get());
}

absl::Status HeaderCompressor::Init() {
  *zs_ = z_stream{};
  int ret = deflateInit2(zs_.get(), level_, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
  if (ret != Z_OK) return absl::InternalError(absl::StrCat("spdy: deflateInit2 failed: ", ret));
  initialized_ = true;
  ret = deflateSetDictionary(zs_.get(), DictBytes(), static_cast<uInt>(kDictionary.size()));
  if (ret != Z_OK) {
    return absl::InternalError(absl::StrCat("spdy: deflateSetDictionary failed: ", ret));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HeaderCompressor::Compress(std::string_view block) {
  if (failed_) return absl::InternalError("spdy: header compressor failed earlier");
  if (!initialized_) {
    if (absl::Status s = Init(); !s.ok()) {
      failed_ = true;
      return s;
    }
  }
  z_stream& zs = *zs_;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
  zs.avail_in = static_cast<uInt>(block.size());
  std::string out;
  std::array<Bytef, 4096> chunk;
  do {
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    int ret = deflate(&zs, Z_SYNC_FLUSH);
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      failed_ = true;
      return absl::InternalError(absl::StrCat("spdy: deflate failed: ", ZlibMessage(zs, ret)));
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - zs.avail_out);
  } while (zs.avail_out == 0 || zs.avail_in != 0);
  return out;
}

// --- HeaderDecompressor -----------------------------------------------------

HeaderDecompressor::HeaderDecompressor() : zs_(std::make_unique<z_stream>()) {}

HeaderDecompressor::~HeaderDecompressor() {
  if (initialized_) inflateEnd(zs_.get());
}

absl::StatusOr<std::string> HeaderDecompressor::Decompress(std::string_view compressed,
                                                           size_t max_output) {
  if (failed_) return absl::DataLossError("spdy: header decompressor failed earlier");
  auto fail = [this](absl::Status s) {
    failed_ = true;
    return s;
  };
  z_stream& zs = *zs_;
  if (!initialized_) {
    zs = z_stream{};
    int ret = inflateInit(&zs);
    if (ret != Z_OK) return fail(absl::InternalError(absl::StrCat("spdy: inflateInit: ", ret)));
    initialized_ = true;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());

  std::string out;
  std::array<Bytef, 4096> chunk;
  while (true) {
    // Ask for at most one byte more than allowed: enough to detect a bomb,
    // never enough to materialise one.
    const size_t room = std::min(chunk.size(), max_output - out.size() + 1);
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(room);
    int ret = inflate(&zs, Z_SYNC_FLUSH);
    if (ret == Z_NEED_DICT) {
      if (zs.adler != kHeaderDictionaryId) {
        return fail(absl::DataLossError(absl::StrCat(
            "spdy: header block asks for zlib dictionary ", absl::Hex(zs.adler),
            ", not the SPDY/3 dictionary ", absl::Hex(kHeaderDictionaryId))));
      }
      ret = inflateSetDictionary(&zs, DictBytes(), static_cast<uInt>(kDictionary.size()));
      if (ret != Z_OK) {
        return fail(absl::DataLossError(
            absl::StrCat("spdy: inflateSetDictionary: ", ZlibMessage(zs, ret))));
      }
      continue;
    }
    const size_t produced = room - zs.avail_out;
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (out.size() > max_output) {
      return fail(absl::ResourceExhaustedError(absl::StrCat(
          "spdy: header block inflates to more than ", max_output, " bytes")));
    }
    if (ret == Z_STREAM_END) {
      return fail(absl::DataLossError("spdy: peer ended the header compression stream"));
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      return fail(absl::DataLossError(
          absl::StrCat("spdy: corrupt compressed header block: ", ZlibMessage(zs, ret))));
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) break;
    if (ret == Z_BUF_ERROR && produced == 0 && zs.avail_in != 0) {
      return fail(absl::DataLossError("spdy: header decompression made no progress"));
    }
  }
  // A sender sync-flushes after every block; anything else leaves a partial
  // deflate block whose remainder would corrupt the next header block.
  if ((zs.data_type & 128) == 0) {
    return fail(absl::DataLossError(
        "spdy: compressed header block does not end on a zlib flush boundary"));
  }
  return out;
}

}  // namespace vkubelet::internal::spdy

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The Summary JSON written in pieces, for serving /stats/summary as a stream
// (the first bytes leave while the rest is still being encoded, and no
// buffer the size of the whole document is needed). Private to the library.

#ifndef VKUBELET_LIB_STATS_SUMMARY_WRITER_H_
#define VKUBELET_LIB_STATS_SUMMARY_WRITER_H_

#include <cstddef>
#include <functional>
#include <string>

#include "vkubelet/stats/summary.h"

namespace vkubelet::stats::internal {

struct SummaryJsonOptions {
  // Pieces are handed over once about this many bytes accumulated.
  size_t piece_bytes = 256 << 10;
  // The bytes ToJson(CpuAndMemoryOnly(summary)) would give, without the copy.
  bool cpu_and_memory_only = false;
};

// Writes exactly the bytes of ToJson (or of ToJson(CpuAndMemoryOnly(...)))
// in order, as pieces handed to `sink`, which may take the string's contents.
// A sink returning false stops the writing; returns false then.
bool WriteSummaryJson(const Summary& summary, const SummaryJsonOptions& options,
                      const std::function<bool(std::string& piece)>& sink);

}  // namespace vkubelet::stats::internal

#endif  // VKUBELET_LIB_STATS_SUMMARY_WRITER_H_

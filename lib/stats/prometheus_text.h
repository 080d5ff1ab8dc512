// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The appenders behind PrometheusWriter, for writers that render many
// samples of the same shape themselves (the resource metrics). Private to the
// library.

#ifndef VKUBELET_LIB_STATS_PROMETHEUS_TEXT_H_
#define VKUBELET_LIB_STATS_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace vkubelet::stats::internal {

// What FormatPrometheusValue returns, appended.
void AppendPrometheusValue(std::string* out, double v);
// What EscapePrometheusLabelValue returns, appended.
void AppendPrometheusLabelValue(std::string* out, std::string_view v);

}  // namespace vkubelet::stats::internal

#endif  // VKUBELET_LIB_STATS_PROMETHEUS_TEXT_H_

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Expected values follow the published behaviour of k8s.io/apimachinery
// pkg/api/resource (quantity_test.go tables) unless a case says otherwise.

#include "vkubelet/resource/quantity.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "resource/decimal.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::resource {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Quantity MustParse(std::string_view s) {
  absl::StatusOr<Quantity> q = Quantity::Parse(s);
  REQUIRE_MESSAGE(q.ok(), "Parse(\"" << std::string(s) << "\"): " << q.status().ToString());
  return *q;
}

struct ParseCase {
  const char* input;
  const char* canonical;
  Format format;
};

// Parse → canonical string → format. Every case is also checked negated and
// with an explicit '+'.
const ParseCase kParseCases[] = {
    {"0", "0", Format::kDecimalSI},
    {"0n", "0", Format::kDecimalSI},
    {"0u", "0", Format::kDecimalSI},
    {"0m", "0", Format::kDecimalSI},
    {"0Ki", "0", Format::kBinarySI},
    {"0k", "0", Format::kDecimalSI},
    {"0Mi", "0", Format::kBinarySI},
    {"0M", "0", Format::kDecimalSI},
    {"0Gi", "0", Format::kBinarySI},
    {"0G", "0", Format::kDecimalSI},
    {"0Ti", "0", Format::kBinarySI},
    {"0T", "0", Format::kDecimalSI},
    {"0e3", "0", Format::kDecimalExponent},
    {"00", "0", Format::kDecimalSI},
    {"0.000", "0", Format::kDecimalSI},
    {"1", "1", Format::kDecimalSI},
    // Binary suffixes.
    {"1Ki", "1Ki", Format::kBinarySI},
    {"8Ki", "8Ki", Format::kBinarySI},
    {"7Mi", "7Mi", Format::kBinarySI},
    {"6Gi", "6Gi", Format::kBinarySI},
    {"5Ti", "5Ti", Format::kBinarySI},
    {"4Pi", "4Pi", Format::kBinarySI},
    {"3Ei", "3Ei", Format::kBinarySI},
    {"10Ti", "10Ti", Format::kBinarySI},
    {"100Ti", "100Ti", Format::kBinarySI},
    {"1024Mi", "1Gi", Format::kBinarySI},
    {"307200Ki", "300Mi", Format::kBinarySI},
    {"1025024Mi", "1001Gi", Format::kBinarySI},
    {"1.5Gi", "1536Mi", Format::kBinarySI},
    {"0.5Ki", "512", Format::kBinarySI},
    {"1025", "1025", Format::kDecimalSI},
    // Decimal suffixes.
    {"5n", "5n", Format::kDecimalSI},
    {"4u", "4u", Format::kDecimalSI},
    {"3m", "3m", Format::kDecimalSI},
    {"9", "9", Format::kDecimalSI},
    {"8k", "8k", Format::kDecimalSI},
    {"50k", "50k", Format::kDecimalSI},
    {"7M", "7M", Format::kDecimalSI},
    {"6G", "6G", Format::kDecimalSI},
    {"5T", "5T", Format::kDecimalSI},
    {"40T", "40T", Format::kDecimalSI},
    {"300T", "300T", Format::kDecimalSI},
    {"2P", "2P", Format::kDecimalSI},
    {"1E", "1E", Format::kDecimalSI},
    {"1000m", "1", Format::kDecimalSI},
    {"5000m", "5", Format::kDecimalSI},
    {"1000M", "1G", Format::kDecimalSI},
    {"0.001T", "1G", Format::kDecimalSI},
    {"1000u", "1m", Format::kDecimalSI},
    {"1080000000n", "1080m", Format::kDecimalSI},
    {"1.5", "1500m", Format::kDecimalSI},
    {"1.08", "1080m", Format::kDecimalSI},
    {"0.1m", "100u", Format::kDecimalSI},
    // Decimal exponents.
    {"1E-3", "1e-3", Format::kDecimalExponent},
    {"1e3", "1e3", Format::kDecimalExponent},
    {"1E6", "1e6", Format::kDecimalExponent},
    {"1e9", "1e9", Format::kDecimalExponent},
    {"1E12", "1e12", Format::kDecimalExponent},
    {"1e15", "1e15", Format::kDecimalExponent},
    {"1E18", "1e18", Format::kDecimalExponent},
    {"1e+3", "1e3", Format::kDecimalExponent},
    {"1e003", "1e3", Format::kDecimalExponent},
    {".001e12", "1e9", Format::kDecimalExponent},
    {"0.001e0", "1e-3", Format::kDecimalExponent},
    {"1000e-12", "1e-9", Format::kDecimalExponent},
    // Non-standard but parsable.
    {"1e14", "100e12", Format::kDecimalExponent},
    {"1e13", "10e12", Format::kDecimalExponent},
    {"100.035k", "100035", Format::kDecimalSI},
    // Things that look like floating point.
    {"0.001", "1m", Format::kDecimalSI},
    {"0.0005k", "500m", Format::kDecimalSI},
    {"0.005", "5m", Format::kDecimalSI},
    {"0.05", "50m", Format::kDecimalSI},
    {"0.5", "500m", Format::kDecimalSI},
    {"0.00050k", "500m", Format::kDecimalSI},
    {"0.00500", "5m", Format::kDecimalSI},
    {"0.05000", "50m", Format::kDecimalSI},
    {"0.50000", "500m", Format::kDecimalSI},
    {"0.5e0", "500e-3", Format::kDecimalExponent},
    {"0.5e-1", "50e-3", Format::kDecimalExponent},
    {"0.5e-2", "5e-3", Format::kDecimalExponent},
    {"10.035M", "10035k", Format::kDecimalSI},
    {"1.2e3", "1200", Format::kDecimalExponent},
    {"1.3E+6", "1300e3", Format::kDecimalExponent},
    {"1.40e9", "1400e6", Format::kDecimalExponent},
    {"1.53E12", "1530e9", Format::kDecimalExponent},
    {"1.6e15", "1600e12", Format::kDecimalExponent},
    {"1.7E18", "1700e15", Format::kDecimalExponent},
    {"9.01", "9010m", Format::kDecimalSI},
    {"8.1k", "8100", Format::kDecimalSI},
    {"7.123456M", "7123456", Format::kDecimalSI},
    {"6.987654321G", "6987654321", Format::kDecimalSI},
    {"5.444T", "5444G", Format::kDecimalSI},
    {"40.1T", "40100G", Format::kDecimalSI},
    {"300.2T", "300200G", Format::kDecimalSI},
    {"2.5P", "2500T", Format::kDecimalSI},
    {"1.01E", "1010P", Format::kDecimalSI},
    {"1.2345", "1234500u", Format::kDecimalSI},
    // Things that round: nano precision, finer amounts round away from zero.
    {"3.001n", "4n", Format::kDecimalSI},
    {"1.1E-9", "2e-9", Format::kDecimalExponent},
    {"0.0000000001", "1n", Format::kDecimalSI},
    {"0.0000000005", "1n", Format::kDecimalSI},
    {"0.00000000050", "1n", Format::kDecimalSI},
    {"0.5e-9", "1e-9", Format::kDecimalExponent},
    {"0.9n", "1n", Format::kDecimalSI},
    {"0.00000012345", "124n", Format::kDecimalSI},
    {"0.00000012354", "124n", Format::kDecimalSI},
    {"1e-99999999", "1e-9", Format::kDecimalExponent},
    // Binary amounts saturate at 2^63-1.
    {"9Ei", "9223372036854775807", Format::kBinarySI},
    {"8Ei", "9223372036854775807", Format::kBinarySI},
    {"9223372036854775807Ki", "9223372036854775807", Format::kBinarySI},
    {"12E", "12E", Format::kDecimalSI},
    // Fractional binary amounts.
    {"100.035Ki", "102435840m", Format::kBinarySI},
    {"0.5Mi", "512Ki", Format::kBinarySI},
    {"0.05Gi", "53687091200m", Format::kBinarySI},
    {"0.025Ti", "27487790694400m", Format::kBinarySI},
    {".001Ki", "1024m", Format::kBinarySI},
    {".000001Ki", "1024u", Format::kDecimalSI},  // below one: no binary suffix fits
    {".000000001Ki", "1024n", Format::kDecimalSI},
    // Written by trolls.
    {"0.000000000001Ki", "2n", Format::kDecimalSI},  // rounds up, changes format
    {".000000000001Ki", "2n", Format::kDecimalSI},
    {".001", "1m", Format::kDecimalSI},
    {".0001k", "100m", Format::kDecimalSI},
    {"1.", "1", Format::kDecimalSI},
    {"1.G", "1G", Format::kDecimalSI},
    // Beyond int64: exact, never capped for decimal amounts.
    {"999999999999999999", "999999999999999999", Format::kDecimalSI},
    {"999999999999999999.1", "999999999999999999100m", Format::kDecimalSI},
    {"9999999999999999999", "9999999999999999999", Format::kDecimalSI},
    {"9999999999999999999.0", "9999999999999999999", Format::kDecimalSI},
    {"9999999999999999999000m", "9999999999999999999", Format::kDecimalSI},
    {"9999999999999999999.1", "9999999999999999999100m", Format::kDecimalSI},
    {"1000000000000000000", "1E", Format::kDecimalSI},
    {"1.0E", "1E", Format::kDecimalSI},
    {"1.0000000000000000001E", "1000000000000000000100m", Format::kDecimalSI},
    {"1.000000000000000001E", "1000000000000000001", Format::kDecimalSI},
    {"10E", "10E", Format::kDecimalSI},
    {"10000000000000000000", "10E", Format::kDecimalSI},
    {"10000000000000000000000m", "10E", Format::kDecimalSI},
    {"10.0000000000000000001E", "10000000000000000000100m", Format::kDecimalSI},
    {"9223372036854775806", "9223372036854775806", Format::kDecimalSI},
    {"9223372036854775807", "9223372036854775807", Format::kDecimalSI},
    {"9223372036854775808", "9223372036854775808", Format::kDecimalSI},
    {"9223372036854775808.1", "9223372036854775808100m", Format::kDecimalSI},
    {"9223372036854775809000m", "9223372036854775809", Format::kDecimalSI},
    {"18446744073709551616", "18446744073709551616", Format::kDecimalSI},
    {"1000E", "1e21", Format::kDecimalSI},  // DecimalSI has no suffix above E
    {"5000E", "5e21", Format::kDecimalSI},
    {"1000000E", "1e24", Format::kDecimalSI},
    {"123456789012345678901234567890.123456789", "123456789012345678901234567890123456789n", Format::kDecimalSI},
    {"9e999", "9e999", Format::kDecimalExponent},
};

TEST_CASE("Parse gives the canonical string and format") {
  for (const ParseCase& tc : kParseCases) {
    INFO("input: " << tc.input);
    Quantity q = MustParse(tc.input);
    CHECK(q.ToString() == tc.canonical);
    CHECK(FormatName(q.format()) == FormatName(tc.format));
    // The canonical form parses back to the same value and prints the same.
    Quantity again = MustParse(q.ToString());
    CHECK(again == q);
    CHECK(again.ToString() == tc.canonical);

    Quantity plus = MustParse(std::string("+") + tc.input);
    CHECK(plus == q);
    CHECK(plus.ToString() == tc.canonical);

    Quantity minus = MustParse(std::string("-") + tc.input);
    CHECK(minus == q.Neg());
    CHECK(FormatName(minus.format()) == FormatName(tc.format));
    if (q.IsZero()) {
      CHECK(minus.ToString() == "0");
    } else {
      CHECK(minus.ToString() == std::string("-") + tc.canonical);
      CHECK(minus.Sign() == -1);
      CHECK(q.Sign() == 1);
    }
  }
}

TEST_CASE("Parse rejects malformed input with InvalidInput") {
  const char* kInvalid[] = {
      "",       "Gi",     ".",      "-.",     "+",         "-",        "m",      "e3",     "1.2.3Gi",
      "1 Gi",   " 1",     "1 ",     "1\n",    "1.1.M",     "1+1.0M",   "0.1mi",  "0.1am",  "aoeu",
      ".5i",    "1i",     "-3.01i", "-3.01e-", "1Gb",      "1K",       "1k1",    "1e",     "1e+",
      "1E1.5",  "1ee3",   "1Ki3",   "--1",    "Non-Numeric", "0x10",   "1e3Ki",  "1,5",    "½",
      "1e1000", "1e999999999999999999999", "10000000000000000000000000000000000000e970",
  };
  for (const char* input : kInvalid) {
    INFO("input: \"" << input << "\"");
    absl::StatusOr<Quantity> q = Quantity::Parse(input);
    REQUIRE_FALSE(q.ok());
    CHECK(errdefs::IsInvalidInput(q.status()));
    CHECK(q.status().message().find("invalid quantity") != std::string_view::npos);
  }
}

TEST_CASE("Parse error messages say what is wrong") {
  auto message = [](std::string_view input) { return std::string(Quantity::Parse(input).status().message()); };
  CHECK(message("") == "invalid quantity \"\": empty string");
  CHECK(message("Gi") == "invalid quantity \"Gi\": expected digits before the suffix");
  CHECK(message("1.2.3Gi") == "invalid quantity \"1.2.3Gi\": unexpected '.' at offset 3");
  CHECK(message("1 Gi") == "invalid quantity \"1 Gi\": unexpected whitespace at offset 1");
  CHECK(message("1Gb").find("unknown suffix \"Gb\"") != std::string::npos);
  CHECK(message("1K").find("unknown suffix \"K\"") != std::string::npos);
  CHECK(message("1e").find("unknown suffix \"e\"") != std::string::npos);
  CHECK(message("1e1000").find("out of range") != std::string::npos);
}

TEST_CASE("ToString of constructed quantities") {
  struct Case {
    int64_t value;
    int32_t scale;
    Format format;
    const char* expect;
    bool parses_back = true;
  };
  const Case kCases[] = {
      {1024 * 1024 * 1024, 0, Format::kBinarySI, "1Gi"},
      {300 * 1024 * 1024, 0, Format::kBinarySI, "300Mi"},
      {6 * 1024, 0, Format::kBinarySI, "6Ki"},
      {1001LL * 1024 * 1024 * 1024, 0, Format::kBinarySI, "1001Gi"},
      {1024LL * 1024 * 1024 * 1024, 0, Format::kBinarySI, "1Ti"},
      {5, 0, Format::kBinarySI, "5"},
      {500, -3, Format::kBinarySI, "500m"},
      {1, 9, Format::kDecimalSI, "1G"},
      {1000, 6, Format::kDecimalSI, "1G"},
      {1000000, 3, Format::kDecimalSI, "1G"},
      {1000000000, 0, Format::kDecimalSI, "1G"},
      {1, -3, Format::kDecimalSI, "1m"},
      {80, -3, Format::kDecimalSI, "80m"},
      {1080, -3, Format::kDecimalSI, "1080m"},
      {108, -2, Format::kDecimalSI, "1080m"},
      {10800, -4, Format::kDecimalSI, "1080m"},
      {300, 6, Format::kDecimalSI, "300M"},
      {1, 12, Format::kDecimalSI, "1T"},
      {1, 18, Format::kDecimalSI, "1E"},
      {1, 21, Format::kDecimalSI, "1e21"},
      {5, 21, Format::kDecimalSI, "5e21"},
      {1, 24, Format::kDecimalSI, "1e24"},
      {1234567, 6, Format::kDecimalSI, "1234567M"},
      {1234567, -3, Format::kBinarySI, "1234567m"},
      {3, 3, Format::kDecimalSI, "3k"},
      {1025, 0, Format::kBinarySI, "1025"},
      {0, 0, Format::kDecimalSI, "0"},
      {0, 0, Format::kBinarySI, "0"},
      {1, 9, Format::kDecimalExponent, "1e9"},
      {1, -3, Format::kDecimalExponent, "1e-3"},
      {1, -9, Format::kDecimalExponent, "1e-9"},
      {80, -3, Format::kDecimalExponent, "80e-3"},
      {300, 6, Format::kDecimalExponent, "300e6"},
      {1, 12, Format::kDecimalExponent, "1e12"},
      {1, 3, Format::kDecimalExponent, "1e3"},
      {3, 3, Format::kDecimalExponent, "3e3"},
      {0, 0, Format::kDecimalExponent, "0"},
      {1, -9, Format::kDecimalSI, "1n"},
      {80, -9, Format::kDecimalSI, "80n"},
      {1080, -9, Format::kDecimalSI, "1080n"},
      {108, -8, Format::kDecimalSI, "1080n"},
      {10800, -10, Format::kDecimalSI, "1080n"},
      {1, -6, Format::kDecimalSI, "1u"},
      {80, -6, Format::kDecimalSI, "80u"},
      {1080, -6, Format::kDecimalSI, "1080u"},
      {1, -12, Format::kDecimalSI, "1e-12", false},  // finer than n: exponent form, kept exact
      {kMax, 0, Format::kDecimalSI, "9223372036854775807"},
      {kMin, 0, Format::kDecimalSI, "-9223372036854775808"},
      {kMax, 1, Format::kDecimalSI, "92233720368547758070"},
      {kMax, 2, Format::kDecimalSI, "922337203685477580700"},
      {kMax, 3, Format::kBinarySI, "9223372036854775807000"},  // integral: no fallback to k
      {kMin, -3, Format::kDecimalSI, "-9223372036854775808m"},
  };
  for (const Case& tc : kCases) {
    Quantity q = Quantity::FromScaled(tc.value, tc.scale, tc.format);
    INFO("value " << tc.value << " scale " << tc.scale << " format " << FormatName(tc.format));
    CHECK(q.ToString() == tc.expect);
    if (tc.parses_back) CHECK(MustParse(tc.expect) == q);
    if (!q.IsZero()) {
      std::string negated = q.Neg().ToString();
      std::string expect = tc.expect;
      expect = expect[0] == '-' ? expect.substr(1) : "-" + expect;
      CHECK(negated == expect);
    }
  }
}

TEST_CASE("FromInt, FromMilli and FromScaled") {
  CHECK(Quantity().ToString() == "0");
  CHECK(Quantity().IsZero());
  CHECK(Quantity::FromInt(1).ToString() == "1");
  CHECK(Quantity::FromInt(1000).ToString() == "1k");
  CHECK(Quantity::FromInt(1234000).ToString() == "1234k");
  CHECK(Quantity::FromInt(1024, Format::kBinarySI).ToString() == "1Ki");
  CHECK(Quantity::FromInt(1000000, Format::kDecimalExponent).ToString() == "1e6");
  CHECK(Quantity::FromInt(1024 * 1024, Format::kBinarySI).ToString() == "1Mi");
  CHECK(Quantity::FromInt(5, Format::kBinarySI).ToString() == "5");

  CHECK(Quantity::FromMilli(1).ToString() == "1m");
  CHECK(Quantity::FromMilli(1000).ToString() == "1");
  CHECK(Quantity::FromMilli(1234000).ToString() == "1234");
  CHECK(Quantity::FromMilli(1024, Format::kBinarySI).ToString() == "1024m");  // format changes
  CHECK(Quantity::FromMilli(1000000, Format::kDecimalExponent).ToString() == "1e3");
  CHECK(Quantity::FromMilli(1024 * 1024, Format::kBinarySI).ToString() == "1048576m");
  CHECK(Quantity::FromMilli(1500).MilliValue() == 1500);

  CHECK(Quantity::FromScaled(1, kNano).ToString() == "1n");
  CHECK(Quantity::FromScaled(1000, kNano).ToString() == "1u");
  CHECK(Quantity::FromScaled(1, kMicro).ToString() == "1u");
  CHECK(Quantity::FromScaled(1000, kMicro).ToString() == "1m");
  CHECK(Quantity::FromScaled(1, kMilli).ToString() == "1m");
  CHECK(Quantity::FromScaled(1000, kMilli).ToString() == "1");
  CHECK(Quantity::FromScaled(0, kNano).ToString() == "0");
  CHECK(Quantity::FromScaled(1, kGiga).ToString() == "1G");

  CHECK(Quantity::FromInt(1024).WithFormat(Format::kBinarySI).ToString() == "1Ki");
  CHECK(MustParse("1Ki").WithFormat(Format::kDecimalSI).ToString() == "1024");
  CHECK(MustParse("1Ki").WithFormat(Format::kDecimalExponent).ToString() == "1024");
  CHECK(MustParse("2k").WithFormat(Format::kDecimalExponent).ToString() == "2e3");
}

TEST_CASE("Compare is numeric and ignores the format") {
  struct Case {
    const char* a;
    const char* b;
    int expect;
  };
  const Case kCases[] = {
      {"0", "0", 0},
      {"0", "0Ki", 0},
      {"100m", "50m", 1},
      {"50m", "100m", -1},
      {"10000T", "100Gi", 1},
      {"1000m", "1", 0},
      {"1", "1000m", 0},
      {"1Ki", "1024", 0},
      {"1k", "1e3", 0},
      {"1Gi", "1G", 1},
      {"-1Gi", "-1G", -1},
      {"1n", "0", 1},
      {"-1n", "0", -1},
      {"1.5", "1500m", 0},
      {"9223372036854775808", "9223372036854775807", 1},
      {"-9223372036854775809", "-9223372036854775808", -1},
      {"18446744073709551616", "16Ei", 1},  // 16Ei is capped at 2^63-1
      {"1e30", "1e29", 1},
      {"-1e30", "1n", -1},
      {"1000000000000000000000000000000n", "1e21", 0},
      {"9e999", "8.99999999e999", 1},
  };
  for (const Case& tc : kCases) {
    INFO(tc.a << " vs " << tc.b);
    Quantity a = MustParse(tc.a);
    Quantity b = MustParse(tc.b);
    CHECK(a.Compare(b) == tc.expect);
    CHECK(b.Compare(a) == -tc.expect);
    CHECK((a == b) == (tc.expect == 0));
    CHECK((a < b) == (tc.expect < 0));
    CHECK((a > b) == (tc.expect > 0));
    CHECK((a <= b) == (tc.expect <= 0));
  }
}

TEST_CASE("Compare across scales, near the int64 limits") {
  struct Case {
    int64_t av;
    int32_t as;
    int64_t bv;
    int32_t bs;
    int expect;
  };
  const int64_t kE18 = 1000000000000000000;
  const Case kCases[] = {
      {901, -2, 901, -2, 0},
      {90, -1, 901, -2, -1},
      {901, -2, 900, -2, 1},
      {0, 1, 0, -1, 0},
      {800, -3, 1, 0, -1},
      {800, -3, 79, -2, 1},
      {kMax, 0, 1, -1, 1},
      {kMax, 1, 1, 0, 1},
      {kMax, 1, 1, 1, 1},
      {kMax, 1, 0, 1, 1},
      {kMax, -16, 1, 3, -1},
      {kMin, 0, 0, 0, -1},
      {kMin, -18, -1, 0, -1},
      {kMin, -19, -1, 0, 1},
      {kE18, -17, 1, 1, 0},
      {kE18, -17, -10, 0, 1},
      {-kE18, -17, -10, 0, 0},
      {kE18, -17, 1, 0, 1},
      {kE18 + 1, -17, 1, 1, 1},
      {kE18 - 1, -17, 1, 1, -1},
  };
  for (const Case& tc : kCases) {
    INFO(tc.av << "e" << tc.as << " vs " << tc.bv << "e" << tc.bs);
    Quantity a = Quantity::FromScaled(tc.av, tc.as);
    Quantity b = Quantity::FromScaled(tc.bv, tc.bs);
    CHECK(a.Compare(b) == tc.expect);
    CHECK(b.Compare(a) == -tc.expect);
  }
}

TEST_CASE("Add and Sub are exact and keep the receiver's format") {
  auto q = [](int64_t v, Format f = Format::kDecimalSI) { return Quantity::FromInt(v, f); };
  CHECK(q(10).Add(Quantity::FromScaled(1, 1)) == q(20));
  CHECK(q(10).Add(q(1, Format::kBinarySI)).format() == Format::kDecimalSI);
  CHECK(q(10, Format::kBinarySI).Add(q(1)).format() == Format::kBinarySI);
  CHECK(q(10).Sub(Quantity::FromScaled(1, 1)).IsZero());
  CHECK(q(10).Sub(q(1, Format::kBinarySI)) == q(9));
  CHECK(Quantity().Sub(q(50)) == q(-50));
  CHECK(q(50).Sub(Quantity()) == q(50));

  CHECK((MustParse("1") + MustParse("500m")).ToString() == "1500m");
  CHECK((MustParse("1Gi") + MustParse("512Mi")).ToString() == "1536Mi");
  CHECK((MustParse("1Gi") - MustParse("1Gi")).ToString() == "0");
  CHECK((MustParse("100m") - MustParse("1")).ToString() == "-900m");
  CHECK((MustParse("1") + MustParse("1n")).ToString() == "1000000001n");
  Quantity sum;
  sum += MustParse("250m");
  sum += MustParse("750m");
  CHECK(sum.ToString() == "1");
  sum -= MustParse("2");
  CHECK(sum.ToString() == "-1");
  CHECK((-MustParse("1Ki")).ToString() == "-1Ki");
}

TEST_CASE("Adding or subtracting zero keeps the suffix") {
  for (const char* s : {"100m", "1Gi"}) {
    INFO(s);
    Quantity value = MustParse(s);
    Quantity zero = MustParse("0");
    CHECK(value.Add(zero).ToString() == s);
    CHECK(zero.Add(value).ToString() == s);
    CHECK(value.Sub(zero).ToString() == s);
    CHECK(zero.Sub(value).ToString() == value.Neg().ToString());
    CHECK(zero.Add(value).format() == value.format());
  }
}

TEST_CASE("Arithmetic past int64 switches to exact big numbers") {
  Quantity max = Quantity::FromInt(kMax);
  Quantity one = Quantity::FromInt(1);
  Quantity over = max + one;
  CHECK(over.ToString() == "9223372036854775808");
  CHECK_FALSE(over.AsInt64().has_value());
  CHECK(over - one == max);
  CHECK((over - one).AsInt64() == kMax);

  Quantity min = Quantity::FromInt(kMin);
  CHECK(min.Neg().ToString() == "9223372036854775808");
  CHECK(min.Neg().Sign() == 1);
  CHECK(min.Neg().Neg() == min);
  CHECK((Quantity() - min).ToString() == "9223372036854775808");
  CHECK((one - min).ToString() == "9223372036854775809");
  CHECK((Quantity::FromScaled(1, 1) - min).ToString() == "9223372036854775818");
  CHECK(Quantity::FromScaled(kMin, kMilli).Neg().ToString() == "9223372036854775808m");
  CHECK((Quantity::FromMilli(1) - Quantity::FromScaled(kMin, kMilli)).ToString() == "9223372036854775809m");
  // (mostNegative+1) negates to mostPositive and stays representable as int64.
  CHECK(Quantity::FromInt(kMin + 1).Neg().AsInt64() == kMax);

  // 0 - mostNegative in BinarySI takes the subtrahend's format: 2^63 is 8Ei.
  Quantity eight_ei = Quantity() - Quantity::FromInt(kMin, Format::kBinarySI);
  CHECK(eight_ei.format() == Format::kBinarySI);
  CHECK(eight_ei.ToString() == "8Ei");
  CHECK((eight_ei + eight_ei).ToString() == "16Ei");
  // Binary suffixes stop at Ei.
  Quantity big = eight_ei;
  for (int i = 0; i < 7; ++i) big = big + big;  // 2^70
  CHECK(big.ToString() == "1024Ei");

  Quantity e30 = Quantity::FromScaled(1, 30);
  CHECK((e30 + MustParse("1n")).ToString() == "1000000000000000000000000000000000000001n");
  CHECK((e30 + MustParse("1n") - e30).ToString() == "1n");
  CHECK((MustParse("1e30") + MustParse("1n")).ToString() == "1000000000000000000000000000000000000001e-9");
  CHECK((MustParse("9e999") + MustParse("1e999")).ToString() == "10e999");
}

TEST_CASE("Add then Sub of random values cancels exactly, within and across scales") {
  std::mt19937_64 rng(42);
  for (int k = -10; k <= 10; ++k) {
    Quantity q;
    std::vector<int64_t> order;
    for (int i = 0; i < 100; ++i) {
      int64_t j = static_cast<int64_t>(rng() >> 1);
      order.push_back(j);
      q += Quantity::FromScaled(j, k);
    }
    CHECK(q.Sign() == 1);
    for (int64_t j : order) q -= Quantity::FromScaled(j, k);
    CHECK(q.IsZero());
  }
  Quantity q;
  std::vector<int64_t> order;
  for (int i = 0; i < 100; ++i) {
    int64_t j = static_cast<int64_t>(rng() >> 1);
    order.push_back(j);
    q += Quantity::FromScaled(j, static_cast<int32_t>(j % 20 - 10));
  }
  for (int64_t j : order) q -= Quantity::FromScaled(j, static_cast<int32_t>(j % 20 - 10));
  CHECK(q.IsZero());
  CHECK(q.ToString() == "0");
}

TEST_CASE("Value, MilliValue and ScaledValue round away from zero") {
  CHECK(MustParse("1.5").Value() == 2);
  CHECK(MustParse("1.5").MilliValue() == 1500);
  CHECK(MustParse("-1.5").Value() == -2);
  CHECK(MustParse("1n").Value() == 1);
  CHECK(MustParse("-1n").Value() == -1);
  CHECK(MustParse("0.1m").MilliValue() == 1);
  CHECK(MustParse("1Mi").Value() == 1048576);
  CHECK(MustParse("100m").MilliValue() == 100);
  CHECK(MustParse("2").MilliValue() == 2000);
  CHECK(MustParse("1.5Gi").Value() == 1610612736);
  CHECK(MustParse("0").Value() == 0);
  CHECK(Quantity().MilliValue() == 0);

  struct Case {
    int32_t from;
    int32_t to;
    int64_t expect;
  };
  const Case kCases[] = {
      {kNano, kNano, 1},        {kNano, kMicro, 1},      {kNano, kMilli, 1},   {kNano, 0, 1},
      {kMicro, kNano, 1000},    {kMicro, kMicro, 1},     {kMicro, kMilli, 1},  {kMicro, 0, 1},
      {kMilli, kNano, 1000000}, {kMilli, kMicro, 1000},  {kMilli, kMilli, 1},  {kMilli, 0, 1},
      {0, kNano, 1000000000},   {0, kMicro, 1000000},    {0, kMilli, 1000},    {0, 0, 1},
      {2, -2, 10000},           {kNano, 100, 1},         {kNano, std::numeric_limits<int32_t>::max(), 1},
  };
  for (const Case& tc : kCases) {
    INFO("1e" << tc.from << " at scale " << tc.to);
    CHECK(Quantity::FromScaled(1, tc.from).ScaledValue(tc.to) == tc.expect);
    CHECK(Quantity::FromScaled(-1, tc.from).ScaledValue(tc.to) == -tc.expect);
  }
}

TEST_CASE("Value saturates outside int64 and works on big numbers") {
  CHECK(MustParse("9223372036854775807").Value() == kMax);
  CHECK(MustParse("-9223372036854775808").Value() == kMin);
  CHECK(MustParse("9223372036854775808").Value() == kMax);
  CHECK(MustParse("-9223372036854775809").Value() == kMin);
  CHECK(MustParse("1e30").Value() == kMax);
  CHECK(MustParse("-1e30").Value() == kMin);
  CHECK(MustParse("9223372036854775807").MilliValue() == kMax);
  CHECK(Quantity::FromInt(kMax).ScaledValue(std::numeric_limits<int32_t>::min()) == kMax);
  CHECK(MustParse("9223372036854775808.5").ScaledValue(3) == 9223372036854776);
  CHECK(MustParse("-9223372036854775808.5").ScaledValue(3) == -9223372036854776);
  CHECK(MustParse("1e30").ScaledValue(20) == 10000000000);
  CHECK(MustParse("100000000000000000000.1").ScaledValue(18) == 101);
  CHECK(MustParse("1e999").ScaledValue(999) == 1);
  CHECK(MustParse("1e999").ScaledValue(1000) == 1);
}

TEST_CASE("AsInt64 only for exact integers in range") {
  CHECK(MustParse("1k").AsInt64() == 1000);
  CHECK(MustParse("1Gi").AsInt64() == int64_t{1} << 30);
  CHECK(MustParse("1000m").AsInt64() == 1);
  CHECK(MustParse("-1E").AsInt64() == -1000000000000000000);
  CHECK(MustParse("-9223372036854775808").AsInt64() == kMin);
  CHECK(MustParse("9223372036854775807").AsInt64() == kMax);
  CHECK(MustParse("0").AsInt64() == 0);
  CHECK_FALSE(MustParse("1.5").AsInt64().has_value());
  CHECK_FALSE(MustParse("1n").AsInt64().has_value());
  CHECK_FALSE(MustParse("9223372036854775808").AsInt64().has_value());
  CHECK_FALSE(MustParse("10E").AsInt64().has_value());
  CHECK_FALSE(MustParse("1e30").AsInt64().has_value());
  CHECK_FALSE(MustParse("1.5e30").AsInt64().has_value());
  CHECK_FALSE(Quantity::FromScaled(kMax, 1).AsInt64().has_value());
  CHECK(Quantity::FromScaled(kMax - kMax % 10, -1).AsInt64() == kMax / 10);
}

TEST_CASE("AsDouble is the nearest double") {
  CHECK(MustParse("2Ki").AsDouble() == 2048.0);
  CHECK(MustParse("1.1Ki").AsDouble() == 1126.4);
  CHECK(MustParse("1Mi").AsDouble() == 1.048576e+06);
  CHECK(MustParse("2Gi").AsDouble() == 2.147483648e+09);
  CHECK(MustParse("0.1").AsDouble() == 0.1);
  CHECK(MustParse("100m").AsDouble() == 0.1);
  CHECK(MustParse("-1.5").AsDouble() == -1.5);
  CHECK(MustParse("0").AsDouble() == 0.0);
  CHECK(MustParse("12E").AsDouble() == 1.2e19);
  CHECK(MustParse("9223372036854775807").AsDouble() == 9223372036854775807.0);
  CHECK(Quantity::FromScaled(7 * 1024 * 1024, -1).AsDouble() == 7 * 1024 * 1024 / 10.0);
  CHECK(Quantity::FromScaled(7 * 1024 * 1024, -8).AsDouble() == 7 * 1024 * 1024 / 1e8);
  CHECK(MustParse("123456789012345678901234567890").AsDouble() == 1.2345678901234568e29);
  CHECK(MustParse("12e500").AsDouble() == std::numeric_limits<double>::infinity());
  CHECK(MustParse("-12e500").AsDouble() == -std::numeric_limits<double>::infinity());
}

TEST_CASE("Proto conversion") {
  resourcepb::Quantity proto;
  absl::StatusOr<Quantity> unset = Quantity::FromProto(proto);
  VK_REQUIRE_OK(unset);
  CHECK(unset->IsZero());

  proto.set_string("1.5Gi");
  absl::StatusOr<Quantity> q = Quantity::FromProto(proto);
  VK_REQUIRE_OK(q);
  CHECK(q->Value() == 1610612736);
  CHECK(q->ToProto().string() == "1536Mi");
  resourcepb::Quantity out;
  Quantity::FromMilli(250).ToProto(&out);
  CHECK(out.string() == "250m");

  proto.set_string("");
  CHECK(errdefs::IsInvalidInput(Quantity::FromProto(proto).status()));
  proto.set_string("12 cores");
  CHECK(errdefs::IsInvalidInput(Quantity::FromProto(proto).status()));

  // Survives a serialise/parse round trip of the message itself.
  std::string wire = Quantity::FromInt(3, Format::kBinarySI).ToProto().SerializeAsString();
  resourcepb::Quantity parsed;
  REQUIRE(parsed.ParseFromString(wire));
  CHECK(parsed.string() == "3");
}

TEST_CASE("ResourceList to and from the proto map") {
  google::protobuf::Map<std::string, resourcepb::Quantity> proto;
  proto["cpu"].set_string("1000m");
  proto["memory"].set_string("1.5Gi");
  proto["pods"].set_string("110");
  proto["nvidia.com/gpu"].set_string("2");
  absl::StatusOr<ResourceList> list = ResourceListFromProto(proto);
  VK_REQUIRE_OK(list);
  REQUIRE(list->size() == 4);
  CHECK(list->at("cpu") == Quantity::FromInt(1));
  CHECK(list->at("memory").format() == Format::kBinarySI);
  CHECK(list->find(std::string_view("pods"))->second.Value() == 110);

  google::protobuf::Map<std::string, resourcepb::Quantity> back;
  back["stale"].set_string("1");
  ResourceListToProto(*list, &back);
  CHECK(back.size() == 4);
  CHECK(back.count("stale") == 0);
  CHECK(back.at("cpu").string() == "1");
  CHECK(back.at("memory").string() == "1536Mi");
  CHECK(back.at("nvidia.com/gpu").string() == "2");

  proto["ephemeral-storage"].set_string("10 GB");
  absl::StatusOr<ResourceList> bad = ResourceListFromProto(proto);
  REQUIRE_FALSE(bad.ok());
  CHECK(errdefs::IsInvalidInput(bad.status()));
  CHECK(bad.status().message().find("\"ephemeral-storage\"") != std::string_view::npos);
}

TEST_CASE("Stream output prints the canonical form") {
  std::ostringstream os;
  os << MustParse("1.5Gi") << " " << Quantity::FromMilli(-1500);
  CHECK(os.str() == "1536Mi -1500m");
}

// --- internal::BigUint / BigDecimal ------------------------------------------------

TEST_CASE("BigUint digit handling") {
  using internal::BigUint;
  for (const char* digits : {"0", "1", "999999999", "1000000000", "123456789012345678901234567890", "18446744073709551616"}) {
    INFO(digits);
    BigUint v = BigUint::FromDigits(digits);
    CHECK(v.ToString() == digits);
    CHECK(v.NumDigits() == (std::string(digits) == "0" ? 0 : static_cast<int64_t>(std::string(digits).size())));
  }
  CHECK(BigUint::FromDigits("000123").ToString() == "123");
  CHECK(BigUint::FromUint64(std::numeric_limits<uint64_t>::max()).ToString() == "18446744073709551615");
  CHECK(BigUint::FromDigits("18446744073709551615").ToUint64() == std::numeric_limits<uint64_t>::max());
  CHECK_FALSE(BigUint::FromDigits("18446744073709551616").ToUint64().has_value());

  BigUint v = BigUint::FromDigits("12345");
  v.MulPow10(20);
  CHECK(v.ToString() == "1234500000000000000000000");
  CHECK(v.TrailingZeros() == 20);
  CHECK_FALSE(v.DivPow10(20));
  CHECK(v.ToString() == "12345");
  CHECK(v.DivPow10(2));
  CHECK(v.ToString() == "123");
  CHECK(v.DivPow10(10));
  CHECK(v.IsZero());

  BigUint a = BigUint::FromDigits("999999999999999999");
  BigUint b = BigUint::FromDigits("1");
  BigUint sum = BigUint::Add(a, b);
  CHECK(sum.ToString() == "1000000000000000000");
  CHECK(BigUint::Sub(sum, b).ToString() == "999999999999999999");
  CHECK(BigUint::Sub(sum, sum).IsZero());
  CHECK(BigUint::Compare(a, sum) == -1);
  CHECK(BigUint::Compare(sum, a) == 1);
  CHECK(BigUint::Compare(a, a) == 0);

  BigUint p = BigUint::FromDigits("3");
  p.MulPow2(60);
  CHECK(p.ToString() == "3458764513820540928");
  CHECK(p.DivSmall(1024) == 0);
  CHECK(p.ToString() == "3377699720527872");
}

TEST_CASE("BigDecimal rounding and normalisation") {
  using internal::BigDecimal;
  BigDecimal d = BigDecimal::FromInt64(3001, -12);
  CHECK_FALSE(d.RoundUpToExponent(-9));
  CHECK(d.magnitude.ToString() == "4");
  CHECK(d.exponent == -9);

  BigDecimal exact = BigDecimal::FromInt64(-5000, -12);
  CHECK(exact.RoundUpToExponent(-9));
  CHECK(exact.magnitude.ToString() == "5");
  CHECK(exact.negative);

  int64_t mantissa = 0;
  int32_t scale = 0;
  BigDecimal big;
  big.magnitude = internal::BigUint::FromDigits("10000000000000000000000");
  CHECK(big.ToSmall(&mantissa, &scale));  // trailing zeros move into the scale
  CHECK(mantissa == 1);
  CHECK(scale == 22);
  big.magnitude = internal::BigUint::FromDigits("10000000000000000000001");
  CHECK_FALSE(big.ToSmall(&mantissa, &scale));
  CHECK(BigDecimal::FromInt64(kMin, 0).ToSmall(&mantissa, &scale));
  CHECK(mantissa == kMin);
}

}  // namespace
}  // namespace vkubelet::resource

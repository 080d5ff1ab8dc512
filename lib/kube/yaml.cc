// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// yaml-cpp parses; the typing of plain scalars, merge keys and key
// stringification follow go-yaml v2.4 (resolve.go, decode.go) and
// sigs.k8s.io/yaml (yaml.go), re-implemented here. yaml-cpp exceptions stop
// at this file's public functions.

#include "vkubelet/kube/yaml.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::kube {
namespace {

using nlohmann::json;
using ::vkubelet::internal::ToAbsl;

constexpr int kMaxDepth = 1000;
// Alias expansion may multiply a document; allow generous growth, but stop
// "billion laughs" style inputs long before they exhaust memory.
constexpr size_t kBaseValueBudget = 1000000;
constexpr size_t kValueBudgetPerInputByte = 16;

constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

// --- UTF-8 -----------------------------------------------------------------------

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid
// (overlong, surrogate, out of range, truncated).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v;
  uint32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (byte(i + k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// YAML's printable set (what go-yaml's reader accepts).
bool IsYamlPrintable(uint32_t cp) {
  return cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
         (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Rewrites invalid UTF-8 as U+FFFD, byte by byte, as Go's JSON encoder does.
void RepairUtf8(std::string* s) {
  uint32_t cp;
  size_t i = 0;
  while (i < s->size()) {
    size_t n = DecodeUtf8(*s, i, &cp);
    if (n == 0) break;
    i += n;
  }
  if (i == s->size()) return;
  std::string out(s->data(), i);
  while (i < s->size()) {
    size_t n = DecodeUtf8(*s, i, &cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(*s, i, n);
      i += n;
    }
  }
  *s = std::move(out);
}

absl::Status ErrorAtLine(int line, int column, std::string_view message) {
  if (line < 0) return errdefs::InvalidInput(absl::StrCat("yaml: ", ToAbsl(message)));
  return errdefs::InvalidInput(absl::StrCat("yaml: line ", line + 1, ", column ", column + 1, ": ", ToAbsl(message)));
}

absl::Status ErrorAt(const YAML::Mark& mark, std::string_view message) {
  return ErrorAtLine(mark.is_null() ? -1 : mark.line, mark.column, message);
}

// The input must be UTF-8 (or carry a UTF-16/32 byte order mark, which
// yaml-cpp converts) made of YAML-printable characters.
absl::Status CheckInputEncoding(std::string_view yaml) {
  auto starts = [&](std::string_view bom) { return yaml.substr(0, bom.size()) == bom; };
  if (starts(std::string_view("\x00\x00\xFE\xFF", 4)) || starts("\xFF\xFE") || starts("\xFE\xFF")) {
    return absl::OkStatus();
  }
  int line = 0;
  size_t line_start = 0;
  size_t i = 0;
  while (i < yaml.size()) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(yaml, i, &cp);
    int column = static_cast<int>(i - line_start);
    if (n == 0) return ErrorAtLine(line, column, "invalid UTF-8");
    if (!IsYamlPrintable(cp) && !(i == 0 && cp == 0xFEFF)) {
      return ErrorAtLine(line, column, absl::StrCat("control character U+", absl::Hex(cp, absl::kZeroPad4),
                                                    " is not allowed"));
    }
    if (cp == '\n') {
      ++line;
      line_start = i + 1;
    }
    i += n;
  }
  return absl::OkStatus();
}

// --- Go number syntax ---------------------------------------------------------------

enum class NumParse { kOk, kSyntax, kRange };

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// strconv.ParseUint(s, 0, 64): optional 0x/0o/0b prefix, a bare leading 0
// means octal. No sign. (Underscores were removed by the caller.)
NumParse ParseGoUint(std::string_view s, uint64_t* out) {
  if (s.empty()) return NumParse::kSyntax;
  int base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
    if (p == 'b') {
      base = 2, s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8, s.remove_prefix(2);
    } else if (p == 'x') {
      base = 16, s.remove_prefix(2);
    } else {
      base = 8, s.remove_prefix(1);
    }
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (IsDigit(c)) {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return NumParse::kSyntax;
    }
    if (d >= base) return NumParse::kSyntax;
    if (v > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / static_cast<uint64_t>(base)) {
      return NumParse::kRange;
    }
    v = v * base + d;
  }
  *out = v;
  return NumParse::kOk;
}

// strconv.ParseInt(s, 0, 64).
NumParse ParseGoInt(std::string_view s, int64_t* out) {
  if (s.empty()) return NumParse::kSyntax;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t magnitude;
  NumParse r = ParseGoUint(s, &magnitude);
  if (r != NumParse::kOk) return r;
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!negative && magnitude >= kCutoff) return NumParse::kRange;
  if (negative && magnitude > kCutoff) return NumParse::kRange;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return NumParse::kOk;
}

// Consumes [0-9]* from s at *i; returns how many.
size_t SkipDigits(std::string_view s, size_t* i) {
  size_t begin = *i;
  while (*i < s.size() && IsDigit(s[*i])) ++*i;
  return *i - begin;
}

// Matches [eE][-+]?[0-9]+ at *i, if present; false if malformed.
bool SkipExponent(std::string_view s, size_t* i) {
  if (*i < s.size() && (s[*i] == 'e' || s[*i] == 'E')) {
    ++*i;
    if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) ++*i;
    if (SkipDigits(s, i) == 0) return false;
  }
  return true;
}

// go-yaml's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool MatchYamlFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (SkipDigits(s, &i) == 0) return false;
  } else {
    if (SkipDigits(s, &i) == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      SkipDigits(s, &i);
    }
  }
  return SkipExponent(s, &i) && i == s.size();
}

// What strconv.ParseFloat accepts for text that starts with '.'.
bool MatchDotFloat(std::string_view s) {
  size_t i = 1;
  if (s.empty() || s[0] != '.' || SkipDigits(s, &i) == 0) return false;
  return SkipExponent(s, &i) && i == s.size();
}

// Parses a decimal float matched above, correctly rounded. nullopt when it
// overflows a double (Go reports a range error and go-yaml keeps the
// string); underflow gives a signed zero, as in Go.
std::optional<double> ParseDecimalFloat(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec == std::errc() && ptr == body.data() + body.size()) return v;
  if (ec != std::errc::result_out_of_range) return std::nullopt;
  // Out of range: decide overflow vs underflow from the decimal exponent.
  bool negative = !body.empty() && body[0] == '-';
  if (negative) body.remove_prefix(1);
  size_t e_pos = body.find_first_of("eE");
  std::string_view mantissa = body.substr(0, e_pos);
  int64_t exponent = 0;
  if (e_pos != std::string_view::npos) {
    std::string_view digits = body.substr(e_pos + 1);
    bool exp_negative = !digits.empty() && digits[0] == '-';
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    for (char c : digits) exponent = std::min<int64_t>(exponent * 10 + (c - '0'), int64_t{1} << 40);
    if (exp_negative) exponent = -exponent;
  }
  size_t point = mantissa.find('.');
  std::string_view int_part = mantissa.substr(0, point);
  std::string_view frac_part = point == std::string_view::npos ? std::string_view() : mantissa.substr(point + 1);
  size_t lead = int_part.find_first_not_of('0');
  int64_t position;  // decimal exponent of the first significant digit
  if (lead != std::string_view::npos) {
    position = static_cast<int64_t>(int_part.size() - lead) - 1 + exponent;
  } else {
    size_t frac_lead = frac_part.find_first_not_of('0');
    if (frac_lead == std::string_view::npos) return negative ? -0.0 : 0.0;
    position = -static_cast<int64_t>(frac_lead) - 1 + exponent;
  }
  if (position > 0) return std::nullopt;
  return negative ? -0.0 : 0.0;
}

// --- Scalar resolution (go-yaml v2 resolve.go) ------------------------------------

struct Scalar {
  enum Kind { kNull, kBool, kInt, kUint, kFloat, kString };
  Kind kind = kString;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
};

Scalar MakeBool(bool b) {
  Scalar s;
  s.kind = Scalar::kBool;
  s.b = b;
  return s;
}
Scalar MakeFloat(double f) {
  Scalar s;
  s.kind = Scalar::kFloat;
  s.f = f;
  return s;
}

// Types a plain (untagged, unquoted) scalar the way go-yaml v2 does. A
// kString result means "the text itself".
Scalar ResolvePlain(std::string_view in) {
  if (in.empty()) return Scalar{Scalar::kNull};
  const char c = in[0];
  char hint;
  if (c == '+' || c == '-') {
    hint = 'S';
  } else if (IsDigit(c)) {
    hint = 'D';
  } else if (c == '.') {
    hint = '.';
  } else if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) {
    hint = 'M';
  } else {
    return Scalar{};
  }

  static constexpr std::string_view kTrue[] = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"~", "null", "Null", "NULL"};
  static constexpr std::string_view kNan[] = {".nan", ".NaN", ".NAN"};
  static constexpr std::string_view kInf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static constexpr std::string_view kNegInf[] = {"-.inf", "-.Inf", "-.INF"};
  for (std::string_view w : kTrue) {
    if (in == w) return MakeBool(true);
  }
  for (std::string_view w : kFalse) {
    if (in == w) return MakeBool(false);
  }
  for (std::string_view w : kNull) {
    if (in == w) return Scalar{Scalar::kNull};
  }
  for (std::string_view w : kNan) {
    if (in == w) return MakeFloat(std::numeric_limits<double>::quiet_NaN());
  }
  for (std::string_view w : kInf) {
    if (in == w) return MakeFloat(std::numeric_limits<double>::infinity());
  }
  for (std::string_view w : kNegInf) {
    if (in == w) return MakeFloat(-std::numeric_limits<double>::infinity());
  }

  if (hint == 'M') return Scalar{};
  if (hint == '.') {
    if (MatchDotFloat(in)) {
      if (std::optional<double> f = ParseDecimalFloat(in)) return MakeFloat(*f);
    }
    return Scalar{};
  }
  // Digits or a sign: int, uint or float; timestamps and everything else stay
  // text (go-yaml hands timestamps to an interface{} as strings).
  std::string plain;
  plain.reserve(in.size());
  for (char ch : in) {
    if (ch != '_') plain.push_back(ch);
  }
  Scalar s;
  if (ParseGoInt(plain, &s.i) == NumParse::kOk) {
    s.kind = Scalar::kInt;
    return s;
  }
  if (ParseGoUint(plain, &s.u) == NumParse::kOk) {
    s.kind = Scalar::kUint;
    return s;
  }
  if (MatchYamlFloat(plain)) {
    if (std::optional<double> f = ParseDecimalFloat(plain)) return MakeFloat(*f);
  }
  return Scalar{};
}

std::string_view KindName(Scalar::Kind kind) {
  switch (kind) {
    case Scalar::kNull: return "!!null";
    case Scalar::kBool: return "!!bool";
    case Scalar::kInt:
    case Scalar::kUint: return "!!int";
    case Scalar::kFloat: return "!!float";
    case Scalar::kString: return "!!str";
  }
  return "!!str";
}

// Base64 for !!binary; line breaks and spaces inside are ignored.
std::optional<std::string> DecodeBinary(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact.push_back(c);
  }
  std::string out;
  if (!absl::Base64Unescape(compact, &out)) return std::nullopt;
  return out;
}

// --- Node conversion ---------------------------------------------------------------

class Converter {
 public:
  explicit Converter(size_t budget) : budget_(budget) {}

  absl::Status Convert(const YAML::Node& node, int depth, json* out) {
    VK_RETURN_IF_ERROR(Enter(node, depth));
    switch (node.Type()) {
      case YAML::NodeType::Null:
        *out = nullptr;
        return absl::OkStatus();
      case YAML::NodeType::Scalar:
        return ScalarValue(node, out);
      case YAML::NodeType::Sequence: {
        *out = json::array();
        for (const YAML::Node& child : node) {
          json value;
          VK_RETURN_IF_ERROR(Convert(child, depth + 1, &value));
          out->push_back(std::move(value));
        }
        return absl::OkStatus();
      }
      case YAML::NodeType::Map:
        *out = json::object();
        return MapInto(node, depth, out);
      case YAML::NodeType::Undefined:
        break;
    }
    return ErrorAt(node.Mark(), "undefined node");
  }

 private:
  absl::Status Enter(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) {
      return ErrorAt(node.Mark(), absl::StrCat("nesting deeper than ", kMaxDepth,
                                               " levels (or an alias that contains itself)"));
    }
    if (budget_ == 0) {
      return ErrorAt(node.Mark(), "the document expands to too many values (excessive aliasing)");
    }
    --budget_;
    return absl::OkStatus();
  }

  // The scalar's value with tags applied.
  absl::StatusOr<Scalar> Resolve(const YAML::Node& node, std::string* text) {
    const std::string& tag = node.Tag();
    *text = node.Scalar();
    if (tag == "?") return ResolvePlain(*text);
    if (tag.compare(0, kYamlTagPrefix.size(), kYamlTagPrefix) != 0) return Scalar{};  // "!", custom tags
    std::string_view name = std::string_view(tag).substr(kYamlTagPrefix.size());
    if (name == "binary") {
      std::optional<std::string> bytes = DecodeBinary(*text);
      if (!bytes.has_value()) return ErrorAt(node.Mark(), "!!binary value contains invalid base64 data");
      *text = std::move(*bytes);
      return Scalar{};
    }
    Scalar::Kind want;
    if (name == "int") {
      want = Scalar::kInt;
    } else if (name == "float") {
      want = Scalar::kFloat;
    } else if (name == "bool") {
      want = Scalar::kBool;
    } else if (name == "null") {
      want = Scalar::kNull;
    } else {
      return Scalar{};  // !!str, !!timestamp and tags go-yaml does not resolve keep the text
    }
    Scalar s = ResolvePlain(*text);
    if (want == Scalar::kFloat && s.kind == Scalar::kInt) return MakeFloat(static_cast<double>(s.i));
    if (want == Scalar::kFloat && s.kind == Scalar::kUint) return MakeFloat(static_cast<double>(s.u));
    bool ok = s.kind == want || (want == Scalar::kInt && s.kind == Scalar::kUint);
    if (!ok) {
      return ErrorAt(node.Mark(), absl::StrCat("cannot decode ", ToAbsl(KindName(s.kind)), " `", *text, "` as a !!",
                                               ToAbsl(name)));
    }
    return s;
  }

  absl::Status ScalarValue(const YAML::Node& node, json* out) {
    std::string text;
    VK_ASSIGN_OR_RETURN(Scalar s, Resolve(node, &text));
    switch (s.kind) {
      case Scalar::kNull: *out = nullptr; break;
      case Scalar::kBool: *out = s.b; break;
      case Scalar::kInt: *out = s.i; break;
      case Scalar::kUint: *out = s.u; break;
      case Scalar::kFloat: {
        if (!std::isfinite(s.f)) {
          return ErrorAt(node.Mark(), absl::StrCat("`", text, "` (infinity or NaN) cannot be represented in JSON"));
        }
        // The Go JSON encoder writes integral floats without a fraction, so
        // whatever reads that JSON sees an integer.
        constexpr double kTwo63 = 9223372036854775808.0;
        constexpr double kTwo64 = 18446744073709551616.0;
        if (std::trunc(s.f) == s.f && s.f >= -kTwo63 && s.f < kTwo63) {
          *out = static_cast<int64_t>(s.f);
        } else if (std::trunc(s.f) == s.f && s.f >= 0 && s.f < kTwo64) {
          *out = static_cast<uint64_t>(s.f);
        } else {
          *out = s.f;
        }
        break;
      }
      case Scalar::kString:
        RepairUtf8(&text);
        *out = std::move(text);
        break;
    }
    return absl::OkStatus();
  }

  static bool IsMergeKey(const YAML::Node& key) {
    return key.IsScalar() && key.Scalar() == "<<" &&
           (key.Tag() == "?" || key.Tag() == absl::StrCat(ToAbsl(kYamlTagPrefix), "merge"));
  }

  absl::Status MapInto(const YAML::Node& node, int depth, json* object) {
    for (const auto& entry : node) {
      const YAML::Node& key = entry.first;
      const YAML::Node& value = entry.second;
      if (IsMergeKey(key)) {
        VK_RETURN_IF_ERROR(Merge(value, depth + 1, object));
        continue;
      }
      VK_ASSIGN_OR_RETURN(std::string name, KeyString(key));
      json converted;
      VK_RETURN_IF_ERROR(Convert(value, depth + 1, &converted));
      (*object)[name] = std::move(converted);
    }
    return absl::OkStatus();
  }

  // go-yaml v2: merged entries are set in document order (so they overwrite
  // keys written before the <<); in a sequence, earlier maps take precedence.
  absl::Status Merge(const YAML::Node& value, int depth, json* object) {
    VK_RETURN_IF_ERROR(Enter(value, depth));
    if (value.IsMap()) return MapInto(value, depth, object);
    if (value.IsSequence()) {
      for (size_t i = value.size(); i-- > 0;) {
        const YAML::Node& item = value[i];
        if (!item.IsMap()) return ErrorAt(item.Mark(), "map merge requires map or sequence of maps as the value");
        VK_RETURN_IF_ERROR(Enter(item, depth + 1));
        VK_RETURN_IF_ERROR(MapInto(item, depth + 1, object));
      }
      return absl::OkStatus();
    }
    return ErrorAt(value.Mark(), "map merge requires map or sequence of maps as the value");
  }

  // sigs.k8s.io/yaml turns int, float and bool keys into strings and rejects
  // the rest.
  absl::StatusOr<std::string> KeyString(const YAML::Node& key);

  size_t budget_;
};

// strconv.FormatFloat(v, 'g', -1, 32), with YAML's spellings of the
// non-finite values, as sigs.k8s.io/yaml stringifies float keys.
std::string FormatGoFloat32(double v) {
  if (std::isnan(v)) return ".nan";
  float f = static_cast<float>(v);
  if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string_view sci(buf, end - buf);  // [-]d[.ddd]e[+-]XX, shortest digits
  bool negative = sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exp10);
  const int nd = static_cast<int>(digits.size());
  const int dp = exp10 + 1;  // position of the decimal point
  std::string out = negative ? "-" : "";
  if (exp10 < -4 || exp10 >= 6) {
    out += digits[0];
    if (nd > 1) absl::StrAppend(&out, ".", digits.substr(1));
    int x = exp10;
    absl::StrAppend(&out, x < 0 ? "e-" : "e+", std::abs(x) < 10 ? "0" : "", std::abs(x));
    return out;
  }
  if (dp <= 0) {
    absl::StrAppend(&out, "0.", std::string(static_cast<size_t>(-dp), '0'), digits);
  } else if (dp >= nd) {
    absl::StrAppend(&out, digits, std::string(static_cast<size_t>(dp - nd), '0'));
  } else {
    absl::StrAppend(&out, digits.substr(0, dp), ".", digits.substr(dp));
  }
  return out;
}

absl::StatusOr<std::string> Converter::KeyString(const YAML::Node& key) {
  switch (key.Type()) {
    case YAML::NodeType::Null:
      return ErrorAt(key.Mark(), "unsupported map key: null");
    case YAML::NodeType::Sequence:
    case YAML::NodeType::Map:
      return ErrorAt(key.Mark(), "invalid map key: a sequence or mapping cannot be a key");
    case YAML::NodeType::Undefined:
      return ErrorAt(key.Mark(), "undefined map key");
    case YAML::NodeType::Scalar:
      break;
  }
  std::string text;
  VK_ASSIGN_OR_RETURN(Scalar s, Resolve(key, &text));
  switch (s.kind) {
    case Scalar::kString:
      RepairUtf8(&text);
      return text;
    case Scalar::kInt: return absl::StrCat(s.i);
    case Scalar::kBool: return std::string(s.b ? "true" : "false");
    case Scalar::kFloat: return FormatGoFloat32(s.f);
    case Scalar::kNull: return ErrorAt(key.Mark(), "unsupported map key: null");
    case Scalar::kUint: break;
  }
  return ErrorAt(key.Mark(), absl::StrCat("unsupported map key of type uint64: ", text));
}

absl::StatusOr<std::vector<YAML::Node>> LoadDocuments(std::string_view yaml) {
  VK_RETURN_IF_ERROR(CheckInputEncoding(yaml));
  try {
    return YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return ErrorAt(e.mark, e.msg);
  } catch (const std::exception& e) {
    return errdefs::InvalidInput(absl::StrCat("yaml: ", e.what()));
  }
}

absl::StatusOr<std::vector<json>> ConvertDocuments(std::string_view yaml) {
  VK_ASSIGN_OR_RETURN(std::vector<YAML::Node> docs, LoadDocuments(yaml));
  Converter converter(kBaseValueBudget + kValueBudgetPerInputByte * yaml.size());
  std::vector<json> out;
  try {
    for (const YAML::Node& doc : docs) {
      if (doc.IsNull()) continue;
      json value;
      VK_RETURN_IF_ERROR(converter.Convert(doc, 0, &value));
      out.push_back(std::move(value));
    }
  } catch (const YAML::Exception& e) {
    return ErrorAt(e.mark, e.msg);
  } catch (const std::exception& e) {
    return errdefs::InvalidInput(absl::StrCat("yaml: ", e.what()));
  }
  return out;
}

// --- JSON → YAML -------------------------------------------------------------------

bool IsAsciiPrintable(unsigned char c) { return c >= 0x20 && c < 0x7f; }

// True when `s` can be written as a plain scalar and reads back as the same
// string, in any YAML 1.1 or 1.2 reader (hence stricter than necessary).
bool CanBePlain(std::string_view s) {
  if (s.empty() || s == "<<") return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!IsAsciiPrintable(c)) return false;
    if (c == '[' || c == ']' || c == '{' || c == '}') return false;
  }
  if (ResolvePlain(s).kind != Scalar::kString) return false;
  const char c = s[0];
  if (std::string_view("!&*|>'\"%@`#,").find(c) != std::string_view::npos) return false;
  if ((c == '-' || c == '?' || c == ':') && (s.size() == 1 || s[1] == ' ')) return false;
  // Numbers, dates, times and octals in some YAML dialect.
  if (IsDigit(c) || ((c == '+' || c == '-' || c == '.') && s.size() > 1 && IsDigit(s[1]))) return false;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) return false;
  return true;
}

void AppendDoubleQuoted(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {  // invalid UTF-8: write U+FFFD
      *out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    switch (cp) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\t': *out += "\\t"; break;
      case '\r': *out += "\\r"; break;
      case 0x85: *out += "\\x85"; break;  // yaml-cpp mis-decodes "\N"
      case 0x2028: *out += "\\L"; break;
      case 0x2029: *out += "\\P"; break;
      default:
        if (cp == 0xFEFF || !IsYamlPrintable(cp)) {
          if (cp <= 0xFF) {
            absl::StrAppend(out, "\\x", absl::Hex(cp, absl::kZeroPad2));
          } else {
            absl::StrAppend(out, "\\u", absl::Hex(cp, absl::kZeroPad4));
          }
        } else {
          out->append(s.substr(i, n));
        }
    }
    i += n;
  }
  out->push_back('"');
}

void AppendString(std::string_view s, std::string* out) {
  if (CanBePlain(s)) {
    out->append(s);
  } else {
    AppendDoubleQuoted(s, out);
  }
}

// Literal blocks keep multi-line text readable; use them only where the
// block reads back byte for byte.
bool UseLiteralBlock(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  if (s.find_first_not_of('\n') == std::string_view::npos) return false;
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0 || cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) return false;
    if (!IsYamlPrintable(cp)) return false;
    i += n;
  }
  // A line of only blanks would be taken for indentation.
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(start, end - start);
    if (!line.empty() && line.find_first_not_of(" \t") == std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

class YamlWriter {
 public:
  std::string Write(const json& j) {
    if (IsNonEmptyObject(j)) {
      WriteObject(j, 0, "");
    } else if (IsNonEmptyArray(j)) {
      WriteArray(j, 0, "");
    } else {
      AppendInline(j, &out_);
      out_ += '\n';
    }
    return std::move(out_);
  }

 private:
  static bool IsNonEmptyObject(const json& j) { return j.is_object() && !j.empty(); }
  static bool IsNonEmptyArray(const json& j) { return j.is_array() && !j.empty(); }
  static bool IsLiteral(const json& j) { return j.is_string() && UseLiteralBlock(j.get_ref<const std::string&>()); }

  static void AppendInline(const json& j, std::string* out) {
    switch (j.type()) {
      case json::value_t::null:
      case json::value_t::discarded: *out += "null"; return;
      case json::value_t::boolean: *out += j.get<bool>() ? "true" : "false"; return;
      case json::value_t::number_integer: absl::StrAppend(out, j.get<int64_t>()); return;
      case json::value_t::number_unsigned: absl::StrAppend(out, j.get<uint64_t>()); return;
      case json::value_t::number_float: {
        double v = j.get<double>();
        if (std::isnan(v)) {
          *out += ".nan";
        } else if (std::isinf(v)) {
          *out += v > 0 ? ".inf" : "-.inf";
        } else {
          char buf[64];
          auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
          out->append(buf, end);
        }
        return;
      }
      case json::value_t::string: AppendString(j.get_ref<const std::string&>(), out); return;
      case json::value_t::object: *out += "{}"; return;
      case json::value_t::array: *out += "[]"; return;
      case json::value_t::binary: {
        const auto& bytes = j.get_binary();
        std::string raw(bytes.begin(), bytes.end());
        absl::StrAppend(out, "!!binary ", absl::Base64Escape(raw));
        return;
      }
    }
  }

  // `s` as a literal block whose lines sit at `indent`.
  void WriteLiteral(std::string_view s, int indent) {
    size_t trailing = s.size() - s.find_last_not_of('\n') - 1;
    out_ += '|';
    size_t first = s.find_first_not_of('\n');
    if (s[first] == ' ') out_ += '2';  // explicit indentation: the text starts with blanks
    std::string_view body = s;
    if (trailing == 0) {
      out_ += '-';
    } else {
      if (trailing > 1) out_ += '+';
      body.remove_suffix(1);
    }
    out_ += '\n';
    size_t start = 0;
    while (start <= body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(start, end - start);
      if (!line.empty()) out_.append(static_cast<size_t>(indent), ' ').append(line);
      out_ += '\n';
      start = end + 1;
    }
  }

  // A value after "key:" or "- ", where the owning line is at `indent`.
  void WriteNested(const json& v, int indent) {
    if (IsNonEmptyObject(v)) {
      out_ += '\n';
      WriteObject(v, indent + 2, std::string(indent + 2, ' '));
    } else if (IsNonEmptyArray(v)) {
      out_ += '\n';
      WriteArray(v, indent, std::string(indent, ' '));
    } else if (IsLiteral(v)) {
      out_ += ' ';
      WriteLiteral(v.get_ref<const std::string&>(), indent + 2);
    } else {
      out_ += ' ';
      AppendInline(v, &out_);
      out_ += '\n';
    }
  }

  // Keys of a non-empty object at `indent`; the first line starts with
  // `lead` (same width) instead of blanks.
  void WriteObject(const json& object, int indent, const std::string& lead) {
    bool first = true;
    for (const auto& [key, value] : object.items()) {
      if (first) {
        out_ += lead;
        first = false;
      } else {
        out_.append(static_cast<size_t>(indent), ' ');
      }
      if (CanBePlain(key)) {
        out_ += key;
      } else {
        AppendDoubleQuoted(key, &out_);
      }
      out_ += ':';
      WriteNested(value, indent);
    }
  }

  // Items of a non-empty array, "- " at `indent`.
  void WriteArray(const json& array, int indent, const std::string& lead) {
    bool first = true;
    for (const json& item : array) {
      std::string prefix = first ? lead : std::string(indent, ' ');
      first = false;
      prefix += "- ";
      if (IsNonEmptyObject(item)) {
        WriteObject(item, indent + 2, prefix);
      } else if (IsNonEmptyArray(item)) {
        WriteArray(item, indent + 2, prefix);
      } else if (IsLiteral(item)) {
        out_ += prefix;
        WriteLiteral(item.get_ref<const std::string&>(), indent + 2);
      } else {
        out_ += prefix;
        AppendInline(item, &out_);
        out_ += '\n';
      }
    }
  }

  std::string out_;
};

}  // namespace

absl::StatusOr<std::vector<nlohmann::json>> YamlDocumentsToJson(std::string_view yaml) {
  return ConvertDocuments(yaml);
}

absl::StatusOr<nlohmann::json> YamlToJson(std::string_view yaml) {
  VK_ASSIGN_OR_RETURN(std::vector<json> docs, ConvertDocuments(yaml));
  if (docs.empty()) return json(nullptr);
  if (docs.size() > 1) {
    return errdefs::InvalidInput(absl::StrCat("yaml: expected a single document, found ", docs.size(),
                                              " (use YamlDocumentsToJson for streams)"));
  }
  return std::move(docs[0]);
}

std::string JsonToYaml(const nlohmann::json& json) { return YamlWriter().Write(json); }

}  // namespace vkubelet::kube

// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "testing/selectors.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::testing::internal {
namespace {

using vkubelet::internal::ToAbsl;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 characters.
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// Lower-case RFC 1123 subdomain, at most 253 characters.
bool IsDnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.')) {
      return false;
    }
  }
  return IsAlnum(s.front()) && IsAlnum(s.back());
}

absl::Status ValidateKey(std::string_view key) {
  std::string_view name = key;
  if (size_t slash = key.find('/'); slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (!IsDnsSubdomain(prefix)) {
      return errdefs::InvalidInput(absl::StrCat("unable to parse requirement: invalid label key \"", ToAbsl(key),
                                                "\": prefix part must be a lowercase RFC 1123 subdomain"));
    }
  }
  if (!IsQualifiedNamePart(name)) {
    return errdefs::InvalidInput(
        absl::StrCat("unable to parse requirement: invalid label key \"", ToAbsl(key),
                     "\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                     "end with an alphanumeric character"));
  }
  return absl::OkStatus();
}

absl::Status ValidateValue(std::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (!IsQualifiedNamePart(value)) {
    return errdefs::InvalidInput(
        absl::StrCat("unable to parse requirement: invalid label value: \"", ToAbsl(value),
                     "\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
                     "or '.', and must start and end with an alphanumeric character"));
  }
  return absl::OkStatus();
}

enum class Tok { kIdent, kNot, kEq, kDoubleEq, kNotEq, kIn, kNotIn, kOpen, kClose, kComma, kGt, kLt, kEnd };

struct Token {
  Tok kind;
  std::string text;
};

bool IsSpecial(char c) {
  return c == '!' || c == '=' || c == ',' || c == '(' || c == ')' || c == '<' || c == '>' ||
         std::isspace(static_cast<unsigned char>(c));
}

std::vector<Token> Lex(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kNotEq, "!="});
      i += 2;
    } else if (c == '!') {
      out.push_back({Tok::kNot, "!"});
      ++i;
    } else if (c == '=' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Tok::kDoubleEq, "=="});
      i += 2;
    } else if (c == '=') {
      out.push_back({Tok::kEq, "="});
      ++i;
    } else if (c == ',') {
      out.push_back({Tok::kComma, ","});
      ++i;
    } else if (c == '(') {
      out.push_back({Tok::kOpen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Tok::kClose, ")"});
      ++i;
    } else if (c == '>') {
      out.push_back({Tok::kGt, ">"});
      ++i;
    } else if (c == '<') {
      out.push_back({Tok::kLt, "<"});
      ++i;
    } else {
      size_t j = i;
      while (j < s.size() && !IsSpecial(s[j])) ++j;
      std::string word(s.substr(i, j - i));
      Tok kind = word == "in" ? Tok::kIn : word == "notin" ? Tok::kNotIn : Tok::kIdent;
      out.push_back({kind, std::move(word)});
      i = j;
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

absl::Status ParseError(std::string_view detail) {
  return errdefs::InvalidInput(absl::StrCat("unable to parse requirement: ", ToAbsl(detail)));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(std::string_view text) {
  LabelSelector sel;
  std::vector<Token> toks = Lex(text);
  size_t p = 0;
  if (toks[p].kind == Tok::kEnd) return sel;
  while (true) {
    Requirement req;
    bool negated = false;
    if (toks[p].kind == Tok::kNot) {
      negated = true;
      ++p;
    }
    if (toks[p].kind != Tok::kIdent) {
      return ParseError(absl::StrCat("found '", toks[p].text, "', expected: identifier"));
    }
    req.key = toks[p].text;
    VK_RETURN_IF_ERROR(ValidateKey(req.key));
    ++p;
    if (negated) {
      req.op = Op::kDoesNotExist;
      if (toks[p].kind != Tok::kComma && toks[p].kind != Tok::kEnd) {
        return ParseError(absl::StrCat("found '", toks[p].text, "', expected: ',' or end of string"));
      }
    } else {
      switch (toks[p].kind) {
        case Tok::kComma:
        case Tok::kEnd:
          req.op = Op::kExists;
          break;
        case Tok::kEq:
        case Tok::kDoubleEq:
        case Tok::kNotEq:
        case Tok::kGt:
        case Tok::kLt: {
          Tok op = toks[p].kind;
          req.op = op == Tok::kNotEq ? Op::kNotEquals
                   : op == Tok::kGt  ? Op::kGreaterThan
                   : op == Tok::kLt  ? Op::kLessThan
                                     : Op::kEquals;
          ++p;
          std::string value;
          if (toks[p].kind == Tok::kIdent || toks[p].kind == Tok::kIn || toks[p].kind == Tok::kNotIn) {
            value = toks[p].text;
            ++p;
          } else if (toks[p].kind != Tok::kComma && toks[p].kind != Tok::kEnd) {
            return ParseError(absl::StrCat("found '", toks[p].text, "', expected: identifier"));
          }
          if (req.op == Op::kGreaterThan || req.op == Op::kLessThan) {
            int64_t n;
            if (!absl::SimpleAtoi(value, &n)) {
              return ParseError(absl::StrCat("for 'Gt', 'Lt' operators, the value must be an integer, got '",
                                             value, "'"));
            }
          } else {
            VK_RETURN_IF_ERROR(ValidateValue(value));
          }
          req.values.push_back(std::move(value));
          break;
        }
        case Tok::kIn:
        case Tok::kNotIn: {
          req.op = toks[p].kind == Tok::kIn ? Op::kIn : Op::kNotIn;
          ++p;
          if (toks[p].kind != Tok::kOpen) {
            return ParseError(absl::StrCat("found '", toks[p].text, "', expected: '('"));
          }
          ++p;
          while (true) {
            if (toks[p].kind == Tok::kClose && req.values.empty()) {
              return ParseError("for 'in', 'notin' operators, values set can't be empty");
            }
            std::string value;
            if (toks[p].kind == Tok::kIdent || toks[p].kind == Tok::kIn || toks[p].kind == Tok::kNotIn) {
              value = toks[p].text;
              ++p;
            }
            VK_RETURN_IF_ERROR(ValidateValue(value));
            req.values.push_back(std::move(value));
            if (toks[p].kind == Tok::kComma) {
              ++p;
              continue;
            }
            if (toks[p].kind == Tok::kClose) {
              ++p;
              break;
            }
            return ParseError(absl::StrCat("found '", toks[p].text, "', expected: ',', ')' or identifier"));
          }
          break;
        }
        default:
          return ParseError(absl::StrCat("found '", toks[p].text,
                                         "', expected: in, notin, =, ==, !=, gt, lt"));
      }
    }
    sel.requirements_.push_back(std::move(req));
    if (toks[p].kind == Tok::kEnd) break;
    if (toks[p].kind != Tok::kComma) {
      return ParseError(absl::StrCat("found '", toks[p].text, "', expected: ',' or end of string"));
    }
    ++p;
  }
  return sel;
}

bool LabelSelector::Matches(const google::protobuf::Map<std::string, std::string>& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    switch (r.op) {
      case Op::kExists:
        if (!has) return false;
        break;
      case Op::kDoesNotExist:
        if (has) return false;
        break;
      case Op::kEquals:
      case Op::kIn:
        if (!has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end()) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end()) return false;
        break;
      case Op::kGreaterThan:
      case Op::kLessThan: {
        int64_t have, want;
        if (!has || !absl::SimpleAtoi(it->second, &have) || !absl::SimpleAtoi(r.values[0], &want)) return false;
        if (r.op == Op::kGreaterThan ? !(have > want) : !(have < want)) return false;
        break;
      }
    }
  }
  return true;
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(std::string_view text) {
  FieldSelector sel;
  // Split on unescaped commas, then each term on its first unescaped operator.
  std::vector<std::string> terms;
  std::string cur;
  bool any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      cur += c;
      cur += text[++i];
    } else if (c == ',') {
      terms.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
    any = true;
  }
  if (!any) return sel;
  terms.push_back(std::move(cur));
  for (const std::string& term : terms) {
    if (term.empty()) continue;
    Requirement req;
    std::string lhs, rhs;
    bool found = false;
    for (size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '\\') {
        ++i;
        continue;
      }
      if (term.compare(i, 2, "!=") == 0) {
        req.equals = false;
        lhs = term.substr(0, i);
        rhs = term.substr(i + 2);
      } else if (term.compare(i, 2, "==") == 0) {
        req.equals = true;
        lhs = term.substr(0, i);
        rhs = term.substr(i + 2);
      } else if (term[i] == '=') {
        req.equals = true;
        lhs = term.substr(0, i);
        rhs = term.substr(i + 1);
      } else {
        continue;
      }
      found = true;
      break;
    }
    if (!found) {
      return errdefs::InvalidInput(absl::StrCat("invalid selector: '", ToAbsl(text), "'; can't understand '", term,
                                                "'"));
    }
    auto unescape = [](std::string_view s) {
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
      }
      return out;
    };
    req.field = unescape(lhs);
    req.value = unescape(rhs);
    while (!req.field.empty() && std::isspace(static_cast<unsigned char>(req.field.back()))) req.field.pop_back();
    while (!req.field.empty() && std::isspace(static_cast<unsigned char>(req.field.front()))) req.field.erase(0, 1);
    sel.requirements_.push_back(std::move(req));
  }
  return sel;
}

bool FieldSelector::Matches(const FieldGetter& get) const {
  for (const Requirement& r : requirements_) {
    std::optional<std::string> v = get(r.field);
    std::string have = v ? *v : std::string();
    if ((have == r.value) != r.equals) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::EqualityValue(std::string_view field) const {
  for (const Requirement& r : requirements_) {
    if (r.equals && r.field == field) return r.value;
  }
  return std::nullopt;
}

}  // namespace vkubelet::testing::internal

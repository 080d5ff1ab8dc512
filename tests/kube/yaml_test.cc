// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Expected typings follow go-yaml v2.4 + sigs.k8s.io/yaml (what kubectl does
// with a manifest) unless a case says otherwise.

#include "vkubelet/kube/yaml.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/resource/quantity.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::kube {
namespace {

using nlohmann::json;

json MustConvert(std::string_view yaml) {
  absl::StatusOr<json> j = YamlToJson(yaml);
  REQUIRE_MESSAGE(j.ok(), "YamlToJson(" << std::string(yaml) << "): " << j.status().ToString());
  return *j;
}

std::string ErrorOf(std::string_view yaml) {
  absl::StatusOr<std::vector<json>> j = YamlDocumentsToJson(yaml);
  REQUIRE_MESSAGE(!j.ok(), "expected an error for: " << std::string(yaml));
  CHECK(errdefs::IsInvalidInput(j.status()));
  return std::string(j.status().message());
}

// --- The recorded manifests --------------------------------------------------------

TEST_CASE("input-objects.yaml: three documents with the expected content") {
  std::string text = test::ReadTestdata("kube-apiserver-1.28.7/input-objects.yaml");
  absl::StatusOr<std::vector<json>> docs = YamlDocumentsToJson(text);
  VK_REQUIRE_OK(docs);
  REQUIRE(docs->size() == 3);

  const json& cm = (*docs)[0];
  CHECK(cm["apiVersion"] == "v1");
  CHECK(cm["kind"] == "ConfigMap");
  CHECK(cm["metadata"] == json({{"name", "cfg"}, {"namespace", "vectors"}}));
  CHECK(cm["data"] == json({{"k1", "v1"}, {"app.conf", "listen 80;\n"}}));
  CHECK(cm["binaryData"]["blob"] == "AAECAwQFBgc=");

  const json& secret = (*docs)[1];
  CHECK(secret["kind"] == "Secret");
  CHECK(secret["type"] == "Opaque");
  CHECK(secret["data"] == json({{"password", "c2VjcmV0"}, {"bin", "AP8A/w=="}}));

  const json& svc = (*docs)[2];
  CHECK(svc["spec"]["selector"] == json({{"app", "web"}}));
  const json& ports = svc["spec"]["ports"];
  REQUIRE(ports.size() == 2);
  CHECK(ports[0] == json({{"name", "http"}, {"port", 80}, {"targetPort", "http"}, {"protocol", "TCP"}}));
  CHECK(ports[1]["targetPort"].is_number_integer());
  CHECK(ports[1]["targetPort"] == 9090);

  // The same stream read as one document is refused rather than truncated.
  absl::StatusOr<json> single = YamlToJson(text);
  REQUIRE_FALSE(single.ok());
  CHECK(single.status().message().find("found 3") != std::string_view::npos);
}

TEST_CASE("input-pod-rich.yaml: types and values as kubectl sends them") {
  json pod = MustConvert(test::ReadTestdata("kube-apiserver-1.28.7/input-pod-rich.yaml"));
  CHECK(pod["kind"] == "Pod");
  CHECK(pod["metadata"]["labels"] == json({{"app", "web"}, {"tier", "frontend"}}));
  CHECK(pod["metadata"]["annotations"]["empty"] == "");
  const json& spec = pod["spec"];
  CHECK(spec["terminationGracePeriodSeconds"].is_number_integer());
  CHECK(spec["terminationGracePeriodSeconds"] == 45);
  CHECK(spec["activeDeadlineSeconds"] == 3600);
  CHECK(spec["enableServiceLinks"] == false);
  CHECK(spec["priority"] == 0);
  CHECK(spec["tolerations"][1]["tolerationSeconds"] == 300);
  CHECK(spec["initContainers"][0]["command"] == json({"sh", "-c", "echo init"}));
  const json& app = spec["containers"][0];
  CHECK(app["args"] == json({"nginx", "-g", "daemon off;"}));
  CHECK(app["command"] == json({"/docker-entrypoint.sh"}));
  CHECK(app["env"][1] == json({{"name", "EMPTY"}, {"value", ""}}));
  CHECK(app["env"][3]["valueFrom"]["resourceFieldRef"]["divisor"] == "1m");
  CHECK(app["env"][4]["valueFrom"]["configMapKeyRef"]["optional"] == true);
  CHECK(app["stdin"] == false);
  CHECK(app["resources"]["limits"]["cpu"] == "1.5");  // quoted in the file
  CHECK(app["resources"]["limits"]["memory"] == "1.5Gi");
  CHECK(spec["volumes"][1]["configMap"]["defaultMode"] == 420);  // 0644 is octal
  CHECK(spec["volumes"][5]["projected"]["sources"][1]["serviceAccountToken"]["expirationSeconds"] == 3600);

  // What the API server returned for this pod: fields it did not default
  // must equal what the YAML said.
  json server = json::parse(test::ReadTestdata("kube-apiserver-1.28.7/pod-rich.json"));
  const json& sspec = server["spec"];
  for (const char* field : {"affinity", "securityContext", "dnsConfig", "hostAliases"}) {
    INFO(field);
    CHECK(spec[field] == sspec[field]);
  }
  CHECK(spec["tolerations"][0] == sspec["tolerations"][0]);
  CHECK(spec["tolerations"][1] == sspec["tolerations"][1]);
  const json& sapp = sspec["containers"][0];
  for (const char* field : {"ports", "envFrom", "lifecycle", "securityContext", "args", "command", "image"}) {
    INFO(field);
    CHECK(app[field] == sapp[field]);
  }
  CHECK(spec["volumes"][0] == sspec["volumes"][0]);
  CHECK(spec["volumes"][1] == sspec["volumes"][1]);
  // Quantities: same value, and the server's spelling is the canonical one.
  for (const char* kind : {"limits", "requests"}) {
    for (const auto& [name, value] : app["resources"][kind].items()) {
      INFO(kind << "." << name);
      absl::StatusOr<resource::Quantity> mine = resource::Quantity::Parse(value.get<std::string>());
      VK_REQUIRE_OK(mine);
      CHECK(mine->ToString() == sapp["resources"][kind][name].get<std::string>());
    }
  }
}

TEST_CASE("The recorded manifests survive JsonToYaml and back") {
  for (const char* file : {"kube-apiserver-1.28.7/input-objects.yaml", "kube-apiserver-1.28.7/input-pod-rich.yaml"}) {
    INFO(file);
    absl::StatusOr<std::vector<json>> docs = YamlDocumentsToJson(test::ReadTestdata(file));
    VK_REQUIRE_OK(docs);
    for (const json& doc : *docs) {
      std::string yaml = JsonToYaml(doc);
      INFO(yaml);
      CHECK(MustConvert(yaml) == doc);
    }
  }
  json server = json::parse(test::ReadTestdata("kube-apiserver-1.28.7/pod-rich.json"));
  CHECK(MustConvert(JsonToYaml(server)) == server);
}

// --- Scalars -------------------------------------------------------------------------

struct ScalarCase {
  const char* yaml;  // the value after "v: "
  json expect;
};

TEST_CASE("Scalar typing follows go-yaml v2") {
  const double kTwo64 = 18446744073709551616.0;
  const std::vector<ScalarCase> cases = {
      // Booleans, including YAML 1.1 words.
      {"true", true},
      {"True", true},
      {"TRUE", true},
      {"false", false},
      {"False", false},
      {"yes", true},
      {"Yes", true},
      {"YES", true},
      {"no", false},
      {"NO", false},
      {"on", true},
      {"On", true},
      {"off", false},
      {"OFF", false},
      {"y", true},
      {"Y", true},
      {"n", false},
      {"N", false},
      {"tRUE", "tRUE"},
      {"yEs", "yEs"},
      {"oN", "oN"},
      {"truee", "truee"},
      // Nulls.
      {"~", nullptr},
      {"null", nullptr},
      {"Null", nullptr},
      {"NULL", nullptr},
      {"", nullptr},
      {"nULL", "nULL"},
      // Integers: Go literals after removing '_'.
      {"42", 42},
      {"-7", -7},
      {"+3", 3},
      {"0", 0},
      {"-0", 0},
      {"0x1F", 31},
      {"0X1f", 31},
      {"-0x10", -16},
      {"0o17", 15},
      {"0b101", 5},
      {"-0b101", -5},
      {"0644", 420},
      {"00", 0},
      {"1_000", 1000},
      {"1_", 1},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", uint64_t{9223372036854775808u}},
      {"18446744073709551615", std::numeric_limits<uint64_t>::max()},
      // Too big for int64/uint64: a (lossy) float, as in go-yaml.
      {"18446744073709551616", kTwo64},
      {"-9223372036854775809", std::numeric_limits<int64_t>::min()},  // float, then integral
      {"123456789012345678901234567890", 1.2345678901234568e29},
      // Floats; integral ones are written as integers by the Go JSON encoder.
      {"1.5", 1.5},
      {".5", 0.5},
      {"-.5", -0.5},
      {"+.5", 0.5},
      {"-2.5E-3", -0.0025},
      {"6.02e23", 6.02e23},
      {"1e21", 1e21},
      {"1e3", 1000},
      {"1.0", 1},
      {"1.", 1},
      {"09", 9},
      {"1_0.5", 10.5},
      {"1e-400", 0},
      {"1e400", "1e400"},  // overflows a double: stays text
      {".5e999", ".5e999"},
      // Text.
      {"0x", "0x"},
      {"0xG", "0xG"},
      {"0b", "0b"},
      {"1:20", "1:20"},
      {"2024-01-02", "2024-01-02"},
      {"2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"},
      {"12:30:00", "12:30:00"},
      {"+", "+"},
      {".", "."},
      {"0.1.2", "0.1.2"},
      {"10.1.2.3", "10.1.2.3"},
      {"_1", "_1"},
      {"3 apples", "3 apples"},
      {"1.5Gi", "1.5Gi"},
      {"250m", "250m"},
      {"héllo wörld", "héllo wörld"},
      {"a 'b' \"c\"", "a 'b' \"c\""},
      {"<<", "<<"},
      // Quoted and block scalars are always strings.
      {"'quoted'", "quoted"},
      {"\"true\"", "true"},
      {"'123'", "123"},
      {"'0644'", "0644"},
      {"\"\"", ""},
      {"'it''s'", "it's"},
      {"\"tab\\tnl\\n\\u00e9\"", "tab\tnl\né"},
      {"|\n  a\n  b\n", "a\nb\n"},
      {"|-\n  a\n  b\n", "a\nb"},
      {"|+\n  a\n\n", "a\n\n"},
      {">\n  folded\n  text\n\n  para\n", "folded text\npara\n"},
      {"|\n  true\n", "true\n"},
      {"plain\n  continued", "plain continued"},
      // Explicit tags.
      {"!!str 123", "123"},
      {"!!str true", "true"},
      {"!!int \"42\"", 42},
      {"!!int 0x10", 16},
      {"!!float 1", 1},
      {"!!float 2.5", 2.5},
      {"!!bool yes", true},
      {"!!binary aGVsbG8=", "hello"},
      {"!!binary |\n  aGVs\n  bG8=\n", "hello"},
      {"!!binary /w==", "\xEF\xBF\xBD"},  // not UTF-8: replaced, as Go's JSON encoder does
      {"!!timestamp 2001-12-14", "2001-12-14"},
      {"!custom x", "x"},
      {"! 42", "42"},
  };
  for (const ScalarCase& tc : cases) {
    std::string yaml = std::string("v: ") + tc.yaml;
    INFO("yaml: " << yaml);
    json j = MustConvert(yaml);
    const json& v = j["v"];
    CHECK(v == tc.expect);
    CHECK(v.type() == tc.expect.type());
  }
}

TEST_CASE("Scalars that cannot become JSON are errors with a position") {
  for (const char* bad : {"v: .inf", "v: -.Inf", "v: +.INF", "v: .nan", "v: !!int abc", "v: !!int 1.5",
                          "v: !!bool 1", "v: !!float yes", "v: !!null 1", "v: !!binary '***'"}) {
    INFO(std::string(bad));
    std::string message = ErrorOf(bad);
    CHECK(message.find("line 1, column 4") != std::string::npos);
  }
  CHECK(ErrorOf("a:\n  b: .inf\n").find("yaml: line 2, column 6: `.inf` (infinity or NaN)") != std::string::npos);
  CHECK(ErrorOf("v: !!int abc").find("cannot decode !!str `abc` as a !!int") != std::string::npos);
}

// --- Keys ----------------------------------------------------------------------------

TEST_CASE("Keys are stringified as sigs.k8s.io/yaml does") {
  struct Case {
    const char* yaml;
    const char* key;
  };
  const Case cases[] = {
      {"on: x", "true"},          {"yes: x", "true"},      {"n: x", "false"},      {"true: x", "true"},
      {"'on': x", "on"},          {"\"yes\": x", "yes"},   {"1: x", "1"},          {"-3: x", "-3"},
      {"0x10: x", "16"},          {"010: x", "8"},         {"1_000: x", "1000"},   {"1.5: x", "1.5"},
      {"0.1: x", "0.1"},          {"1e6: x", "1e+06"},     {"100000.0: x", "100000"}, {"1e-5: x", "1e-05"},
      {"0.0001: x", "0.0001"},    {"3.14159265358979: x", "3.1415927"}, {"-0.0: x", "-0"},
      {".inf: x", ".inf"},        {"-.inf: x", "-.inf"},   {".nan: x", ".nan"},    {"2024-01-02: x", "2024-01-02"},
      {"!!str 1: x", "1"},        {"app.kubernetes.io/name: x", "app.kubernetes.io/name"},
  };
  for (const Case& tc : cases) {
    INFO(tc.yaml);
    json j = MustConvert(tc.yaml);
    REQUIRE(j.is_object());
    REQUIRE(j.size() == 1);
    CHECK(j.begin().key() == tc.key);
    CHECK(j.begin().value() == "x");
  }
}

TEST_CASE("Keys that are not strings, numbers or bools are errors") {
  CHECK(ErrorOf("~: x").find("line 1, column 1: unsupported map key: null") != std::string::npos);
  CHECK(ErrorOf("null: x").find("unsupported map key: null") != std::string::npos);
  CHECK(ErrorOf("a:\n  [1, 2]: x").find("line 2, column 3: invalid map key") != std::string::npos);
  CHECK(ErrorOf("? {a: 1}\n: x").find("invalid map key") != std::string::npos);
  CHECK(ErrorOf("9223372036854775808: x").find("unsupported map key of type uint64") != std::string::npos);
}

TEST_CASE("A repeated key keeps the last value") {
  CHECK(MustConvert("a: 1\nb: 2\na: 3\n") == json({{"a", 3}, {"b", 2}}));
  CHECK(MustConvert("1: a\n'1': b\n") == json({{"1", "b"}}));
}

// --- Anchors, aliases, merge keys ---------------------------------------------------

TEST_CASE("Anchors and aliases are expanded") {
  json j = MustConvert("base: &b {x: 1, y: [a, b]}\nref: *b\nlist: [*b, *b]\nscalar: &s hello\nagain: *s\n");
  CHECK(j["ref"] == j["base"]);
  CHECK(j["list"] == json::array({j["base"], j["base"]}));
  CHECK(j["again"] == "hello");
}

TEST_CASE("Merge keys follow go-yaml v2") {
  // (Not "y" as a key: go-yaml v2 reads a plain y as true.)
  const char* defs = "a: &a {x: 1, w: 2}\nb: &b {w: 20, z: 30}\n";
  auto merged = [&](std::string_view m) { return MustConvert(std::string(defs) + "m: " + std::string(m))["m"]; };
  CHECK(merged("{<<: *a}") == json({{"x", 1}, {"w", 2}}));
  CHECK(merged("{<<: *a, w: 3}") == json({{"x", 1}, {"w", 3}}));
  // go-yaml v2 applies the merge in document order: it overwrites keys before it.
  CHECK(merged("{w: 3, <<: *a}") == json({{"x", 1}, {"w", 2}}));
  // In a list, earlier maps win.
  CHECK(merged("{<<: [*a, *b]}") == json({{"x", 1}, {"w", 2}, {"z", 30}}));
  CHECK(merged("{<<: [*b, *a]}") == json({{"x", 1}, {"w", 20}, {"z", 30}}));
  CHECK(merged("{<<: {k: v}}") == json({{"k", "v"}}));
  CHECK(merged("{!!merge <<: *a}") == json({{"x", 1}, {"w", 2}}));
  // A quoted "<<" is an ordinary key.
  CHECK(merged("{'<<': *a}") == json({{"<<", {{"x", 1}, {"w", 2}}}}));
  // Block style, the usual spelling.
  json j = MustConvert(
      "defaults: &defaults\n  adapter: postgres\n  host: localhost\n"
      "development:\n  database: dev\n  <<: *defaults\n");
  CHECK(j["development"] == json({{"adapter", "postgres"}, {"host", "localhost"}, {"database", "dev"}}));

  CHECK(ErrorOf("a: &s x\nm: {<<: *s}").find("map merge requires map or sequence of maps") != std::string::npos);
  CHECK(ErrorOf("m: {<<: [1]}").find("map merge requires map or sequence of maps") != std::string::npos);
}

TEST_CASE("Self-referencing aliases and alias bombs are refused") {
  CHECK(ErrorOf("a: &a [1, *a]\n").find("nesting deeper than 1000") != std::string::npos);
  CHECK(ErrorOf("a: &a {b: *a}\n").find("nesting deeper than 1000") != std::string::npos);
  CHECK(ErrorOf("a: &a {<<: *a}\n").find("nesting deeper than 1000") != std::string::npos);
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
            ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
  }
  CHECK(ErrorOf(bomb).find("too many values") != std::string::npos);
  std::string deep(1200, '[');
  CHECK_FALSE(YamlToJson(deep + std::string(1200, ']')).ok());
}

// --- Documents ---------------------------------------------------------------------

TEST_CASE("Document streams skip empty documents") {
  const char* stream = "a: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n---\n~\n---\n- x\n";
  absl::StatusOr<std::vector<json>> docs = YamlDocumentsToJson(stream);
  VK_REQUIRE_OK(docs);
  REQUIRE(docs->size() == 3);
  CHECK((*docs)[0] == json({{"a", 1}}));
  CHECK((*docs)[1] == json({{"b", 2}}));
  CHECK((*docs)[2] == json::array({"x"}));

  absl::StatusOr<std::vector<json>> none = YamlDocumentsToJson("");
  VK_REQUIRE_OK(none);
  CHECK(none->empty());
  CHECK(MustConvert("").is_null());
  CHECK(MustConvert("# nothing\n").is_null());
  CHECK(MustConvert("---\n").is_null());
  CHECK(MustConvert("a: 1\n---\n") == json({{"a", 1}}));
  CHECK(MustConvert("42") == 42);
  CHECK(MustConvert("[1, two]") == json::array({1, "two"}));
  CHECK(MustConvert("{\"json\": [1, 2.5, true, null, \"s\"]}") ==
        json({{"json", json::array({1, 2.5, true, nullptr, "s"})}}));
}

// --- Errors ------------------------------------------------------------------------

TEST_CASE("Syntax errors carry line and column") {
  CHECK(ErrorOf("a: [1, 2\nb: 3\n").find("yaml: line 2, column 2:") != std::string::npos);
  CHECK(ErrorOf("a: b: c\n") == "yaml: line 1, column 5: illegal map value");
  CHECK(ErrorOf("a: 1\n\tb: 2\n").find("line 2") != std::string::npos);
  CHECK(ErrorOf("a: *nowhere\n").find("line 1, column 4") != std::string::npos);
  CHECK(ErrorOf("ok: 1\nbad: \xff\n") == "yaml: line 2, column 6: invalid UTF-8");
  CHECK(ErrorOf("a: \x01\n").find("line 1, column 4: control character U+0001") != std::string::npos);
  CHECK(ErrorOf(std::string("a: x\0y", 6)).find("control character U+0000") != std::string::npos);
}

TEST_CASE("Garbage never throws") {
  const char* inputs[] = {"{",       "[",        "]",       ":",          "- - -",        "&a",
                          "*",       "!<!>",     "? ",      "\t",         "'",            "\"",
                          "a: |\n b\nc", "---\n...\n...\n", "%YAML 1.3\n---\na", "%TAG ! !x\n--- !a b",
                          "a: !!seq x", "a: !!map x", "[a, b]: c", "{a: 1, a: 2}", "- &a\n- *a",
                          "\xEF\xBB\xBF" "a: 1"};
  for (const char* input : inputs) {
    INFO(input);
    absl::StatusOr<std::vector<json>> r = YamlDocumentsToJson(input);
    if (!r.ok()) CHECK(errdefs::IsInvalidInput(r.status()));
  }
}

// --- JSON → YAML ------------------------------------------------------------------

TEST_CASE("JsonToYaml layout") {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"x","labels":{"app":"web"},"annotations":{}},
      "spec":{"containers":[{"name":"a","args":["-g","daemon off;"],"ports":[{"containerPort":80}],"env":[]}],
              "nodeSelector":null,"matrix":[[1,2],[]]}})");
  CHECK(JsonToYaml(pod) ==
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        "  annotations: {}\n"
        "  labels:\n"
        "    app: web\n"
        "  name: x\n"
        "spec:\n"
        "  containers:\n"
        "  - args:\n"
        "    - -g\n"
        "    - daemon off;\n"
        "    env: []\n"
        "    name: a\n"
        "    ports:\n"
        "    - containerPort: 80\n"
        "  matrix:\n"
        "  - - 1\n"
        "    - 2\n"
        "  - []\n"
        "  nodeSelector: null\n");
  CHECK(JsonToYaml(json::object()) == "{}\n");
  CHECK(JsonToYaml(json::array()) == "[]\n");
  CHECK(JsonToYaml(nullptr) == "null\n");
  CHECK(JsonToYaml("yes") == "\"yes\"\n");
  CHECK(JsonToYaml(json({{"data", {{"app.conf", "listen 80;\n"}, {"on", "0644"}}}})) ==
        "data:\n"
        "  app.conf: |\n"
        "    listen 80;\n"
        "  \"on\": \"0644\"\n");
}

TEST_CASE("JsonToYaml output reads back identically") {
  const std::vector<std::string> strings = {
      "", "plain", "true", "True", "yes", "on", "off", "y", "n", "N", "null", "~", "Null", "0", "42", "-1", "0644",
      "0x1F", "1e3", "1_000", "1.5", ".5", ".inf", "-.inf", ".nan", "2024-01-02", "1:20", "<<", " lead", "trail ",
      "a: b", "a:b", "x:", "#x", "a #b", "a#b", "- x", "-", "-g", "?", ":", "?x", "@at", "`tick", "%pct", "[x]",
      "{y}", "a,b", "*ref", "&anc", "!tag", "|", ">", "'", "\"", "quote\"s", "back\\slash", "tab\there",
      std::string("nul\0l", 5), "ctrl\x01\x1f\x7f", "é ü 中文 🙂", "\xC2\x85 nel", "\xE2\x80\xA8 ls", "\xEF\xBB\xBF bom",
      "\xC2\x80 c1", "multi\nline\n", "multi\nline", "multi\nline\n\n\n", "\n\nleading", "  indented\nsecond\n",
      "\n  indented after blank\n", "line with trailing space \nnext", "blank-only line\n   \nafter", "tab\n\tstart",
      "crlf\r\nline", "\n", "\n\n", "10.1.2.3", "nginx:1.25", "http://example.com/a?b=c#d", "1.5Gi", "250m",
  };
  json strings_obj = json::object();
  json strings_arr = json::array();
  for (size_t i = 0; i < strings.size(); ++i) {
    strings_obj[strings[i].empty() ? std::string("empty") : strings[i]] = strings[i];
    strings_arr.push_back(strings[i]);
    strings_arr.push_back(json::array({strings[i], json::object({{"k", strings[i]}})}));
  }
  const std::vector<json> values = {
      strings_obj,
      strings_arr,
      json({{"ints", {0, -1, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}},
            {"uint", std::numeric_limits<uint64_t>::max()},
            {"floats", {1.5, -0.25, 1e300, 1e-300, 6.02e23, 0.1, -0.0, 2.5e-7}},
            {"bools", {true, false}},
            {"nulls", {nullptr, json::object(), json::array(), json::array({json::object()})}},
            {"nested", {{"a", {{"b", {{"c", json::array({json::array({json::array({1})})})}}}}}}}}),
      json::array({json::array({"a", json::array({"b", "c"})}), json::object({{"x", json::array({1, 2})}})}),
      json("top\nlevel\nstring"),
      json(3.25),
  };
  for (const json& value : values) {
    std::string yaml = JsonToYaml(value);
    INFO(yaml);
    absl::StatusOr<json> back = YamlToJson(yaml);
    VK_REQUIRE_OK(back);
    CHECK(*back == value);
  }
}

}  // namespace
}  // namespace vkubelet::kube

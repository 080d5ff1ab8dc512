// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// HTTP server/client over TLS: serving, upgrades, client certificates and
// certificate file rotation.

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "http_test_util.h"
#include "internal/tls/certs.h"
#include "vkubelet/testing/assertions.h"

namespace vkubelet::internal::http {
namespace {

using testutil::AwaitFor;
using testutil::Get;
using testutil::MakeClient;
using testutil::StartServer;
using testutil::TestCtx;

tls::CaOptions NamedCa(std::string name) {
  tls::CaOptions o;
  o.common_name = std::move(name);
  return o;
}

struct Pki {
  tls::CertKeyPem ca;
  tls::CertKeyPem server;
};

Pki MakePki(const std::string& ca_name) {
  Pki p;
  auto ca = tls::GenerateCa(NamedCa(ca_name));
  REQUIRE(ca.ok());
  p.ca = *ca;
  tls::LeafOptions leaf;
  leaf.common_name = "server";
  leaf.ip_addresses = {"127.0.0.1"};
  leaf.dns_names = {"localhost"};
  auto server = tls::IssueCertificate(p.ca, leaf);
  REQUIRE(server.ok());
  p.server = *server;
  return p;
}

tls::CertKeyPem ClientCert(const tls::CertKeyPem& ca, const std::string& cn, std::vector<std::string> orgs) {
  tls::LeafOptions leaf;
  leaf.common_name = cn;
  leaf.organizations = std::move(orgs);
  leaf.server_auth = false;
  leaf.client_auth = true;
  auto c = tls::IssueCertificate(ca, leaf);
  REQUIRE(c.ok());
  return *c;
}

// Reports the peer certificate as "cn|org1,org2|verified" or "none".
void WhoAmI(Request& req, std::shared_ptr<Response> resp) {
  std::string out = "none";
  if (req.peer_certificate) {
    out = absl::StrCat(req.peer_certificate->common_name, "|", absl::StrJoin(req.peer_certificate->organizations, ","),
                       "|", req.peer_certificate->verified ? "verified" : "unverified");
  }
  resp->Send(200, {}, absl::StrCat(req.tls ? "tls " : "plain ", out));
}

ClientTlsOptions TrustOnly(const tls::CertKeyPem& ca) { return ClientTlsOptions{ca.cert_pem, "", "", "", false}; }

TEST_CASE("TLS request/response with keep-alive") {
  Pki pki = MakePki("ca-1");
  ServerOptions opts;
  opts.tls = ServerTlsOptions{"", "", pki.server.cert_pem, pki.server.key_pem, "", false};
  auto server = StartServer(opts, WhoAmI);
  REQUIRE(server);
  auto client = MakeClient(server->port(), TrustOnly(pki.ca));
  for (int i = 0; i < 3; ++i) {
    auto r = client->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(r);
    CHECK(r->body == "tls none");
  }
  CHECK(client->connections_opened() == 1);

  // The server name is checked: the certificate has no SAN "other.example".
  ClientTlsOptions wrong = TrustOnly(pki.ca);
  wrong.server_name = "other.example";
  auto bad = MakeClient(server->port(), wrong);
  CHECK_FALSE(bad->Do(TestCtx(), Get("/")).ok());
  // An untrusting client fails; one that skips verification gets through.
  Pki other = MakePki("ca-2");
  CHECK_FALSE(MakeClient(server->port(), TrustOnly(other.ca))->Do(TestCtx(), Get("/")).ok());
  auto insecure = MakeClient(server->port(), ClientTlsOptions{"", "", "", "", true});
  VK_CHECK_OK(insecure->Do(TestCtx(), Get("/")));
}

TEST_CASE("TLS 101 Upgrade then raw echo") {
  Pki pki = MakePki("ca-1");
  ServerOptions opts;
  opts.tls = ServerTlsOptions{"", "", pki.server.cert_pem, pki.server.key_pem, "", false};
  auto server = StartServer(opts, [](Request& req, std::shared_ptr<Response> resp) {
    if (!req.IsUpgrade("SPDY/3.1")) {
      resp->Send(400, {}, "");
      return;
    }
    auto conn = resp->Upgrade({{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}});
    if (!conn.ok()) return;
    std::shared_ptr<Connection> c = *conn;
    c->Start([c](std::string_view d) { c->Write("<" + std::string(d) + ">"); }, [c](const absl::Status&) {});
  });
  REQUIRE(server);
  auto client = MakeClient(server->port(), TrustOnly(pki.ca));
  ClientRequest req;
  req.method = "POST";
  req.target = "/exec/ns/pod/c?command=sh";
  req.headers = {{"Connection", "Upgrade"}, {"Upgrade", "SPDY/3.1"}};
  auto up = client->Upgrade(TestCtx(), req);
  VK_REQUIRE_OK(up);
  REQUIRE(up->status == 101);
  absl::Mutex mu;
  std::string got;
  up->connection->Start(
      [&](std::string_view d) {
        absl::MutexLock lock(&mu);
        got.append(d);
      },
      [](const absl::Status&) {});
  std::string big(200000, 'z');
  CHECK(up->connection->Write("ping"));
  CHECK(up->connection->Write(big));
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return got.size() >= 6 + big.size() + 2; },
                   absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  // Writes may be merged or split between reads; every byte is echoed in order.
  CHECK(got.rfind("<ping", 0) == 0);
  CHECK(std::count(got.begin(), got.end(), 'z') == static_cast<long>(big.size()));
}

// Small WebSocket frames are written as a gather (frame header + payload),
// which the TLS layer coalesces into one record: every byte, the first one
// (FIN and opcode) included, must reach the peer unchanged. kubectl rejects a
// damaged header ("continuation after FIN").
TEST_CASE("TLS WebSocket: small messages keep their frame headers in both directions") {
  Pki pki = MakePki("ca-1");
  ServerOptions opts;
  opts.tls = ServerTlsOptions{"", "", pki.server.cert_pem, pki.server.key_pem, "", false};
  // What a kubelet writes for `exec -- echo hi` over v5.channel.k8s.io,
  // then a text message, an empty one and one larger than a short string.
  const std::vector<std::pair<std::string, bool>> kServerMessages = {
      {std::string("\x01", 1), true},
      {std::string("\x01hi\n", 4), true},
      {"t", false},
      {"", true},
      {std::string("\x03{\"metadata\":{},\"status\":\"Success\"}"), true},
  };
  auto server = StartServer(opts, [&](Request&, std::shared_ptr<Response> resp) {
    auto ws = resp->AcceptWebSocket("v5.channel.k8s.io");
    if (!ws.ok()) {
      resp->Send(400, {}, std::string(ws.status().message()));
      return;
    }
    std::shared_ptr<WebSocketConnection> w = *ws;
    for (const auto& [data, binary] : kServerMessages) w->Send(data, binary);
    // Echo what the client sends; "bye" ends the exchange.
    w->Start(
        [w](std::string data, bool binary) {
          if (data == "bye") {
            w->Close(1000, "");
            return;
          }
          w->Send("echo:" + data, binary);
        },
        [w](int, const std::string&) {});
  });
  REQUIRE(server);
  auto client = MakeClient(server->port(), TrustOnly(pki.ca));
  auto ws = client->WebSocket(TestCtx(), "/exec/ns/pod/c?command=echo", {"v5.channel.k8s.io"});
  VK_REQUIRE_OK(ws);
  absl::Mutex mu;
  std::vector<std::pair<std::string, bool>> got;
  int close_code = 0;
  bool closed = false;
  (*ws)->Start(
      [&](std::string data, bool binary) {
        absl::MutexLock lock(&mu);
        got.emplace_back(std::move(data), binary);
      },
      [&](int code, const std::string&) {
        absl::MutexLock lock(&mu);
        close_code = code;
        closed = true;
      });
  CHECK((*ws)->Send(std::string("\x00x", 2), true));
  CHECK((*ws)->Send("y", false));
  REQUIRE(AwaitFor(
      mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed || got.size() >= kServerMessages.size() + 2; },
      absl::Seconds(10)));
  {
    absl::MutexLock lock(&mu);
    REQUIRE(got.size() == kServerMessages.size() + 2);
    for (size_t i = 0; i < kServerMessages.size(); ++i) {
      CHECK(got[i] == kServerMessages[i]);
    }
    CHECK(got[kServerMessages.size()] == std::make_pair(std::string("echo:\x00x", 7), true));
    CHECK(got[kServerMessages.size() + 1] == std::make_pair(std::string("echo:y"), false));
  }
  CHECK((*ws)->Send("bye", false));
  REQUIRE(AwaitFor(mu, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return closed; }, absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  CHECK(close_code == 1000);
}

TEST_CASE("client certificates: CN and O visible when signed by the client CA") {
  Pki pki = MakePki("server-ca");
  auto client_ca = tls::GenerateCa(NamedCa("client-ca"));
  REQUIRE(client_ca.ok());
  auto rogue_ca = tls::GenerateCa(NamedCa("rogue-ca"));
  REQUIRE(rogue_ca.ok());
  tls::CertKeyPem alice = ClientCert(*client_ca, "alice", {"system:masters", "dev"});
  tls::CertKeyPem mallory = ClientCert(*rogue_ca, "mallory", {"system:masters"});

  auto client_with = [&](int port, const tls::CertKeyPem* cert) {
    ClientTlsOptions t = TrustOnly(pki.ca);
    if (cert) {
      t.cert_pem = cert->cert_pem;
      t.key_pem = cert->key_pem;
    }
    return MakeClient(port, t);
  };

  SUBCASE("required") {
    ServerOptions opts;
    opts.tls = ServerTlsOptions{"", "", pki.server.cert_pem, pki.server.key_pem, client_ca->cert_pem, true};
    auto server = StartServer(opts, WhoAmI);
    REQUIRE(server);
    auto ok = client_with(server->port(), &alice)->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(ok);
    CHECK(ok->body == "tls alice|system:masters,dev|verified");
    CHECK_FALSE(client_with(server->port(), &mallory)->Do(TestCtx(), Get("/")).ok());
    CHECK_FALSE(client_with(server->port(), nullptr)->Do(TestCtx(), Get("/")).ok());
    // The server is still healthy after the rejected handshakes.
    VK_CHECK_OK(client_with(server->port(), &alice)->Do(TestCtx(), Get("/")));
  }
  SUBCASE("optional") {
    ServerOptions opts;
    opts.tls = ServerTlsOptions{"", "", pki.server.cert_pem, pki.server.key_pem, client_ca->cert_pem, false};
    auto server = StartServer(opts, WhoAmI);
    REQUIRE(server);
    auto a = client_with(server->port(), &alice)->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(a);
    CHECK(a->body == "tls alice|system:masters,dev|verified");
    auto m = client_with(server->port(), &mallory)->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(m);
    CHECK(m->body == "tls mallory|system:masters|unverified");
    auto n = client_with(server->port(), nullptr)->Do(TestCtx(), Get("/"));
    VK_REQUIRE_OK(n);
    CHECK(n->body == "tls none");
  }
}

void WriteFile(const std::filesystem::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}

TEST_CASE("rotated certificate files are picked up by new connections") {
  auto dir = std::filesystem::temp_directory_path() / absl::StrCat("vk-http-rotate-", ::getpid());
  std::filesystem::create_directories(dir);
  Pki first = MakePki("first-ca");
  Pki second = MakePki("second-ca");
  WriteFile(dir / "tls.crt", first.server.cert_pem);
  WriteFile(dir / "tls.key", first.server.key_pem);

  ServerOptions opts;
  opts.tls = ServerTlsOptions{(dir / "tls.crt").string(), (dir / "tls.key").string(), "", "", "", false};
  auto server = StartServer(opts, WhoAmI);
  REQUIRE(server);
  auto old_client = MakeClient(server->port(), TrustOnly(first.ca));
  VK_REQUIRE_OK(old_client->Do(TestCtx(), Get("/")));
  CHECK_FALSE(MakeClient(server->port(), TrustOnly(second.ca))->Do(TestCtx(), Get("/")).ok());

  WriteFile(dir / "tls.crt", second.server.cert_pem);
  WriteFile(dir / "tls.key", second.server.key_pem);
  // Make the change visible even on file systems with coarse timestamps.
  auto later = std::filesystem::last_write_time(dir / "tls.crt") + std::chrono::seconds(2);
  std::filesystem::last_write_time(dir / "tls.crt", later);
  std::filesystem::last_write_time(dir / "tls.key", later);

  VK_CHECK_OK(MakeClient(server->port(), TrustOnly(second.ca))->Do(TestCtx(), Get("/")));
  CHECK_FALSE(MakeClient(server->port(), TrustOnly(first.ca))->Do(TestCtx(), Get("/")).ok());
  // The connection made before the rotation keeps working.
  VK_CHECK_OK(old_client->Do(TestCtx(), Get("/")));
  CHECK(old_client->connections_opened() == 1);

  // A half-written (unloadable) pair keeps the previous certificate.
  WriteFile(dir / "tls.key", "garbage");
  std::filesystem::last_write_time(dir / "tls.key", later + std::chrono::seconds(2));
  VK_CHECK_OK(MakeClient(server->port(), TrustOnly(second.ca))->Do(TestCtx(), Get("/")));
  server->Stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("bad TLS options are reported by Create") {
  ServerOptions opts;
  opts.tls = ServerTlsOptions{"", "", "nope", "nope", "", false};
  CHECK_FALSE(Server::Create(opts, [](Request&, std::shared_ptr<Response>) {}).ok());
  opts.tls = ServerTlsOptions{"/nonexistent/tls.crt", "/nonexistent/tls.key", "", "", "", false};
  CHECK(Server::Create(opts, [](Request&, std::shared_ptr<Response>) {}).status().code() ==
        absl::StatusCode::kNotFound);
  Pki a = MakePki("a");
  Pki b = MakePki("b");
  opts.tls = ServerTlsOptions{"", "", a.server.cert_pem, b.server.key_pem, "", false};
  CHECK_FALSE(Server::Create(opts, [](Request&, std::shared_ptr<Response>) {}).ok());
  ClientOptions co;
  co.port = 1;
  co.tls = ClientTlsOptions{"garbage", "", "", "", false};
  CHECK_FALSE(Client::Create(co).ok());
}

}  // namespace
}  // namespace vkubelet::internal::http

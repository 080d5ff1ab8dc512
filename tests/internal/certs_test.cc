// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/tls/certs.h"

#include <doctest/doctest.h>

#include "vkubelet/testing/assertions.h"

namespace vkubelet::internal::tls {
namespace {

using ::vkubelet::testing::StatusOf;

CaOptions NamedCa(std::string name) {
  CaOptions o;
  o.common_name = std::move(name);
  return o;
}

TEST_CASE("GenerateCa makes a self-signed CA for both key types") {
  for (KeyType type : {KeyType::kEcdsaP256, KeyType::kRsa2048}) {
    CaOptions opts;
    opts.common_name = "test-ca";
    opts.key_type = type;
    auto ca = GenerateCa(opts);
    VK_REQUIRE_OK(ca);
    CHECK(ca->cert_pem.find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(ca->key_pem.find("PRIVATE KEY") != std::string::npos);
    VK_CHECK_OK(CheckKeyMatchesCertificate(ca->cert_pem, ca->key_pem));
    auto info = ParseCertificatePem(ca->cert_pem);
    VK_REQUIRE_OK(info);
    CHECK(info->common_name == "test-ca");
    CHECK(info->issuer_common_name == "test-ca");
    CHECK(info->is_ca);
    CHECK(info->not_after - info->not_before > absl::Hours(24 * 364));
    VK_CHECK_OK(VerifyCertificate(ca->cert_pem, ca->cert_pem));
  }
}

TEST_CASE("IssueCertificate carries CN, organizations, SANs and chains to the CA") {
  auto ca = GenerateCa({});
  VK_REQUIRE_OK(ca);
  LeafOptions leaf;
  leaf.common_name = "system:node:vk-0";
  leaf.organizations = {"system:nodes", "team-a"};
  leaf.dns_names = {"localhost", "vk-0.example"};
  leaf.ip_addresses = {"127.0.0.1", "::1"};
  leaf.client_auth = true;
  leaf.validity = absl::Hours(2);
  auto cert = IssueCertificate(*ca, leaf);
  VK_REQUIRE_OK(cert);
  VK_CHECK_OK(CheckKeyMatchesCertificate(cert->cert_pem, cert->key_pem));
  auto info = ParseCertificatePem(cert->cert_pem);
  VK_REQUIRE_OK(info);
  CHECK(info->common_name == "system:node:vk-0");
  CHECK(info->organizations == std::vector<std::string>{"system:nodes", "team-a"});
  CHECK(info->issuer_common_name == "vkubelet-ca");
  CHECK(info->dns_names == std::vector<std::string>{"localhost", "vk-0.example"});
  CHECK(info->ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK_FALSE(info->is_ca);
  CHECK(info->not_after - info->not_before == absl::Hours(2));
  VK_CHECK_OK(VerifyCertificate(cert->cert_pem, ca->cert_pem));

  auto other_ca = GenerateCa(NamedCa("other"));
  VK_REQUIRE_OK(other_ca);
  CHECK(StatusOf(VerifyCertificate(cert->cert_pem, other_ca->cert_pem)).code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK_FALSE(CheckKeyMatchesCertificate(cert->cert_pem, ca->key_pem).ok());
}

TEST_CASE("GenerateSelfSigned is its own trust anchor") {
  LeafOptions leaf;
  leaf.common_name = "vk-0";
  leaf.ip_addresses = {"10.0.0.1"};
  leaf.key_type = KeyType::kRsa2048;
  auto cert = GenerateSelfSigned(leaf);
  VK_REQUIRE_OK(cert);
  VK_CHECK_OK(VerifyCertificate(cert->cert_pem, cert->cert_pem));
  auto info = ParseCertificatePem(cert->cert_pem);
  VK_REQUIRE_OK(info);
  CHECK(info->ip_addresses == std::vector<std::string>{"10.0.0.1"});
}

TEST_CASE("bad input gives errors, not crashes") {
  CHECK(ParseCertificatePem("").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseCertificatePem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  auto ca = GenerateCa({});
  VK_REQUIRE_OK(ca);
  LeafOptions leaf;
  leaf.common_name = "x";
  leaf.ip_addresses = {"999.1.1.1"};
  CHECK(IssueCertificate(*ca, leaf).status().code() == absl::StatusCode::kInvalidArgument);
  leaf.ip_addresses = {};
  leaf.validity = -absl::Hours(1);
  CHECK(IssueCertificate(*ca, leaf).status().code() == absl::StatusCode::kInvalidArgument);
  leaf.validity = absl::Hours(1);
  CHECK_FALSE(IssueCertificate(CertKeyPem{ca->cert_pem, "garbage"}, leaf).ok());
  // A leaf cannot issue certificates.
  auto not_ca = IssueCertificate(*ca, leaf);
  VK_REQUIRE_OK(not_ca);
  CHECK(IssueCertificate(*not_ca, leaf).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(GenerateCa(NamedCa("")).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(VerifyCertificate(ca->cert_pem, "").code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vkubelet::internal::tls

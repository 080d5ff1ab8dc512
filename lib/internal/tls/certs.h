// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// X.509 helpers on OpenSSL 3 (EVP API): generate a CA, issue leaf certificates
// from it, and read the fields vkubelet cares about back out of a PEM
// certificate. Used for FakeApiServer's generated CA, the kubelet's
// self-signed serving certificate and test client certificates.
//
// Every function is thread-safe and returns an error status (never throws) for
// bad input: unparsable PEM, a key that does not match, an invalid IP SAN.

#ifndef VKUBELET_INTERNAL_TLS_CERTS_H_
#define VKUBELET_INTERNAL_TLS_CERTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vkubelet::internal::tls {

enum class KeyType {
  kEcdsaP256,  // default: small and fast handshakes
  kRsa2048,
};

// A certificate and its private key, both PEM. `cert_pem` may hold a chain
// (leaf first).
struct CertKeyPem {
  std::string cert_pem;
  std::string key_pem;
};

struct CaOptions {
  std::string common_name = "vkubelet-ca";
  std::vector<std::string> organizations;
  KeyType key_type = KeyType::kEcdsaP256;
  // Validity starts a few minutes in the past to tolerate clock skew.
  absl::Duration validity = absl::Hours(24 * 365);
};

struct LeafOptions {
  std::string common_name;
  // Subject O entries, in order; Kubernetes maps each to a group.
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  // Textual IPv4 or IPv6 addresses ("127.0.0.1", "::1").
  std::vector<std::string> ip_addresses;
  bool server_auth = true;
  bool client_auth = false;
  KeyType key_type = KeyType::kEcdsaP256;
  absl::Duration validity = absl::Hours(24 * 365);
  // Start of validity; default (InfinitePast) means "now minus 5 minutes".
  absl::Time not_before = absl::InfinitePast();
};

// A self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign).
absl::StatusOr<CertKeyPem> GenerateCa(const CaOptions& options);

// A leaf certificate for `options` signed by `ca` (cert and key PEM of a CA).
// The returned cert_pem holds only the leaf.
absl::StatusOr<CertKeyPem> IssueCertificate(const CertKeyPem& ca, const LeafOptions& options);

// A self-signed leaf (also usable as its own trust anchor), the way a kubelet
// without a configured serving certificate makes one.
absl::StatusOr<CertKeyPem> GenerateSelfSigned(const LeafOptions& options);

// Fields of one certificate.
struct CertificateInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  std::string issuer_common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
};

// Parses the first certificate of a PEM text.
absl::StatusOr<CertificateInfo> ParseCertificatePem(std::string_view pem);

// Checks that `key_pem` is a private key matching the first certificate of
// `cert_pem`.
absl::Status CheckKeyMatchesCertificate(std::string_view cert_pem, std::string_view key_pem);

// Verifies that the first certificate of `cert_pem` chains to one of the
// certificates in `ca_pem` and is valid now (purpose not checked).
absl::Status VerifyCertificate(std::string_view cert_pem, std::string_view ca_pem);

}  // namespace vkubelet::internal::tls

#endif  // VKUBELET_INTERNAL_TLS_CERTS_H_

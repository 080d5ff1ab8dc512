// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "internal/tls/certs.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::internal::tls {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

void FreeGeneralNames(GENERAL_NAMES* names) { GENERAL_NAMES_free(names); }
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, FreeGeneralNames>>;

// The OpenSSL error queue as text, emptied.
std::string OpenSslErrors() {
  std::string out;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status SslError(std::string_view what) {
  return absl::InternalError(absl::StrCat(ToAbsl(what), ": ", OpenSslErrors()));
}

BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

absl::StatusOr<X509Ptr> ReadCert(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = MemBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  return cert;
}

absl::StatusOr<KeyPtr> ReadKey(std::string_view pem) {
  ERR_clear_error();
  BioPtr bio = MemBio(pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM private key found");
  }
  return key;
}

absl::StatusOr<KeyPtr> GenerateKey(KeyType type) {
  ERR_clear_error();
  KeyPtr key(type == KeyType::kRsa2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  if (!key) return SslError("generating key");
  return key;
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return SslError("writing private key");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return SslError("writing certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::Status SetName(X509_NAME* name, const std::string& cn, const std::vector<std::string>& orgs) {
  for (const std::string& o : orgs) {
    if (X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(o.data()),
                                   static_cast<int>(o.size()), -1, 0) != 1) {
      return SslError("setting organization");
    }
  }
  if (!cn.empty() &&
      X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()),
                                 static_cast<int>(cn.size()), -1, 0) != 1) {
    return SslError("setting common name");
  }
  return absl::OkStatus();
}

absl::Status AddConfExtension(X509* cert, X509V3_CTX* v3ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, v3ctx, nid, value);
  if (ext == nullptr) return SslError(absl::StrCat("building extension ", OBJ_nid2sn(nid)));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return SslError("adding extension");
  return absl::OkStatus();
}

absl::Status AddSans(X509* cert, const std::vector<std::string>& dns, const std::vector<std::string>& ips) {
  if (dns.empty() && ips.empty()) return absl::OkStatus();
  NamesPtr names(sk_GENERAL_NAME_new_null());
  for (const std::string& d : dns) {
    if (d.empty()) return absl::InvalidArgumentError("empty DNS name");
    GENERAL_NAME* gn = GENERAL_NAME_new();
    ASN1_IA5STRING* s = ASN1_IA5STRING_new();
    ASN1_STRING_set(s, d.data(), static_cast<int>(d.size()));
    GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  for (const std::string& ip : ips) {
    ASN1_OCTET_STRING* addr = a2i_IPADDRESS(ip.c_str());
    if (addr == nullptr) {
      ERR_clear_error();
      return absl::InvalidArgumentError(absl::StrCat("invalid IP address \"", ip, "\""));
    }
    GENERAL_NAME* gn = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(gn, GEN_IPADD, addr);
    sk_GENERAL_NAME_push(names.get(), gn);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return SslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

struct BuildSpec {
  std::string cn;
  std::vector<std::string> orgs;
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  bool is_ca = false;
  bool server_auth = false;
  bool client_auth = false;
  absl::Time not_before;
  absl::Duration validity;
};

// Builds and signs a certificate for `subject_key`. A null issuer means
// self-signed.
absl::StatusOr<X509Ptr> BuildCert(const BuildSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                                  EVP_PKEY* issuer_key) {
  if (spec.validity <= absl::ZeroDuration()) return absl::InvalidArgumentError("validity must be positive");
  ERR_clear_error();
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return SslError("creating certificate");

  // A random positive 127-bit serial number.
  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return SslError("random serial");
  serial_bytes[0] &= 0x7f;
  BnPtr bn(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return SslError("setting serial");
  }

  absl::Time nb = spec.not_before == absl::InfinitePast() ? absl::Now() - absl::Minutes(5) : spec.not_before;
  absl::Time na = nb + spec.validity;
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), absl::ToTimeT(nb)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), absl::ToTimeT(na)) == nullptr) {
    return SslError("setting validity");
  }
  VK_RETURN_IF_ERROR(SetName(X509_get_subject_name(cert.get()), spec.cn, spec.orgs));
  X509_NAME* issuer_name = issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get());
  if (X509_set_issuer_name(cert.get(), issuer_name) != 1) return SslError("setting issuer");
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return SslError("setting public key");

  X509V3_CTX v3ctx;
  X509V3_set_ctx_nodb(&v3ctx);
  X509V3_set_ctx(&v3ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  VK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &v3ctx, NID_basic_constraints,
                                      spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  std::string usage = "critical,digitalSignature,keyEncipherment";
  if (spec.is_ca) usage += ",keyCertSign,cRLSign";
  VK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &v3ctx, NID_key_usage, usage.c_str()));
  std::string eku;
  if (spec.server_auth) eku = "serverAuth";
  if (spec.client_auth) eku += eku.empty() ? "clientAuth" : ",clientAuth";
  if (!eku.empty()) VK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &v3ctx, NID_ext_key_usage, eku.c_str()));
  VK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &v3ctx, NID_subject_key_identifier, "hash"));
  if (issuer != nullptr) {
    VK_RETURN_IF_ERROR(AddConfExtension(cert.get(), &v3ctx, NID_authority_key_identifier, "keyid:always"));
  }
  VK_RETURN_IF_ERROR(AddSans(cert.get(), spec.dns, spec.ips));

  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return SslError("signing certificate");
  return cert;
}

absl::StatusOr<CertKeyPem> ToPem(X509* cert, EVP_PKEY* key) {
  CertKeyPem out;
  VK_ASSIGN_OR_RETURN(out.cert_pem, CertToPem(cert));
  VK_ASSIGN_OR_RETURN(out.key_pem, KeyToPem(key));
  return out;
}

BuildSpec LeafSpec(const LeafOptions& o) {
  BuildSpec spec;
  spec.cn = o.common_name;
  spec.orgs = o.organizations;
  spec.dns = o.dns_names;
  spec.ips = o.ip_addresses;
  spec.server_auth = o.server_auth;
  spec.client_auth = o.client_auth;
  spec.not_before = o.not_before;
  spec.validity = o.validity;
  return spec;
}

absl::Time Asn1ToTime(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

std::string Asn1ToUtf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int len = ASN1_STRING_to_UTF8(&out, s);
  if (len < 0) return "";
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(len));
  OPENSSL_free(out);
  return result;
}

}  // namespace

absl::StatusOr<CertKeyPem> GenerateCa(const CaOptions& options) {
  if (options.common_name.empty()) return absl::InvalidArgumentError("CA common name is empty");
  VK_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey(options.key_type));
  BuildSpec spec;
  spec.cn = options.common_name;
  spec.orgs = options.organizations;
  spec.is_ca = true;
  spec.not_before = absl::InfinitePast();
  spec.validity = options.validity;
  VK_ASSIGN_OR_RETURN(X509Ptr cert, BuildCert(spec, key.get(), nullptr, key.get()));
  return ToPem(cert.get(), key.get());
}

absl::StatusOr<CertKeyPem> IssueCertificate(const CertKeyPem& ca, const LeafOptions& options) {
  VK_ASSIGN_OR_RETURN(X509Ptr ca_cert, ReadCert(ca.cert_pem));
  VK_ASSIGN_OR_RETURN(KeyPtr ca_key, ReadKey(ca.key_pem));
  if (X509_check_private_key(ca_cert.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("CA key does not match the CA certificate");
  }
  if (X509_check_ca(ca_cert.get()) == 0) return absl::InvalidArgumentError("issuer is not a CA certificate");
  VK_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey(options.key_type));
  VK_ASSIGN_OR_RETURN(X509Ptr cert, BuildCert(LeafSpec(options), key.get(), ca_cert.get(), ca_key.get()));
  return ToPem(cert.get(), key.get());
}

absl::StatusOr<CertKeyPem> GenerateSelfSigned(const LeafOptions& options) {
  VK_ASSIGN_OR_RETURN(KeyPtr key, GenerateKey(options.key_type));
  BuildSpec spec = LeafSpec(options);
  // Marked as a CA so that clients can use the certificate as its own root.
  spec.is_ca = true;
  VK_ASSIGN_OR_RETURN(X509Ptr cert, BuildCert(spec, key.get(), nullptr, key.get()));
  return ToPem(cert.get(), key.get());
}

absl::StatusOr<CertificateInfo> ParseCertificatePem(std::string_view pem) {
  VK_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(pem));
  CertificateInfo info;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    if (nid == NID_commonName) {
      info.common_name = Asn1ToUtf8(X509_NAME_ENTRY_get_data(e));
    } else if (nid == NID_organizationName) {
      info.organizations.push_back(Asn1ToUtf8(X509_NAME_ENTRY_get_data(e)));
    }
  }
  X509_NAME* issuer = X509_get_issuer_name(cert.get());
  int idx = X509_NAME_get_index_by_NID(issuer, NID_commonName, -1);
  if (idx >= 0) info.issuer_common_name = Asn1ToUtf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, idx)));

  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  if (names) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
      if (gn->type == GEN_DNS) {
        info.dns_names.push_back(Asn1ToUtf8(gn->d.dNSName));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
        char buf[INET6_ADDRSTRLEN] = {};
        int len = ASN1_STRING_length(ip);
        const unsigned char* data = ASN1_STRING_get0_data(ip);
        if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf))) {
          info.ip_addresses.emplace_back(buf);
        } else if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf))) {
          info.ip_addresses.emplace_back(buf);
        }
      }
    }
  }
  info.not_before = Asn1ToTime(X509_get0_notBefore(cert.get()));
  info.not_after = Asn1ToTime(X509_get0_notAfter(cert.get()));
  info.is_ca = X509_check_ca(cert.get()) > 0;
  ERR_clear_error();
  return info;
}

absl::Status CheckKeyMatchesCertificate(std::string_view cert_pem, std::string_view key_pem) {
  VK_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(cert_pem));
  VK_ASSIGN_OR_RETURN(KeyPtr key, ReadKey(key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("private key does not match the certificate");
  }
  return absl::OkStatus();
}

absl::Status VerifyCertificate(std::string_view cert_pem, std::string_view ca_pem) {
  VK_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(cert_pem));
  StorePtr store(X509_STORE_new());
  BioPtr bio = MemBio(ca_pem);
  int added = 0;
  for (;;) {
    X509Ptr ca(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!ca) break;
    if (X509_STORE_add_cert(store.get(), ca.get()) == 1) ++added;
  }
  ERR_clear_error();
  if (added == 0) return absl::InvalidArgumentError("no CA certificate found");
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) return SslError("verify init");
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return absl::PermissionDeniedError(
        absl::StrCat("certificate verification failed: ", X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

}  // namespace vkubelet::internal::tls

//! The `certificate` method: a service principal signs in with a certificate (PEM or PFX), in pure
//! Rust. We build the client assertion ourselves (an RS256 JWT with `x5t` and `x5t#S256` headers,
//! signed with aws-lc-rs) and hand it to azure_identity's `ClientAssertionCredential`, so no
//! OpenSSL is needed anywhere.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use azure_core::http::ClientMethodOptions;
use azure_identity::{
    ClientAssertion, ClientAssertionCredential, ClientAssertionCredentialOptions,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use super::azure::{AzureProvider, client_options, map_error};
use super::{AuthError, AuthOptions, TokenProvider};
use crate::graph::Endpoints;
use crate::secret::Secret;

/// A certificate with its RSA private key, ready to sign client assertions.
pub struct ClientCertificate {
    key: RsaKeyPair,
    cert_der: Vec<u8>,
    path: PathBuf,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("path", &self.path)
            .field("x5t", &self.thumbprint_sha1())
            .finish_non_exhaustive()
    }
}

fn cert_error(path: &Path, why: impl fmt::Display) -> AuthError {
    AuthError::NotConfigured(format!("certificate {}: {why}", path.display()))
}

impl ClientCertificate {
    /// Loads a PEM file (a `CERTIFICATE` block and a `PRIVATE KEY` or `RSA PRIVATE KEY` block) or a
    /// PFX/PKCS#12 file (with `password`, empty when it has none).
    pub fn load(path: &Path, password: Option<&Secret>) -> Result<Self, AuthError> {
        let bytes =
            std::fs::read(path).map_err(|e| cert_error(path, format!("cannot read: {e}")))?;
        let looks_pem = bytes
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(10)
            .eq(b"-----BEGIN".iter());
        if looks_pem {
            Self::from_pem(&bytes, path)
        } else {
            Self::from_pfx(&bytes, password.map(Secret::expose).unwrap_or(""), path)
        }
    }

    fn from_pem(bytes: &[u8], path: &Path) -> Result<Self, AuthError> {
        let blocks =
            pem::parse_many(bytes).map_err(|e| cert_error(path, format!("bad PEM: {e}")))?;
        let mut cert = None;
        let mut key = None;
        for b in &blocks {
            match b.tag() {
                "CERTIFICATE" if cert.is_none() => cert = Some(b.contents().to_vec()),
                "PRIVATE KEY" => {
                    key = Some(RsaKeyPair::from_pkcs8(b.contents()).map_err(|e| {
                        cert_error(path, format!("the private key is not an RSA key ({e})"))
                    })?)
                }
                "RSA PRIVATE KEY" => {
                    key = Some(RsaKeyPair::from_der(b.contents()).map_err(|e| {
                        cert_error(path, format!("the RSA private key is invalid ({e})"))
                    })?)
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(cert_error(
                        path,
                        "the private key is encrypted; use a PFX file with \
                         AZURE_CLIENT_CERTIFICATE_PASSWORD, or decrypt the key",
                    ));
                }
                _ => {}
            }
        }
        let cert_der =
            cert.ok_or_else(|| cert_error(path, "no CERTIFICATE block in the PEM file"))?;
        let key = key.ok_or_else(|| {
            cert_error(
                path,
                "no private key in the PEM file: put the PRIVATE KEY block after the certificate",
            )
        })?;
        Ok(ClientCertificate {
            key,
            cert_der,
            path: path.to_owned(),
        })
    }

    fn from_pfx(bytes: &[u8], password: &str, path: &Path) -> Result<Self, AuthError> {
        let store = p12_keystore::KeyStore::from_pkcs12(
            bytes,
            password,
            p12_keystore::Pkcs12ImportPolicy::Relaxed,
        )
        .map_err(|e| {
            cert_error(
                path,
                format!(
                    "not a readable PEM or PFX file ({e}); if it is a PFX with a password, set \
                     AZURE_CLIENT_CERTIFICATE_PASSWORD"
                ),
            )
        })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| cert_error(path, "the PFX file holds no private key"))?;
        let leaf = chain
            .certs()
            .first()
            .ok_or_else(|| cert_error(path, "the PFX file holds no certificate for its key"))?;
        let key = RsaKeyPair::from_pkcs8(chain.key().as_der())
            .map_err(|e| cert_error(path, format!("the private key is not an RSA key ({e})")))?;
        Ok(ClientCertificate {
            key,
            cert_der: leaf.as_der().to_vec(),
            path: path.to_owned(),
        })
    }

    /// `x5t`: base64url SHA-1 thumbprint of the certificate, as Entra registers it.
    pub fn thumbprint_sha1(&self) -> String {
        URL_SAFE_NO_PAD.encode(digest::digest(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            &self.cert_der,
        ))
    }

    /// `x5t#S256`: base64url SHA-256 thumbprint of the certificate.
    pub fn thumbprint_sha256(&self) -> String {
        URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, &self.cert_der))
    }

    /// The certificate in DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate as base64 DER (the `key` of a keyCredential in an app registration).
    pub fn certificate_base64(&self) -> String {
        STANDARD.encode(&self.cert_der)
    }

    /// A signed client assertion for `client_id` at `token_endpoint`, valid for ten minutes.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> Result<Secret, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let header = json!({
            "alg": "RS256", "typ": "JWT",
            "x5t": self.thumbprint_sha1(), "x5t#S256": self.thumbprint_sha256(),
        });
        let claims = json!({
            "aud": token_endpoint, "iss": client_id, "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now - 60, "iat": now, "exp": now + 600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| cert_error(&self.path, "signing the client assertion failed"))?;
        Ok(Secret::new(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig)
        )))
    }
}

/// A [`ClientAssertion`] that signs a fresh JWT with a certificate for every token request.
#[derive(Debug)]
pub struct CertificateAssertion {
    certificate: ClientCertificate,
    client_id: String,
    token_endpoint: String,
}

#[async_trait]
impl ClientAssertion for CertificateAssertion {
    async fn secret(
        &self,
        _options: Option<ClientMethodOptions<'_>>,
    ) -> azure_core::Result<String> {
        self.certificate
            .assertion(&self.client_id, &self.token_endpoint)
            .map(|s| s.expose().to_owned())
            .map_err(|e| {
                azure_core::Error::with_message(
                    azure_core::error::ErrorKind::Credential,
                    e.to_string(),
                )
            })
    }
}

/// The token endpoint of `tenant` under the cloud's authority.
pub fn token_endpoint(endpoints: &Endpoints, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        endpoints.login.as_str().trim_end_matches('/')
    )
}

/// A provider signing in as `client_id` in `tenant` with `certificate`.
pub fn with_certificate(
    certificate: ClientCertificate,
    tenant: &str,
    client_id: &str,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    method: &'static str,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let assertion = CertificateAssertion {
        certificate,
        client_id: client_id.to_owned(),
        token_endpoint: token_endpoint(endpoints, tenant),
    };
    let credential = ClientAssertionCredential::new(
        tenant.to_owned(),
        client_id.to_owned(),
        assertion,
        Some(ClientAssertionCredentialOptions {
            client_options: client_options(http, endpoints),
        }),
    )
    .map_err(|e| map_error(method, &e))?;
    Ok(Arc::new(AzureProvider::new(credential, method)))
}

/// The provider for `--auth certificate`: `--certificate`, `--tenant` and `--client-id` (or the
/// profile's values); a PFX password comes from `AZURE_CLIENT_CERTIFICATE_PASSWORD`.
pub fn provider(
    opts: &AuthOptions,
    http: &reqwest::Client,
    endpoints: &Endpoints,
) -> Result<Arc<dyn TokenProvider>, AuthError> {
    let path = opts.certificate_path().ok_or_else(|| {
        AuthError::NotConfigured(
            "--auth certificate needs --certificate FILE (PEM or PFX), or `provctl config set \
             certificate-path FILE`"
                .to_owned(),
        )
    })?;
    let tenant = opts.tenant().ok_or_else(|| {
        AuthError::NotConfigured(
            "--auth certificate needs --tenant (or the profile's tenant)".into(),
        )
    })?;
    let client_id = opts.client_id().ok_or_else(|| {
        AuthError::NotConfigured(
            "--auth certificate needs --client-id, the application (client) id".into(),
        )
    })?;
    let password = opts
        .env
        .get(super::env::CLIENT_CERTIFICATE_PASSWORD)
        .map(Secret::new);
    let cert = ClientCertificate::load(&path, password.as_ref())?;
    with_certificate(cert, &tenant, &client_id, http, endpoints, "certificate")
}

/// Test and emulator helpers: self-signed RSA certificates in PEM and PFX.
pub mod testing {
    /// A self-signed RSA-2048 certificate for `subject`: `(certificate PEM, PKCS#8 key PEM)`.
    pub fn self_signed(subject: &str) -> Result<(String, String), String> {
        use aws_lc_rs::encoding::AsDer;
        let rsa = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|e| e.to_string())?;
        let pkcs8 = rsa.as_der().map_err(|e| e.to_string())?;
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
            &pkcs8.as_ref().into(),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(|e| e.to_string())?;
        let cert = rcgen::CertificateParams::new(vec![subject.to_owned()])
            .map_err(|e| e.to_string())?
            .self_signed(&key)
            .map_err(|e| e.to_string())?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Packs a PEM certificate and key into a PFX protected by `password`.
    pub fn to_pfx(cert_pem: &str, key_pem: &str, password: &str) -> Result<Vec<u8>, String> {
        let cert = pem::parse(cert_pem).map_err(|e| e.to_string())?;
        let key = pem::parse(key_pem).map_err(|e| e.to_string())?;
        let chain = p12_keystore::PrivateKeyChain::new(
            vec![1u8; 20],
            p12_keystore::PrivateKey::from_der(key.contents()).map_err(|e| e.to_string())?,
            [p12_keystore::Certificate::from_der(cert.contents()).map_err(|e| e.to_string())?],
        );
        let mut store = p12_keystore::KeyStore::new();
        store.add_entry(
            "provctl",
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
        );
        store.writer(password).write().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::claims;

    #[test]
    fn pem_and_pfx_load_to_the_same_thumbprint_and_sign_a_verifiable_assertion() {
        let (cert_pem, key_pem) = testing::self_signed("provctl-test").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem_path = dir.path().join("c.pem");
        std::fs::write(&pem_path, format!("{cert_pem}{key_pem}")).unwrap();
        let pfx_path = dir.path().join("c.pfx");
        std::fs::write(
            &pfx_path,
            testing::to_pfx(&cert_pem, &key_pem, "pw").unwrap(),
        )
        .unwrap();

        let a = ClientCertificate::load(&pem_path, None).unwrap();
        let b = ClientCertificate::load(&pfx_path, Some(&Secret::new("pw"))).unwrap();
        assert_eq!(a.thumbprint_sha1(), b.thumbprint_sha1());
        assert_eq!(a.thumbprint_sha256(), b.thumbprint_sha256());
        assert!(!format!("{a:?}").contains("PRIVATE"));

        let jwt = b
            .assertion("cid", "https://login.test/t/oauth2/v2.0/token")
            .unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["x5t"], a.thumbprint_sha1());
        let body: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(body["aud"], "https://login.test/t/oauth2/v2.0/token");
        assert_eq!(body["iss"], "cid");
        assert_eq!(body["sub"], "cid");
        assert!(claims::decode(&jwt).is_ok());

        // The signature verifies with the key's public half.
        use aws_lc_rs::signature::KeyPair;
        let pubkey = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            a.key.public_key().as_ref().to_vec(),
        );
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        pubkey
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
    }

    #[test]
    fn a_wrong_pfx_password_and_a_missing_key_say_what_to_do() {
        let (cert_pem, key_pem) = testing::self_signed("provctl-test").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pfx = dir.path().join("c.pfx");
        std::fs::write(&pfx, testing::to_pfx(&cert_pem, &key_pem, "pw").unwrap()).unwrap();
        let err = ClientCertificate::load(&pfx, Some(&Secret::new("nope"))).unwrap_err();
        assert!(
            err.to_string()
                .contains("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
            "{err}"
        );
        let pem_only = dir.path().join("cert.pem");
        std::fs::write(&pem_only, &cert_pem).unwrap();
        let err = ClientCertificate::load(&pem_only, None).unwrap_err();
        assert!(err.to_string().contains("no private key"), "{err}");
    }
}

//! The TLS step: a handshake (SNI = the host) verified against the expected public roots, through a
//! verifier that also records the chain the server presented. When verification fails because the
//! issuer is unknown, that recorded chain names who issued it — usually an inline TLS-inspection CA.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;

use super::{CertSummary, TlsOutcome};

/// Wraps the WebPKI verifier and keeps a copy of the presented certificates.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Runs the handshake over `io` and reports what happened. `Err` carries an I/O failure that is
/// not a certificate verdict (reset, EOF), for the caller to classify.
pub(super) async fn handshake<IO>(
    io: IO,
    host: &str,
    roots: &Arc<RootCertStore>,
) -> Result<TlsOutcome, std::io::Error>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
        .build()
        .map_err(|e| std::io::Error::other(format!("no usable trusted roots: {e}")))?;
    let recorder = Arc::new(Recording {
        inner: webpki,
        seen: Mutex::new(Vec::new()),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| std::io::Error::other(format!("'{host}' is not a valid TLS name: {e}")))?;
    let result = TlsConnector::from(Arc::new(config)).connect(name, io).await;
    let chain: Vec<CertSummary> = recorder
        .seen
        .lock()
        .map(|seen| seen.iter().map(|c| summarize(c)).collect())
        .unwrap_or_default();
    match result {
        Ok(stream) => {
            let protocol = stream
                .get_ref()
                .1
                .protocol_version()
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            Ok(TlsOutcome {
                verified: true,
                protocol,
                issuer: top_issuer(&chain),
                chain,
                inspection: false,
                error: None,
            })
        }
        Err(e) => {
            let tls_err = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
            match tls_err {
                Some(rustls::Error::InvalidCertificate(cert_err)) => {
                    let inspection = matches!(cert_err, CertificateError::UnknownIssuer);
                    Ok(TlsOutcome {
                        verified: false,
                        protocol: None,
                        issuer: top_issuer(&chain),
                        chain,
                        inspection,
                        error: Some(format!("certificate rejected: {cert_err:?}")),
                    })
                }
                Some(other) => Ok(TlsOutcome {
                    verified: false,
                    protocol: None,
                    issuer: top_issuer(&chain),
                    chain,
                    inspection: false,
                    error: Some(format!("TLS handshake failed: {other}")),
                }),
                None => Err(e),
            }
        }
    }
}

/// The issuer of the topmost presented certificate: the root the chain claims to end at.
fn top_issuer(chain: &[CertSummary]) -> Option<String> {
    chain.last().map(|c| c.issuer.clone())
}

fn summarize(cert: &CertificateDer<'_>) -> CertSummary {
    let (subject, issuer) = der::subject_and_issuer(cert.as_ref())
        .unwrap_or_else(|| ("(unreadable)".into(), "(unreadable)".into()));
    CertSummary { subject, issuer }
}

/// Just enough DER to read a certificate's issuer and subject names (RFC 5280 §4.1), so naming an
/// inspection CA needs no X.509 parser crate.
mod der {
    /// One TLV: (tag, contents, rest).
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        if rest.len() < len {
            return None;
        }
        Some((tag, &rest[..len], &rest[len..]))
    }

    /// (subject, issuer) as readable names.
    pub(super) fn subject_and_issuer(cert: &[u8]) -> Option<(String, String)> {
        let (_, cert, _) = tlv(cert)?; // Certificate SEQUENCE
        let (_, tbs, _) = tlv(cert)?; // TBSCertificate SEQUENCE
        let mut rest = tbs;
        let (tag, _, r) = tlv(rest)?;
        if tag == 0xa0 {
            rest = r; // [0] version
        }
        let (_, _, r) = tlv(rest)?; // serialNumber
        let (_, _, r) = tlv(r)?; // signature AlgorithmIdentifier
        let (_, issuer, r) = tlv(r)?;
        let (_, _, r) = tlv(r)?; // validity
        let (_, subject, _) = tlv(r)?;
        Some((name(subject)?, name(issuer)?))
    }

    /// A Name as "CN" when it has one, else its attributes joined ("O=…, OU=…").
    fn name(mut rdns: &[u8]) -> Option<String> {
        let mut cn = None;
        let mut parts = Vec::new();
        while !rdns.is_empty() {
            let (_, set, r) = tlv(rdns)?;
            rdns = r;
            let mut set = set;
            while !set.is_empty() {
                let (_, atv, r) = tlv(set)?;
                set = r;
                let (_, oid, r) = tlv(atv)?;
                let (_, value, _) = tlv(r)?;
                let value = String::from_utf8_lossy(value).into_owned();
                let label = match oid {
                    [0x55, 0x04, 0x03] => {
                        cn = Some(value.clone());
                        "CN"
                    }
                    [0x55, 0x04, 0x0a] => "O",
                    [0x55, 0x04, 0x0b] => "OU",
                    [0x55, 0x04, 0x06] => "C",
                    _ => continue,
                };
                parts.push(format!("{label}={value}"));
            }
        }
        Some(cn.unwrap_or_else(|| parts.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_and_subject_are_read_from_der() {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Contoso Inspection CA");
        ca.distinguished_name
            .push(rcgen::DnType::OrganizationName, "Contoso");
        let issuer = rcgen::Issuer::new(ca.clone(), &ca_key);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["login.example.test".into()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        let s = summarize(leaf.der());
        assert_eq!(s.issuer, "Contoso Inspection CA");
        let s = summarize(ca_cert.der());
        assert_eq!(s.subject, "Contoso Inspection CA");
        assert_eq!(
            summarize(&CertificateDer::from(vec![0x30, 0x05])).issuer,
            "(unreadable)"
        );
    }
}

//! TLS material for the emulator: a CA generated at start and a server certificate it issues for
//! `127.0.0.1`, `localhost` and `::1`, so clients trust the emulator by adding one root (`ca_pem`).

use super::SimError;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The generated CA (PEM) and the server's certificate chain and key (PEM).
pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    pub chain_pem: String,
    pub key_pem: String,
}

fn tls_err(e: rcgen::Error) -> SimError {
    SimError::Tls(e.to_string())
}

/// Generate a fresh CA and a server certificate signed by it.
pub(crate) fn generate() -> Result<TlsMaterial, SimError> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "provctl Graph emulator CA");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(tls_err)?;
    let mut params = CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        "::1".to_string(),
    ])
    .map_err(tls_err)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "localhost");
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&server_key, &issuer).map_err(tls_err)?;
    let ca_pem = ca_cert.pem();
    Ok(TlsMaterial {
        chain_pem: format!("{}{}", cert.pem(), ca_pem),
        ca_pem,
        key_pem: server_key.serialize_pem(),
    })
}

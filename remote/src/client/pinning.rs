//! TLS to a slave zone with its certificate pinned by SHA-256 fingerprint.
//!
//! Zones have self-signed certificates and no certificate authority between them, so the only
//! trustworthy statement about a slave's identity is the fingerprint its administrator copied
//! into the master's config. `ironrdp_tls::upgrade` accepts any certificate, which would hand the
//! zone's password (through CredSSP) and the user's keystrokes to whoever answers on the address;
//! this verifier accepts exactly one certificate and still checks the handshake signatures, so
//! a peer that copied the certificate but lacks its key fails too.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::read_budget::ReadBudget;
use x509_cert::der::Decode as _;

use super::LinkError;
use crate::tls::{fingerprint_of, CERT_NAME};

/// Parses a configured fingerprint into the canonical form [`fingerprint_of`] prints
/// (`sha256:` and 32 upper-case hex pairs joined by colons). Case, colons and the prefix's
/// presence are forgiven, since people paste these from different tools.
pub(crate) fn canonical_fingerprint(text: &str) -> Result<String, String> {
    let lower = text.trim().to_ascii_lowercase();
    let hex = lower
        .strip_prefix("sha256:")
        .or_else(|| lower.strip_prefix("sha256="))
        .unwrap_or(&lower);
    let digits: String = hex.chars().filter(|c| *c != ':').collect();
    if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "fingerprint {text:?} is not a SHA-256 fingerprint: expected \"sha256:\" and 32 hex \
             pairs, as the zone prints at start (\"sha256:AB:CD:...\")"
        ));
    }
    let upper = digits.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..32)
        .filter_map(|i| upper.get(i * 2..i * 2 + 2))
        .collect();
    Ok(format!("sha256:{}", pairs.join(":")))
}

/// Accepts only the certificate with the pinned fingerprint.
#[derive(Debug)]
pub(crate) struct PinnedVerifier {
    expected: String,
    provider: Arc<CryptoProvider>,
    /// The fingerprint that was offered instead, so the caller can report it (rustls turns the
    /// verifier's error into an alert and an opaque `io::Error`).
    mismatch: Mutex<Option<String>>,
}

/// The error text rustls logs and carries for a refused certificate.
#[derive(Debug, thiserror::Error)]
#[error("certificate fingerprint {actual} is not the pinned {expected}")]
struct Mismatch {
    actual: String,
    expected: String,
}

impl PinnedVerifier {
    pub(crate) fn new(expected: String, provider: Arc<CryptoProvider>) -> Self {
        Self {
            expected,
            provider,
            mismatch: Mutex::new(None),
        }
    }

    fn take_mismatch(&self) -> Option<String> {
        self.mismatch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Name, validity period and issuer are deliberately not checked: the certificate is
        // self-signed and identified by its hash alone, like an SSH host key.
        let actual = fingerprint_of(end_entity);
        if actual == self.expected {
            return Ok(ServerCertVerified::assertion());
        }
        *self.mismatch.lock().unwrap_or_else(PoisonError::into_inner) = Some(actual.clone());
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(Mismatch {
                actual,
                expected: self.expected.clone(),
            })),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Runs the TLS handshake over `tcp` and returns the stream and the server certificate's
/// SubjectPublicKey, which CredSSP binds the NLA exchange to.
pub(crate) async fn upgrade(
    tcp: ReadBudget<TcpStream>,
    zone: &str,
    host: &str,
    address: &str,
    fingerprint: &str,
) -> Result<(TlsStream<ReadBudget<TcpStream>>, Vec<u8>), LinkError> {
    let tls_error = |reason: String| LinkError::Tls {
        address: address.to_owned(),
        reason,
    };
    // The same provider as the server side, chosen explicitly so that a process-wide default
    // (or two enabled providers) cannot make rustls panic.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedVerifier::new(
        fingerprint.to_owned(),
        Arc::clone(&provider),
    ));
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    // CredSSP forbids TLS session resumption (MS-CSSP 3.1.5).
    config.resumption = rustls::client::Resumption::disabled();
    // The name only feeds SNI; the certificate is identified by its fingerprint.
    let server_name = ServerName::try_from(host.to_owned())
        .or_else(|_| ServerName::try_from(CERT_NAME.to_owned()))
        .map_err(|e| tls_error(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = match connector.connect(server_name, tcp).await {
        Ok(stream) => stream,
        Err(error) => {
            if let Some(actual) = verifier.take_mismatch() {
                return Err(LinkError::FingerprintMismatch {
                    zone: zone.to_owned(),
                    expected: fingerprint.to_owned(),
                    actual,
                });
            }
            return Err(tls_error(error.to_string()));
        }
    };
    let public_key = {
        let (_, connection) = stream.get_ref();
        let cert = connection
            .peer_certificates()
            .and_then(|certs| certs.first())
            .ok_or_else(|| tls_error("the zone sent no certificate".to_owned()))?;
        // Checked by the verifier already; this guards the key CredSSP will trust.
        if fingerprint_of(cert) != fingerprint {
            return Err(tls_error(
                "the certificate changed after verification".to_owned(),
            ));
        }
        subject_public_key(cert).map_err(tls_error)?
    };
    Ok((stream, public_key))
}

fn subject_public_key(cert: &[u8]) -> Result<Vec<u8>, String> {
    let cert = x509_cert::Certificate::from_der(cert)
        .map_err(|e| format!("the zone's certificate does not parse: {e}"))?;
    cert.tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "the certificate's public key is not a whole number of bytes".to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FP: &str = "sha256:E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:\
                      27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";

    #[test]
    fn fingerprints_are_canonicalised() {
        assert_eq!(canonical_fingerprint(FP).unwrap(), FP);
        assert_eq!(
            canonical_fingerprint(&FP.to_lowercase()).unwrap(),
            FP,
            "case does not matter"
        );
        let bare: String = FP.trim_start_matches("sha256:").replace(':', "");
        assert_eq!(canonical_fingerprint(&bare).unwrap(), FP);
        assert_eq!(
            canonical_fingerprint(&format!("SHA256={bare}")).unwrap(),
            FP
        );
        assert!(canonical_fingerprint("sha256:AB:CD").is_err());
        assert!(canonical_fingerprint("").is_err());
        let wrong_char = FP.replace("E3", "G3");
        assert!(canonical_fingerprint(&wrong_char).is_err());
    }

    #[test]
    fn only_the_pinned_certificate_is_accepted() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = PinnedVerifier::new(FP.to_owned(), provider);
        let name = ServerName::try_from("airgui").unwrap();
        // FP is the SHA-256 of the empty input.
        let pinned = CertificateDer::from(Vec::new());
        assert!(verifier
            .verify_server_cert(&pinned, &[], &name, &[], UnixTime::now())
            .is_ok());
        let other = CertificateDer::from(vec![1u8]);
        let err = verifier
            .verify_server_cert(&other, &[], &name, &[], UnixTime::now())
            .unwrap_err();
        assert!(
            matches!(
                err,
                rustls::Error::InvalidCertificate(CertificateError::Other(_))
            ),
            "{err}"
        );
        assert_eq!(verifier.take_mismatch(), Some(fingerprint_of(&[1u8])));
        assert!(!verifier.supported_verify_schemes().is_empty());
    }
}

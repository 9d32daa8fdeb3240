//! The server's TLS identity: a self-signed certificate made once and kept, so that a master (or a
//! person using `xfreerdp /cert:tofu`) can pin its SHA-256 fingerprint.
//!
//! RDP over TLS has no certificate authority to lean on between zones; the fingerprint printed at
//! start is what a peer compares. So the key must survive restarts: it is created only when
//! neither file exists, and never overwritten.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest as _, Sha256};
use tokio_rustls::TlsAcceptor;
use tracing::info;
use x509_cert::der::Decode as _;

use crate::secret_file::{read_secret_file, SecretFileError};

/// The name in the generated certificate's subject and SAN. Peers pin the fingerprint, not the
/// name, so one fixed name is enough.
pub const CERT_NAME: &str = "airgui";

/// The names the certificate is valid for: ours, this machine's host name and the loopback
/// names and addresses, so that clients that check names (FreeRDP asks, and cannot ask without a
/// terminal) accept it where users connect. The pinned fingerprint is what proves identity.
fn subject_names() -> Vec<String> {
    let mut names = vec![CERT_NAME.to_owned(), "localhost".to_owned()];
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            names.push(host.to_owned());
        }
    }
    names.extend(["127.0.0.1".to_owned(), "::1".to_owned()]);
    names.dedup();
    names
}

/// What went wrong with the certificate or key, naming the file to look at.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot use the RDP private key {}: {source}", path.display())]
    Key {
        path: PathBuf,
        source: SecretFileError,
    },
    #[error("cannot write {}: {source} (check that the directory is writable)", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usable PEM {what}: {reason}", path.display())]
    Parse {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error(
        "{} exists but {} does not: refusing to replace half of a TLS identity \
         (restore the missing file, or remove both to create a new identity and a new fingerprint)",
        present.display(),
        missing.display()
    )]
    HalfIdentity { present: PathBuf, missing: PathBuf },
    #[error("cannot generate the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the certificate and key do not form a TLS server identity: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A certificate and its private key, loaded from (or just written to) PEM files.
#[derive(Clone)]
pub struct TlsIdentity {
    cert: CertificateDer<'static>,
    key: Arc<PrivateKeyDer<'static>>,
    public_key: Vec<u8>,
    fingerprint: String,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// Loads the PEM certificate and key, or, when neither file exists, creates a self-signed
    /// RSA-2048 certificate for [`CERT_NAME`] and writes both with mode 0600 (parent directories
    /// made with 0700). RSA rather than ECDSA because every RDP client's CredSSP handles it.
    pub fn load_or_create(cert_path: &Path, key_path: &Path) -> Result<TlsIdentity, TlsError> {
        match (cert_path.exists(), key_path.exists()) {
            (true, true) => Self::load(cert_path, key_path),
            (false, false) => {
                let identity = Self::create(cert_path, key_path)?;
                info!(
                    cert = %cert_path.display(),
                    fingerprint = %identity.fingerprint,
                    "created a self-signed RDP certificate"
                );
                Ok(identity)
            }
            (true, false) => Err(TlsError::HalfIdentity {
                present: cert_path.to_owned(),
                missing: key_path.to_owned(),
            }),
            (false, true) => Err(TlsError::HalfIdentity {
                present: key_path.to_owned(),
                missing: cert_path.to_owned(),
            }),
        }
    }

    /// Loads an existing PEM certificate (the first one in the file) and private key.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<TlsIdentity, TlsError> {
        let cert_pem = fs::read(cert_path).map_err(|source| TlsError::Read {
            path: cert_path.to_owned(),
            source,
        })?;
        let key_pem = read_secret_file(key_path).map_err(|source| TlsError::Key {
            path: key_path.to_owned(),
            source,
        })?;
        let cert = CertificateDer::pem_slice_iter(&cert_pem)
            .next()
            .ok_or_else(|| TlsError::Parse {
                path: cert_path.to_owned(),
                what: "certificate",
                reason: "no CERTIFICATE block".to_owned(),
            })?
            .map_err(|e| TlsError::Parse {
                path: cert_path.to_owned(),
                what: "certificate",
                reason: e.to_string(),
            })?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Parse {
            path: key_path.to_owned(),
            what: "private key",
            reason: e.to_string(),
        })?;
        Self::from_der(cert, key, cert_path)
    }

    fn create(cert_path: &Path, key_path: &Path) -> Result<TlsIdentity, TlsError> {
        let key_pair =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)?;
        let mut params = rcgen::CertificateParams::new(subject_names())?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, CERT_NAME);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key_pair)?;

        // The key first: a crash in between leaves a lone key, which load_or_create reports
        // instead of silently making a second identity.
        write_private(key_path, key_pair.serialize_pem().as_bytes())?;
        write_private(cert_path, cert.pem().as_bytes())?;

        let key = PrivateKeyDer::try_from(key_pair.serialize_der()).map_err(|reason| {
            TlsError::Parse {
                path: key_path.to_owned(),
                what: "private key",
                reason: reason.to_owned(),
            }
        })?;
        Self::from_der(cert.der().clone(), key, cert_path)
    }

    fn from_der(
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
        cert_path: &Path,
    ) -> Result<TlsIdentity, TlsError> {
        let public_key = subject_public_key(&cert).map_err(|reason| TlsError::Parse {
            path: cert_path.to_owned(),
            what: "certificate",
            reason,
        })?;
        let fingerprint = fingerprint_of(&cert);
        let identity = TlsIdentity {
            cert,
            key: Arc::new(key),
            public_key,
            fingerprint,
        };
        // Fail now, at start, if the key does not belong to the certificate.
        identity.server_config()?;
        Ok(identity)
    }

    /// `sha256:AB:CD:...`: SHA-256 of the DER certificate, upper-case hex pairs joined by colons
    /// (the form `openssl x509 -fingerprint -sha256` prints, with a prefix naming the hash).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The DER certificate, for a peer that pins the whole certificate.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert
    }

    /// The certificate's SubjectPublicKey bits: what CredSSP (NLA) binds the TLS channel to.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// The tokio-rustls acceptor ironrdp-server wants, on the aws-lc-rs provider chosen
    /// explicitly (so a ring feature turned on elsewhere cannot make rustls panic over which
    /// default to use).
    pub fn acceptor(&self) -> Result<TlsAcceptor, TlsError> {
        Ok(TlsAcceptor::from(Arc::new(self.server_config()?)))
    }

    fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], self.key.clone_key())?;
        // CredSSP forbids TLS session resumption (MS-CSSP 3.1.5); keeping no session state also
        // means nothing outlives a connection.
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Ok(config)
    }
}

/// The fingerprint format of [`TlsIdentity::fingerprint`] for any DER certificate.
pub fn fingerprint_of(cert_der: &[u8]) -> String {
    let digest = Sha256::digest(cert_der);
    let hex: Vec<String> = digest.iter().map(|b| format!("{b:02X}")).collect();
    format!("sha256:{}", hex.join(":"))
}

fn subject_public_key(cert: &CertificateDer<'_>) -> Result<Vec<u8>, String> {
    let cert = x509_cert::Certificate::from_der(cert).map_err(|e| e.to_string())?;
    cert.tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
        .ok_or_else(|| "the subject public key is not a whole number of bytes".to_owned())
}

/// Writes a new file readable only by its owner, through a temporary name and a rename, so that a
/// crash never leaves a truncated key or certificate behind.
fn write_private(path: &Path, contents: &[u8]) -> Result<(), TlsError> {
    let write_err = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(write_err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(write_err)?;
    file.write_all(contents).map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(write_err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("state/airgui/rdp-cert.pem");
        let key = dir.path().join("state/airgui/rdp-key.pem");
        let first = TlsIdentity::load_or_create(&cert, &key).unwrap();
        let cert_bytes = fs::read(&cert).unwrap();
        let second = TlsIdentity::load_or_create(&cert, &key).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint());
        assert_eq!(first.public_key(), second.public_key());
        assert_eq!(cert_bytes, fs::read(&cert).unwrap(), "kept, not rewritten");
        assert!(second.acceptor().is_ok());
    }

    #[test]
    fn files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("new/dir");
        let cert = parent.join("cert.pem");
        let key = parent.join("key.pem");
        TlsIdentity::load_or_create(&cert, &key).unwrap();
        for path in [&cert, &key] {
            let mode = fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        let mode = fs::metadata(&parent).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(!parent.join("cert.pem.tmp").exists());
    }

    #[test]
    fn fingerprint_format() {
        let dir = tempfile::tempdir().unwrap();
        let id = TlsIdentity::load_or_create(&dir.path().join("c.pem"), &dir.path().join("k.pem"))
            .unwrap();
        let fp = id.fingerprint();
        let hex = fp.strip_prefix("sha256:").unwrap();
        let pairs: Vec<&str> = hex.split(':').collect();
        assert_eq!(pairs.len(), 32);
        for pair in pairs {
            assert_eq!(pair.len(), 2);
            assert!(pair
                .chars()
                .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        }
        assert_eq!(fp, fingerprint_of(id.certificate_der()));
        assert_eq!(
            fingerprint_of(b""),
            "sha256:E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:\
             27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }

    #[test]
    fn half_identity_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        fs::write(&key, "not a key").unwrap();
        let err = TlsIdentity::load_or_create(&cert, &key).unwrap_err();
        assert!(matches!(err, TlsError::HalfIdentity { .. }), "{err}");
        assert_eq!(fs::read_to_string(&key).unwrap(), "not a key");
    }

    #[test]
    fn garbage_is_a_parse_error() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        fs::write(&cert, "garbage").unwrap();
        fs::write(&key, "garbage").unwrap();
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        let err = TlsIdentity::load_or_create(&cert, &key).unwrap_err();
        assert!(matches!(err, TlsError::Parse { .. }), "{err}");
    }

    #[test]
    fn a_key_others_can_read_is_refused_with_the_chmod_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        let key = dir.path().join("k.pem");
        TlsIdentity::load_or_create(&cert, &key).unwrap();
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = TlsIdentity::load_or_create(&cert, &key).unwrap_err();
        assert!(matches!(err, TlsError::Key { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("RDP private key"), "{text}");
        assert!(
            text.contains(&format!("run `chmod 600 {}`", key.display())),
            "{text}"
        );
        // A readable certificate is fine: it is public.
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&cert, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(TlsIdentity::load_or_create(&cert, &key).is_ok());
    }
}

//! The one account an RDP server accepts, and the password file it comes from.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::secret_file::{read_secret_file, SecretFileError};

/// Why a password file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot use the RDP password file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: SecretFileError,
    },
    #[error("the RDP password file {} is empty: put the password on its first line", path.display())]
    Empty { path: PathBuf },
    #[error("the RDP password file {} is not UTF-8 text", path.display())]
    NotText { path: PathBuf },
}

/// Reads a password from the first line of `path` (the line end is not part of it). Refuses the
/// file when anyone but its owner may read or write it: it holds the only secret between the RDP
/// client and the zone.
pub fn read_password_file(path: &Path) -> Result<String, CredentialsError> {
    let bytes = read_secret_file(path).map_err(|source| CredentialsError::Read {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| CredentialsError::NotText {
        path: path.to_owned(),
    })?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        return Err(CredentialsError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(password)
}

/// Compares a user name and password with the configured ones without leaking, through timing,
/// how much of the password matched (both sides are hashed, then compared in full).
#[derive(Clone)]
pub(crate) struct AccountCheck {
    user: String,
    password_digest: [u8; 32],
}

impl std::fmt::Debug for AccountCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountCheck")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl AccountCheck {
    pub(crate) fn new(user: &str, password: &str) -> Self {
        Self {
            user: user.to_owned(),
            password_digest: Sha256::digest(password.as_bytes()).into(),
        }
    }

    /// True when both match. The domain a client sends is ignored: there is one local account.
    pub(crate) fn matches(&self, user: &str, password: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(password.as_bytes()).into();
        let difference = digest
            .iter()
            .zip(self.password_digest.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        // Evaluate both before combining so the user-name check does not short-circuit timing.
        let password_ok = difference == 0;
        let user_ok = user == self.user;
        password_ok & user_ok
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn account_check() {
        let check = AccountCheck::new("alice", "s3cret");
        assert!(check.matches("alice", "s3cret"));
        assert!(!check.matches("alice", "s3cre"));
        assert!(!check.matches("bob", "s3cret"));
        assert!(!check.matches("", ""));
        assert!(!format!("{check:?}").contains("s3cret"));
    }

    #[test]
    fn password_file_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        fs::write(&path, "hunter2\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_password_file(&path).unwrap(), "hunter2");
        fs::write(&path, "with space\r\nsecond line\n").unwrap();
        assert_eq!(read_password_file(&path).unwrap(), "with space");
        fs::write(&path, "\n").unwrap();
        assert!(matches!(
            read_password_file(&path),
            Err(CredentialsError::Empty { .. })
        ));
        assert!(matches!(
            read_password_file(&dir.path().join("missing")),
            Err(CredentialsError::Read { .. })
        ));
    }

    #[test]
    fn a_password_file_others_can_read_is_refused_with_the_chmod_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rdp.pass");
        fs::write(&path, "hunter2\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let error = read_password_file(&path).unwrap_err().to_string();
        assert!(error.contains("RDP password file"), "{error}");
        assert!(
            error.contains(&format!("run `chmod 600 {}`", path.display())),
            "{error}"
        );
        assert!(!error.contains("hunter2"), "{error}");
    }
}

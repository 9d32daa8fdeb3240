//! Reading a file that holds a secret (a password, a private key), refused like ssh refuses an
//! unprotected key when anyone but its owner may read or write it. The mode is taken from the
//! opened file, so the file checked is the file read.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Any of these bits lets the group or others at the file.
const NOT_OWNER_BITS: u32 = 0o077;
/// Secrets are small; this bounds what a wrong path (a log, a device) makes us read.
const MAX_SECRET_FILE: u64 = 1 << 20;

/// Why a secret file was not read.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(
        "it is accessible by group or others (mode {mode:03o}) and holds a secret; \
         run `chmod 600 {path}`",
        path = path.display()
    )]
    Exposed { path: std::path::PathBuf, mode: u32 },
    #[error("it is larger than {MAX_SECRET_FILE} bytes, which no password or key is")]
    TooLarge,
}

/// The whole content of `path`, if only its owner may read and write it.
pub(crate) fn read_secret_file(path: &Path) -> Result<Vec<u8>, SecretFileError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & NOT_OWNER_BITS != 0 {
        return Err(SecretFileError::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SECRET_FILE {
        return Err(SecretFileError::TooLarge);
    }
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn only_owner_only_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        fs::write(&path, "s3cret\n").unwrap();
        for mode in [0o600, 0o400] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(read_secret_file(&path).unwrap(), b"s3cret\n");
        }
        for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o660] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let error = read_secret_file(&path).unwrap_err();
            assert!(
                matches!(error, SecretFileError::Exposed { mode: m, .. } if m == mode),
                "{mode:o}: {error}"
            );
            let text = error.to_string();
            assert!(
                text.contains(&format!("run `chmod 600 {}`", path.display())),
                "{text}"
            );
            assert!(text.contains(&format!("mode {mode:03o}")), "{text}");
        }
    }

    #[test]
    fn huge_files_are_not_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![b'x'; (MAX_SECRET_FILE + 1) as usize]).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            read_secret_file(&path),
            Err(SecretFileError::TooLarge)
        ));
    }
}

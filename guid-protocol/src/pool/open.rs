//! What a descriptor must be to serve as a grant pool, and how a configured pool path is opened.
//!
//! The seals the design requires are exactly `F_SEAL_SHRINK`: a pool truncated under the daemon's
//! mapping would make its next read of those pages raise SIGBUS. `F_SEAL_GROW` is not required,
//! and must not be, because the spec lets the pool grow (an agent opening windows grows it);
//! growing cannot invalidate a mapping, and the size cap is checked at every dump.
//! `F_SEAL_WRITE` must not be set either: the agent draws into the pool. Seals can only ever be
//! added, never removed, so a seal checked once holds for the pool's life.
//!
//! The memfd must be on tmpfs (plain shared memory): one on hugetlbfs (`MFD_HUGETLB`) raises
//! SIGBUS when a huge page cannot be supplied at fault time, whatever the seals say.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{self, FileType, FsWord, Mode, OFlags, SealFlags};

use super::{os, PoolError};

const TMPFS_MAGIC: FsWord = 0x0102_1994;
const HUGETLBFS_MAGIC: FsWord = 0x9584_58f6_u32 as FsWord;

/// Refuses anything but a regular memfd on tmpfs sealed against shrinking.
pub(super) fn check_pool(fd: BorrowedFd<'_>) -> Result<(), PoolError> {
    check_regular(fd)?;
    let fs_type = fs::fstatfs(fd).map_err(os("fstatfs on the pool"))?.f_type;
    if fs_type == HUGETLBFS_MAGIC {
        return Err(PoolError::Hugetlb);
    }
    if fs_type != TMPFS_MAGIC {
        return Err(PoolError::NotMemfd {
            fs_type: fs_type as u64,
        });
    }
    // A tmpfs file that is not a memfd reports F_SEAL_SEAL alone.
    let seals = fs::fcntl_get_seals(fd).map_err(os("F_GET_SEALS on the pool"))?;
    if !seals.contains(SealFlags::SHRINK) {
        return Err(PoolError::NotSealed { seals });
    }
    Ok(())
}

fn check_regular(fd: BorrowedFd<'_>) -> Result<(), PoolError> {
    let stat = fs::fstat(fd).map_err(os("fstat on the pool"))?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok(()),
        FileType::Symlink => Err(PoolError::Symlink),
        other => Err(PoolError::NotRegular {
            kind: kind_name(other),
        }),
    }
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        _ => "not a regular file",
    }
}

/// Opens a configured pool path for reading, never blocking and with no side effect on what it
/// names: the path is first opened `O_PATH` (which opens nothing: a FIFO does not wait for a
/// writer, a device is not opened), its type checked, and only a regular file is then opened
/// for real, through that `O_PATH` descriptor, with `O_NONBLOCK` as well.
///
/// A symbolic link is refused (`O_NOFOLLOW`), except `/proc`'s descriptor links
/// (`/proc/<pid>/fd/<n>`), the documented way to name a memfd another process holds: they name
/// an open file, not a path, and what they name is checked the same way.
pub(super) fn open_path(path: &Path) -> Result<OwnedFd, PoolError> {
    let flags = OFlags::PATH | OFlags::CLOEXEC;
    let cannot_open = os("cannot open the configured pool");
    let mut handle =
        fs::open(path, flags | OFlags::NOFOLLOW, Mode::empty()).map_err(cannot_open)?;
    if is_symlink(handle.as_fd())? {
        let on_procfs = fs::fstatfs(&handle).map_err(os("fstatfs on the pool path"))?;
        if on_procfs.f_type != fs::PROC_SUPER_MAGIC {
            return Err(PoolError::Symlink);
        }
        handle = fs::open(path, flags, Mode::empty())
            .map_err(os("cannot open the file the /proc link names"))?;
    }
    check_regular(handle.as_fd())?;
    // Reopens the very file `handle` holds, whatever happened to the path meanwhile.
    let reopen = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&handle));
    fs::open(
        reopen.as_str(),
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(os("cannot open the configured pool for reading"))
}

fn is_symlink(fd: BorrowedFd<'_>) -> Result<bool, PoolError> {
    let stat = fs::fstat(fd).map_err(os("fstat on the pool path"))?;
    Ok(FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
}

//! The grant pool (spec §5): a sealed memfd holding window pixels.
//!
//! The daemon side ([`GrantPool`]) checks the pool once, maps all of it (up to its cap) read-only
//! once, and gives each dump a [`WindowImage`]: the list of its pages in that one mapping. A dump
//! costs no mapping of its own, however its refs are scattered, so neither a qube's dumps nor all
//! qubes' together can use up the process's memory areas (`vm.max_map_count`), and a real Xen
//! agent's fragmented grants are as cheap as one run. The agent side ([`PoolAllocator`]) creates
//! the pool and hands out runs of pages.

mod agent;
mod image;
mod open;

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

use rustix::fs;

pub use agent::{PageRun, PoolAllocator, WindowPages};
pub use image::{PoolView, WindowImage};

use crate::msg::PAGE_SIZE;
use crate::sanitize::DumpLayout;
use crate::shared_memory::SharedMapping;

/// Default cap on a qube's pool size.
pub const DEFAULT_MAX_POOL_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(
        "the pool is not sealed against shrinking (its seals are {seals:?}); the agent must \
         create it with MFD_ALLOW_SEALING and add F_SEAL_SHRINK, because a pool truncated under \
         the daemon's mapping would kill it with SIGBUS"
    )]
    NotSealed { seals: fs::SealFlags },
    #[error(
        "the pool is not a memfd (it is on a file system with magic {fs_type:#x}, not tmpfs); \
         only a sealed memfd is accepted"
    )]
    NotMemfd { fs_type: u64 },
    #[error(
        "the pool is a memfd on hugetlbfs (MFD_HUGETLB): a huge page the kernel cannot supply \
         kills the reader with SIGBUS; create it without MFD_HUGETLB"
    )]
    Hugetlb,
    #[error("the pool is {kind}, not a regular file or memfd")]
    NotRegular { kind: &'static str },
    #[error(
        "the configured pool path is a symbolic link; name the pool itself (or a \
         /proc/<pid>/fd/<n> of the process that holds it)"
    )]
    Symlink,
    #[error("the pool is {size} bytes, more than the cap of {max}")]
    TooLarge { size: u64, max: u64 },
    #[error("page {page} lies outside the pool's {pages} pages")]
    RefOutsidePool { page: u32, pages: u64 },
    #[error("cannot grow the pool past {max_pages} pages")]
    Exhausted { max_pages: usize },
    #[error("{what}: {source}")]
    Os {
        what: &'static str,
        source: rustix::io::Errno,
    },
}

fn os(what: &'static str) -> impl FnOnce(rustix::io::Errno) -> PoolError {
    move |source| PoolError::Os { what, source }
}

/// The daemon's handle on a qube's pool.
#[derive(Debug)]
pub struct GrantPool {
    fd: OwnedFd,
    max_bytes: u64,
    /// The whole pool up to its cap, read-only; shared by every image of the qube's windows.
    mapping: Arc<SharedMapping>,
}

impl GrantPool {
    /// Takes a pool received over the socket; refuses anything but a memfd sealed against
    /// shrinking (see [`open::check_pool`]), and a pool that is too large.
    pub fn from_fd(fd: OwnedFd, max_bytes: u64) -> Result<Self, PoolError> {
        open::check_pool(fd.as_fd())?;
        let len = usize::try_from(max_bytes.next_multiple_of(PAGE_SIZE as u64))
            .map_err(|_| os("a pool cap this large")(rustix::io::Errno::NOMEM))?;
        // Mapped to the cap, not to the current size: the pool may grow (spec §5) and pages
        // past its end are never read, since every ref is checked against the size first.
        let mapping = SharedMapping::map_read_only(fd.as_fd(), len)
            .map_err(os("mapping the pool read-only"))?;
        let pool = GrantPool {
            fd,
            max_bytes,
            mapping: Arc::new(mapping),
        };
        pool.size()?;
        Ok(pool)
    }

    /// Opens a configured pool path (such as `/proc/<pid>/fd/<n>`) without blocking and without
    /// following symbolic links other than `/proc`'s descriptor links, then checks it like a
    /// received pool.
    pub fn open(path: &Path, max_bytes: u64) -> Result<Self, PoolError> {
        GrantPool::from_fd(open::open_path(path)?, max_bytes)
    }

    /// The pool's current size, which may have grown since the last call.
    pub fn size(&self) -> Result<u64, PoolError> {
        let stat = fs::fstat(&self.fd).map_err(os("fstat on the pool"))?;
        let size = u64::try_from(stat.st_size).unwrap_or(0);
        if size > self.max_bytes {
            return Err(PoolError::TooLarge {
                size,
                max: self.max_bytes,
            });
        }
        Ok(size)
    }

    /// The image a dump names: its pages, in order, in the pool's mapping. Costs one check and
    /// four bytes per ref.
    pub fn map(&self, layout: &DumpLayout) -> Result<WindowImage, PoolError> {
        let pages = self.size()? / PAGE_SIZE as u64;
        if let Some(&page) = layout.refs.iter().find(|page| u64::from(**page) >= pages) {
            return Err(PoolError::RefOutsidePool { page, pages });
        }
        let view = PoolView::new(Arc::clone(&self.mapping), &layout.refs);
        Ok(WindowImage {
            width: layout.width,
            height: layout.height,
            view: Arc::new(view),
        })
    }
}

#[cfg(test)]
mod tests;

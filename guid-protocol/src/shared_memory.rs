//! The one place where airgui reads memory that a qube can write: its grant pool.
//!
//! The agent may change any page of its pool at any moment, from another process. A Rust
//! reference (`&[u8]`) promises that the bytes behind it do not change while it lives, so
//! forming one over such memory is undefined behaviour, whatever is then done with it. Hence
//! nothing here hands out a reference to pool memory. There are exactly two ways to read it:
//! * [`SharedMapping::copy_out`] copies bytes with `ptr::copy_nonoverlapping` into a buffer the
//!   caller owns. Each byte is read once, by the copy, and the compiler learns nothing about the
//!   values; a racing write gives a torn picture of the agent's own window and nothing else.
//! * [`SharedMapping::raw_range`] lends a raw pointer to code outside Rust's model that reads it
//!   the same way, copying (pixman reading a source image in place). Whoever takes it keeps the
//!   mapping alive while using the pointer and never writes through it (it is read-only anyway).
//!
//! Every reader of window pixels goes through these two: [`crate::pool::PoolView`] builds on them.

use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use rustix::mm::{self, MapFlags, ProtFlags};

/// A read-only, shared mapping of the start of a file. Unmapped on drop.
///
/// The mapping may reach past the file's end (so that a pool that grows needs no new mapping);
/// touching a page there would raise SIGBUS, so callers read only below a size they checked on a
/// file that cannot shrink.
#[derive(Debug)]
pub struct SharedMapping {
    base: NonNull<u8>,
    len: usize,
}

// The mapping is owned and only ever read through copies or lent raw pointers (above); no
// reference into it exists to be shared or sent.
unsafe impl Send for SharedMapping {}
unsafe impl Sync for SharedMapping {}

impl SharedMapping {
    /// Maps the first `len` bytes (at least one page) of `fd`, `PROT_READ` and `MAP_SHARED`.
    pub fn map_read_only(fd: BorrowedFd<'_>, len: usize) -> rustix::io::Result<Self> {
        let len = len.max(1);
        // SAFETY: a new mapping at an address of the kernel's choosing; nothing else refers to
        // that range.
        let ptr = unsafe {
            mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::SHARED,
                fd,
                0,
            )
        }?;
        let base = NonNull::new(ptr.cast::<u8>()).ok_or(rustix::io::Errno::NOMEM)?;
        Ok(SharedMapping { base, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `dst.len()` bytes from `offset` into `dst`; false (nothing copied) if the range
    /// does not lie inside the mapping.
    pub fn copy_out(&self, offset: usize, dst: &mut [u8]) -> bool {
        if !self.contains(offset, dst.len()) {
            return false;
        }
        // SAFETY: the range is inside the live mapping (checked above) and `dst` is the caller's
        // own memory, so the two cannot overlap. The source is only read, by the copy itself.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.as_ptr().add(offset),
                dst.as_mut_ptr(),
                dst.len(),
            )
        };
        true
    }

    /// The start of `len` bytes at `offset`, for a reader outside Rust (see the module
    /// documentation); `None` if the range does not lie inside the mapping.
    pub fn raw_range(&self, offset: usize, len: usize) -> Option<NonNull<u8>> {
        if !self.contains(offset, len) {
            return None;
        }
        // SAFETY: `offset` is inside the mapping (checked above), so the result is too.
        Some(unsafe { self.base.add(offset) })
    }

    fn contains(&self, offset: usize, len: usize) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len)
    }
}

impl Drop for SharedMapping {
    fn drop(&mut self) {
        // SAFETY: exactly the mapping made in `map_read_only`.
        if let Err(error) = unsafe { mm::munmap(self.base.as_ptr().cast(), self.len) } {
            tracing::error!(%error, "munmap of a shared mapping failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::fs::{self, MemfdFlags};

    #[test]
    fn copies_stay_inside_the_mapping() -> rustix::io::Result<()> {
        let fd = fs::memfd_create("shared-memory-test", MemfdFlags::CLOEXEC)?;
        rustix::io::write(&fd, b"abcdefgh")?;
        let mapping = SharedMapping::map_read_only(std::os::fd::AsFd::as_fd(&fd), 4096)?;
        let mut out = [0u8; 3];
        assert!(mapping.copy_out(2, &mut out));
        assert_eq!(&out, b"cde");
        assert!(!mapping.copy_out(4094, &mut out), "past the end");
        assert!(!mapping.copy_out(usize::MAX, &mut out), "overflowing");
        assert!(mapping.raw_range(4096, 0).is_some());
        assert!(mapping.raw_range(4096, 1).is_none());
        Ok(())
    }
}

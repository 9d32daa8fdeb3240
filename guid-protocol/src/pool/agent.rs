//! The agent's side of the grant pool: a sealed memfd it creates, grows and hands out in runs
//! of pages, and the runs each window's unacknowledged dumps still hold.
//!
//! The agent writes its own pool through `&mut [u8]`: the daemon it shares the pool with maps it
//! read-only, and this side trusts its daemon (the reads of a pool a qube can write are in
//! [`crate::shared_memory`]).

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

use rustix::fs::{self, MemfdFlags, SealFlags};
use rustix::mm::{self, MapFlags, ProtFlags};

use super::{os, PoolError};
use crate::msg::{WindowDump, PAGE_SIZE};

/// A run of consecutive pool pages owned by one window buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRun {
    pub first: u32,
    pub count: u32,
}

impl PageRun {
    /// The refs naming these pages, for WINDOW_DUMP.
    pub fn refs(&self) -> Vec<u32> {
        (self.first..self.first + self.count).collect()
    }

    /// The WINDOW_DUMP announcing a `width` x `height` image in these pages.
    pub fn dump(&self, width: u32, height: u32) -> WindowDump {
        WindowDump {
            kind: 0,
            width,
            height,
            bpp: 24,
            refs: self.refs(),
        }
    }

    pub fn byte_len(&self) -> usize {
        self.count as usize * PAGE_SIZE
    }
}

/// The pages of one agent window: the run its latest WINDOW_DUMP names, and the runs of older
/// dumps, which the daemon may still map until it acknowledges the dumps that replaced them
/// (spec §5: pages keep their meaning until the matching WINDOW_DUMP_ACK).
#[derive(Debug, Default)]
pub struct WindowPages {
    current: Option<PageRun>,
    /// For each dump not yet acknowledged, oldest first, the run it replaced: the daemon acks
    /// every dump in order, the window's first too, which replaced nothing. Bounded by the pool,
    /// since every entry but the first holds pages.
    unacknowledged: VecDeque<Option<PageRun>>,
}

impl WindowPages {
    /// The run the latest dump names.
    pub fn current(&self) -> Option<PageRun> {
        self.current
    }

    /// A new dump names `run`; the old run waits for the daemon's acknowledgement of this dump.
    pub fn replace(&mut self, run: PageRun) {
        self.unacknowledged.push_back(self.current.replace(run));
    }

    /// The daemon has mapped the oldest unacknowledged dump: the run that dump replaced is free.
    pub fn dump_acknowledged(&mut self, pool: &mut PoolAllocator) {
        if let Some(Some(run)) = self.unacknowledged.pop_front() {
            pool.free(run);
        }
    }

    /// Frees the replaced runs no daemon maps any more (after a disconnect, or at versions
    /// before 1.7, which have no acknowledgements).
    pub fn release_replaced(&mut self, pool: &mut PoolAllocator) {
        for run in self.unacknowledged.drain(..).flatten() {
            pool.free(run);
        }
    }

    /// Frees every run, once the window is gone.
    pub fn release_all(&mut self, pool: &mut PoolAllocator) {
        self.release_replaced(pool);
        if let Some(run) = self.current.take() {
            pool.free(run);
        }
    }
}

/// The agent's pool: a sealed, growable memfd, mapped read-write, handed out in page runs.
#[derive(Debug)]
pub struct PoolAllocator {
    fd: OwnedFd,
    base: NonNull<u8>,
    pages: usize,
    max_pages: usize,
    /// Free runs: first page → page count, never adjacent to one another.
    free: BTreeMap<usize, usize>,
}

impl PoolAllocator {
    pub fn new(initial_pages: usize, max_pages: usize) -> Result<Self, PoolError> {
        let fd = fs::memfd_create("guid-pool", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
            .map_err(os("memfd_create"))?;
        let pages = initial_pages.max(1);
        fs::ftruncate(&fd, (pages * PAGE_SIZE) as u64).map_err(os("sizing the pool"))?;
        fs::fcntl_add_seals(&fd, SealFlags::SHRINK).map_err(os("sealing the pool"))?;
        let base = map_shared(&fd, pages)?;
        Ok(PoolAllocator {
            fd,
            base,
            pages,
            max_pages,
            free: BTreeMap::from([(0, pages)]),
        })
    }

    /// The descriptor to send with the version word.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Pages not handed out.
    pub fn free_pages(&self) -> usize {
        self.free.values().sum()
    }

    /// A zeroed run of at least `bytes` bytes, growing the pool when no free run is large
    /// enough. Zeroed because agents draw only what their windows cover, and the rest would
    /// otherwise show what a freed window left there.
    pub fn alloc(&mut self, bytes: usize) -> Result<PageRun, PoolError> {
        let count = bytes.div_ceil(PAGE_SIZE).max(1);
        let found = self
            .free
            .iter()
            .find(|(_, len)| **len >= count)
            .map(|(first, len)| (*first, *len));
        let (first, len) = match found {
            Some(run) => run,
            None => {
                self.grow(count)?;
                self.free
                    .iter()
                    .find(|(_, len)| **len >= count)
                    .map(|(first, len)| (*first, *len))
                    .ok_or(PoolError::Exhausted {
                        max_pages: self.max_pages,
                    })?
            }
        };
        self.free.remove(&first);
        if len > count {
            self.free.insert(first + count, len - count);
        }
        let run = PageRun {
            first: first as u32,
            count: count as u32,
        };
        self.bytes_mut(&run).fill(0);
        Ok(run)
    }

    /// Returns a run to the pool, merging it with free neighbours.
    pub fn free(&mut self, run: PageRun) {
        let mut first = run.first as usize;
        let mut count = run.count as usize;
        if let Some((&prev, &prev_len)) = self.free.range(..first).next_back() {
            if prev + prev_len == first {
                self.free.remove(&prev);
                first = prev;
                count += prev_len;
            }
        }
        if let Some(next_len) = self.free.remove(&(first + count)) {
            count += next_len;
        }
        self.free.insert(first, count);
    }

    /// The bytes of a run, to draw into.
    pub fn bytes_mut(&mut self, run: &PageRun) -> &mut [u8] {
        let first = (run.first as usize).min(self.pages);
        let count = (run.count as usize).min(self.pages - first);
        // SAFETY: the range lies inside our mapping of `pages` pages (clamped above); `&mut self`
        // makes this the only reference into it until it is dropped.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.base.as_ptr().add(first * PAGE_SIZE),
                count * PAGE_SIZE,
            )
        }
    }

    fn grow(&mut self, at_least: usize) -> Result<(), PoolError> {
        let tail_free = self
            .free
            .iter()
            .next_back()
            .filter(|(first, len)| *first + *len == self.pages)
            .map_or(0, |(_, len)| *len);
        let wanted = (self.pages + at_least - tail_free).max(self.pages * 2);
        let pages = wanted.min(self.max_pages);
        if pages < self.pages + at_least - tail_free {
            return Err(PoolError::Exhausted {
                max_pages: self.max_pages,
            });
        }
        fs::ftruncate(&self.fd, (pages * PAGE_SIZE) as u64).map_err(os("growing the pool"))?;
        let base = map_shared(&self.fd, pages)?;
        unmap(self.base, self.pages);
        self.base = base;
        let old = self.pages;
        self.pages = pages;
        self.free(PageRun {
            first: old as u32,
            count: (pages - old) as u32,
        });
        Ok(())
    }
}

impl Drop for PoolAllocator {
    fn drop(&mut self) {
        unmap(self.base, self.pages);
    }
}

// The allocator owns its mapping; the memory is reached only through `bytes_mut`, which takes
// `&mut self`, so neither moving it nor sharing `&PoolAllocator` exposes the pixels.
unsafe impl Send for PoolAllocator {}
unsafe impl Sync for PoolAllocator {}

fn map_shared(fd: &OwnedFd, pages: usize) -> Result<NonNull<u8>, PoolError> {
    // SAFETY: a new shared mapping of the whole pool at an address of the kernel's choosing.
    let ptr = unsafe {
        mm::mmap(
            std::ptr::null_mut(),
            pages * PAGE_SIZE,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::SHARED,
            fd,
            0,
        )
    }
    .map_err(os("mapping the pool"))?;
    NonNull::new(ptr.cast::<u8>()).ok_or(PoolError::Os {
        what: "mmap returned null",
        source: rustix::io::Errno::NOMEM,
    })
}

fn unmap(base: NonNull<u8>, pages: usize) {
    // SAFETY: callers pass a mapping made by `map_shared` with the same page count.
    if let Err(error) = unsafe { mm::munmap(base.as_ptr().cast(), pages * PAGE_SIZE) } {
        tracing::error!(%error, "munmap of the agent pool failed");
    }
}

//! The grant pool (spec §5): a sealed memfd holding window pixels.
//!
//! The daemon side ([`GrantPool`]) maps the pages a dump names, read-only, into one contiguous
//! view. The agent side ([`PoolAllocator`]) creates the pool and hands out runs of pages.

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rustix::fs::{self, MemfdFlags, Mode, OFlags, SealFlags};
use rustix::mm::{self, MapFlags, ProtFlags};

use crate::msg::{WindowDump, PAGE_SIZE};
use crate::sanitize::DumpLayout;
use crate::types::Rect;

/// Default cap on a qube's pool size.
pub const DEFAULT_MAX_POOL_BYTES: u64 = 1 << 30;

/// Each run of pages a window maps costs one of the process's memory areas, of which Linux
/// allows about 65,530 (`vm.max_map_count`); an agent scattering its refs could otherwise use
/// them all and starve every other mapping of the GUI qube. Agents allocate a window's buffer as
/// one run of pages, so these bounds leave honest agents far from them.
pub const MAX_RUNS_PER_DUMP: usize = 256;
/// Runs mapped at once for one qube's windows.
pub const MAX_RUNS_PER_POOL: usize = 4096;
/// Runs mapped at once in the whole process.
pub const MAX_RUNS_PER_PROCESS: usize = 32_768;

static PROCESS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("the pool can shrink: it lacks F_SEAL_SHRINK (a plain file, or an unsealed memfd)")]
    NotSealed,
    #[error("the pool is {size} bytes, more than the cap of {max}")]
    TooLarge { size: u64, max: u64 },
    #[error("page {page} lies outside the pool's {pages} pages")]
    RefOutsidePool { page: u32, pages: u64 },
    #[error("a dump's refs form {runs} runs of pages, more than {max}")]
    TooFragmented { runs: usize, max: usize },
    #[error("mapping {runs} more runs of pages would pass the limit of {max} ({scope})")]
    MappingBudget {
        runs: usize,
        max: usize,
        scope: &'static str,
    },
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
    /// Runs mapped by this pool's live views.
    runs_mapped: Arc<AtomicUsize>,
}

impl GrantPool {
    /// Takes a pool received over the socket; refuses one that can shrink or is too large.
    pub fn from_fd(fd: OwnedFd, max_bytes: u64) -> Result<Self, PoolError> {
        let seals = fs::fcntl_get_seals(&fd).map_err(|_| PoolError::NotSealed)?;
        if !seals.contains(SealFlags::SHRINK) {
            return Err(PoolError::NotSealed);
        }
        let pool = GrantPool {
            fd,
            max_bytes,
            runs_mapped: Arc::new(AtomicUsize::new(0)),
        };
        pool.size()?;
        Ok(pool)
    }

    /// Opens a configured pool path (such as `/proc/<pid>/fd/<n>`), with the same checks.
    pub fn open(path: &Path, max_bytes: u64) -> Result<Self, PoolError> {
        let fd = fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .map_err(os("cannot open the configured pool"))?;
        GrantPool::from_fd(fd, max_bytes)
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

    /// Maps a dump's pages read-only into one contiguous view, each run of consecutive refs with
    /// one mapping.
    pub fn map(&self, layout: &DumpLayout) -> Result<WindowImage, PoolError> {
        let pages = self.size()? / PAGE_SIZE as u64;
        if let Some(&page) = layout.refs.iter().find(|page| u64::from(**page) >= pages) {
            return Err(PoolError::RefOutsidePool { page, pages });
        }
        let runs = runs(&layout.refs);
        if runs.len() > MAX_RUNS_PER_DUMP {
            return Err(PoolError::TooFragmented {
                runs: runs.len(),
                max: MAX_RUNS_PER_DUMP,
            });
        }
        let budget = MappingBudget::take(&self.runs_mapped, runs.len())?;
        let view = PoolView::reserve(layout.refs.len() * PAGE_SIZE, budget)?;
        for (index, first, count) in runs {
            view.map_run(&self.fd, index, first, count)?;
        }
        Ok(WindowImage {
            width: layout.width,
            height: layout.height,
            view: Arc::new(view),
        })
    }
}

/// Runs of consecutive refs as (index in refs, first page, page count).
fn runs(refs: &[u32]) -> Vec<(usize, u32, usize)> {
    let mut runs: Vec<(usize, u32, usize)> = Vec::new();
    for (index, page) in refs.iter().enumerate() {
        match runs.last_mut() {
            Some((_, first, count)) if u64::from(*first) + *count as u64 == u64::from(*page) => {
                *count += 1
            }
            _ => runs.push((index, *page, 1)),
        }
    }
    runs
}

/// A contiguous read-only view of pool pages. Unmapped on drop.
#[derive(Debug)]
pub struct PoolView {
    base: NonNull<u8>,
    len: usize,
    _budget: MappingBudget,
}

/// Runs of pages counted against the pool's and the process's limits while a view maps them.
#[derive(Debug)]
struct MappingBudget {
    pool: Arc<AtomicUsize>,
    runs: usize,
}

impl MappingBudget {
    fn take(pool: &Arc<AtomicUsize>, runs: usize) -> Result<Self, PoolError> {
        reserve(pool, runs, MAX_RUNS_PER_POOL, "for this qube")?;
        if let Err(error) = reserve(&PROCESS_RUNS, runs, MAX_RUNS_PER_PROCESS, "for all qubes") {
            pool.fetch_sub(runs, Ordering::AcqRel);
            return Err(error);
        }
        Ok(MappingBudget {
            pool: Arc::clone(pool),
            runs,
        })
    }
}

fn reserve(
    counter: &AtomicUsize,
    runs: usize,
    max: usize,
    scope: &'static str,
) -> Result<(), PoolError> {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            used.checked_add(runs).filter(|total| *total <= max)
        })
        .map(drop)
        .map_err(|_| PoolError::MappingBudget { runs, max, scope })
}

impl Drop for MappingBudget {
    fn drop(&mut self) {
        self.pool.fetch_sub(self.runs, Ordering::AcqRel);
        PROCESS_RUNS.fetch_sub(self.runs, Ordering::AcqRel);
    }
}

// The view is an owned mapping; the memory behind it is only read through raw pointer copies.
unsafe impl Send for PoolView {}
unsafe impl Sync for PoolView {}

impl PoolView {
    /// Reserves address space, inaccessible until runs are mapped over it.
    fn reserve(len: usize, budget: MappingBudget) -> Result<Self, PoolError> {
        // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing.
        let ptr = unsafe {
            mm::mmap_anonymous(
                std::ptr::null_mut(),
                len.max(PAGE_SIZE),
                ProtFlags::empty(),
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        }
        .map_err(os("reserving address space for a window"))?;
        let base = NonNull::new(ptr.cast::<u8>()).ok_or(PoolError::Os {
            what: "mmap returned null",
            source: rustix::io::Errno::NOMEM,
        })?;
        Ok(PoolView {
            base,
            len: len.max(PAGE_SIZE),
            _budget: budget,
        })
    }

    fn map_run(
        &self,
        fd: &OwnedFd,
        index: usize,
        first: u32,
        count: usize,
    ) -> Result<(), PoolError> {
        let offset = index * PAGE_SIZE;
        let len = count * PAGE_SIZE;
        if offset + len > self.len {
            return Err(PoolError::Os {
                what: "a run outside the reserved view",
                source: rustix::io::Errno::INVAL,
            });
        }
        // SAFETY: the target lies inside our own reservation (checked above), which MAP_FIXED
        // replaces; the pages exist in the pool (checked by the caller) and the pool cannot shrink.
        unsafe {
            mm::mmap(
                self.base.as_ptr().add(offset).cast(),
                len,
                ProtFlags::READ,
                MapFlags::SHARED | MapFlags::FIXED,
                fd,
                u64::from(first) * PAGE_SIZE as u64,
            )
        }
        .map_err(os("mapping pool pages"))?;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the view, for zero-copy use. The agent may change the bytes at any time.
    pub fn as_ptr(&self) -> *const u8 {
        self.base.as_ptr()
    }

    /// Lends the whole view as bytes, for uploading damaged rectangles into a texture.
    ///
    /// The agent may change these bytes while they are lent, as any shared-memory client can
    /// (wl_shm pools are read the same way): the worst it gets is a torn picture of its own
    /// window. The mapping is read-only and its pool cannot shrink, so the reads themselves are
    /// always valid.
    pub fn with_bytes<T>(&self, read: impl FnOnce(&[u8]) -> T) -> T {
        // SAFETY: `base..base+len` is our own live read-only mapping (see above).
        read(unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.len) })
    }

    /// Copies `dst.len()` bytes from `offset`; false (and nothing copied) if out of range.
    pub fn copy_to(&self, offset: usize, dst: &mut [u8]) -> bool {
        if offset
            .checked_add(dst.len())
            .is_none_or(|end| end > self.len)
        {
            return false;
        }
        // SAFETY: the range is inside the mapping (checked above) and `dst` is ours. The agent
        // may write these bytes concurrently; we only ever copy them, never form references.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.as_ptr().add(offset),
                dst.as_mut_ptr(),
                dst.len(),
            )
        };
        true
    }
}

impl Drop for PoolView {
    fn drop(&mut self) {
        // SAFETY: exactly the reservation made in `reserve`, with the runs mapped inside it.
        if let Err(error) = unsafe { mm::munmap(self.base.as_ptr().cast(), self.len) } {
            tracing::error!(%error, "munmap of a pool view failed");
        }
    }
}

/// A window's image: `width x height` pixels of B, G, R, X, stride `width * 4`. The view is
/// shared so that a renderer reading it in place can keep it mapped while it draws.
#[derive(Debug)]
pub struct WindowImage {
    pub width: u32,
    pub height: u32,
    pub view: Arc<PoolView>,
}

impl WindowImage {
    pub fn stride(&self) -> usize {
        self.width as usize * 4
    }

    /// Copies `rect` (clamped to the image) into `dst`, whose rows are `dst_stride` bytes apart and
    /// whose origin is the image's origin. Returns the rectangle copied.
    pub fn copy_rect(&self, rect: Rect, dst: &mut [u8], dst_stride: usize) -> Rect {
        let x = rect.x.max(0) as usize;
        let y = rect.y.max(0) as usize;
        let right = (x + rect.width as usize).min(self.width as usize);
        let bottom = (y + rect.height as usize).min(self.height as usize);
        if right <= x || bottom <= y {
            return Rect::default();
        }
        let row_bytes = (right - x) * 4;
        for row in y..bottom {
            let dst_at = row * dst_stride + x * 4;
            let Some(dst_row) = dst.get_mut(dst_at..dst_at + row_bytes) else {
                return Rect::default();
            };
            self.view.copy_to(row * self.stride() + x * 4, dst_row);
        }
        Rect::new(x as i32, y as i32, (right - x) as u32, (bottom - y) as u32)
    }

    /// The whole image, tightly packed.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut pixels = vec![0u8; self.stride() * self.height as usize];
        self.view.copy_to(0, &mut pixels);
        pixels
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent's pool as the daemon receives it.
    fn shared(agent: &PoolAllocator) -> Result<OwnedFd, PoolError> {
        agent.fd().try_clone_to_owned().map_err(|_| PoolError::Os {
            what: "dup",
            source: rustix::io::Errno::BADF,
        })
    }

    #[test]
    fn window_pages_free_replaced_runs_in_ack_order() -> Result<(), PoolError> {
        let mut pool = PoolAllocator::new(8, 8)?;
        let mut pages = WindowPages::default();
        let first = pool.alloc(2 * PAGE_SIZE)?;
        pages.replace(first);
        let second = pool.alloc(2 * PAGE_SIZE)?;
        pages.replace(second);
        let third = pool.alloc(2 * PAGE_SIZE)?;
        pages.replace(third);
        assert_eq!(pool.free_pages(), 2);
        pages.dump_acknowledged(&mut pool);
        assert_eq!(pool.free_pages(), 2, "the first dump replaced nothing");
        pages.dump_acknowledged(&mut pool);
        assert_eq!(pool.alloc(2 * PAGE_SIZE)?, first, "the oldest run is free");
        pages.release_all(&mut pool);
        assert_eq!(pages.current(), None);
        assert_eq!(pool.free_pages(), 6);
        Ok(())
    }

    /// A window mapped and resized before the daemon acknowledged its first dump: that ack
    /// must not free the first run, which the daemon still shows until it maps the second.
    #[test]
    fn the_ack_of_a_dump_frees_only_the_run_that_dump_replaced() -> Result<(), PoolError> {
        let mut pool = PoolAllocator::new(8, 8)?;
        let mut pages = WindowPages::default();
        let r1 = pool.alloc(2 * PAGE_SIZE)?;
        pages.replace(r1);
        let r2 = pool.alloc(2 * PAGE_SIZE)?;
        pages.replace(r2);
        pages.dump_acknowledged(&mut pool);
        let other = pool.alloc(2 * PAGE_SIZE)?;
        assert_ne!(
            other, r1,
            "r1 is still shown: dump 2 is not acknowledged yet"
        );
        pages.dump_acknowledged(&mut pool);
        assert_eq!(pool.alloc(2 * PAGE_SIZE)?, r1, "dump 2's ack frees r1");
        Ok(())
    }

    #[test]
    fn a_reused_run_comes_back_zeroed() -> Result<(), PoolError> {
        let mut pool = PoolAllocator::new(4, 4)?;
        let run = pool.alloc(2 * PAGE_SIZE)?;
        pool.bytes_mut(&run).fill(0xab);
        pool.free(run);
        let again = pool.alloc(2 * PAGE_SIZE)?;
        assert_eq!(again, run);
        assert!(pool.bytes_mut(&again).iter().all(|byte| *byte == 0));
        Ok(())
    }

    #[test]
    fn runs_coalesce_consecutive_refs() {
        assert_eq!(
            runs(&[4, 5, 6, 9, 10, 2]),
            vec![(0, 4, 3), (3, 9, 2), (5, 2, 1)]
        );
        assert_eq!(runs(&[u32::MAX, 0]), vec![(0, u32::MAX, 1), (1, 0, 1)]);
    }

    #[test]
    fn allocator_reuses_freed_runs_and_grows() -> Result<(), PoolError> {
        let mut pool = PoolAllocator::new(4, 64)?;
        let a = pool.alloc(2 * PAGE_SIZE)?;
        let b = pool.alloc(PAGE_SIZE + 1)?;
        assert_eq!((a.first, a.count, b.first, b.count), (0, 2, 2, 2));
        pool.free(a);
        assert_eq!(pool.alloc(PAGE_SIZE)?.first, 0);
        let big = pool.alloc(10 * PAGE_SIZE)?;
        assert!(pool.pages() >= 14);
        assert_eq!(pool.bytes_mut(&big).len(), 10 * PAGE_SIZE);
        assert!(matches!(
            pool.alloc(100 * PAGE_SIZE),
            Err(PoolError::Exhausted { .. })
        ));
        Ok(())
    }

    #[test]
    fn daemon_maps_what_the_agent_wrote() -> Result<(), PoolError> {
        let mut agent = PoolAllocator::new(2, 64)?;
        let _skip = agent.alloc(PAGE_SIZE)?;
        let run = agent.alloc(3 * PAGE_SIZE)?;
        for (i, byte) in agent.bytes_mut(&run).iter_mut().enumerate() {
            *byte = (i % 251) as u8;
        }
        let fd = shared(&agent)?;
        let daemon = GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES)?;
        let layout = DumpLayout {
            width: 32,
            height: 96,
            refs: run.refs(),
        };
        let image = daemon.map(&layout)?;
        let pixels = image.to_vec();
        assert!(pixels
            .iter()
            .enumerate()
            .all(|(i, b)| *b == (i % 251) as u8));
        Ok(())
    }

    #[test]
    fn a_pool_that_can_shrink_is_refused() -> Result<(), PoolError> {
        let fd = fs::memfd_create("unsealed", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
            .map_err(os("memfd"))?;
        fs::ftruncate(&fd, 4096).map_err(os("ftruncate"))?;
        assert!(matches!(
            GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES),
            Err(PoolError::NotSealed)
        ));
        Ok(())
    }

    #[test]
    fn a_ref_beyond_the_pool_is_an_error_not_a_crash() -> Result<(), PoolError> {
        let agent = PoolAllocator::new(2, 2)?;
        let fd = shared(&agent)?;
        let daemon = GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES)?;
        let layout = DumpLayout {
            width: 1,
            height: 1,
            refs: vec![2],
        };
        assert!(matches!(
            daemon.map(&layout),
            Err(PoolError::RefOutsidePool { page: 2, pages: 2 })
        ));
        Ok(())
    }

    #[test]
    fn scattered_refs_are_refused_before_they_use_up_the_process_mappings() -> Result<(), PoolError>
    {
        let agent = PoolAllocator::new(2 * MAX_RUNS_PER_DUMP + 2, 4096)?;
        let daemon = GrantPool::from_fd(shared(&agent)?, DEFAULT_MAX_POOL_BYTES)?;
        let scattered = |runs: usize| DumpLayout {
            width: 1024,
            height: runs as u32,
            refs: (0..runs as u32).map(|i| 2 * i).collect(),
        };
        assert!(daemon.map(&scattered(MAX_RUNS_PER_DUMP)).is_ok());
        assert!(matches!(
            daemon.map(&scattered(MAX_RUNS_PER_DUMP + 1)),
            Err(PoolError::TooFragmented { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_pool_may_map_only_so_many_runs_at_once() -> Result<(), PoolError> {
        let agent = PoolAllocator::new(2 * MAX_RUNS_PER_DUMP, 4096)?;
        let daemon = GrantPool::from_fd(shared(&agent)?, DEFAULT_MAX_POOL_BYTES)?;
        let scattered = DumpLayout {
            width: 1024,
            height: MAX_RUNS_PER_DUMP as u32,
            refs: (0..MAX_RUNS_PER_DUMP as u32).map(|i| 2 * i).collect(),
        };
        let held: Vec<_> = (0..MAX_RUNS_PER_POOL / MAX_RUNS_PER_DUMP)
            .map(|_| daemon.map(&scattered))
            .collect::<Result<_, _>>()?;
        assert!(matches!(
            daemon.map(&scattered),
            Err(PoolError::MappingBudget { .. })
        ));
        drop(held);
        assert!(daemon.map(&scattered).is_ok(), "released with the views");
        Ok(())
    }

    #[test]
    fn a_configured_pool_path_is_checked_like_a_received_pool() -> Result<(), PoolError> {
        use std::os::fd::AsRawFd;
        let agent = PoolAllocator::new(2, 2)?;
        let path = format!("/proc/self/fd/{}", agent.fd().as_raw_fd());
        let pool = GrantPool::open(Path::new(&path), DEFAULT_MAX_POOL_BYTES)?;
        assert_eq!(pool.size()?, 2 * PAGE_SIZE as u64);
        let file = std::env::temp_dir().join(format!("guid-pool-plain-{}", std::process::id()));
        std::fs::write(&file, [0u8; PAGE_SIZE]).map_err(|_| PoolError::NotSealed)?;
        let plain = GrantPool::open(&file, DEFAULT_MAX_POOL_BYTES);
        let _ = std::fs::remove_file(&file);
        assert!(
            matches!(plain, Err(PoolError::NotSealed)),
            "a plain file has no shrink seal"
        );
        Ok(())
    }

    #[test]
    fn a_pool_over_the_cap_is_refused() -> Result<(), PoolError> {
        let agent = PoolAllocator::new(4, 4)?;
        let fd = shared(&agent)?;
        assert!(matches!(
            GrantPool::from_fd(fd, 2 * PAGE_SIZE as u64),
            Err(PoolError::TooLarge { .. })
        ));
        Ok(())
    }
}

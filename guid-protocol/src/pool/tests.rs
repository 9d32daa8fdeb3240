use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use rustix::fs::{self, MemfdFlags, SealFlags};

use super::*;
use crate::msg::MAX_DUMP_REFS;
use crate::types::Rect;

/// The agent's pool as the daemon receives it.
fn shared(agent: &PoolAllocator) -> Result<OwnedFd, PoolError> {
    agent.fd().try_clone_to_owned().map_err(|_| PoolError::Os {
        what: "dup",
        source: rustix::io::Errno::BADF,
    })
}

/// A sparse sealed memfd of `pages` pages: sized, never written, so it costs no memory.
fn sparse_pool(pages: usize) -> Result<OwnedFd, PoolError> {
    let fd = fs::memfd_create("sparse", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(os("memfd"))?;
    fs::ftruncate(&fd, (pages * PAGE_SIZE) as u64).map_err(os("ftruncate"))?;
    fs::fcntl_add_seals(&fd, SealFlags::SHRINK).map_err(os("seal"))?;
    Ok(fd)
}

/// Writes `page`'s number as its first four bytes.
fn mark_page(fd: &OwnedFd, page: u32) -> Result<(), PoolError> {
    rustix::io::pwrite(fd, &page.to_le_bytes(), u64::from(page) * PAGE_SIZE as u64)
        .map_err(os("pwrite"))?;
    Ok(())
}

/// The first four bytes of an image's page `index`.
fn page_mark(image: &WindowImage, index: usize) -> u32 {
    let mut mark = [0u8; 4];
    assert!(image.view.copy_to(index * PAGE_SIZE, &mut mark));
    u32::from_le_bytes(mark)
}

fn mappings_of_this_process() -> usize {
    std::fs::read_to_string("/proc/self/maps").map_or(0, |maps| maps.lines().count())
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
    assert!(
        image.view.contiguous_ptr().is_some(),
        "one run: readable in place"
    );
    let pixels = image.to_vec();
    assert!(pixels
        .iter()
        .enumerate()
        .all(|(i, b)| *b == (i % 251) as u8));
    Ok(())
}

/// Pages named out of order: every read, whatever page boundaries it crosses, sees the pages in
/// the dump's order, and such an image is never lent in place.
#[test]
fn scattered_pages_read_in_the_dumps_order() -> Result<(), PoolError> {
    let mut agent = PoolAllocator::new(4, 4)?;
    let all = agent.alloc(4 * PAGE_SIZE)?;
    for (i, byte) in agent.bytes_mut(&all).iter_mut().enumerate() {
        *byte = (i / PAGE_SIZE * 16 + i % PAGE_SIZE % 7) as u8;
    }
    let daemon = GrantPool::from_fd(shared(&agent)?, DEFAULT_MAX_POOL_BYTES)?;
    let refs = vec![3, 1, 2, 0];
    let image = daemon.map(&DumpLayout {
        width: 1024,
        height: 4,
        refs: refs.clone(),
    })?;
    assert!(image.view.contiguous_ptr().is_none());
    let expected: Vec<u8> = (0..4 * PAGE_SIZE)
        .map(|i| (refs[i / PAGE_SIZE] as usize * 16 + i % PAGE_SIZE % 7) as u8)
        .collect();
    assert!(image.to_vec() == expected);
    let mut across = vec![0u8; PAGE_SIZE + 200];
    assert!(image.view.copy_to(PAGE_SIZE - 100, &mut across));
    assert!(across == expected[PAGE_SIZE - 100..2 * PAGE_SIZE + 100]);
    assert!(
        !image.view.copy_to(3 * PAGE_SIZE + 1, &mut across),
        "past the end"
    );
    // Rows 1..3, columns 1000..1024 (the right edge of each page).
    let mut rect = vec![0u8; 4 * PAGE_SIZE];
    let copied = image.copy_rect(Rect::new(1000, 1, 100, 2), &mut rect, PAGE_SIZE);
    assert_eq!(copied, Rect::new(1000, 1, 24, 2));
    for row in [1, 2] {
        let copied = row * PAGE_SIZE + 4000..(row + 1) * PAGE_SIZE;
        assert!(rect[copied.clone()] == expected[copied]);
    }
    let untouched = rect[..PAGE_SIZE + 4000]
        .iter()
        .chain(&rect[3 * PAGE_SIZE..]);
    assert!(untouched.copied().all(|byte| byte == 0));
    let staged = image
        .stage(&[Rect::new(0, 0, 1024, 4)], &mut Vec::new())
        .to_vec();
    assert!(staged == expected);
    Ok(())
}

/// Item 21: a real agent's grant refs are not consecutive. A dump at the protocol's limit with
/// not two refs adjacent is accepted, costs no mapping per ref, and reads the right pages.
#[test]
fn a_fully_fragmented_dump_at_the_protocol_limit_costs_no_mapping_per_ref() -> Result<(), PoolError>
{
    let fd = sparse_pool(2 * MAX_DUMP_REFS)?;
    // Every other page, from the top down.
    let refs: Vec<u32> = (0..MAX_DUMP_REFS as u32)
        .map(|i| 2 * (MAX_DUMP_REFS as u32 - 1 - i))
        .collect();
    for index in [0, 1, MAX_DUMP_REFS / 2, MAX_DUMP_REFS - 1] {
        mark_page(&fd, refs[index])?;
    }
    let daemon = GrantPool::from_fd(fd, 2 * MAX_DUMP_REFS as u64 * PAGE_SIZE as u64)?;
    let layout = DumpLayout {
        width: 16384,
        height: 6144,
        refs: refs.clone(),
    };
    let before = mappings_of_this_process();
    let images: Vec<WindowImage> = (0..8)
        .map(|_| daemon.map(&layout))
        .collect::<Result<_, _>>()?;
    let after = mappings_of_this_process();
    // Other tests of this process may map a few things meanwhile; one mapping per run would be
    // 8 x 98,304 of them.
    assert!(
        after < before + 100,
        "{before} mappings before, {after} after"
    );
    for image in &images {
        for index in [0, 1, MAX_DUMP_REFS / 2, MAX_DUMP_REFS - 1] {
            assert_eq!(page_mark(image, index), refs[index]);
        }
    }
    Ok(())
}

/// Item 12: what one qube maps is its own business. Many qubes holding many scattered images
/// (once enough to use up a process-wide budget) do not make another qube's dump fail.
#[test]
fn qubes_holding_many_images_do_not_make_another_qubes_dump_fail() -> Result<(), PoolError> {
    // Each such qube holds 16 images of 256 runs: 4096 runs, once its whole allowance.
    let scattered = DumpLayout {
        width: 1024,
        height: 256,
        refs: (0..256).map(|i| 2 * i).collect(),
    };
    let mut held = Vec::new();
    for _qube in 0..9 {
        let pool = GrantPool::from_fd(sparse_pool(512)?, 512 * PAGE_SIZE as u64)?;
        for _ in 0..16 {
            held.push(pool.map(&scattered)?);
        }
    }
    let other = GrantPool::from_fd(sparse_pool(4)?, DEFAULT_MAX_POOL_BYTES)?;
    let image = other.map(&DumpLayout {
        width: 1024,
        height: 4,
        refs: vec![0, 1, 2, 3],
    })?;
    assert_eq!(image.view.len(), 4 * PAGE_SIZE);
    Ok(())
}

/// A qube whose pool is at its cap and whose windows name all of it still leaves the next
/// qube's dump alone.
#[test]
fn a_qube_at_its_pool_cap_does_not_make_another_qubes_dump_fail() -> Result<(), PoolError> {
    let cap = 64 * PAGE_SIZE as u64;
    let full = GrantPool::from_fd(sparse_pool(64)?, cap)?;
    let everything = DumpLayout {
        width: 1024,
        height: 64,
        refs: (0..64).rev().collect(),
    };
    let _held: Vec<_> = (0..100)
        .map(|_| full.map(&everything))
        .collect::<Result<_, _>>()?;
    let other = GrantPool::from_fd(sparse_pool(1)?, cap)?;
    assert!(other
        .map(&DumpLayout {
            width: 1,
            height: 1,
            refs: vec![0]
        })
        .is_ok());
    Ok(())
}

#[test]
fn a_pool_that_can_shrink_is_refused() -> Result<(), PoolError> {
    let unsealed = fs::memfd_create("unsealed", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(os("memfd"))?;
    fs::ftruncate(&unsealed, 4096).map_err(os("ftruncate"))?;
    assert!(matches!(
        GrantPool::from_fd(unsealed, DEFAULT_MAX_POOL_BYTES),
        Err(PoolError::NotSealed { .. })
    ));
    // Without MFD_ALLOW_SEALING a memfd reports F_SEAL_SEAL: it can shrink for ever.
    let unsealable = fs::memfd_create("unsealable", MemfdFlags::CLOEXEC).map_err(os("memfd"))?;
    assert!(matches!(
        GrantPool::from_fd(unsealable, DEFAULT_MAX_POOL_BYTES),
        Err(PoolError::NotSealed { seals }) if seals == SealFlags::SEAL
    ));
    // Sealed, but not against shrinking.
    let grow_only = fs::memfd_create("grow", MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING)
        .map_err(os("memfd"))?;
    fs::fcntl_add_seals(&grow_only, SealFlags::GROW | SealFlags::SEAL).map_err(os("seal"))?;
    let refused = GrantPool::from_fd(grow_only, DEFAULT_MAX_POOL_BYTES);
    assert!(matches!(refused, Err(PoolError::NotSealed { .. })));
    let message = refused.map(drop).unwrap_err().to_string();
    assert!(message.contains("F_SEAL_SHRINK"), "{message}");
    Ok(())
}

/// Item 13: a memfd on hugetlbfs can raise SIGBUS at fault time whatever its seals say.
#[test]
fn a_sealed_hugetlb_memfd_is_refused() -> Result<(), PoolError> {
    let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING | MemfdFlags::HUGETLB;
    let Ok(fd) = fs::memfd_create("huge", flags) else {
        eprintln!("this kernel has no hugetlbfs: nothing to refuse");
        return Ok(());
    };
    fs::ftruncate(&fd, 2 << 20).map_err(os("ftruncate"))?;
    fs::fcntl_add_seals(&fd, SealFlags::SHRINK).map_err(os("seal"))?;
    let refused = GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES);
    assert!(matches!(refused, Err(PoolError::Hugetlb)), "{refused:?}");
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
fn a_configured_pool_path_is_checked_like_a_received_pool() -> Result<(), PoolError> {
    let agent = PoolAllocator::new(2, 2)?;
    let path = format!("/proc/self/fd/{}", agent.fd().as_raw_fd());
    let pool = GrantPool::open(Path::new(&path), DEFAULT_MAX_POOL_BYTES)?;
    assert_eq!(pool.size()?, 2 * PAGE_SIZE as u64);
    let dir = scratch_dir("plain")?;
    let file = dir.join("pool");
    std::fs::write(&file, [0u8; PAGE_SIZE]).map_err(|_| PoolError::Exhausted { max_pages: 0 })?;
    let plain = GrantPool::open(&file, DEFAULT_MAX_POOL_BYTES);
    assert!(
        matches!(
            plain,
            Err(PoolError::NotMemfd { .. } | PoolError::NotSealed { .. })
        ),
        "a plain file has no shrink seal: {plain:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn scratch_dir(what: &str) -> Result<std::path::PathBuf, PoolError> {
    let dir = std::env::temp_dir().join(format!("guid-pool-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|_| PoolError::Exhausted { max_pages: 0 })?;
    Ok(dir)
}

/// Item 16: a FIFO at the pool path would block an ordinary open until a writer came; it is
/// refused at once. A symbolic link is refused even when it leads to a good pool; a `/proc`
/// descriptor link is the one link followed.
#[test]
fn a_fifo_or_a_symlink_at_the_pool_path_is_refused_without_blocking() -> Result<(), PoolError> {
    let dir = scratch_dir("paths")?;
    let fifo = dir.join("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
        0,
    )
    .map_err(os("mkfifo"))?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let opening = fifo.clone();
    std::thread::spawn(move || {
        let _ = sender.send(GrantPool::open(&opening, DEFAULT_MAX_POOL_BYTES).map(drop));
    });
    let refused = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("opening a FIFO as the pool must not block");
    assert!(
        matches!(refused, Err(PoolError::NotRegular { kind: "a FIFO" })),
        "{refused:?}"
    );

    let agent = PoolAllocator::new(2, 2)?;
    let good = format!("/proc/self/fd/{}", agent.fd().as_raw_fd());
    let link = dir.join("link");
    std::os::unix::fs::symlink(&good, &link).map_err(|_| PoolError::Symlink)?;
    assert!(matches!(
        GrantPool::open(&link, DEFAULT_MAX_POOL_BYTES),
        Err(PoolError::Symlink)
    ));
    assert!(GrantPool::open(Path::new(&good), DEFAULT_MAX_POOL_BYTES).is_ok());
    assert!(matches!(
        GrantPool::open(Path::new("/dev/null"), DEFAULT_MAX_POOL_BYTES),
        Err(PoolError::NotRegular {
            kind: "a character device"
        })
    ));
    assert!(matches!(
        GrantPool::open(&dir, DEFAULT_MAX_POOL_BYTES),
        Err(PoolError::NotRegular {
            kind: "a directory"
        })
    ));
    let _ = std::fs::remove_dir_all(&dir);
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

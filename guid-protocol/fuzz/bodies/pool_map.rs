//! The daemon's side of a WINDOW_DUMP against a real sealed pool: the refs as the sanitizer lets
//! them through, mapped, and the image read back every way a renderer reads it. Whatever the
//! refs (repeated, scattered, outside the pool), mapping either fails cleanly or gives an image
//! whose byte `i` is byte `i % 4096` of the pool page `refs[i / 4096]`.

use std::sync::OnceLock;

use guid_protocol::msg::{WindowDump, PAGE_SIZE};
use guid_protocol::pool::{GrantPool, PoolAllocator, DEFAULT_MAX_POOL_BYTES};
use guid_protocol::{sanitize, Rect};

const POOL_PAGES: usize = 64;

/// What the pool holds at `offset` of `page`.
fn pool_byte(page: u32, offset: usize) -> u8 {
    (page as usize * 31 + offset * 7) as u8
}

/// One pool for the whole run, each page filled with its own pattern, and the daemon's handle
/// on it.
fn pool() -> &'static (PoolAllocator, GrantPool) {
    static POOL: OnceLock<(PoolAllocator, GrantPool)> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut agent = PoolAllocator::new(POOL_PAGES, POOL_PAGES).expect("a pool");
        let all = agent.alloc(POOL_PAGES * PAGE_SIZE).expect("every page");
        for (i, byte) in agent.bytes_mut(&all).iter_mut().enumerate() {
            *byte = pool_byte((i / PAGE_SIZE) as u32, i % PAGE_SIZE);
        }
        let fd = agent.fd().try_clone_to_owned().expect("dup");
        let daemon = GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES).expect("a sealed pool");
        (agent, daemon)
    })
}

/// One input, as the fuzzer and the seed replay give it: width and height (one byte each, as
/// 1..=256 and 1..=64 pixels), one byte per ref (pages past the pool's 64 included), and then,
/// four bytes each, rectangles to read.
pub fn run(data: &[u8]) {
    let Some(([width, height, ref_count], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let (refs, rects) = rest.split_at(usize::from(*ref_count).min(rest.len()));
    let dump = WindowDump {
        kind: 0,
        width: u32::from(*width) + 1,
        height: u32::from(*height % 64) + 1,
        bpp: 24,
        refs: refs.iter().map(|page| u32::from(*page % 80)).collect(),
    };
    let Ok(layout) = sanitize::dump_layout(dump) else {
        return;
    };
    let Ok(image) = pool().1.map(&layout) else {
        assert!(
            layout.refs.iter().any(|page| *page as usize >= POOL_PAGES),
            "refs inside the pool must map"
        );
        return;
    };
    let expected: Vec<u8> = (0..image.stride() * image.height as usize)
        .map(|i| pool_byte(layout.refs[i / PAGE_SIZE], i % PAGE_SIZE))
        .collect();
    assert!(image.to_vec() == expected, "the whole image");

    let stride = image.stride();
    let mut copied = vec![0u8; expected.len()];
    let mut wanted = Vec::new();
    for rect in rects.chunks_exact(4) {
        let [x, y, w, h] = [rect[0], rect[1], rect[2], rect[3]].map(i32::from);
        // Negative origins and sizes past the image must be clamped, not trusted.
        let rect = Rect::new(x - 16, y - 16, w as u32 * 2, h as u32);
        let got = image.copy_rect(rect, &mut copied, stride);
        for row in got.y..got.y + got.height as i32 {
            let start = row as usize * stride + got.x as usize * 4;
            let end = start + got.width as usize * 4;
            assert!(copied[start..end] == expected[start..end], "rect {rect:?}");
        }
        wanted.push(rect);
    }
    let mut staging = Vec::new();
    let staged = image.stage(&wanted, &mut staging);
    assert_eq!(staged.len(), expected.len());
    for rect in &wanted {
        let got = image.copy_rect(*rect, &mut copied, stride);
        for row in got.y..got.y + got.height as i32 {
            let start = row as usize * stride + got.x as usize * 4;
            let end = start + got.width as usize * 4;
            assert!(
                staged[start..end] == expected[start..end],
                "staged {rect:?}"
            );
        }
    }
    let in_place = image.view.contiguous_ptr().is_some();
    let consecutive = layout.refs.windows(2).all(|pair| pair[1] == pair[0] + 1);
    assert_eq!(
        in_place, consecutive,
        "only consecutive pages are lent in place"
    );
}

//! A window's image: the pages one dump names, in the pool's mapping, read only through
//! [`crate::shared_memory`].

use std::ptr::NonNull;
use std::sync::Arc;

use crate::msg::PAGE_SIZE;
use crate::shared_memory::SharedMapping;
use crate::types::Rect;

/// The pages of one dump, in order, as a view of the pool's mapping.
#[derive(Debug)]
pub struct PoolView {
    mapping: Arc<SharedMapping>,
    pages: Pages,
}

#[derive(Debug)]
enum Pages {
    /// Consecutive pool pages from `first`: the image lies in the mapping as one block.
    Run { first: u32, count: usize },
    /// Anything else: the image's page `i` is pool page `refs[i]`.
    Scattered(Box<[u32]>),
}

impl PoolView {
    pub(super) fn new(mapping: Arc<SharedMapping>, refs: &[u32]) -> Self {
        let consecutive = refs
            .windows(2)
            .all(|pair| matches!(pair, [a, b] if a.checked_add(1) == Some(*b)));
        let pages = match refs.first() {
            Some(&first) if consecutive => Pages::Run {
                first,
                count: refs.len(),
            },
            _ => Pages::Scattered(refs.into()),
        };
        PoolView { mapping, pages }
    }

    /// Bytes in the view: its pages' worth.
    pub fn len(&self) -> usize {
        self.page_count() * PAGE_SIZE
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn page_count(&self) -> usize {
        match &self.pages {
            Pages::Run { count, .. } => *count,
            Pages::Scattered(refs) => refs.len(),
        }
    }

    /// The view as one block of memory, for a reader outside Rust that takes a pointer and reads
    /// it in place (pixman): `None` unless the dump's pages are consecutive in the pool. The
    /// agent may change the bytes at any time; the pointer is valid while this view lives (see
    /// [`crate::shared_memory`] for the rules).
    pub fn contiguous_ptr(&self) -> Option<NonNull<u8>> {
        match self.pages {
            Pages::Run { first, count } => self
                .mapping
                .raw_range(first as usize * PAGE_SIZE, count * PAGE_SIZE),
            Pages::Scattered(_) => None,
        }
    }

    /// Copies `dst.len()` bytes from `offset` in the view; false (and nothing, or only part,
    /// copied) if the range passes the view's end.
    pub fn copy_to(&self, offset: usize, dst: &mut [u8]) -> bool {
        if offset
            .checked_add(dst.len())
            .is_none_or(|end| end > self.len())
        {
            return false;
        }
        if dst.is_empty() {
            return true;
        }
        match &self.pages {
            Pages::Run { first, .. } => self
                .mapping
                .copy_out(*first as usize * PAGE_SIZE + offset, dst),
            Pages::Scattered(refs) => {
                let mut at = offset;
                for chunk in split_at_pages(offset, dst) {
                    let Some(page) = refs.get(at / PAGE_SIZE) else {
                        return false;
                    };
                    let from = *page as usize * PAGE_SIZE + at % PAGE_SIZE;
                    if !self.mapping.copy_out(from, chunk) {
                        return false;
                    }
                    at += chunk.len();
                }
                true
            }
        }
    }
}

/// `dst` cut where the view's page boundaries fall, given that it starts at `offset`.
fn split_at_pages(offset: usize, dst: &mut [u8]) -> impl Iterator<Item = &mut [u8]> {
    let head = (PAGE_SIZE - offset % PAGE_SIZE).min(dst.len());
    let (first, rest) = dst.split_at_mut(head);
    std::iter::once(first).chain(rest.chunks_mut(PAGE_SIZE))
}

/// A window's image: `width x height` pixels of B, G, R, X, stride `width * 4`. The view is
/// shared so that a renderer reading it in place can keep it while it draws; the connection
/// acknowledges the dump that replaces this image only once every holder has let it go.
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
        let right = x
            .saturating_add(rect.width as usize)
            .min(self.width as usize);
        let bottom = y
            .saturating_add(rect.height as usize)
            .min(self.height as usize);
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

    /// Copies `rects` of the image into `staging`, laid out as the whole image (made that size,
    /// keeping its memory when it already is), and lends it: the owned bytes a renderer uploads
    /// rectangle by rectangle. Only `rects` are current in it.
    pub fn stage<'a>(&self, rects: &[Rect], staging: &'a mut Vec<u8>) -> &'a [u8] {
        let len = self.stride() * self.height as usize;
        if staging.len() != len {
            // Zeroed by the allocator, not written: pages not copied into cost no memory.
            *staging = vec![0u8; len];
        }
        for rect in rects {
            self.copy_rect(*rect, staging, self.stride());
        }
        staging
    }
}

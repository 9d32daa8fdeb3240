//! A demo window: its description from the command line, its buffer in the pool, its animation.

use std::str::FromStr;
use std::time::{Duration, Instant};

use guid_demo_agent::pattern::{self, Pattern};
use guid_protocol::msg::{Configure, Create, Map, Message, ShmImage, WindowFlags, WmClass, WmName};
use guid_protocol::pool::{PoolAllocator, PoolError, WindowPages};
use guid_protocol::Rect;

/// How a window animates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Animation {
    None,
    /// A square bouncing across the window: only the rectangle it left and entered changes.
    Square,
    /// The whole pattern shifts every frame.
    Full,
}

/// A window as given by `--window`: `w=640,h=480,x=100,y=80,title=Hello,pattern=gradient,
/// animate=square,fps=30,or`. `title_hex=` gives the title as hex bytes, for hostile titles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    pub geometry: Rect,
    pub title: Vec<u8>,
    pub pattern: Pattern,
    pub animation: Animation,
    pub fps: u32,
    pub override_redirect: bool,
}

impl Default for WindowSpec {
    fn default() -> Self {
        WindowSpec {
            geometry: Rect::new(100, 100, 640, 480),
            title: b"demo".to_vec(),
            pattern: Pattern::Gradient,
            animation: Animation::None,
            fps: 30,
            override_redirect: false,
        }
    }
}

impl FromStr for WindowSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut spec = WindowSpec::default();
        for item in text.split(',').filter(|item| !item.is_empty()) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            let number = |value: &str| {
                value
                    .parse::<i64>()
                    .map_err(|_| format!("{key}={value}: not a number"))
            };
            match key {
                "w" => spec.geometry.width = number(value)? as u32,
                "h" => spec.geometry.height = number(value)? as u32,
                "x" => spec.geometry.x = number(value)? as i32,
                "y" => spec.geometry.y = number(value)? as i32,
                "title" => spec.title = value.as_bytes().to_vec(),
                "title_hex" => {
                    spec.title = hex(value).ok_or(format!("title_hex={value}: not hex"))?
                }
                "pattern" => spec.pattern = value.parse().map_err(|e| format!("{e}"))?,
                "animate" => {
                    spec.animation = match value {
                        "none" => Animation::None,
                        "square" => Animation::Square,
                        "full" => Animation::Full,
                        _ => return Err(format!("animate={value}: use none, square or full")),
                    }
                }
                "fps" => spec.fps = number(value)?.clamp(1, 1000) as u32,
                "or" => spec.override_redirect = true,
                _ => return Err(format!("unknown window key {key:?}")),
            }
        }
        Ok(spec)
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// Side of the bouncing square.
const SQUARE: u32 = 64;
/// Colour of the bouncing square.
const SQUARE_RGB: u32 = 0x00ff_ff00;
/// Pixels the square moves per frame.
const SQUARE_STEP: i32 = 8;

/// One window of the demo agent.
#[derive(Debug)]
pub struct DemoWindow {
    pub id: u32,
    pub spec: WindowSpec,
    pub geometry: Rect,
    pages: WindowPages,
    phase: u32,
    square: Rect,
    velocity: (i32, i32),
    pub next_frame: Option<Instant>,
}

impl DemoWindow {
    pub fn new(id: u32, spec: WindowSpec) -> Self {
        DemoWindow {
            id,
            geometry: spec.geometry,
            spec,
            pages: WindowPages::default(),
            phase: 0,
            square: Rect::new(0, 0, SQUARE, SQUARE),
            velocity: (SQUARE_STEP, SQUARE_STEP / 2),
            next_frame: None,
        }
    }

    fn frame_interval(&self) -> Duration {
        Duration::from_secs(1) / self.spec.fps.max(1)
    }

    /// Everything the daemon must know of this window, as the Qubes agent sends it on creation.
    pub fn announce(
        &mut self,
        pool: &mut PoolAllocator,
        out: &mut Vec<(u32, Message)>,
    ) -> Result<(), PoolError> {
        let or = u32::from(self.spec.override_redirect);
        out.push((self.id, self.create_message()));
        out.push((self.id, Message::WmName(WmName::new(&self.spec.title))));
        out.push((
            self.id,
            Message::WmClass(WmClass::new(b"guid-demo-agent", b"demo")),
        ));
        out.push((self.id, self.configure_message()));
        out.push((
            self.id,
            Message::WindowFlags(WindowFlags { set: 0, unset: 0 }),
        ));
        out.push((
            self.id,
            Message::Map(Map {
                transient_for: 0,
                override_redirect: or,
            }),
        ));
        self.redraw(pool, out)?;
        if self.spec.animation != Animation::None {
            self.next_frame = Some(Instant::now() + self.frame_interval());
        }
        Ok(())
    }

    /// Everything the daemon must know of this window when the agent connects to a new daemon
    /// with the window already shown, in the order the Qubes agent sends it
    /// (`send_full_window_info`): the image comes before MAP.
    pub fn list(
        &mut self,
        pool: &mut PoolAllocator,
        out: &mut Vec<(u32, Message)>,
    ) -> Result<(), PoolError> {
        let or = u32::from(self.spec.override_redirect);
        out.push((self.id, self.create_message()));
        out.push((self.id, self.configure_message()));
        self.redraw(pool, out)?;
        out.push((
            self.id,
            Message::WmClass(WmClass::new(b"guid-demo-agent", b"demo")),
        ));
        out.push((
            self.id,
            Message::Map(Map {
                transient_for: 0,
                override_redirect: or,
            }),
        ));
        out.push((self.id, Message::WmName(WmName::new(&self.spec.title))));
        out.push((
            self.id,
            Message::WindowFlags(WindowFlags { set: 0, unset: 0 }),
        ));
        if self.spec.animation != Animation::None {
            self.next_frame = Some(Instant::now() + self.frame_interval());
        }
        Ok(())
    }

    fn create_message(&self) -> Message {
        let g = self.geometry;
        Message::Create(Create {
            x: g.x,
            y: g.y,
            width: g.width,
            height: g.height,
            parent: 0,
            override_redirect: u32::from(self.spec.override_redirect),
        })
    }

    fn configure_message(&self) -> Message {
        let g = self.geometry;
        Message::Configure(Configure {
            x: g.x,
            y: g.y,
            width: g.width,
            height: g.height,
            override_redirect: u32::from(self.spec.override_redirect),
        })
    }

    /// The daemon moved or resized the window: confirm, and redraw at a new size.
    pub fn configured(
        &mut self,
        geometry: Rect,
        pool: &mut PoolAllocator,
        out: &mut Vec<(u32, Message)>,
    ) -> Result<(), PoolError> {
        let resized =
            (geometry.width, geometry.height) != (self.geometry.width, self.geometry.height);
        self.geometry = geometry;
        out.push((self.id, self.configure_message()));
        if resized {
            self.redraw(pool, out)?;
        }
        Ok(())
    }

    /// A new buffer at the current size, painted whole and sent as a dump and a full damage.
    fn redraw(
        &mut self,
        pool: &mut PoolAllocator,
        out: &mut Vec<(u32, Message)>,
    ) -> Result<(), PoolError> {
        let (width, height) = (self.geometry.width, self.geometry.height);
        let run = pool.alloc(width as usize * height as usize * 4)?;
        let whole = Rect::new(0, 0, width, height);
        self.spec
            .pattern
            .paint(pool.bytes_mut(&run), width, whole, self.phase);
        self.pages.replace(run);
        if self.spec.animation == Animation::Square {
            self.paint_square(pool);
        }
        out.push((self.id, Message::WindowDump(run.dump(width, height))));
        out.push((self.id, damage(whole)));
        Ok(())
    }

    /// The daemon has mapped the newest dump: the oldest replaced buffer may be reused.
    pub fn dump_acknowledged(&mut self, pool: &mut PoolAllocator) {
        self.pages.dump_acknowledged(pool);
    }

    /// Buffers no daemon holds any more (after a disconnect, or before 1.7 which has no acks).
    pub fn release_replaced(&mut self, pool: &mut PoolAllocator) {
        self.pages.release_replaced(pool);
    }

    /// Returns every buffer to the pool, once the window is gone.
    pub fn release_all(&mut self, pool: &mut PoolAllocator) {
        self.pages.release_all(pool);
    }

    /// Draws the next frame if it is due; sends the damage.
    pub fn animate(
        &mut self,
        now: Instant,
        pool: &mut PoolAllocator,
        out: &mut Vec<(u32, Message)>,
    ) {
        let Some(due) = self.next_frame.filter(|due| *due <= now) else {
            return;
        };
        self.next_frame = Some((due + self.frame_interval()).max(now));
        let Some(run) = self.pages.current() else {
            return;
        };
        let width = self.geometry.width;
        let changed = match self.spec.animation {
            Animation::None => return,
            Animation::Full => {
                self.phase = self.phase.wrapping_add(4);
                let whole = Rect::new(0, 0, width, self.geometry.height);
                self.spec
                    .pattern
                    .paint(pool.bytes_mut(&run), width, whole, self.phase);
                whole
            }
            Animation::Square => {
                let old = self.square;
                self.spec
                    .pattern
                    .paint(pool.bytes_mut(&run), width, old, self.phase);
                self.step_square();
                self.paint_square(pool);
                old.union(&self.square)
            }
        };
        out.push((self.id, damage(changed)));
    }

    fn step_square(&mut self) {
        let max_x = self.geometry.width.saturating_sub(SQUARE) as i32;
        let max_y = self.geometry.height.saturating_sub(SQUARE) as i32;
        let (mut dx, mut dy) = self.velocity;
        if !(0..=max_x).contains(&(self.square.x + dx)) {
            dx = -dx;
        }
        if !(0..=max_y).contains(&(self.square.y + dy)) {
            dy = -dy;
        }
        self.velocity = (dx, dy);
        self.square.x = (self.square.x + dx).clamp(0, max_x);
        self.square.y = (self.square.y + dy).clamp(0, max_y);
    }

    fn paint_square(&mut self, pool: &mut PoolAllocator) {
        if let Some(run) = self.pages.current() {
            pattern::fill(
                pool.bytes_mut(&run),
                self.geometry.width,
                self.square,
                |_, _| SQUARE_RGB,
            );
        }
    }
}

fn damage(rect: Rect) -> Message {
    Message::ShmImage(ShmImage {
        x: rect.x,
        y: rect.y,
        width: rect.width,
        height: rect.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let spec: WindowSpec =
            "w=300,h=200,x=-5,y=7,title=Hi,pattern=solid:#cc0000,animate=square,fps=60,or"
                .parse()
                .unwrap();
        assert_eq!(spec.geometry, Rect::new(-5, 7, 300, 200));
        assert_eq!(spec.title, b"Hi");
        assert_eq!(spec.pattern, Pattern::Solid(0xcc0000));
        assert_eq!(
            (spec.animation, spec.fps, spec.override_redirect),
            (Animation::Square, 60, true)
        );
        let hostile: WindowSpec = "title_hex=e280ae41".parse().unwrap();
        assert_eq!(hostile.title, [0xe2, 0x80, 0xae, 0x41]);
        assert!("w=abc".parse::<WindowSpec>().is_err());
        assert!("colour=red".parse::<WindowSpec>().is_err());
    }

    #[test]
    fn the_square_stays_inside_and_damage_covers_its_move() {
        let mut pool = PoolAllocator::new(64, 4096).unwrap();
        let spec: WindowSpec = "w=100,h=80,animate=square,fps=1000".parse().unwrap();
        let mut window = DemoWindow::new(1, spec);
        let mut out = Vec::new();
        window.announce(&mut pool, &mut out).unwrap();
        for _ in 0..50 {
            out.clear();
            window.next_frame = Some(Instant::now());
            let before = window.square;
            window.animate(Instant::now(), &mut pool, &mut out);
            let after = window.square;
            assert!(
                after.x >= 0
                    && after.x as u32 + SQUARE <= 100
                    && after.y >= 0
                    && after.y as u32 + SQUARE <= 80
            );
            assert_eq!(out, vec![(1, damage(before.union(&after)))]);
        }
    }
}

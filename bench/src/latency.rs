//! Latencies between two processes' CLOCK_MONOTONIC stamps: an agent's `damage_sent` and the
//! frames an airgui composed (`airgui msg frames`, `mono_us`), and percentiles.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::procs::{monotonic_us, Airgui, Area, Frame};

/// The `damage_sent` times (CLOCK_MONOTONIC µs) in an agent's log, within [from, to], with the
/// damaged rectangle of the window.
pub fn damage_sent(log: &Path, from: u64, to: u64) -> Vec<(u64, Area)> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["event"] == "damage_sent")
        .filter_map(|event| {
            let int = |key: &str| event[key].as_i64();
            let area = Area::new(int("x")?, int("y")?, int("width")?, int("height")?);
            Some((event["mono_us"].as_u64()?, area))
        })
        .filter(|(at, _)| (from..=to).contains(at))
        .collect()
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// What [`damage_to_frame`] measured.
pub struct DamageToFrame {
    /// Per SHMIMAGE, ms to the first frame finished after it that shows it; sorted.
    pub latencies: Vec<f64>,
    /// Some frames were missed between two reads of `frames` (it keeps 64).
    pub gaps: bool,
}

/// For `time`, the latency of each SHMIMAGE the agent logging to `log` sent, to the first frame
/// `composer` finished after it whose damage covers the SHMIMAGE's rectangle (`composer` may be
/// the agent's own airgui, or a master showing its zone; the window's origin is at `origin` in
/// its output). Matching the rectangle keeps a frame that shows the previous SHMIMAGE late from
/// passing for this one. `frames` is read every 100 ms.
pub fn damage_to_frame(
    composer: &Airgui,
    log: &Path,
    origin: (i64, i64),
    time: Duration,
) -> DamageToFrame {
    let mut frames: BTreeMap<u64, Frame> = BTreeMap::new();
    let start = monotonic_us();
    let until = Instant::now() + time;
    let mut gaps = false;
    while Instant::now() < until {
        let reply = composer.frames();
        if let (Some(first), Some(last)) = (reply.recent.first(), frames.last_key_value()) {
            gaps |= first.number > last.0 + 1;
        }
        frames.extend(reply.recent.into_iter().map(|f| (f.number, f)));
        std::thread::sleep(Duration::from_millis(100));
    }
    // Let the last damage reach a frame, then read the frames once more.
    std::thread::sleep(Duration::from_millis(200));
    frames.extend(composer.frames().recent.into_iter().map(|f| (f.number, f)));
    let end = frames.values().map(|f| f.mono_us).max().unwrap_or(0);
    let finished: Vec<(u64, Area)> = frames
        .values()
        .filter(|f| f.mono_us >= start)
        .filter_map(|f| Some((f.mono_us, f.damage?)))
        .collect();
    let mut latencies: Vec<f64> = damage_sent(log, start, end)
        .into_iter()
        .filter_map(|(sent, area)| {
            let area = area.offset(origin);
            let i = finished.partition_point(|&(done, _)| done < sent);
            let shown = finished
                .get(i..)?
                .iter()
                .find(|(_, damage)| damage.contains(&area));
            shown.map(|(done, _)| (done - sent) as f64 / 1000.0)
        })
        .collect();
    latencies.sort_by(f64::total_cmp);
    DamageToFrame { latencies, gaps }
}

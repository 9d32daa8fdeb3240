//! `make soak`: airgui under churn for a long run (10 minutes by default): qubes' agents come
//! and go with new windows, some animating; the user clicks, types and copies and pastes
//! between qubes. airgui's resident memory and open descriptors are sampled; after the warm-up
//! they must stay flat. The verdict and the samples go to stdout and `docs/soak.md`.
//!
//! Flat means: the largest RSS of the second half of the run is at most 10% (and 8 MiB) above
//! the largest RSS of the warm-up (the first fifth), and the most descriptors open in the second
//! half are no more than in the warm-up. The churn is the same throughout, so a leak shows as
//! growth past what the warm-up already reached.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::procs::{status_bytes, Airgui, Proc};

/// Qube slots; each has at most one agent at a time.
const QUBES: usize = 6;
/// How often memory and descriptors are sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Allowed RSS growth past the warm-up's peak: a fraction, and at least this many bytes.
const RSS_SLACK: f64 = 0.10;
const RSS_SLACK_BYTES: u64 = 8 << 20;

/// One sample of airgui's resources.
#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Duration,
    rss: u64,
    descriptors: usize,
    windows: usize,
}

/// A small deterministic generator (xorshift): the churn is the same on every run.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % sides as u64) as usize
    }
}

fn descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |dir| dir.count())
}

/// An agent for slot `slot`, with 1 to 4 windows, one of them animating half the time.
fn start_agent(airgui: &Airgui, slot: usize, dice: &mut Dice) -> Proc {
    let mut args = vec!["--clipboard".to_owned(), format!("soak data of q{slot}")];
    for w in 0..=dice.roll(4) {
        let animate = if w == 0 && dice.roll(2) == 0 {
            ",animate=square,fps=30"
        } else {
            ""
        };
        args.extend([
            "--window".to_owned(),
            format!(
                "w={},h={},x={},y={},title=q{slot} window {w},pattern=gradient{animate}",
                160 + dice.roll(320),
                120 + dice.roll(240),
                40 + dice.roll(1400),
                40 + dice.roll(700),
            ),
        ]);
    }
    airgui.agent_with(&format!("q{slot}"), &args)
}

/// Runs the soak for `length`; returns the report (Markdown) and whether memory and descriptors
/// stayed flat.
pub fn run(length: Duration) -> (String, bool) {
    let qubes: Vec<String> = (0..QUBES).map(|i| format!("q{i}")).collect();
    let mut airgui = Airgui::start(1920, 1080, 60, &qubes);
    let pid = airgui.proc.pid();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut agents: Vec<Option<Proc>> = (0..QUBES)
        .map(|slot| Some(start_agent(&airgui, slot, &mut dice)))
        .collect();
    let started = Instant::now();
    let mut next_sample = started;
    let mut samples = Vec::new();
    let (mut restarts, mut inputs) = (0u64, 0u64);
    while started.elapsed() < length {
        // A qube's agent goes (killed as a crash would, or replaced) and another comes.
        let slot = dice.roll(QUBES);
        if let Some(agent) = agents.get_mut(slot) {
            *agent = None;
            *agent = Some(start_agent(&airgui, slot, &mut dice));
            restarts += 1;
        }
        // The user clicks a window, types, and copies or pastes.
        let windows = airgui.msg(json!({"command": "windows"}))["windows"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !windows.is_empty() {
            let window = &windows[dice.roll(windows.len())];
            let centre = |pos: &str, len: &str| {
                window[pos].as_f64().unwrap_or(0.0) + window[len].as_f64().unwrap_or(0.0) / 2.0
            };
            airgui.msg(json!({"command": "click", "x": centre("x", "width"),
                "y": centre("y", "height"), "button": 1}));
            airgui.msg(json!({"command": "type", "text": "soak"}));
            let chord = ["ctrl+shift+c", "ctrl+shift+v"][dice.roll(2)];
            airgui.msg(json!({"command": "key", "name": chord}));
            inputs += 1;
        }
        if Instant::now() >= next_sample {
            airgui.wait("airgui alive", |_| Some(()));
            samples.push(Sample {
                at: started.elapsed(),
                rss: status_bytes(pid, "VmRSS"),
                descriptors: descriptors(pid),
                windows: windows.len(),
            });
            next_sample += SAMPLE_EVERY;
        }
        std::thread::sleep(Duration::from_millis(200 + 100 * dice.roll(8) as u64));
    }
    drop(agents);
    judge(&samples, length, restarts, inputs)
}

fn judge(samples: &[Sample], length: Duration, restarts: u64, inputs: u64) -> (String, bool) {
    let warm_up = length / 5;
    let second_half = length / 2;
    let peak = |from: Duration, to: Duration| {
        let within = samples.iter().filter(|s| s.at >= from && s.at < to);
        within.fold((0u64, 0usize), |(rss, fds), s| {
            (rss.max(s.rss), fds.max(s.descriptors))
        })
    };
    let (warm_rss, warm_fds) = peak(Duration::ZERO, warm_up);
    let (late_rss, late_fds) = peak(second_half, Duration::MAX);
    let allowed_rss = warm_rss + ((warm_rss as f64 * RSS_SLACK) as u64).max(RSS_SLACK_BYTES);
    let flat = warm_rss > 0 && late_rss <= allowed_rss && late_fds <= warm_fds;
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    let mut report = format!(
        "{} s of churn: {restarts} agent restarts, {inputs} rounds of click, typing and a \
         clipboard chord, {QUBES} qubes.\n\n\
         | | RSS peak | descriptors peak |\n|---|---|---|\n\
         | warm-up (first {} s) | {:.1} MiB | {warm_fds} |\n\
         | second half (from {} s) | {:.1} MiB | {late_fds} |\n\n\
         Verdict: **{}** (RSS may exceed the warm-up peak by {:.1} MiB; descriptors not at \
         all).\n\n<details><summary>Samples</summary>\n\n| s | RSS MiB | descriptors | windows \
         |\n|---|---|---|---|\n",
        length.as_secs(),
        warm_up.as_secs(),
        mib(warm_rss),
        second_half.as_secs(),
        mib(late_rss),
        if flat { "flat" } else { "NOT flat" },
        mib(allowed_rss - warm_rss),
    );
    for s in samples {
        report.push_str(&format!(
            "| {} | {:.1} | {} | {} |\n",
            s.at.as_secs(),
            mib(s.rss),
            s.descriptors,
            s.windows
        ));
    }
    report.push_str("\n</details>\n");
    (report, flat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, rss_mib: u64, descriptors: usize) -> Sample {
        Sample {
            at: Duration::from_secs(at),
            rss: rss_mib << 20,
            descriptors,
            windows: 0,
        }
    }

    #[test]
    fn growth_past_the_warm_up_is_not_flat() {
        let length = Duration::from_secs(100);
        let steady: Vec<_> = (0..20).map(|i| sample(i * 5, 60 + i % 3, 30)).collect();
        assert!(judge(&steady, length, 1, 1).1);
        let leaking: Vec<_> = (0..20).map(|i| sample(i * 5, 60 + 2 * i, 30)).collect();
        assert!(!judge(&leaking, length, 1, 1).1);
        let fds: Vec<_> = (0..20)
            .map(|i| sample(i * 5, 60, 30 + i as usize))
            .collect();
        assert!(!judge(&fds, length, 1, 1).1);
    }
}

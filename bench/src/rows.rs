//! The rows of one airgui: P1 (full-window rate against memcpy), P2 (small-damage latency), P6
//! (idle), P7 (scale, with input latency under that load), and the lone-airgui input round
//! trip that is P5's reference. P3 is in `weston.rs`, P4 and P5 in `master.rs`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::latency::{damage_sent, damage_to_frame, percentile, DamageToFrame};
use crate::procs::{context_switches, cpu_seconds, monotonic_us, status_bytes, Airgui};
use crate::rdp_user::{rdp_table, RdpUser};
use crate::Row;

/// How each row is measured, appended to docs/benchmarks.md under the table.
pub const METHOD: &str = "## How each row is measured\n\n\
* **P1**: a headless release airgui (output 1920x1080, `refresh_hz = 1000` so that its pacing \
does not cap the rate) and one `guid-demo-agent` window \
`w=1920,h=1080,x=0,y=0,pattern=gradient,animate=full,fps=1000`, which repaints all 8 MB of its \
buffer and sends one full-window SHMIMAGE per frame. Composed frames per second are the \
difference of `airgui msg frames` counts over the interval. The agent does not wait for \
anything from airgui (the GUI protocol has no per-frame ack; the agent only stops while more \
than 1 MiB of messages waits unsent, which 20-byte SHMIMAGEs never reach), so \"as fast as acks \
allow\" is really \"as fast as the agent paints, at most 1000/s\": the row also gives the \
agent's own rate (its `damage_sent` log lines) and airgui's CPU time per composed frame. The \
reference is a `copy_from_slice` of 1920x1080x4 bytes in this binary, on one core, in the same \
run, going round 32 source buffers (265 MB, more than any CPU cache) so that each copy reads main \
memory, as TARGETS.md defines it; the same copy from one source that stays in the cache is given \
beside it. airgui reads the window in place from the qube's pool (pixman on the headless \
output), so a composed frame is one copy of the window into the output.\n\
* **P2**: a 640x480 window with `animate=square,fps=60`: a 64x64 square moves 8 px right and \
4 px down per frame, so each SHMIMAGE covers the union of its old and new place (72x68 px). The \
agent (with `--log`) writes `damage_sent` with CLOCK_MONOTONIC microseconds when it queues each \
SHMIMAGE (after painting, just before its next socket write); airgui's `frames` IPC reply gives \
each frame's CLOCK_MONOTONIC time when rendering finished (`mono_us`). CLOCK_MONOTONIC is one \
clock for the whole machine, so the latency of a SHMIMAGE is the time to the first frame \
finished after it whose damage covers the SHMIMAGE's rectangle (placed where the window is). \
`frames` keeps 64 frames, so the bench reads it every 100 ms. Measured twice: with the default \
`refresh_hz = 60` (airgui draws about once per 16.7 ms, with one frame of slack so that damage \
arriving at the refresh rate does not wait for airgui's own phase) and with \
`refresh_hz = 1000`.\n\
* **P3**: `weston-simple-shm` (250x250, redrawn whole at each frame callback) served at \
1280x720: in a qube under `airgui-agent` with a headless airgui's RDP server, and under \
`weston --backend=rdp-backend.so` (Weston 10, desktop shell, TLS). The viewer is `xfreerdp /rfx` \
on Xvfb, through a loopback relay that counts the bytes the server sends; the client starts \
once the viewer shows the desktop (Weston's RDP output does not repaint without a viewer). \
Frames are the client's commits (`WAYLAND_DEBUG=1`: each compositor paces them by its frame \
callbacks); server CPU is airgui plus the qube's agent, or Weston. airgui is also measured \
with airgui-remote's client (QOIZ over NLA), which Weston cannot serve (no NLA).\n\
* **P4**: a headless slave (1280x720) with one window `w=640,h=480,animate=square,fps=60` and a \
headless master (1920x1080) linked to it over loopback; the slave's agent stamps each SHMIMAGE \
(`damage_sent`), the master's `frames` each composed frame (`mono_us`), as in P2: the latency of \
a SHMIMAGE is the time to the first master frame finished after it whose damage covers the \
SHMIMAGE's rectangle where the zone shows it. The master's \
frames per second are counted over the same interval.\n\
* **P5**: a slave with one demo qube window and a master linked to it, the master serving RDP; \
airgui-remote's RDP client (the one a master uses: pinned fingerprint, NLA, fast-path input) \
logs in to the master, clicks the window inside the zone to focus it, then presses and \
releases A 200 times, 20 ms apart, stamping each press with CLOCK_MONOTONIC as it hands it to \
the client; the slave's agent stamps each KEYPRESS it receives (`mono_us` in its log). The n-th \
press pairs with the n-th KEYPRESS. The reference is the same with the client logged in to a \
lone airgui.\n\
* **P6**: 5 qubes with 2 still windows each (640x480); after they are shown and 2 s have \
passed, airgui's CPU time (utime + stime of /proc/PID/stat) and context switches (voluntary + \
involuntary, summed over /proc/PID/task/*/status) over the interval, and the frames composed.\n\
* **P7**: 50 qubes with 4 windows of 320x240 each (200 windows); 5 qubes animate their windows \
(`animate=square,fps=30`). airgui's VmRSS (/proc/PID/status) after all 200 windows are shown \
and 3 s have passed, against the windows' own pixel bytes (200 × 320 × 240 × 4). Shared pages \
of the qubes' pools that airgui maps count in its RSS (RssShmem) once touched. Then a 201st \
window (another qube) is shown on top and P5's key presses go to it through airgui's RDP \
server while the 5 qubes go on animating.\n";

/// Sources the main-memory memcpy goes round: 32 x 8 MB is larger than any CPU's cache, so each
/// copy reads from memory, as airgui's reads of pixels another core just wrote mostly do.
const MEMCPY_SOURCES: usize = 32;

/// Copies per second of `bytes` on this thread, for about `time` each: from one source, which
/// stays in the CPU's cache, and round [`MEMCPY_SOURCES`] sources (TARGETS.md's "from main
/// memory").
fn memcpy_rates(bytes: usize, time: Duration) -> (f64, f64) {
    let sources: Vec<Vec<u8>> = (0..MEMCPY_SOURCES)
        .map(|n| (0..bytes).map(|i| (i + n) as u8).collect())
        .collect();
    let mut target = vec![0u8; bytes];
    let rate = |sources: &[Vec<u8>], target: &mut [u8]| {
        let start = Instant::now();
        let mut copies = 0u64;
        for source in sources.iter().cycle() {
            if start.elapsed() >= time {
                break;
            }
            black_box(&mut *target).copy_from_slice(black_box(source));
            copies += 1;
        }
        copies as f64 / start.elapsed().as_secs_f64()
    };
    let cached = rate(&sources[..1], &mut target);
    let main_memory = rate(&sources, &mut target);
    (cached, main_memory)
}

/// P1: full 1920x1080 updates composed per second, against memcpy of the same bytes.
pub fn full_window(time: Duration) -> Row {
    const BYTES: usize = 1920 * 1080 * 4;
    let (cached, memcpy) = memcpy_rates(BYTES, time.min(Duration::from_secs(3)));
    let mut airgui = Airgui::start(1920, 1080, 1000, &["bench".to_string()]);
    let log = airgui.dir.path().join("agent.jsonl");
    let agent = airgui.agent(
        "bench",
        &["w=1920,h=1080,x=0,y=0,pattern=gradient,animate=full,fps=1000".to_string()],
        Some(&log),
    );
    airgui.wait("the window", |a| (a.window_count() == 1).then_some(()));
    std::thread::sleep(Duration::from_secs(1));
    let (count0, at0, mono0) = (airgui.frames().count, Instant::now(), monotonic_us());
    let (cpu0, agent_cpu0) = (cpu_seconds(airgui.proc.pid()), cpu_seconds(agent.pid()));
    std::thread::sleep(time);
    let (count1, elapsed, mono1) = (
        airgui.frames().count,
        at0.elapsed().as_secs_f64(),
        monotonic_us(),
    );
    let (cpu1, agent_cpu1) = (cpu_seconds(airgui.proc.pid()), cpu_seconds(agent.pid()));
    drop(agent);
    let frames = (count1 - count0) as f64;
    let fps = frames / elapsed;
    let sent = damage_sent(&log, mono0, mono1).len() as f64 / elapsed;
    let cpu_ms = (cpu1 - cpu0) * 1000.0 / frames.max(1.0);
    let agent_cpu = (agent_cpu1 - agent_cpu0) / elapsed;
    let ratio = fps / memcpy;
    let mut notes = format!(
        "agent sent {sent:.0} updates/s (using {:.0}% of a core to paint them); airgui used \
         {cpu_ms:.2} ms CPU per composed frame (so ≈{:.0} frames/s of one core's worth)",
        agent_cpu * 100.0,
        1000.0 / cpu_ms.max(1e-6)
    );
    if fps < 0.95 * sent {
        notes.push_str("; airgui composed fewer frames than the agent sent (updates merged)");
    } else {
        notes.push_str(
            "; airgui kept up with every update: the agent's painting is the limit, so this is \
             a lower bound on airgui's rate",
        );
    }
    if ratio < 0.5 {
        notes.push_str(&format!("; **below target** ({ratio:.2} < 0.5)"));
    }
    Row {
        id: "P1",
        what: "1920x1080 full-window updates composed per second, headless",
        measured: format!("{fps:.0} frames/s (ratio {ratio:.2})"),
        reference: format!(
            "memcpy of 8.3 MB from main memory: {memcpy:.0} copies/s (TARGETS.md: ~660); from \
             one source in this CPU's cache: {cached:.0} copies/s"
        ),
        target: "≥ 0.5 × memcpy".into(),
        notes,
    }
}

/// P2: latency from the agent's SHMIMAGE to the first composed frame after it, at two
/// refresh rates.
pub fn small_damage(time: Duration) -> Vec<Row> {
    [60, 1000]
        .into_iter()
        .map(|hz| small_damage_at(time, hz))
        .collect()
}

fn small_damage_at(time: Duration, refresh_hz: u32) -> Row {
    let mut airgui = Airgui::start(1920, 1080, refresh_hz, &["bench".to_string()]);
    let log = airgui.dir.path().join("agent.jsonl");
    let agent = airgui.agent(
        "bench",
        &["w=640,h=480,x=100,y=100,pattern=gradient,animate=square,fps=60".to_string()],
        Some(&log),
    );
    airgui.wait("the window", |a| (a.window_count() == 1).then_some(()));
    std::thread::sleep(Duration::from_secs(1));
    let DamageToFrame { latencies, gaps } = damage_to_frame(&airgui, &log, (100, 100), time);
    drop(agent);
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    let max = latencies.last().copied().unwrap_or(f64::NAN);
    let mut notes = format!(
        "{} SHMIMAGEs of 72x68 px (64x64 square, old ∪ new place); max {max:.2} ms",
        latencies.len()
    );
    if gaps {
        notes.push_str("; some frames were missed between reads (only 64 are kept)");
    }
    if p99 > 1.0 {
        notes.push_str(&format!("; **p99 above target** ({p99:.2} ms > 1 ms)"));
        if refresh_hz == 60 {
            notes.push_str(": damage waited for airgui's next frame slot");
        }
    }
    Row {
        id: "P2",
        what: if refresh_hz == 60 {
            "64x64 damage at 60 Hz: SHMIMAGE → composed frame (refresh_hz 60)"
        } else {
            "the same with refresh_hz 1000 (pacing out of the way)"
        },
        measured: format!("p50 {p50:.2} ms, p99 {p99:.2} ms"),
        reference: "a 60 Hz frame: 16.7 ms".into(),
        target: "p99 ≤ 1 ms".into(),
        notes,
    }
}

/// P6: 10 still windows for `time`: airgui's CPU time and wakeups.
pub fn idle(time: Duration) -> Row {
    let qubes: Vec<String> = (0..5).map(|i| format!("idle{i}")).collect();
    let mut airgui = Airgui::start(1920, 1080, 60, &qubes);
    let agents: Vec<_> = qubes
        .iter()
        .enumerate()
        .map(|(i, qube)| {
            let windows: Vec<String> = (0..2)
                .map(|w| {
                    format!(
                        "w=640,h=480,x={},y={},pattern=gradient",
                        i * 200,
                        w * 400 + i * 20
                    )
                })
                .collect();
            airgui.agent(qube, &windows, None)
        })
        .collect();
    airgui.wait("10 windows", |a| (a.window_count() == 10).then_some(()));
    std::thread::sleep(Duration::from_secs(2));
    let pid = airgui.proc.pid();
    // The IPC request wakes airgui: made before the interval starts, not inside it.
    let frames0 = airgui.frames().count;
    let (cpu0, switches0) = (cpu_seconds(pid), context_switches(pid));
    let start = Instant::now();
    std::thread::sleep(time);
    let elapsed = start.elapsed().as_secs_f64();
    let (cpu1, switches1) = (cpu_seconds(pid), context_switches(pid));
    // Read after the CPU figures: this IPC request itself wakes airgui.
    let frames = airgui.frames().count - frames0;
    drop(agents);
    let cpu = cpu1 - cpu0;
    let switches = switches1 - switches0;
    let mut notes = format!(
        "{frames} frames composed; CPU time has a resolution of 10 ms (clock ticks); the bench's \
         IPC reads are outside the interval"
    );
    if switches as f64 / elapsed > 1.0 || cpu > 0.02 {
        notes.push_str("; **not idle**: airgui wakes up periodically");
    }
    Row {
        id: "P6",
        what: "idle: 10 windows, nothing changes",
        measured: format!(
            "{cpu:.2} CPU s, {switches} context switches in {elapsed:.0} s ({:.1}/s)",
            switches as f64 / elapsed
        ),
        reference: "–".into(),
        target: "≈ 0 CPU, no periodic wake-ups".into(),
        notes,
    }
}

/// P7: 50 qubes × 4 windows of 320x240, 5 qubes animating: airgui's RSS against pixel bytes.
pub fn scale() -> Row {
    const QUBES: usize = 50;
    const WINDOWS: usize = 4;
    const ANIMATED: usize = 5;
    let mut qubes: Vec<String> = (0..QUBES).map(|i| format!("q{i}")).collect();
    // One more qube takes the keys typed under this load; its window is shown last, on top.
    qubes.push("input".to_string());
    let mut airgui = Airgui::start_with(1920, 1080, 60, &qubes, rdp_table);
    let pid = airgui.proc.pid();
    let empty_rss = status_bytes(pid, "VmRSS");
    let agents: Vec<_> = qubes[..QUBES]
        .iter()
        .enumerate()
        .map(|(i, qube)| {
            let animate = if i < ANIMATED {
                ",animate=square,fps=30"
            } else {
                ""
            };
            let windows: Vec<String> = (0..WINDOWS)
                .map(|w| {
                    let k = i * WINDOWS + w;
                    format!(
                        "w=320,h=240,x={},y={},pattern=gradient{animate}",
                        (k * 37) % 1600,
                        (k * 23) % 840
                    )
                })
                .collect();
            airgui.agent(qube, &windows, None)
        })
        .collect();
    let total = QUBES * WINDOWS;
    airgui.wait("200 windows", |a| (a.window_count() == total).then_some(()));
    std::thread::sleep(Duration::from_secs(3));
    let rss = status_bytes(pid, "VmRSS");
    let anon = status_bytes(pid, "RssAnon");
    let shmem = status_bytes(pid, "RssShmem");
    let file = status_bytes(pid, "RssFile");
    let log = airgui.dir.path().join("input.jsonl");
    let _input = airgui.agent(
        "input",
        &["w=200,h=150,x=860,y=460,pattern=solid:#3465a4".to_string()],
        Some(&log),
    );
    airgui.wait("the input window", |a| {
        (a.window_count() == total + 1).then_some(())
    });
    let user = RdpUser::connect(&airgui);
    user.click(960, 535);
    wait_focus(&mut airgui);
    let latencies = user.key_latencies(200, &log, &mut airgui);
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    drop(agents);
    let pixels = (total * 320 * 240 * 4) as u64;
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let budget = 1.2 * pixels as f64 + 50e6;
    let mut notes = format!(
        "RSS = {:.1} MB anonymous + {:.1} MB shared (qubes' pool pages airgui has mapped and \
         touched) + {:.1} MB file; {:.1} MB before any qube connected; {:.0} kB per window \
         above that; input: 200 presses of A from airgui-remote's RDP client to a 201st window \
         on top, as in P5, while 5 qubes animate",
        mb(anon),
        mb(shmem),
        mb(file),
        mb(empty_rss),
        (rss.saturating_sub(empty_rss)) as f64 / total as f64 / 1e3
    );
    if p99 > 10.0 {
        notes.push_str(&format!(
            "; **input p99 above target** ({p99:.2} ms > 10 ms)"
        ));
    }
    if rss as f64 > budget {
        notes.push_str(&format!(
            "; **above target** ({:.1} MB > {:.1} MB)",
            mb(rss),
            budget / 1e6
        ));
    }
    Row {
        id: "P7",
        what: "scale: 50 qubes × 4 windows (320x240), 5 qubes animating",
        measured: format!(
            "RSS {:.1} MB = {:.2} × pixels ({:.0} kB/window); input p50 {p50:.2} ms, p99 \
             {p99:.2} ms",
            mb(rss),
            rss as f64 / pixels as f64,
            rss as f64 / total as f64 / 1e3
        ),
        reference: format!("pixels: {:.1} MB (307 kB/window)", mb(pixels)),
        target: format!(
            "RSS ≤ 1.2 × pixels + 50 MB = {:.1} MB; input p99 ≤ 10 ms",
            budget / 1e6
        ),
        notes,
    }
}

/// P5 alone: a key pressed at an RDP client of one airgui (airgui-remote's client, as a master
/// uses) until the focused qube's agent logs its KEYPRESS, both stamped with CLOCK_MONOTONIC.
/// The reference of the master's P5 row.
pub fn input_round_trip(presses: usize) -> Vec<f64> {
    let mut airgui = Airgui::start_with(1280, 720, 60, &["bench".to_string()], rdp_table);
    let log = airgui.dir.path().join("agent.jsonl");
    let _agent = airgui.agent(
        "bench",
        &["w=400,h=300,x=100,y=100,pattern=solid:#3465a4".to_string()],
        Some(&log),
    );
    airgui.wait("the window", |a| (a.window_count() == 1).then_some(()));
    let user = RdpUser::connect(&airgui);
    // A click gives the window focus, as a user's would.
    user.click(300, 250);
    wait_focus(&mut airgui);
    user.key_latencies(presses, &log, &mut airgui)
}

/// Waits until the airgui's first listed window has focus.
pub fn wait_focus(airgui: &mut Airgui) {
    airgui.wait("the window to take focus", |a| {
        let windows = a.msg(json!({"command": "windows"}));
        windows["windows"][0]["focused"].as_bool().filter(|f| *f)
    });
}

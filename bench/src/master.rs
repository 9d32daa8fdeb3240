//! The rows that need a master: P4 (a slave's damage to the master's composed frame, and the
//! master's frame rate) and P5 (a key at the master's RDP client to the slave's agent, against
//! the same path without the master, measured in the same run).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::latency::{damage_to_frame, percentile, DamageToFrame};
use crate::procs::{Airgui, Proc};
use crate::rdp_user::{rdp_table, zone_link_table, RdpUser};
use crate::rows::{input_round_trip, wait_focus};
use crate::Row;

/// Where the slave's window is, in the slave's desktop.
const WINDOW: (u16, u16) = (100, 100);

/// A slave with one qube window (`spec` after its position) and a master linked to it, both
/// headless, the master serving RDP too.
struct Desk {
    // Field order: the processes die before their directories go. The agent is only held.
    _agent: Proc,
    log: std::path::PathBuf,
    master: Airgui,
    slave: Airgui,
}

impl Desk {
    fn start(spec: &str) -> Desk {
        let mut slave = Airgui::start_with(1280, 720, 60, &["bench".to_string()], rdp_table);
        let log = slave.dir.path().join("agent.jsonl");
        let agent = slave.agent(
            "bench",
            &[format!("x={},y={},{spec}", WINDOW.0, WINDOW.1)],
            Some(&log),
        );
        slave.wait("the slave's window", |a| {
            (a.window_count() == 1).then_some(())
        });
        let link = zone_link_table("slave", &slave);
        let mut master = Airgui::start_with(1920, 1080, 60, &[], |dir| {
            format!("{link}\n{}", rdp_table(dir))
        });
        master.wait("the zone to be linked at its frame's size", |a| {
            let zone = a.msg(json!({"command": "zones"}))["zones"][0].clone();
            let sized = zone["size"] == json!([zone["width"], zone["height"]]);
            (zone["state"] == "connected" && sized && zone["frames"].as_u64() > Some(0))
                .then_some(())
        });
        Desk {
            _agent: agent,
            log,
            master,
            slave,
        }
    }

    /// The slave's desktop origin in the master's.
    fn zone_origin(&self) -> (u16, u16) {
        let zone = self.master.msg(json!({"command": "zones"}))["zones"][0].clone();
        (
            zone["x"].as_u64().expect("x") as u16,
            zone["y"].as_u64().expect("y") as u16,
        )
    }
}

/// P4: a 64x64 square moving at 60 Hz in a slave's window, from the agent's SHMIMAGE to the
/// master's composed frame that follows it; and the master's frames per second meanwhile.
pub fn end_to_end(time: Duration) -> Row {
    let desk = Desk::start("w=640,h=480,pattern=gradient,animate=square,fps=60");
    std::thread::sleep(Duration::from_secs(1));
    let (frames0, at0) = (desk.master.frames().count, Instant::now());
    let (x, y) = desk.zone_origin();
    let origin = (i64::from(x + WINDOW.0), i64::from(y + WINDOW.1));
    let DamageToFrame { latencies, gaps } = damage_to_frame(&desk.master, &desk.log, origin, time);
    let fps = (desk.master.frames().count - frames0) as f64 / at0.elapsed().as_secs_f64();
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    let mut notes = format!(
        "{} SHMIMAGEs of 72x68 px at 60/s in the slave; slave → master over loopback RDP (NLA, \
         the codec ironrdp-server picks); the master's frames/s while only the zone changes",
        latencies.len()
    );
    if gaps {
        notes.push_str("; some master frames were missed between reads (only 64 are kept)");
    }
    if p50 > 16.7 + 5.0 {
        notes.push_str(&format!("; **p50 above target** ({p50:.2} ms > 21.7 ms)"));
    }
    drop(desk);
    Row {
        id: "P4",
        what: "master end to end: slave agent's SHMIMAGE → master's composed frame",
        measured: format!("p50 {p50:.2} ms, p99 {p99:.2} ms; master {fps:.0} frames/s"),
        reference: "one 60 Hz frame: 16.7 ms; the slave's own frame: P2".into(),
        target: "p50 ≤ one frame + 5 ms".into(),
        notes,
    }
}

/// P5: a key at the master's RDP client, through the master and its zone link, to KEYPRESS at
/// the slave's agent; the reference is the same key sent straight to a lone airgui's RDP server.
pub fn input_through_master(presses: usize) -> Row {
    let alone = input_round_trip(presses);
    let mut desk = Desk::start("w=400,h=300,pattern=solid:#3465a4");
    let user = RdpUser::connect(&desk.master);
    let (x, y) = desk.zone_origin();
    user.click(x + WINDOW.0 + 200, y + WINDOW.1 + 150);
    wait_focus(&mut desk.slave);
    let latencies = user.key_latencies(presses, &desk.log, &mut desk.slave);
    let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
    let mut notes = format!(
        "{presses} presses of A, 20 ms apart: airgui-remote's RDP client → master (RDP server, \
         input routing to the focused zone) → zone link → slave → the demo agent's KEYPRESS"
    );
    if p99 > 10.0 {
        notes.push_str(&format!("; **p99 above target** ({p99:.2} ms > 10 ms)"));
    }
    Row {
        id: "P5",
        what: "input round trip: key at the master's RDP client → KEYPRESS at the slave's agent",
        measured: format!("p50 {p50:.2} ms, p99 {p99:.2} ms"),
        reference: format!(
            "straight to the slave: p50 {:.2} ms, p99 {:.2} ms",
            percentile(&alone, 50.0),
            percentile(&alone, 99.0)
        ),
        target: "p99 ≤ 10 ms".into(),
        notes,
    }
}

//! A user at an RDP client: airgui-remote's client (the one a master links with: pinned
//! fingerprint, NLA, fast-path input) logged in to an airgui's RDP server, clicking and typing
//! with each key press stamped in CLOCK_MONOTONIC, to compare with the agent's KEYPRESS stamps.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use airgui_remote::client::{spawn_zone_links, ZoneClients, ZoneEvent, ZoneLinkConfig};
use airgui_remote::frame::BTN_LEFT;
use airgui_remote::InputEvent;
use serde_json::json;

use crate::procs::{monotonic_us, Airgui};

pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-password";

/// evdev code of A; the agent logs it as X keycode 38.
const KEY_A: u32 = 30;
const X_KEYCODE_A: u64 = 38;

/// The `[rdp]` table of an airgui the bench logs in to, on a free loopback port, with its
/// password file and certificate in `dir`.
pub fn rdp_table(dir: &Path) -> String {
    let password = dir.join("rdp.pass");
    // Mode 0600: airgui refuses a password file others can read.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&password)
        .and_then(|mut file| writeln!(file, "{PASSWORD}"))
        .expect("write the password file");
    format!(
        "[rdp]\nlisten = \"127.0.0.1:0\"\nuser = \"{USER}\"\npassword_file = \"{}\"\n\
         cert = \"{}\"\nkey = \"{}\"\n",
        password.display(),
        dir.join("cert.pem").display(),
        dir.join("key.pem").display()
    )
}

/// The `[[zone_link]]` a master needs to link to `slave` (started with [`rdp_table`]).
pub fn zone_link_table(name: &str, slave: &Airgui) -> String {
    let rdp = slave.msg(json!({"command": "rdp"}));
    let password = slave.dir.path().join("rdp.pass");
    format!(
        "[zone]\nrole = \"master\"\n\n[[zone_link]]\nname = \"{name}\"\nlabel = \"purple\"\n\
         address = \"{}\"\nuser = \"{USER}\"\npassword_file = \"{}\"\nfingerprint = \"{}\"\n",
        rdp["listen"].as_str().expect("the RDP address"),
        password.display(),
        rdp["fingerprint"].as_str().expect("the fingerprint"),
    )
}

pub struct RdpUser {
    clients: ZoneClients,
}

impl RdpUser {
    /// Logs in to `airgui`'s RDP server (started with [`rdp_table`]). Frames are dropped as they
    /// come (that takes them); only the input path matters here.
    pub fn connect(airgui: &Airgui) -> RdpUser {
        let rdp = airgui.msg(json!({"command": "rdp"}));
        let size = (
            rdp["width"].as_u64().expect("width") as u16,
            rdp["height"].as_u64().expect("height") as u16,
        );
        let link = ZoneLinkConfig {
            name: "bench".into(),
            address: rdp["listen"].as_str().expect("the RDP address").to_owned(),
            user: USER.into(),
            password: PASSWORD.into(),
            fingerprint: rdp["fingerprint"]
                .as_str()
                .expect("the fingerprint")
                .to_owned(),
            desktop_size: size,
        };
        let (connected, on_connect) = mpsc::channel();
        let clients = spawn_zone_links(
            vec![link],
            Box::new(move |event| {
                if matches!(event, ZoneEvent::Connected { .. }) {
                    let _ = connected.send(());
                }
            }),
        )
        .expect("start the RDP client");
        on_connect
            .recv_timeout(Duration::from_secs(30))
            .expect("the RDP client logs in");
        RdpUser { clients }
    }

    fn send(&self, event: InputEvent) {
        self.clients.send_input("bench", event).expect("send input");
    }

    /// Clicks the left button at (x, y) of the desktop.
    pub fn click(&self, x: u16, y: u16) {
        self.send(InputEvent::PointerMotion { x, y });
        for pressed in [true, false] {
            self.send(InputEvent::PointerButton {
                evdev_button: BTN_LEFT,
                pressed,
            });
        }
    }

    /// Presses and releases A `presses` times, 20 ms apart; returns the latency of each press
    /// to the KEYPRESS the agent logging to `log` received (ms, sorted). The n-th press pairs
    /// with the n-th KEYPRESS of A in the log after the presses began.
    pub fn key_latencies(&self, presses: usize, log: &Path, waiter: &mut Airgui) -> Vec<f64> {
        let before = key_presses(log).len();
        let mut sent = Vec::with_capacity(presses);
        for _ in 0..presses {
            sent.push(monotonic_us());
            for pressed in [true, false] {
                self.send(InputEvent::Key {
                    evdev_code: KEY_A,
                    pressed,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let arrived = waiter.wait("every key at the agent", |_| {
            let arrived = key_presses(log);
            (arrived.len() >= before + presses).then_some(arrived)
        });
        let mut latencies: Vec<f64> = sent
            .iter()
            .zip(&arrived[before..])
            .map(|(sent, arrived)| arrived.saturating_sub(*sent) as f64 / 1000.0)
            .collect();
        latencies.sort_by(f64::total_cmp);
        latencies
    }
}

/// When the agent logged each press of A (CLOCK_MONOTONIC µs).
fn key_presses(log: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| {
            event["event"] == "keypress" && event["type"] == 2 && event["keycode"] == X_KEYCODE_A
        })
        .filter_map(|event| event["mono_us"].as_u64())
        .collect()
}

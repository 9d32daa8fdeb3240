//! One JSON line per daemon→agent event, so tests can assert on the input a qube received.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use guid_protocol::msg::{Message, Version, XConf};
use guid_protocol::Rect;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct EventLog {
    file: Option<File>,
}

impl EventLog {
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let file = path
            .map(|path| File::options().create(true).append(true).open(path))
            .transpose()?;
        Ok(EventLog { file })
    }

    pub fn connected(&mut self, version: Version, xconf: &XConf) {
        self.write(json!({
            "event": "connected",
            "version": version.to_string(),
            "width": xconf.width,
            "height": xconf.height,
        }));
    }

    pub fn message(&mut self, window: u32, message: &Message) {
        let mut value = describe(window, message);
        // Input events carry the time they were read, for the input round trip of `make bench`.
        if matches!(message, Message::Keypress(_) | Message::Button(_)) {
            if let Some(object) = value.as_object_mut() {
                object.insert("mono_us".into(), monotonic_us().into());
            }
        }
        self.write(value);
    }

    /// An animation frame's SHMIMAGE, queued for the daemon: for `make bench`, which pairs
    /// `mono_us` with the time airgui finished the first frame after it (`airgui msg frames`).
    /// Taken when the message is queued, just before the agent's next write to the socket.
    pub fn damage_sent(&mut self, window: u32, rect: Rect) {
        if self.file.is_none() {
            return;
        }
        self.write(
            json!({"event": "damage_sent", "window": window, "x": rect.x, "y": rect.y,
            "width": rect.width, "height": rect.height, "mono_us": monotonic_us()}),
        );
    }

    /// Written as one `write` so that a reader never sees half a line.
    fn write(&mut self, mut value: Value) {
        let Some(file) = &mut self.file else {
            return;
        };
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis() as u64);
        if let Some(object) = value.as_object_mut() {
            object.insert("ms".into(), millis.into());
        }
        let mut line = value.to_string();
        line.push('\n');
        if let Err(error) = file.write_all(line.as_bytes()) {
            tracing::warn!(%error, "cannot write the event log");
        }
    }
}

/// CLOCK_MONOTONIC in microseconds: the same clock in every process of the machine, so airgui's
/// frame times (`airgui msg frames`, `mono_us`) compare with the agent's.
pub fn monotonic_us() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (now.tv_sec as u64) * 1_000_000 + (now.tv_nsec as u64) / 1_000
}

/// A daemon→agent message as JSON.
fn describe(window: u32, message: &Message) -> Value {
    match message {
        Message::Keypress(k) => json!({"event": "keypress", "window": window, "type": k.kind,
            "x": k.x, "y": k.y, "state": k.state, "keycode": k.keycode}),
        Message::Button(b) => json!({"event": "button", "window": window, "type": b.kind,
            "x": b.x, "y": b.y, "state": b.state, "button": b.button}),
        Message::Motion(m) => json!({"event": "motion", "window": window, "x": m.x, "y": m.y,
            "state": m.state, "is_hint": m.is_hint}),
        Message::Crossing(c) => json!({"event": "crossing", "window": window, "type": c.kind,
            "x": c.x, "y": c.y, "state": c.state, "mode": c.mode, "detail": c.detail,
            "focus": c.focus}),
        Message::Focus(f) => json!({"event": "focus", "window": window, "type": f.kind,
            "mode": f.mode, "detail": f.detail}),
        Message::KeymapNotify(keys) => json!({"event": "keymap_notify", "keys": keys.to_vec()}),
        Message::Configure(c) => json!({"event": "configure", "window": window, "x": c.x,
            "y": c.y, "width": c.width, "height": c.height}),
        Message::Map(m) => json!({"event": "map", "window": window,
            "transient_for": m.transient_for}),
        Message::Close => json!({"event": "close", "window": window}),
        Message::Destroy => json!({"event": "destroy_ack", "window": window}),
        Message::WindowDumpAck => json!({"event": "dump_ack", "window": window}),
        Message::ClipboardReq => json!({"event": "clipboard_request", "window": window}),
        Message::ClipboardData(data) => json!({"event": "clipboard_data", "window": window,
            "len": data.len(), "text": String::from_utf8_lossy(data)}),
        Message::WindowFlags(f) => json!({"event": "window_flags", "window": window,
            "set": f.set, "unset": f.unset}),
        other => json!({"event": "other", "window": window,
            "type": other.msg_type() as u32}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_sent_is_logged_with_a_monotonic_time_only_with_a_log() {
        let path = std::env::temp_dir().join(format!("demo-agent-log-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let before = monotonic_us();
        let mut log = EventLog::open(Some(&path)).unwrap();
        log.damage_sent(3, Rect::new(1, 2, 72, 68));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["event"], "damage_sent");
        assert_eq!(
            (line["window"].as_u64(), line["width"].as_u64()),
            (Some(3), Some(72))
        );
        let at = line["mono_us"].as_u64().unwrap();
        assert!(at >= before && at <= monotonic_us());
        // Without --log nothing is written (and nothing fails).
        EventLog::open(None)
            .unwrap()
            .damage_sent(3, Rect::new(0, 0, 1, 1));
    }
}

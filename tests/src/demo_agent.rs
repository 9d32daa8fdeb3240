//! [`Agent`]: a `guid-demo-agent` for a qube, with its JSON event log, and the helpers that read
//! that log.

use std::ffi::OsString;
use std::fmt::Debug;
use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::{built_binary, wait_for, Airgui};

/// A demo agent to be started: `--window` specs, `--clipboard`, `--reconnect`.
#[derive(Debug)]
pub struct AgentBuilder<'a> {
    pub(crate) airgui: &'a Airgui,
    pub(crate) qube: String,
    pub(crate) args: Vec<OsString>,
}

impl AgentBuilder<'_> {
    /// A window such as `w=200,h=100,x=50,y=60,title=Hello,pattern=solid:#3465a4`.
    pub fn window(mut self, spec: &str) -> Self {
        self.args.extend(["--window".into(), spec.into()]);
        self
    }

    /// After a disconnect, connect again and list every window again.
    pub fn reconnect(mut self) -> Self {
        self.args.push("--reconnect".into());
        self
    }

    /// The text the qube's clipboard holds.
    pub fn clipboard(mut self, text: &str) -> Self {
        self.args.extend(["--clipboard".into(), text.into()]);
        self
    }

    pub fn start(self) -> Agent {
        let log = self.airgui.next_file(&self.qube, "jsonl");
        let stderr = File::create(log.with_extension("err")).expect("agent stderr file");
        let vchan = self.airgui.vchan.contains(&self.qube);
        let child = Command::new(built_binary("guid-demo-agent"))
            .arg(if vchan { "--listen" } else { "--connect" })
            .arg(self.airgui.qube_socket(&self.qube))
            .arg("--log")
            .arg(&log)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start guid-demo-agent");
        Agent {
            child,
            log,
            qube: self.qube,
        }
    }
}

/// A running demo agent, killed on drop.
#[derive(Debug)]
pub struct Agent {
    child: Child,
    log: PathBuf,
    pub qube: String,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Agent {
    /// Every event the agent has logged so far, one JSON object per daemon→agent message.
    pub fn events(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Each line is written whole; a line without its newline yet is left for later.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON log line"))
            .collect()
    }

    /// Waits until the log satisfies `done`; returns it.
    pub fn wait_events(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        wait_for(&format!("{what} in {}'s agent log", self.qube), || {
            let events = self.events();
            if done(&events) {
                Ok(events)
            } else {
                Err(events)
            }
        })
    }

    /// Kills the agent (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The events named `name` (such as "keypress" or "focus").
pub fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

/// The keypress events as (type, X keycode): type 2 press, 3 release.
pub fn keypresses(events: &[Value]) -> Vec<(u64, u64)> {
    named(events, "keypress")
        .into_iter()
        .map(|e| (e["type"].as_u64().unwrap(), e["keycode"].as_u64().unwrap()))
        .collect()
}

/// Where the first event matching `matches` is in the log.
pub fn position(events: &[Value], matches: impl Fn(&Value) -> bool) -> Option<usize> {
    events.iter().position(matches)
}

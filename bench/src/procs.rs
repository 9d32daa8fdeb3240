//! Real processes for the benchmarks: a headless airgui and demo agents, each killed on drop,
//! with their sockets and configs in a temporary directory; and what /proc says about them.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A binary of the workspace, next to this one (`target/release/`).
pub fn binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().expect("the bench binary's path");
    dir.pop();
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: run `make bench`, which builds it",
        path.display()
    );
    path
}

/// CLOCK_MONOTONIC in microseconds: the clock of the agent's `damage_sent` and airgui's frames.
pub fn monotonic_us() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (now.tv_sec as u64) * 1_000_000 + (now.tv_nsec as u64) / 1_000
}

/// A child process, killed (by its pid, through `Child::kill`) and reaped on drop.
#[derive(Debug)]
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    fn assert_alive(&mut self, what: &str, log: &Path) {
        if let Some(status) = self.0.try_wait().expect("try_wait") {
            panic!(
                "{what} exited ({status}); its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

/// A headless airgui with its own directory, config and IPC socket.
#[derive(Debug)]
pub struct Airgui {
    // Field order: the process dies before its directory goes.
    pub proc: Proc,
    ipc: PathBuf,
    log: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Airgui {
    /// Starts `airgui --config FILE` with these qubes (each listening on `<dir>/<name>.sock`),
    /// and waits until its IPC socket answers.
    pub fn start(width: u32, height: u32, refresh_hz: u32, qubes: &[String]) -> Airgui {
        Airgui::start_with(width, height, refresh_hz, qubes, |_| String::new())
    }

    /// The same, with more configuration written by `extra` (given the directory).
    pub fn start_with(
        width: u32,
        height: u32,
        refresh_hz: u32,
        qubes: &[String],
        extra: impl FnOnce(&Path) -> String,
    ) -> Airgui {
        let dir = tempfile::Builder::new()
            .prefix("airgui-bench-")
            .tempdir()
            .expect("a temporary directory");
        let ipc = dir.path().join("airgui.ipc");
        let mut config = format!(
            "[output]\nwidth = {width}\nheight = {height}\nrefresh_hz = {refresh_hz}\n\n\
             [ipc]\nsocket = \"{}\"\n\n",
            ipc.display()
        );
        let labels = ["blue", "red", "green", "orange", "purple", "gray", "yellow"];
        for (i, name) in qubes.iter().enumerate() {
            config.push_str(&format!(
                "[[qube]]\nname = \"{name}\"\nlabel = \"{}\"\nlisten = \"{}\"\n\n",
                labels[i % labels.len()],
                dir.path().join(format!("{name}.sock")).display()
            ));
        }
        config.push_str(&extra(dir.path()));
        let config_path = dir.path().join("airgui.toml");
        std::fs::write(&config_path, config).expect("write the config");
        let log = dir.path().join("airgui.log");
        // --test-input: the soak types and clicks through IPC (it changes no measured path).
        let child = Command::new(binary("airgui"))
            .arg("--config")
            .arg(&config_path)
            .arg("--test-input")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("airgui's log file"))
            .spawn()
            .expect("start airgui");
        let mut airgui = Airgui {
            proc: Proc(child),
            ipc,
            log,
            dir,
        };
        airgui.wait("airgui's IPC socket", |a| {
            a.try_msg(&json!({"command": "qubes"})).ok()
        });
        airgui
    }

    /// Calls `ready` every 20 ms until it gives a value; panics after 60 s or if airgui dies.
    pub fn wait<T>(&mut self, what: &str, mut ready: impl FnMut(&Airgui) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.proc.assert_alive("airgui", &self.log.clone());
            if let Some(value) = ready(self) {
                return value;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn try_msg(&self, request: &Value) -> std::io::Result<Value> {
        let mut stream = UnixStream::connect(&self.ipc)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut line = request.to_string();
        line.push('\n');
        stream.write_all(line.as_bytes())?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply)?;
        serde_json::from_str(&reply).map_err(std::io::Error::other)
    }

    /// One IPC request; its reply must say `"ok": true`.
    pub fn msg(&self, request: Value) -> Value {
        let reply = self
            .try_msg(&request)
            .unwrap_or_else(|error| panic!("IPC {request}: {error}"));
        assert_eq!(reply["ok"], true, "IPC {request} answered {reply}");
        reply
    }

    pub fn window_count(&self) -> usize {
        self.msg(json!({"command": "windows"}))["windows"]
            .as_array()
            .map_or(0, Vec::len)
    }

    /// `airgui msg frames`: the frame count and the recent frames.
    pub fn frames(&self) -> Frames {
        let reply = self.msg(json!({"command": "frames"}));
        let recent = reply["recent"]
            .as_array()
            .expect("recent frames")
            .iter()
            .map(|frame| Frame {
                number: frame["frame"].as_u64().expect("frame number"),
                mono_us: frame["mono_us"]
                    .as_u64()
                    .expect("mono_us in frames (airgui too old?)"),
                damage: Area::bounding(frame["damage"].as_array().expect("damage").iter().map(
                    |rect| {
                        let int = |key: &str| rect[key].as_i64().expect("a damage rectangle");
                        Area::new(int("x"), int("y"), int("width"), int("height"))
                    },
                )),
            })
            .collect();
        Frames {
            count: reply["count"].as_u64().expect("frame count"),
            recent,
        }
    }

    /// Starts a demo agent for `qube` with these `--window` specs, logging to `log` if given.
    pub fn agent(&self, qube: &str, windows: &[String], log: Option<&Path>) -> Proc {
        let mut args = Vec::new();
        for window in windows {
            args.extend(["--window".to_owned(), window.clone()]);
        }
        if let Some(log) = log {
            args.extend(["--log".to_owned(), log.display().to_string()]);
        }
        self.agent_with(qube, &args)
    }

    /// Starts a demo agent for `qube` with these arguments after `--connect SOCKET`.
    pub fn agent_with(&self, qube: &str, args: &[String]) -> Proc {
        let stderr = File::create(self.dir.path().join(format!("{qube}.agent.err")))
            .expect("the agent's stderr file");
        Proc(
            Command::new(binary("guid-demo-agent"))
                .arg("--connect")
                .arg(self.dir.path().join(format!("{qube}.sock")))
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("start guid-demo-agent"),
        )
    }
}

#[derive(Debug)]
pub struct Frames {
    pub count: u64,
    pub recent: Vec<Frame>,
}

#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub number: u64,
    pub mono_us: u64,
    /// The bounding box of the frame's damage, if it had any.
    pub damage: Option<Area>,
}

/// A rectangle as its edges: left, top, right, bottom (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Area(pub i64, pub i64, pub i64, pub i64);

impl Area {
    pub fn new(x: i64, y: i64, width: i64, height: i64) -> Area {
        Area(x, y, x + width, y + height)
    }

    pub fn offset(self, (dx, dy): (i64, i64)) -> Area {
        Area(self.0 + dx, self.1 + dy, self.2 + dx, self.3 + dy)
    }

    pub fn contains(&self, other: &Area) -> bool {
        self.0 <= other.0 && self.1 <= other.1 && self.2 >= other.2 && self.3 >= other.3
    }

    fn bounding(areas: impl Iterator<Item = Area>) -> Option<Area> {
        areas.reduce(|a, b| Area(a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
    }
}

/// CPU time (user + system, all threads) of a process, in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the state (3).
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks as f64 / clock_ticks() as f64
}

fn clock_ticks() -> u64 {
    // sysconf(_SC_CLK_TCK) through getconf, which every Debian has; 100 on Linux anyway.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// Context switches (voluntary + involuntary) of every thread of a process.
pub fn context_switches(pid: u32) -> u64 {
    let mut total = 0;
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("/proc/PID/task");
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            if let Some(value) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += value.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    total
}

/// A `kB` field of /proc/PID/status (VmRSS, RssAnon, RssFile, RssShmem), in bytes.
pub fn status_bytes(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

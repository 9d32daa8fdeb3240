//! [`QubeAgent`]: `airgui-agent` for a qube, and [`App`], real Wayland applications (weston-simple-
//! shm, foot) run in it.

use std::cell::RefCell;
use std::fmt::Debug;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::{built_binary, send_signal, wait_for, Airgui};

/// A running `airgui-agent` (the qube side: a Wayland compositor whose applications' windows
/// airgui shows), killed on drop with every application started in it. Its log is printed when
/// a test fails.
#[derive(Debug)]
pub struct QubeAgent {
    child: Child,
    pub qube: String,
    /// The directory of the test: the applications' `XDG_RUNTIME_DIR`.
    dir: PathBuf,
    wayland_display: PathBuf,
    log: PathBuf,
}

impl Drop for QubeAgent {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("---- {}'s airgui-agent log ----\n{}", self.qube, self.log());
        }
    }
}

impl QubeAgent {
    pub(crate) fn start(airgui: &Airgui, qube: &str) -> QubeAgent {
        let dir = airgui.dir().to_owned();
        let wayland_display = dir.join(format!("wayland-{qube}"));
        let log = dir.join(format!("{qube}-agent.log"));
        let vchan = airgui.vchan.iter().any(|q| q == qube);
        let child = Command::new(built_binary("airgui-agent"))
            .arg(if vchan { "--listen" } else { "--connect" })
            .arg(airgui.qube_socket(qube))
            .arg("--wayland-display")
            .arg(&wayland_display)
            // The GUI qube's own configuration, for its keymap.
            .arg("--config")
            .arg(dir.join("airgui.toml"))
            .env("NO_COLOR", "1")
            .env("XDG_RUNTIME_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("the agent's log file"))
            .spawn()
            .expect("start airgui-agent");
        let mut agent = QubeAgent {
            child,
            qube: qube.into(),
            dir,
            wayland_display,
            log,
        };
        wait_for(
            &format!("{qube}'s agent to open its Wayland socket"),
            || {
                if let Some(status) = agent.child.try_wait().expect("try_wait") {
                    panic!("airgui-agent exited ({status}); its log:\n{}", agent.log());
                }
                // The log line, not the socket file: the file appears at bind(), a moment
                // before listen(), and a client connecting in between is refused.
                let log = agent.log();
                if log.contains("the qube's applications may connect") {
                    Ok(())
                } else {
                    Err(log)
                }
            },
        );
        agent
    }

    /// The agent's log (its stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where the qube's applications read their configuration (`XDG_CONFIG_HOME`), such as
    /// `foot/foot.ini`.
    pub fn config_home(&self) -> PathBuf {
        self.dir.join(format!("{}-config", self.qube))
    }

    /// Writes `text` to `path` under [`QubeAgent::config_home`].
    pub fn write_config(&self, path: &str, text: &str) {
        let path = self.config_home().join(path);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("config directory");
        std::fs::write(&path, text).expect("write the application's configuration");
    }

    /// Starts `program` as a Wayland client of this agent. It must be installed
    /// (scripts/install-deps installs weston and foot); a missing one fails the test.
    pub fn app(&self, program: &str, args: &[&str]) -> App {
        App::start(
            &self.dir,
            self.wayland_display.as_os_str(),
            &self.config_home(),
            &format!("{}-{program}", self.qube),
            program,
            args,
        )
    }

    /// Starts one of this crate's Wayland test clients (`src/bin`) in the qube.
    pub fn test_client(&self, name: &str, args: &[&str]) -> App {
        App::start(
            &self.dir,
            self.wayland_display.as_os_str(),
            &self.config_home(),
            &format!("{}-{name}", self.qube),
            &built_binary(name).to_string_lossy(),
            args,
        )
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the agent (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Wayland application running in a qube, killed on drop. Its output is printed when a test
/// fails.
#[derive(Debug)]
pub struct App {
    child: RefCell<Child>,
    pub name: String,
    output: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("---- {}'s output ----\n{}", self.name, self.output());
        }
    }
}

impl App {
    /// Starts `program` as a Wayland client of the socket `wayland_display`, with its runtime
    /// directory `dir` and its configuration in `config_home`; its output goes to
    /// `<dir>/<log>.log`. A missing program fails the test (scripts/install-deps installs it).
    pub(crate) fn start(
        dir: &Path,
        wayland_display: &std::ffi::OsStr,
        config_home: &Path,
        log: &str,
        program: &str,
        args: &[&str],
    ) -> App {
        let output = dir.join(format!("{log}.log"));
        let file = File::create(&output).expect("the application's output file");
        let child = Command::new(program)
            .args(args)
            .env("WAYLAND_DISPLAY", wayland_display)
            .env("XDG_RUNTIME_DIR", dir)
            .env("XDG_CONFIG_HOME", config_home)
            .env("HOME", dir)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup the output file"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {program} ({error}); scripts/install-deps installs it")
            });
        App {
            child: RefCell::new(child),
            name: program.into(),
            output,
        }
    }

    /// Stops the application (SIGSTOP): it draws nothing more until [`App::resume`].
    pub fn pause(&self) {
        self.signal(rustix::process::Signal::STOP);
    }

    pub fn resume(&self) {
        self.signal(rustix::process::Signal::CONT);
    }

    fn signal(&self, signal: rustix::process::Signal) {
        send_signal(self.child.borrow().id(), signal);
    }

    /// What the application printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// How the application exited, if it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.borrow_mut().try_wait().expect("try_wait")
    }

    /// Panics if the application has exited.
    pub fn assert_running(&self) {
        if let Some(status) = self.exit_status() {
            panic!(
                "{} exited ({status}); its output:\n{}",
                self.name,
                self.output()
            );
        }
    }

    /// Kills the application (SIGKILL) and reaps it.
    pub fn kill(&self) {
        let mut child = self.child.borrow_mut();
        let _ = child.kill();
        let _ = child.wait();
    }
}

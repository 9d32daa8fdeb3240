//! `--backend udev`: the login session. In a QEMU virtual machine with an emulated GPU,
//! keyboard and tablet, airgui runs under seatd with a demo qube; from outside, QMP screendumps
//! of the real scanout show the qube's windows exactly as a headless airgui draws the same
//! scene (border colour, title, content), keys typed on the virtual keyboard reach the qube as
//! the right keycodes, and clicks move the focus. There EGL offers only a software device, so
//! airgui picks pixman by itself; forced to GLES (`output.renderer = "gles"`) on that device, it
//! shows the same scene. Without a seat or a GPU airgui exits with a message that says which is
//! missing and what to do, not a panic.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::{Command, Output};

use airgui_e2e::vm::{self, Vm, BOOT_PATIENCE};
use airgui_e2e::*;
use guid_protocol::Rect;
use serde_json::Value;

/// The virtual monitor.
const SCREEN: (u32, u32) = (1024, 768);
/// The demo qube's two windows.
const WORK: &str = "w=320,h=200,x=100,y=120,title=Work";
const MAIL: &str = "w=320,h=200,x=520,y=120,title=Mail";
/// X keycodes (evdev + 8) of h and i under the default "us" layout; X event types.
const KEY_H: u64 = 43;
const KEY_I: u64 = 31;
const PRESS: u64 = 2;
const RELEASE: u64 = 3;
const BUTTON_PRESS: u64 = 4;
const FOCUS_IN: u64 = 9;
const FOCUS_OUT: u64 = 10;

/// Runs `airgui --backend udev` with `env` added and returns what it did.
fn run_udev(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(workspace_binary("airgui"))
        .args(["--backend", "udev"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied())
        .output()
        .expect("cannot run airgui");
    output
}

fn assert_fails_saying(output: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "airgui started: {stderr}");
    assert!(!stderr.contains("panicked"), "airgui panicked: {stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} is not in: {stderr}");
    }
}

#[test]
fn udev_without_a_seat_says_so_and_how_to_get_one() {
    // libseat asked for seatd only, at a socket that does not exist: no seat, on any machine.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-seatd.sock");
    let output = run_udev(&[
        ("LIBSEAT_BACKEND", "seatd"),
        ("SEATD_SOCK", socket.to_str().unwrap()),
    ]);
    assert_fails_saying(
        &output,
        &["no seat", "seatd", "logind", "--backend headless"],
    );
}

#[test]
fn udev_without_a_gpu_says_so_and_what_to_do() {
    let has_gpu = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("card"))
    });
    if has_gpu {
        // Here airgui would take over the screen: this test is for machines without a GPU.
        eprintln!("skipped: this machine has a GPU (/dev/dri/card*)");
        return;
    }
    let output = run_udev(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // As root libseat's built-in seat works anywhere, and then the GPU is what is missing;
    // elsewhere the seat may be missing first, which is the other test's message.
    if stderr.contains("no seat") {
        assert_fails_saying(&output, &["no seat", "seatd"]);
    } else {
        assert_fails_saying(&output, &["no GPU", "/dev/dri", "--backend headless"]);
    }
}

/// The window with its border and title bar.
fn frame(window: &Window) -> Rect {
    let c = window.content;
    Rect::new(
        c.x - BORDER,
        c.y - BAR,
        c.width + 2 * BORDER as u32,
        c.height + (BAR + BORDER) as u32,
    )
}

/// The complete lines of a JSON-lines log.
fn events(text: &str) -> Vec<Value> {
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON log line"))
        .collect()
}

fn is(event: &Value, name: &str, kind: u64, window: u64) -> bool {
    event["event"] == name && event["type"] == kind && event["window"] == window
}

/// What the guest runs once booted (as root, in the host's root): udev, seatd, airgui on the
/// virtual GPU and a demo qube with two windows. Everything it writes lands in the share.
fn guest_script(airgui: &Path, agent: &Path) -> String {
    format!(
        r#"#!/bin/sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
W=/run/vm-work
exec >$W/guest.log 2>&1
set -x
mkdir -p -m 700 /run/user
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add
udevadm settle --timeout=60
seatd -g root >$W/seatd.log 2>&1 &
while [ ! -S /run/seatd.sock ]; do sleep 0.1; done
export XDG_RUNTIME_DIR=/run/user LIBSEAT_BACKEND=seatd RUST_LOG=info NO_COLOR=1
{airgui} --backend udev --config $W/airgui.toml >$W/airgui.log 2>&1 &
while [ ! -S /run/user/work.sock ]; do sleep 0.1; done
{agent} --connect /run/user/work.sock --log $W/agent.jsonl --window {WORK} --window {MAIL} 2>$W/agent.err &
wait
# The VM stays up (the end of init would power it off) so the test reports the logs.
echo "guest: airgui and the agent have exited"
sleep 3600
"#,
        airgui = airgui.display(),
        agent = agent.display(),
    )
}

/// The headless airgui here with the demo qube's scene (what the screen must show), and a VM
/// running airgui with `output_config` added to its `[output]` table, the same qube and scene.
struct Scenario {
    _host_agent: Agent,
    host: Airgui,
    work: Window,
    mail: Window,
    vm: Vm,
    _dir: tempfile::TempDir,
}

fn boot_scenario(qemu: &Path, output_config: &str) -> Scenario {
    let host = Setup::new()
        .output(SCREEN.0, SCREEN.1)
        .qube("work", "green")
        .start();
    let host_agent = host.agent("work").window(WORK).window(MAIL).start();
    let work = host.wait_window("work", 1);
    let mail = host.wait_window("work", 2);

    let dir = tempfile::Builder::new()
        .prefix("airgui-vm-")
        .tempdir()
        .unwrap();
    std::fs::write(
        dir.path().join("airgui.toml"),
        format!(
            "[output]\nwidth = 1024\nheight = 768\n{output_config}\n\n\
             [ipc]\nsocket = \"/run/user/airgui.ipc\"\n\n\
             [[qube]]\nname = \"work\"\nlabel = \"green\"\nlisten = \"/run/user/work.sock\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("guest.sh"),
        guest_script(
            &workspace_binary("airgui"),
            &workspace_binary("guid-demo-agent"),
        ),
    )
    .unwrap();
    let vm = Vm::boot(qemu, dir.path(), SCREEN);
    Scenario {
        _host_agent: host_agent,
        host,
        work,
        mail,
        vm,
        _dir: dir,
    }
}

impl Scenario {
    /// Waits until the VM's scanout shows both windows, frames and contents, exactly as the
    /// headless airgui draws them, and returns that screen.
    fn wait_for_the_scene(&mut self) -> Image {
        let Scenario {
            host,
            work,
            mail,
            vm,
            ..
        } = self;
        let screen = wait_until(
            "the qube's windows on the VM's scanout",
            BOOT_PATIENCE,
            || {
                let expected = host.screenshot();
                let screen = vm.screendump();
                let wrong: usize = [frame(work), frame(mail)]
                    .iter()
                    .map(|rect| screen.mismatches(*rect, |x, y| expected.pixel(x, y)).len())
                    .sum();
                if wrong == 0 {
                    Ok(screen)
                } else {
                    Err(format!(
                        "{wrong} pixels differ\nguest.log:\n{}\nairgui.log:\n{}",
                        vm.file("guest.log"),
                        vm.file("airgui.log")
                    ))
                }
            },
        );
        assert_decorated(&screen, work, "green");
        assert_decorated(&screen, mail, "green");
        screen
    }

    /// Asserts that airgui's log names `renderer` as the one it chose.
    fn assert_renderer(&self, renderer: &str) {
        let log = self.vm.file("airgui.log");
        let chosen: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(" renderer renderer="))
            .collect();
        assert_eq!(chosen.len(), 1, "one renderer chosen, in:\n{log}");
        assert!(
            chosen
                .iter()
                .all(|line| line.contains(&format!("renderer={renderer} "))),
            "{renderer} is not the renderer chosen: {chosen:?}"
        );
    }
}

#[test]
fn a_login_session_in_a_vm_shows_windows_on_the_scanout_and_takes_keys_and_clicks() {
    let qemu = vm::qemu();
    let mut scenario = boot_scenario(&qemu, "");
    scenario.wait_for_the_scene();
    // virtio-gpu without virgl: EGL has only a software device, so "auto" takes pixman.
    scenario.assert_renderer("pixman");
    let Scenario {
        work, mail, mut vm, ..
    } = scenario;

    let wait_agent = |vm: &mut Vm, what: &str, done: &dyn Fn(&[Value]) -> bool| {
        wait_until(what, BOOT_PATIENCE, || {
            let log = events(&vm.file("agent.jsonl"));
            if done(&log) {
                Ok(log)
            } else {
                Err(format!("{log:#?}\n{}", vm.what_happened()))
            }
        })
    };

    // A click on Work gives it the focus, and the click itself.
    vm.click(work.centre());
    wait_agent(&mut vm, "focus and a click on Work", &|log| {
        log.iter().any(|e| is(e, "focus", FOCUS_IN, 1))
            && log.iter().any(|e| is(e, "button", BUTTON_PRESS, 1))
    });

    // Keys typed on the virtual keyboard reach Work as X keycodes.
    vm.type_keys(&["h", "i"]);
    let log = wait_agent(&mut vm, "h and i in Work", &|log| {
        keypresses(log).len() >= 4
    });
    assert_eq!(
        keypresses(&log),
        [
            (PRESS, KEY_H),
            (RELEASE, KEY_H),
            (PRESS, KEY_I),
            (RELEASE, KEY_I)
        ],
        "{log:#?}"
    );
    assert!(named(&log, "keypress").iter().all(|e| e["window"] == 1));

    // A click on Mail moves the focus there.
    vm.click(mail.centre());
    wait_agent(&mut vm, "the focus moving from Work to Mail", &|log| {
        log.iter().any(|e| is(e, "focus", FOCUS_OUT, 1))
            && log.iter().any(|e| is(e, "focus", FOCUS_IN, 2))
    });
    vm.execute("quit", serde_json::json!({}));
}

#[test]
fn a_login_session_forced_to_gles_shows_the_same_windows_on_the_scanout() {
    let qemu = vm::qemu();
    // GLES on Mesa's software EGL device (llvmpipe), taken only because it is asked for.
    let mut scenario = boot_scenario(&qemu, "renderer = \"gles\"");
    scenario.wait_for_the_scene();
    scenario.assert_renderer("gles");
}

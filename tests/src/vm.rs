//! A QEMU virtual machine with an emulated GPU (virtio-gpu, no virgl), keyboard and tablet,
//! booting Debian's kernel into the host's own root (read-only over 9p) to run a test's
//! `guest.sh`; driven from outside through QMP: screendumps of the real scanout, keys, pointer
//! events. See /work/shared/docs/VM-TEST.md for why each option is what it is.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::{wait_until, workspace_binary, Image};

/// How long a VM may take to boot and draw, under TCG on a busy 2-core machine.
pub const BOOT_PATIENCE: Duration = Duration::from_secs(180);

/// QEMU's absolute pointer axes run from 0 to this.
const ABS_MAX: u64 = 0x7fff;

/// `qemu-system-x86_64` on PATH; a test that needs it fails without it.
pub fn qemu() -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("qemu-system-x86_64"))
                .find(|path| path.is_file())
        })
        .unwrap_or_else(|| {
            panic!("qemu-system-x86_64 is not installed: scripts/install-deps installs it")
        })
}

/// The kernel and initramfs (`tests/vm/prepare`, downloaded once next to the binaries).
pub fn prepare() -> (PathBuf, PathBuf) {
    let out = workspace_binary("airgui-vm");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("vm/prepare");
    let status = Command::new(&script)
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(status.success(), "{} failed", script.display());
    (out.join("vmlinuz"), out.join("initrd.img"))
}

#[derive(Debug)]
pub struct Vm {
    child: Child,
    qmp: BufReader<UnixStream>,
    /// The writable share: guest.sh, and whatever the guest writes (`/run/vm-work` inside).
    pub dir: PathBuf,
    screen: (u32, u32),
    shots: u32,
}

impl Vm {
    /// Boots a VM whose screen is `screen` and which runs `dir/guest.sh` (written by the
    /// caller) as root once booted.
    pub fn boot(qemu: &Path, dir: &Path, screen: (u32, u32)) -> Vm {
        let (kernel, initrd) = prepare();
        let qmp_path = dir.join("qmp.sock");
        let serial = dir.join("serial.log");
        let child = Command::new(qemu)
            .args(["-M", "q35", "-accel", "tcg,thread=multi", "-cpu", "Nehalem"])
            .args(["-smp", "2", "-m", "512", "-nodefaults", "-no-user-config"])
            .args(["-vga", "none", "-display", "none", "-no-reboot"])
            .arg("-kernel")
            .arg(&kernel)
            .arg("-initrd")
            .arg(&initrd)
            .args(["-append", "console=ttyS0 quiet panic=-1"])
            .arg("-serial")
            .arg(format!("file:{}", serial.display()))
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_path.display()))
            .arg("-device")
            .arg(format!(
                "virtio-gpu-pci,xres={},yres={}",
                screen.0, screen.1
            ))
            .args([
                "-device",
                "virtio-keyboard-pci",
                "-device",
                "virtio-tablet-pci",
            ])
            .arg("-virtfs")
            .arg("local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
            .arg("-virtfs")
            .arg(format!(
                "local,path={},mount_tag=work,security_model=none",
                dir.display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("qemu.err")).expect("qemu.err"))
            .spawn()
            .expect("start qemu-system-x86_64");
        let stream = wait_until("QEMU's QMP socket", Duration::from_secs(30), || {
            UnixStream::connect(&qmp_path).map_err(|e| e.to_string())
        });
        let mut vm = Vm {
            child,
            qmp: BufReader::new(stream),
            dir: dir.to_owned(),
            screen,
            shots: 0,
        };
        let mut greeting = String::new();
        vm.qmp.read_line(&mut greeting).expect("QMP greeting");
        vm.execute("qmp_capabilities", json!({}));
        vm
    }

    /// Runs a QMP command and returns its result; asynchronous events on the way are skipped.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Value {
        let request = json!({"execute": command, "arguments": arguments});
        let stream = self.qmp.get_mut();
        if let Err(error) = writeln!(stream, "{request}") {
            panic!("QMP {command}: {error}; {}", self.what_happened());
        }
        loop {
            let mut line = String::new();
            let read = self.qmp.read_line(&mut line).unwrap_or(0);
            if read == 0 {
                panic!("QEMU closed QMP during {command}; {}", self.what_happened());
            }
            let reply: Value = serde_json::from_str(&line).expect("QMP speaks JSON");
            if let Some(error) = reply.get("error") {
                panic!("QMP {command}: {error}");
            }
            if let Some(result) = reply.get("return") {
                return result.clone();
            }
        }
    }

    /// What the virtual monitor shows now: the GPU's real scanout.
    pub fn screendump(&mut self) -> Image {
        self.shots += 1;
        let path = self.dir.join(format!("screen-{}.ppm", self.shots));
        self.execute("screendump", json!({"filename": path}));
        let image = Image::read_ppm(&path);
        // Only the last is worth keeping, to look at after a failure.
        let _ = std::fs::rename(&path, self.dir.join("screen.ppm"));
        image
    }

    /// Presses and releases keys, one after another (QEMU qcodes such as "h").
    pub fn type_keys(&mut self, qcodes: &[&str]) {
        for qcode in qcodes {
            self.execute(
                "send-key",
                json!({"keys": [{"type": "qcode", "data": qcode}]}),
            );
        }
    }

    /// Moves the tablet to screen pixel (x, y) and clicks the left button there.
    pub fn click(&mut self, (x, y): (f64, f64)) {
        let axis = |value: f64, size: u32| {
            (value * ABS_MAX as f64 / f64::from(size.saturating_sub(1))).round() as u64
        };
        self.execute(
            "input-send-event",
            json!({"events": [
                {"type": "abs", "data": {"axis": "x", "value": axis(x, self.screen.0)}},
                {"type": "abs", "data": {"axis": "y", "value": axis(y, self.screen.1)}},
            ]}),
        );
        for down in [true, false] {
            self.execute(
                "input-send-event",
                json!({"events": [{"type": "btn", "data": {"down": down, "button": "left"}}]}),
            );
        }
    }

    /// Whether QEMU still runs, and the logs of the guest, for a failure's message.
    pub fn what_happened(&mut self) -> String {
        let status = self.child.try_wait();
        let logs = [
            "qemu.err",
            "serial.log",
            "guest.log",
            "seatd.log",
            "airgui.log",
            "agent.err",
        ]
        .map(|name| format!("---- {name} ----\n{}", self.file(name)))
        .join("\n");
        format!("QEMU: {status:?}\n{logs}")
    }

    /// A file the guest wrote into the share, or "" while it has not.
    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

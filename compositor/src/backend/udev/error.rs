//! Why a login session could not start, worded for the person who started it: what is missing
//! and what to do about it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum UdevError {
    #[error(
        "no seat: --backend udev needs a seat from seatd or systemd-logind to open the screen and \
         input devices, and neither gave one ({0}). Start airgui from a login on a text console \
         (systemd-logind), or run seatd (`seatd -g video` as root, your user in group video) or \
         `seatd-launch airgui --backend udev`; without a screen, use --backend headless"
    )]
    NoSeat(String),
    #[error(
        "no GPU: udev lists no display device (/dev/dri/card*) on seat {seat}. Load the kernel \
         driver of the graphics card (in a virtual machine, give it a virtio-gpu or bochs \
         display), or use --backend headless"
    )]
    NoGpu { seat: String },
    #[error("cannot list devices through udev ({0}): is systemd-udevd running?")]
    Udev(std::io::Error),
    #[error("cannot open the GPU {path}: {reason}")]
    OpenGpu { path: PathBuf, reason: String },
    #[error("cannot read input devices with libinput on seat {0}")]
    Input(String),
    #[error(
        "output.renderer = \"gles\", but GLES cannot run on the GPU {path}: {reason}. Install \
         Mesa's GBM and EGL (libgbm1, libegl-mesa0), or set output.renderer to \"auto\" or \
         \"pixman\""
    )]
    NoGles { path: PathBuf, reason: String },
    #[error("cannot watch {what}: {reason}")]
    Watch { what: &'static str, reason: String },
}

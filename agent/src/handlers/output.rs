//! wl_output and xdg-output: one output, of the size the daemon announced.

use smithay::delegate_output;
use smithay::wayland::output::OutputHandler;

use crate::Agent;

impl OutputHandler for Agent {}

delegate_output!(Agent);

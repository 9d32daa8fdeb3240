//! Listening sockets on the event loop (qubes', the GUI qube's own Wayland clients', IPC) that
//! survive failing to accept. When the process is out of descriptors, accept fails with the
//! connection still waiting: a level-triggered source would wake again at once and spin, and
//! passing the error up would end the event loop. The source pauses instead, then tries again.

use std::cell::Cell;
use std::io;
use std::os::fd::AsFd;
use std::rc::Rc;
use std::time::Duration;

use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, LoopHandle, Mode, PostAction, RegistrationToken};
use tracing::{error, info, warn};

/// How long a listener rests after accept failed.
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Watches `listener`; `accept_all` takes every connection waiting. When it fails, the listener
/// is left alone for [`ACCEPT_PAUSE`] (connections wait in the socket's backlog meanwhile).
pub fn watch<D: 'static, L: AsFd + 'static>(
    handle: &LoopHandle<'static, D>,
    what: &'static str,
    listener: L,
    mut accept_all: impl FnMut(&mut D, &L) -> io::Result<()> + 'static,
) -> anyhow::Result<()> {
    let own_token: Rc<Cell<Option<RegistrationToken>>> = Rc::default();
    let token_for_pause = Rc::clone(&own_token);
    let loop_handle = handle.clone();
    // Said once per run of failures, not at every pause.
    let mut failing = false;
    let token = handle
        .insert_source(
            Generic::new(listener, Interest::READ, Mode::Level),
            move |_, listener, data| match accept_all(data, listener) {
                Ok(()) => {
                    if std::mem::take(&mut failing) {
                        info!("accepting on the {what} socket again");
                    }
                    Ok(PostAction::Continue)
                }
                Err(failure) => {
                    if !std::mem::replace(&mut failing, true) {
                        warn!(
                            %failure,
                            "cannot accept on the {what} socket; new connections wait until \
                             it works again (out of descriptors? see `ulimit -n`)"
                        );
                    }
                    match token_for_pause.get() {
                        Some(token) => {
                            pause(&loop_handle, what, token);
                            Ok(PostAction::Disable)
                        }
                        None => Ok(PostAction::Continue),
                    }
                }
            },
        )
        .map_err(|failure| anyhow::anyhow!("cannot watch the {what} socket: {failure}"))?;
    own_token.set(Some(token));
    Ok(())
}

/// Enables the listener `token` again after [`ACCEPT_PAUSE`].
fn pause<D: 'static>(
    handle: &LoopHandle<'static, D>,
    what: &'static str,
    token: RegistrationToken,
) {
    let resume = handle.clone();
    let inserted = handle.insert_source(Timer::from_duration(ACCEPT_PAUSE), move |_, _, _| {
        if let Err(failure) = resume.enable(&token) {
            error!(%failure, "the {what} socket stays shut: cannot watch it again");
        }
        TimeoutAction::Drop
    });
    if let Err(failure) = inserted {
        error!(%failure, "the {what} socket stays shut: cannot schedule watching it again");
    }
}

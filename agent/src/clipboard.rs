//! The GUI qube's clipboard shortcuts meet the qube's Wayland selection: CLIPBOARD_REQ reads the
//! qube's clipboard as UTF-8 text and answers with CLIPBOARD_DATA; CLIPBOARD_DATA from the
//! daemon becomes the qube's clipboard, which the agent serves to whoever pastes.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use guid_protocol::msg::Message;
use rustix::pipe::PipeFlags;
use smithay::reexports::calloop::generic::Generic;
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{Interest, Mode, PostAction, RegistrationToken};
use smithay::wayland::selection::data_device::{
    request_data_device_client_selection, set_data_device_selection, SelectionRequestError,
};
use tracing::{debug, info};

use super::Agent;

/// The text types the agent asks a client for, best first.
const TEXT_MIME_TYPES: [&str; 5] = [
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
    "TEXT",
    "STRING",
];
/// Bytes read at once from a client's pipe.
const READ_CHUNK: usize = 64 * 1024;
/// How long a client may take to hand over its clipboard, or to read ours.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(5);

/// The transfers under way: one read (for the daemon) at a time.
#[derive(Debug, Default)]
pub struct ClipboardState {
    reading: Option<Reading>,
}

/// The qube's clipboard on its way to the daemon.
#[derive(Debug)]
struct Reading {
    window: u32,
    data: Vec<u8>,
    source: RegistrationToken,
    timeout: RegistrationToken,
}

/// The data the agent owns as the qube's clipboard, served to clients that paste.
pub type ClipboardData = Arc<Vec<u8>>;

/// The daemon asks for the qube's clipboard (the user pressed Ctrl+Shift+C on `window`).
pub fn requested(agent: &mut Agent, window: u32) {
    if let Some(reading) = agent.clipboard.reading.take() {
        // A newer request replaces an unanswered one.
        agent.handle.remove(reading.source);
        agent.handle.remove(reading.timeout);
    }
    let (read, write) = match rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK) {
        Ok(pipe) => pipe,
        Err(error) => {
            tracing::warn!(%error, "cannot make a pipe for the clipboard");
            return answer(agent, window, Vec::new());
        }
    };
    if let Err(error) = ask_client(agent, write) {
        // Nothing to copy is an empty clipboard, as the Qubes agent answers.
        debug!("the qube's clipboard holds no text: {error}");
        return answer(agent, window, Vec::new());
    }
    let source = agent.handle.insert_source(
        Generic::new(read, Interest::READ, Mode::Level),
        |_, pipe, agent| Ok(read_some(agent, pipe)),
    );
    let timeout =
        agent
            .handle
            .insert_source(Timer::from_duration(TRANSFER_TIMEOUT), |_, _, agent| {
                if let Some(reading) = agent.clipboard.reading.take() {
                    tracing::warn!("the client holding the clipboard did not hand it over in time");
                    agent.handle.remove(reading.source);
                    answer(agent, reading.window, Vec::new());
                }
                TimeoutAction::Drop
            });
    match (source, timeout) {
        (Ok(source), Ok(timeout)) => {
            agent.clipboard.reading = Some(Reading {
                window,
                data: Vec::new(),
                source,
                timeout,
            })
        }
        (source, timeout) => {
            for token in [source.ok(), timeout.ok()].into_iter().flatten() {
                agent.handle.remove(token);
            }
            answer(agent, window, Vec::new());
        }
    }
}

/// Asks the client holding the selection to write it as text into `pipe`.
fn ask_client(agent: &Agent, pipe: OwnedFd) -> Result<(), SelectionRequestError> {
    let mut last = SelectionRequestError::NoSelection;
    let mut pipe = Some(pipe);
    for mime_type in TEXT_MIME_TYPES {
        let Some(fd) = pipe.take() else {
            break;
        };
        // The descriptor is consumed only when the request goes out; keep a copy to retry with.
        let spare = fd.try_clone().ok();
        match request_data_device_client_selection(&agent.seat, mime_type.into(), fd) {
            Ok(()) => return Ok(()),
            Err(SelectionRequestError::InvalidMimetype) => {
                last = SelectionRequestError::InvalidMimetype;
                pipe = spare;
            }
            Err(error) => return Err(error),
        }
    }
    Err(last)
}

/// Reads what the client wrote; at the end of the data, sends it to the daemon.
fn read_some(agent: &mut Agent, pipe: &mut impl std::os::fd::AsFd) -> PostAction {
    let mut chunk = vec![0u8; READ_CHUNK];
    // A daemon older than 1.8 takes 65,000 bytes at most.
    let version = agent.link.version;
    let max = version.max_clipboard();
    loop {
        match rustix::io::read(&*pipe, &mut chunk) {
            Ok(0) => return finish(agent),
            Ok(n) => {
                let Some(reading) = agent.clipboard.reading.as_mut() else {
                    return PostAction::Remove;
                };
                reading
                    .data
                    .extend_from_slice(chunk.get(..n).unwrap_or_default());
                // The daemon takes at most this much; more is refused whole, never cut.
                if reading.data.len() > max {
                    info!(
                        max,
                        %version,
                        "the qube's clipboard is larger than the GUI qube's protocol takes; not sent"
                    );
                    reading.data.clear();
                    return finish(agent);
                }
            }
            Err(rustix::io::Errno::AGAIN) => return PostAction::Continue,
            Err(rustix::io::Errno::INTR) => {}
            Err(error) => {
                tracing::warn!(%error, "reading the qube's clipboard failed");
                if let Some(reading) = agent.clipboard.reading.as_mut() {
                    reading.data.clear();
                }
                return finish(agent);
            }
        }
    }
}

fn finish(agent: &mut Agent) -> PostAction {
    if let Some(reading) = agent.clipboard.reading.take() {
        agent.handle.remove(reading.timeout);
        answer(agent, reading.window, reading.data);
    }
    PostAction::Remove
}

fn answer(agent: &mut Agent, window: u32, data: Vec<u8>) {
    debug!(bytes = data.len(), "clipboard to the GUI qube");
    agent.link.send(window, &Message::ClipboardData(data));
}

/// The user pasted into one of our windows (Ctrl+Shift+V): the data becomes the qube's
/// clipboard, offered as text.
pub fn received(agent: &mut Agent, data: Vec<u8>) {
    debug!(bytes = data.len(), "clipboard from the GUI qube");
    let mime_types = TEXT_MIME_TYPES.iter().map(|m| (*m).to_owned()).collect();
    set_data_device_selection(&agent.display, &agent.seat, mime_types, Arc::new(data));
}

/// A client reads the clipboard the agent owns: write it into the client's pipe without ever
/// blocking on a client that does not read.
pub fn serve(agent: &mut Agent, pipe: OwnedFd, data: ClipboardData) {
    if let Err(error) = rustix::fs::fcntl_setfl(&pipe, rustix::fs::OFlags::NONBLOCK) {
        tracing::warn!(%error, "cannot serve the clipboard");
        return;
    }
    let mut written = 0;
    let source = Generic::new(pipe, Interest::WRITE, Mode::Level);
    let token = agent.handle.insert_source(source, move |_, pipe, _| {
        loop {
            let rest = data.get(written..).unwrap_or_default();
            if rest.is_empty() {
                return Ok(PostAction::Remove);
            }
            match rustix::io::write(&*pipe, rest) {
                Ok(n) => written += n,
                Err(rustix::io::Errno::AGAIN) => return Ok(PostAction::Continue),
                Err(rustix::io::Errno::INTR) => {}
                // The reader went away: nothing more to do.
                Err(_) => return Ok(PostAction::Remove),
            }
        }
    });
    match token {
        // A reader that never reads is dropped after a while (its pipe closes with the source).
        Ok(token) => {
            let _ = agent.handle.insert_source(
                Timer::from_duration(TRANSFER_TIMEOUT),
                move |_, _, agent| {
                    agent.handle.remove(token);
                    TimeoutAction::Drop
                },
            );
        }
        Err(error) => tracing::warn!(%error, "cannot serve the clipboard"),
    }
}

//! `airgui msg`: sends one request to a running airgui and prints the reply.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::Request;
use crate::config::Config;

#[derive(Debug, Args)]
pub struct MsgArgs {
    /// The IPC socket (default: from the configuration).
    #[arg(long)]
    socket: Option<PathBuf>,
    /// The configuration whose IPC socket to use.
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: MsgCommand,
}

#[derive(Debug, Subcommand)]
enum MsgCommand {
    /// List the qubes.
    Qubes,
    /// List the windows, topmost first.
    Windows,
    /// Show the Wayland socket of the GUI qube's own programs.
    Native,
    /// Show what the clipboard holds: its source qube and size (never the data).
    Clipboard,
    /// Show how many frames were drawn and what the last ones redrew.
    Frames,
    /// Show the RDP listener: address, TLS certificate fingerprint, connected client.
    Rdp,
    /// List a master's zones: link state (and why a link fails), size, frame.
    Zones,
    /// Write the composed output to a PNG file.
    Screenshot { file: PathBuf },
    /// Press and release a key or chord, such as Return or ctrl+shift+c (needs --test-input).
    Key { name: String },
    /// Type text (needs --test-input).
    Type { text: String },
    /// Move the pointer (needs --test-input).
    PointerMove { x: f64, y: f64 },
    /// Click at a position; button 1 left (default), 2 middle, 3 right (needs --test-input).
    Click { x: f64, y: f64, button: Option<u32> },
    /// Drag with the left button from one position to another (needs --test-input).
    Drag { x1: f64, y1: f64, x2: f64, y2: f64 },
}

pub fn run(args: MsgArgs) -> anyhow::Result<()> {
    let socket = match args.socket {
        Some(socket) => socket,
        None => Config::load(args.config.as_deref())?.ipc_socket(),
    };
    let request = match args.command {
        MsgCommand::Qubes => Request::Qubes,
        MsgCommand::Windows => Request::Windows,
        MsgCommand::Native => Request::Native,
        MsgCommand::Clipboard => Request::Clipboard,
        MsgCommand::Frames => Request::Frames,
        MsgCommand::Rdp => Request::Rdp,
        MsgCommand::Zones => Request::Zones,
        MsgCommand::Screenshot { file } => Request::Screenshot {
            path: std::path::absolute(&file)
                .with_context(|| format!("bad path {}", file.display()))?,
        },
        MsgCommand::Key { name } => Request::Key { name },
        MsgCommand::Type { text } => Request::Type { text },
        MsgCommand::PointerMove { x, y } => Request::PointerMove { x, y },
        MsgCommand::Click { x, y, button } => Request::Click { x, y, button },
        MsgCommand::Drag { x1, y1, x2, y2 } => Request::Drag {
            from: (x1, y1),
            to: (x2, y2),
        },
    };
    let reply = send(&socket, &request)?;
    // A reader that stops early (`| head`) is not an error of ours.
    let printed = writeln!(
        std::io::stdout(),
        "{}",
        serde_json::to_string_pretty(&reply)?
    );
    match printed {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(error).context("cannot print the reply");
        }
        _ => {}
    }
    if reply.get("ok") != Some(&serde_json::Value::Bool(true)) {
        anyhow::bail!(
            "{}",
            reply
                .get("error")
                .and_then(|e| e.as_str())
                .unwrap_or("the request failed")
        );
    }
    Ok(())
}

/// How long to wait for airgui's answer.
const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends one request and reads its reply.
pub fn send(socket: &std::path::Path, request: &Request) -> anyhow::Result<serde_json::Value> {
    let mut stream = UnixStream::connect(socket).with_context(|| {
        format!(
            "cannot reach airgui at {} (is it running?)",
            socket.display()
        )
    })?;
    stream.set_read_timeout(Some(REPLY_TIMEOUT))?;
    let mut line = serde_json::to_string(request)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply)?;
    serde_json::from_str(&reply).with_context(|| format!("airgui answered {reply:?}"))
}

//! The IPC socket answers bad requests with an error and goes on.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::{Duration, Instant};

use airgui_e2e::*;
use serde_json::json;

/// airgui's bound on IPC clients connected at once (`ipc::server::MAX_CLIENTS`).
const MAX_IPC_CLIENTS: usize = 32;

#[test]
fn bad_requests_get_errors_and_airgui_goes_on() {
    let airgui = Setup::new().qube("work", "red").start();
    for request in [
        json!({"command": "no-such-command"}),
        json!({"command": "key", "name": "ctrl+nosuchkey"}),
        json!({"command": "key", "name": "hyper+a"}),
        json!({"command": "type", "text": "\u{1F600}"}),
        json!({"command": "click", "x": 1.0, "y": 1.0, "button": 9}),
        json!({"command": "screenshot", "path": "/nonexistent/dir/shot.png"}),
        json!({"no": "command"}),
        json!("just a string"),
    ] {
        let reply = airgui.try_msg(&request).expect("a reply");
        assert_eq!(reply["ok"], false, "{request} answered {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{request}: {reply}"
        );
    }
    airgui.assert_alive();
    let qubes = airgui.msg(json!({"command": "qubes"}));
    assert_eq!(qubes["qubes"][0]["name"], "work");
    assert_eq!(qubes["qubes"][0]["label"], "red");
    assert_eq!(qubes["qubes"][0]["colour"], "#cc0000");
    assert_eq!(qubes["qubes"][0]["connected"], false);
}

/// A client asks for screenshot after screenshot and never reads a reply. airgui answers it
/// while its socket takes the replies, then queues them without waiting for it: meanwhile
/// another client is answered at once and an animation goes on being drawn. Once its replies
/// have waited for 5 s, the client is dropped, with the reason in the log.
#[test]
fn a_client_that_never_reads_its_screenshots_stalls_nothing_and_is_dropped() {
    let airgui = Setup::new().output(320, 240).qube("work", "red").start();
    let _animated = airgui
        .agent("work")
        .window("w=200,h=150,x=40,y=40,title=Anim,pattern=gradient,animate=square,fps=30")
        .start();
    airgui.wait_window("work", 1);

    let mut hog = UnixStream::connect(airgui.ipc_socket()).expect("connect");
    let request = format!(
        "{}\n",
        json!({"command": "screenshot", "path": "/dev/null"})
    );
    let asking = std::thread::spawn(move || {
        let mut sent = 0u64;
        loop {
            match hog.write_all(request.as_bytes()) {
                Ok(()) => sent += 1,
                Err(error) => return (sent, error),
            }
        }
    });

    let first = airgui.frames().count;
    let mut slowest = Duration::ZERO;
    let mut last = first;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !asking.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the client that does not read was never dropped"
        );
        let asked = Instant::now();
        last = airgui.frames().count;
        slowest = slowest.max(asked.elapsed());
    }
    let (sent, error) = asking.join().unwrap();
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ),
        "after {sent} requests: {error}"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "another client waited {slowest:?} for an answer"
    );
    // 30 frames a second for at least the 5 s the replies waited.
    assert!(
        last - first >= 30,
        "only {} frames drawn meanwhile",
        last - first
    );
    assert!(
        airgui
            .log()
            .contains("IPC client dropped: it has not read its replies"),
        "{}",
        airgui.log()
    );
    airgui.assert_alive();
    airgui.screenshot();
}

/// `native.screencopy = false` keeps the output from the GUI qube's own programs, and IPC
/// clients are among them: `airgui msg screenshot` is refused and says why.
#[test]
fn screenshots_are_refused_when_screencopy_is_off() {
    let airgui = Setup::new().toml("[native]\nscreencopy = false\n").start();
    let path = airgui.dir().join("refused.png");
    let reply = airgui
        .try_msg(&json!({"command": "screenshot", "path": path}))
        .expect("a reply");
    assert_eq!(reply["ok"], false, "{reply}");
    let error = reply["error"].as_str().unwrap_or_default();
    assert!(error.contains("native.screencopy = false"), "{error}");
    assert!(!path.exists());

    let msg = Command::new(workspace_binary("airgui"))
        .args(["msg", "--socket"])
        .arg(airgui.ipc_socket())
        .arg("screenshot")
        .arg(&path)
        .output()
        .expect("run airgui msg");
    assert!(!msg.status.success());
    let stderr = String::from_utf8_lossy(&msg.stderr);
    assert!(stderr.contains("native.screencopy = false"), "{stderr}");
    assert!(!path.exists());
    airgui.assert_alive();
}

/// Past the bound on IPC clients, a new one is told so and closed; the ones connected keep
/// working, and a place freed is taken again.
#[test]
fn ipc_clients_past_the_bound_are_refused() {
    let airgui = Setup::new().start();
    let idle: Vec<UnixStream> = (0..MAX_IPC_CLIENTS)
        .map(|_| UnixStream::connect(airgui.ipc_socket()).expect("connect"))
        .collect();
    // Each idle client is accepted before the next connection is looked at.
    let refused = wait_for("a client past the bound to be refused", || {
        let reply = airgui
            .try_msg(&json!({"command": "qubes"}))
            .map_err(|e| e.to_string())?;
        if reply["ok"] == false {
            Ok(reply)
        } else {
            Err(reply.to_string())
        }
    });
    assert!(
        refused["error"]
            .as_str()
            .unwrap_or_default()
            .contains("too many IPC clients"),
        "{refused}"
    );
    let mut first = idle.into_iter().next().unwrap();
    first.write_all(b"{\"command\":\"qubes\"}\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&first).read_line(&mut reply).unwrap();
    assert!(reply.contains("\"ok\":true"), "{reply}");
    drop(first);
    wait_for("the freed place to be taken", || {
        let reply = airgui
            .try_msg(&json!({"command": "qubes"}))
            .map_err(|e| e.to_string())?;
        if reply["ok"] == true {
            Ok(())
        } else {
            Err(reply.to_string())
        }
    });
    assert!(airgui
        .log()
        .contains("IPC clients are connected; refusing more"));
}

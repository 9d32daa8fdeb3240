//! The IPC socket answers bad requests with an error and goes on.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use airgui_e2e::*;
use serde_json::json;

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

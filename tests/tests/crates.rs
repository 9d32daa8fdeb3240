//! The workspace's crate graph: airgui-damage (the one rectangle type) under everything;
//! guid-protocol, airgui-remote and airgui-wayland-common above it; the GUI qube (airgui) and
//! the qube side (airgui-agent) above them and apart; the tests and benchmarks on top. What
//! runs inside a qube links nothing of the GUI qube: no backend, RDP, zone or rendering
//! library.

// Reads cargo's own output about this workspace, never peer data.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each workspace crate and the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("airgui-damage", &[]),
    ("guid-protocol", &["airgui-damage"]),
    ("airgui-remote", &["airgui-damage"]),
    ("airgui-wayland-common", &[]),
    (
        "airgui",
        &[
            "airgui-damage",
            "guid-protocol",
            "airgui-remote",
            "airgui-wayland-common",
        ],
    ),
    (
        "airgui-agent",
        &["airgui-damage", "guid-protocol", "airgui-wayland-common"],
    ),
    ("guid-demo-agent", &["guid-protocol"]),
    ("airgui-e2e", &["guid-protocol", "guid-demo-agent"]),
    ("airgui-bench", &["guid-protocol", "airgui-remote"]),
];

/// Crates of the GUI qube that must never be in airgui-agent's build (and every `ironrdp-*`).
const NOT_IN_A_QUBE: &[&str] = &[
    "airgui",
    "airgui-remote",
    "drm",
    "gbm",
    "input",
    "libseat",
    "udev",
    "winit",
    "fontdue",
    "pixman",
];

fn cargo(args: &[&str]) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("cargo prints UTF-8")
}

/// Each workspace package and the workspace packages it depends on (any kind of dependency).
fn workspace_edges() -> BTreeMap<String, BTreeSet<String>> {
    let metadata: serde_json::Value = serde_json::from_str(&cargo(&[
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
        "--offline",
    ]))
    .expect("cargo metadata is JSON");
    let packages = metadata["packages"].as_array().expect("a package list");
    let names: BTreeSet<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .collect();
    packages
        .iter()
        .map(|package| {
            let depends_on = package["dependencies"]
                .as_array()
                .expect("a dependency list")
                .iter()
                .filter_map(|dependency| dependency["name"].as_str())
                .filter(|name| names.contains(name))
                .map(str::to_owned)
                .collect();
            (
                package["name"].as_str().expect("a name").to_owned(),
                depends_on,
            )
        })
        .collect()
}

#[test]
fn workspace_crates_depend_only_downwards() {
    let edges = workspace_edges();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let listed: BTreeSet<&str> = allowed.keys().copied().collect();
    let found: BTreeSet<&str> = edges.keys().map(String::as_str).collect();
    assert_eq!(
        found, listed,
        "every workspace crate has its place in ALLOWED"
    );
    for (package, depends_on) in &edges {
        for dependency in depends_on {
            assert!(
                allowed[package.as_str()].contains(&dependency.as_str()),
                "{package} depends on {dependency}, which is not below it"
            );
        }
    }
}

#[test]
fn nothing_of_the_gui_qube_is_built_into_the_agent() {
    // `-p` resolves features for the agent alone, as `cargo build -p airgui-agent` builds it.
    let tree = cargo(&[
        "tree",
        "--offline",
        "-p",
        "airgui-agent",
        "-e",
        "normal,build",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    let crates: BTreeSet<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(crates.contains("smithay"), "the tree was read: {crates:?}");
    let linked: Vec<&str> = crates
        .iter()
        .copied()
        .filter(|name| NOT_IN_A_QUBE.contains(name) || name.starts_with("ironrdp"))
        .collect();
    assert!(
        linked.is_empty(),
        "airgui-agent's build has {linked:?}: the qube side must not link the GUI qube's parts"
    );
}

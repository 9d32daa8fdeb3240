//! The compositor's modules import only downwards, and never in a circle.
//!
//! Every module of `src/` belongs to a layer (`LAYERS`, the same list as docs/ARCHITECTURE.md's
//! layout section); a module may import its own layer and the ones below. An import is any path
//! through `crate::`, `self::`, `super::` or, in a `mod.rs` or `lib.rs`, one of the module's own
//! children.
//! Calls of methods on `State` that other modules define need no import and are not seen here.

// Reads this crate's own sources, never peer data: a failed read or a slice past the end is a
// bug in this test.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// From the bottom up; a module is in the layer of the longest prefix that names it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "domain: pure logic that knows nothing of Smithay's State",
        &[
            "clipboard",
            "config",
            "input::codes",
            "input::keymap",
            "input::shortcuts",
            "ipc",
            "ipc::outbox",
            "qubes::listing",
            "render::cursor",
            "render::text",
            "shell",
            "zones::pointer",
        ],
    ),
    (
        "resources and adapters: what the state owns, with Smithay types, never the state",
        &[
            "backend",
            "input::tracking",
            "ipc::client",
            "ipc::connection",
            "qubes",
            "qubes::window",
            "render",
            "shell_key",
            "wayland::copy_queue",
            "wayland::native",
            "wayland::native_windows",
            "zones::zone",
        ],
    ),
    ("state: `State`, which owns all of the above", &["state"]),
    (
        "behaviour: what happens to the state on each event",
        &[
            "frame",
            "geometry",
            "host",
            "input",
            "ipc::commands",
            "ipc::server",
            "qubes::events",
            "qubes::flags",
            "qubes::link",
            "rdp",
            "render::output",
            "wayland",
            "zones",
        ],
    ),
    ("the binary's entry point", &[""]),
];

/// Module paths (`a::b`, `""` for the crate root) and their source, without comments or strings.
fn modules(src: &Path) -> BTreeMap<String, (String, bool)> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading src/") {
            let path = entry.expect("reading src/").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(relative) = path.strip_prefix(src) else {
                continue;
            };
            let relative = relative.to_string_lossy();
            let Some(stem) = relative.strip_suffix(".rs") else {
                continue;
            };
            if stem == "main" {
                continue;
            }
            let mut parts: Vec<&str> = stem.split('/').collect();
            let is_dir_module = matches!(parts.last(), Some(&"mod") | Some(&"lib"));
            if is_dir_module {
                parts.pop();
            }
            let source = std::fs::read_to_string(&path).expect("reading a module");
            found.insert(parts.join("::"), (strip(&source), is_dir_module));
        }
    }
    found
}

/// The source without comments and string literals, where a path could appear by accident.
fn strip(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            ('"', _) => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    inline_modules_as_self(&out)
}

/// In an inline `mod name { ... }` (a file's tests), `super::` is the file's own module: written
/// as `self::` so that it reads as such.
fn inline_modules_as_self(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("mod ") {
        let (head, tail) = rest.split_at(at);
        out.push_str(head);
        let name_end = tail[4..]
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(tail.len(), |n| n + 4);
        let opens_block = tail[name_end..].trim_start().starts_with('{');
        let starts_word = !head.ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if !(opens_block && starts_word) {
            out.push_str(&tail[..name_end]);
            rest = &tail[name_end..];
            continue;
        }
        let open = name_end + tail[name_end..].find('{').unwrap_or(0);
        let mut depth = 0usize;
        let mut close = tail.len();
        for (index, c) in tail[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = open + index + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push_str(&tail[..close].replace("super::", "self::"));
        rest = &tail[close..];
    }
    out.push_str(rest);
    out
}

/// Every path in `source` that starts with `prefix` (`crate::`, `super::`, `child::`, or `use
/// child`), as written after the prefix up to where a path ends; brace groups of `use` are
/// expanded.
fn paths_after(source: &str, prefix: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in source.match_indices(prefix) {
        let before = source[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let after = &source[at + prefix.len()..];
        let end = use_tree_end(after);
        expand(after[..end].trim(), String::new(), &mut paths);
    }
    paths
}

/// Where a path or `use` tree starting at `text` ends: at the first character outside braces
/// that cannot be part of it.
fn use_tree_end(text: &str) -> usize {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return index,
            '}' => depth -= 1,
            _ if depth > 0 => {}
            c if c.is_alphanumeric() || c == '_' || c == ':' => {}
            _ => return index,
        }
    }
    text.len()
}

fn expand(tree: &str, prefix: String, out: &mut Vec<String>) {
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        out.push(format!("{prefix}{path}"));
        return;
    };
    let head = format!("{prefix}{}", &tree[..open]);
    let inner = tree[open + 1..]
        .strip_suffix('}')
        .unwrap_or(&tree[open + 1..]);
    let mut depth = 0usize;
    let mut start = 0;
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(inner[start..index].trim(), head.clone(), out);
                start = index + 1;
            }
            _ => {}
        }
    }
    expand(inner[start..].trim(), head, out);
}

/// The longest known module a path names.
fn module_of(path: &[&str], known: &BTreeMap<String, (String, bool)>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| known.contains_key(candidate))
}

/// Each module's imports of other modules.
fn imports(known: &BTreeMap<String, (String, bool)>) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph = BTreeMap::new();
    for (module, (source, is_dir_module)) in known {
        let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        let mut targets = BTreeSet::new();
        let mut add = |base: &[&str], path: &str| {
            let mut full: Vec<&str> = base.to_vec();
            full.extend(path.split("::").filter(|s| !s.is_empty() && *s != "self"));
            if let Some(target) = module_of(&full, known) {
                targets.insert(target);
            }
        };
        for path in paths_after(source, "crate::") {
            add(&[], &path);
        }
        for path in paths_after(source, "self::") {
            add(&own, &path);
        }
        // `super::` is the parent module, for a mod.rs as for any file.
        for path in paths_after(source, "super::") {
            let ups = 1 + path.matches("super::").count();
            let base = &own[..own.len().saturating_sub(ups)];
            add(base, path.trim_start_matches("super::"));
        }
        if *is_dir_module {
            let children: BTreeSet<String> = known
                .keys()
                .filter_map(|other| {
                    let rest = if own.is_empty() {
                        other.as_str()
                    } else {
                        other.strip_prefix(module.as_str())?.strip_prefix("::")?
                    };
                    (!rest.is_empty() && !rest.contains("::")).then(|| rest.to_owned())
                })
                .collect();
            for child in &children {
                for path in paths_after(source, &format!("{child}::")) {
                    add(&own, &format!("{child}::{path}"));
                }
            }
        }
        targets.remove(module);
        graph.insert(module.clone(), targets);
    }
    graph
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, (_, prefixes))| prefixes.iter().map(move |p| (layer, *p)))
        .filter(|(_, prefix)| {
            module == *prefix
                || prefix.is_empty()
                || module
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
        .max_by_key(|(_, prefix)| prefix.len() + usize::from(!prefix.is_empty()))
        .map(|(layer, _)| layer)
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(walk: &mut Walk<'a>, node: &'a str) {
        let n = walk.index.len();
        walk.index.insert(node, n);
        walk.low.insert(node, n);
        walk.stack.push(node);
        for next in walk.graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !walk.index.contains_key(next) {
                visit(walk, next);
                let low = walk.low[node].min(walk.low[next]);
                walk.low.insert(node, low);
            } else if walk.stack.contains(&next) {
                let low = walk.low[node].min(walk.index[next]);
                walk.low.insert(node, low);
            }
        }
        if walk.low[node] == walk.index[node] {
            let mut component = Vec::new();
            while let Some(top) = walk.stack.pop() {
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                walk.found.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            visit(&mut walk, node);
        }
    }
    walk.found
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    imports(&modules(&src))
}

#[test]
fn no_module_imports_in_a_circle() {
    let graph = graph();
    let found = cycles(&graph);
    let described: Vec<String> = found
        .iter()
        .map(|component| {
            let edges: Vec<String> = component
                .iter()
                .map(|m| {
                    let inside: Vec<&str> = graph[m]
                        .iter()
                        .filter(|t| component.contains(t))
                        .map(String::as_str)
                        .collect();
                    format!("  {m} -> {}", inside.join(", "))
                })
                .collect();
            edges.join("\n")
        })
        .collect();
    assert!(
        found.is_empty(),
        "import circles:\n{}",
        described.join("\n\n")
    );
}

#[test]
fn every_module_has_a_layer_and_imports_only_downwards() {
    let mut wrong = Vec::new();
    for (module, targets) in graph() {
        let Some(layer) = layer_of(&module) else {
            wrong.push(format!("{module}: in no layer (add it to LAYERS)"));
            continue;
        };
        for target in targets {
            let target_layer = layer_of(&target).unwrap_or(usize::MAX);
            if target_layer > layer {
                wrong.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[layer].0,
                    LAYERS.get(target_layer).map_or("no layer", |l| l.0)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The checker itself sees the kinds of import it claims to.
#[test]
fn imports_through_crate_super_and_children_are_seen() {
    let known: BTreeMap<String, (String, bool)> = [
        (
            "",
            "mod a;\nmod b;\nuse b::{X, y::Z};\nuse self::c::Q;",
            true,
        ),
        ("a", "use crate::{b::Y as W, c};\n// crate::d", false),
        ("b", "pub mod y;\nfn f() { super::a::g() }", true),
        (
            "b::y",
            "use super::super::c::K; \"crate::d\"\nmod tests { use super::*; }",
            false,
        ),
        ("c", "", false),
        ("d", "", false),
    ]
    .into_iter()
    .map(|(m, s, dir)| (m.to_owned(), (strip(s), dir)))
    .collect();
    let graph = imports(&known);
    let targets = |m: &str| graph[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(targets(""), ["b", "b::y", "c"]);
    assert_eq!(targets("a"), ["b", "c"]);
    assert_eq!(targets("b"), ["a"]);
    assert_eq!(targets("b::y"), ["c"]);
    assert_eq!(cycles(&graph), [["a", "b"]]);
}

//! The documents say what is in the tree: docs/ARCHITECTURE.md's layout names every source file,
//! folder by folder, and no file that does not exist; the README, the docs and the Cargo.toml
//! comments cite only paths that exist. A file added, moved or removed without its line in the
//! layout fails here.

// Reads the repository's own files, never peer data.
#![allow(clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

/// The code block of ARCHITECTURE.md's "A layout that shows the architecture" section.
fn layout() -> String {
    let text = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE");
    let section = text
        .split("\n## A layout")
        .nth(1)
        .expect("ARCHITECTURE.md has a layout section");
    section
        .split("```")
        .nth(1)
        .expect("the layout section has a code block")
        .to_owned()
}

/// The layout's folders (a line that starts with `name/…/`), each with the text that describes it
/// (up to the next line that starts at the margin).
fn folders(layout: &str) -> Vec<(String, String)> {
    let mut folders: Vec<(String, String)> = Vec::new();
    for line in layout.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if !line.starts_with(' ') && first.ends_with('/') {
            folders.push((first.to_owned(), String::new()));
        }
        if let Some((_, text)) = folders.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    folders
}

/// The `….rs` names in `text`.
fn rust_files(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_alphanumeric() || "_-./".contains(c)))
        .filter(|word| word.ends_with(".rs"))
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file under `dir`, as paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("a directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{prefix}{name}");
            if entry.file_type().expect("a file type").is_dir() {
                walk(&entry.path(), &format!("{path}/"), out);
            } else if name.ends_with(".rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[test]
fn the_layout_names_every_source_file_in_its_folder() {
    let layout = layout();
    let folders = folders(&layout);
    assert!(folders.len() >= 10, "the layout's folders: {folders:?}");
    let mut unnamed = Vec::new();
    for (folder, text) in &folders {
        let named: BTreeSet<String> = rust_files(text)
            .iter()
            .map(|f| file_name(f).to_owned())
            .collect();
        // tests/tests/ is described by example; lib.rs and tests.rs by the rule under the block.
        if folder == "tests/tests/" {
            continue;
        }
        for file in files_under(&root().join(folder)) {
            let by_rule = ["lib.rs", "tests.rs"].contains(&file_name(&file));
            if !by_rule && !named.contains(file_name(&file)) {
                unnamed.push(format!("{folder}{file}"));
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "docs/ARCHITECTURE.md's layout does not name {unnamed:?}: add each to its folder's lines"
    );
}

#[test]
fn the_layout_names_no_file_that_does_not_exist() {
    let layout = layout();
    let mut absent = Vec::new();
    for (folder, text) in folders(&layout) {
        let files = files_under(&root().join(&folder));
        for named in rust_files(&text) {
            let exists = root().join(&named).is_file()
                || files
                    .iter()
                    .any(|f| *f == named || f.ends_with(&format!("/{named}")));
            if !exists {
                absent.push(format!("{named} (under {folder})"));
            }
        }
    }
    assert!(
        absent.is_empty(),
        "docs/ARCHITECTURE.md's layout names files that do not exist: {absent:?}"
    );
}

/// The workspace's top-level folders: a word that starts with one of them is a path in the tree.
fn top_folders() -> Vec<String> {
    std::fs::read_dir(root())
        .expect("the workspace root")
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "target" && name != ".git")
        .collect()
}

/// The paths into the tree that `text` cites (`folder/…`, trailing punctuation dropped).
fn cited_paths(text: &str, tops: &[String]) -> BTreeSet<String> {
    text.split(|c: char| c.is_whitespace() || "`()[]<>\"'|*,;".contains(c))
        .map(|word| word.trim_end_matches(['.', ':', '/']))
        .filter(|word| {
            word.split_once('/')
                .is_some_and(|(top, rest)| !rest.is_empty() && tops.iter().any(|t| t == top))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn readme_docs_and_manifests_cite_only_paths_that_exist() {
    let tops = top_folders();
    let mut sources: Vec<(String, String)> = Vec::new();
    for doc in ["README.md", "docs/ARCHITECTURE.md", "docs/security.md"] {
        let text = std::fs::read_to_string(root().join(doc)).expect("a document");
        sources.push((doc.to_owned(), text));
    }
    for (folder, _) in folders(&layout()) {
        let crate_dir = folder.split('/').next().unwrap_or_default();
        let manifest = format!("{crate_dir}/Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(root().join(&manifest)) {
            let comments: Vec<&str> = text
                .lines()
                .filter_map(|l| l.split_once('#'))
                .map(|c| c.1)
                .collect();
            sources.push((manifest, comments.join("\n")));
        }
    }
    let mut dangling = Vec::new();
    for (source, text) in &sources {
        for path in cited_paths(text, &tops) {
            // A glob or a placeholder names a pattern, not a file.
            if path.contains(['*', '{', '…']) || path.contains("...") {
                continue;
            }
            // `file.rs::name` cites a test: the file must exist and hold it.
            let (file, function) = match path.split_once("::") {
                Some((file, function)) => (file, Some(function)),
                None => (path.as_str(), None),
            };
            let found = match function {
                None => root().join(file).exists(),
                Some(function) => std::fs::read_to_string(root().join(file))
                    .is_ok_and(|code| code.contains(&format!("fn {function}("))),
            };
            if !found {
                dangling.push(format!("{source}: {path}"));
            }
        }
    }
    assert!(
        dangling.is_empty(),
        "cited but not in the tree: {dangling:?}"
    );
}

//! Replays a fuzz target's committed inputs, shared by each crate's `tests/fuzz_seeds.rs`
//! (included by path: the crates do not depend on this one).

use std::path::Path;

/// Runs `run` on every file of `<crate_dir>/fuzz/seeds/<target>` and, where they exist,
/// `fuzz/corpus/<target>` (the minimized corpus `make fuzz` keeps) and
/// `fuzz/regressions/<target>` (crashers found by fuzzing, kept once fixed). There must be
/// seeds: a replay of nothing would prove nothing.
pub fn replay(crate_dir: &str, target: &str, run: fn(&[u8])) {
    let mut replayed = 0;
    for kind in ["seeds", "corpus", "regressions"] {
        let dir = Path::new(crate_dir).join("fuzz").join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            assert_ne!(kind, "seeds", "no seed corpus at {}", dir.display());
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            eprintln!("{target}: {}", path.display());
            run(&data);
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs for {target}");
}

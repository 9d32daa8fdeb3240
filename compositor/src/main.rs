//! The `airgui` binary; everything is in the library, so that tests and fuzzers reach it.

fn main() -> anyhow::Result<()> {
    airgui::main()
}

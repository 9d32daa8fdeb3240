//! The `airgui-agent` binary; everything is in the library, so that tests reach it.

fn main() -> anyhow::Result<()> {
    airgui_agent::main()
}

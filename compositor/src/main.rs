//! airgui: the GUI qube of a zone.

use clap::Parser;

/// airgui, the GUI qube of a zone: qube windows over the GUI protocol, served over RDP.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    anyhow::bail!(
        "the compositor is not built yet; today this workspace provides guid-protocol and \
         guid-demo-agent (see README.md)"
    )
}

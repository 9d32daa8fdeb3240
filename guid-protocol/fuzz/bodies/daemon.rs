//! The daemon-side state machine fed an arbitrary byte stream in arbitrary splits, with a real
//! sealed pool so that dumps are mapped for real.

use std::sync::OnceLock;

use guid_protocol::msg::Version;
use guid_protocol::{DaemonConfig, DaemonConnection, PoolAllocator};

/// One pool for the whole run: 64 pages with a recognisable pattern.
fn pool() -> &'static PoolAllocator {
    static POOL: OnceLock<PoolAllocator> = OnceLock::new();
    POOL.get_or_init(|| PoolAllocator::new(64, 64).expect("a pool"))
}

/// One input, as the fuzzer and the seed replay give it.
pub fn run(data: &[u8]) {
    // The first byte picks the split size; then a valid version word so that the fuzzer spends
    // its time past the handshake (the handshake itself is reached by flipping that byte).
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split % 64) + 1;
    let mut stream = Version::CURRENT.to_word().to_le_bytes().to_vec();
    if split == 64 {
        stream.clear();
    }
    stream.extend_from_slice(rest);

    let mut daemon = DaemonConnection::new(DaemonConfig::default());
    if let Ok(fd) = pool().fd().try_clone_to_owned() {
        let _ = daemon.receive_descriptor(fd);
    }
    for mut chunk in stream.chunks(split) {
        loop {
            match daemon.receive(&mut chunk) {
                Ok(Some(event)) => drop(event),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

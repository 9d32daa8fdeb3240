//! The Qubes GUI protocol 1.8 with grant pools, as airgui speaks it (`docs/guid-protocol.md`).
//!
//! The core is sans-IO: [`DaemonConnection`] and [`AgentConnection`] take bytes and give events,
//! take messages and give bytes. Everything an agent sends enters as an `Untrusted…` value and
//! becomes trusted only in [`sanitize`]. [`pool`] maps window pixels; [`transport`] is the thin
//! socket layer around it all.

pub mod agent;
pub mod codec;
pub mod daemon;
pub mod error;
pub mod event;
pub mod msg;
pub mod outgoing;
pub mod pool;
pub mod sanitize;
pub mod shared_memory;
pub mod transport;
pub mod types;
pub mod untrusted;

pub use agent::{AgentConnection, AgentError, AgentEvent};
pub use daemon::{DaemonConfig, DaemonConnection, SendError};
pub use error::ProtocolError;
pub use event::QubeEvent;
pub use msg::{Message, MsgType, Version, XConf};
pub use pool::{GrantPool, PoolAllocator, PoolError, WindowImage, WindowPages};
pub use types::{Rect, WindowId};

//! RDP for airgui. Its interface to the compositor is neutral: frames in (a size, pixels and the
//! damaged rectangles), input events out. It knows nothing of Smithay or of the GUI protocol.

pub mod client;
pub mod credentials;
pub mod frame;
mod read_budget;
pub mod scancode;
mod secret_file;
pub mod server;
pub mod tls;

pub use frame::{Frame, FrameRef, InputEvent, Rect};
pub use secret_file::SecretFileError;
pub use server::{
    spawn, Cursor, CursorImage, FrameError, RdpError, RdpServerConfig, RdpServerHandle, Security,
    ServerEvent,
};
pub use tls::{TlsError, TlsIdentity};

//! What the output shows, as Smithay render elements, generic over the renderer: every visible
//! window (a qube's, one of the GUI qube's own, or, on a master, a zone frame) from the top
//! down, each with its trust decorations in front of its content.
//!
//! Everything here but [`output`] knows nothing of the compositor's state: backends draw a
//! [`scene::Scene`], and `output` is the compositor's scene.

pub mod cursor;
pub mod decorations;
pub mod element;
pub mod output;
pub mod scene;
pub mod text;
pub mod textures;
pub mod tracked_output;
pub mod upload_plan;
pub mod zone_frame;

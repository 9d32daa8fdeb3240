//! The one wl_output each compositor shows its clients: airgui's desktop, or, in airgui-agent,
//! the GUI qube's screen as its daemon announced it. Neither has a physical monitor behind it.

use smithay::output::{Mode, Output, PhysicalProperties, Subpixel};
use smithay::utils::Transform;

/// An output of `size` at (0, 0), without its global (the caller creates that for its state).
pub fn headless_output(name: &str, model: &str, size: (u32, u32)) -> Output {
    let output = Output::new(
        name.into(),
        PhysicalProperties {
            size: (0, 0).into(),
            subpixel: Subpixel::Unknown,
            make: "airgui".into(),
            model: model.into(),
        },
    );
    output.change_current_state(None, Some(Transform::Normal), None, Some((0, 0).into()));
    set_size(&output, size);
    output
}

/// Gives `output` one mode, of `size`, and makes it current and preferred.
pub fn set_size(output: &Output, (width, height): (u32, u32)) {
    let mode = Mode {
        size: (
            i32::try_from(width).unwrap_or(i32::MAX),
            i32::try_from(height).unwrap_or(i32::MAX),
        )
            .into(),
        refresh: 60_000,
    };
    output.change_current_state(Some(mode), None, None, None);
    output.set_preferred(mode);
}

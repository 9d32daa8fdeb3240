//! The configuration parser: any text overlaid on the defaults either loads, valid, or is
//! refused with an error; it never panics.

use airgui::config::Config;

/// One input, as the fuzzer and the seed replay give it.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_overlay(Some(text)) {
        // What loads must name real labels and keep its sizes in range.
        for qube in &config.qubes {
            assert!(config.label_colour(&qube.label).is_some());
        }
        assert!(config.output.width >= 1 && config.output.height >= 1);
    }
}

//! Which renderer draws the screens: GLES on GBM when EGL gives a hardware device, pixman on
//! dumb buffers otherwise; `output.renderer` overrides. A software EGL device (Mesa's llvmpipe,
//! all a virtual machine without virgl offers) renders GLES on the CPU far more slowly than
//! pixman (seconds to the first frame), so it is taken only when asked for by name.

use std::fmt;

use crate::config::RendererSetting;

/// What the GPU's GBM device and EGL offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EglOffer {
    /// No GBM device, EGL display or context: the reason.
    Unavailable(String),
    /// EGL renders on the CPU (EGL_MESA_device_software).
    Software,
    /// EGL renders on the GPU.
    Hardware,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Gles,
    Pixman,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Choice::Gles => "gles",
            Choice::Pixman => "pixman",
        })
    }
}

/// Whether EGL must be asked at all: not when pixman is forced.
pub fn needs_probe(setting: RendererSetting) -> bool {
    setting != RendererSetting::Pixman
}

/// The renderer for `setting` given what EGL offers, and why, in words for the log; or, when
/// GLES is forced and cannot run, the reason.
pub fn choose(setting: RendererSetting, offer: &EglOffer) -> Result<(Choice, String), String> {
    match (setting, offer) {
        (RendererSetting::Pixman, _) => Ok((Choice::Pixman, "output.renderer = \"pixman\"".into())),
        (RendererSetting::Gles, EglOffer::Unavailable(reason)) => Err(reason.clone()),
        (RendererSetting::Gles, EglOffer::Software) => Ok((
            Choice::Gles,
            "output.renderer = \"gles\", on a software EGL device".into(),
        )),
        (RendererSetting::Gles, EglOffer::Hardware) => {
            Ok((Choice::Gles, "output.renderer = \"gles\"".into()))
        }
        (RendererSetting::Auto, EglOffer::Hardware) => {
            Ok((Choice::Gles, "EGL renders on the GPU".into()))
        }
        (RendererSetting::Auto, EglOffer::Software) => Ok((
            Choice::Pixman,
            "EGL offers only a software device (set output.renderer = \"gles\" to use it)".into(),
        )),
        (RendererSetting::Auto, EglOffer::Unavailable(reason)) => {
            Ok((Choice::Pixman, format!("no GLES on this GPU: {reason}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(setting: RendererSetting, offer: &EglOffer) -> Choice {
        match choose(setting, offer) {
            Ok((choice, _)) => choice,
            Err(reason) => panic!("{setting:?} refused {offer:?}: {reason}"),
        }
    }

    fn offers() -> [EglOffer; 3] {
        [
            EglOffer::Unavailable("no GBM".into()),
            EglOffer::Software,
            EglOffer::Hardware,
        ]
    }

    #[test]
    fn auto_takes_gles_only_on_a_hardware_device() {
        let [none, software, hardware] = offers();
        assert_eq!(chosen(RendererSetting::Auto, &hardware), Choice::Gles);
        assert_eq!(chosen(RendererSetting::Auto, &software), Choice::Pixman);
        assert_eq!(chosen(RendererSetting::Auto, &none), Choice::Pixman);
        assert!(needs_probe(RendererSetting::Auto));
    }

    #[test]
    fn forced_gles_accepts_a_software_device_and_fails_without_egl() {
        let [none, software, hardware] = offers();
        assert_eq!(chosen(RendererSetting::Gles, &hardware), Choice::Gles);
        assert_eq!(chosen(RendererSetting::Gles, &software), Choice::Gles);
        assert_eq!(
            choose(RendererSetting::Gles, &none),
            Err("no GBM".to_owned())
        );
        assert!(needs_probe(RendererSetting::Gles));
    }

    #[test]
    fn forced_pixman_never_asks_egl() {
        assert!(!needs_probe(RendererSetting::Pixman));
        for offer in offers() {
            assert_eq!(chosen(RendererSetting::Pixman, &offer), Choice::Pixman);
        }
    }

    #[test]
    fn the_reason_for_pixman_on_a_software_device_names_the_override() {
        let (_, why) = choose(RendererSetting::Auto, &EglOffer::Software).unwrap();
        assert!(why.contains("output.renderer"), "{why}");
    }
}

//! The secure clipboard (spec §6): data moves between qubes only on the user's chords.
//! Ctrl+Shift+C asks the focused qube for its clipboard; Ctrl+Shift+V hands what came back to
//! the focused qube if the policy allows that flow, and then forgets it.

use std::time::Instant;

use tracing::{info, warn};

use crate::config::ClipboardConfig;

/// What the GUI qube's clipboard holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub data: Vec<u8>,
    pub source: String,
    pub copied_at: Instant,
}

#[derive(Debug, Default)]
pub struct Clipboard {
    contents: Option<Contents>,
    /// The qube asked by the last Ctrl+Shift+C, until it answers.
    awaiting: Option<String>,
}

/// Why a paste did not happen.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasteRefused {
    #[error("the clipboard is empty")]
    Empty,
    #[error("the policy does not allow clipboard data from {from} to {to}")]
    Denied { from: String, to: String },
    #[error("{bytes} bytes are more than {to}'s protocol takes ({max})")]
    TooLarge {
        to: String,
        bytes: usize,
        max: usize,
    },
}

impl Clipboard {
    /// Ctrl+Shift+C in a window of `qube`: its answer, and only its, will be taken.
    pub fn copy_requested(&mut self, qube: &str) {
        self.awaiting = Some(qube.to_owned());
    }

    /// A qube's clipboard data arrived. Data nobody asked for is dropped; data over `max_bytes`
    /// is discarded and clears the clipboard.
    pub fn receive(&mut self, qube: &str, data: Vec<u8>, max_bytes: usize) {
        if self.awaiting.as_deref() != Some(qube) {
            warn!(qube, "dropped clipboard data the user did not ask for");
            return;
        }
        self.awaiting = None;
        if data.len() > max_bytes {
            warn!(
                qube,
                bytes = data.len(),
                max_bytes,
                "clipboard data too large: clipboard cleared"
            );
            self.contents = None;
            return;
        }
        info!(
            qube,
            bytes = data.len(),
            "copied to the GUI qube's clipboard"
        );
        self.contents = Some(Contents {
            data,
            source: qube.to_owned(),
            copied_at: Instant::now(),
        });
    }

    /// Ctrl+Shift+V in a window of `target`, whose agent takes `target_max` bytes at most (an
    /// agent older than protocol 1.8 takes 65,000): the data to send it, if the policy allows
    /// and it fits. A paste clears the clipboard, done or not, so data never lingers for a
    /// second destination.
    pub fn paste(
        &mut self,
        target: &str,
        target_max: usize,
        config: &ClipboardConfig,
    ) -> Result<Vec<u8>, PasteRefused> {
        let contents = self.contents.take().ok_or(PasteRefused::Empty)?;
        if !config.allows(&contents.source, target) {
            return Err(PasteRefused::Denied {
                from: contents.source,
                to: target.to_owned(),
            });
        }
        if contents.data.len() > target_max {
            return Err(PasteRefused::TooLarge {
                to: target.to_owned(),
                bytes: contents.data.len(),
                max: target_max,
            });
        }
        info!(from = %contents.source, to = target, bytes = contents.data.len(), "pasted");
        Ok(contents.data)
    }

    pub fn contents(&self) -> Option<&Contents> {
        self.contents.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PolicyAction, PolicyRule};
    use guid_protocol::msg::{Version, MAX_CLIPBOARD_OLD, MAX_CLIPBOARD_V18};

    fn config(rules: &[(&str, &str, PolicyAction)]) -> ClipboardConfig {
        ClipboardConfig {
            max_bytes: 10,
            policy: rules
                .iter()
                .map(|(from, to, action)| PolicyRule {
                    from: (*from).into(),
                    to: (*to).into(),
                    action: *action,
                })
                .collect(),
        }
    }

    #[test]
    fn copy_then_paste_moves_data_once() {
        let allow_all = config(&[("*", "*", PolicyAction::Allow)]);
        let mut clipboard = Clipboard::default();
        clipboard.copy_requested("work");
        clipboard.receive("work", b"hello".to_vec(), 10);
        assert_eq!(
            clipboard.contents().map(|c| c.source.as_str()),
            Some("work")
        );
        assert_eq!(
            clipboard.paste("personal", MAX_CLIPBOARD_V18, &allow_all),
            Ok(b"hello".to_vec())
        );
        assert_eq!(
            clipboard.paste("personal", MAX_CLIPBOARD_V18, &allow_all),
            Err(PasteRefused::Empty)
        );
    }

    #[test]
    fn a_deny_rule_blocks_the_flow_and_clears() {
        let rules = config(&[
            ("work", "untrusted", PolicyAction::Deny),
            ("*", "*", PolicyAction::Allow),
        ]);
        let mut clipboard = Clipboard::default();
        clipboard.copy_requested("work");
        clipboard.receive("work", b"secret".to_vec(), 10);
        assert!(matches!(
            clipboard.paste("untrusted", MAX_CLIPBOARD_V18, &rules),
            Err(PasteRefused::Denied { .. })
        ));
        assert_eq!(clipboard.contents(), None);
    }

    #[test]
    fn a_paste_takes_no_more_than_the_target_agent_s_protocol_version_allows() {
        let allow_all = ClipboardConfig {
            max_bytes: 256_000,
            ..config(&[("*", "*", PolicyAction::Allow)])
        };
        let old = Version { major: 1, minor: 7 };
        let copy = |clipboard: &mut Clipboard, bytes: usize| {
            clipboard.copy_requested("work");
            clipboard.receive("work", vec![b'x'; bytes], allow_all.max_bytes);
        };
        let mut clipboard = Clipboard::default();
        copy(&mut clipboard, MAX_CLIPBOARD_OLD + 1);
        assert_eq!(
            clipboard.paste("old", old.max_clipboard(), &allow_all),
            Err(PasteRefused::TooLarge {
                to: "old".into(),
                bytes: MAX_CLIPBOARD_OLD + 1,
                max: MAX_CLIPBOARD_OLD
            })
        );
        assert_eq!(clipboard.contents(), None, "a refused paste clears too");
        copy(&mut clipboard, MAX_CLIPBOARD_OLD);
        assert!(clipboard
            .paste("old", old.max_clipboard(), &allow_all)
            .is_ok());
        copy(&mut clipboard, MAX_CLIPBOARD_OLD + 1);
        let paste = clipboard.paste("new", Version::CURRENT.max_clipboard(), &allow_all);
        assert_eq!(paste.map(|data| data.len()), Ok(MAX_CLIPBOARD_OLD + 1));
    }

    #[test]
    fn oversized_data_clears_the_clipboard() {
        let mut clipboard = Clipboard::default();
        clipboard.copy_requested("work");
        clipboard.receive("work", b"small".to_vec(), 10);
        clipboard.copy_requested("work");
        clipboard.receive("work", vec![b'x'; 11], 10);
        assert_eq!(clipboard.contents(), None);
    }

    #[test]
    fn data_nobody_asked_for_is_dropped() {
        let mut clipboard = Clipboard::default();
        clipboard.receive("work", b"unasked".to_vec(), 10);
        assert_eq!(clipboard.contents(), None);
        clipboard.copy_requested("work");
        clipboard.receive("untrusted", b"sneaky".to_vec(), 10);
        assert_eq!(
            clipboard.contents(),
            None,
            "only the asked qube's answer counts"
        );
    }
}

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

    /// Ctrl+Shift+V in a window of `target`: the data to send it, if the policy allows. A paste
    /// clears the clipboard, allowed or not, so data never lingers for a second destination.
    pub fn paste(
        &mut self,
        target: &str,
        config: &ClipboardConfig,
    ) -> Result<Vec<u8>, PasteRefused> {
        let contents = self.contents.take().ok_or(PasteRefused::Empty)?;
        if !config.allows(&contents.source, target) {
            return Err(PasteRefused::Denied {
                from: contents.source,
                to: target.to_owned(),
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
            clipboard.paste("personal", &allow_all),
            Ok(b"hello".to_vec())
        );
        assert_eq!(
            clipboard.paste("personal", &allow_all),
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
            clipboard.paste("untrusted", &rules),
            Err(PasteRefused::Denied { .. })
        ));
        assert_eq!(clipboard.contents(), None);
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

//! The client end of FreeRDP's "advanced input" dynamic channel (`FreeRDP::Advanced::Input`).
//!
//! ironrdp-server 0.13 offers this channel to every client and maps its wheel events to
//! `MouseEvent::Scroll { x, y }`, the only way it reports a *horizontal* wheel (the fast-path
//! mouse PDU's `HORIZONTAL_WHEEL` arrives there as a move, see `ironrdp-server-0.13.0/src/
//! handler.rs`, `impl From<MousePdu> for MouseEvent`). ironrdp-ainput 0.8 has the PDUs but no
//! client processor, so this is one.

use ironrdp_ainput::{ClientPdu, MousePdu, ServerPdu};
use ironrdp_core::{impl_as_any, Encode, EncodeResult, WriteCursor};
use ironrdp_dvc::{DvcClientProcessor, DvcEncode, DvcMessage, DvcProcessor};
use ironrdp_pdu::PduResult;
use ironrdp_svc::{ChannelFlags, SvcMessage};
use tracing::debug;

/// Registered with the DRDYNVC client; the server opens the channel and sends its version.
#[derive(Debug, Default)]
pub(crate) struct AInputClient {
    /// The server's version PDU arrived: the channel is usable.
    ready: bool,
}

impl_as_any!(AInputClient);

impl AInputClient {
    pub(crate) fn ready(&self) -> bool {
        self.ready
    }
}

impl DvcProcessor for AInputClient {
    fn channel_name(&self) -> &str {
        ironrdp_ainput::CHANNEL_NAME
    }

    fn start(&mut self, _channel_id: u32) -> PduResult<Vec<DvcMessage>> {
        Ok(Vec::new())
    }

    fn process(&mut self, _channel_id: u32, payload: &[u8]) -> PduResult<Vec<DvcMessage>> {
        match ironrdp_core::decode::<ServerPdu>(payload) {
            Ok(ServerPdu::Version(version)) => {
                debug!(?version, "advanced input channel ready");
                self.ready = true;
            }
            Err(error) => debug!(%error, "unexpected advanced input PDU; ignored"),
        }
        Ok(Vec::new())
    }

    fn close(&mut self, _channel_id: u32) {
        self.ready = false;
    }
}

impl DvcClientProcessor for AInputClient {}

/// ironrdp-ainput's `ClientPdu` implements `Encode` but not `DvcEncode`.
struct Message(ClientPdu);

impl Encode for Message {
    fn encode(&self, dst: &mut WriteCursor<'_>) -> EncodeResult<()> {
        self.0.encode(dst)
    }

    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn size(&self) -> usize {
        self.0.size()
    }
}

impl DvcEncode for Message {}

/// Wraps mouse PDUs for the channel `channel_id`, ready for `ActiveStage::encode_dvc_messages`.
pub(crate) fn encode(channel_id: u32, pdus: Vec<MousePdu>) -> EncodeResult<Vec<SvcMessage>> {
    let messages: Vec<DvcMessage> = pdus
        .into_iter()
        .map(|pdu| Box::new(Message(ClientPdu::Mouse(pdu))) as DvcMessage)
        .collect();
    ironrdp_dvc::encode_dvc_messages(channel_id, messages, ChannelFlags::empty())
}

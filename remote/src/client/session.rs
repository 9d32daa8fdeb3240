//! The active session with one zone: decode what the slave sends into the zone framebuffer, send
//! the compositor's input and resize requests, follow server-side resizes.

use std::sync::Arc;
use std::time::Duration;

use ironrdp_connector::connection_activation::{
    ConnectionActivationFactory, ConnectionActivationState,
};
use ironrdp_connector::ConnectionResult;
use ironrdp_core::WriteBuf;
use ironrdp_displaycontrol::client::DisplayControlClient;
use ironrdp_displaycontrol::pdu::MonitorLayoutEntry;
use ironrdp_graphics::image_processing::PixelFormat;
use ironrdp_graphics::pointer::DecodedPointer;
use ironrdp_pdu::geometry::InclusiveRectangle;
use ironrdp_pdu::input::fast_path::FastPathInputEvent;
use ironrdp_pdu::input::{InputEvent as SlowPathEvent, InputEventPdu};
use ironrdp_pdu::rdp::headers::ShareDataPdu;
use ironrdp_session::fast_path::ProcessorBuilder;
use ironrdp_session::image::DecodedImage;
use ironrdp_session::{ActiveStage, ActiveStageBuilder, ActiveStageOutput};
use ironrdp_tokio::{FramedWrite as _, TokioFramed};
use tokio::io::{ReadHalf, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info};

use super::ainput::{self, AInputClient};
use super::connect::{describe, Connected, ZoneStream, LOGIN_TIMEOUT};
use super::framebuffer::ZoneShared;
use super::input::{Encoded, InputEncoder, Outgoing};
use super::{LinkError, ZoneEvent};
use crate::frame::{InputEvent, Rect};
use crate::server::{Cursor, CursorImage, MAX_CURSOR_SIDE};

/// The largest zone desktop accepted (8K UHD, the airgui server's default maximum): a slave
/// announcing more loses its connection instead of making the master allocate gigabytes.
pub const MAX_ZONE_PIXELS: u32 = 7680 * 4320;
/// Input events taken from the queue at once (one fast-path PDU holds at most 255 events).
const INPUT_BATCH: usize = 64;
/// Horizontal wheel events kept while the advanced-input channel is not open yet (it opens
/// just after login); older ones are dropped beyond this.
const AINPUT_BACKLOG: usize = 32;
/// How long input waits after a resize request for the slave's reactivation at the new size. A
/// slave that ignores the request (its size is already within a rounding of it) is not waited
/// for longer than this.
const RESIZE_INPUT_HOLD: Duration = Duration::from_secs(2);
/// How long decoded updates wait for the rest of their frame before the compositor gets them: a
/// slave encodes and sends a frame a rectangle at a time, and each piece handed over alone would
/// cost the master a frame of its own.
const FRAME_GATHER: Duration = Duration::from_millis(1);

/// Why a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// The zone was removed (its command channel closed).
    Stopped,
    Failed(LinkError),
}

impl From<LinkError> for SessionEnd {
    fn from(error: LinkError) -> Self {
        SessionEnd::Failed(error)
    }
}

type Reader = TokioFramed<ReadHalf<ZoneStream>>;
type Writer = TokioFramed<WriteHalf<ZoneStream>>;

struct Session<'a> {
    shared: &'a Arc<ZoneShared>,
    writer: Writer,
    stage: ActiveStage,
    image: DecodedImage,
    encoder: InputEncoder,
    /// A display-control request for the wanted size is still to be sent in this session.
    resize_pending: bool,
    /// Advanced-input PDUs waiting for their channel.
    ainput_backlog: Vec<ironrdp_ainput::MousePdu>,
    /// Input stays in the command queue until then: a resize was requested and the slave has
    /// not reactivated the session yet. It drops input that crosses its Deactivate All.
    input_held_until: Option<Instant>,
    /// When what was decoded goes to the compositor, while something waits.
    flush_at: Option<Instant>,
}

/// Runs the session until the link fails or the zone is removed.
pub(crate) async fn run(
    connected: Connected,
    shared: &Arc<ZoneShared>,
    commands: &mut mpsc::Receiver<InputEvent>,
) -> SessionEnd {
    let Connected {
        framed,
        result,
        peer,
    } = connected;
    let ConnectionResult {
        io_channel_id,
        user_channel_id,
        message_channel_id,
        share_id,
        static_channels,
        desktop_size,
        enable_server_pointer,
        pointer_software_rendering,
        activation_factory,
        compression_type,
    } = result;
    let (width, height) = match checked_size(shared, desktop_size.width, desktop_size.height) {
        Ok(size) => size,
        Err(error) => return error.into(),
    };
    let (mut reader, writer) = ironrdp_tokio::split_tokio_framed(framed);
    let stage = ActiveStageBuilder {
        static_channels,
        user_channel_id,
        io_channel_id,
        message_channel_id,
        share_id,
        compression_type,
        enable_server_pointer,
        pointer_software_rendering,
    }
    .build();
    // Input queued while the link was down is stale (keys held then are not held now).
    while commands.try_recv().is_ok() {}
    shared.reset(width, height);
    shared.set_connected(true);
    info!(%peer, width, height, "zone connected");
    shared.emit(ZoneEvent::Connected {
        zone: shared.zone().to_owned(),
        width,
        height,
    });
    let mut session = Session {
        shared,
        writer,
        stage,
        image: DecodedImage::new(PixelFormat::BgrA32, width, height),
        encoder: InputEncoder::default(),
        // Sent once display control is up, unless the slave already has the wanted size.
        resize_pending: true,
        ainput_backlog: Vec::new(),
        input_held_until: None,
        flush_at: None,
    };
    let ids = (io_channel_id, user_channel_id);
    match session
        .run(&mut reader, commands, &activation_factory, ids)
        .await
    {
        Ok(()) => SessionEnd::Stopped,
        Err(end) => end,
    }
}

fn checked_size(shared: &ZoneShared, width: u16, height: u16) -> Result<(u16, u16), LinkError> {
    if width == 0 || height == 0 || u32::from(width) * u32::from(height) > MAX_ZONE_PIXELS {
        return Err(LinkError::Misbehaved {
            zone: shared.zone().to_owned(),
            reason: format!("it announced an unusable desktop size {width}x{height}"),
        });
    }
    Ok((width, height))
}

impl Session<'_> {
    fn lost(&self, what: &str, error: &(dyn std::error::Error + 'static)) -> SessionEnd {
        SessionEnd::Failed(LinkError::Lost {
            zone: self.shared.zone().to_owned(),
            reason: format!("{what}: {}", describe(error)),
        })
    }

    fn undecodable(&self, error: &(dyn std::error::Error + 'static)) -> SessionEnd {
        SessionEnd::Failed(LinkError::Misbehaved {
            zone: self.shared.zone().to_owned(),
            reason: format!("it sent data that does not decode: {}", describe(error)),
        })
    }

    fn read_failed(&self, error: &std::io::Error) -> SessionEnd {
        use std::io::ErrorKind;
        if matches!(
            error.kind(),
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ) {
            return SessionEnd::Failed(LinkError::Lost {
                zone: self.shared.zone().to_owned(),
                reason: "the zone closed the connection (its airgui stopped or restarted, or \
                         another client took over)"
                    .to_owned(),
            });
        }
        self.lost("reading from the zone", error)
    }

    async fn run(
        &mut self,
        reader: &mut Reader,
        commands: &mut mpsc::Receiver<InputEvent>,
        activation: &ConnectionActivationFactory,
        ids: (u16, u16),
    ) -> Result<(), SessionEnd> {
        let shared = self.shared;
        loop {
            let held_until = self.input_held_until;
            let flush_at = self.flush_at;
            tokio::select! {
                pdu = reader.read_pdu() => {
                    let (action, payload) = pdu.map_err(|e| self.read_failed(&e))?;
                    let outputs = self
                        .stage
                        .process(&mut self.image, action, &payload)
                        .map_err(|e| self.undecodable(&e))?;
                    for output in outputs {
                        self.output(output, reader, activation, ids).await?;
                    }
                    self.flush_at.get_or_insert_with(|| Instant::now() + FRAME_GATHER);
                    // Channels open while PDUs come in: send what waited for them.
                    self.send_resize_if_ready().await?;
                    if !self.ainput_backlog.is_empty() {
                        self.send_ainput(Vec::new()).await?;
                    }
                }
                () = tokio::time::sleep_until(held_until.unwrap_or_else(Instant::now)),
                    if held_until.is_some() =>
                {
                    debug!("no reactivation followed the resize request; input flows again");
                    self.input_held_until = None;
                }
                first = commands.recv(), if held_until.is_none() => {
                    let Some(first) = first else {
                        return Ok(());
                    };
                    let mut batch = vec![first];
                    while batch.len() < INPUT_BATCH {
                        match commands.try_recv() {
                            Ok(event) => batch.push(event),
                            Err(_) => break,
                        }
                    }
                    self.send_input(&batch).await?;
                }
                () = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)),
                    if flush_at.is_some() =>
                {
                    self.flush_at = None;
                    shared.flush();
                }
                () = shared.released() => shared.flush(),
                () = shared.resize_wanted() => {
                    self.resize_pending = true;
                    self.send_resize_if_ready().await?;
                }
            }
        }
    }

    async fn write(&mut self, frame: &[u8]) -> Result<(), SessionEnd> {
        if frame.is_empty() {
            return Ok(());
        }
        match self.writer.write_all(frame).await {
            Ok(()) => Ok(()),
            Err(error) => Err(self.lost("writing to the zone", &error)),
        }
    }

    async fn output(
        &mut self,
        output: ActiveStageOutput,
        reader: &mut Reader,
        activation: &ConnectionActivationFactory,
        ids: (u16, u16),
    ) -> Result<(), SessionEnd> {
        match output {
            ActiveStageOutput::ResponseFrame(frame) => self.write(&frame).await?,
            ActiveStageOutput::GraphicsUpdate(rect) => {
                self.shared
                    .update(self.image.data(), self.image.stride(), damage_of(&rect));
            }
            ActiveStageOutput::PointerDefault => self.shared.set_cursor(Cursor::Default),
            ActiveStageOutput::PointerHidden => self.shared.set_cursor(Cursor::Hidden),
            ActiveStageOutput::PointerBitmap(pointer) => {
                self.shared.set_cursor(cursor_of(&pointer));
            }
            // The master draws its own pointer where its user puts it.
            ActiveStageOutput::PointerPosition { .. } => {}
            ActiveStageOutput::Terminate(reason) => {
                return Err(SessionEnd::Failed(LinkError::Terminated {
                    zone: self.shared.zone().to_owned(),
                    reason: reason.description(),
                }));
            }
            ActiveStageOutput::DeactivateAll => self.reactivate(reader, activation, ids).await?,
            other => debug!(?other, "session output ignored"),
        }
        Ok(())
    }

    /// The Deactivation-Reactivation sequence (MS-RDPBCGR 1.3.1.3): the slave resized its
    /// output. A fresh image and fast-path processor at the new size, as ironrdp-client does.
    async fn reactivate(
        &mut self,
        reader: &mut Reader,
        activation: &ConnectionActivationFactory,
        (io_channel_id, user_channel_id): (u16, u16),
    ) -> Result<(), SessionEnd> {
        let mut sequence = activation.create();
        let mut buf = WriteBuf::new();
        let deadline = Instant::now() + LOGIN_TIMEOUT;
        let finalized = loop {
            let step = ironrdp_tokio::single_sequence_step_read(reader, &mut sequence, &mut buf);
            let written = match tokio::time::timeout_at(deadline, step).await {
                Ok(Ok(written)) => written,
                Ok(Err(error)) => return Err(self.lost("reactivating after a resize", &error)),
                Err(_) => {
                    return Err(SessionEnd::Failed(LinkError::Misbehaved {
                        zone: self.shared.zone().to_owned(),
                        reason: "it did not finish a resize (reactivation) in time".to_owned(),
                    }))
                }
            };
            if let Some(length) = written.size() {
                let response = buf.filled().get(..length).unwrap_or_default().to_vec();
                self.write(&response).await?;
            }
            if let ConnectionActivationState::Finalized {
                desktop_size,
                share_id,
                enable_server_pointer,
                pointer_software_rendering,
            } = sequence.connection_activation_state()
            {
                break (
                    desktop_size,
                    share_id,
                    enable_server_pointer,
                    pointer_software_rendering,
                );
            }
        };
        let (desktop_size, share_id, enable_server_pointer, pointer_software_rendering) = finalized;
        let (width, height) = checked_size(self.shared, desktop_size.width, desktop_size.height)?;
        self.image = DecodedImage::new(PixelFormat::BgrA32, width, height);
        self.stage.set_fastpath_processor(
            ProcessorBuilder {
                io_channel_id,
                user_channel_id,
                share_id,
                enable_server_pointer,
                pointer_software_rendering,
                bulk_decompressor: None,
            }
            .build(),
        );
        self.stage.set_share_id(share_id);
        self.stage.set_enable_server_pointer(enable_server_pointer);
        self.shared.reset(width, height);
        self.input_held_until = None;
        info!(width, height, "zone resized");
        self.shared.emit(ZoneEvent::Resized {
            zone: self.shared.zone().to_owned(),
            width,
            height,
        });
        Ok(())
    }

    /// Sends a batch in order, each run of events by its route (see `client/input.rs`).
    async fn send_input(&mut self, batch: &[InputEvent]) -> Result<(), SessionEnd> {
        let mut encoded = Encoded::new();
        for event in batch {
            self.encoder.encode(*event, &mut encoded);
        }
        let mut rest = encoded.as_slice();
        while let Some(first) = rest.first() {
            let same_route =
                |o: &Outgoing| std::mem::discriminant(o) == std::mem::discriminant(first);
            let run = rest.iter().take_while(|o| same_route(o)).count();
            let (now, later) = rest.split_at(run);
            rest = later;
            match first {
                Outgoing::FastPath(_) => {
                    let events: Vec<FastPathInputEvent> = now
                        .iter()
                        .filter_map(|o| match o {
                            Outgoing::FastPath(event) => Some(*event),
                            _ => None,
                        })
                        .collect();
                    self.send_fast_path(&events).await?;
                }
                Outgoing::SlowPath(_) => {
                    let events: Vec<SlowPathEvent> = now
                        .iter()
                        .filter_map(|o| match o {
                            Outgoing::SlowPath(event) => Some(event.clone()),
                            _ => None,
                        })
                        .collect();
                    self.send_slow_path(events).await?;
                }
                Outgoing::AInput(_) => {
                    let pdus = now
                        .iter()
                        .filter_map(|o| match o {
                            Outgoing::AInput(pdu) => Some(pdu.clone()),
                            _ => None,
                        })
                        .collect();
                    self.send_ainput(pdus).await?;
                }
            }
        }
        Ok(())
    }

    async fn send_fast_path(&mut self, events: &[FastPathInputEvent]) -> Result<(), SessionEnd> {
        // A fast-path input PDU holds 1 to 255 events.
        for chunk in events.chunks(255) {
            let outputs = self
                .stage
                .process_fastpath_input(&mut self.image, chunk)
                .map_err(|e| self.lost("encoding input", &e))?;
            for output in outputs {
                if let ActiveStageOutput::ResponseFrame(frame) = output {
                    self.write(&frame).await?;
                }
            }
        }
        Ok(())
    }

    /// Slow-path input: a Share Data Input PDU on the I/O channel.
    async fn send_slow_path(&mut self, events: Vec<SlowPathEvent>) -> Result<(), SessionEnd> {
        let mut buf = WriteBuf::new();
        self.stage
            .encode_static(&mut buf, ShareDataPdu::Input(InputEventPdu(events)))
            .map_err(|e| self.lost("encoding input", &e))?;
        let frame = buf.filled().to_vec();
        self.write(&frame).await
    }

    /// Sends `pdus` (after any backlog) on the advanced-input channel, or keeps them until it
    /// is open.
    async fn send_ainput(&mut self, pdus: Vec<ironrdp_ainput::MousePdu>) -> Result<(), SessionEnd> {
        self.ainput_backlog.extend(pdus);
        let excess = self.ainput_backlog.len().saturating_sub(AINPUT_BACKLOG);
        if excess > 0 {
            debug!(
                excess,
                "advanced input channel not open; oldest horizontal wheel dropped"
            );
            self.ainput_backlog.drain(..excess);
        }
        let channel = self.stage.get_dvc::<AInputClient>().and_then(|dvc| {
            let ready = dvc
                .channel_processor_downcast_ref::<AInputClient>()
                .is_some_and(AInputClient::ready);
            dvc.channel_id().filter(|_| ready)
        });
        let Some(channel_id) = channel else {
            return Ok(());
        };
        let pdus = std::mem::take(&mut self.ainput_backlog);
        let messages =
            ainput::encode(channel_id, pdus).map_err(|e| self.lost("encoding input", &e))?;
        let frame = self
            .stage
            .encode_dvc_messages(messages)
            .map_err(|e| self.lost("encoding input", &e))?;
        self.write(&frame).await
    }

    /// Asks the slave (display control) for the wanted size, once the channel is up.
    async fn send_resize_if_ready(&mut self) -> Result<(), SessionEnd> {
        if !self.resize_pending {
            return Ok(());
        }
        let (width, height) = self.shared.wanted_size();
        if (width, height) == (self.image.width(), self.image.height()) {
            self.resize_pending = false;
            return Ok(());
        }
        let ready = self
            .stage
            .get_dvc::<DisplayControlClient>()
            .is_some_and(|dvc| {
                dvc.is_open()
                    && dvc
                        .channel_processor_downcast_ref::<DisplayControlClient>()
                        .is_some_and(DisplayControlClient::ready)
            });
        if !ready {
            return Ok(());
        }
        self.resize_pending = false;
        let (w, h) = MonitorLayoutEntry::adjust_display_size(u32::from(width), u32::from(height));
        if (w, h)
            == (
                u32::from(self.image.width()),
                u32::from(self.image.height()),
            )
        {
            return Ok(());
        }
        match self.stage.encode_resize(w, h, None, None) {
            Some(Ok(frame)) => {
                debug!(width = w, height = h, "resize requested");
                self.input_held_until = Some(Instant::now() + RESIZE_INPUT_HOLD);
                self.write(&frame).await
            }
            Some(Err(error)) => Err(self.lost("encoding a resize request", &error)),
            None => Ok(()),
        }
    }
}

/// RDP's inclusive rectangle as a damage rectangle.
fn damage_of(rect: &InclusiveRectangle) -> Rect {
    let width = rect.right.saturating_sub(rect.left).saturating_add(1);
    let height = rect.bottom.saturating_sub(rect.top).saturating_add(1);
    Rect::new(
        i32::from(rect.left),
        i32::from(rect.top),
        u32::from(width),
        u32::from(height),
    )
}

/// ironrdp's decoded pointer (straight-alpha R, G, B, A for the "accelerated" target) as the
/// crate's premultiplied B, G, R, A cursor, the form [`crate::server::RdpServerHandle::set_cursor`]
/// takes, so the master can pass a zone's pointer on unchanged.
fn cursor_of(pointer: &DecodedPointer) -> Cursor {
    // Servers hide the pointer with an empty or fully transparent image (see
    // `server::cursor::cursor_update`).
    let transparent = pointer
        .bitmap_data
        .chunks_exact(4)
        .all(|px| px.get(3) == Some(&0));
    if pointer.width == 0 || pointer.height == 0 || transparent {
        return Cursor::Hidden;
    }
    let expected = usize::from(pointer.width) * usize::from(pointer.height) * 4;
    if pointer.width > MAX_CURSOR_SIDE
        || pointer.height > MAX_CURSOR_SIDE
        || pointer.bitmap_data.len() != expected
    {
        debug!(
            width = pointer.width,
            height = pointer.height,
            "unusable pointer image; default arrow instead"
        );
        return Cursor::Default;
    }
    let premultiply = |c: u8, a: u8| u8::try_from(u16::from(c) * u16::from(a) / 255).unwrap_or(a);
    let mut pixels = Vec::with_capacity(expected);
    for px in pointer.bitmap_data.chunks_exact(4) {
        if let [r, g, b, a] = *px {
            pixels.extend_from_slice(&[premultiply(b, a), premultiply(g, a), premultiply(r, a), a]);
        }
    }
    Cursor::Image(CursorImage {
        width: pointer.width,
        height: pointer.height,
        hot_x: pointer.hotspot_x.min(pointer.width - 1),
        hot_y: pointer.hotspot_y.min(pointer.height - 1),
        pixels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusive_rectangles_become_damage() {
        let rect = InclusiveRectangle {
            left: 10,
            top: 20,
            right: 19,
            bottom: 20,
        };
        assert_eq!(damage_of(&rect), Rect::new(10, 20, 10, 1));
    }

    #[test]
    fn pointers_become_premultiplied_bgra() {
        let pointer = DecodedPointer {
            width: 1,
            height: 2,
            hotspot_x: 5,
            hotspot_y: 1,
            bitmap_data: vec![255, 0, 0, 255, 255, 255, 255, 0],
        };
        assert_eq!(
            cursor_of(&pointer),
            Cursor::Image(CursorImage {
                width: 1,
                height: 2,
                hot_x: 0,
                hot_y: 1,
                pixels: vec![0, 0, 255, 255, 0, 0, 0, 0],
            })
        );
        let empty = DecodedPointer {
            width: 0,
            height: 0,
            hotspot_x: 0,
            hotspot_y: 0,
            bitmap_data: Vec::new(),
        };
        assert_eq!(cursor_of(&empty), Cursor::Hidden);
    }
}

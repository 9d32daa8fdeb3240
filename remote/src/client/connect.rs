//! One connection attempt: TCP, X.224 negotiation, pinned TLS, CredSSP (NLA), then the rest of
//! the RDP connection sequence. Every failure becomes a [`LinkError`] that says what to check.
//!
//! This follows `ironrdp_async::connect_begin` / `connect_finalize` (ironrdp-async 0.10,
//! src/connector.rs), except that TLS is ours (pinned, see [`super::pinning`]) and the CredSSP
//! exchange is driven here, so that a failure during it is known to be an authentication failure
//! rather than guessed from error text.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use ironrdp_connector::credssp::CredsspSequence;
use ironrdp_connector::sspi::generator::{GeneratorState, NetworkRequest};
use ironrdp_connector::{
    ClientConnector, ClientConnectorState, Config, ConnectionResult, ConnectorError,
    ConnectorErrorKind, ConnectorResult, Credentials, DesktopSize, ServerName,
};
use ironrdp_core::WriteBuf;
use ironrdp_displaycontrol::client::DisplayControlClient;
use ironrdp_dvc::DrdynvcClient;
use ironrdp_pdu::gcc::KeyboardType;
use ironrdp_pdu::rdp::capability_sets::MajorPlatformType;
use ironrdp_pdu::rdp::client_info::{PerformanceFlags, TimezoneInfo};
use ironrdp_tokio::{FramedWrite as _, NetworkClient, TokioFramed};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tracing::{debug, info};

use super::ainput::AInputClient;
use super::{pinning, LinkError, ZoneLinkConfig};
use crate::read_budget::{ReadBudget, LOGIN_READ_BUDGET};

/// How long a TCP connection may take to be accepted.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the handshake (negotiation, TLS, NLA, connection sequence) may take. Longer than an
/// airgui server's longest wait after failed logins (30 s, see `server::backoff`), so that a
/// master whose password was just fixed is not cut off while the zone makes it wait.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(45);
/// The client name the zone sees (RDP keeps 15 characters).
const CLIENT_NAME: &str = "airgui-master";

/// The zone's stream after the connection sequence.
pub(crate) type ZoneStream = TlsStream<ReadBudget<TcpStream>>;

/// A logged-in connection, ready for the active session.
pub(crate) struct Connected {
    pub(crate) framed: TokioFramed<ZoneStream>,
    pub(crate) result: ConnectionResult,
    pub(crate) peer: SocketAddr,
}

/// Connects and logs in. `fingerprint` is canonical (see [`pinning::canonical_fingerprint`]).
pub(crate) async fn connect(
    config: &ZoneLinkConfig,
    fingerprint: &str,
    desktop_size: (u16, u16),
) -> Result<Connected, LinkError> {
    let address = config.address.as_str();
    let host = host_of(address);
    let tcp = tcp_connect(address).await?;
    let peer = tcp.peer_addr().map_err(|e| LinkError::Connect {
        address: address.to_owned(),
        reason: e.to_string(),
    })?;
    let local = tcp.local_addr().map_err(|e| LinkError::Connect {
        address: address.to_owned(),
        reason: e.to_string(),
    })?;
    let _ = tcp.set_nodelay(true);
    debug!(%peer, "TCP connected");
    let handshake = handshake(config, fingerprint, desktop_size, host, tcp, local);
    match tokio::time::timeout(LOGIN_TIMEOUT, handshake).await {
        Ok(result) => result.map(|(framed, result)| Connected {
            framed,
            result,
            peer,
        }),
        Err(_) => Err(LinkError::Timeout {
            address: address.to_owned(),
            stage: "logging in",
            after: LOGIN_TIMEOUT,
        }),
    }
}

/// The host part of `host:port` (brackets of an IPv6 literal removed), for TLS's SNI and
/// CredSSP's target name.
fn host_of(address: &str) -> &str {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

async fn tcp_connect(address: &str) -> Result<TcpStream, LinkError> {
    let resolved = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::lookup_host(address))
        .await
        .map_err(|_| LinkError::Timeout {
            address: address.to_owned(),
            stage: "resolving the address",
            after: CONNECT_TIMEOUT,
        })?
        .map_err(|e| LinkError::Resolve {
            address: address.to_owned(),
            reason: e.to_string(),
        })?;
    let mut last = None;
    for addr in resolved {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(tcp)) => return Ok(tcp),
            Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => {
                last = Some(LinkError::Refused {
                    address: address.to_owned(),
                });
            }
            Ok(Err(error)) => {
                last = Some(LinkError::Connect {
                    address: address.to_owned(),
                    reason: error.to_string(),
                });
            }
            Err(_) => {
                last = Some(LinkError::Timeout {
                    address: address.to_owned(),
                    stage: "connecting",
                    after: CONNECT_TIMEOUT,
                });
            }
        }
    }
    Err(last.unwrap_or_else(|| LinkError::Resolve {
        address: address.to_owned(),
        reason: "no address found".to_owned(),
    }))
}

fn connector_config(config: &ZoneLinkConfig, desktop_size: (u16, u16)) -> Config {
    Config {
        desktop_size: DesktopSize {
            width: desktop_size.0,
            height: desktop_size.1,
        },
        desktop_scale_factor: 0,
        // NLA only: the password is proven before any session exists, and CredSSP binds it to
        // the pinned certificate's key.
        enable_tls: false,
        enable_credssp: true,
        credentials: Credentials::UsernamePassword {
            username: config.user.clone(),
            password: config.password.clone(),
        },
        domain: None,
        client_build: 0,
        client_name: CLIENT_NAME.to_owned(),
        keyboard_type: KeyboardType::IbmEnhanced,
        keyboard_subtype: 0,
        keyboard_functional_keys_count: 12,
        keyboard_layout: 0,
        ime_file_name: String::new(),
        // 32 bpp and every codec this build decodes (with ironrdp-server: QOIZ, lossless).
        bitmap: None,
        dig_product_id: String::new(),
        client_dir: String::new(),
        alternate_shell: String::new(),
        work_dir: String::new(),
        platform: MajorPlatformType::UNIX,
        hardware_id: None,
        request_data: None,
        autologon: false,
        enable_audio_playback: false,
        performance_flags: PerformanceFlags::default(),
        license_cache: None,
        timezone_info: TimezoneInfo::default(),
        compression_type: None,
        // Pointer shapes come as updates (the compositor draws them), not painted into frames.
        enable_server_pointer: true,
        pointer_software_rendering: false,
        multitransport_flags: None,
    }
}

async fn handshake(
    config: &ZoneLinkConfig,
    fingerprint: &str,
    desktop_size: (u16, u16),
    host: &str,
    tcp: TcpStream,
    local: SocketAddr,
) -> Result<(TokioFramed<ZoneStream>, ConnectionResult), LinkError> {
    let address = config.address.as_str();
    let drdynvc = DrdynvcClient::new()
        .with_dynamic_channel(DisplayControlClient::new(|_| Ok(Vec::new())))
        .with_dynamic_channel(AInputClient::default());
    let mut connector = ClientConnector::new(connector_config(config, desktop_size), local)
        .with_static_channel(drdynvc);

    let mut framed = TokioFramed::new(ReadBudget::new(tcp, LOGIN_READ_BUDGET));
    let should_upgrade = ironrdp_tokio::connect_begin(&mut framed, &mut connector)
        .await
        .map_err(|e| negotiation_error(address, &e))?;
    let (tcp, leftover) = framed.into_inner();

    let (tls, public_key) = pinning::upgrade(tcp, &config.name, host, address, fingerprint).await?;
    info!("TLS established with the pinned certificate");
    let upgraded = ironrdp_tokio::mark_as_upgraded(should_upgrade, &mut connector);
    let mut framed = TokioFramed::new_with_leftover(tls, leftover);

    credssp(
        &mut connector,
        &mut framed,
        ServerName::new(host),
        public_key,
    )
    .await
    .map_err(|e| credssp_error(config, &e))?;
    debug!("NLA accepted");

    let result = ironrdp_tokio::connect_finalize(
        upgraded,
        connector,
        &mut framed,
        &mut NoKdc,
        ServerName::new(host),
        Vec::new(),
        None,
    )
    .await
    .map_err(|e| LinkError::Protocol {
        address: address.to_owned(),
        reason: format!(
            "after login, the connection sequence failed: {}",
            describe(&e)
        ),
    })?;
    framed.get_inner_mut().0.get_mut().0.lift();
    Ok((framed, result))
}

/// The CredSSP exchange (what `ironrdp_async::connect_finalize` does first), NTLM only: no
/// network request is ever answered (there is no KDC between zones).
async fn credssp(
    connector: &mut ClientConnector,
    framed: &mut TokioFramed<ZoneStream>,
    server_name: ServerName,
    server_public_key: Vec<u8>,
) -> ConnectorResult<()> {
    let ClientConnectorState::Credssp { selected_protocol } = connector.state else {
        return Err(ironrdp_connector::general_err!(
            "the zone did not select NLA (CredSSP)"
        ));
    };
    let (mut sequence, mut ts_request) = CredsspSequence::init(
        connector.config.credentials.clone(),
        connector.config.domain.as_deref(),
        selected_protocol,
        server_name,
        server_public_key,
        None,
    )?;
    let mut buf = WriteBuf::new();
    loop {
        let client_state = {
            let mut generator = sequence.process_ts_request(ts_request);
            let mut state = generator.start();
            loop {
                match state {
                    GeneratorState::Suspended(_request) => {
                        state = generator.resume(Err(ironrdp_connector::sspi::Error::new(
                            ironrdp_connector::sspi::ErrorKind::NoAuthenticatingAuthority,
                            "no KDC: zone links use NTLM only",
                        )));
                    }
                    GeneratorState::Completed(result) => {
                        break result.map_err(|e| {
                            ConnectorError::new("CredSSP", ConnectorErrorKind::Credssp(e))
                        })?;
                    }
                }
            }
        };
        buf.clear();
        let written = sequence.handle_process_result(client_state, &mut buf)?;
        if let Some(length) = written.size() {
            let response = buf.filled().get(..length).unwrap_or_default();
            framed
                .write_all(response)
                .await
                .map_err(|e| ironrdp_connector::custom_err!("write", e))?;
        }
        let Some(hint) = sequence.next_pdu_hint() else {
            break;
        };
        let pdu = framed
            .read_by_hint(hint)
            .await
            .map_err(|e| ironrdp_connector::custom_err!("read", e))?;
        match sequence.decode_server_message(&pdu)? {
            Some(next) => ts_request = next,
            None => break,
        }
    }
    connector.mark_credssp_as_done();
    Ok(())
}

/// `connect_finalize` wants a network client; it is never used once CredSSP is done.
struct NoKdc;

impl NetworkClient for NoKdc {
    async fn send(&mut self, _request: &NetworkRequest) -> ConnectorResult<Vec<u8>> {
        Err(ironrdp_connector::general_err!(
            "no KDC: zone links use NTLM only"
        ))
    }
}

/// The error and its sources, one line.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The I/O error kind somewhere in `error`'s chain, if any.
fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        current = error.source();
    }
    None
}

fn is_closed(kind: Option<io::ErrorKind>) -> bool {
    matches!(
        kind,
        Some(
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        )
    )
}

fn negotiation_error(address: &str, error: &ConnectorError) -> LinkError {
    if is_closed(io_kind(error)) {
        return LinkError::ClosedBeforeTls {
            address: address.to_owned(),
        };
    }
    let reason = match error.kind() {
        ConnectorErrorKind::Negotiation(failure) => format!(
            "the zone refused NLA ({failure}); a zone link needs the zone's [rdp] \
             security = \"nla\""
        ),
        _ => describe(error),
    };
    LinkError::Protocol {
        address: address.to_owned(),
        reason,
    }
}

/// TLS worked with the pinned certificate, so a CredSSP failure is about the account: the zone
/// answers a wrong user name or password with an error or by closing the connection.
fn credssp_error(config: &ZoneLinkConfig, error: &ConnectorError) -> LinkError {
    let detail = describe(error);
    let refused = matches!(
        error.kind(),
        ConnectorErrorKind::Credssp(_) | ConnectorErrorKind::AccessDenied
    ) || is_closed(io_kind(error));
    if refused {
        LinkError::WrongCredentials {
            zone: config.name.clone(),
            user: config.user.clone(),
            detail,
        }
    } else {
        LinkError::Protocol {
            address: config.address.clone(),
            reason: format!("NLA failed: {detail}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("127.0.0.1:3390"), "127.0.0.1");
        assert_eq!(host_of("cloud.example:3389"), "cloud.example");
        assert_eq!(host_of("[::1]:3389"), "::1");
        assert_eq!(host_of("noport"), "noport");
    }
}

//! TLS facts about a connection ([`TlsInfo`], in [`ConnInfo::tls`](crate::ConnInfo::tls)) and,
//! with the `tls` feature, the helpers for a TLS listener ([`Reactor::listen_tls`]).
//!
//! TLS is a transport inside the reactor, below every protocol, on rustls's sans-IO
//! `ServerConnection`:
//!
//! ```text
//!  accept ─> handshake (own slab, no pool buffer; handshake timer) ──fails──> closed, counted
//!               │ done: ALPN, SNI, version known
//!               v
//!  factory(&ConnInfo { tls: Some(..), .. }) ─> Protocol
//!  socket ─read_tls─> rustls ─process─> plaintext ─> the connection's input run ─> on_read(&[u8])
//!  on_*() ─> Output (plaintext chain) ─writer─> rustls ─write_tls─> output chain (records) ─> writev
//! ```
//!
//! * The protocol sees plaintext only: one contiguous input slice as on a cleartext
//!   connection, and an [`Output`](crate::Output) whose bytes are encrypted when the callback
//!   returns, into the connection's output chain in the same pool, so the same limits hold:
//!   plaintext plus records pending stay within `max_pending_output` (plus the record
//!   overhead), input within `max_input`; plaintext rustls decrypted ahead of the protocol is
//!   limited by rustls (16 KiB plus one read) and is only read further once it was taken.
//! * The handshake runs before the protocol exists: a client that sends garbage, offers no
//!   common cipher, closes, or stalls past [`Config::tls_handshake_timeout`] is closed
//!   ([`CloseReason::TlsHandshake`], [`CloseReason::TlsHandshakeTimeout`]) after the alert
//!   rustls has for it, and counted ([`WorkerStats::tls_failures`]); it never held a pool
//!   buffer. A graceful close of ours sends `close_notify` after the last answer.
//! * Cleartext connections pay one pointer-sized `None` check per read and per callback.
//!
//! [`Reactor::listen_tls`]: crate::Reactor::listen_tls
//! [`Config::tls_handshake_timeout`]: crate::Config::tls_handshake_timeout
//! [`CloseReason::TlsHandshake`]: crate::CloseReason::TlsHandshake
//! [`CloseReason::TlsHandshakeTimeout`]: crate::CloseReason::TlsHandshakeTimeout
//! [`WorkerStats::tls_failures`]: crate::WorkerStats::tls_failures

use std::fmt;

/// The TLS version a connection negotiated.
///
/// # Examples
///
/// ```
/// use brisk_reactor::tls::TlsVersion;
/// assert_eq!(TlsVersion::Tls13.to_string(), "TLSv1.3");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        })
    }
}

/// The application protocol chosen by ALPN.
///
/// # Examples
///
/// ```
/// use brisk_reactor::tls::Alpn;
/// assert_eq!(Alpn::from_wire(Some(b"h2")), Alpn::H2);
/// assert_eq!(Alpn::from_wire(Some(b"http/1.1")), Alpn::Http11);
/// assert_eq!(Alpn::from_wire(None), Alpn::None);
/// assert_eq!(Alpn::H2.to_string(), "h2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alpn {
    /// The client offered no ALPN (or the server config lists none).
    None,
    /// `http/1.1`.
    Http11,
    /// `h2` (HTTP/2 over TLS).
    H2,
    /// Another protocol the server config lists.
    Other,
}

impl Alpn {
    /// Classifies the negotiated ALPN protocol id.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_reactor::tls::Alpn::from_wire(Some(b"spdy/3")), brisk_reactor::tls::Alpn::Other);
    /// ```
    pub fn from_wire(id: Option<&[u8]>) -> Alpn {
        match id {
            None => Alpn::None,
            Some(b"h2") => Alpn::H2,
            Some(b"http/1.1") => Alpn::Http11,
            Some(_) => Alpn::Other,
        }
    }
}

impl fmt::Display for Alpn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alpn::None => "none",
            Alpn::Http11 => "http/1.1",
            Alpn::H2 => "h2",
            Alpn::Other => "other",
        })
    }
}

/// What the handshake of a TLS connection settled, in [`ConnInfo::tls`](crate::ConnInfo::tls)
/// (`None` on a cleartext connection).
///
/// # Examples
///
/// ```
/// use brisk_reactor::tls::{Alpn, TlsInfo, TlsVersion};
///
/// let info = TlsInfo {
///     version: TlsVersion::Tls13,
///     alpn: Alpn::H2,
///     cipher: "TLS13_AES_128_GCM_SHA256",
///     server_name: Some("example.com".into()),
///     resumed: false,
/// };
/// assert_eq!(info.server_name.as_deref(), Some("example.com"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The negotiated version.
    pub version: TlsVersion,
    /// The negotiated application protocol.
    pub alpn: Alpn,
    /// The cipher suite's IANA name (e.g. `TLS13_AES_256_GCM_SHA384`).
    pub cipher: &'static str,
    /// The server name the client asked for (SNI), if any.
    pub server_name: Option<Box<str>>,
    /// Whether the session was resumed (ticket or session id) rather than a full handshake.
    pub resumed: bool,
}

#[cfg(feature = "tls")]
pub use with_rustls::*;

#[cfg(feature = "tls")]
mod with_rustls {
    use super::{Alpn, TlsInfo, TlsVersion};

    /// Bytes a TLS record adds to its plaintext at most, beyond the 5-byte header rustls
    /// counts in `max_fragment_size`: TLS 1.2 AES-GCM's explicit nonce (8) and tag (16); TLS 1.3
    /// adds 17 (content type and tag), ChaCha20-Poly1305 16.
    pub const RECORD_OVERHEAD: usize = 24;

    /// The `max_fragment_size` that makes every record fit one pool buffer of `buffer_size`
    /// bytes (rustls's range is 32..=16389; 16 KiB buffers give 16360-byte records).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_reactor::tls::max_fragment_for(16 * 1024), 16 * 1024 - 24);
    /// assert_eq!(brisk_reactor::tls::max_fragment_for(64 * 1024), 16389);
    /// assert_eq!(brisk_reactor::tls::max_fragment_for(8), 32);
    /// ```
    pub const fn max_fragment_for(buffer_size: usize) -> usize {
        let n = buffer_size.saturating_sub(RECORD_OVERHEAD);
        if n < 32 {
            32
        } else if n > 16389 {
            16389
        } else {
            n
        }
    }

    /// Sets `config.max_fragment_size` so that each record the reactor writes fits one pool
    /// buffer of `buffer_size` bytes ([`Config::buffer_size`](crate::Config::buffer_size)):
    /// one record per buffer, written with the others by one `writev`. Call it before the
    /// config goes into an `Arc`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # #[allow(dead_code)]
    /// # fn f(mut config: brisk_reactor::rustls::ServerConfig) {
    /// brisk_reactor::tls::fit_records(&mut config, brisk_reactor::Config::default().buffer_size);
    /// assert_eq!(config.max_fragment_size, Some(16 * 1024 - 24));
    /// # }
    /// ```
    pub fn fit_records(config: &mut rustls::ServerConfig, buffer_size: usize) {
        config.max_fragment_size = Some(max_fragment_for(buffer_size));
    }

    /// The [`TlsInfo`] of a connection whose handshake is done.
    pub(crate) fn info_of(c: &rustls::ServerConnection) -> TlsInfo {
        TlsInfo {
            version: match c.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
                _ => TlsVersion::Tls13,
            },
            alpn: Alpn::from_wire(c.alpn_protocol()),
            cipher: c
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown"),
            server_name: c.server_name().map(Box::from),
            resumed: matches!(c.handshake_kind(), Some(rustls::HandshakeKind::Resumed)),
        }
    }
}

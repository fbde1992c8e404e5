//! brisk-http2: a sans-IO HTTP/2 (RFC 9113) connection for servers and clients.
//!
//! Bytes in, events and bytes out: the crate never touches a socket, a thread or a clock
//! (time arrives as an `Instant` argument). One state machine serves both roles. It holds the
//! frame codec (RFC 9113 §4, §6), stream states (§5.1), flow control in both directions (§6.9),
//! the message rules of §8, HPACK through `brisk-hpack`, the h2c upgrade, and limits against
//! the published HTTP/2 attacks (rapid reset, MadeYouReset, CONTINUATION flood, HPACK bomb,
//! SETTINGS / PING / WINDOW_UPDATE / empty-DATA floods, stream exhaustion, stalled readers).
//!
//! ```text
//!  socket bytes ──► recv(&[u8]) ──► frames ──► streams ──► poll_event() ──► application
//!                                                  ▲                             │
//!  socket ◄── poll_output(&mut Vec<u8>) ◄── frames ◄── send_headers / send_data ◄┘
//! ```
//!
//! # Server in a reactor
//!
//! Feed every read into [`Connection::recv`] (keep the unused tail), drain
//! [`Connection::poll_event`], answer with [`Connection::send_headers`],
//! [`Connection::send_data`] and [`Connection::send_trailers`], call [`Connection::consume`]
//! for request body bytes once handled, and move [`Connection::poll_output`] into the write
//! buffer. A response body that `send_data` could not take whole resumes on
//! [`Event::SendReady`]. For a graceful shutdown call [`Connection::go_away`] and close the
//! socket once [`Connection::is_closed`] holds and the output is flushed. For HTTP/1.1
//! `Upgrade: h2c`, write the 101 response and build the connection with
//! [`Connection::from_h2c_upgrade`].
//!
//! # Examples
//!
//! ```
//! use brisk_http2::{Config, Connection, Event};
//! let mut client = Connection::client(Config::default());
//! let mut server = Connection::server(Config::default());
//! let id = client.send_request(&[(":method", "POST"), (":scheme", "http"), (":path", "/echo"),
//!     (":authority", "localhost")], false)?;
//! assert_eq!(client.send_data(id, b"ping", true)?, 4);
//! let mut wire = Vec::new();
//! client.poll_output(&mut wire);
//! server.recv(&wire)?;
//! let mut body = Vec::new();
//! while let Some(ev) = server.poll_event() {
//!     if let Event::Data { stream, data, .. } = ev {
//!         body.extend_from_slice(data);
//!         let n = data.len();
//!         server.consume(stream, n);
//!     }
//! }
//! server.send_headers(id, &[(":status", "200")], false)?;
//! server.send_data(id, &body, true)?;
//! wire.clear();
//! server.poll_output(&mut wire);
//! client.recv(&wire)?;
//! let mut status = None;
//! while let Some(ev) = client.poll_event() {
//!     if let Event::Headers { headers, .. } = ev {
//!         status = headers.status();
//!     }
//! }
//! assert_eq!(status, Some(200));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod config;
mod conn;
mod error;
mod event;
#[cfg_attr(not(feature = "unstable-frames"), allow(dead_code, unreachable_pub))]
mod frame;
mod h2c;
mod headers;
mod stream;
mod user_error;

pub use config::{Config, Limits};
pub use conn::{Connection, DataFrame, SpareBuffers, PREFACE};
pub use error::{Error, ErrorCode, StreamId, Violation};
pub use event::{Event, PeerSettings};
pub use frame::{DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE};
// The frame codec (RFC 9113 §4 and §6), public only with the `unstable-frames` feature: for
// fuzz targets, benchmarks and tests that write raw frames. Not covered by semver.
#[cfg(feature = "unstable-frames")]
pub use frame::{
    flags, write_frame_header, write_settings, Frame, FrameHeader, FrameType, Priority, SettingId,
    SettingsPayload, HEADER_LEN,
};
pub use h2c::{decode_base64url, H2cRequest};
pub use headers::Headers;
pub use user_error::UserError;

/// The README, compiled as doctests so its examples cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

//! brisk-server: HTTP/1.1 and h2c on one port, built from brisk-reactor (event loop),
//! brisk-http1 and brisk-http2 (sans-IO protocols) and brisk-router (routes), plus the `brisk`
//! binary.
//!
//! ```text
//!  socket ─> brisk-reactor ─> Conn: first bytes decide ─┬─> HTTP/1.1 (brisk-http1) ─┐
//!                                                        │     └─ Upgrade: h2c ──────┤
//!                                                        └─> h2c (brisk-http2) ──────┤
//!                                                                                    v
//!            writev <─ reactor output <─ serialized response <─ handler <─ brisk-router
//! ```
//!
//! Handlers are plain functions `Fn(&mut Request, &mut Response)` run on the worker thread
//! that owns the connection. A [`Request`] borrows the connection's buffers (nothing is copied
//! for a request that arrived in one read); the [`Response`] is one value per worker, reused
//! for every request, so a steady stream of keep-alive requests allocates nothing.
//!
//! Request bodies are buffered whole before the handler runs (up to
//! [`Limits::max_body_size`]); an upload route ([`Builder::upload`]) gets its body piece by
//! piece through a [`BodySink`] instead, as it arrives. [`Builder::static_dir`] serves a
//! directory of files.
//!
//! A handler may also answer later, from any thread: [`Response::defer`] takes a [`Responder`]
//! out of the exchange, which sends a whole [`Response`] ([`Responder::send`]) or starts a
//! pushed body ([`Responder::start`]): the head leaves at once and a [`BodyWriter`] writes the
//! body through a small bounded pipe the connection drains as the client reads
//! ([`Limits::push_buffer`]). [`Responder::on_close`] and [`BodyWriter::on_close`] learn of a
//! client that goes.
//!
//! [`sse::EventStream`] answers with server-sent events (`text/event-stream`, on HTTP/1.1 and
//! HTTP/2) pushed from any thread through a deferred response, with keep-alive comments at an
//! interval; the `brisk` binary serves a demo at `GET /events?n=N&ms=M` (N events, one every M
//! ms; `brisk --help` lists every route).
//!
//! [`Builder::start`] runs every worker on a thread of its own and returns a [`Handle`];
//! [`Builder::run_with`] serves on the calling thread as worker 0 (the `brisk` binary does this,
//! so `--workers 1` is a single-threaded process) and hands the [`Handle`] to a callback first.
//!
//! # Examples
//!
//! ```
//! use std::io::{Read, Write};
//! use brisk_server::{Method, Server};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::builder()
//!     .bind("127.0.0.1:0".parse()?)
//!     .workers(1)
//!     .route(Method::Get, "/hello/{name}", |req, res| {
//!         let name = req.param("name").unwrap_or("world");
//!         res.body_mut().extend_from_slice(format!("Hello, {name}!").as_bytes());
//!     })
//!     .start()?;
//!
//! let mut s = std::net::TcpStream::connect(server.local_addr())?;
//! s.write_all(b"GET /hello/brisk HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! s.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(answer.ends_with("\r\n\r\nHello, brisk!"));
//! server.shutdown();
//! server.join();
//! # Ok(())
//! # }
//! ```
//!
//! # What the server answers by itself
//!
//! | status | when | connection |
//! |---|---|---|
//! | 400 | malformed request (any brisk-http1 syntax or framing error) | closed |
//! | 404 | no route matches the path (and no fallback) | kept |
//! | 405 | routes match the path, none for the method; `Allow` lists them (GET implies HEAD); also with a fallback | kept |
//! | 408 | the head did not arrive within [`Timeouts::header_read`] (slow-loris defense) | closed |
//! | 413 | body larger than [`Limits::max_body_size`] (declared or chunked), or for an upload route ([`Builder::upload`]) than [`Limits::max_upload_size`] | closed |
//! | 414 | request target longer than [`Limits::max_uri_len`] | closed |
//! | 431 | head larger than [`Limits::max_head_size`], or too many fields | closed |
//! | 500 | the handler panicked, or set an invalid header or status, or dropped its [`Responder`] (each reported to [`Builder::on_app_error`]) | kept |
//! | 501 | unknown method with no route for it (but the fallback, if any, takes a path no route takes) | closed |
//! | 503 | a deferred answer past [`Timeouts::handler`], or the blocking pool's queue full ([`Builder::route_blocking`]) | kept |
//! | 505 | HTTP version whose major is not 1 (a higher 1.x, `HTTP/1.2`, is served as HTTP/1.1) | closed |
//!
//! "Closed" is for these answers of the server's own: the same status set by a handler (a 400
//! or 422 for an invalid API request, say) keeps the HTTP/1.1 connection, unless the request's
//! body is still unread (an answer on the head alone, such as an upload route's refusal).
//!
//! On HTTP/2 the same statuses come back on the stream; protocol violations end the stream
//! (RST_STREAM) or the connection (GOAWAY) with the RFC 9113 code brisk-http2 chooses.
//!
//! # HTTP/1.1 behaviour
//!
//! Keep-alive follows the version rules (1.1 keeps unless `Connection: close`, 1.0 closes
//! unless `Connection: keep-alive`); pipelined requests are answered in order, and every
//! response produced for one read leaves in one `writev`; `Expect: 100-continue` gets its
//! interim answer only when a handler will read the body; request bodies may be sized or
//! chunked; HEAD gets the headers of GET; `Date` (formatted once per second) and `Server` are
//! always sent.
//!
//! # Graceful shutdown
//!
//! [`Handle::shutdown`] stops accepting, lets in-flight requests finish (HTTP/1.1 responses
//! then carry `Connection: close`; HTTP/2 connections get a GOAWAY with the last stream id
//! 2^31-1, a PING, then the final GOAWAY), closes idle connections, and force-closes what is
//! left at [`Timeouts::shutdown`].
//!
//! # Metrics and health
//!
//! [`Handle::counters`] sums the workers' counters; [`Handle::render_metrics`] renders them
//! per worker in the Prometheus text format 0.0.4 (connections by close reason, requests by
//! protocol and status class, a request duration histogram, bytes, pool buffers, HTTP/2
//! streams and resets, errors by kind). [`Builder::metrics_path`] serves that text on the
//! normal listeners, [`Builder::metrics_listener`] on an address of its own (e.g.
//! `127.0.0.1:9100`), and [`Builder::health_path`] answers `200 ok` (`503 draining` once
//! shutdown began) for load balancers. Counting costs one relaxed store per answer.
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod access_log;
mod app;
mod app_error;
mod blocking;
mod body;
mod body_limit;
mod client_addr;
mod config;
mod conn;
mod counters;
mod date;
mod deadlines;
mod defer;
mod embed;
mod error;
mod exchange;
mod files;
mod handle;
mod http1;
mod http2;
mod listen;
pub mod log;
mod metrics;
pub mod proxy_protocol;
mod push;
mod query;
mod request;
mod response;
mod server;
pub mod sse;
mod status;
mod upload;
mod worker;

pub use access_log::{AccessLog, FormatError, DEFAULT_FLUSH_INTERVAL};
pub use app_error::{AppError, AppErrorKind, AppRoute};
pub use blocking::OwnedRequest;
pub use brisk_http1::Header;
pub use brisk_http1::Method;
pub use brisk_http2::Config as Http2Config;
/// The reactor's error, inside [`Error::Reactor`]: match `ReactorError::AddrInUse(addr)` for
/// "address in use".
pub use brisk_reactor::Error as ReactorError;
pub use brisk_reactor::{fd_limit, raise_fd_limit, AcceptError, ListenAddr, ListenerKind};
pub use brisk_router::{percent_decode, DecodeError, RouteMethod, MAX_PARAMS};
pub use client_addr::{ForwardedHeader, TrustedProxy, TrustedProxyError};
pub use config::{Limits, Timeouts};
pub use counters::{Counters, Durations};
pub use deadlines::Deadlines;
pub use defer::{Responder, SendError};
pub use embed::{EmbeddedServer, Turn};
pub use error::Error;
pub use files::StaticOptions;
pub use handle::Handle;
pub use metrics::METRICS_CONTENT_TYPE;
pub use push::{BodyWriter, WriteError};
pub use query::{form_decode, Query, QueryPair};
pub use request::{Headers, Params, Request, Version};
pub use response::{Body, Response};
pub use server::{Builder, Server};
pub use status::reason_phrase;
pub use upload::{BodySink, BodyWaker, Flow};

/// The README, compiled as doctests so its examples cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

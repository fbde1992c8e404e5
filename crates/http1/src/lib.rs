//! brisk-http1: a sans-IO, zero-copy, strict HTTP/1.1 (RFC 9112) codec.
//!
//! It parses request and response heads into caller-provided header slots, computes message
//! framing and connection facts from a head, decodes chunked bodies incrementally, and writes
//! heads and chunks into a caller-owned `Vec<u8>` or a fixed [`Region`] of an output buffer. It never touches a socket, a thread or a
//! clock: bytes come in as `&[u8]`, time comes in as a `SystemTime`.
//!
//! ```text
//!  bytes ──► RequestParser::parse ──► Request (method, target, version, &[Header])
//!                │ Partial: call again with more bytes (resumes, O(total bytes))
//!                ▼
//!            Request::facts ──► Body::{None, Length(n), Chunked}, keep_alive, expect_continue,
//!                │              upgrade, host            (request-smuggling checks here)
//!                ▼
//!  body bytes ► ChunkedDecoder::decode ──► Chunk::{Data(&[u8]), Trailer(Header), End}
//!
//!  HeadWriter (status line, fields, Content-Length | chunked) + write_chunk ──► Vec<u8> | Region
//!  reason_phrase(404) ──► "Not Found"  (HeadWriter::response_status writes it)
//!  Field::new(name, value) ──► checked once (const), written by HeadWriter::field unchecked
//!  DateCache::get(SystemTime) ──► "Sun, 06 Nov 1994 08:49:37 GMT" (formatted once a second;
//!                                  DateCache::field gives it as a ready `Date` Field)
//! ```
//!
//! # Strictness
//!
//! By default every RFC 9112 rule is enforced, each with its own [`Error`] variant: CRLF line
//! ends ([`Error::BareLf`], [`Error::BareCr`]), no whitespace before a colon, no obs-fold, no
//! controls in values, token names, URI-character targets, bounded sizes ([`Limits`]).
//! Framing follows RFC 9112 §6.3 and refuses the classic smuggling shapes:
//!
//! ```
//! use brisk_http1::{Error, Header, RequestParser};
//!
//! fn check(head: &[u8]) -> Result<(), Error> {
//!     let mut headers = [Header::EMPTY; 16];
//!     let req = RequestParser::new().parse(head, &mut headers)?.complete().unwrap();
//!     req.facts().map(|_| ())
//! }
//! assert_eq!(check(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
//!            Err(Error::DifferingContentLength));
//! assert_eq!(check(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
//!            Err(Error::ChunkedNotFinal));
//! assert_eq!(check(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n  , chunked\r\n\r\n"),
//!            Err(Error::ObsFold));
//! assert_eq!(check(b"GET / HTTP/1.1\r\n\r\n"), Err(Error::MissingHost));
//! ```
//!
//! # A complete exchange
//!
//! ```
//! use std::time::SystemTime;
//! use brisk_http1::{Body, Chunk, ChunkedDecoder, DateCache, Header, HeadWriter, RequestParser, Status};
//!
//! let input = b"POST /echo HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
//! let mut headers = [Header::EMPTY; 32];
//! let Status::Complete(req) = RequestParser::new().parse(input, &mut headers)? else { unreachable!() };
//! let facts = req.facts()?;
//! assert_eq!(facts.body, Body::Chunked);
//!
//! let mut body = Vec::new();
//! let mut rest = &input[req.head_len..];
//! let mut dec = ChunkedDecoder::new();
//! loop {
//!     let (n, chunk) = dec.decode(rest)?;
//!     rest = &rest[n..];
//!     match chunk {
//!         Some(Chunk::Data(d)) => body.extend_from_slice(d),
//!         Some(Chunk::Trailer(_)) => {}
//!         Some(Chunk::End) | None => break,
//!     }
//! }
//!
//! let mut dates = DateCache::new();
//! let mut out = Vec::new();
//! let mut w = HeadWriter::response(&mut out, req.version, 200, b"OK")?;
//! w.header(b"Date", dates.get(SystemTime::now()).as_bytes())?.content_length(body.len() as u64);
//! w.finish();
//! out.extend_from_slice(&body);
//! assert!(out.starts_with(b"HTTP/1.1 200 OK\r\nDate: "));
//! assert!(out.ends_with(b"Content-Length: 5\r\n\r\nhello"));
//! # Ok::<(), brisk_http1::Error>(())
//! ```
// `unsafe` is denied except in the SIMD scanners (`scan::sse2`, `scan::avx2`) and the AVX2
// dispatch in `head::fast_fields`; each block has a SAFETY comment, and the benchmark shows
// the gain (see benches/benches/http1.rs).
#![deny(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod chunked;
mod date;
mod error;
mod facts;
mod field;
mod head;
mod limits;
mod method;
mod request;
mod response;
mod scan;
mod ser;
mod sink;
mod status;
mod target;

pub use chunked::{Chunk, ChunkedDecoder};
pub use date::{parse_date, DateCache};
pub use error::Error;
pub use facts::{Body, RequestFacts, ResponseFacts, Upgrade};
pub use field::Field;
pub use head::{Header, Status};
pub use limits::{Config, Limits};
pub use method::{Method, Version};
pub use request::{Request, RequestParser};
pub use response::{Response, ResponseParser};
pub use ser::{
    decimal, write_chunk, write_chunk_end, write_chunk_size, write_last_chunk, HeadWriter,
};
pub use sink::{Region, Sink};
pub use status::{reason_phrase, status_digits};
pub use target::{Target, TargetForm};

/// The README, compiled as doctests so its examples cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

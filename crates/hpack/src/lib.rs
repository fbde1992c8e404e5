//! brisk-hpack: HPACK (RFC 7541) header compression for HTTP/2.
//!
//! A [`Decoder`] and an [`Encoder`], each holding one side's dynamic table for a connection.
//! Sans-IO: both work on complete header blocks in memory (`&[u8]` in, a callback or a
//! caller-owned `Vec<u8>` out) and never touch sockets, threads or clocks.
//!
//! ```text
//!  fields ──► Encoder::encode ──► block bytes ──(HEADERS/CONTINUATION)──► Decoder::decode ──► sink(Field)
//!                │ static match (match on name)                      │ static table
//!                │ dynamic table + hash index                        │ dynamic table (ring buffer)
//!                └ Huffman when shorter                              └ Huffman (12-bit table)
//! ```
//!
//! The decoder is hardened: integers above 2^32 - 1 or with more than 5 continuation octets,
//! indexes out of range, bad Huffman padding or EOS, and misplaced or oversized table size
//! updates are errors; the header list size is enforced while decoding (HPACK bomb), and a
//! decoder that hits it finishes the block and stays in sync.
//!
//! # Examples
//!
//! ```
//! use brisk_hpack::{Decoder, Encoder, Field};
//!
//! let mut encoder = Encoder::new();
//! let mut decoder = Decoder::new();
//! let request = [
//!     Field::new(b":method", b"GET"),
//!     Field::new(b":path", b"/index.html"),
//!     Field::new(b"user-agent", b"brisk"),
//!     Field::never_indexed(b"x-api-key", b"secret"),
//! ];
//! for _ in 0..2 {
//!     let mut block = Vec::new();
//!     encoder.encode(request, &mut block);
//!     let mut got = Vec::new();
//!     decoder.decode(&block, |f| got.push((f.name.to_vec(), f.value.to_vec(), f.never_indexed)))?;
//!     assert_eq!(got.len(), 4);
//!     assert_eq!(got[3], (b"x-api-key".to_vec(), b"secret".to_vec(), true));
//! }
//! # Ok::<(), brisk_hpack::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]
#![doc(test(attr(deny(warnings))))]

mod decoder;
mod encoder;
mod error;
mod field;
mod huffman;
mod huffman_table;
mod index;
mod integer;
mod limits;
mod static_table;
mod table;

#[cfg(fuzzing)]
pub mod fuzzing;

pub use decoder::Decoder;
pub use encoder::{Encoder, Huffman, Strategy, DEFAULT_ENCODER_TABLE_CAP};
pub use error::Error;
pub use field::Field;
pub use huffman::{huffman_decode, huffman_encode, huffman_encoded_len};
pub use limits::Limits;
pub use table::TableEntries;

/// The README, compiled as doctests so its examples cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

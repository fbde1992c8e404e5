//! Several ranges in one answer: a `multipart/byteranges` body (RFC 9110 §14.6), produced
//! piece by piece as the connection drains (its parts come from the cached bytes or with
//! `pread` from the open file), with its length known up front.

use std::hash::{BuildHasher, Hasher};
use std::os::unix::fs::FileExt;

use super::cache::Data;
use crate::response::{Pull, Source};

/// A multipart body: for each part its header block, then its bytes; then the closing
/// delimiter.
pub(super) struct Multipart {
    data: Bytes,
    parts: Vec<Part>,
    at: usize,
    tail: Vec<u8>,
    tail_sent: usize,
}

/// Where the parts' bytes come from.
pub(super) enum Bytes {
    Mem(std::sync::Arc<[u8]>),
    File(std::sync::Arc<std::fs::File>),
}

impl Bytes {
    /// The source of `data` (`None` for a missing entry).
    pub(super) fn of(data: &Data) -> Option<Bytes> {
        match data {
            Data::Mem(m) => Some(Bytes::Mem(std::sync::Arc::clone(m))),
            Data::File(f, _) => Some(Bytes::File(std::sync::Arc::clone(f))),
            Data::Missing => None,
        }
    }
}

struct Part {
    head: Vec<u8>,
    head_sent: usize,
    offset: u64,
    left: u64,
}

impl Multipart {
    /// The body for `ranges` (first and last byte each) of a `len`-byte representation of
    /// type `content_type`; returns it with its length and the `Content-Type` to send.
    pub(super) fn new(
        data: Bytes,
        ranges: &[(u64, u64)],
        len: u64,
        content_type: &str,
    ) -> (Multipart, u64, String) {
        let boundary = boundary();
        let mut total = 0u64;
        let parts: Vec<Part> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(a, b))| {
                let head = format!(
                    "{}--{boundary}\r\nContent-Type: {content_type}\r\nContent-Range: bytes {a}-{b}/{len}\r\n\r\n",
                    if i == 0 { "" } else { "\r\n" }
                )
                .into_bytes();
                total += head.len() as u64 + (b - a + 1);
                Part {
                    head,
                    head_sent: 0,
                    offset: a,
                    left: b - a + 1,
                }
            })
            .collect();
        let tail = format!("\r\n--{boundary}--\r\n").into_bytes();
        total += tail.len() as u64;
        let m = Multipart {
            data,
            parts,
            at: 0,
            tail,
            tail_sent: 0,
        };
        (
            m,
            total,
            format!("multipart/byteranges; boundary={boundary}"),
        )
    }
}

/// A boundary unlikely to occur in any file: 20 random-looking hex digits.
fn boundary() -> String {
    let s = std::collections::hash_map::RandomState::new();
    let mut h = s.build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let a = h.finish();
    h.write_u64(a);
    format!("brisk-{a:016x}{:04x}", h.finish() & 0xffff)
}

impl Source for Multipart {
    fn read_into(&mut self, buf: &mut Vec<u8>, max: usize) -> Pull {
        let start = buf.len();
        while buf.len() - start < max {
            let room = max - (buf.len() - start);
            let Some(p) = self.parts.get_mut(self.at) else {
                let rest = &self.tail[self.tail_sent..];
                let n = rest.len().min(room);
                buf.extend_from_slice(&rest[..n]);
                self.tail_sent += n;
                break;
            };
            if p.head_sent < p.head.len() {
                let rest = &p.head[p.head_sent..];
                let n = rest.len().min(room);
                buf.extend_from_slice(&rest[..n]);
                p.head_sent += n;
                continue;
            }
            if p.left == 0 {
                self.at += 1;
                continue;
            }
            let n = usize::try_from(p.left).map_or(room, |l| l.min(room));
            let before = buf.len();
            match &self.data {
                Bytes::Mem(m) => {
                    let a = p.offset as usize;
                    match m.get(a..a + n) {
                        Some(s) => buf.extend_from_slice(s),
                        None => return Pull::Abort,
                    }
                }
                Bytes::File(f) => {
                    let at = buf.len();
                    buf.resize(at + n, 0);
                    match f.read_at(&mut buf[at..], p.offset) {
                        Ok(got) if got > 0 => buf.truncate(at + got),
                        // Shorter than it was: the file changed while being sent.
                        _ => {
                            buf.truncate(at);
                            return Pull::Abort;
                        }
                    }
                }
            }
            let got = (buf.len() - before) as u64;
            p.offset += got;
            p.left -= got;
        }
        if buf.len() == start {
            Pull::End
        } else {
            Pull::Data
        }
    }
}

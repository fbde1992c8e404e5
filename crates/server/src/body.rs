//! The outgoing body of one response, for both protocols: what is still to send of a whole body
//! (bytes copied from the handler's buffer, or a `&'static` slice sent in place) and the
//! [`Source`] a streamed body is read from (a user's chunk iterator, a file), sized (up to its
//! declared length, never past it) or not (HTTP/1.1 chunked framing, or raw on HTTP/2 and
//! close-delimited HTTP/1.0).
//!
//! The protocol decides how much may be read at once ([`Outgoing::read`]'s `max`: HTTP/2 passes
//! what the stream's window lets it send, so a stalled stream reads nothing and holds no large
//! buffer) and where the bytes go ([`Outgoing::pending`] and [`Outgoing::advance`]); a new body
//! kind is written here once.

use brisk_http1::{write_chunk_end, write_chunk_size, write_last_chunk, Region};

use crate::response::{BodyKind, Pull, Source, Stream};

/// Most bytes of a stream body read ahead at once (also capped by what the protocol may send).
pub(crate) const READ_AHEAD: usize = 64 * 1024;

/// A body buffer keeps its capacity up to this size when it is idle (a stream waiting for
/// window, a finished exchange); larger ones are freed ([`Outgoing::shrink_idle`]).
pub(crate) const KEEP_OUT: usize = 16 * 1024;

/// Room kept at the front of the buffer for a chunk-size line (16 hex digits and CRLF).
const SIZE_ROOM: usize = 18;

/// How a streamed body's pieces are delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Framing {
    /// As read (a sized body, HTTP/2 DATA frames, a close-delimited HTTP/1.0 body).
    #[default]
    Raw,
    /// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), ended by the last chunk.
    Chunked,
}

/// What [`Outgoing::read`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Read {
    /// Bytes are pending (perhaps none, for an empty piece); more may follow.
    Data,
    /// The stream ended where it should: a sized one at its length (its last bytes pending),
    /// an unsized one at its end (for chunked framing, the last chunk is pending).
    Done,
    /// A sized stream ended before its declared length, or a pushed body was abandoned: the
    /// peer must not take what it got for the whole body (HTTP/1.1 closes the connection,
    /// HTTP/2 resets the stream).
    Short,
    /// An unsized stream ended with trailer fields, and nothing is pending (framing other
    /// than chunked, which writes them in its last chunk: HTTP/2 sends them as a HEADERS
    /// frame ending the stream).
    Trailers(Vec<(String, String)>),
    /// Nothing to send yet (a pushed body whose producer has not written): the source wakes
    /// the connection when there is. Nothing is pending, and the buffer is small.
    Wait,
}

/// The part of a response body that is not sent yet.
#[derive(Default)]
pub(crate) struct Outgoing {
    /// Bytes to send from `pos` on (a head, a copied body, a piece read from the source).
    buf: Vec<u8>,
    pos: usize,
    /// A static body, sent after `buf` without copying.
    stat: &'static [u8],
    source: Option<Box<dyn Source>>,
    framing: Framing,
    /// For a sized stream: the bytes it still owes (`u64::MAX` for a close-delimited body,
    /// whose end is the connection's close).
    owed: Option<u64>,
    /// The last read found nothing yet ([`Read::Wait`]): the source wakes the connection.
    waiting: bool,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("bytes", &(self.buf.len() - self.pos))
            .field("static", &self.stat.len())
            .field("source", &self.source.is_some())
            .field("framing", &self.framing)
            .field("owed", &self.owed)
            .finish()
    }
}

impl Outgoing {
    /// True when nothing is left to send or read.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.buf.len() && self.stat.is_empty() && self.source.is_none()
    }

    /// True while a source is left to read.
    #[inline]
    pub(crate) fn has_source(&self) -> bool {
        self.source.is_some()
    }

    /// Bytes to append before the body (an HTTP/1.1 head that did not fit the output).
    pub(crate) fn push_bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Queues a whole body: a static one is sent in place, others are copied.
    pub(crate) fn whole(&mut self, body: &BodyKind, bytes: &[u8]) {
        match body {
            BodyKind::Static(s) => self.stat = s,
            _ => self.buf.extend_from_slice(bytes),
        }
    }

    /// Queues a streamed body; `owed` is its declared length (see [`Outgoing::owed`]).
    pub(crate) fn stream(&mut self, s: Stream, framing: Framing, owed: Option<u64>) {
        self.source = Some(s.chunks);
        self.framing = framing;
        self.owed = owed;
    }

    /// The bytes to send next: the buffer's, then the static body's. Empty when only the
    /// source is left (call [`Outgoing::read`]) or nothing is.
    #[inline]
    pub(crate) fn pending(&self) -> &[u8] {
        if self.pos < self.buf.len() {
            &self.buf[self.pos..]
        } else {
            self.stat
        }
    }

    /// True when more follows what [`Outgoing::pending`] returns now (HTTP/2 marks the last
    /// DATA frame by it).
    #[inline]
    pub(crate) fn more_after_pending(&self) -> bool {
        if self.pos < self.buf.len() {
            !self.stat.is_empty() || self.source.is_some()
        } else {
            self.source.is_some()
        }
    }

    /// `n` bytes of [`Outgoing::pending`] were sent.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        if self.pos < self.buf.len() {
            self.pos += n;
            if self.pos == self.buf.len() {
                self.buf.clear();
                self.pos = 0;
            }
        } else {
            self.stat = &self.stat[n..];
        }
    }

    /// Drops everything not sent (the stream is gone).
    pub(crate) fn clear(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.stat = &[];
        self.source = None;
        self.owed = None;
        self.waiting = false;
    }

    /// True while the source has nothing yet ([`Read::Wait`]): the connection waits for its
    /// producer, which is not a stalled peer.
    #[inline]
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting && self.source.is_some()
    }

    /// Frees a large idle buffer (kept up to [`KEEP_OUT`] for reuse).
    #[inline]
    pub(crate) fn shrink_idle(&mut self) {
        if self.buf.capacity() > KEEP_OUT && self.pos == self.buf.len() {
            self.buf = Vec::new();
            self.pos = 0;
        }
    }

    /// The rest of a sized raw body as a file range for `sendfile(2)`, when its source is
    /// a file (`Source::take_file`) and nothing else is pending; the source is then gone.
    pub(crate) fn take_file(&mut self) -> Option<brisk_reactor::FileRange> {
        if !self.pending().is_empty() || self.framing != Framing::Raw {
            return None;
        }
        let owed = self.owed?;
        let range = self.source.as_mut()?.take_file(owed)?;
        self.source = None;
        self.owed = None;
        Some(range)
    }

    /// Reads the next piece of the source into the (sent) buffer, framed: at most `max` bytes
    /// of data if the source can size its reads, and never past a sized stream's length.
    pub(crate) fn read(&mut self, max: usize) -> Read {
        debug_assert!(self.pending().is_empty());
        self.buf.clear();
        self.pos = 0;
        self.waiting = false;
        let Some(source) = self.source.as_mut() else {
            return Read::Done;
        };
        let mut max = max;
        if let Some(owed) = self.owed {
            max = usize::try_from(owed).map_or(max, |o| o.min(max)).max(1);
        }
        let chunked = self.framing == Framing::Chunked;
        if chunked {
            self.buf.resize(SIZE_ROOM, 0);
        }
        match source.read_into(&mut self.buf, max) {
            Pull::Data => {}
            Pull::Wait => {
                self.waiting = true;
                self.buf.clear();
                self.shrink_idle();
                return Read::Wait;
            }
            Pull::Abort => {
                self.source = None;
                self.buf.clear();
                self.owed = None;
                return Read::Short;
            }
            Pull::End => {
                let trailers = source.trailers();
                self.source = None;
                self.buf.clear();
                if self.owed.take().is_some() {
                    return Read::Short;
                }
                if chunked {
                    let fields: Vec<brisk_http1::Header<'_>> = trailers
                        .iter()
                        .flatten()
                        .map(|(n, v)| brisk_http1::Header {
                            name: n.as_bytes(),
                            value: v.as_bytes(),
                        })
                        .collect();
                    if write_last_chunk(&mut self.buf, &fields).is_err() {
                        // Not reached: trailers are checked when they are set.
                        self.buf.clear();
                        let _ = write_last_chunk(&mut self.buf, &[]);
                    }
                } else if let Some(t) = trailers {
                    return Read::Trailers(t);
                }
                return Read::Done;
            }
        }
        if chunked {
            let n = self.buf.len() - SIZE_ROOM;
            if n == 0 {
                self.buf.clear();
                return Read::Data;
            }
            // The size line goes right before the data, in the room kept for it.
            let mut line = [0u8; SIZE_ROOM];
            let mut r = Region::new(&mut line);
            let _ = write_chunk_size(&mut r, n as u64);
            let len = r.len();
            self.pos = SIZE_ROOM - len;
            self.buf[self.pos..SIZE_ROOM].copy_from_slice(&line[..len]);
            write_chunk_end(&mut self.buf);
            return Read::Data;
        }
        if let Some(owed) = self.owed {
            if let Ok(o) = usize::try_from(owed) {
                self.buf.truncate(o);
            }
            let owed = owed - self.buf.len() as u64;
            if owed == 0 {
                self.source = None;
                self.owed = None;
                return Read::Done;
            }
            self.owed = Some(owed);
        }
        Read::Data
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(pieces: &[&[u8]], len: Option<u64>) -> Stream {
        let v: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        let body = match len {
            Some(n) => crate::response::Body::sized_stream(n, v.into_iter()),
            None => crate::response::Body::stream(v.into_iter()),
        };
        let mut res = crate::response::Response::new();
        res.body(body);
        res.take_stream().expect("a stream")
    }

    /// Everything the body gives, read `max` at a time, and how it ended.
    fn drain(o: &mut Outgoing, max: usize) -> (Vec<u8>, Read) {
        let mut got = Vec::new();
        loop {
            let p = o.pending();
            if !p.is_empty() {
                got.extend_from_slice(p);
                let n = p.len();
                o.advance(n);
                continue;
            }
            if !o.has_source() {
                return (got, Read::Done);
            }
            match o.read(max) {
                Read::Data => {}
                Read::Done => {
                    got.extend_from_slice(o.pending());
                    let n = o.pending().len();
                    o.advance(n);
                    return (got, Read::Done);
                }
                Read::Short => return (got, Read::Short),
                Read::Wait => return (got, Read::Wait),
                Read::Trailers(t) => return (got, Read::Trailers(t)),
            }
        }
    }

    #[test]
    fn chunked_framing_matches_the_wire_format_and_skips_empty_pieces() {
        let mut o = Outgoing::default();
        o.push_bytes(b"HEAD");
        o.stream(
            stream(&[b"abc", b"", &[b'x'; 300]], None),
            Framing::Chunked,
            None,
        );
        let (got, end) = drain(&mut o, READ_AHEAD);
        let mut want = b"HEAD3\r\nabc\r\n12c\r\n".to_vec();
        want.extend_from_slice(&[b'x'; 300]);
        want.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!((got, end), (want, Read::Done));
        assert!(o.is_empty());
    }

    #[test]
    fn a_sized_stream_stops_at_its_length_or_says_it_ended_short() {
        let mut o = Outgoing::default();
        o.stream(stream(&[b"abcd", b"efgh"], Some(6)), Framing::Raw, Some(6));
        assert_eq!(drain(&mut o, READ_AHEAD), (b"abcdef".to_vec(), Read::Done));
        let mut o = Outgoing::default();
        o.stream(stream(&[b"abcd"], Some(6)), Framing::Raw, Some(6));
        assert_eq!(drain(&mut o, READ_AHEAD), (b"abcd".to_vec(), Read::Short));
    }

    #[test]
    fn a_whole_body_follows_the_bytes_before_it_and_a_static_one_is_not_copied() {
        let mut o = Outgoing::default();
        o.push_bytes(b"head ");
        o.whole(&BodyKind::Static(b"static"), b"static");
        assert!(o.more_after_pending());
        assert_eq!(o.pending(), b"head ");
        o.advance(5);
        assert!(!o.more_after_pending());
        assert_eq!(o.pending(), b"static");
        o.advance(6);
        assert!(o.is_empty());
    }
}

//! The buffers a connection needs only while it is busy, detachable while it is idle.

use std::collections::VecDeque;

use super::Connection;
use crate::event::Ev;
use crate::headers::Arena;
use crate::stream::StreamMap;

/// The memory a [`Connection`] uses only while streams are open: the stream map, the event
/// queue and the decoded-header arena. An idle connection can hand them over
/// ([`Connection::take_spare`]) and get them, or another idle connection's, back when it
/// becomes busy ([`Connection::give_spare`]): a server that keeps these in a per-thread pool
/// holds them once per busy connection, not once per open connection, and a busy connection
/// going idle and back allocates nothing. The HPACK tables, the settings and the memory of
/// closed streams never move (they are the connection's state); the small output and header
/// buffers stay too.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Config, Connection, SpareBuffers};
/// let mut server = Connection::server(Config::default());
/// let mut spare = SpareBuffers::default();
/// assert!(server.take_spare(&mut spare)); // no stream open: the buffers move out
/// server.give_spare(&mut spare); // busy again: they move back
/// ```
#[derive(Debug, Default)]
pub struct SpareBuffers {
    streams: StreamMap,
    events: VecDeque<Ev>,
    arena: Arena,
}

impl SpareBuffers {
    /// Octets of capacity held (a pool can drop sets that grew large).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::SpareBuffers::default().capacity(), 0);
    /// ```
    pub fn capacity(&self) -> usize {
        self.streams.capacity() * std::mem::size_of::<(u32, crate::stream::Stream)>()
            + self.events.capacity() * std::mem::size_of::<Ev>()
            + self.arena.bytes.capacity()
            + self.arena.fields.capacity() * std::mem::size_of::<crate::headers::FieldRef>()
    }
}

impl Connection {
    /// Swaps the connection's stream map, event queue and header arena with `spare`'s when no
    /// stream is open and no event is pending. With an empty `spare` (what
    /// [`give_spare`](Self::give_spare) leaves), the connection then holds none of that memory
    /// until it is given buffers again or grows new ones. Returns false, changing nothing,
    /// when the connection is busy.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Config, Connection, SpareBuffers};
    /// let mut client = Connection::client(Config::default());
    /// client.send_request(&[(":method", "GET"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "a")], true)?;
    /// assert!(!client.take_spare(&mut SpareBuffers::default())); // a stream is open
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn take_spare(&mut self, spare: &mut SpareBuffers) -> bool {
        if !self.streams.is_empty() || !self.events.is_empty() {
            return false;
        }
        self.arena.clear();
        std::mem::swap(&mut self.streams, &mut spare.streams);
        std::mem::swap(&mut self.events, &mut spare.events);
        std::mem::swap(&mut self.arena, &mut spare.arena);
        true
    }

    /// Gives the connection buffers to use (from [`take_spare`](Self::take_spare) on this or
    /// another connection), each only where the connection's own is empty (one in use
    /// stays). `spare` is left with what the connection had. Call it before
    /// [`recv`](Self::recv) when the connection may turn busy.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// let mut spare = brisk_http2::SpareBuffers::default();
    /// server.give_spare(&mut spare);
    /// assert_eq!(server.open_streams(), 0);
    /// ```
    #[inline]
    pub fn give_spare(&mut self, spare: &mut SpareBuffers) {
        if self.streams.is_empty() {
            std::mem::swap(&mut self.streams, &mut spare.streams);
        }
        if self.events.is_empty() {
            spare.arena.clear();
            std::mem::swap(&mut self.events, &mut spare.events);
            std::mem::swap(&mut self.arena, &mut spare.arena);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Event};

    fn request(client: &mut Connection, server: &mut Connection) -> u32 {
        client
            .send_request(
                &[
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":path", "/"),
                    (":authority", "a"),
                ],
                true,
            )
            .unwrap();
        let mut wire = Vec::new();
        client.poll_output(&mut wire);
        server.recv(&wire).unwrap();
        let mut id = 0;
        while let Some(ev) = server.poll_event() {
            if let Event::Headers { stream, .. } = ev {
                id = stream.value();
            }
        }
        id
    }

    #[test]
    fn buffers_move_out_when_idle_and_back_when_busy() {
        let mut client = Connection::client(Config::default());
        let mut server = Connection::server(Config::default());
        let mut spare = SpareBuffers::default();
        let mut wire = Vec::new();
        server.poll_output(&mut wire);
        client.recv(&wire).unwrap();
        let id = request(&mut client, &mut server);
        // A stream is open: nothing moves.
        assert!(!server.take_spare(&mut spare));
        assert_eq!(spare.capacity(), 0);
        server
            .send_headers(crate::StreamId::new(id), &[(":status", "204")], true)
            .unwrap();
        wire.clear();
        server.poll_output(&mut wire);
        client.recv(&wire).unwrap();
        // Idle: the stream map, the event queue and the header arena move out.
        assert!(server.take_spare(&mut spare));
        assert!(spare.capacity() > 0);
        assert_eq!(server.streams.capacity(), 0);
        assert_eq!(server.events.capacity(), 0);
        assert_eq!(server.arena.bytes.capacity(), 0);
        // Back, and the connection works on: a second request on the same buffers.
        let held = spare.capacity();
        server.give_spare(&mut spare);
        assert_eq!(spare.capacity(), 0);
        assert!(server.streams.capacity() > 0);
        let id2 = request(&mut client, &mut server);
        assert_eq!(id2, id + 2);
        let mut again = SpareBuffers::default();
        server
            .send_headers(crate::StreamId::new(id2), &[(":status", "204")], true)
            .unwrap();
        wire.clear();
        server.poll_output(&mut wire);
        assert!(server.take_spare(&mut again));
        assert!(again.capacity() >= held / 2);
    }

    /// Issue 20, defect 8: a header block split over CONTINUATION frames is joined in a
    /// buffer the connection keeps; one far larger than a frame is freed after the block, so
    /// an idle connection does not hold the largest block it ever got.
    #[test]
    fn a_large_split_header_block_is_not_kept() {
        let mut client = Connection::client(Config::default());
        let mut server = Connection::server(Config::default());
        let mut wire = Vec::new();
        server.poll_output(&mut wire);
        client.recv(&wire).unwrap();
        let big = "v".repeat(40 * 1024);
        let mut fields = vec![
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "a"),
        ];
        fields.push(("x-big", big.as_str()));
        client.send_request(&fields, true).unwrap();
        wire.clear();
        client.poll_output(&mut wire);
        server.recv(&wire).unwrap();
        let mut got = false;
        while let Some(ev) = server.poll_event() {
            got |= matches!(ev, Event::Headers { .. });
        }
        assert!(got, "the split block was decoded");
        assert!(
            server.block_buf.capacity() <= 16 * 1024,
            "{} octets kept",
            server.block_buf.capacity()
        );
    }
}

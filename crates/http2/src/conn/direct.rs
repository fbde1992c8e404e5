//! DATA frames whose payload the caller writes itself: the connection accounts for the frame
//! (flow control, stream state, `END_STREAM`) and hands back its 9-byte header, so a body
//! read from a file can go straight into the caller's output buffer after the header, with
//! no copy through the connection's own buffer.

use super::{Connection, H2cHold};
use crate::error::StreamId;
use crate::frame::{flags, FrameType};
use crate::stream::Send;
use crate::user_error::UserError;

/// A DATA frame accounted for by [`Connection::reserve_data`]: write `header`, then exactly
/// `len` payload bytes, into the output right where [`Connection::poll_output`] left off.
///
/// # Examples
///
/// ```
/// let f = brisk_http2::DataFrame { len: 0, header: [0; 9] };
/// assert_eq!(f.len, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFrame {
    /// Payload bytes the caller must write after the header.
    pub len: usize,
    /// The frame header (length, type DATA, flags, stream id), to write first.
    pub header: [u8; 9],
}

impl Connection {
    /// Accounts for one DATA frame on `stream` carrying up to `max` bytes whose payload the
    /// caller writes itself, and returns its header. The payload is at most the peer's
    /// SETTINGS_MAX_FRAME_SIZE and what the stream and connection windows allow;
    /// `end_stream` applies only when all of `max` fits (`max` 0 with `end_stream` is an
    /// empty final frame). The caller writes the header and then exactly `len` bytes
    /// straight after everything [`poll_output`](Self::poll_output) returned, before
    /// anything it returns next; if it cannot (a read came up short), the connection's
    /// byte stream is broken and the caller must close it.
    ///
    /// `Ok(None)` when no frame can go now: the connection still has output of its own
    /// (call `poll_output` first, and write it out before the frame), or the windows are
    /// shut, in which case [`Event::SendReady`](crate::Event::SendReady) follows for this
    /// stream once they open, as after a short [`send_data`](Self::send_data).
    ///
    /// # Errors
    ///
    /// [`UserError::StreamNotOpen`] unless the header section was sent and the stream has
    /// not ended; [`UserError::Failed`] with the sticky connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Config, Connection};
    /// let mut client = Connection::client(Config::default());
    /// let id = client.send_request(&[(":method", "POST"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "a")], false)?;
    /// let mut wire = Vec::new();
    /// client.poll_output(&mut wire); // the connection's own frames come first
    /// let body = vec![7u8; 20_000];
    /// let f = client.reserve_data(id, body.len(), true)?.expect("windows open");
    /// assert_eq!(f.len, 16_384); // the peer's default SETTINGS_MAX_FRAME_SIZE
    /// wire.extend_from_slice(&f.header);
    /// wire.extend_from_slice(&body[..f.len]); // e.g. a pread straight into the output
    /// let rest = body.len() - f.len;
    /// let g = client.reserve_data(id, rest, true)?.expect("windows open");
    /// assert_eq!((g.len, g.header[4]), (rest, 0x1)); // the last one carries END_STREAM
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reserve_data(
        &mut self,
        stream: StreamId,
        max: usize,
        end_stream: bool,
    ) -> Result<Option<DataFrame>, UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        let id = stream.value();
        let window = match self.streams.get(&id) {
            Some(s) if s.send == Send::Open => s.send_window.min(self.conn_send_window).max(0),
            _ => return Err(UserError::StreamNotOpen(stream)),
        };
        if !self.out.is_empty() || self.h2c_hold != H2cHold::Off {
            return Ok(None);
        }
        let frame_max = self.peer.max_frame_size as usize;
        let n = max.min(window as usize).min(frame_max);
        let finish = end_stream && n == max;
        let s = self.streams.get_mut(&id).expect("open");
        if n < max && !s.blocked {
            s.blocked = true;
            self.blocked.push(id);
        }
        if n == 0 && !finish {
            return Ok(None);
        }
        s.send_window -= n as i64;
        self.conn_send_window -= n as i64;
        self.data_frames_sent += 1;
        if finish {
            s.send = Send::Closed;
            self.maybe_close(id);
        }
        let l = (n as u32).to_be_bytes();
        let sid = id.to_be_bytes();
        let f = if finish { flags::END_STREAM } else { 0 };
        Ok(Some(DataFrame {
            len: n,
            header: [
                l[1],
                l[2],
                l[3],
                FrameType::DATA.0,
                f,
                sid[0],
                sid[1],
                sid[2],
                sid[3],
            ],
        }))
    }
}

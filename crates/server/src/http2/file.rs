//! A file body over HTTP/2 with no copy through the connection: each DATA frame's header
//! comes from [`Connection::reserve_data`] and its payload is read with `pread` straight into
//! the reactor's output after it ([`Output::read_file`]).

use brisk_http2::{Connection, StreamId};
use brisk_reactor::Output;

use super::stream::Slot;

/// Smallest frame worth writing when the output has less room than the rest of the file:
/// below it the stream waits for the output to drain rather than send slivers.
const MIN_FRAME: u64 = 4096;

/// How far [`send_file`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileSent {
    /// The file is out (or the stream went).
    Done,
    /// The windows are shut: the connection reports `SendReady` when they open.
    Window,
    /// The reactor's output is full: continue once it drains.
    Output,
    /// The file ended early (truncated): a frame is short of its header's length, so the
    /// connection must close.
    Broken,
}

/// Copies the connection's own pending output into `out`. True when all of it is out.
pub(super) fn flush(
    conn: &mut Connection,
    wbuf: &mut Vec<u8>,
    wpos: &mut usize,
    out: &mut Output<'_>,
) -> bool {
    loop {
        if *wpos >= wbuf.len() {
            wbuf.clear();
            *wpos = 0;
            if conn.poll_output(wbuf) == 0 {
                return true;
            }
        }
        let n = (wbuf.len() - *wpos).min(out.remaining());
        if n == 0 {
            return false;
        }
        let _ = out.extend_from_slice(&wbuf[*wpos..*wpos + n]);
        *wpos += n;
    }
}

/// Sends as much of the slot's file range as the windows and the output allow, after the
/// connection's pending frames (its HEADERS first).
pub(super) fn send_file(
    conn: &mut Connection,
    wbuf: &mut Vec<u8>,
    wpos: &mut usize,
    slot: &mut Slot,
    out: &mut Output<'_>,
) -> FileSent {
    let id = StreamId::new(slot.id);
    loop {
        let Some(range) = slot.file.as_mut() else {
            return FileSent::Done;
        };
        if !flush(conn, wbuf, wpos, out) {
            return FileSent::Output;
        }
        let left = range.len();
        let room = out.remaining().saturating_sub(9) as u64;
        if room < left.min(MIN_FRAME) {
            return FileSent::Output;
        }
        let want = left.min(room);
        let frame = match conn.reserve_data(id, want as usize, want == left) {
            Ok(Some(f)) => f,
            Ok(None) => return FileSent::Window,
            Err(_) => {
                // The stream is gone (reset): nothing more is read or sent.
                slot.file = None;
                return FileSent::Done;
            }
        };
        let _ = out.extend_from_slice(&frame.header);
        if frame.len > 0 && out.read_file(range, frame.len).is_err() {
            slot.file = None;
            return FileSent::Broken;
        }
        if range.is_empty() {
            slot.file = None;
            return FileSent::Done;
        }
    }
}

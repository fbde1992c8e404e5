//! A file body over HTTP/2 with no copy through the connection: each DATA frame's header
//! comes from [`Connection::reserve_data`]; on cleartext connections its payload is sent
//! from the file's mapping ([`Output::push_mapped`]: `writev` copies once, from the page
//! cache), else (TLS, or no mapping) read with `pread` straight into the reactor's output
//! after it ([`Output::read_file_framed`]).

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

/// Most DATA frames read with one `preadv` (their payload regions must stay within what
/// `Output::read_file_framed` takes).
const FRAMES_PER_READ: usize = 16;

/// Sends as much of the slot's file range as the windows and the output allow, after the
/// connection's pending frames (its HEADERS first): up to [`FRAMES_PER_READ`] frames per
/// read (or mapped segment, on a `cleartext` connection), each as large as the peer's
/// SETTINGS_MAX_FRAME_SIZE allows.
pub(super) fn send_file(
    conn: &mut Connection,
    wbuf: &mut Vec<u8>,
    wpos: &mut usize,
    slot: &mut Slot,
    out: &mut Output<'_>,
    cleartext: bool,
) -> FileSent {
    let id = StreamId::new(slot.id);
    loop {
        let Some(range) = slot.file.as_mut() else {
            return FileSent::Done;
        };
        if !flush(conn, wbuf, wpos, out) {
            return FileSent::Output;
        }
        let mut left = range.len();
        // From the file's mapping on cleartext: the frames join the pending mapped segment
        // (other streams' bodies leave in the same `writev`); else read into the output.
        let (room, max) = match cleartext && range.is_mapped() {
            true => out.mapped_room(range),
            false => (out.remaining(), FRAMES_PER_READ),
        };
        let (mut room, max) = (room as u64, max.min(FRAMES_PER_READ));
        if max == 0 || room < 9 + left.min(MIN_FRAME) {
            return FileSent::Output;
        }
        let mut frames = [([0u8; 9], 0usize); FRAMES_PER_READ];
        let mut n = 0;
        let mut stop = FileSent::Output;
        while n < max && room >= 9 + left.min(MIN_FRAME) {
            let want = left.min(room - 9);
            match conn.reserve_data(id, want as usize, want == left) {
                Ok(Some(f)) => {
                    frames[n] = (f.header, f.len);
                    n += 1;
                    left -= f.len as u64;
                    room -= 9 + f.len as u64;
                    if left == 0 {
                        stop = FileSent::Done;
                        break;
                    }
                }
                Ok(None) => {
                    stop = FileSent::Window;
                    break;
                }
                Err(_) if n == 0 => {
                    // The stream is gone (reset): nothing more is read or sent.
                    slot.file = None;
                    return FileSent::Done;
                }
                Err(_) => break,
            }
        }
        let mut parts: [(&[u8], usize); FRAMES_PER_READ] = [(&[], 0); FRAMES_PER_READ];
        for (p, (h, l)) in parts.iter_mut().zip(&frames[..n]) {
            *p = (h, *l);
        }
        // From the file's mapping (one copy, by the kernel; `mapped_room` said it fits), else
        // read into the output; a mapping that no longer covers the range (the file shrank
        // before it was mapped) falls back to the read, which tells a truncated file.
        let pushed = cleartext && range.is_mapped() && out.push_mapped(range, &parts[..n]).is_ok();
        if !pushed && out.read_file_framed(range, &parts[..n]).is_err() {
            slot.file = None;
            return FileSent::Broken;
        }
        if range.is_empty() {
            slot.file = None;
            return FileSent::Done;
        }
        if stop == FileSent::Window {
            return stop;
        }
    }
}

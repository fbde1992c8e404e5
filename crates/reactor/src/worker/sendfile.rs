//! Sending a connection's file range ([`FileRange`](crate::FileRange)) with `sendfile(2)`,
//! once the blocks before it are written.

use std::io;
use std::os::fd::AsFd;

use crate::pool::Chain;

/// Most bytes offered to one `sendfile` call (the socket takes what its buffer holds).
const SENDFILE_MAX: usize = 1 << 20;

/// `sendfile` of the chain's file range into `sock` until the socket is full or
/// [`SENDFILE_MAX`] bytes went: `(sent, offered)`. A short count is retried once more, so
/// that `sent < offered` always means the socket is full (the caller then waits for its
/// writable edge): a file that ends early also gives a short count, and the next call's 0
/// tells it apart. A file that ends before the range does (truncated while being sent) is an
/// [`io::ErrorKind::UnexpectedEof`] error: the connection must close.
pub(super) fn send(sock: impl AsFd, chain: &Chain) -> (io::Result<usize>, usize) {
    let Some(f) = chain.file() else {
        return (Ok(0), 0);
    };
    let offered = usize::try_from(f.left).map_or(SENDFILE_MAX, |l| l.min(SENDFILE_MAX));
    let mut offset = f.offset;
    let mut sent = 0;
    while sent < offered {
        match rustix::fs::sendfile(&sock, &*f.file, Some(&mut offset), offered - sent) {
            Ok(0) => {
                let e = io::Error::new(io::ErrorKind::UnexpectedEof, "file shorter than sent");
                return (Err(e), offered);
            }
            Ok(n) => sent += n,
            Err(rustix::io::Errno::AGAIN) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return (Err(e.into()), offered),
        }
    }
    (Ok(sent), offered)
}

/// Sends `iov` with `MSG_MORE` (more follows at once: the file range), as `write_vectored`
/// would without the flag.
pub(super) fn send_more(sock: impl AsFd, iov: &[io::IoSlice<'_>]) -> io::Result<usize> {
    use rustix::net::{SendAncillaryBuffer, SendFlags};
    let flags = SendFlags::MORE | SendFlags::NOSIGNAL;
    let r = if iov.len() == 1 {
        rustix::net::send(&sock, &iov[0], flags)
    } else {
        rustix::net::sendmsg(&sock, iov, &mut SendAncillaryBuffer::default(), flags)
    };
    r.map_err(io::Error::from)
}

//! TLS connections (feature `tls`, see [`crate::tls`]): the handshake, before any protocol
//! exists, in a slab of its own; then, on a served connection, decrypting into the input run
//! (`tls_read`) and encrypting the protocol's plaintext chain into the output chain
//! (`tls_pump`).
//!
//! ```text
//!  accept ─> Handshake (token HS_TOKEN + key, timer hs_timers + key; rustls talks to the
//!            socket itself: no pool buffer)  ──error / EOF / timeout──> closed, counted
//!               │ done
//!               v
//!  Conn { tls: Some(TlsConn { conn, plain }) }  (re-registered under its slab key)
//!     read:  socket ─read_tls─> rustls ─reader─> input run          (tls_read)
//!     write: Output ─> plain chain ─writer─> rustls ─write_tls─> out chain ─> writev  (tls_pump)
//! ```

use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::Arc;

use arrayvec::ArrayVec;
use mio::event::Event;
use mio::net::TcpStream;
use mio::{Interest, Token};

use super::{Protocol, Worker};
use crate::pool::{Chain, InRun};
use crate::protocol::{CloseReason, ConnInfo};

/// Tokens of connections in their handshake: `HS_TOKEN + key` (far above any connection key,
/// below the listeners' tokens).
const HS_TOKEN: usize = usize::MAX / 4;

/// Most `read_tls` calls (of at most 4 KiB each) one handshake may take in one go; a
/// handshake is a few KiB, so a client past this is not doing one.
const HS_READS: usize = 32;

/// A TLS connection's state once served: rustls, and the protocol's plaintext output that
/// waits to be encrypted (empty between callbacks unless the output chain was full).
pub(crate) struct TlsConn {
    pub(super) conn: rustls::ServerConnection,
    pub(super) plain: Chain,
}

/// A TLS connection in its handshake.
pub(crate) struct Handshake {
    sock: TcpStream,
    tls: Box<TlsConn>,
    info: ConnInfo,
    readable: bool,
    writable: bool,
}

/// The socket as rustls reads it, remembering how much room the read was offered (a short
/// read means the socket is drained).
struct Src<'a> {
    sock: &'a mut TcpStream,
    offered: usize,
}

impl Read for Src<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.offered = buf.len();
        self.sock.read(buf)
    }
}

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    /// A connection accepted on a TLS listener: its handshake starts.
    #[inline(never)]
    pub(super) fn add_handshake(
        &mut self,
        mut sock: TcpStream,
        peer: std::net::SocketAddr,
        li: usize,
    ) {
        let Some(config) = self.listeners[li].tls.as_ref().map(Arc::clone) else {
            return;
        };
        let info = self.conn_info(&sock, peer, li);
        self.stats().on_accept();
        let key = self.hs.vacant_key();
        let conn = match rustls::ServerConnection::new(config) {
            Ok(c) => c,
            Err(_) => {
                self.stats().on_close(CloseReason::TlsHandshake);
                self.stats().on_tls_handshake(false);
                return;
            }
        };
        if self
            .poll
            .registry()
            .register(
                &mut sock,
                Token(HS_TOKEN + key),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.stats().on_close(CloseReason::Io(io::ErrorKind::Other));
            return;
        }
        self.hs.insert(Handshake {
            sock,
            tls: Box::new(TlsConn {
                conn,
                plain: Chain::encrypted(),
            }),
            info,
            readable: false,
            writable: false,
        });
        let tick = self.clock.tick_at(self.now + self.hs_timeout);
        self.timers.arm(self.hs_timers + key, tick);
    }

    /// A readiness event for a token that is no connection's: a handshake's, or stale.
    #[cold]
    pub(super) fn hs_event(&mut self, token: usize, ev: &Event) {
        let Some(key) = token.checked_sub(HS_TOKEN) else {
            return;
        };
        let Some(h) = self.hs.get_mut(key) else {
            return;
        };
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            h.readable = true;
        }
        if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
            h.writable = true;
        }
        self.hs_drive(key);
    }

    /// Moves a handshake on: writes what rustls has to say, reads and processes what the
    /// client sent, until the socket is drained, the handshake is done or it failed.
    fn hs_drive(&mut self, key: usize) {
        let mut reads = 0;
        loop {
            let h = &mut self.hs[key];
            while h.writable && h.tls.conn.wants_write() {
                match h.tls.conn.write_tls(&mut h.sock) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => h.writable = false,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return self.hs_close(key, CloseReason::Io(e.kind()), true),
                }
            }
            if !h.tls.conn.is_handshaking() {
                return self.hs_complete(key);
            }
            if !h.readable {
                return;
            }
            if reads == HS_READS {
                return self.hs_close(key, CloseReason::TlsHandshake, true);
            }
            reads += 1;
            match h.tls.conn.read_tls(&mut h.sock) {
                // The client closed mid-handshake.
                Ok(0) => return self.hs_close(key, CloseReason::TlsHandshake, true),
                Ok(_) => {
                    if h.tls.conn.process_new_packets().is_err() {
                        // Not TLS, no common version or cipher, a bad message: rustls queued
                        // the alert; send it (best effort: the socket is fresh) and close.
                        let _ = h.tls.conn.write_tls(&mut h.sock);
                        return self.hs_close(key, CloseReason::TlsHandshake, true);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => h.readable = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return self.hs_close(key, CloseReason::TlsHandshake, true),
            }
        }
    }

    /// The handshake is done: the protocol is made (ALPN known) and the connection joins the
    /// served ones, under its new slab key; what rustls already decrypted is delivered now.
    fn hs_complete(&mut self, key: usize) {
        let h = self.hs.remove(key);
        self.timers.cancel(self.hs_timers + key);
        let Handshake {
            mut sock,
            tls,
            mut info,
            writable,
            ..
        } = h;
        info.tls = Some(crate::tls::info_of(&tls.conn));
        let ckey = self.conns.vacant_key();
        if self
            .poll
            .registry()
            .reregister(
                &mut sock,
                Token(ckey),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.stats().on_close(CloseReason::Io(io::ErrorKind::Other));
            return;
        }
        self.stats().on_tls_handshake(true);
        let ckey = self.insert_conn(sock, &info);
        let c = &mut self.conns[ckey];
        c.tls = Some(tls);
        // rustls may hold application data that came with the client's Finished.
        c.readable = true;
        c.writable = writable;
        self.tls_pump(ckey);
        self.drive(ckey);
    }

    /// A handshake's timer fired.
    pub(super) fn hs_timed_out(&mut self, key: usize) {
        if self.hs.contains(key) {
            self.hs_close(key, CloseReason::TlsHandshakeTimeout, true);
        }
    }

    /// Closes a connection in its handshake, counting it (and as a failed handshake when
    /// `failed`).
    fn hs_close(&mut self, key: usize, reason: CloseReason, failed: bool) {
        let h = self.hs.remove(key);
        self.timers.cancel(self.hs_timers + key);
        self.stats().on_close(reason);
        if failed {
            self.stats().on_tls_handshake(false);
        }
        drop(h);
        if !self.accepting && self.drain_deadline.is_none() && self.open() < self.max_conns {
            self.resume_accepting();
        }
    }

    /// Closes every connection still in its handshake (shutdown).
    pub(super) fn hs_close_all(&mut self, reason: CloseReason) {
        let keys: Vec<usize> = self.hs.iter().map(|(k, _)| k).collect();
        for key in keys {
            self.hs_close(key, reason, false);
        }
    }

    /// Reads a TLS connection: plaintext rustls already holds first, then records from the
    /// socket, until `room` is full, the socket is drained (`WouldBlock` or a short read) or
    /// the stream ended. Returns the plaintext bytes put at the start of `room` (less than
    /// its length only when the socket is drained or at the end of the stream, so the
    /// caller's short-read rule holds), `Ok(0)` at the end of the stream, `WouldBlock` when
    /// drained with nothing, `InvalidData` for a bad record (after its alert).
    #[inline(never)]
    pub(super) fn tls_read(&mut self, key: usize, room: Range<usize>) -> io::Result<usize> {
        let c = &mut self.conns[key];
        let Some(t) = c.tls.as_deref_mut() else {
            return Err(io::ErrorKind::Unsupported.into());
        };
        let dst = &mut self.pool.mem_mut()[room];
        let (mut got, mut drained, mut eof) = (0, false, false);
        let mut failed = None;
        loop {
            match t.conn.reader().read(&mut dst[got..]) {
                // close_notify (the slice is never empty here).
                Ok(0) => eof = true,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The socket ended without close_notify.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => eof = true,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
            if got == dst.len() || eof || drained {
                break;
            }
            let mut src = Src {
                sock: &mut c.sock,
                offered: 0,
            };
            match t.conn.read_tls(&mut src) {
                Ok(0) => eof = true,
                Ok(n) => {
                    drained = n < src.offered;
                    if let Err(e) = t.conn.process_new_packets() {
                        if c.out.len == 0 {
                            // The alert rustls queued, unless records are ahead of it.
                            let _ = t.conn.write_tls(&mut c.sock);
                        }
                        failed = Some(io::Error::new(io::ErrorKind::InvalidData, e));
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => drained = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        if got > 0 && eof {
            // Deliver this first, then read on to see the end.
            c.peer_closed = true;
        }
        if t.conn.wants_write() {
            // A key update's answer and the like.
            self.tls_pump(key);
        }
        if got > 0 {
            Ok(got)
        } else if eof {
            Ok(0)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }

    /// Encrypts: what rustls has to send goes into the output chain, then the protocol's
    /// plaintext into rustls, while the output chain has room (`max_pending_output`, plus
    /// the overhead of the records when a callback filled it to the brim).
    #[inline(never)]
    pub(super) fn tls_pump(&mut self, key: usize) {
        let max_out = self.max_out;
        let cap = max_out + max_out / 8 + 2 * self.pool.block_size();
        let c = &mut self.conns[key];
        let Some(t) = c.tls.as_deref_mut() else {
            return;
        };
        loop {
            if t.conn.wants_write() {
                let (_, mut out) = self.pool.split(&InRun::default(), &mut c.out, cap);
                while t.conn.wants_write() {
                    match t.conn.write_tls(&mut out) {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
                if t.conn.wants_write() {
                    return;
                }
            }
            if t.plain.len == 0 || c.out.len >= max_out {
                return;
            }
            let n = {
                let mut iov = ArrayVec::<io::IoSlice<'_>, 16>::new();
                self.pool.gather(&t.plain, &mut iov);
                t.conn.writer().write_vectored(&iov).unwrap_or(0)
            };
            if n == 0 {
                return;
            }
            self.pool.consume_output(&mut t.plain, n);
        }
    }

    /// The connection begins to close by our choice: the last plaintext is encrypted, then
    /// (with `notify`, when all of it was) `close_notify` follows it.
    #[inline(never)]
    pub(super) fn tls_close_notify(&mut self, key: usize, notify: bool) {
        self.tls_pump(key);
        if let Some(t) = self.conns[key].tls.as_deref_mut() {
            if notify && t.plain.len == 0 {
                t.conn.send_close_notify();
                self.tls_pump(key);
            }
        }
    }

    /// Gives back the pool blocks of a TLS connection's plaintext chain (closing).
    #[inline(never)]
    pub(super) fn tls_release(&mut self, key: usize) {
        if let Some(t) = self.conns[key].tls.as_deref_mut() {
            self.pool.release_output(&mut t.plain);
        }
    }
}

//! Accepting connections: batches, pausing at `max_connections`, and backing off when the
//! process is out of descriptors (`EMFILE`) or the kernel out of memory: the listeners leave
//! the poll until a connection closes or `Config::accept_backoff` passes, so a full backlog
//! cannot turn the worker into a loop of failing `accept4` calls.

use std::io;
use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::{Interest, Token};

use super::{listener_token, Conn, Protocol, Worker, NIL};
use crate::listen::ListenerKind;
use crate::pool::{Chain, InRun};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};
use crate::report::AcceptError;

/// `accept` failed because of that one connection (aborted, or a network error the kernel
/// passes on, which accept(2) says to retry), or was interrupted: the next may be fine. Any
/// other error (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`: out of descriptors or memory) would
/// fail again at once.
fn retry_now(e: &io::Error) -> bool {
    // EPERM (a firewall), EPROTO, ENONET, ENOPROTOOPT, EOPNOTSUPP, ENETDOWN, ENETUNREACH,
    // ECONNABORTED, EHOSTDOWN, EHOSTUNREACH.
    const PER_CONNECTION: [i32; 10] = [1, 71, 64, 92, 95, 100, 101, 103, 112, 113];
    e.kind() == io::ErrorKind::Interrupted
        || e.raw_os_error()
            .is_some_and(|n| PER_CONNECTION.contains(&n))
}

impl<A, P> Worker<A, P>
where
    A: FnMut(&ConnInfo) -> P,
    P: Protocol,
{
    pub(super) fn accept(&mut self, li: usize) {
        for _ in 0..self.accept_batch {
            if !self.accepting {
                return;
            }
            let Some(l) = self.listeners[li].sock.as_ref() else {
                return;
            };
            match l.accept() {
                Ok((sock, peer)) => {
                    self.add_conn(sock, peer, li);
                    if self.open() >= self.max_conns {
                        self.pause_accepting();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.listeners[li].ready = false;
                    return;
                }
                Err(e) if retry_now(&e) => {}
                Err(e) => {
                    // The connection stays in the backlog.
                    self.accept_failed(&e);
                    return;
                }
            }
        }
        // Batch spent: `ready` stays set and `poll_timeout` comes back at once.
    }

    /// Out of descriptors or memory: stop accepting until a connection closes (`remove`) or
    /// the back-off passes (`fire_timers`); count it and report it (rate-limited).
    #[cold]
    #[inline(never)]
    fn accept_failed(&mut self, e: &io::Error) {
        self.stats().on_accept_error();
        self.pause_accepting();
        self.accept_retry_at = Some(self.now + self.accept_backoff);
        let shared = &*self.shared;
        let (worker, open, backoff) = (self.index, self.open(), self.accept_backoff);
        shared.reporter.report(self.now, |hook| {
            hook(&AcceptError::new(
                e,
                worker,
                open,
                shared.accept_errors(),
                backoff,
            ))
        });
    }

    fn add_conn(&mut self, mut sock: TcpStream, peer: SocketAddr, li: usize) {
        #[cfg(feature = "tls")]
        if self.listeners[li].tls.is_some() {
            self.add_handshake(sock, peer, li);
            return;
        }
        let key = self.conns.vacant_key();
        if self
            .poll
            .registry()
            .register(
                &mut sock,
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            return;
        }
        let info = self.conn_info(&sock, peer, li);
        self.insert_conn(sock, &info);
        self.stats().on_accept();
    }

    /// What the factory is told about a connection accepted on listener `li`.
    pub(super) fn conn_info(&self, sock: &TcpStream, peer: SocketAddr, li: usize) -> ConnInfo {
        let (laddr, kind) = (self.listeners[li].addr, self.listeners[li].kind);
        let local = if kind == ListenerKind::Unix || !laddr.ip().is_unspecified() {
            laddr
        } else {
            sock.local_addr().unwrap_or(laddr)
        };
        ConnInfo {
            peer,
            local,
            worker: self.index,
            listener: li,
            kind,
            tls: None,
        }
    }

    /// Makes the protocol and inserts the connection (registered under the slab's vacant
    /// key) with its `Start` timer armed. Returns its key.
    pub(super) fn insert_conn(&mut self, sock: TcpStream, info: &ConnInfo) -> usize {
        let key = self.conns.vacant_key();
        if key >= self.stamps.len() {
            // Not reached: live connections never exceed `max_connections`.
            self.stamps.resize(key + 1, 0);
        }
        let proto = (self.factory)(info);
        self.conns.insert(Conn {
            sock,
            proto,
            input: InRun::default(),
            out: Chain::default(),
            kind: Some(TimeoutKind::Start),
            readable: false,
            writable: false,
            peer_closed: false,
            closing: false,
            close_reason: CloseReason::Protocol,
            redeliver: false,
            paused: false,
            in_again: false,
            in_flush: false,
            starved: false,
            lingering: false,
            lingered: 0,
            starved_prev: NIL,
            starved_next: NIL,
            #[cfg(feature = "tls")]
            tls: None,
        });
        let tick = self
            .clock
            .tick_at(self.now + self.clock.timeouts[TimeoutKind::Start.index()]);
        self.timers.arm(key * 2, tick);
        key
    }

    pub(super) fn pause_accepting(&mut self) {
        self.accepting = false;
        for l in &mut self.listeners {
            if let Some(s) = l.sock.as_mut() {
                // A failure leaves the listener registered: we would only be woken for
                // connections we do not accept yet, which is harmless.
                let _ = self.poll.registry().deregister(s);
            }
        }
    }

    pub(super) fn resume_accepting(&mut self) {
        self.accepting = true;
        self.accept_retry_at = None;
        for (i, l) in self.listeners.iter_mut().enumerate() {
            if let Some(s) = l.sock.as_mut() {
                let _ = self
                    .poll
                    .registry()
                    .register(s, listener_token(i), Interest::READABLE);
                // Connections may have queued meanwhile; registering reports them too, but
                // looking once costs one accept at most.
                l.ready = true;
            }
        }
    }
}

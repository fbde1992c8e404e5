//! Accepting connections: batches, backoff, pausing at `max_connections`.

use std::io;
use std::net::SocketAddr;

use mio::net::TcpStream;
use mio::{Interest, Token};

use super::{listener_token, Conn, Protocol, Worker, NIL};
use crate::pool::{Chain, InRun};
use crate::protocol::{CloseReason, ConnInfo, TimeoutKind};

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
                    if self.conns.len() >= self.max_conns {
                        self.pause_accepting();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.listeners[li].ready = false;
                    return;
                }
                Err(e)
                    if e.kind() == io::ErrorKind::Interrupted
                        || e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(_) => {
                    // EMFILE, ENFILE, ENOBUFS...: the connection stays in the backlog; try
                    // again on the next tick rather than spinning.
                    self.listeners[li].ready = false;
                    self.accept_backoff = true;
                    return;
                }
            }
        }
        // Batch spent: `ready` stays set and `poll_timeout` comes back at once.
    }

    fn add_conn(&mut self, mut sock: TcpStream, peer: SocketAddr, li: usize) {
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
        let laddr = self.listeners[li].addr;
        let local = if laddr.ip().is_unspecified() {
            sock.local_addr().unwrap_or(laddr)
        } else {
            laddr
        };
        let info = ConnInfo {
            peer,
            local,
            worker: self.index,
            listener: li,
        };
        if key >= self.stamps.len() {
            // Not reached: live connections never exceed `max_connections`.
            self.stamps.resize(key + 1, 0);
        }
        let proto = (self.factory)(&info);
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
        });
        let tick = self
            .clock
            .tick_at(self.now + self.clock.timeouts[TimeoutKind::Start.index()]);
        self.timers.arm(key * 2, tick);
        self.stats().on_accept();
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

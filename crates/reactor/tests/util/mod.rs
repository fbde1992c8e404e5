//! Helpers shared by the loopback tests: test protocols, clients, a tiny PRNG.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use brisk_reactor::{Action, Context, Output, Protocol, Reactor, TimeoutKind};

/// A builder bound to an ephemeral loopback port.
pub fn reactor() -> Reactor {
    Reactor::new().bind("127.0.0.1:0".parse().unwrap())
}

/// Echoes what fits; arms the idle timer on every read.
pub struct Echo;

impl Protocol for Echo {
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let n = input.len().min(out.remaining());
        out.extend_from_slice(&input[..n])
            .expect("bounded by remaining");
        cx.set_timeout(TimeoutKind::Idle);
        (n, Action::Keep)
    }

    fn on_timeout(
        &mut self,
        _cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        say_timeout(kind, out)
    }
}

/// Like HTTP's 408: says why (`timeout: KIND`) before closing.
pub fn say_timeout(kind: TimeoutKind, out: &mut Output<'_>) -> Action {
    let _ = out.extend_from_slice(format!("timeout: {kind}\n").as_bytes());
    Action::CloseAfterFlush
}

/// Newline-terminated lines, each handed (without its newline) to the function, whose action
/// follows; input without a newline waits. A timeout is answered as [`Echo`]'s.
pub struct LineFn<F>(pub F);

impl<F> Protocol for LineFn<F>
where
    F: FnMut(&mut Context<'_>, &[u8], &mut Output<'_>) -> Action,
{
    fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        match input.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, (self.0)(cx, &input[..i], out)),
            None => (0, Action::Keep),
        }
    }

    fn on_timeout(
        &mut self,
        _cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        say_timeout(kind, out)
    }
}

/// Frames: a 4-byte big-endian length, then that many bytes. Echoes whole frames only, so it
/// needs each frame contiguous in its input (frames may be larger than one pool buffer).
/// During shutdown it finishes a frame in progress, then closes.
#[derive(Default)]
pub struct Framed {
    partial: bool,
    draining: bool,
}

impl Protocol for Framed {
    fn on_read(
        &mut self,
        _cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let mut at = 0;
        while input.len() - at >= 4 {
            let len = u32::from_be_bytes(input[at..at + 4].try_into().unwrap()) as usize;
            if input.len() - at < 4 + len {
                break;
            }
            if out.extend_from_slice(&input[at..at + 4 + len]).is_err() {
                break; // handed back once output drains
            }
            at += 4 + len;
        }
        self.partial = at < input.len();
        if self.draining && !self.partial {
            return (at, Action::CloseAfterFlush);
        }
        (at, Action::Keep)
    }

    fn on_drain(&mut self, _cx: &mut Context<'_>, _out: &mut Output<'_>) -> Action {
        self.draining = true;
        if self.partial {
            Action::Keep
        } else {
            Action::CloseAfterFlush
        }
    }
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Sends `msg` and checks that exactly `msg` comes back.
pub fn roundtrip(s: &mut TcpStream, msg: &[u8], scratch: &mut Vec<u8>) {
    s.write_all(msg).expect("write");
    scratch.resize(msg.len(), 0);
    s.read_exact(scratch).expect("read echo");
    assert!(scratch[..] == msg[..], "echo differs");
}

/// True if the peer closed (EOF or reset) within the read timeout already set on `s`.
pub fn closed_by_peer(s: &mut TcpStream) -> bool {
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// xorshift64*: deterministic, seeded per client (shared with the other crates' tests).
#[allow(unused_imports)] // not every test file uses it
pub use brisk_testkit::Rng;

//! Steady state allocates nothing per request on h2c either, including a connection that goes
//! idle after every response (its stream map, event queue, header arena and stream slots then
//! go to the worker's pool and come back with the next request): the `brisk` binary built with
//! the `count-alloc` feature reports its allocation count at `GET /__allocations`.

mod util;

use std::io::{Read, Write};
use std::net::TcpStream;

use util::{count_alloc_brisk, read_response};

fn allocations(addr: std::net::SocketAddr) -> u64 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /__allocations HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap().parse().unwrap()
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = (payload.len() as u32).to_be_bytes()[1..].to_vec();
    f.extend_from_slice(&[kind, flags]);
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An h2c client doing `GET /plaintext` in batches of concurrent streams.
struct Client {
    s: TcpStream,
    next: u32,
    payload: Vec<u8>,
}

impl Client {
    fn connect(addr: std::net::SocketAddr) -> Client {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        let mut wire = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        wire.extend(frame(4, 0, 0, &[]));
        // A large connection window: the client never runs the server out of credit.
        wire.extend(frame(8, 0, 0, &(1u32 << 30).to_be_bytes()));
        s.write_all(&wire).unwrap();
        Client {
            s,
            next: 1,
            payload: vec![0; 16 * 1024],
        }
    }

    /// Sends `n` requests at once and reads until all have ended.
    fn batch(&mut self, n: usize) {
        let mut wire = Vec::new();
        let mut open = Vec::new();
        for _ in 0..n {
            let mut block = vec![0x82, 0x86, 0x44, 10];
            block.extend_from_slice(b"/plaintext");
            block.extend_from_slice(&[0x41, 9]);
            block.extend_from_slice(b"localhost");
            wire.extend(frame(1, 0x5, self.next, &block));
            open.push(self.next);
            self.next += 2;
        }
        self.s.write_all(&wire).unwrap();
        let mut head = [0u8; 9];
        while !open.is_empty() {
            self.s.read_exact(&mut head).unwrap();
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let (kind, flags) = (head[3], head[4]);
            let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
            self.s.read_exact(&mut self.payload[..len]).unwrap();
            match kind {
                4 if flags & 1 == 0 => self.s.write_all(&frame(4, 1, 0, &[])).unwrap(),
                3 | 7 => panic!("frame type {kind} on stream {stream}"),
                0 | 1 if flags & 1 == 1 => open.retain(|&id| id != stream),
                _ => {}
            }
        }
    }
}

#[test]
fn h2c_requests_allocate_nothing_in_steady_state() {
    let b = count_alloc_brisk(&["--workers", "1"]);

    let mut clients: Vec<Client> = (0..4).map(|_| Client::connect(b.addr)).collect();
    let round = |clients: &mut Vec<Client>, n: usize| {
        for _ in 0..n {
            // One request at a time: each connection goes idle after every response.
            for c in clients.iter_mut() {
                c.batch(1);
            }
            // Concurrent streams.
            clients[0].batch(10);
        }
    };
    // Warm up: buffers and the pool grow to their working size, the Date cache is filled.
    round(&mut clients, 200);
    allocations(b.addr);
    let before = allocations(b.addr);
    round(&mut clients, 500);
    let after = allocations(b.addr);
    assert_eq!(
        after - before,
        0,
        "{} allocations over 7,000 h2c requests",
        after - before
    );
    // The counter is live: a new h2c connection allocates (its state).
    let mut fresh = Client::connect(b.addr);
    fresh.batch(1);
    assert!(allocations(b.addr) > after, "counter did not move");
}

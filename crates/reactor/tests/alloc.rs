//! A pool of 8 buffers serving 100 concurrent clients: all complete, and the worker thread
//! allocates nothing while serving (a counting global allocator counts every allocation made
//! on the worker thread). Clients have a 4 KiB receive buffer and the server a 4 KiB send buffer, so echoes wait in
//! the pool and
//! the pool is the bottleneck (its peak and wait count are checked).

mod util;

use std::time::{Duration, Instant};

use util::{connect, reactor, roundtrip, Echo, Rng};

#[global_allocator]
static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;

#[test]
fn pool_of_8_buffers_serves_100_clients_without_allocating() {
    const POOL: usize = 8;
    const CLIENTS: usize = 100;
    const MESSAGES: usize = 50;
    let handle = reactor()
        .workers(1)
        .pool_size(POOL)
        .socket_send_buffer(4096)
        .start_per_worker(|_worker| {
            brisk_testkit::count_thread_globally();
            |_: &brisk_reactor::ConnInfo| Echo
        })
        .unwrap();
    let addr = handle.local_addr();

    // Warm-up: one connection through every path once (accept, read, write, close).
    {
        let mut c = connect(addr);
        roundtrip(&mut c, &[7; 40_000], &mut Vec::new());
    }
    std::thread::sleep(Duration::from_millis(100));
    let before = brisk_testkit::global_allocations();

    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                let mut rng = Rng(c as u64 * 7919 + 1);
                // A tiny receive window: the server's output waits in its pool, so 100 clients
                // fight over 8 buffers.
                let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
                    .unwrap();
                sock.set_recv_buffer_size(4096).unwrap();
                sock.connect(&addr.into()).unwrap();
                let mut s: std::net::TcpStream = sock.into();
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                let mut msg = vec![0u8; 64 * 1024];
                let mut scratch = Vec::with_capacity(64 * 1024);
                for _ in 0..MESSAGES {
                    let len = 1 + rng.below(64 * 1024) as usize;
                    rng.fill(&mut msg[..len]);
                    roundtrip(&mut s, &msg[..len], &mut scratch);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client failed");
    }
    // Wait for the worker to see every close (and publish its gauges).
    while handle.totals().closed < (CLIENTS + 1) as u64 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let took = started.elapsed();
    let after = brisk_testkit::global_allocations();
    let t = handle.totals();
    eprintln!(
        "pool of {POOL}: {CLIENTS} clients x {MESSAGES} messages in {took:?}; {} MiB echoed; \
         peak buffers in use {}; waits for the pool {}; worker allocations while serving: {}",
        t.bytes_out >> 20,
        handle.workers()[0].buffers_peak(),
        handle.workers()[0].pool_waits(),
        after - before
    );
    assert_eq!(after - before, 0, "the worker allocated while serving");
    // The pool was the bottleneck: full at some point, and connections waited for it.
    assert_eq!(handle.workers()[0].buffers_peak(), POOL as u64);
    assert!(handle.workers()[0].pool_waits() > 0);
    assert_eq!(t.accepted, CLIENTS as u64 + 1);
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
    assert_eq!(handle.totals().buffers_in_use, 0);
}

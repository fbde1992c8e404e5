//! "No allocation per frame in steady state": after warm-up, full request/response cycles
//! through both roles (HEADERS + DATA both ways, WINDOW_UPDATEs, PINGs) allocate nothing.
//! Allocations are counted per thread (the test thread only).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::thread::LocalKey;

use brisk_http2::{Config, Connection, Event, StreamId};

struct Counting;

thread_local! {
    static ALLOCS_TL: Cell<usize> = const { Cell::new(0) };
}

/// A per-thread counter with the `AtomicUsize` calls used below: only what the measuring
/// thread allocates is counted, so the test harness's own threads (which may allocate while
/// a loaded machine keeps the test running) cannot disturb a measurement.
struct PerThread(&'static LocalKey<Cell<usize>>);

impl PerThread {
    fn load(&self, _: Ordering) -> usize {
        self.0.try_with(Cell::get).unwrap_or(0)
    }
    fn fetch_add(&self, n: usize, _: Ordering) -> usize {
        self.0
            .try_with(|c| c.replace(c.get().wrapping_add(n)))
            .unwrap_or(0)
    }
}

static ALLOCS: PerThread = PerThread(&ALLOCS_TL);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn pump(from: &mut Connection, to: &mut Connection, wire: &mut Vec<u8>) {
    wire.clear();
    from.poll_output(wire);
    assert_eq!(to.recv(wire).unwrap(), wire.len());
}

fn cycle(
    client: &mut Connection,
    server: &mut Connection,
    wire: &mut Vec<u8>,
    body: &[u8],
    consumed: &mut Vec<(StreamId, usize)>,
) {
    let fields = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/upload"),
        (":authority", "localhost"),
        ("content-type", "application/octet-stream"),
    ];
    let id = client.send_request(&fields, false).unwrap();
    assert_eq!(client.send_data(id, body, true).unwrap(), body.len());
    client.ping(*b"alloc-pi");
    pump(client, server, wire);
    let mut done = None;
    while let Some(ev) = server.poll_event() {
        if let Event::Data {
            stream,
            data,
            end_stream,
        } = ev
        {
            consumed.push((stream, data.len()));
            if end_stream {
                done = Some(stream);
            }
        }
    }
    for (s, n) in consumed.drain(..) {
        server.consume(s, n);
    }
    let s = done.unwrap();
    server
        .send_headers(
            s,
            &[(":status", "200"), ("content-type", "text/plain")],
            false,
        )
        .unwrap();
    assert_eq!(server.send_data(s, body, true).unwrap(), body.len());
    pump(server, client, wire);
    while let Some(ev) = client.poll_event() {
        if let Event::Data { stream, data, .. } = ev {
            consumed.push((stream, data.len()));
        }
    }
    for (s, n) in consumed.drain(..) {
        client.consume(s, n);
    }
    pump(client, server, wire);
    while server.poll_event().is_some() {}
}

#[test]
fn steady_state_cycles_do_not_allocate() {
    // The counter is live on this thread: a deliberate allocation moves it.
    let probe = ALLOCS.load(Ordering::Relaxed);
    std::hint::black_box(vec![0u8; 16]);
    assert!(
        ALLOCS.load(Ordering::Relaxed) > probe,
        "the counting allocator sees this thread"
    );
    let mut client = Connection::client(Config::default());
    let mut server = Connection::server(Config::default());
    let mut wire = Vec::with_capacity(1 << 20);
    let mut consumed = Vec::with_capacity(64);
    let body = vec![b'z'; 3000];
    pump(&mut client, &mut server, &mut wire);
    pump(&mut server, &mut client, &mut wire);
    pump(&mut client, &mut server, &mut wire);
    for _ in 0..500 {
        cycle(&mut client, &mut server, &mut wire, &body, &mut consumed);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..2_000 {
        cycle(&mut client, &mut server, &mut wire, &body, &mut consumed);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(
        allocs, 0,
        "{allocs} allocations in 2,000 steady-state cycles"
    );
}

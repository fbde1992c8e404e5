//! "No allocation per frame in steady state": after warm-up, full request/response cycles
//! through both roles (HEADERS + DATA both ways, WINDOW_UPDATEs, PINGs) allocate nothing.
//! Allocations are counted per thread (the test thread only).

use brisk_http2::{Config, Connection, Event, StreamId};

#[global_allocator]
static GLOBAL: brisk_testkit::CountingAlloc = brisk_testkit::CountingAlloc;

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
    let probe = brisk_testkit::allocations();
    std::hint::black_box(vec![0u8; 16]);
    assert!(
        brisk_testkit::allocations() > probe,
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
    let before = brisk_testkit::allocations();
    for _ in 0..2_000 {
        cycle(&mut client, &mut server, &mut wire, &body, &mut consumed);
    }
    let allocs = brisk_testkit::allocations() - before;
    assert_eq!(
        allocs, 0,
        "{allocs} allocations in 2,000 steady-state cycles"
    );
}

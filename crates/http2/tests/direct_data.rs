//! `Connection::reserve_data`: DATA frames whose payload the caller writes itself (a file
//! read straight into the output) are accounted like `send_data`'s: frame size, windows,
//! END_STREAM, SendReady after a window update, and never ahead of the connection's output.

use brisk_http2::{Config, Connection, Event, StreamId, UserError};

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A client and a server with one GET stream open on the server, all output exchanged.
fn pair() -> (Connection, Connection, StreamId) {
    // The client keeps RFC 9113's initial windows (65535), so the test sees them shut.
    let mut cc = Config::default();
    cc.initial_window_size = 65_535;
    cc.connection_window_size = 65_535;
    let mut client = Connection::client(cc);
    let mut server = Connection::server(Config::default());
    let id = client
        .send_request(
            &[
                (":method", "GET"),
                (":scheme", "http"),
                (":path", "/f"),
                (":authority", "a"),
            ],
            true,
        )
        .unwrap();
    let mut wire = Vec::new();
    client.poll_output(&mut wire);
    server.recv(&wire).unwrap();
    while server.poll_event().is_some() {}
    wire.clear();
    server.poll_output(&mut wire);
    client.recv(&wire).unwrap();
    while client.poll_event().is_some() {}
    wire.clear();
    client.poll_output(&mut wire);
    server.recv(&wire).unwrap();
    while server.poll_event().is_some() {}
    (client, server, id)
}

/// What the client got: body bytes and whether the stream ended.
fn receive(client: &mut Connection, wire: &[u8]) -> (Vec<u8>, bool, Option<u16>) {
    client.recv(wire).unwrap();
    let (mut body, mut ended, mut status) = (Vec::new(), false, None);
    while let Some(ev) = client.poll_event() {
        match ev {
            Event::Headers {
                headers,
                end_stream,
                ..
            } => {
                status = headers.status();
                ended |= end_stream;
            }
            Event::Data {
                stream,
                data,
                end_stream,
            } => {
                body.extend_from_slice(data);
                let n = data.len();
                client.consume(stream, n);
                ended |= end_stream;
            }
            _ => {}
        }
    }
    (body, ended, status)
}

#[test]
fn a_body_written_by_the_caller_arrives_whole_in_frames_of_the_peers_size() {
    let (mut client, mut server, id) = pair();
    server
        .send_headers(
            id,
            &[(":status", "200"), ("content-length", "40000")],
            false,
        )
        .unwrap();
    let body = pattern(40_000);
    let mut wire = Vec::new();
    // The HEADERS frame is still in the connection: no frame may go ahead of it.
    assert_eq!(server.reserve_data(id, body.len(), true).unwrap(), None);
    server.poll_output(&mut wire);
    let mut off = 0;
    let mut sizes = Vec::new();
    while off < body.len() {
        let f = server
            .reserve_data(id, body.len() - off, true)
            .unwrap()
            .expect("window open");
        sizes.push(f.len);
        wire.extend_from_slice(&f.header);
        wire.extend_from_slice(&body[off..off + f.len]);
        off += f.len;
        // Nothing of the connection's own was queued meanwhile.
        assert_eq!(server.poll_output(&mut Vec::new()), 0);
    }
    assert_eq!(sizes, [16_384, 16_384, 7_232]);
    let (got, ended, status) = receive(&mut client, &wire);
    assert_eq!(status, Some(200));
    assert!(ended, "the last frame carries END_STREAM");
    assert_eq!(got, body);
    // The stream is over: no more frames on it.
    assert_eq!(
        server.reserve_data(id, 1, true),
        Err(UserError::StreamNotOpen(id))
    );
}

#[test]
fn the_windows_bound_the_frames_and_send_ready_follows_a_window_update() {
    let (mut client, mut server, id) = pair();
    server
        .send_headers(id, &[(":status", "200")], false)
        .unwrap();
    let body = pattern(100_000);
    let mut wire = Vec::new();
    server.poll_output(&mut wire);
    let mut off = 0;
    while let Some(f) = server.reserve_data(id, body.len() - off, true).unwrap() {
        wire.extend_from_slice(&f.header);
        wire.extend_from_slice(&body[off..off + f.len]);
        off += f.len;
    }
    // The initial windows (65535) are spent: the rest waits.
    assert_eq!(off, 65_535);
    assert_eq!(server.send_capacity_of(id), Some(0));
    let (got, ended, _) = receive(&mut client, &wire);
    assert_eq!((got.len(), ended), (65_535, false));
    // The client's WINDOW_UPDATEs wake the stream.
    wire.clear();
    client.poll_output(&mut wire);
    server.recv(&wire).unwrap();
    let mut ready = false;
    while let Some(ev) = server.poll_event() {
        ready |= matches!(ev, Event::SendReady { stream } if stream == id);
    }
    assert!(ready, "SendReady after the window update");
    wire.clear();
    server.poll_output(&mut wire);
    while off < body.len() {
        let f = server
            .reserve_data(id, body.len() - off, true)
            .unwrap()
            .expect("window open again");
        wire.extend_from_slice(&f.header);
        wire.extend_from_slice(&body[off..off + f.len]);
        off += f.len;
    }
    let (rest, ended, _) = receive(&mut client, &wire);
    assert!(ended);
    assert_eq!([got, rest].concat(), body);
}

#[test]
fn an_empty_final_frame_ends_the_stream() {
    let (mut client, mut server, id) = pair();
    server
        .send_headers(id, &[(":status", "200")], false)
        .unwrap();
    let mut wire = Vec::new();
    server.poll_output(&mut wire);
    let f = server.reserve_data(id, 0, true).unwrap().expect("a frame");
    assert_eq!(f.len, 0);
    wire.extend_from_slice(&f.header);
    let (body, ended, _) = receive(&mut client, &wire);
    assert!(body.is_empty() && ended);
}

#[test]
fn a_stream_without_a_header_section_is_refused() {
    let (_client, mut server, id) = pair();
    assert_eq!(
        server.reserve_data(id, 10, false),
        Err(UserError::StreamNotOpen(id))
    );
}

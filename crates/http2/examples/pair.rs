//! A client and a server connection talking through two in-memory byte vectors: the client
//! posts a body, the server echoes it back upper-cased. No socket, no thread, no clock: the
//! same calls a reactor makes with real sockets.
//!
//! ```sh
//! cargo run -p brisk-http2 --example pair
//! ```
use brisk_http2::{Config, Connection, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut client = Connection::client(Config::default());
    let mut server = Connection::server(Config::default());
    let request = [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/shout"),
        (":authority", "example.com"),
    ];
    let id = client.send_request(&request, false)?;
    client.send_data(id, b"hello, http/2", true)?;

    // Client -> server: everything the client queued, in one buffer.
    let mut wire = Vec::new();
    client.poll_output(&mut wire);
    println!(
        "client -> server: {} bytes (preface, SETTINGS, HEADERS, DATA)",
        wire.len()
    );
    let used = server.recv(&wire)?;
    assert_eq!(used, wire.len());
    let mut body = Vec::new();
    let mut done = None;
    while let Some(event) = server.poll_event() {
        match event {
            Event::Headers {
                stream, headers, ..
            } => {
                println!(
                    "server: request {stream:?} for {:?}",
                    headers.path().map(String::from_utf8_lossy)
                );
            }
            Event::Data {
                stream,
                data,
                end_stream,
            } => {
                body.extend_from_slice(data);
                let n = data.len();
                server.consume(stream, n); // give the flow-control credit back
                if end_stream {
                    done = Some(stream);
                }
            }
            _ => {}
        }
    }
    let stream = done.ok_or("the request body did not end")?;
    let answer = body.to_ascii_uppercase();
    let length = answer.len().to_string();
    server.send_headers(
        stream,
        &[(":status", "200"), ("content-length", &length)],
        false,
    )?;
    server.send_data(stream, &answer, true)?;

    // Server -> client.
    wire.clear();
    server.poll_output(&mut wire);
    println!(
        "server -> client: {} bytes (SETTINGS, acks, HEADERS, DATA)",
        wire.len()
    );
    client.recv(&wire)?;
    while let Some(event) = client.poll_event() {
        match event {
            Event::Headers { headers, .. } => println!("client: status {:?}", headers.status()),
            Event::Data { data, .. } => {
                println!("client: body {:?}", String::from_utf8_lossy(data))
            }
            _ => {}
        }
    }
    Ok(())
}

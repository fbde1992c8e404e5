//! A blocking h2c (HTTP/2 over cleartext, prior knowledge) server on std's `TcpListener`, one
//! thread per connection: read, `recv`, answer the events, `poll_output`, write. It answers
//! every request with the path it asked for, and honours `poll_timeout`/`handle_timeout`.
//!
//! ```sh
//! cargo run -p brisk-http2 --example blocking_server
//! curl --http2-prior-knowledge localhost:8082/anything     # or: h2load -n 1000 -c 10 http://localhost:8082/
//! ```
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, Event};

fn serve(mut sock: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = Connection::server(Config::default());
    let mut input = vec![0u8; 64 * 1024];
    let mut filled = 0;
    let mut output = Vec::new();
    let mut answers = Vec::new();
    loop {
        // Wait for input at most until the connection's next deadline.
        let wait = conn.poll_timeout().map(|t| {
            t.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        sock.set_read_timeout(wait.or(Some(Duration::from_secs(60))))?;
        match sock.read(&mut input[filled..]) {
            Ok(0) => return Ok(()),
            Ok(n) => filled += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e.into()),
        }
        if conn.poll_timeout().is_some_and(|t| t <= Instant::now()) {
            conn.handle_timeout(Instant::now());
        }
        let used = conn.recv(&input[..filled])?;
        input.copy_within(used..filled, 0);
        filled -= used;
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => {
                    let path = String::from_utf8_lossy(headers.path().unwrap_or(b"/")).into_owned();
                    answers.push((stream, format!("you asked for {path}\n"), end_stream));
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    let n = data.len();
                    conn.consume(stream, n);
                    if end_stream {
                        answers
                            .iter_mut()
                            .filter(|a| a.0 == stream)
                            .for_each(|a| a.2 = true);
                    }
                }
                _ => {}
            }
        }
        // Answer the requests whose body has ended.
        for (stream, text, _) in answers.iter().filter(|a| a.2) {
            let length = text.len().to_string();
            conn.send_headers(
                *stream,
                &[(":status", "200"), ("content-length", &length)],
                false,
            )?;
            conn.send_data(*stream, text.as_bytes(), true)?;
        }
        answers.retain(|a| !a.2);
        output.clear();
        conn.poll_output(&mut output);
        sock.write_all(&output)?;
        if conn.is_closed() {
            return Ok(());
        }
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8082".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    eprintln!("h2c on http://{}", listener.local_addr()?);
    for sock in listener.incoming() {
        let sock = sock?;
        std::thread::spawn(move || {
            if let Err(e) = serve(sock) {
                eprintln!("connection closed: {e}");
            }
        });
    }
    Ok(())
}

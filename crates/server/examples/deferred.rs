//! Answering later, from another thread: `GET /slow?ms=N` hands its `Responder` to a thread
//! that sleeps N ms (at most 10 s) and then sends the response. The worker keeps serving other
//! connections meanwhile; a client that leaves first makes `send` fail harmlessly.
//!
//! ```sh
//! cargo run --release -p brisk-server --example deferred    # curl 'localhost:8080/slow?ms=500'
//! ```
use std::time::Duration;

use brisk_server::{Method, Response, Server};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let server = Server::builder()
        .bind(format!("127.0.0.1:{port}").parse()?)
        .route(Method::Get, "/slow", |req, res| {
            let ms: u64 = req
                .query_param("ms")
                .and_then(|v| v.parse().ok())
                .unwrap_or(100)
                .min(10_000);
            let responder = res.defer();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(ms));
                let mut answer = Response::new();
                answer.text(format!("answered after {ms} ms\n"));
                // Err only when the client has gone: nothing to do then.
                let _ = responder.send(answer);
            });
        })
        .start()?;
    eprintln!("try http://{}/slow?ms=500", server.local_addr());
    server.join();
    Ok(())
}

//! Serves a directory: ETag and Last-Modified with 304 answers, byte ranges, index.html, and no
//! way out of the directory (`..`, encoded slashes and symlinks leaving it are refused).
//!
//! ```sh
//! cargo run --release -p brisk-server --example static_dir -- ./public   # curl localhost:8080/
//! ```
//! The directory defaults to the current one; `PORT` picks another port.
use brisk_server::Server;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let server = Server::builder()
        .bind(format!("127.0.0.1:{port}").parse()?)
        .static_dir("/", &dir)
        .start()?;
    eprintln!("serving {dir} on http://{}", server.local_addr());
    server.join();
    Ok(())
}

//! The smallest Brisk server: one route with a path parameter, HTTP/1.1 and h2c on one port.
//!
//! ```sh
//! cargo run --release -p brisk-server --example hello      # then: curl localhost:8080/hello/you
//! ```
//! `PORT` picks another port. Stop it with Ctrl-C.
use brisk_server::{Method, Server};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let server = Server::builder()
        .bind(format!("127.0.0.1:{port}").parse()?)
        .route(Method::Get, "/hello/{name}", |req, res| {
            let name = req.param("name").unwrap_or("world");
            res.text(format!("Hello, {name}!\n"));
        })
        .start()?;
    eprintln!("listening on http://{}", server.local_addr());
    server.join();
    Ok(())
}

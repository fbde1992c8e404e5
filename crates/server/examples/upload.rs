//! A streamed upload: `PUT /upload` hashes the body piece by piece as it arrives (nothing is
//! buffered whole, so the size limit is `Limits::max_upload_size`, not the body limit), and a
//! request without an `x-token` header is refused with 403 before its body is read.
//!
//! ```sh
//! cargo run --release -p brisk-server --example upload
//! curl -T big.iso -H 'x-token: 1' localhost:8080/upload
//! ```
use brisk_server::{BodySink, Method, Request, Response, Server};

/// Counts the bytes and keeps an FNV-1a hash of them.
struct Hasher {
    len: u64,
    hash: u64,
}

impl BodySink for Hasher {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        self.len += piece.len() as u64;
        for &b in piece {
            self.hash = (self.hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        Ok(())
    }

    fn finish(&mut self, _req: &mut Request<'_>, res: &mut Response) {
        res.text(format!("{} bytes, fnv1a {:016x}\n", self.len, self.hash));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let server = Server::builder()
        .bind(format!("127.0.0.1:{port}").parse()?)
        .upload(Method::Put, "/upload", |req| {
            if req.header("x-token").is_none() {
                return Err(403);
            }
            Ok(Box::new(Hasher {
                len: 0,
                hash: 0xcbf2_9ce4_8422_2325,
            }))
        })
        .start()?;
    eprintln!("PUT to http://{}/upload", server.local_addr());
    server.join();
    Ok(())
}

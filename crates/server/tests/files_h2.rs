//! Static files over h2c, with the file mapped into memory (the default for files above
//! the small-file limit: DATA frames leave with `writev` from the mapping) and without
//! (`map_max = 0`: read with `preadv` into the output): the bytes are exact, and a file
//! truncated while it is sent ends the connection with a prefix of the real bytes, never
//! zeros from past the file's new end.

mod util;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, Event};
use brisk_server::StaticOptions;
use brisk_testkit::TempDir;
use util::start;

/// A blocking h2c client for one GET: `recv` feeds it, DATA is collected and credited back.
struct Client {
    sock: TcpStream,
    conn: Connection,
    input: Vec<u8>,
    body: Vec<u8>,
    status: Option<u16>,
    ended: bool,
    /// Every DATA event: stream, bytes, end of stream.
    events: Vec<(u32, Vec<u8>, bool)>,
}

impl Client {
    fn get(addr: SocketAddr, path: &str) -> Client {
        let mut config = Config::default();
        config.initial_window_size = (1 << 31) - 1;
        config.connection_window_size = (1 << 31) - 1;
        let mut conn = Connection::client(config);
        let req = [
            (":method", "GET"),
            (":scheme", "http"),
            (":path", path),
            (":authority", "t"),
        ];
        conn.send_request(&req, true).unwrap();
        Client::over(addr, conn)
    }

    /// A client whose requests `conn` already holds.
    fn over(addr: SocketAddr, conn: Connection) -> Client {
        let mut c = Client {
            sock: TcpStream::connect(addr).unwrap(),
            conn,
            input: Vec::new(),
            body: Vec::new(),
            status: None,
            ended: false,
            events: Vec::new(),
        };
        c.sock
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        c.flush();
        c
    }

    fn flush(&mut self) {
        let mut wire = Vec::new();
        self.conn.poll_output(&mut wire);
        // The server may have closed already: what the client still says does not matter.
        let _ = self.sock.write_all(&wire);
    }

    /// Reads once: false when the connection ended (closed, reset, or a read error).
    fn read(&mut self) -> bool {
        let at = self.input.len();
        self.input.resize(at + (1 << 16), 0);
        let n = match self.sock.read(&mut self.input[at..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        self.input.truncate(at + n);
        // `recv` takes whole frames: the rest waits for more bytes.
        match self.conn.recv(&self.input) {
            Ok(used) => drop(self.input.drain(..used)),
            Err(_) => return false,
        }
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Headers { headers, .. } => self.status = headers.status(),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    self.body.extend_from_slice(data);
                    self.events
                        .push((stream.value(), data.to_vec(), end_stream));
                    let n = data.len();
                    self.conn.consume(stream, n);
                    self.ended |= end_stream;
                }
                _ => {}
            }
        }
        self.flush();
        true
    }
}

fn server(dir: &TempDir, map_max: u64) -> brisk_server::Handle {
    let mut o = StaticOptions::default();
    o.map_max = map_max;
    start(|b| {
        b.static_dir_with("/s", &dir.0, o);
    })
}

/// Twelve requests at once on one connection, for four files (some twice, one a range): the
/// HEADERS go first and the bodies of several streams, from several files, share a mapped
/// segment (one `writev`); every stream gets exactly its bytes. Mapped and read alike.
#[test]
fn concurrent_streams_for_several_files_get_exact_bodies() {
    let dir = TempDir::new("h2many");
    let content: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
    let sizes = [20_000, 65_536, 70_001, 1_048_576];
    for (i, n) in sizes.iter().enumerate() {
        std::fs::write(dir.0.join(format!("f{i}.bin")), &content[i..i + n]).unwrap();
    }
    for map_max in [64 << 20, 0] {
        let s = server(&dir, map_max);
        let mut conn = Connection::client({
            let mut config = Config::default();
            config.initial_window_size = (1 << 31) - 1;
            config.connection_window_size = (1 << 31) - 1;
            config
        });
        let mut want = std::collections::HashMap::new();
        for k in 0..12 {
            let i = k % sizes.len();
            let path = format!("/s/f{i}.bin");
            let mut req = vec![
                (":method", "GET"),
                (":scheme", "http"),
                (":path", path.as_str()),
                (":authority", "t"),
            ];
            let mut body = &content[i..i + sizes[i]];
            if k == 11 {
                req.push(("range", "bytes=1000-300000"));
                body = &body[1000..=300_000];
            }
            let id = conn.send_request(&req, true).unwrap();
            want.insert(id.value(), body);
        }
        let mut c = Client::over(s.local_addr(), conn);
        let mut got: std::collections::HashMap<u32, Vec<u8>> = Default::default();
        let mut ended = 0;
        while ended < want.len() && c.read() {
            for (id, data, end) in c.events.drain(..) {
                got.entry(id).or_default().extend_from_slice(&data);
                ended += usize::from(end);
            }
        }
        assert_eq!(ended, want.len(), "map_max {map_max}: every stream ended");
        for (id, body) in &want {
            let g = got.get(id).map_or(&[][..], |v| v.as_slice());
            assert!(
                g == *body,
                "map_max {map_max}: stream {id}: {} bytes, want {}",
                g.len(),
                body.len()
            );
        }
    }
}

/// Whole files and a range, mapped or read, arrive exact on one connection each.
#[test]
fn files_over_h2c_are_exact_mapped_or_read() {
    let dir = TempDir::new("h2map");
    let content: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &content).unwrap();
    std::fs::write(dir.0.join("mid.bin"), &content[..70_000]).unwrap();
    for map_max in [0, 64 << 20] {
        let s = server(&dir, map_max);
        for (path, want) in [
            ("/s/big.bin", &content[..]),
            ("/s/mid.bin", &content[..70_000]),
        ] {
            let mut c = Client::get(s.local_addr(), path);
            while !c.ended && c.read() {}
            assert_eq!(c.status, Some(200), "{path} map_max {map_max}");
            assert!(c.ended, "{path}: the stream ended");
            assert!(
                c.body == want,
                "{path} map_max {map_max}: {} bytes",
                c.body.len()
            );
        }
    }
}

/// A file cut short while it is sent: the client gets a prefix of the real bytes and then
/// the end of the connection, never a complete stream, never other bytes, never a hang.
/// Mapped and read alike. One cut is inside the file's last page: from a mapping the kernel
/// would read zeros past the new end without any fault, so only the size check before each
/// `writev` stops them.
#[test]
fn a_file_truncated_while_sent_over_h2c_ends_the_connection() {
    let len: usize = 32 << 20;
    for cut in [(8 << 20) + 100, len as u64 - 100] {
        for map_max in [64 << 20, 0] {
            let dir = TempDir::new("h2trunc");
            let path = dir.0.join("big.bin");
            let content: Vec<u8> = (0..len as u32).map(|i| (i % 249) as u8 | 1).collect();
            std::fs::write(&path, &content).unwrap();
            let s = server(&dir, map_max);
            let mut c = Client::get(s.local_addr(), "/s/big.bin");
            // Read a little of the body, so the server is mid-file (the socket buffers hold
            // a few MiB at most).
            while c.body.len() < 256 * 1024 {
                assert!(c.read(), "the connection ended early");
            }
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(cut)
                .unwrap();
            let t0 = Instant::now();
            while !c.ended && c.read() {}
            let case = format!("cut at {cut}, map_max {map_max}, {} bytes", c.body.len());
            assert!(t0.elapsed() < Duration::from_secs(8), "{case}: hung");
            assert_eq!(c.status, Some(200), "{case}");
            assert!(!c.ended, "{case}: the stream ended as if whole");
            assert!(c.body.len() < len, "{case}: the whole length arrived");
            // Every byte of the content is odd: a zero is a byte from past the new end.
            let first_bad = c.body.iter().zip(&content).position(|(a, b)| a != b);
            assert!(
                first_bad.is_none(),
                "{case}: byte {first_bad:?} differs from the file"
            );
        }
    }
}

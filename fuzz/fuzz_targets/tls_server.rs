//! The reactor's TLS connection path, fed by a client over a Unix-domain socket into an
//! embedded worker (the same code a worker thread runs: handshake slab, `tls_read` into the
//! input run, `tls_pump` into the output chain, close). The first input byte picks the mode:
//!
//! * 0: the bytes are what a client sends from the start (a ClientHello, records, garbage);
//! * 1: a real handshake first (rustls client), then the bytes as raw records;
//! * 2: a real handshake, then the bytes as plaintext, which must come back (an echo) whole.
//!
//! Every connection must end closed with nothing left: no open connection, no pool buffer.
#![no_main]

use std::cell::RefCell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use brisk_reactor::rustls;
use brisk_reactor::{Action, Context, Embedded, ListenAddr, Output, Protocol, Reactor};
use libfuzzer_sys::fuzz_target;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

const CERT: &[u8] = include_bytes!("../../crates/reactor/tests/data/cert.der");
const KEY: &[u8] = include_bytes!("../../crates/reactor/tests/data/key.der");

/// Echoes what fits.
struct Echo;

impl Protocol for Echo {
    fn on_read(&mut self, _: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
        let n = input.len().min(out.remaining());
        out.extend_from_slice(&input[..n]).unwrap();
        (n, Action::Keep)
    }
}

struct Harness {
    worker: Embedded,
    path: PathBuf,
    client: Arc<rustls::ClientConfig>,
}

thread_local! {
    static H: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

#[allow(deprecated)] // ring lacks post-quantum key exchange; not needed here
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn harness() -> Harness {
    // A closed peer must be an EPIPE error, not the end of the process (see Cargo.toml).
    signal_hook::flag::register(
        signal_hook::consts::SIGPIPE,
        Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )
    .unwrap();
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(CERT.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY.to_vec())),
        )
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    brisk_reactor::tls::fit_records(&mut server, 16 * 1024);
    let path = std::env::temp_dir().join(format!("brisk-fuzz-tls-{}.sock", std::process::id()));
    let worker = Reactor::new()
        .listen_tls(ListenAddr::Unix(path.clone()), Arc::new(server))
        .pool_size(64)
        .max_connections(64)
        .linger_timeout(Duration::ZERO)
        .embed(|_| Echo)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(CERT.to_vec())).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Harness {
        worker,
        path,
        client: Arc::new(client),
    }
}

fn turns(w: &mut Embedded, n: usize) {
    for _ in 0..n {
        w.turn(Some(Duration::ZERO));
    }
}

/// Reads what is there (non-blocking); false at the end of the stream.
fn drain(s: &mut UnixStream, into: &mut Vec<u8>) -> bool {
    let mut buf = [0; 16384];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => into.extend_from_slice(&buf[..n]),
            Err(_) => return true,
        }
    }
}

/// A real handshake through the worker; the client connection, or None if it failed.
fn handshake(h: &mut Harness, s: &mut UnixStream) -> Option<rustls::ClientConnection> {
    let mut c = rustls::ClientConnection::new(
        Arc::clone(&h.client),
        ServerName::try_from("localhost").unwrap(),
    )
    .ok()?;
    for _ in 0..50 {
        while c.wants_write() {
            c.write_tls(s).ok()?;
        }
        turns(&mut h.worker, 2);
        let mut got = Vec::new();
        let open = drain(s, &mut got);
        if !got.is_empty() {
            c.read_tls(&mut &got[..]).ok()?;
            c.process_new_packets().ok()?;
        }
        if !c.is_handshaking() {
            while c.wants_write() {
                c.write_tls(s).ok()?;
            }
            return Some(c);
        }
        if !open {
            return None;
        }
    }
    None
}

fn run(h: &mut Harness, data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut s = UnixStream::connect(&h.path).unwrap();
    s.set_nonblocking(true).unwrap();
    turns(&mut h.worker, 1);
    match mode % 8 {
        0..=5 => {
            let _ = s.write_all(rest);
            let _ = s.shutdown(std::net::Shutdown::Write);
        }
        6 => {
            if handshake(h, &mut s).is_some() {
                let _ = s.write_all(rest);
            }
        }
        _ => {
            if let Some(mut c) = handshake(h, &mut s) {
                let want = rest.len().min(60_000);
                let mut sent = 0;
                let mut back = Vec::new();
                for _ in 0..400 {
                    if sent < want {
                        sent += c.writer().write(&rest[sent..want]).unwrap();
                    }
                    while c.wants_write() {
                        if c.write_tls(&mut s).is_err() {
                            break;
                        }
                    }
                    turns(&mut h.worker, 1);
                    let mut got = Vec::new();
                    drain(&mut s, &mut got);
                    let mut at = &got[..];
                    while !at.is_empty() {
                        c.read_tls(&mut at).unwrap();
                        c.process_new_packets().unwrap();
                        let mut buf = [0; 16384];
                        while let Ok(n) = c.reader().read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            back.extend_from_slice(&buf[..n]);
                        }
                    }
                    if back.len() >= want && sent == want {
                        break;
                    }
                }
                assert!(back == rest[..want], "echo differs: {} of {want} bytes", back.len());
            }
        }
    }
    drop(s);
    // Everything closes and gives its buffers back.
    for _ in 0..100 {
        turns(&mut h.worker, 1);
        let t = h.worker.handle().totals();
        if t.active == 0 && t.buffers_in_use == 0 {
            return;
        }
    }
    panic!("left over: {:?}", h.worker.handle().totals());
}

fuzz_target!(|data: &[u8]| {
    H.with(|cell| {
        let mut h = cell.borrow_mut();
        let h = h.get_or_insert_with(harness);
        run(h, data);
    });
});

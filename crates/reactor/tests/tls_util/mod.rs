//! Helpers of the TLS tests: the test certificate (a self-signed P-256 certificate for
//! `localhost` and 127.0.0.1, valid for 100 years, in tests/data), server and client configs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use brisk_reactor::rustls;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

/// rustls's ring provider (deprecated in 0.23.48 for lacking post-quantum key exchange,
/// which these tests do not need).
#[allow(deprecated)]
pub fn ring_provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

pub const CERT: &[u8] = include_bytes!("../data/cert.der");
pub const KEY: &[u8] = include_bytes!("../data/key.der");

/// A server config with the test certificate, ALPN `h2` and `http/1.1`, TLS 1.2 and 1.3.
pub fn server_config() -> rustls::ServerConfig {
    server_config_with(rustls::ALL_VERSIONS)
}

pub fn server_config_with(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ServerConfig {
    let provider = Arc::new(ring_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(CERT.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY.to_vec())),
        )
        .unwrap();
    c.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    brisk_reactor::tls::fit_records(&mut c, brisk_reactor::Config::default().buffer_size);
    c
}

/// A client config trusting the test certificate, offering `alpn`.
pub fn client_config(alpn: &[&[u8]]) -> rustls::ClientConfig {
    client_config_with(ring_provider(), rustls::ALL_VERSIONS, alpn)
}

pub fn client_config_with(
    provider: rustls::crypto::CryptoProvider,
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(CERT.to_vec())).unwrap();
    let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.alpn_protocols = alpn.iter().map(|a| a.to_vec()).collect();
    c
}

/// A blocking TLS client stream to `addr` (SNI `localhost`), with a 5 s socket timeout.
pub fn connect(
    addr: SocketAddr,
    config: rustls::ClientConfig,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let sock = TcpStream::connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    rustls::StreamOwned::new(conn, sock)
}

/// Writes `data` and reads back `len` bytes.
pub fn roundtrip(s: &mut impl ReadWrite, data: &[u8], len: usize) -> Vec<u8> {
    s.write_all(data).unwrap();
    let mut buf = vec![0; len];
    s.read_exact(&mut buf).unwrap();
    buf
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Sends `data` over a TLS connection to an echo server while reading the echo, with a
/// non-blocking socket and rustls driven by hand (an echo stops reading while its output is
/// full, so writing everything first would deadlock). Returns what came back.
pub fn echo_through(addr: SocketAddr, config: rustls::ClientConfig, data: &[u8]) -> Vec<u8> {
    use std::io::ErrorKind::{Interrupted, WouldBlock};
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.set_nonblocking(true).unwrap();
    let mut c =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    c.set_buffer_limit(Some(64 * 1024));
    let (mut sent, mut got) = (0, Vec::with_capacity(data.len()));
    let mut buf = vec![0; 64 * 1024];
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while got.len() < data.len() {
        assert!(
            std::time::Instant::now() < until,
            "stuck at {} of {}",
            got.len(),
            data.len()
        );
        let mut idle = true;
        if sent < data.len() && !c.is_handshaking() {
            let n = c
                .writer()
                .write(&data[sent..(sent + 16384).min(data.len())])
                .unwrap();
            sent += n;
            idle &= n == 0;
        }
        while c.wants_write() {
            match c.write_tls(&mut sock) {
                Ok(_) => idle = false,
                Err(e) if e.kind() == WouldBlock || e.kind() == Interrupted => break,
                Err(e) => panic!("write: {e}"),
            }
        }
        match c.read_tls(&mut sock) {
            Ok(0) => panic!("closed early at {} of {}", got.len(), data.len()),
            Ok(_) => {
                idle = false;
                c.process_new_packets().unwrap();
            }
            Err(e) if e.kind() == WouldBlock || e.kind() == Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
        loop {
            match c.reader().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    got
}

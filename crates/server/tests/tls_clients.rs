//! The `brisk` binary's HTTPS listener with real clients: `openssl s_client` (ALPN,
//! resumption by ticket and by session id across workers, SNI), `nghttp`, `h2load`, Python's
//! `ssl` with `h2`, and headless Chromium. Certificates are made in the test by the `openssl`
//! CLI; a missing tool skips visibly (fails with BRISK_REQUIRE_PEERS=1).

mod tls_util;
mod util;

use std::process::Command;

use tls_util::{have_openssl, make_cert, s_client, TempDir, Tlsd, GET_CLOSE};

/// A server with one certificate for `localhost`, 2 workers.
fn server(dir: &TempDir, extra: &[&str]) -> Tlsd {
    let (cert, key) = make_cert(dir, "c", "localhost", 1);
    let mut args = vec!["--workers", "2", "--cert", &cert, "--key", &key];
    args.extend_from_slice(extra);
    Tlsd::start(&args)
}

#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn s_client_alpn_chooses_the_protocol() {
    if !have_openssl("s_client_alpn_chooses_the_protocol") {
        return;
    }
    let dir = TempDir::new("tls-alpn");
    let s = server(&dir, &[]);
    let out = s_client(s.addr, &["-alpn", "http/1.1"], GET_CLOSE);
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    assert!(
        out.contains("HTTP/1.1 200 OK") && out.contains("Hello, World!"),
        "{out}"
    );
    // Not an HTTP/2 preface: the HTTP/2 connection ends at once (GOAWAY), so s_client exits.
    let out = s_client(s.addr, &["-alpn", "h2"], b"GET / HTTP/1.1\r\n\r\n");
    assert!(out.contains("ALPN protocol: h2"), "{out}");
    assert!(out.contains("TLSv1.3"), "{out}");
    // No ALPN: HTTP/1.1.
    let out = s_client(s.addr, &[], GET_CLOSE);
    assert!(
        out.contains("No ALPN negotiated") && out.contains("Hello, World!"),
        "{out}"
    );
}

/// Resumption with `-sess_out`/`-sess_in`: the first handshake is new, the next ones say
/// `Reused`, on whichever of the 2 workers they land (tickets and the session-id cache are
/// the process's).
#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn openssl_resumes_by_ticket_and_by_session_id_on_any_worker() {
    if !have_openssl("openssl_resumes_by_ticket_and_by_session_id_on_any_worker") {
        return;
    }
    let dir = TempDir::new("tls-resume");
    let s = server(&dir, &[]);
    for (proto, extra) in [
        ("TLSv1.3", &[][..]),
        ("TLSv1.2", &["-tls1_2"][..]),
        ("TLSv1.2", &["-tls1_2", "-no_ticket"][..]),
    ] {
        let sess = dir.arg("sess.pem");
        let mut args = vec!["-sess_out", &sess];
        args.extend_from_slice(extra);
        let out = s_client(s.addr, &args, GET_CLOSE);
        assert!(out.contains(&format!("New, {proto}")), "{extra:?}: {out}");
        assert!(out.contains("Hello, World!"), "{out}");
        for _ in 0..6 {
            let mut args = vec!["-sess_in", &sess];
            args.extend_from_slice(extra);
            let out = s_client(s.addr, &args, GET_CLOSE);
            assert!(
                out.contains(&format!("Reused, {proto}")),
                "{extra:?}: {out}"
            );
            assert!(out.contains("Hello, World!"), "{out}");
        }
    }
}

/// Two certificates: SNI picks the one for its name, the first is the default.
#[test]
#[cfg_attr(brisk_missing = "openssl", ignore = "needs openssl")]
fn sni_picks_the_certificate() {
    if !have_openssl("sni_picks_the_certificate") {
        return;
    }
    let dir = TempDir::new("tls-sni");
    let (a, ak) = make_cert(&dir, "a", "a.test", 10);
    let (b, bk) = make_cert(&dir, "b", "b.test", 11);
    let s = Tlsd::start(&[
        "--workers",
        "1",
        "--cert",
        &a,
        "--key",
        &ak,
        "--cert",
        &b,
        "--key",
        &bk,
    ]);
    let serial = |name: &str| tls_util::peer_cert(s.addr, name).0;
    assert_eq!(serial("b.test"), "serial=0B");
    assert_eq!(serial("a.test"), "serial=0A");
    assert_eq!(serial("other.test"), "serial=0A");
}

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "nghttp"),
    ignore = "needs openssl and nghttp"
)]
fn nghttp_over_tls() {
    if !have_openssl("nghttp_over_tls") || !util::tool("nghttp_over_tls", "nghttp") {
        return;
    }
    let dir = TempDir::new("tls-nghttp");
    let s = server(&dir, &[]);
    let out = Command::new("timeout")
        .args(["20", "nghttp", "-v", &s.url("/plaintext"), &s.url("/json")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("The negotiated protocol: h2"), "{text}");
    assert_eq!(text.matches(":status: 200").count(), 2, "{text}");
    assert!(
        text.contains("Hello, World!") && text.contains("{\"message\""),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "h2load"),
    ignore = "needs openssl and h2load"
)]
fn h2load_over_tls() {
    if !have_openssl("h2load_over_tls") || !util::tool("h2load_over_tls", "h2load") {
        return;
    }
    let dir = TempDir::new("tls-h2load");
    let s = server(&dir, &[]);
    for (args, proto) in [(&["-m", "16"][..], "h2"), (&["--h1"][..], "http/1.1")] {
        let out = Command::new("timeout")
            .args(["30", "h2load", "-n", "2000", "-c", "8"])
            .args(args)
            .arg(s.url("/plaintext"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("2000 succeeded, 0 failed, 0 errored"),
            "{text}"
        );
        assert!(text.contains("status codes: 2000 2xx"), "{text}");
        assert!(
            text.contains(&format!("Application protocol: {proto}")),
            "{text}"
        );
        assert!(text.contains("TLS Protocol: TLSv1.3"), "{text}");
    }
}

/// Python's `ssl` (ALPN h2) with the `h2` package: a GET and a POST echo on one connection.
const PY_H2: &str = r#"
import socket, ssl, sys
import h2.connection, h2.events
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["h2", "http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
print("alpn", s.selected_alpn_protocol(), s.version())
c = h2.connection.H2Connection()
c.initiate_connection()
hdr = lambda m, p: [(":method", m), (":path", p), (":scheme", "https"), (":authority", "localhost")]
c.send_headers(1, hdr("GET", "/plaintext"), end_stream=True)
body = b"x" * 100000
c.send_headers(3, hdr("POST", "/echo") + [("content-length", str(len(body)))])
c.send_data(3, body[:16384])
pending = body[16384:]
s.sendall(c.data_to_send())
got, done = {1: b"", 3: b""}, set()
while len(done) < 2:
    data = s.recv(65536)
    if not data:
        break
    for e in c.receive_data(data):
        if isinstance(e, h2.events.ResponseReceived):
            print("status", e.stream_id, dict(e.headers)[b":status"].decode())
        elif isinstance(e, h2.events.DataReceived):
            got[e.stream_id] += e.data
            c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
        elif isinstance(e, h2.events.StreamEnded):
            done.add(e.stream_id)
    while pending and c.local_flow_control_window(3) > 0:
        n = min(len(pending), c.local_flow_control_window(3), c.max_outbound_frame_size)
        c.send_data(3, pending[:n], end_stream=(n == len(pending)))
        pending = pending[n:]
    s.sendall(c.data_to_send())
print("get", got[1].decode())
print("echo", got[3] == body, len(got[3]))
"#;

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "py_h2"),
    ignore = "needs openssl and py_h2"
)]
fn python_ssl_and_h2() {
    if !have_openssl("python_ssl_and_h2") || !util::python("python_ssl_and_h2", "h2, ssl") {
        return;
    }
    let dir = TempDir::new("tls-python");
    let s = server(&dir, &[]);
    let out = Command::new("timeout")
        .args(["20", "python3", "-c", PY_H2, &s.addr.port().to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}{err}");
    assert!(text.contains("alpn h2 TLSv1.3"), "{text}");
    assert!(
        text.contains("status 1 200") && text.contains("status 3 200"),
        "{text}"
    );
    assert!(text.contains("get Hello, World!"), "{text}");
    assert!(text.contains("echo True 100000"), "{text}");
}

/// Headless Chromium loads a page over HTTPS; the page's script writes the protocol of its
/// own navigation (`nextHopProtocol`), which must be `h2`.
#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "chromium"),
    ignore = "needs openssl and chromium"
)]
fn chromium_loads_a_page_over_h2() {
    if !have_openssl("chromium_loads_a_page_over_h2") {
        return;
    }
    let Some(browser) = util::chromium("chromium_loads_a_page_over_h2") else {
        return;
    };
    let dir = TempDir::new("tls-chromium");
    let www = dir.path("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(
        www.join("index.html"),
        "<!doctype html><html><body><p id=p>waiting</p><script>\
         document.getElementById('p').textContent = 'protocol=' + \
         performance.getEntriesByType('navigation')[0].nextHopProtocol;</script></body></html>",
    )
    .unwrap();
    let s = server(&dir, &["--dir", www.to_str().unwrap()]);
    let (dom, err) = util::chromium_dom(browser, &dir.arg("profile"), &s.url("/index.html"));
    assert!(dom.contains("protocol=h2"), "{dom}\n{err}");
}

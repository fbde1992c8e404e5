//! Interop with real HTTP/2 peers through the blocking test server (and our client role against
//! nghttpd). Each test skips when its peer is missing, unless BRISK_REQUIRE_PEERS=1.

mod util;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use brisk_http2::Config;

fn tmp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brisk-http2-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn curl_prior_knowledge_get_and_post_1mib() {
    if !util::have_peer(
        "curl_prior_knowledge_get_and_post_1mib",
        Command::new("curl").arg("--version"),
    ) {
        return;
    }
    let addr = util::spawn_server(Config::default());
    let get = Command::new("curl")
        .args([
            "-sS",
            "--http2-prior-knowledge",
            "-w",
            "\n%{http_version} %{http_code}",
        ])
        .arg(format!("http://{addr}/size/100000"))
        .output()
        .expect("curl");
    assert!(
        get.status.success(),
        "curl GET: {}",
        String::from_utf8_lossy(&get.stderr)
    );
    let (body, meta) = get.stdout.split_at(get.stdout.len() - "\n2 200".len());
    assert_eq!(meta, b"\n2 200");
    assert!(body == util::pattern(100_000), "GET body differs");

    let dir = tmp_path("curl");
    let input = dir.join("in.bin");
    let output = dir.join("out.bin");
    let payload = util::pattern(1 << 20);
    std::fs::write(&input, &payload).unwrap();
    let post = Command::new("curl")
        .args(["-sS", "--http2-prior-knowledge", "--data-binary"])
        .arg(format!("@{}", input.display()))
        .arg("-o")
        .arg(&output)
        .args(["-w", "%{http_version} %{http_code}"])
        .arg(format!("http://{addr}/echo"))
        .output()
        .expect("curl");
    assert!(
        post.status.success(),
        "curl POST: {}",
        String::from_utf8_lossy(&post.stderr)
    );
    assert_eq!(post.stdout, b"2 200");
    assert!(
        std::fs::read(&output).unwrap() == payload,
        "echoed 1 MiB body differs"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[cfg_attr(brisk_missing = "curl", ignore = "needs curl")]
fn curl_upgrade_h2c() {
    if !util::have_peer("curl_upgrade_h2c", Command::new("curl").arg("--version")) {
        return;
    }
    let addr = util::spawn_server(Config::default());
    let dir = tmp_path("h2c");
    let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
    // Without prior knowledge curl sends HTTP/1.1 with `Upgrade: h2c` and `HTTP2-Settings`;
    // the request becomes stream 1 and the second request on the same connection goes over h2.
    let out = Command::new("curl")
        .args(["-sS", "-v", "--http2"])
        .arg(format!("http://{addr}/size/70000"))
        .arg("-o")
        .arg(&a)
        .arg(format!("http://{addr}/size/10"))
        .arg("-o")
        .arg(&b)
        .output()
        .expect("curl");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "curl: {log}");
    assert!(log.contains("< HTTP/1.1 101 Switching Protocols"), "{log}");
    assert_eq!(log.matches("< HTTP/2 200").count(), 2, "{log}");
    assert_eq!(
        log.matches("Connected to").count(),
        1,
        "one connection: {log}"
    );
    assert!(
        std::fs::read(&a).unwrap() == util::pattern(70_000),
        "upgraded response body differs"
    );
    assert_eq!(std::fs::read(&b).unwrap(), util::pattern(10));
    let _ = std::fs::remove_dir_all(dir);
}

const PY_CLIENT: &str = r#"
import socket, sys
import h2.connection, h2.config, h2.events, h2.settings
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sock = socket.create_connection((host, port))
sock.settimeout(30)
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
# A small window so the server's send side has to wait for WINDOW_UPDATEs.
conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 8192})
sock.sendall(conn.data_to_send())
bodies, offsets, got, done = {}, {}, {}, set()
for i in range(n):
    sid = conn.get_next_available_stream_id()
    bodies[sid] = bytes(((j * 7 + i) % 256) for j in range(1000 + i * 1311))
    offsets[sid] = 0
    got[sid] = bytearray()
    conn.send_headers(sid, [(':method', 'POST'), (':scheme', 'http'), (':path', '/echo'), (':authority', 'localhost')])
def pump():
    for sid in list(offsets):
        off, body = offsets[sid], bodies[sid]
        while off < len(body):
            room = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
            if room <= 0:
                break
            conn.send_data(sid, body[off:off + room])
            off += min(room, len(body) - off)
        if off == len(body):
            conn.end_stream(sid)
            del offsets[sid]
        else:
            offsets[sid] = off
    sock.sendall(conn.data_to_send())
pump()
while len(done) < n:
    data = sock.recv(65536)
    if not data:
        sys.exit("server closed the connection")
    for ev in conn.receive_data(data):
        if isinstance(ev, h2.events.ResponseReceived):
            assert dict(ev.headers)[b':status'] == b'200', ev.headers
        elif isinstance(ev, h2.events.DataReceived):
            got[ev.stream_id] += ev.data
            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            done.add(ev.stream_id)
        elif isinstance(ev, h2.events.StreamReset):
            sys.exit("stream %d reset %r" % (ev.stream_id, ev.error_code))
    pump()
for sid in bodies:
    if bytes(got[sid]) != bodies[sid]:
        sys.exit("stream %d: body differs (%d vs %d bytes)" % (sid, len(got[sid]), len(bodies[sid])))
conn.close_connection()
sock.sendall(conn.data_to_send())
print("OK %d" % len(done))
"#;

#[test]
#[cfg_attr(brisk_missing = "py_h2", ignore = "needs Python h2")]
fn python_h2_client_100_concurrent_streams_with_flow_control() {
    let name = "python_h2_client_100_concurrent_streams_with_flow_control";
    if !util::have_peer(name, Command::new("python3").args(["-c", "import h2"])) {
        return;
    }
    let addr = util::spawn_server(Config::default());
    let out = Command::new("python3")
        .args([
            "-c",
            PY_CLIENT,
            "127.0.0.1",
            &addr.port().to_string(),
            "100",
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python h2 client failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK 100");
}

#[test]
#[cfg_attr(brisk_missing = "nghttp", ignore = "needs nghttp")]
fn nghttp_fetches_50_concurrent() {
    if !util::have_peer(
        "nghttp_fetches_50_concurrent",
        Command::new("nghttp").arg("--version"),
    ) {
        return;
    }
    let addr = util::spawn_server(Config::default());
    let out = Command::new("nghttp")
        .args(["-n", "-m", "50", "-s"])
        .arg(format!("http://{addr}/size/20000"))
        .output()
        .expect("nghttp");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "nghttp failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // With -s, one statistics row per response.
    let rows = stdout.lines().filter(|l| l.contains("/size/20000")).count();
    assert_eq!(rows, 50, "nghttp stats:\n{stdout}");
}

#[test]
#[cfg_attr(brisk_missing = "h2load", ignore = "needs h2load")]
fn h2load_20000_requests_all_2xx() {
    if !util::have_peer(
        "h2load_20000_requests_all_2xx",
        Command::new("h2load").arg("--version"),
    ) {
        return;
    }
    let addr = util::spawn_server(Config::default());
    let out = Command::new("h2load")
        .args(["-n", "20000", "-c", "10", "-m", "20"])
        .arg(format!("http://{addr}/"))
        .output()
        .expect("h2load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "h2load failed: {stdout}");
    assert!(stdout.contains("20000 succeeded"), "h2load: {stdout}");
    assert!(
        stdout.contains("status codes: 20000 2xx"),
        "h2load: {stdout}"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
#[cfg_attr(brisk_missing = "nghttpd", ignore = "needs nghttpd")]
fn client_role_fetches_file_from_nghttpd() {
    if !util::have_peer(
        "client_role_fetches_file_from_nghttpd",
        Command::new("nghttpd").arg("--version"),
    ) {
        return;
    }
    let dir = tmp_path("nghttpd");
    let file = util::pattern(3 << 20);
    std::fs::write(dir.join("big.bin"), &file).unwrap();
    std::fs::write(dir.join("small.txt"), b"small file\n").unwrap();
    let port = free_port();
    let mut child = Command::new("nghttpd")
        .args(["--no-tls", "-d"])
        .arg(&dir)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nghttpd");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "nghttpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let responses = util::fetch(
        addr,
        &format!("127.0.0.1:{port}"),
        &[
            ("GET", "/big.bin", Vec::new()),
            ("GET", "/small.txt", Vec::new()),
            ("GET", "/missing", Vec::new()),
        ],
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    assert_eq!(responses[0].status, 200);
    assert!(
        responses[0].body == file,
        "3 MiB body differs ({} bytes)",
        responses[0].body.len()
    );
    assert_eq!(responses[1].status, 200);
    assert_eq!(responses[1].body, b"small file\n");
    assert_eq!(responses[2].status, 404);
}

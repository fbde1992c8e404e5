//! Listeners: Unix-domain sockets (serving, stale files, cleanup) and the refusal to start on
//! a TCP address another server listens on.

mod util;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brisk_reactor::{ConnInfo, Error, ListenAddr, ListenerKind, Reactor, UNIX_ADDR};
use util::{reactor, Echo};

fn sock_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("brisk-listen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn echo_once(s: &mut UnixStream, msg: &[u8]) {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(msg).unwrap();
    let mut got = vec![0; msg.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, msg);
}

fn wait_gone(p: &std::path::Path) -> bool {
    let t = Instant::now();
    while p.exists() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    !p.exists()
}

#[test]
fn a_unix_socket_serves_beside_tcp_and_its_file_goes_at_shutdown() {
    let path = sock_path("both.sock");
    let seen: Arc<Mutex<Vec<ConnInfo>>> = Arc::default();
    let s = Arc::clone(&seen);
    let handle = reactor()
        .bind_unix(&path)
        .workers(2)
        .start(move |info| {
            s.lock().unwrap().push(info.clone());
            Echo
        })
        .unwrap();
    assert_eq!(handle.local_addrs().len(), 1, "TCP addresses only");
    assert_eq!(handle.listen_addrs()[1], ListenAddr::Unix(path.clone()));
    // Several connections, so that both workers (both polling the one socket) may take some.
    for i in 0..8 {
        let mut c = UnixStream::connect(&path).unwrap();
        echo_once(&mut c, format!("hello {i}").as_bytes());
    }
    let mut t = util::connect(handle.local_addr());
    let mut scratch = Vec::new();
    util::roundtrip(&mut t, b"tcp", &mut scratch);
    {
        let seen = seen.lock().unwrap();
        let unix: Vec<_> = seen
            .iter()
            .filter(|i| i.kind == ListenerKind::Unix)
            .collect();
        assert_eq!(unix.len(), 8);
        for i in unix {
            assert_eq!((i.peer, i.local, i.listener), (UNIX_ADDR, UNIX_ADDR, 1));
        }
        let tcp = seen.iter().find(|i| i.kind == ListenerKind::Tcp).unwrap();
        assert_eq!((tcp.listener, tcp.local), (0, handle.local_addr()));
    }
    handle.shutdown(Duration::from_secs(1));
    handle.join().unwrap();
    assert!(wait_gone(&path), "socket file left after shutdown");
}

#[test]
fn a_stale_socket_file_is_replaced_a_live_one_is_in_use() {
    let path = sock_path("stale.sock");
    // A socket file whose server is gone: bound, never listening, closed.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let first = Reactor::new()
        .bind_unix(&path)
        .workers(1)
        .start(|_| Echo)
        .unwrap();
    echo_once(&mut UnixStream::connect(&path).unwrap(), b"one");
    // A second server on the same file: refused, and the first keeps its file and serves.
    let second = Reactor::new().bind_unix(&path).workers(1).start(|_| Echo);
    match second {
        Err(e @ Error::AddrInUse(_)) => {
            assert_eq!(
                e.to_string(),
                format!("address in use: unix:{}", path.display())
            )
        }
        other => panic!("expected AddrInUse, got {other:?}"),
    }
    echo_once(&mut UnixStream::connect(&path).unwrap(), b"two");
    first.shutdown(Duration::ZERO);
    first.join().unwrap();
    assert!(wait_gone(&path));
}

#[test]
fn a_file_that_is_not_a_socket_is_left_alone() {
    let path = sock_path("plain.txt");
    std::fs::write(&path, b"keep me").unwrap();
    let r = Reactor::new().bind_unix(&path).workers(1).start(|_| Echo);
    assert!(matches!(r, Err(Error::BindUnix(..))), "{r:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
}

#[test]
fn an_embedded_worker_serves_a_unix_socket() {
    let path = sock_path("embed.sock");
    let mut w = Reactor::new().bind_unix(&path).embed(|_| Echo).unwrap();
    let p = path.clone();
    let client = std::thread::spawn(move || {
        let mut c = UnixStream::connect(&p).unwrap();
        echo_once(&mut c, b"embedded");
    });
    let t = Instant::now();
    while !client.is_finished() && t.elapsed() < Duration::from_secs(5) {
        w.turn(Some(Duration::from_millis(10)));
    }
    client.join().unwrap();
    w.handle().shutdown(Duration::ZERO);
    while !w.turn(Some(Duration::from_millis(10))).finished {}
    drop(w);
    assert!(wait_gone(&path));
}

#[test]
fn a_second_reactor_on_a_bound_port_fails_and_the_first_serves_on() {
    let first = reactor().workers(2).start(|_| Echo).unwrap();
    let addr = first.local_addr();
    let second = Reactor::new().bind(addr).workers(2).start(|_| Echo);
    match second {
        Err(e @ Error::AddrInUse(_)) => {
            assert_eq!(e.to_string(), format!("address in use: {addr}"))
        }
        other => panic!("expected AddrInUse, got {other:?}"),
    }
    let mut scratch = Vec::new();
    for _ in 0..4 {
        let mut c = util::connect(addr);
        util::roundtrip(&mut c, b"still here", &mut scratch);
    }
    // Asked to join (the processes of one server), it shares the port.
    let joined = Reactor::new()
        .bind(addr)
        .workers(1)
        .join_reuse_port(true)
        .start(|_| Echo)
        .unwrap();
    assert_eq!(joined.local_addr(), addr);
    for h in [first, joined] {
        h.shutdown(Duration::ZERO);
        h.join().unwrap();
    }
    // Gone: the address is free again (no TIME_WAIT trouble for the probe).
    let again = Reactor::new()
        .bind(addr)
        .workers(1)
        .start(|_| Echo)
        .unwrap();
    again.shutdown(Duration::ZERO);
    again.join().unwrap();
}

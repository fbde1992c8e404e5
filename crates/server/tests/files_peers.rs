//! Static files against real tools: large bodies leave by `sendfile(2)` and are not read
//! into the process (strace on the real binary), a cached small file costs no allocation
//! per request (the `count-alloc` build). Each skips visibly without its tool unless
//! BRISK_REQUIRE_PEERS=1. (Headless Chromium's page of 30 assets: files_chromium.rs.)

mod util;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{allocations, count_alloc_brisk, listening_addr, read_response, tool};

use brisk_testkit::TempDir;

#[test]
#[cfg_attr(brisk_missing = "strace", ignore = "needs strace")]
fn large_files_leave_by_sendfile_over_http1() {
    if !tool("large_files_leave_by_sendfile_over_http1", "strace") {
        return;
    }
    let dir = TempDir::new("sendfile");
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &content).unwrap();
    std::fs::write(dir.0.join("small.txt"), "small").unwrap();
    let log = dir.0.join("strace.txt");
    let mut child = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=sendfile,read,pread64,sendto,sendmsg",
        ])
        .args(["-s", "20", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_brisk"))
        .args(["--bind", "127.0.0.1:0", "--workers", "1", "--dir"])
        .arg(&dir.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr = listening_addr(&mut BufReader::new(child.stdout.take().unwrap()));
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert!(body == content, "the file's bytes");
        s.write_all(b"GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut s).2, b"small");
    }
    std::thread::sleep(Duration::from_millis(200));
    util::kill_traced(&mut child);
    let trace = std::fs::read_to_string(&log).unwrap();
    let sendfiles: Vec<&str> = trace.lines().filter(|l| l.contains("sendfile(")).collect();
    let sent: usize = sendfiles
        .iter()
        .filter_map(|l| l.rsplit("= ").next()?.trim().parse::<usize>().ok())
        .sum();
    assert!(
        sent >= 3 * content.len(),
        "sendfile sent {sent} bytes:\n{trace}"
    );
    // The large file's bytes were not read into the process (a small file is read once,
    // into the cache; the binary reads nothing else of this size).
    let big_reads = trace
        .lines()
        .filter(|l| (l.contains("read(") || l.contains("pread64(")) && !l.contains("= -1"))
        .filter_map(|l| l.rsplit("= ").next()?.trim().parse::<usize>().ok())
        .filter(|&n| n >= 65536)
        .count();
    assert_eq!(big_reads, 0, "large reads:\n{trace}");
    // Each head before a file body went with MSG_MORE: it leaves in the file's first
    // segment, not in a packet of its own.
    let corked = trace
        .lines()
        .filter(|l| l.contains("HTTP/1.1 200") && l.contains("MSG_MORE"))
        .count();
    assert!(corked >= 3, "heads sent with MSG_MORE: {corked}\n{trace}");
}

/// Over h2c a large file leaves from its mapping: mapped once (`mmap` of its length,
/// shared, read-only), its DATA frames sent with `writev` from it, and never read
/// (`pread`/`preadv`) into the process. With `--dir-map-max 0` it is read with one `preadv`
/// per run of DATA frames straight into the output (no `pread` into a buffer of its own).
/// Either way it arrives whole, twice on the same cache entry.
#[test]
fn large_files_over_h2c_leave_from_the_file_mapping_or_one_preadv_per_run() {
    let test = "large_files_over_h2c_leave_from_the_file_mapping_or_one_preadv_per_run";
    if !tool(test, "strace") || !tool(test, "curl") {
        return;
    }
    let dir = TempDir::new("mmap");
    let content: Vec<u8> = (0..1_000_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(dir.0.join("big.bin"), &content).unwrap();
    for map_max in ["64M", "0"] {
        let log = dir.0.join(format!("strace-{map_max}.txt"));
        let mut child = Command::new("strace")
            .args(["-f", "-qq", "-e", "trace=pread64,preadv,mmap", "-o"])
            .arg(&log)
            .arg(env!("CARGO_BIN_EXE_brisk"))
            .args([
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "1",
                "--dir-map-max",
                map_max,
            ])
            .arg("--dir")
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = listening_addr(&mut BufReader::new(child.stdout.take().unwrap()));
        let url = format!("http://{addr}/big.bin");
        for _ in 0..2 {
            let got = Command::new("curl")
                .args(["-s", "--http2-prior-knowledge", "--max-time", "20", &url])
                .output()
                .unwrap();
            assert!(got.stdout == content, "the body whole");
        }
        std::thread::sleep(Duration::from_millis(200));
        util::kill_traced(&mut child);
        let trace = std::fs::read_to_string(&log).unwrap();
        // (The dynamic loader's small reads of the binary's headers aside.)
        let reads = |name: &str| -> (usize, usize) {
            let calls: Vec<usize> = trace
                .lines()
                .filter(|l| l.contains(name) && !l.contains("= -1"))
                .filter_map(|l| l.rsplit("= ").next()?.trim().parse::<usize>().ok())
                .filter(|&n| n >= 4096)
                .collect();
            (calls.len(), calls.iter().sum())
        };
        let (preadv_calls, preadv_bytes) = reads("preadv(");
        let (_, pread_bytes) = reads("pread64(");
        let maps = trace
            .lines()
            .filter(|l| l.contains("mmap(NULL, 1000000, PROT_READ, MAP_SHARED,"))
            .count();
        if map_max == "0" {
            assert!(
                preadv_bytes >= 2 * content.len() && pread_bytes == 0 && maps == 0,
                "preadv {preadv_bytes} bytes, pread64 {pread_bytes}, {maps} mappings:\n{trace}"
            );
            // Frames of 16 KiB, up to 16 of them per read: about 4 reads per file, not 61.
            assert!(
                preadv_calls <= 2 * 16,
                "{preadv_calls} preadv calls:\n{trace}"
            );
        } else {
            assert!(
                preadv_bytes + pread_bytes == 0 && maps == 1,
                "{preadv_bytes} + {pread_bytes} bytes read, {maps} mappings of the file:\n{trace}"
            );
        }
    }
}

/// 10,000 keep-alive requests for a cached small file (single and pipelined, a conditional
/// 304 among them) after a warm-up cost no allocation.
#[test]
fn a_cached_small_file_allocates_nothing_per_request() {
    let dir = TempDir::new("alloc");
    std::fs::write(dir.0.join("hello.txt"), "Hello, World!").unwrap();
    std::fs::write(dir.0.join("app.js"), "let x = 1;").unwrap();
    std::fs::write(dir.0.join("app.js.br"), "BR").unwrap();
    let d = dir.0.to_str().unwrap();
    let b = count_alloc_brisk(&["--workers", "1", "--dir", d]);
    let mut s = TcpStream::connect(b.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let one = b"GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n".as_slice();
    let js = b"GET /app.js HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, br\r\n\r\n".as_slice();
    let batch: Vec<u8> = one.repeat(16);
    let round = |s: &mut TcpStream, n: usize| {
        for _ in 0..n {
            s.write_all(one).unwrap();
            let (status, _, body) = read_response(s);
            assert_eq!((status, body.as_slice()), (200, &b"Hello, World!"[..]));
            s.write_all(js).unwrap();
            let (status, _, body) = read_response(s);
            assert_eq!((status, body.as_slice()), (200, &b"BR"[..]));
        }
        for _ in 0..n / 16 {
            s.write_all(&batch).unwrap();
            for _ in 0..16 {
                assert_eq!(read_response(s).0, 200);
            }
        }
    };
    round(&mut s, 300);
    allocations(&mut s);
    let before = allocations(&mut s);
    round(&mut s, 4000);
    let after = allocations(&mut s);
    assert_eq!(
        after - before,
        0,
        "{} allocations over 12,000 keep-alive requests for cached small files",
        after - before
    );
}

/// `--demo-routes off` gives the directory every path (a file named `plaintext` is served,
/// not the demo route); `--dir-max-age` sets `Cache-Control`.
#[test]
fn the_binary_lets_files_win_and_sets_cache_control() {
    let dir = TempDir::new("bin");
    std::fs::write(dir.0.join("plaintext"), "a file").unwrap();
    let d = dir.0.to_str().unwrap();
    let get = |b: &util::Brisk| {
        let mut s = TcpStream::connect(b.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        let (st, h, body) = read_response(&mut s);
        let cc = h
            .iter()
            .find(|(k, _)| k == "cache-control")
            .map(|(_, v)| v.clone());
        (st, String::from_utf8(body).unwrap(), cc)
    };
    let b = util::Brisk::start(&["--workers", "1", "--dir", d]);
    assert_eq!(get(&b), (200, "Hello, World!".to_string(), None));
    let b = util::Brisk::start(&[
        "--workers",
        "1",
        "--dir",
        d,
        "--demo-routes",
        "off",
        "--dir-max-age",
        "2m",
    ]);
    assert_eq!(
        get(&b),
        (200, "a file".to_string(), Some("max-age=120".to_string()))
    );
}

//! Metrics (issue 20): the Prometheus text exposition of the counters (names, types, HELP
//! lines, values moving with requests of each protocol and outcome), the metrics path and the
//! separate metrics listener, the health answer (503 while draining), and a scrape parsed by
//! Python `prometheus_client`'s text parser.

mod h2client;
mod util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use brisk_server::{Handle, Method};
use h2client::Client;
use util::{park_route, read_response, send_get, start, wait_parked};

/// Every family, in order, with its type.
const FAMILIES: [(&str, &str); 17] = [
    ("brisk_connections_accepted_total", "counter"),
    ("brisk_connections_open", "gauge"),
    ("brisk_connections_closed_total", "counter"),
    ("brisk_tls_handshakes_total", "counter"),
    ("brisk_http2_connections_total", "counter"),
    ("brisk_requests_total", "counter"),
    ("brisk_request_duration_seconds", "histogram"),
    ("brisk_received_bytes_total", "counter"),
    ("brisk_sent_bytes_total", "counter"),
    ("brisk_pool_buffers_in_use", "gauge"),
    ("brisk_pool_buffers_peak", "gauge"),
    ("brisk_pool_waits_total", "counter"),
    ("brisk_http2_streams_opened_total", "counter"),
    ("brisk_http2_resets_total", "counter"),
    ("brisk_errors_total", "counter"),
    ("brisk_server_answers_total", "counter"),
    ("brisk_draining", "gauge"),
];

/// The value of the sample `key` (`name{labels}` exactly as rendered).
fn value(text: &str, key: &str) -> f64 {
    let found: Vec<f64> = text
        .lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.parse().ok())
        .collect();
    assert_eq!(found.len(), 1, "sample {key} once in:\n{text}");
    found[0]
}

fn requests(text: &str, protocol: &str, class: &str) -> f64 {
    value(
        text,
        &format!("brisk_requests_total{{worker=\"0\",protocol=\"{protocol}\",class=\"{class}\"}}"),
    )
}

/// GET `path` on a new connection; the status, headers and body.
fn get(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<(String, String)>, String) {
    let mut s = send_get(addr, path);
    let (status, headers, body) = read_response(&mut s);
    (status, headers, String::from_utf8(body).unwrap())
}

fn scrape(h: &Handle) -> String {
    let (status, headers, body) = get(h.local_addr(), "/metrics");
    assert_eq!(status, 200);
    let ct = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    assert_eq!(ct, Some(brisk_server::METRICS_CONTENT_TYPE));
    body
}

#[test]
fn exposition_lists_every_family_with_help_type_and_samples() {
    let h = start(|b| {
        b.workers(2);
    });
    let text = h.render_metrics();
    let families: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split_once(' ').unwrap())
        .collect();
    assert_eq!(families, FAMILIES, "{text}");
    for (name, _) in &families {
        let help = format!("# HELP {name} ");
        assert!(
            text.lines()
                .any(|l| l.starts_with(&help) && l.len() > help.len()),
            "no HELP for {name}"
        );
    }
    // Each line is a comment or `name{labels} value`, the name in its family.
    let mut family = "";
    for line in text.lines() {
        if let Some(l) = line.strip_prefix("# TYPE ") {
            family = l.split(' ').next().unwrap();
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, v) = line.rsplit_once(' ').unwrap();
        assert!(v.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with(family), "{line} outside {family}");
    }
    // Per worker: two of each, with the worker label.
    for w in ["0", "1"] {
        value(&text, &format!("brisk_connections_open{{worker=\"{w}\"}}"));
        value(
            &text,
            &format!("brisk_connections_closed_total{{worker=\"{w}\",reason=\"timeout_idle\"}}"),
        );
        value(
            &text,
            &format!("brisk_request_duration_seconds_bucket{{worker=\"{w}\",le=\"+Inf\"}}"),
        );
    }
    assert!(text.contains(
        "# HELP brisk_request_duration_seconds Time from a request's handler running to its \
         answer's head being written. The server reads its clock once per loop turn"
    ));
    assert_eq!(value(&text, "brisk_draining"), 0.0);
    h.shutdown();
    h.join();
}

#[test]
fn counters_move_with_requests_of_each_protocol_and_outcome() {
    let mut parked = None;
    let h = start(|b| {
        b.metrics_path("/metrics")
            .header_timeout(Duration::from_millis(300));
        parked = Some(park_route(b, "/park/{id}"));
    });
    let parked = parked.unwrap();
    let addr = h.local_addr();

    // HTTP/1.1: three on one keep-alive connection.
    let mut s = TcpStream::connect(addr).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        assert_eq!(read_response(&mut s).0, 200);
    }
    drop(s);
    // HTTP/1.0, a 404, a panic, a malformed request, a slow head.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET /plaintext HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    assert_eq!(get(addr, "/nowhere").0, 404);
    assert_eq!(get(addr, "/panic").0, 500);
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut s).0, 400);
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
    assert_eq!(read_response(&mut s).0, 408);
    // A deferred answer, sent 60 ms after its handler ran.
    let mut s = send_get(addr, "/park/1");
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    std::thread::sleep(Duration::from_millis(60));
    let mut res = brisk_server::Response::new();
    res.text("late");
    r.send(res).unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    drop(s);
    // HTTP/2: one answered stream, one the client resets.
    let mut c = Client::connect(addr, 65535, 65535);
    let id = c.get("/plaintext");
    c.turn_until(|c| c.replies.get(&id).is_some_and(|r| r.ended));
    let reset = c.get("/park/2");
    c.flush();
    let (_, r2) = wait_parked(&parked, 1).pop().unwrap();
    c.cancel(reset);
    let t0 = std::time::Instant::now();
    while h.counters().h2_resets_received == 0 {
        assert!(t0.elapsed() < Duration::from_secs(5), "reset not seen");
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(r2);
    drop(c);
    std::thread::sleep(Duration::from_millis(50));

    let text = scrape(&h);
    eprintln!("{text}");
    assert_eq!(
        requests(&text, "http/1.1", "2xx"),
        4.0,
        "3 + the deferred one"
    );
    assert_eq!(requests(&text, "http/1.0", "2xx"), 1.0);
    assert_eq!(requests(&text, "h2", "2xx"), 1.0);
    assert_eq!(requests(&text, "http/1.1", "4xx"), 3.0, "404, 400, 408");
    assert_eq!(requests(&text, "http/1.1", "5xx"), 1.0);
    let sa = |s: &str| {
        value(
            &text,
            &format!("brisk_server_answers_total{{worker=\"0\",status=\"{s}\"}}"),
        )
    };
    assert_eq!(
        (sa("400"), sa("404"), sa("408"), sa("500"), sa("431")),
        (1.0, 1.0, 1.0, 1.0, 0.0)
    );
    let err = |k: &str| {
        value(
            &text,
            &format!("brisk_errors_total{{worker=\"0\",kind=\"{k}\"}}"),
        )
    };
    assert_eq!((err("handler_panic"), err("request_timeout")), (1.0, 1.0));
    let w = |n: &str| value(&text, &format!("{n}{{worker=\"0\"}}"));
    assert_eq!(w("brisk_http2_connections_total"), 1.0);
    assert_eq!(w("brisk_http2_streams_opened_total"), 2.0);
    let resets = |d: &str| {
        value(
            &text,
            &format!("brisk_http2_resets_total{{worker=\"0\",direction=\"{d}\"}}"),
        )
    };
    assert_eq!((resets("received"), resets("sent")), (1.0, 0.0));
    // 10 answered before the scrape (the scrape itself is counted after it renders).
    let count = w("brisk_request_duration_seconds_count");
    assert_eq!(count, 10.0);
    let bucket = |le: &str| {
        value(
            &text,
            &format!("brisk_request_duration_seconds_bucket{{worker=\"0\",le=\"{le}\"}}"),
        )
    };
    assert_eq!(
        bucket("0.001"),
        count - 1.0,
        "all but the deferred one at 0"
    );
    assert_eq!(
        bucket("0.05"),
        count - 1.0,
        "the deferred one took over 60 ms"
    );
    assert_eq!(bucket("+Inf"), count);
    assert!(w("brisk_request_duration_seconds_sum") >= 0.06);
    // Connections: 8, then the scrape's own; all closed but the scrape's.
    assert_eq!(w("brisk_connections_accepted_total"), 9.0);
    assert_eq!(w("brisk_connections_open"), 1.0);
    let closed: f64 = brisk_reactor::Closes::LABELS
        .iter()
        .map(|r| {
            value(
                &text,
                &format!("brisk_connections_closed_total{{worker=\"0\",reason=\"{r}\"}}"),
            )
        })
        .sum();
    assert_eq!(closed, 8.0);
    assert!(w("brisk_received_bytes_total") > 0.0 && w("brisk_sent_bytes_total") > 0.0);
    // The same figures through the API.
    let c = h.counters();
    assert_eq!(c.by_protocol[2][1], 1);
    assert_eq!((c.server_answers(408), c.timeouts, c.panics), (1, 1, 1));
    h.shutdown();
    h.join();
}

#[test]
fn metrics_listener_answers_metrics_and_health_only() {
    let h = start(|b| {
        b.metrics_listener("127.0.0.1:0".parse().unwrap())
            .health_path("/health");
    });
    let m = h.metrics_addr().expect("a metrics listener");
    assert_eq!(h.local_addrs(), [h.local_addr()]);
    assert_ne!(m, h.local_addr());
    let (status, _, body) = get(m, "/metrics");
    assert_eq!(status, 200);
    assert!(
        body.contains("# TYPE brisk_requests_total counter"),
        "{body}"
    );
    let (status, _, body) = get(m, "/health");
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(get(m, "/plaintext").0, 404, "the application is not there");
    assert_eq!(
        get(h.local_addr(), "/metrics").0,
        404,
        "not on the public port"
    );
    assert_eq!(get(h.local_addr(), "/health").2, "ok");
    assert_eq!(get(h.local_addr(), "/plaintext").0, 200);
    h.shutdown();
    h.join();
    assert!(TcpStream::connect(m).is_err(), "closed with the rest");
}

#[test]
fn metrics_path_conflicting_with_a_route_fails_the_start() {
    let mut b = brisk_server::Server::builder();
    b.bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .route(Method::Get, "/metrics", |_, res| {
            res.text("mine");
        })
        .metrics_path("/metrics");
    assert!(matches!(b.start(), Err(brisk_server::Error::Route { .. })));
}

#[test]
fn health_answers_503_once_draining() {
    let mut parked = None;
    let h = start(|b| {
        b.health_path("/health");
        parked = Some(park_route(b, "/park/{id}"));
    });
    let parked = parked.unwrap();
    assert_eq!(get(h.local_addr(), "/health").0, 200);
    // A connection kept open by a deferred answer sees the drain.
    let mut s = send_get(h.local_addr(), "/park/1");
    let (_, r) = wait_parked(&parked, 1).pop().unwrap();
    h.shutdown();
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let mut res = brisk_server::Response::new();
    res.text("late");
    r.send(res).unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    let (status, _, body) = read_response(&mut s);
    assert_eq!((status, body.as_slice()), (503, &b"draining"[..]));
    h.join();
}

#[test]
#[cfg_attr(
    brisk_missing = "py_prometheus_client",
    ignore = "needs Python prometheus_client"
)]
fn prometheus_client_parses_a_scrape() {
    if !util::python(
        "prometheus_client_parses_a_scrape",
        "prometheus_client.parser",
    ) {
        return;
    }
    let h = start(|b| {
        b.workers(2).metrics_path("/metrics");
    });
    for _ in 0..5 {
        assert_eq!(get(h.local_addr(), "/plaintext").0, 200);
    }
    assert_eq!(get(h.local_addr(), "/panic").0, 500);
    let mut c = Client::connect(h.local_addr(), 65535, 65535);
    let id = c.get("/plaintext");
    c.turn_until(|c| c.replies.get(&id).is_some_and(|r| r.ended));
    drop(c);
    let text = scrape(&h);
    // The parser's view: family name and type, then each sample's name, labels and value.
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
for f in text_string_to_metric_families(sys.stdin.read()):
    print("F", f.name, f.type, len(f.samples))
    for s in f.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        print("S", s.name, labels, repr(float(s.value)))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the parser refused the text:\n{text}");
    // prometheus_client names a counter family without `_total`.
    let parsed: Vec<(String, String)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("F "))
        .map(|l| {
            let mut p = l.split(' ');
            (p.next().unwrap().into(), p.next().unwrap().into())
        })
        .collect();
    let expected: Vec<(String, String)> = FAMILIES
        .iter()
        .map(|(n, t)| {
            let n = if *t == "counter" {
                n.strip_suffix("_total").unwrap()
            } else {
                n
            };
            (n.to_string(), t.to_string())
        })
        .collect();
    assert_eq!(parsed, expected, "{out}");
    let sample = |line: &str| out.lines().filter(|l| l.starts_with(line)).count();
    // Each worker's 2xx over HTTP/1.1 and h2; the parser saw both workers' samples.
    let total_2xx: f64 = out
        .lines()
        .filter(|l| l.starts_with("S brisk_requests_total class=2xx,"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(total_2xx, 6.0, "{out}");
    assert_eq!(
        sample("S brisk_request_duration_seconds_bucket le=+Inf,worker="),
        2
    );
    assert_eq!(sample("S brisk_errors_total kind=handler_panic,worker="), 2);
    h.shutdown();
    h.join();
}

//! The text of `brisk --help`.

/// Printed by `brisk --help`.
pub const HELP: &str = "\
brisk: HTTP/1.1, h2c and HTTPS (HTTP/1.1 and HTTP/2 over TLS) server (Brisk)

USAGE:
    brisk [OPTIONS]

OPTIONS:
    --bind ADDR              Address to listen on: IP:PORT, or HOST:PORT (every address
                             the name resolves to at start, e.g. localhost:8080); port 0
                             picks a free port. Repeat it to listen on several addresses.
                             unix:PATH listens on a Unix domain socket.
                             Default: 127.0.0.1:8080
    --workers N              Worker threads, 1 to 1024, each with its own SO_REUSEPORT
                             listener; more than the CPUs gets a warning.
                             Default: the number of CPUs
    --header-timeout DUR     Time to receive a complete request head before the client gets
                             408 and is closed (slow-loris defense). Default: 10s
    --idle-timeout DUR       Time an idle keep-alive connection is kept. Default: 60s
    --max-body SIZE          Largest request body; larger gets 413. Default: 1M
    --shutdown-timeout DUR   On SIGINT/SIGTERM, time in-flight requests get to finish.
                             Default: 10s
    --dir PATH               Serve the files under PATH at / (GET and HEAD; a directory
                             answers with its index.html; ETag, Last-Modified, byte ranges,
                             precompressed x.br/x.zst/x.gz by Accept-Encoding; hidden files
                             404 except /.well-known/). Large files leave by sendfile
                             (HTTP/1.1) or from a memory mapping (h2c).
                             The routes below win where both match: --demo-routes off
                             lets the directory have every path. Default: none
    --dir-max-age DUR        Send Cache-Control: max-age for the files of --dir.
                             Default: none (no Cache-Control)
    --dir-map-max SIZE       Files of --dir larger than 16K and up to SIZE are mapped
                             into memory once per worker, so h2c sends them with one
                             copy instead of two; their pages count in the resident
                             size. 0 turns mapping off. Default: 64M
    --demo-routes on|off     The built-in routes below. Default: on
    --bind-proxy ADDR        Like --bind, but every connection must start with a PROXY
                             protocol header (v1 or v2, as HAProxy's send-proxy or a cloud
                             load balancer sends), whose source address the handlers see;
                             without a valid one the connection is closed unanswered.
                             Repeatable. Given without --bind, the default --bind address
                             is not used. Default: none
    --trusted-proxy CIDR     A proxy whose forwarding header is believed: IP address, CIDR
                             block (10.0.0.0/8, 2001:db8::/32) or unix: (Unix socket peers).
                             Repeatable. The client is then the rightmost address of that
                             header that is not a trusted proxy. Default: none
    --forwarded-header NAME  The header trusted proxies write: x-forwarded-for or forwarded
                             (RFC 7239); only that one is read. Default: x-forwarded-for
    --access-log PATH        Log every answer (the server's own errors too, HTTP/1.1 and
                             HTTP/2) to PATH, appended; - is stdout, off is none. Lines are
                             written by a logging thread every 100 ms; SIGHUP reopens PATH
                             (rename the file, send SIGHUP). Off by default: it costs about
                             3-5 % CPU per keep-alive request (see README). Default: off
    --access-log-format FMT  nginx log_format text with $variables: remote_addr,
                             remote_user, time_local, time_iso8601 (UTC), request,
                             request_method, request_uri, server_protocol, status,
                             body_bytes_sent, bytes_sent, request_time, http_NAME (a request
                             header). Default: nginx's combined format
    --log-level LEVEL        The error log on stderr (timestamped lines): error, warn, info
                             or debug (debug adds each refused request and HTTP/2 connection
                             error). Default: info
    --metrics ADDR           Serve the server's counters at GET /metrics (Prometheus text
                             format 0.0.4) on a listener of their own at IP:PORT, e.g.
                             127.0.0.1:9100 (with the health path too). Default: none
    --health PATH            Answer GET PATH with 200 ok (503 draining once shutdown
                             began), for load balancers. Default: none
    --bind-tls ADDR          Like --bind, but HTTPS: TLS 1.3 and 1.2 (rustls), HTTP/2 or
                             HTTP/1.1 as the client's ALPN asks. Repeatable; mixes with
                             --bind. Given without --bind, the default --bind address is
                             not used. Needs --cert and --key. Default: none
    --cert FILE              PEM certificate chain (leaf first) for --bind-tls. Repeat
                             --cert FILE --key FILE for several certificates: the client's
                             SNI picks the one valid for its name, the first is the
                             default. SIGHUP re-reads the files. Default: none
    --key FILE               PEM private key (PKCS#8, RSA or EC) of the --cert before it.
                             Default: none
    --self-signed            Try HTTPS in one line: makes a certificate for localhost,
                             127.0.0.1 and ::1 by running the openssl command into a
                             temporary directory (removed at exit) and listens on
                             https://127.0.0.1:8443 (or the --bind-tls addresses), e.g.
                               brisk --self-signed &
                               curl -k https://127.0.0.1:8443/plaintext
                             Not for production: browsers warn about the certificate.
    --config FILE            Read settings from a TOML file whose keys are the flags above
                             without their dashes (bind, workers, header-timeout,
                             idle-timeout, max-body, shutdown-timeout, dir, dir-max-age,
                             dir-map-max, demo-routes, bind-proxy,
                             trusted-proxy, forwarded-header, access-log,
                             access-log-format, log-level, metrics, health, bind-tls,
                             cert, key); flags win.
                             E.g.  bind = [\"127.0.0.1:8080\", \"localhost:8081\"]
                                   bind-tls = \"0.0.0.0:8443\"
                                   cert = \"fullchain.pem\"
                                   key = \"key.pem\"
                                   workers = 4
                                   max-body = \"1M\"
                             bind is a string or an array of strings; workers an integer;
                             max-body a string or bytes; timeouts a string or seconds.
    --print-config           Print the effective configuration (defaults, file, flags) as
                             TOML that --config reads, and exit
    -V, --version            Print the version and exit
    -h, --help               Print this help and exit

    DUR is a number with a unit: ms, s or m (e.g. 500ms, 10s, 2m); a bare number is seconds.
    SIZE is a number of bytes with an optional suffix K, M or G (powers of 1024), e.g. 64K.

ROUTES:
    any  /               this list (without --dir)
    GET  /plaintext      Hello, World!
    GET  /json           {\"message\":\"Hello, World!\"}
    POST /echo           the request body, echoed back
    GET  /hello/{name}   Hello, {name}!
    GET  /deferred       Hello, World!, answered through a Responder on the worker thread
    GET  /delay/{ms}     Hello, World!, answered after ms milliseconds (at most 60000) by a
                         timer thread; the worker goes on serving meanwhile
    GET  /blocking       Hello, World!, answered by a handler on the blocking pool
    GET  /events?n=N&ms=M
                         server-sent events (text/event-stream): N events (default 10,
                         at most 10000), one every M ms (default 1000, at most 60000),
                         each `id: i` and `data: event i`, sent by a timer thread; a
                         `: keep-alive` comment after 15 s without one. 400 when N or M
                         is not a whole number. Read it with `curl -N`

SIGNALS:
    SIGINT, SIGTERM      graceful shutdown: stop accepting, finish in-flight requests
                         (Connection: close on HTTP/1.1, GOAWAY on HTTP/2), exit by the
                         shutdown timeout. A second one exits at once (status 128+signal)
    SIGHUP               does not stop the server; reopens the --access-log file (log
                         rotation) and re-reads the --cert and --key files (new
                         handshakes get the new certificates, open connections go on;
                         a bad file keeps the old ones and the log says why), or says
                         \"nothing to reload\" without either
";

//! The settings of a run: one key per flag (`--max-body` is the key `max-body`), filled from the
//! defaults, then the configuration file, then the command line (flags win), and printed back
//! as TOML by `--print-config`.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use brisk_server::log::Level;
use brisk_server::{ForwardedHeader, TrustedProxy};

use crate::listen::Bind;
use crate::values::{format_duration, format_size, parse_duration, parse_size};

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub bind: Vec<Bind>,
    pub workers: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_body: usize,
    pub shutdown_timeout: Duration,
    pub dir: Option<PathBuf>,
    /// `dir-max-age`: `Cache-Control: max-age` for the files of `dir`.
    pub dir_max_age: Option<Duration>,
    /// `dir-map-max`: files of `dir` up to this size are memory-mapped for h2c (0: none).
    pub dir_map_max: usize,
    /// `demo-routes`: the built-in routes (`/plaintext`, `/json`, ...); off, `dir` has every
    /// path.
    pub demo_routes: bool,
    // Client addresses behind proxies.
    pub bind_proxy: Vec<Bind>,
    pub trusted_proxy: Vec<TrustedProxy>,
    pub forwarded_header: ForwardedHeader,
    /// `access-log`: a file, `-` for stdout, `off` (the default) for none.
    pub access_log: AccessLogTo,
    /// `access-log-format`: nginx `log_format` text; `None` is `combined`.
    pub access_log_format: Option<String>,
    /// `log-level`: the error log's level.
    pub log_level: Level,
    /// `metrics`: the address of a listener that serves `GET /metrics` (Prometheus text).
    pub metrics: Option<std::net::SocketAddr>,
    /// `health`: the path that answers 200 `ok` (503 while draining).
    pub health: Option<String>,
    /// `bind-tls`: HTTPS listeners (HTTP/1.1 and HTTP/2 by ALPN).
    pub bind_tls: Vec<Bind>,
    /// `cert`, `key`: certificate chain and key files, paired in order (the first pair is the
    /// default certificate; the others are chosen by SNI).
    pub cert: Vec<PathBuf>,
    pub key: Vec<PathBuf>,
}

/// Where the access log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogTo {
    /// No access log (the default: it costs a little per request).
    Off,
    /// The standard output (`-`).
    Stdout,
    /// A file, appended to, reopened on SIGHUP.
    File(PathBuf),
}

impl AccessLogTo {
    fn parse(v: &str) -> Result<AccessLogTo, String> {
        Ok(match v {
            "" => return Err("expected a file, - (stdout) or off".to_string()),
            "off" => AccessLogTo::Off,
            "-" => AccessLogTo::Stdout,
            p => AccessLogTo::File(p.into()),
        })
    }

    fn text(&self) -> String {
        match self {
            AccessLogTo::Off => "off".to_string(),
            AccessLogTo::Stdout => "-".to_string(),
            AccessLogTo::File(p) => p.to_string_lossy().into_owned(),
        }
    }
}

/// Most workers.
pub const MAX_WORKERS: usize = 1024;

/// The number of CPUs this process may run on, if known.
pub fn cpus() -> Option<usize> {
    std::thread::available_parallelism().ok().map(|n| n.get())
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            bind: vec![Bind::Addr(([127, 0, 0, 1], 8080).into())],
            workers: cpus().unwrap_or(1).min(MAX_WORKERS),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_body: 1024 * 1024,
            shutdown_timeout: Duration::from_secs(10),
            dir: None,
            dir_max_age: None,
            dir_map_max: 64 << 20,
            demo_routes: true,
            bind_proxy: Vec::new(),
            trusted_proxy: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            access_log: AccessLogTo::Off,
            access_log_format: None,
            log_level: Level::Info,
            metrics: None,
            health: None,
            bind_tls: Vec::new(),
            cert: Vec::new(),
            key: Vec::new(),
        }
    }
}

/// The keys, in the order `--print-config` writes them; each is also a flag (`--{key}`).
pub const KEYS: [&str; 21] = [
    "bind",
    "workers",
    "header-timeout",
    "idle-timeout",
    "max-body",
    "shutdown-timeout",
    "dir",
    "dir-max-age",
    "dir-map-max",
    "demo-routes",
    "bind-proxy",
    "trusted-proxy",
    "forwarded-header",
    "access-log",
    "access-log-format",
    "log-level",
    "metrics",
    "health",
    "bind-tls",
    "cert",
    "key",
];

/// The TOML types a key accepts (see [`Overrides::set`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `bind`: a string, or an array of strings.
    Addrs,
    /// `workers`: an integer.
    Count,
    /// `max-body`: a string such as "64K", or an integer number of bytes.
    Size,
    /// The timeouts: a string such as "500ms", or an integer number of seconds.
    Duration,
    /// `dir`, `forwarded-header`, `access-log`: a string.
    Path,
    /// `access-log-format`, `log-level`: a string.
    Text,
}

/// The kind of `key`, or `None` when there is no such key.
pub fn kind(key: &str) -> Option<Kind> {
    Some(match key {
        "bind" => Kind::Addrs,
        "workers" => Kind::Count,
        "max-body" | "dir-map-max" => Kind::Size,
        "header-timeout" | "idle-timeout" | "shutdown-timeout" | "dir-max-age" => Kind::Duration,
        "dir" | "access-log" | "forwarded-header" => Kind::Path,
        "bind-proxy" | "trusted-proxy" | "bind-tls" | "cert" | "key" => Kind::Addrs,
        "access-log-format" | "log-level" | "metrics" | "health" | "demo-routes" => Kind::Text,
        _ => return None,
    })
}

/// Settings given by one source (the file or the command line); `None` (or no address) keeps
/// what an earlier source or the default said.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Every address given; when not empty, replaces the earlier source's list as a whole.
    pub bind: Vec<Bind>,
    pub workers: Option<usize>,
    pub header_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub max_body: Option<usize>,
    pub shutdown_timeout: Option<Duration>,
    pub dir: Option<PathBuf>,
    pub dir_max_age: Option<Duration>,
    pub dir_map_max: Option<usize>,
    pub demo_routes: Option<bool>,
    /// Client addresses behind proxies (each list, when not empty, replaces the earlier one).
    pub bind_proxy: Vec<Bind>,
    pub trusted_proxy: Vec<TrustedProxy>,
    pub forwarded_header: Option<ForwardedHeader>,
    pub access_log: Option<AccessLogTo>,
    pub access_log_format: Option<String>,
    pub log_level: Option<Level>,
    pub metrics: Option<std::net::SocketAddr>,
    pub health: Option<String>,
    /// TLS listeners and certificate files (each list, when not empty, replaces the earlier one).
    pub bind_tls: Vec<Bind>,
    pub cert: Vec<PathBuf>,
    pub key: Vec<PathBuf>,
}

impl Overrides {
    /// Sets `key` (one of [`KEYS`]) from its text, as a flag or the file writes it; `bind` adds
    /// an address. The error says what is allowed (the caller adds where the value came from).
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), String> {
        let duration = || {
            parse_duration(v).ok_or("expected a duration above zero with unit ms, s or m, e.g. 500ms, 10s, 2m (at most 1 day)")
        };
        match key {
            "bind" => self.bind.push(Bind::parse(v)?),
            "workers" => {
                self.workers = match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_WORKERS).contains(&n) => Some(n),
                    _ => return Err(format!("expected a whole number from 1 to {MAX_WORKERS}")),
                }
            }
            "max-body" => self.max_body = Some(parse_size(v).ok_or(
                "expected bytes with an optional K, M or G suffix, e.g. 1048576 or 1M (at most 1G)",
            )?),
            "header-timeout" => self.header_timeout = Some(duration()?),
            "idle-timeout" => self.idle_timeout = Some(duration()?),
            "shutdown-timeout" => self.shutdown_timeout = Some(duration()?),
            "dir" => {
                if v.is_empty() {
                    return Err("expected the path of a directory".to_string());
                }
                self.dir = Some(v.into());
            }
            "dir-max-age" => self.dir_max_age = Some(duration()?),
            "dir-map-max" => self.dir_map_max = Some(parse_size(v).ok_or(
                "expected bytes with an optional K, M or G suffix, e.g. 64M, or 0 for none (at most 1G)",
            )?),
            "demo-routes" => {
                self.demo_routes = Some(match v {
                    "on" => true,
                    "off" => false,
                    _ => return Err("expected on or off".to_string()),
                })
            }
            "bind-proxy" => self.bind_proxy.push(Bind::parse(v)?),
            "trusted-proxy" => self.trusted_proxy.push(v.parse().map_err(|_| {
                "expected an IP address, a CIDR block or unix:, e.g. 10.0.0.0/8, 127.0.0.1, ::1"
            })?),
            "forwarded-header" => {
                self.forwarded_header = Some(match v {
                    "x-forwarded-for" => ForwardedHeader::XForwardedFor,
                    "forwarded" => ForwardedHeader::Forwarded,
                    _ => return Err("expected x-forwarded-for or forwarded".to_string()),
                })
            }
            "access-log" => self.access_log = Some(AccessLogTo::parse(v)?),
            "access-log-format" => {
                // Checked here, so that a bad format names its key and line.
                brisk_server::AccessLog::stdout()
                    .format(v)
                    .map_err(|e| e.to_string())?;
                self.access_log_format = Some(v.to_string());
            }
            "log-level" => self.log_level = Some(v.parse().map_err(|e| format!("{e}"))?),
            "metrics" => {
                self.metrics = Some(v.parse().map_err(|_| {
                    "expected IP:PORT for the metrics listener, e.g. 127.0.0.1:9100".to_string()
                })?)
            }
            "health" => {
                if !v.starts_with('/') {
                    return Err("expected a path starting with /, e.g. /health".to_string());
                }
                self.health = Some(v.to_string());
            }
            "bind-tls" => self.bind_tls.push(Bind::parse(v)?),
            "cert" | "key" => {
                if v.is_empty() {
                    return Err(format!("expected the path of a PEM {key} file"));
                }
                let list = if key == "cert" {
                    &mut self.cert
                } else {
                    &mut self.key
                };
                list.push(v.into());
            }
            _ => return Err(format!("unknown key (allowed: {})", KEYS.join(", "))),
        }
        Ok(())
    }
}

impl Settings {
    /// Applies what `o` sets.
    pub fn apply(&mut self, o: &Overrides) {
        if !o.bind.is_empty() {
            self.bind = o.bind.clone();
        }
        let Overrides {
            bind: _,
            workers,
            header_timeout,
            idle_timeout,
            max_body,
            shutdown_timeout,
            dir,
            dir_max_age,
            dir_map_max,
            demo_routes,
            bind_proxy,
            trusted_proxy,
            forwarded_header,
            access_log,
            access_log_format,
            log_level,
            metrics,
            health,
            bind_tls,
            cert,
            key,
        } = o;
        if dir_max_age.is_some() {
            self.dir_max_age = *dir_max_age;
        }
        self.demo_routes = demo_routes.unwrap_or(self.demo_routes);
        self.dir_map_max = dir_map_max.unwrap_or(self.dir_map_max);
        self.workers = workers.unwrap_or(self.workers);
        self.header_timeout = header_timeout.unwrap_or(self.header_timeout);
        self.idle_timeout = idle_timeout.unwrap_or(self.idle_timeout);
        self.max_body = max_body.unwrap_or(self.max_body);
        self.shutdown_timeout = shutdown_timeout.unwrap_or(self.shutdown_timeout);
        if dir.is_some() {
            self.dir.clone_from(dir);
        }
        if !bind_proxy.is_empty() {
            // PROXY listeners alone: the default plain address is not added to them.
            if o.bind.is_empty() && self.bind == Settings::default().bind {
                self.bind.clear();
            }
            self.bind_proxy.clone_from(bind_proxy);
        }
        if !trusted_proxy.is_empty() {
            self.trusted_proxy.clone_from(trusted_proxy);
        }
        self.forwarded_header = forwarded_header.unwrap_or(self.forwarded_header);
        if let Some(a) = access_log {
            self.access_log = a.clone();
        }
        if access_log_format.is_some() {
            self.access_log_format.clone_from(access_log_format);
        }
        self.log_level = log_level.unwrap_or(self.log_level);
        if metrics.is_some() {
            self.metrics = *metrics;
        }
        if health.is_some() {
            self.health.clone_from(health);
        }
        if !bind_tls.is_empty() {
            // TLS listeners alone: the default plain address is not added to them.
            if o.bind.is_empty() && self.bind == Settings::default().bind {
                self.bind.clear();
            }
            self.bind_tls.clone_from(bind_tls);
        }
        if !cert.is_empty() {
            self.cert.clone_from(cert);
        }
        if !key.is_empty() {
            self.key.clone_from(key);
        }
    }

    /// The certificate and key pairs, checked against the TLS listeners.
    ///
    /// # Errors
    ///
    /// `cert` and `key` counts differ, or TLS listeners without a certificate.
    pub fn cert_pairs(&self) -> Result<Vec<(PathBuf, PathBuf)>, String> {
        if self.cert.len() != self.key.len() {
            return Err(format!(
                "{} --cert but {} --key: give them in pairs (--cert FILE --key FILE, once per certificate)",
                self.cert.len(),
                self.key.len()
            ));
        }
        if !self.bind_tls.is_empty() && self.cert.is_empty() {
            return Err(
                "--bind-tls needs a certificate: --cert FILE --key FILE (or --self-signed)"
                    .to_string(),
            );
        }
        Ok(self
            .cert
            .iter()
            .cloned()
            .zip(self.key.iter().cloned())
            .collect())
    }

    /// The settings as a TOML document that `--config` reads back to the same settings.
    pub fn to_toml(&self) -> String {
        let mut t = String::from(
            "# brisk: effective configuration (brisk --print-config); read by brisk --config FILE\n",
        );
        let binds: Vec<String> = self.bind.iter().map(|b| quote(&b.to_string())).collect();
        if binds.is_empty() {
            t.push_str("# bind: none (only bind-proxy)\n");
        } else {
            let _ = writeln!(t, "bind = [{}]", binds.join(", "));
        }
        let _ = writeln!(t, "workers = {}", self.workers);
        for (key, d) in [
            ("header-timeout", self.header_timeout),
            ("idle-timeout", self.idle_timeout),
        ] {
            let _ = writeln!(t, "{key} = \"{}\"", format_duration(d));
        }
        let _ = writeln!(t, "max-body = \"{}\"", format_size(self.max_body));
        let _ = writeln!(
            t,
            "shutdown-timeout = \"{}\"",
            format_duration(self.shutdown_timeout)
        );
        match &self.dir {
            Some(d) => {
                let _ = writeln!(t, "dir = {}", quote(&d.to_string_lossy()));
            }
            None => t.push_str("# dir: not set (no directory served)\n"),
        }
        match self.dir_max_age {
            Some(d) => {
                let _ = writeln!(t, "dir-max-age = \"{}\"", format_duration(d));
            }
            None => t.push_str("# dir-max-age: not set (no Cache-Control)\n"),
        }
        let _ = writeln!(t, "dir-map-max = \"{}\"", format_size(self.dir_map_max));
        let on = if self.demo_routes { "on" } else { "off" };
        let _ = writeln!(t, "demo-routes = \"{on}\"");
        let list = |v: Vec<String>| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
        if self.bind_proxy.is_empty() {
            t.push_str("# bind-proxy: none (no listener expects a PROXY protocol header)\n");
        } else {
            let b = list(self.bind_proxy.iter().map(Bind::to_string).collect());
            let _ = writeln!(t, "bind-proxy = [{b}]");
        }
        if self.trusted_proxy.is_empty() {
            t.push_str("# trusted-proxy: none (forwarding headers are not believed)\n");
        } else {
            let p = list(self.trusted_proxy.iter().map(|p| p.to_string()).collect());
            let _ = writeln!(t, "trusted-proxy = [{p}]");
        }
        let header = match self.forwarded_header {
            ForwardedHeader::Forwarded => "forwarded",
            _ => "x-forwarded-for",
        };
        let _ = writeln!(t, "forwarded-header = \"{header}\"");
        let _ = writeln!(t, "access-log = {}", quote(&self.access_log.text()));
        match &self.access_log_format {
            Some(f) => {
                let _ = writeln!(t, "access-log-format = {}", quote(f));
            }
            None => t.push_str("# access-log-format: not set (nginx's combined format)\n"),
        }
        let _ = writeln!(t, "log-level = \"{}\"", self.log_level);
        match self.metrics {
            Some(a) => {
                let _ = writeln!(t, "metrics = \"{a}\"");
            }
            None => t.push_str("# metrics: not set (no metrics listener)\n"),
        }
        match &self.health {
            Some(h) => {
                let _ = writeln!(t, "health = {}", quote(h));
            }
            None => t.push_str("# health: not set (no health path)\n"),
        }
        let paths =
            |v: &[PathBuf]| list(v.iter().map(|p| p.to_string_lossy().into_owned()).collect());
        if self.bind_tls.is_empty() {
            t.push_str("# bind-tls: none (no HTTPS listener)\n");
        } else {
            let b = list(self.bind_tls.iter().map(Bind::to_string).collect());
            let _ = writeln!(t, "bind-tls = [{b}]");
        }
        if self.cert.is_empty() && self.key.is_empty() {
            t.push_str("# cert, key: none\n");
        } else {
            let _ = writeln!(t, "cert = [{}]", paths(&self.cert));
            let _ = writeln!(t, "key = [{}]", paths(&self.key));
        }
        t
    }
}

/// `s` as a TOML basic string.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(q, "\\u{:04X}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_kind_and_a_setter() {
        for k in KEYS {
            assert!(kind(k).is_some(), "{k}");
            let bad = match k {
                "dir" | "access-log" | "cert" | "key" => "",
                "access-log-format" => "$nope",
                _ => "bad",
            };
            let e = Overrides::default().set(k, bad).unwrap_err();
            assert!(!e.contains("unknown key"), "{k}: {e}");
        }
        assert_eq!(kind("port"), None);
        assert!(Overrides::default()
            .set("port", "1")
            .unwrap_err()
            .contains("allowed: bind, workers"));
    }

    #[test]
    fn later_sources_win_key_by_key() {
        let mut file = Overrides::default();
        file.set("bind", "10.0.0.1:1").unwrap();
        file.set("workers", "3").unwrap();
        file.set("max-body", "2K").unwrap();
        let mut cli = Overrides::default();
        cli.set("workers", "5").unwrap();
        let mut s = Settings::default();
        s.apply(&file);
        s.apply(&cli);
        assert_eq!(s.workers, 5);
        assert_eq!(s.max_body, 2048);
        assert_eq!(s.bind, vec![Bind::parse("10.0.0.1:1").unwrap()]);
        // Addresses on the command line replace the file's list; two of them are both kept.
        cli.set("bind", "127.0.0.1:2").unwrap();
        cli.set("bind", "localhost:3").unwrap();
        s.apply(&cli);
        assert_eq!(s.bind.len(), 2);
        assert_eq!(s.bind[1].to_string(), "localhost:3");
    }

    #[test]
    fn access_log_and_log_level_keys() {
        let mut o = Overrides::default();
        o.set("access-log", "/var/log/brisk.log").unwrap();
        o.set("access-log-format", "$status \"$request\"").unwrap();
        o.set("log-level", "WARN").unwrap();
        let mut s = Settings::default();
        assert_eq!(s.access_log, AccessLogTo::Off);
        s.apply(&o);
        assert_eq!(s.access_log, AccessLogTo::File("/var/log/brisk.log".into()));
        assert_eq!(s.log_level, Level::Warn);
        let t = s.to_toml();
        assert!(t.contains("access-log = \"/var/log/brisk.log\"\n"), "{t}");
        assert!(
            t.contains("access-log-format = \"$status \\\"$request\\\"\"\n"),
            "{t}"
        );
        assert!(t.contains("log-level = \"warn\"\n"), "{t}");
        o.set("access-log", "-").unwrap();
        s.apply(&o);
        assert_eq!(s.access_log, AccessLogTo::Stdout);
        let e = o.set("access-log-format", "$status $nope").unwrap_err();
        assert_eq!(e, "unknown access log variable `$nope`");
        assert!(o
            .set("log-level", "loud")
            .unwrap_err()
            .contains("error, warn, info or debug"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("x\u{1}\n"), "\"x\\u0001\\n\"");
    }
}

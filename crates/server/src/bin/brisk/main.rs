//! `brisk`: the Brisk server binary. HTTP/1.1 and h2c on one port, with built-in routes for load
//! tests and demos. Run `brisk --help` for the flags.
//!
//! Modules: `args` (the command line), `file` (`--config FILE`), `config` (the settings and
//! `--print-config`), `values` (sizes and durations), `listen` (what `--bind` names),
//! `signals`, `routes` with `events` and `timer`, `help`.

mod args;
mod config;
#[cfg(feature = "count-alloc")]
mod count_alloc;
mod events;
mod file;
mod help;
mod listen;
mod routes;
#[cfg(feature = "tls")]
mod self_signed;
mod signals;
mod timer;
mod tls;
mod values;

use std::process::ExitCode;

use brisk_server::log;
use brisk_server::{AccessLog, ListenAddr, Server};

use crate::args::{Cli, Command};
use crate::config::{AccessLogTo, Settings};
use crate::values::{format_duration, format_size};

/// Exit status for a bad command line or configuration file.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    // First, so that a SIGHUP during start-up does not kill the process either.
    signals::install_hangup();
    let cli = match args::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", help::HELP);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("brisk {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(cli)) => cli,
        Err(e) => {
            eprintln!("brisk: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let settings = match effective(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("brisk: {e}");
            return ExitCode::from(USAGE);
        }
    };
    if cli.print_config {
        print!("{}", settings.to_toml());
        return ExitCode::SUCCESS;
    }
    #[cfg(feature = "tls")]
    {
        let mut settings = settings;
        let made = if cli.self_signed {
            if !settings.cert.is_empty() {
                eprintln!("brisk: --self-signed and --cert: give one or the other");
                return ExitCode::from(USAGE);
            }
            match self_signed::make() {
                Ok(m) => {
                    if settings.bind_tls.is_empty() {
                        settings
                            .bind_tls
                            .push(listen::Bind::Addr(([127, 0, 0, 1], 8443).into()));
                    }
                    settings.cert = vec![m.cert.clone()];
                    settings.key = vec![m.key.clone()];
                    Some(m)
                }
                Err(e) => {
                    eprintln!("brisk: {e}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            None
        };
        let code = serve(&settings);
        drop(made);
        code
    }
    #[cfg(not(feature = "tls"))]
    {
        if cli.self_signed || !settings.bind_tls.is_empty() {
            eprintln!("brisk: built without the tls feature: no --bind-tls or --self-signed");
            return ExitCode::from(USAGE);
        }
        serve(&settings)
    }
}

/// Defaults, then the configuration file, then the flags.
fn effective(cli: &Cli) -> Result<Settings, String> {
    let mut s = Settings::default();
    if let Some(path) = &cli.config {
        s.apply(&file::load(path)?);
    }
    s.apply(&cli.set);
    Ok(s)
}

/// The access log the settings ask for, if any.
fn access_log(s: &Settings) -> Result<Option<AccessLog>, String> {
    let log = match &s.access_log {
        AccessLogTo::Off => return Ok(None),
        AccessLogTo::Stdout => AccessLog::stdout(),
        AccessLogTo::File(p) => AccessLog::file(p)
            .map_err(|e| format!("cannot open the access log {}: {e}", p.display()))?,
    };
    match &s.access_log_format {
        Some(f) => log.format(f).map(Some).map_err(|e| e.to_string()),
        None => Ok(Some(log)),
    }
}

fn serve(s: &Settings) -> ExitCode {
    log::set_level(s.log_level);
    let mut builder = Server::builder();
    let (tcp, unix) = match listen::listeners(&s.bind) {
        Ok(l) => l,
        Err(e) => {
            log::error(format_args!("{e}"));
            return ExitCode::FAILURE;
        }
    };
    match access_log(s) {
        Ok(Some(l)) => {
            builder.access_log(l);
        }
        Ok(None) => {}
        Err(e) => {
            log::error(format_args!("{e}"));
            return ExitCode::FAILURE;
        }
    }
    let plain_count = tcp.len() + unix.len();
    for a in tcp {
        builder.bind(a);
    }
    for path in unix {
        builder.bind_unix(path);
    }
    // After the cleartext listeners: `listen_addrs` keeps this order.
    let certs = match tls::listeners(&mut builder, s) {
        Ok(c) => c,
        Err(e) => {
            log::error(format_args!("{e}"));
            return ExitCode::FAILURE;
        }
    };
    let tls_count = certs.as_ref().map_or(0, |c| c.addrs);
    // Client addresses behind proxies.
    let (tcp, unix) = match listen::listeners(&s.bind_proxy) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("brisk: {e}");
            return ExitCode::FAILURE;
        }
    };
    for a in tcp {
        builder.bind_proxy(a);
    }
    for path in unix {
        builder.listen_on_proxy(ListenAddr::Unix(path));
    }
    let trusted: Vec<String> = s.trusted_proxy.iter().map(|p| p.to_string()).collect();
    builder
        .trusted_proxies(trusted)
        .forwarded_header(s.forwarded_header);
    if let Some(a) = s.metrics {
        builder.metrics_listener(a);
    }
    if let Some(h) = &s.health {
        builder.health_path(h);
    }
    let cpus = config::cpus();
    if let Some(cpus) = cpus.filter(|&c| s.workers > c) {
        log::warn(format_args!(
            "{} workers but {cpus} CPU{}: the extra workers only compete for them \
             (set --workers {cpus} or less)",
            s.workers,
            plural(cpus)
        ));
    }
    builder
        .workers(s.workers)
        .max_body_size(s.max_body)
        .header_timeout(s.header_timeout)
        .idle_timeout(s.idle_timeout)
        .shutdown_timeout(s.shutdown_timeout);
    routes::register(&mut builder, s);

    // This thread serves as worker 0: with `--workers 1` the process has no other thread.
    let result = builder.run_with(|handle| {
        // Handlers first, so that a signal sent on seeing the line below is handled.
        signals::install_stop(handle, s.shutdown_timeout);
        // Not in a process that is otherwise single-threaded (`--workers 1` without an access
        // log file nor TLS): a second thread makes every socket call dearer (see `signals`).
        // With TLS it runs always: it reloads the certificates on SIGHUP.
        let reload = certs.as_ref().map(|c| c.tls.clone());
        if s.workers > 1 || matches!(s.access_log, AccessLogTo::File(_)) || reload.is_some() {
            signals::watch(handle, matches!(s.access_log, AccessLogTo::File(_)), reload);
        }
        let metrics = handle.metrics_addr();
        let all = handle.listen_addrs();
        for (i, addr) in all.iter().enumerate() {
            let secure = tls::is_tls(i, plain_count, tls_count);
            let (url, what) = match addr {
                ListenAddr::Tcp(a) if Some(*a) == metrics => continue,
                ListenAddr::Tcp(a) if secure => {
                    (format!("https://{a}"), "HTTP/1.1 and HTTP/2 over TLS")
                }
                ListenAddr::Tcp(a) => (format!("http://{a}"), "HTTP/1.1 and h2c"),
                other if secure => (other.to_string(), "HTTP/1.1 and HTTP/2 over TLS"),
                other => (other.to_string(), "HTTP/1.1 and h2c"),
            };
            println!(
                "brisk listening on {url} ({what}, {} worker{})",
                s.workers,
                plural(s.workers)
            );
        }
        for line in start_up_facts(s, handle.listen_addrs(), cpus, handle.fd_limit()).lines() {
            log::info(format_args!("{line}"));
        }
        if let Some(c) = &certs {
            let on: Vec<String> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| tls::is_tls(*i, plain_count, tls_count))
                .map(|(_, a)| a.to_string())
                .collect();
            log::info(format_args!("TLS on {}: {}", on.join(", "), c.summary));
        }
        if let Some(a) = metrics {
            log::info(format_args!("metrics on http://{a}/metrics"));
        }
    });
    match result {
        Ok(()) => {
            log::info(format_args!("stopped"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::error(format_args!("{e}"));
            ExitCode::FAILURE
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Two lines for stderr: listeners and workers, then the main limits.
fn start_up_facts(
    s: &Settings,
    addrs: &[ListenAddr],
    cpus: Option<usize>,
    fd_limit: u64,
) -> String {
    let addrs: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
    let cpus = cpus.map_or(String::new(), |c| format!(" on {c} CPU{}", plural(c)));
    let dir = s
        .dir
        .as_ref()
        .map_or(String::new(), |d| format!("; serving {}", d.display()));
    let access = match (&s.access_log, &s.access_log_format) {
        (AccessLogTo::Off, _) => "off".to_string(),
        (AccessLogTo::Stdout, None) => "stdout (combined)".to_string(),
        (AccessLogTo::Stdout, Some(_)) => "stdout (custom format)".to_string(),
        (AccessLogTo::File(p), f) => format!(
            "{} ({})",
            p.display(),
            if f.is_some() {
                "custom format"
            } else {
                "combined"
            }
        ),
    };
    format!(
        "brisk {}: listening on {} (HTTP/1.1, h2c); {} worker{}{cpus}; fd limit {fd_limit}\n\
         max-body {}, header-timeout {}, idle-timeout {}, shutdown-timeout {}{dir}; \
         access log {access}; log level {}",
        env!("CARGO_PKG_VERSION"),
        addrs.join(", "),
        s.workers,
        plural(s.workers),
        format_size(s.max_body),
        format_duration(s.header_timeout),
        format_duration(s.idle_timeout),
        format_duration(s.shutdown_timeout),
        s.log_level,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_documents_every_flag() {
        for k in config::KEYS {
            assert!(help::HELP.contains(&format!("--{k} ")), "{k}");
        }
        for f in [
            "--config",
            "--print-config",
            "--self-signed",
            "--version",
            "--help",
            "SIGHUP",
        ] {
            assert!(help::HELP.contains(f), "{f}");
        }
        for route in ["/plaintext", "/delay/{ms}", "/events?n=N&ms=M"] {
            assert!(help::HELP.contains(route), "{route}");
        }
    }

    #[test]
    fn start_up_facts_name_listeners_workers_and_limits() {
        let s = Settings {
            workers: 3,
            ..Settings::default()
        };
        let addrs = [
            ListenAddr::Tcp("127.0.0.1:1".parse().unwrap()),
            ListenAddr::Tcp("[::1]:2".parse().unwrap()),
        ];
        let f = start_up_facts(&s, &addrs, Some(2), 1024);
        assert!(f.contains("fd limit 1024"), "{f}");
        assert!(f.contains("listening on 127.0.0.1:1, [::1]:2"), "{f}");
        assert!(f.contains("3 workers on 2 CPUs"), "{f}");
        assert!(f.contains("max-body 1M, header-timeout 10s"), "{f}");
        assert_eq!(f.lines().count(), 2, "{f}");
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("brisk-effective-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("brisk.toml");
        std::fs::write(&path, "workers = 3\nmax-body = \"2K\"\n").unwrap();
        let args = ["--config", path.to_str().unwrap(), "--workers", "5"];
        let Ok(Command::Run(cli)) = args::parse(args.map(Into::into)) else {
            panic!("parse")
        };
        let s = effective(&cli).unwrap();
        assert_eq!((s.workers, s.max_body), (5, 2048));
        std::fs::write(&path, "workers = 3\nmax-body = \"2T\"\n").unwrap();
        let e = effective(&cli).unwrap_err();
        assert!(e.ends_with(":2: key 'max-body': bad value \"2T\": expected bytes with an optional K, M or G suffix, e.g. 1048576 or 1M (at most 1G)"), "{e}");
        assert!(e.starts_with(path.to_str().unwrap()), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

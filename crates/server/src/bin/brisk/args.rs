//! The command line: `--KEY VALUE` or `--KEY=VALUE` for each configuration key (see
//! [`crate::config::KEYS`]; `--bind` may be given more than once), plus `--config FILE`,
//! `--print-config`, `--version` and `--help`.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::config::{Overrides, KEYS};

/// What the command line asks for.
// Made once per run: the size of the `Run` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Serve (or, with `print_config`, print the effective configuration).
    Run(Box<Cli>),
    /// `-h`, `--help`.
    Help,
    /// `-V`, `--version`.
    Version,
}

/// The flags of a run.
#[derive(Debug, Default, PartialEq)]
pub struct Cli {
    /// `--config FILE`: read before the flags, which win.
    pub config: Option<PathBuf>,
    /// `--print-config`: print the effective configuration as TOML and exit.
    pub print_config: bool,
    /// `--self-signed`: serve HTTPS with a certificate for localhost made at start by the
    /// `openssl` command (in a temporary directory).
    pub self_signed: bool,
    /// The settings given as flags.
    pub set: Overrides,
}

/// Flags that are not configuration keys.
const OTHER_FLAGS: [&str; 5] = [
    "--config",
    "--print-config",
    "--self-signed",
    "--version",
    "--help",
];

/// Parses the arguments (without the program name).
///
/// # Errors
///
/// A message naming the argument and what is allowed.
pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command, String> {
    let mut cli = Cli::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument {a:?} is not valid UTF-8"))?;
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--print-config" => {
                cli.print_config = true;
                continue;
            }
            "--self-signed" => {
                cli.self_signed = true;
                continue;
            }
            _ => {}
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let key = flag.strip_prefix("--").unwrap_or("");
        if !KEYS.contains(&key) && flag != "--config" {
            let allowed: Vec<String> = KEYS.iter().map(|k| format!("--{k}")).collect();
            return Err(format!(
                "unknown argument '{arg}' (allowed: {}, {})",
                allowed.join(", "),
                OTHER_FLAGS.join(", ")
            ));
        }
        let value = match inline {
            Some(v) => v,
            None => it
                .next()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))?
                .into_string()
                .map_err(|v| format!("{flag} {v:?}: not valid UTF-8"))?,
        };
        if flag == "--config" {
            if value.is_empty() {
                return Err("--config needs the path of a file".to_string());
            }
            cli.config = Some(value.into());
            continue;
        }
        cli.set
            .set(key, &value)
            .map_err(|e| format!("invalid {flag} '{value}': {e}"))?;
    }
    Ok(Command::Run(Box::new(cli)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::listen::Bind;
    use std::time::Duration;

    fn parse_str(s: &str) -> Result<Command, String> {
        parse(s.split_whitespace().map(OsString::from))
    }

    fn settings(s: &str) -> Settings {
        let Command::Run(cli) = parse_str(s).unwrap() else {
            panic!("not a run: {s}")
        };
        let mut settings = Settings::default();
        settings.apply(&cli.set);
        settings
    }

    #[test]
    fn flags_parse() {
        let a = settings("--bind 0.0.0.0:9 --workers 3 --header-timeout 500ms --idle-timeout=2m --max-body 64K --shutdown-timeout 1.5");
        assert_eq!(a.bind, vec![Bind::Addr("0.0.0.0:9".parse().unwrap())]);
        assert_eq!(a.workers, 3);
        assert_eq!(a.header_timeout, Duration::from_millis(500));
        assert_eq!(a.idle_timeout, Duration::from_secs(120));
        assert_eq!(a.max_body, 65536);
        assert_eq!(a.shutdown_timeout, Duration::from_millis(1500));
        assert_eq!(a.dir, None);
        let a = settings("--dir /srv/www");
        assert_eq!(a.dir.as_deref(), Some(std::path::Path::new("/srv/www")));
        assert_eq!(parse_str("--help").unwrap(), Command::Help);
        assert_eq!(parse_str("--workers 2 -h").unwrap(), Command::Help);
        assert_eq!(parse_str("--version").unwrap(), Command::Version);
        assert_eq!(parse_str("-V").unwrap(), Command::Version);
    }

    #[test]
    fn bind_twice_keeps_both_and_takes_host_names() {
        let a = settings(
            "--bind 127.0.0.1:1 --bind=localhost:2 --bind [::1]:3 --bind unix:/run/b.sock",
        );
        let text: Vec<String> = a.bind.iter().map(Bind::to_string).collect();
        assert_eq!(
            text,
            ["127.0.0.1:1", "localhost:2", "[::1]:3", "unix:/run/b.sock"]
        );
        assert_eq!(a.bind[3], Bind::Unix("/run/b.sock".into()));
    }

    #[test]
    fn config_and_print_config() {
        let Command::Run(cli) = parse_str("--config a.toml --print-config --workers 2").unwrap()
        else {
            panic!()
        };
        assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("a.toml")));
        assert!(cli.print_config);
        assert_eq!(cli.set.workers, Some(2));
        let Command::Run(cli) = parse_str("--config=b.toml").unwrap() else {
            panic!()
        };
        assert_eq!(cli.config.as_deref(), Some(std::path::Path::new("b.toml")));
        assert!(!cli.print_config);
    }

    #[test]
    fn bad_values_say_what_is_allowed() {
        let rows = [
            (
                "--workers 0",
                "invalid --workers '0': expected a whole number from 1 to 1024",
            ),
            ("--workers x", "from 1 to 1024"),
            ("--bind localhost", "IP:PORT, HOST:PORT or unix:PATH"),
            ("--bind unix:", "path is empty"),
            ("--max-body 1T", "K, M or G"),
            ("--max-body -1", "K, M or G"),
            ("--header-timeout 0s", "ms, s or m"),
            ("--idle-timeout soon", "ms, s or m"),
            ("--frobnicate", "allowed: --bind"),
            (
                "--frobnicate",
                "--config, --print-config, --self-signed, --version, --help",
            ),
            ("--bind", "needs a value"),
            ("--config", "needs a value"),
            ("--config=", "path of a file"),
            ("--dir=", "path of a directory"),
            ("--print-config=yes", "unknown argument"),
        ];
        for (args, want) in rows {
            let e = parse_str(args).unwrap_err();
            assert!(e.contains(want), "{args}: {e}");
        }
    }

    #[test]
    fn non_utf8_is_an_error_not_a_panic() {
        use std::os::unix::ffi::OsStringExt;
        let bad = OsString::from_vec(vec![b'-', b'-', 0xff]);
        assert!(parse([bad.clone()]).unwrap_err().contains("UTF-8"));
        let e = parse([OsString::from("--dir"), bad]).unwrap_err();
        assert!(e.contains("--dir") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn proxy_flags_parse_and_print_back() {
        use brisk_server::ForwardedHeader;
        let a = settings(
            "--bind-proxy 0.0.0.0:8081 --bind-proxy=unix:/run/p.sock --trusted-proxy 10.0.0.0/8 \
             --trusted-proxy ::1 --trusted-proxy unix: --forwarded-header forwarded",
        );
        assert_eq!(
            a.bind,
            vec![],
            "the default --bind is not added to PROXY listeners"
        );
        let binds: Vec<String> = a.bind_proxy.iter().map(Bind::to_string).collect();
        assert_eq!(binds, ["0.0.0.0:8081", "unix:/run/p.sock"]);
        let trusted: Vec<String> = a.trusted_proxy.iter().map(|t| t.to_string()).collect();
        assert_eq!(trusted, ["10.0.0.0/8", "::1/128", "unix:"]);
        assert_eq!(a.forwarded_header, ForwardedHeader::Forwarded);
        let back = crate::file::parse(&a.to_toml()).unwrap();
        let mut s = Settings::default();
        s.apply(&back);
        assert_eq!(s, a, "{}", a.to_toml());
        // With --bind, both kinds listen.
        let a = settings("--bind 127.0.0.1:1 --bind-proxy 127.0.0.1:2");
        assert_eq!((a.bind.len(), a.bind_proxy.len()), (1, 1));
        for (args, want) in [
            ("--trusted-proxy 10.0.0.0/33", "CIDR block"),
            ("--trusted-proxy example.com", "CIDR block"),
            (
                "--forwarded-header x-real-ip",
                "x-forwarded-for or forwarded",
            ),
            ("--bind-proxy localhost", "IP:PORT"),
        ] {
            let e = parse_str(args).unwrap_err();
            assert!(e.contains(want), "{args}: {e}");
        }
    }

    #[test]
    fn tls_flags_parse_and_print_back() {
        let a = settings(
            "--bind-tls 0.0.0.0:8443 --bind-tls=unix:/run/t.sock --cert a.pem --key a.key \
             --cert b.pem --key=b.key",
        );
        assert_eq!(
            a.bind,
            vec![],
            "the default --bind is not added to TLS listeners"
        );
        let binds: Vec<String> = a.bind_tls.iter().map(Bind::to_string).collect();
        assert_eq!(binds, ["0.0.0.0:8443", "unix:/run/t.sock"]);
        let pairs = a.cert_pairs().unwrap();
        assert_eq!(pairs[1], ("b.pem".into(), "b.key".into()));
        let back = crate::file::parse(&a.to_toml()).unwrap();
        let mut s = Settings::default();
        s.apply(&back);
        assert_eq!(s, a, "{}", a.to_toml());
        let a = settings("--bind 127.0.0.1:1 --bind-tls 127.0.0.1:2 --cert c --key k");
        assert_eq!((a.bind.len(), a.bind_tls.len()), (1, 1));
        let e = settings("--bind-tls 127.0.0.1:2").cert_pairs().unwrap_err();
        assert!(e.contains("needs a certificate"), "{e}");
        let e = settings("--cert a --cert b --key k")
            .cert_pairs()
            .unwrap_err();
        assert!(e.starts_with("2 --cert but 1 --key"), "{e}");
        assert!(parse_str("--cert=").unwrap_err().contains("PEM cert file"));
        let Command::Run(cli) = parse_str("--self-signed").unwrap() else {
            panic!()
        };
        assert!(cli.self_signed);
    }
}

//! Sizes and durations as the flags and the configuration file write them, both ways: each
//! `format_*` gives text that its `parse_*` reads back to the same value.

use std::time::Duration;

/// Largest size accepted: 1G.
pub const MAX_SIZE: usize = 1 << 30;
/// Longest duration accepted: one day.
pub const MAX_DURATION: Duration = Duration::from_secs(86_400);

const K: usize = 1024;

/// Bytes with an optional suffix K, M or G (powers of 1024), at most 1G: `64K`, `1048576`.
pub fn parse_size(v: &str) -> Option<usize> {
    let (num, mult) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], K),
        b'm' | b'M' => (&v[..v.len() - 1], K * K),
        b'g' | b'G' => (&v[..v.len() - 1], K * K * K),
        _ => (v, 1),
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = num.parse::<usize>().ok()?.checked_mul(mult)?;
    (n <= MAX_SIZE).then_some(n)
}

/// `n` with the largest suffix that divides it exactly: `1M`, `1536K`, `1000`.
pub fn format_size(n: usize) -> String {
    for (mult, suffix) in [(K * K * K, "G"), (K * K, "M"), (K, "K")] {
        if n >= mult && n.is_multiple_of(mult) {
            return format!("{}{suffix}", n / mult);
        }
    }
    n.to_string()
}

/// A number (decimals allowed) with unit `ms`, `s` or `m`; a bare number is seconds. From 1 ms to
/// one day; digits below a microsecond are dropped. `500ms`, `1.5`, `2m`.
pub fn parse_duration(v: &str) -> Option<Duration> {
    let (num, unit_us) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1_000u128)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1_000_000)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000_000)
    } else {
        (v, 1_000_000)
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (num.contains('.') && frac.is_empty()) {
        return None;
    }
    // Exact integer arithmetic (no float rounding), so that format_duration round-trips.
    let int: u128 = int.parse().ok().filter(|_| int.len() <= 12)?;
    let frac = &frac[..frac.len().min(12)];
    let scale = 10u128.pow(frac.len() as u32);
    let frac_us = if frac.is_empty() {
        0
    } else {
        frac.parse::<u128>().ok()? * unit_us / scale
    };
    let us = int * unit_us + frac_us;
    let d = Duration::from_micros(u64::try_from(us).ok()?);
    (Duration::from_millis(1)..=MAX_DURATION)
        .contains(&d)
        .then_some(d)
}

/// `d` in the largest unit that states it exactly: `10s`, `1500ms`, `0.25ms` (whole
/// microseconds; finer parts are dropped, as [`parse_duration`] drops them).
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us.is_multiple_of(1_000_000) {
        format!("{}s", us / 1_000_000)
    } else if us.is_multiple_of(1_000) {
        format!("{}ms", us / 1_000)
    } else {
        let frac = format!("{:03}", us % 1_000);
        format!("{}.{}ms", us / 1_000, frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64K"), Some(65536));
        assert_eq!(parse_size("1m"), Some(1 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("123"), Some(123));
        for bad in [
            "",
            "K",
            "1T",
            "-1",
            "2G",
            "1.5M",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
        for n in [0, 1, 1000, 1024, 1536 * 1024, 1 << 20, 3 << 20, 1 << 30] {
            assert_eq!(parse_size(&format_size(n)), Some(n), "{n}");
        }
        assert_eq!(format_size(1 << 20), "1M");
        assert_eq!(format_size(1536 * 1024), "1536K");
    }

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("500ms"), Some(ms(500)));
        assert_eq!(parse_duration("1.5"), Some(ms(1500)));
        assert_eq!(parse_duration("2m"), Some(ms(120_000)));
        assert_eq!(parse_duration("0.001s"), Some(ms(1)));
        assert_eq!(parse_duration("1.001ms"), Some(Duration::from_micros(1001)));
        for bad in [
            "", "0s", "0.5ms", "soon", "1.", ".5", "-1s", "1h", "1 s", "2d", "1e3",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_duration("1441m"), None, "above one day");
        assert_eq!(parse_duration("1440m"), Some(MAX_DURATION));
        for us in [
            1000,
            1001,
            1500,
            1_000_000,
            1_500_000,
            60_000_000,
            86_400_000_000,
        ] {
            let d = Duration::from_micros(us);
            assert_eq!(parse_duration(&format_duration(d)), Some(d), "{us}");
        }
        assert_eq!(format_duration(ms(10_000)), "10s");
        assert_eq!(format_duration(ms(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_micros(1250)), "1.25ms");
    }
}

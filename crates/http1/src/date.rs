//! The `Date` header value (RFC 9110 §5.6.7 IMF-fixdate), cached per second.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::field::Field;

/// Formats IMF-fixdate values (`Sun, 06 Nov 1994 08:49:37 GMT`) from a caller-given time,
/// formatting at most once per second: a server asks for it on every response and gets the
/// cached bytes back until the second changes.
///
/// The crate never reads the clock; pass `SystemTime::now()` (read once per loop turn).
/// Times before 1970 are clamped to the epoch.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use brisk_http1::DateCache;
///
/// let mut dates = DateCache::new();
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(dates.get(t), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
#[derive(Debug, Clone)]
pub struct DateCache {
    secs: Option<u64>,
    buf: [u8; 29],
    formats: u64,
}

impl Default for DateCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DateCache {
    /// An empty cache; the first [`get`](Self::get) formats.
    ///
    /// # Examples
    ///
    /// ```
    /// let cache = brisk_http1::DateCache::new();
    /// # let _ = cache;
    /// ```
    pub fn new() -> Self {
        DateCache {
            secs: None,
            buf: *b"Thu, 01 Jan 1970 00:00:00 GMT",
            formats: 0,
        }
    }

    /// The IMF-fixdate for `now`, formatted only if its second differs from the last call's.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let mut dates = brisk_http1::DateCache::new();
    /// assert_eq!(dates.get(UNIX_EPOCH + Duration::from_millis(1_500)), "Thu, 01 Jan 1970 00:00:01 GMT");
    /// ```
    pub fn get(&mut self, now: SystemTime) -> &str {
        // The buffer only ever holds ASCII.
        std::str::from_utf8(self.bytes(now)).unwrap_or("")
    }

    /// [`DateCache::get`] as a ready `Date` [`Field`] for
    /// [`HeadWriter::field`](crate::HeadWriter::field): the cache only ever holds an
    /// IMF-fixdate, so the field needs no check when it is written.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use brisk_http1::{DateCache, HeadWriter, Version};
    ///
    /// let mut dates = DateCache::new();
    /// let mut out = Vec::new();
    /// HeadWriter::response_status(&mut out, Version::Http11, 200)?
    ///     .field(&dates.field(UNIX_EPOCH + Duration::from_secs(784_111_777)));
    /// assert!(out.ends_with(b"OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn field(&mut self, now: SystemTime) -> Field<'_> {
        Field::trusted(b"Date", self.bytes(now))
    }

    /// [`DateCache::get`] as the 29 bytes of the date, without the UTF-8 check (for writers of
    /// response heads, which want bytes anyway).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    ///
    /// let mut dates = brisk_http1::DateCache::new();
    /// assert_eq!(dates.bytes(UNIX_EPOCH + Duration::from_secs(784_111_777)), b"Sun, 06 Nov 1994 08:49:37 GMT");
    /// ```
    pub fn bytes(&mut self, now: SystemTime) -> &[u8; 29] {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.secs != Some(secs) {
            self.secs = Some(secs);
            self.formats += 1;
            format_imf_fixdate(secs, &mut self.buf);
        }
        &self.buf
    }
}

/// Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms, as a recipient must:
/// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
/// `Sunday, 06-Nov-94 08:49:37 GMT` (a two-digit year below 70 is 20xx, else 19xx) and asctime
/// `Sun Nov  6 08:49:37 1994`. The weekday is not checked against the date; dates before 1970
/// and anything else malformed give `None`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use brisk_http1::parse_date;
///
/// let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_date(b"Sun Nov  6 08:49:37 1994"), Some(t));
/// assert_eq!(parse_date(b"yesterday"), None);
/// ```
pub fn parse_date(value: &[u8]) -> Option<SystemTime> {
    let secs = parse_secs(value)?;
    Some(UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

fn parse_secs(value: &[u8]) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let s = std::str::from_utf8(value).ok()?.trim_matches([' ', '\t']);
    let mut parts = [""; 6];
    let mut n = 0;
    for p in s.split([' ', '-']).filter(|p| !p.is_empty()) {
        *parts.get_mut(n)? = p;
        n += 1;
    }
    let (day, month, year, time) = match parts[..n] {
        // IMF-fixdate: "Sun," day month year time "GMT".
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') && y.len() == 4 => (d, m, digits(y)?, t),
        // RFC 850: "Sunday," day-month-yy time "GMT".
        [wd, d, m, y, t, "GMT"] if wd.ends_with(',') && y.len() == 2 => {
            let yy = digits(y)?;
            (d, m, if yy < 70 { 2000 + yy } else { 1900 + yy }, t)
        }
        // asctime: "Sun" month day time year.
        [_, m, d, t, y] if y.len() == 4 => (d, m, digits(y)?, t),
        _ => return None,
    };
    let day = digits(day).filter(|d| (1..=31).contains(d) && day.len() <= 2)?;
    let month = MONTHS.iter().position(|&m| m == month)? as u64 + 1;
    let mut hms = time
        .split(':')
        .map(|p| if p.len() == 2 { digits(p) } else { None });
    let (h, m, sec) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || sec > 60 || year < 1970 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec)
}

/// A run of at most 4 ASCII digits as a number.
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year 1970 to 9999).
/// Day 31 of a shorter month counts on into the next, as the formats cannot say otherwise.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Writes the IMF-fixdate for `secs` seconds after the Unix epoch into `out`.
fn format_imf_fixdate(secs: u64, out: &mut [u8; 29]) {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm), days counted from 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (yoe + era * 400 + u64::from(month <= 2)) % 10_000;
    let two = |n: u64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    out[0..3].copy_from_slice(DAYS[(days % 7) as usize]);
    out[3..5].copy_from_slice(b", ");
    out[5..7].copy_from_slice(&two(day));
    out[7] = b' ';
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    out[11] = b' ';
    out[12..14].copy_from_slice(&two(year / 100));
    out[14..16].copy_from_slice(&two(year % 100));
    out[16] = b' ';
    out[17..19].copy_from_slice(&two(h));
    out[19] = b':';
    out[20..22].copy_from_slice(&two(m));
    out[22] = b':';
    out[23..25].copy_from_slice(&two(s));
    out[25..29].copy_from_slice(b" GMT");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_parse_in_all_three_forms() {
        let at = |s| Some(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(
            parse_date(b"Sun, 06 Nov 1994 08:49:37 GMT"),
            at(784_111_777)
        );
        assert_eq!(
            parse_date(b"Sunday, 06-Nov-94 08:49:37 GMT"),
            at(784_111_777)
        );
        assert_eq!(parse_date(b"Sun Nov  6 08:49:37 1994"), at(784_111_777));
        assert_eq!(parse_date(b" Thu, 01 Jan 1970 00:00:00 GMT "), at(0));
        assert_eq!(
            parse_date(b"Tue, 29 Feb 2028 23:59:59 GMT"),
            at(1_835_481_599)
        );
        assert_eq!(
            parse_date(b"Friday, 31-Dec-30 23:59:59 GMT"),
            at(1_924_991_999)
        );
        for bad in [
            &b"Sun, 06 Nov 1994 08:49:37 UTC"[..],
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 32 Nov 1994 08:49:37 GMT",
            b"Sun, 006 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Now 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 8:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37:00 GMT",
            b"Sun, 06 Nov 1969 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT extra",
            b"\xff",
            b"yesterday",
            b"",
        ] {
            assert_eq!(parse_date(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn what_is_formatted_parses_back() {
        let mut c = DateCache::new();
        for s in (0..253_402_300_800u64).step_by(86_399 * 367 + 4_321) {
            let t = UNIX_EPOCH + Duration::from_secs(s);
            assert_eq!(parse_date(c.bytes(t)), Some(t), "{s}");
        }
    }

    #[test]
    fn known_dates() {
        let mut c = DateCache::new();
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(c.get(at(0)), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(c.get(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(c.get(at(1_700_000_000)), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(c.get(at(4_133_980_799)), "Fri, 31 Dec 2100 23:59:59 GMT");
        assert_eq!(
            c.get(UNIX_EPOCH - Duration::from_secs(5)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn formats_at_most_once_per_second() {
        let mut c = DateCache::new();
        let base = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for ms in 0..1000 {
            c.get(base + Duration::from_millis(ms));
        }
        assert_eq!(c.formats, 1);
        c.get(base + Duration::from_millis(1000));
        assert_eq!(c.formats, 2);
    }
}

//! Byte classes (const-built lookup tables) and the scanning loops of the hot path.
//!
//! The field-value loop reads eight bytes at a time as a `u64` (SWAR) to find the first byte
//! that is not allowed in a value; everything else walks a 256-entry table.

/// `tchar` (RFC 9110 §5.6.2).
pub(crate) const TOKEN: u8 = 1;
/// Bytes allowed in a request-target without special handling: RFC 3986 unreserved,
/// sub-delims, `:`, `@`, `/`, `?` and `%`. Brackets are handled separately (authority only).
pub(crate) const URI: u8 = 2;
/// `field-vchar` plus SP and HTAB (RFC 9110 §5.5): everything but controls and DEL.
pub(crate) const VALUE: u8 = 4;
/// Host characters: RFC 3986 `reg-name` (unreserved, sub-delims, `%`).
pub(crate) const HOST: u8 = 8;
/// Every byte but LF (for splitting validated lines).
pub(crate) const NOT_LF: u8 = 16;
/// Selects the LF search in the SIMD scanners.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const LF: u8 = NOT_LF;

const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let alnum = b.is_ascii_alphanumeric();
        let mut c = 0;
        if alnum
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            c |= TOKEN;
        }
        let unreserved = alnum || matches!(b, b'-' | b'.' | b'_' | b'~');
        let sub_delim = matches!(
            b,
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        );
        if unreserved || sub_delim || matches!(b, b':' | b'@' | b'/' | b'?' | b'%') {
            c |= URI;
        }
        if unreserved || sub_delim || b == b'%' {
            c |= HOST;
        }
        if b == b'\t' || (b >= 0x20 && b != 0x7f) {
            c |= VALUE;
        }
        if b != b'\n' {
            c |= NOT_LF;
        }
        t[i] = c;
        i += 1;
    }
    t
}

pub(crate) static CLASS: [u8; 256] = build();

#[inline(always)]
pub(crate) fn is(b: u8, class: u8) -> bool {
    CLASS[b as usize] & class != 0
}

#[inline(always)]
pub(crate) fn is_token(b: u8) -> bool {
    is(b, TOKEN)
}

/// Returns the first position at or after `pos` whose byte is not in `class` (or `buf.len()`).
#[inline(always)]
pub(crate) fn skip_class(buf: &[u8], mut pos: usize, class: u8) -> usize {
    while let Some(w) = buf.get(pos..).and_then(|s| s.first_chunk::<4>()) {
        if !is(w[0], class) {
            return pos;
        }
        if !is(w[1], class) {
            return pos + 1;
        }
        if !is(w[2], class) {
            return pos + 2;
        }
        if !is(w[3], class) {
            return pos + 3;
        }
        pos += 4;
    }
    while let Some(&b) = buf.get(pos) {
        if !is(b, class) {
            break;
        }
        pos += 1;
    }
    pos
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in every byte lane that is below 0x20 or equal to 0x7F. The lowest flagged
/// lane is exact: a borrow only travels upwards from a lane that is itself flagged.
#[inline(always)]
fn ctl_mask(x: u64) -> u64 {
    let below = x.wrapping_sub(LO * 0x20) & !x & HI;
    let y = x ^ (LO * 0x7f);
    let del = y.wrapping_sub(LO) & !y & HI;
    below | del
}

/// True when no byte of `buf` is a control other than HTAB, or DEL: the verdict of
/// `skip_value(buf, 0) == buf.len()` without finding the position, for the serializer's short
/// values. No early exit: SSE2 16 bytes per step from 16 bytes on (x86_64), else SWAR with
/// exact per-lane tests (no borrow between lanes); both with an overlapping last block; under
/// 8 bytes, byte by byte.
#[inline]
pub(crate) fn value_is_clean(buf: &[u8]) -> bool {
    const LOW7: u64 = !HI;
    // High bit of each lane where `x < n` (n <= 0x80), or where `x == c`.
    let below = |x: u64, n: u64| !(((x & LOW7) + LO * (0x80 - n)) | x) & HI;
    let equal = |x: u64, c: u64| {
        let t = x ^ (LO * c);
        !(((t & LOW7) + LOW7) | t) & HI
    };
    let bad = |x: u64| (below(x, 0x20) & !equal(x, 0x09)) | equal(x, 0x7f);
    let word = |w: &[u8; 8]| u64::from_le_bytes(*w);
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(last) = buf.last_chunk::<16>() {
        // 16 bytes per step, the last 16 overlapping.
        let (blocks, _) = buf.as_chunks::<16>();
        let mut acc = sse2::value_bad(last);
        for w in blocks {
            acc |= sse2::value_bad(w);
        }
        return acc == 0;
    }
    let mut acc = 0;
    if let Some(last) = buf.last_chunk::<8>() {
        let (words, _) = buf.as_chunks::<8>();
        for w in words {
            acc |= bad(word(w));
        }
        acc |= bad(word(last));
    } else {
        // Under 8 bytes: the same test byte by byte (a padded copy would call memcpy).
        return buf.iter().all(|&b| (b >= 0x20 || b == b'\t') && b != 0x7f);
    }
    acc == 0
}

/// Returns the first position at or after `pos` holding a byte that may not appear in a field
/// value (a control other than HTAB, or DEL), or `buf.len()`.
///
/// SSE2 (16 bytes per step) on x86_64, where it is part of the baseline; SWAR elsewhere.
#[inline(always)]
pub(crate) fn skip_value(buf: &[u8], mut pos: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    loop {
        pos = sse2::skip::<VALUE>(buf, pos);
        match buf.get(pos) {
            Some(b'\t') => pos += 1,
            _ => return pos,
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        skip_value_swar(buf, pos)
    }
}

/// Whether field names are scanned with SSE2. Off: on this project's benchmark heads (names of
/// 4 to 25 bytes) the 16-byte classification (eleven compares) measured slower than the
/// unrolled table walk. Kept, and tested, so the choice can be re-measured.
const TOKEN_SIMD: bool = false;

/// The first control or DEL at or after `pos` (HTAB included), 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn skip_value_narrow(buf: &[u8], pos: usize) -> usize {
    #[cfg(target_feature = "sse2")]
    {
        sse2::skip::<VALUE>(buf, pos)
    }
    #[cfg(not(target_feature = "sse2"))]
    {
        skip_class(buf, pos, VALUE)
    }
}

/// Returns the first position at or after `pos` holding LF, or `buf.len()`.
#[inline(always)]
pub(crate) fn find_lf(buf: &[u8], pos: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2::skip::<LF>(buf, pos)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        buf.get(pos..)
            .and_then(|s| memchr::memchr(b'\n', s))
            .map_or(buf.len(), |i| pos + i)
    }
}

/// Returns the first position at or after `pos` whose byte is not a `tchar`, or `buf.len()`.
#[inline(always)]
pub(crate) fn skip_token(buf: &[u8], pos: usize) -> usize {
    if TOKEN_SIMD {
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        return sse2::skip::<TOKEN>(buf, pos);
    }
    skip_class(buf, pos, TOKEN)
}

/// Returns the first position at or after `pos` whose byte is not in [`URI`], or `buf.len()`.
/// SSE2 on x86_64, the byte table elsewhere.
#[inline(always)]
pub(crate) fn skip_uri(buf: &[u8], pos: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        sse2::skip::<URI>(buf, pos)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        skip_class(buf, pos, URI)
    }
}

/// 32-byte field-value scan with AVX2. Only for inlining into functions compiled with
/// `#[target_feature(enable = "avx2")]`, which are called after run-time detection.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
pub(crate) mod avx2 {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_cmpgt_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_xor_si256,
    };

    /// As [`super::skip_value`], 32 bytes per step.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[inline(always)]
    pub(crate) unsafe fn skip_value(buf: &[u8], mut pos: usize) -> usize {
        loop {
            match buf.get(pos..).and_then(|s| s.first_chunk::<32>()) {
                Some(w) => {
                    // SAFETY: the caller guarantees AVX2; `w` is 32 readable bytes and `loadu`
                    // has no alignment requirement. Unsigned b < 0x20 is signed
                    // (b ^ 0x80) < (0x20 ^ 0x80).
                    let m = unsafe {
                        let x = _mm256_loadu_si256(w.as_ptr().cast());
                        let ctl = _mm256_cmpgt_epi8(
                            _mm256_set1_epi8(0xa0u8 as i8),
                            _mm256_xor_si256(x, _mm256_set1_epi8(i8::MIN)),
                        );
                        let del = _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7f));
                        _mm256_movemask_epi8(_mm256_or_si256(ctl, del)) as u32
                    };
                    if m == 0 {
                        pos += 32;
                        continue;
                    }
                    pos += m.trailing_zeros() as usize;
                }
                None => pos = super::skip_value_narrow(buf, pos),
            }
            if buf.get(pos) != Some(&b'\t') {
                return pos;
            }
            pos += 1;
        }
    }
}

/// 16-byte classification with SSE2, which every x86_64 CPU has. These are plain inlined
/// functions (no `#[target_feature]`), so they merge into the parsing loops.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8, _mm_xor_si128,
    };

    #[inline(always)]
    fn load(w: &[u8; 16]) -> __m128i {
        // SAFETY: SSE2 is enabled for this target (the module's cfg); `w` is 16 readable bytes
        // and `loadu` has no alignment requirement.
        unsafe { _mm_loadu_si128(w.as_ptr().cast()) }
    }

    #[inline(always)]
    fn splat(b: u8) -> __m128i {
        // SAFETY: SSE2 is enabled for this target; no memory is touched.
        unsafe { _mm_set1_epi8(b as i8) }
    }

    #[inline(always)]
    fn eq(x: __m128i, b: u8) -> __m128i {
        // SAFETY: SSE2 is enabled for this target; register-only operation.
        unsafe { _mm_cmpeq_epi8(x, splat(b)) }
    }

    #[inline(always)]
    fn or(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: SSE2 is enabled for this target; register-only operation.
        unsafe { _mm_or_si128(a, b) }
    }

    /// Lanes where `lo <= x < lo + n`, as unsigned bytes.
    #[inline(always)]
    fn in_range(x: __m128i, lo: u8, n: u8) -> __m128i {
        // SAFETY: SSE2 is enabled for this target; register-only operations. Unsigned
        // `t < n` is signed `(t ^ 0x80) < (n ^ 0x80)`.
        unsafe {
            _mm_cmplt_epi8(
                _mm_xor_si128(_mm_sub_epi8(x, splat(lo)), splat(0x80)),
                splat(n ^ 0x80),
            )
        }
    }

    /// Lanes below 0x21 or at 0x7f and above: controls, SP, DEL, obs-text.
    #[inline(always)]
    fn not_vchar(x: __m128i) -> __m128i {
        // SAFETY: SSE2 is enabled for this target; register-only operation. Signed compare:
        // bytes >= 0x80 are negative.
        or(unsafe { _mm_cmplt_epi8(x, splat(0x21)) }, eq(x, 0x7f))
    }

    #[inline(always)]
    fn bits(m: __m128i) -> u32 {
        // SAFETY: SSE2 is enabled for this target; register-only operation.
        unsafe { _mm_movemask_epi8(m) as u32 }
    }

    /// Bit i set when byte i is a control (HTAB included) or DEL.
    #[inline(always)]
    fn value_stops(w: &[u8; 16]) -> u32 {
        let x = load(w);
        bits(or(in_range(x, 0, 0x20), eq(x, 0x7f)))
    }

    /// Bit i set when byte i may not appear in a field value: a control other than HTAB, or
    /// DEL.
    #[inline(always)]
    pub(super) fn value_bad(w: &[u8; 16]) -> u32 {
        value_stops(w) & !bits(eq(load(w), b'\t'))
    }

    /// Bit i set when byte i is not a `tchar`.
    #[inline(always)]
    fn token_stops(w: &[u8; 16]) -> u32 {
        let x = load(w);
        let mut m = not_vchar(x);
        m = or(m, in_range(x, b':', 7)); // : ; < = > ? @
        m = or(m, in_range(x, b'[', 3)); // [ \ ]
        m = or(m, in_range(x, b'(', 2)); // ( )
        m = or(m, or(eq(x, b'"'), eq(x, b',')));
        m = or(m, or(eq(x, b'/'), or(eq(x, b'{'), eq(x, b'}'))));
        bits(m)
    }

    /// Bit i set when byte i is not in the `URI` class.
    #[inline(always)]
    fn uri_stops(w: &[u8; 16]) -> u32 {
        let x = load(w);
        let mut m = not_vchar(x);
        m = or(m, in_range(x, b'"', 2)); // " #
        m = or(m, or(eq(x, b'<'), eq(x, b'>')));
        m = or(m, in_range(x, b'[', 4)); // [ \ ] ^
        m = or(m, eq(x, b'`'));
        m = or(m, in_range(x, b'{', 3)); // { | }
        bits(m)
    }

    /// First position at or after `pos` flagged by `stops`. When fewer than 16 bytes remain,
    /// the last 16 bytes of `buf` are examined with the lanes before `pos` shifted out; inputs
    /// shorter than 16 bytes use the `class` table.
    #[inline(always)]
    pub(super) fn skip<const CLASS: u8>(buf: &[u8], mut pos: usize) -> usize {
        let stops = |w: &[u8; 16]| match CLASS {
            super::VALUE => value_stops(w),
            super::TOKEN => token_stops(w),
            super::LF => bits(eq(load(w), b'\n')),
            _ => uri_stops(w),
        };
        while let Some(w) = buf.get(pos..).and_then(|s| s.first_chunk::<16>()) {
            let m = stops(w);
            if m != 0 {
                return pos + m.trailing_zeros() as usize;
            }
            pos += 16;
        }
        if pos >= buf.len() {
            return buf.len();
        }
        match buf.len().checked_sub(16) {
            Some(base) => {
                let w = buf[base..].first_chunk::<16>().expect("16 bytes");
                let m = stops(w) >> (pos - base);
                if m != 0 {
                    pos + m.trailing_zeros() as usize
                } else {
                    buf.len()
                }
            }
            None => super::skip_class(buf, pos, CLASS),
        }
    }
}

/// The portable version of [`skip_value`]: eight bytes at a time in a `u64`.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
pub(crate) fn skip_value_swar(buf: &[u8], mut pos: usize) -> usize {
    loop {
        while let Some(w) = buf.get(pos..).and_then(|s| s.first_chunk::<16>()) {
            let (a, b) = w.split_at(8);
            let m1 = ctl_mask(u64::from_le_bytes([
                a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
            ]));
            let m2 = ctl_mask(u64::from_le_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]));
            if m1 != 0 {
                pos += (m1.trailing_zeros() / 8) as usize;
                break;
            }
            if m2 != 0 {
                pos += 8 + (m2.trailing_zeros() / 8) as usize;
                break;
            }
            pos += 16;
        }
        if let Some(w) = buf.get(pos..).and_then(|s| s.first_chunk::<8>()) {
            let m = ctl_mask(u64::from_le_bytes(*w));
            if m != 0 {
                pos += (m.trailing_zeros() / 8) as usize;
            } else {
                pos += 8;
                pos = skip_class(buf, pos, VALUE);
            }
        } else {
            pos = skip_class(buf, pos, VALUE);
        }
        // Stopped on a control byte, DEL, or the end. HTAB is allowed: step over it.
        match buf.get(pos) {
            Some(b'\t') => pos += 1,
            _ => return pos,
        }
    }
}

/// Trims SP and HTAB from the end of `buf[start..end]`, returning the new end.
#[inline(always)]
pub(crate) fn trim_end(buf: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && matches!(buf[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    end
}

/// Trims SP and HTAB from both ends of a slice.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && matches!(s[a], b' ' | b'\t') {
        a += 1;
    }
    while b > a && matches!(s[b - 1], b' ' | b'\t') {
        b -= 1;
    }
    &s[a..b]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_clean_agrees_with_skip_value() {
        // Every byte at every position of every length up to 40, over two backgrounds (one
        // with HTAB and DEL's neighbours, where a borrowing SWAR would misfire).
        for bg in [b'x', b'\t', 0x20, 0x7e, 0x80, 0xff] {
            for len in 0..=40 {
                for at in 0..len.max(1) {
                    for b in 0..=255u8 {
                        let mut v = vec![bg; len];
                        if len > 0 {
                            v[at] = b;
                        }
                        assert_eq!(value_is_clean(&v), skip_value(&v, 0) == v.len(), "{v:?}");
                    }
                }
            }
        }
    }

    fn naive_value(buf: &[u8], pos: usize) -> usize {
        buf[pos..]
            .iter()
            .position(|&b| !is(b, VALUE))
            .map_or(buf.len(), |p| p + pos)
    }

    #[test]
    fn simd_and_swar_match_table_on_every_byte_and_position() {
        for bad in 0u8..=255 {
            for at in 0..40 {
                let mut v = vec![b'a'; 40];
                v[at] = bad;
                for start in 0..at.min(20) {
                    assert_eq!(
                        skip_value(&v, start),
                        naive_value(&v, start),
                        "byte {bad} at {at}"
                    );
                    assert_eq!(
                        skip_value_swar(&v, start),
                        naive_value(&v, start),
                        "swar: byte {bad} at {at}"
                    );
                }
            }
        }
        // Mixed high bytes and tabs.
        let v = b"\xff\x80\t\xa0abc\t\t\x7e \x7fz";
        assert_eq!(skip_value(v, 0), naive_value(v, 0));
        assert_eq!(skip_value_swar(v, 0), naive_value(v, 0));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_matches_table() {
        if !std::is_x86_feature_detected!("avx2") {
            eprintln!("SKIPPED avx2_matches_table: no AVX2 on this CPU");
            return;
        }
        for bad in 0u8..=255 {
            for len in [5usize, 33, 70] {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = bad;
                    for start in (0..=at).step_by(3) {
                        // SAFETY: AVX2 was detected above.
                        #[allow(unsafe_code)]
                        let got = unsafe { avx2::skip_value(&v, start) };
                        assert_eq!(
                            got,
                            naive_value(&v, start),
                            "byte {bad} at {at} from {start}"
                        );
                    }
                }
            }
        }
    }

    /// The vector path and the portable path agree at every offset of every llhttp case file.
    #[test]
    #[cfg_attr(brisk_missing = "corpora", ignore = "needs ../shared/corpora")]
    fn simd_and_swar_agree_on_corpus() {
        let Some(corpora) = brisk_testkit::corpora("simd_and_swar_agree_on_corpus", "llhttp")
        else {
            return;
        };
        let entries = std::fs::read_dir(corpora.join("llhttp/request")).unwrap();
        let mut n = 0;
        for e in entries {
            let text = std::fs::read(e.unwrap().path()).unwrap();
            for start in 0..text.len() {
                assert_eq!(skip_value(&text, start), skip_value_swar(&text, start));
                n += 1;
            }
        }
        assert!(n > 10_000);
    }

    #[test]
    fn token_scan_matches_table() {
        for bad in 0u8..=255 {
            for at in 0..40 {
                let mut v = vec![b'a'; 40];
                v[at] = bad;
                for start in 0..at.min(20) {
                    assert_eq!(
                        skip_token(&v, start),
                        skip_class(&v, start, TOKEN),
                        "byte {bad} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn uri_scan_matches_table() {
        for bad in 0u8..=255 {
            for len in [3usize, 17, 40] {
                for at in 0..len {
                    let mut v = vec![b'a'; len];
                    v[at] = bad;
                    for start in 0..=at {
                        assert_eq!(
                            skip_uri(&v, start),
                            skip_class(&v, start, URI),
                            "byte {bad} at {at}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn find_lf_matches_naive() {
        for len in [0usize, 5, 16, 17, 40] {
            for at in 0..len {
                let mut v = vec![b'x'; len];
                v[at] = b'\n';
                for start in 0..=len {
                    let want = if start <= at { at } else { len };
                    assert_eq!(find_lf(&v, start), want, "lf at {at} from {start} in {len}");
                }
            }
        }
    }

    #[test]
    fn classes() {
        assert!(is_token(b'!') && is_token(b'~') && !is_token(b':') && !is_token(b' '));
        assert!(is(b'/', URI) && !is(b'#', URI) && !is(b'"', URI) && !is(b'[', URI));
        assert!(is(b'\t', VALUE) && !is(0, VALUE) && !is(0x7f, VALUE) && is(0x80, VALUE));
    }
}

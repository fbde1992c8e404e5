//! Header fields: the [`Header`] slot type, the [`Status`] of a parse, and the resumable
//! field-line scanner shared by request heads, response heads and chunked trailers.

use std::fmt;

use crate::error::Error;
use crate::scan::{find_lf, is_token, skip_token, skip_value, trim_end};

/// One header field: name and value borrowed from the input, OWS trimmed from the value.
///
/// Callers hand the parsers a slice of these as slots (`[Header::EMPTY; N]`); a complete parse
/// fills a prefix of it and returns that prefix.
///
/// # Examples
///
/// ```
/// use brisk_http1::Header;
///
/// let h = Header { name: b"Content-Type", value: b"text/plain" };
/// assert!(h.is(b"content-type"));
/// assert_eq!(h.name_str(), "Content-Type");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Header<'b> {
    /// The field name, a non-empty token, case preserved.
    pub name: &'b [u8],
    /// The field value without leading or trailing SP/HTAB; may be empty.
    pub value: &'b [u8],
}

impl<'b> Header<'b> {
    /// An empty header, to initialise slot arrays.
    ///
    /// # Examples
    ///
    /// ```
    /// let slots = [brisk_http1::Header::EMPTY; 16];
    /// assert!(slots[0].name.is_empty());
    /// ```
    pub const EMPTY: Self = Header {
        name: &[],
        value: &[],
    };

    /// The name as `&str`. Names produced by the parsers are ASCII tokens, so this never loses
    /// anything for them; a hand-built header with non-UTF-8 bytes gives `""`.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_http1::Header { name: b"Host", value: b"a" };
    /// assert_eq!(h.name_str(), "Host");
    /// ```
    pub fn name_str(&self) -> &'b str {
        std::str::from_utf8(self.name).unwrap_or("")
    }

    /// True when the name equals `name`, ignoring ASCII case (field names are
    /// case-insensitive, RFC 9110 §5.1).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_http1::Header { name: b"HOST", value: b"a" };
    /// assert!(h.is(b"host"));
    /// ```
    pub fn is(&self, name: &[u8]) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

impl fmt::Debug for Header<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Header({:?}: {:?})",
            self.name.escape_ascii().to_string(),
            self.value.escape_ascii().to_string()
        )
    }
}

/// The outcome of feeding bytes to a parser: a complete value, or a request for more input.
///
/// Incomplete input is never an error.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Header, RequestParser, Status};
///
/// let mut p = RequestParser::new();
/// let mut headers = [Header::EMPTY; 4];
/// assert!(matches!(p.parse(b"GET / HT", &mut headers)?, Status::Partial));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// The value is complete.
    Complete(T),
    /// More input is needed; call again with the same bytes followed by new ones.
    Partial,
}

impl<T> Status<T> {
    /// True for [`Status::Complete`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http1::Status::Complete(1).is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete(_))
    }

    /// The complete value, or `None` for [`Status::Partial`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http1::Status::<u8>::Partial.complete(), None);
    /// ```
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(t) => Some(t),
            Status::Partial => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum LinePhase {
    #[default]
    Start,
    Name,
    Ows,
    Value,
    ValueLf,
    EndLf,
}

/// Where the scan of the current field line stands. Positions are offsets into the input.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineState {
    phase: LinePhase,
    /// INVARIANT: every byte before `pos` has been validated.
    pub(crate) pos: usize,
    start: usize,
    name_end: usize,
    value_start: usize,
    value_end: usize,
}

impl LineState {
    /// True when no part of the current line has been scanned yet.
    pub(crate) fn at_line_start(&self) -> bool {
        self.phase == LinePhase::Start
    }

    /// Where the current line starts.
    pub(crate) fn start(&self) -> usize {
        self.start
    }

    pub(crate) fn at(pos: usize) -> Self {
        LineState {
            pos,
            ..LineState::default()
        }
    }

    /// The state [`field_line`] reaches when the input ends inside the line starting at
    /// `start` whose name ends at `name_end` (at the colon), the value (or, when `value_start`
    /// is `None`, the OWS before it) having been validated up to `pos`.
    fn partial(start: usize, name_end: usize, value_start: Option<usize>, pos: usize) -> Self {
        LineState {
            phase: if value_start.is_some() {
                LinePhase::Value
            } else {
                LinePhase::Ows
            },
            pos,
            start,
            name_end,
            value_start: value_start.unwrap_or(0),
            value_end: 0,
        }
    }

    /// The state [`field_line`] reaches when the input ends just after the CR ending the value
    /// `value_start..value_end` (`value_end` already trimmed) of the line at `start`.
    fn after_cr(
        start: usize,
        name_end: usize,
        value_start: usize,
        value_end: usize,
        pos: usize,
    ) -> Self {
        LineState {
            phase: LinePhase::ValueLf,
            pos,
            start,
            name_end,
            value_start,
            value_end,
        }
    }
}

/// One step of the field section.
pub(crate) enum Line {
    /// A field line: name range and value range (OWS trimmed).
    Field(usize, usize, usize, usize),
    /// The empty line ending the section.
    End,
    /// Input ended inside a line; `LineState::pos` says how far it was validated.
    Partial,
}

/// Scans one field line, resuming from `st`. On `Field` and `End`, `st.pos` is the start of the
/// next line.
#[inline(always)]
pub(crate) fn field_line(
    buf: &[u8],
    st: &mut LineState,
    bare_lf: bool,
    max_field: usize,
) -> Result<Line, Error> {
    let mut pos = st.pos;
    loop {
        match st.phase {
            LinePhase::Start => {
                let Some(&b) = buf.get(pos) else {
                    return Ok(Line::Partial);
                };
                st.start = pos;
                if is_token(b) {
                    pos += 1;
                    st.phase = LinePhase::Name;
                } else if b == b'\r' {
                    pos += 1;
                    st.phase = LinePhase::EndLf;
                } else if b == b'\n' {
                    if !bare_lf {
                        return Err(Error::BareLf);
                    }
                    st.pos = pos + 1;
                    return Ok(Line::End);
                } else if b == b' ' || b == b'\t' {
                    return Err(Error::ObsFold);
                } else {
                    return Err(Error::InvalidHeaderName);
                }
            }
            LinePhase::Name => {
                pos = skip_token(buf, pos);
                match buf.get(pos) {
                    None => break,
                    Some(b':') => {
                        st.name_end = pos;
                        pos += 1;
                        st.phase = LinePhase::Ows;
                    }
                    Some(b' ' | b'\t') => return Err(Error::WhitespaceBeforeColon),
                    Some(b'\r' | b'\n') => return Err(Error::MissingColon),
                    Some(_) => return Err(Error::InvalidHeaderName),
                }
            }
            LinePhase::Ows => {
                while let Some(b' ' | b'\t') = buf.get(pos) {
                    pos += 1;
                }
                if pos >= buf.len() {
                    break;
                }
                st.value_start = pos;
                st.phase = LinePhase::Value;
            }
            LinePhase::Value => {
                pos = skip_value(buf, pos);
                match buf.get(pos) {
                    None => break,
                    Some(b'\r') => {
                        st.value_end = trim_end(buf, st.value_start, pos);
                        pos += 1;
                        st.phase = LinePhase::ValueLf;
                    }
                    Some(b'\n') if bare_lf => {
                        if pos - st.start > max_field {
                            return Err(Error::HeaderFieldTooLarge);
                        }
                        st.value_end = trim_end(buf, st.value_start, pos);
                        st.phase = LinePhase::Start;
                        st.pos = pos + 1;
                        return Ok(Line::Field(
                            st.start,
                            st.name_end,
                            st.value_start,
                            st.value_end,
                        ));
                    }
                    Some(b'\n') => return Err(Error::BareLf),
                    Some(_) => return Err(Error::InvalidHeaderValue),
                }
            }
            LinePhase::ValueLf => match buf.get(pos) {
                None => break,
                Some(b'\n') => {
                    if pos - 1 - st.start > max_field {
                        return Err(Error::HeaderFieldTooLarge);
                    }
                    st.phase = LinePhase::Start;
                    st.pos = pos + 1;
                    return Ok(Line::Field(
                        st.start,
                        st.name_end,
                        st.value_start,
                        st.value_end,
                    ));
                }
                Some(_) => return Err(Error::BareCr),
            },
            LinePhase::EndLf => match buf.get(pos) {
                None => break,
                Some(b'\n') => {
                    st.phase = LinePhase::Start;
                    st.pos = pos + 1;
                    return Ok(Line::End);
                }
                Some(_) => return Err(Error::BareCr),
            },
        }
    }
    // Out of input inside a line (never in `Start`, which returns above). A CR just read is
    // not counted, as when the line completes: a split never fails a line the whole accepts.
    let content_end = if st.phase == LinePhase::ValueLf {
        pos - 1
    } else {
        pos
    };
    if content_end - st.start > max_field {
        return Err(Error::HeaderFieldTooLarge);
    }
    st.pos = pos;
    Ok(Line::Partial)
}

/// Where [`fast_fields`] stopped.
pub(crate) enum Fast {
    /// The head ends at this offset.
    End(usize),
    /// The line starting here needs the state machine (malformed, over a limit, or cut off
    /// before its value).
    Stop(usize),
    /// The input ended inside a well-formed line's value (or the OWS before it, or just after
    /// its CR): the state [`field_line`] would have reached scanning that line itself, so a
    /// resumed call continues there instead of scanning the line again.
    Partial(LineState),
}

/// The fast path over whole, well-formed field lines starting at line start `pos`: plain
/// locals, no per-byte state. Anything unusual stops it at the start of that line, and
/// [`field_line`] takes over from there and reports it precisely, so each line is scanned at
/// most twice and the total work stays linear.
///
/// On x86_64 CPUs with AVX2 (detected at run time) a copy compiled for AVX2 scans values 32
/// bytes at a time, for heads long enough to gain from it.
#[inline(always)]
pub(crate) fn fast_fields<'b>(
    buf: &'b [u8],
    pos: usize,
    slots: &mut [Header<'b>],
    count: &mut usize,
    max: usize,
    max_field: usize,
) -> Fast {
    // Short heads stay on the inlined SSE2 path: the out-of-line AVX2 copy only pays once
    // there are enough bytes for its wider steps.
    #[cfg(target_arch = "x86_64")]
    if buf.len() - pos.min(buf.len()) >= 256 && std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above).
        #[allow(unsafe_code)]
        let (fast, n) = unsafe { fast_fields_avx2(buf, pos, slots, *count, max, max_field) };
        *count = n;
        return fast;
    }
    let (fast, n) = fast_fields_impl::<false>(buf, pos, slots, *count, max, max_field);
    *count = n;
    fast
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fast_fields_avx2<'b>(
    buf: &'b [u8],
    pos: usize,
    slots: &mut [Header<'b>],
    count: usize,
    max: usize,
    max_field: usize,
) -> (Fast, usize) {
    fast_fields_impl::<true>(buf, pos, slots, count, max, max_field)
}

#[inline(always)]
fn fast_fields_impl<'b, const AVX2: bool>(
    buf: &'b [u8],
    mut pos: usize,
    slots: &mut [Header<'b>],
    mut count: usize,
    max: usize,
    max_field: usize,
) -> (Fast, usize) {
    loop {
        let ns = pos;
        if buf.get(pos..pos + 2) == Some(b"\r\n") {
            return (Fast::End(pos + 2), count);
        }
        let ne = skip_token(buf, pos);
        if ne == ns || buf.get(ne) != Some(&b':') {
            return (Fast::Stop(ns), count);
        }
        let mut vs = ne + 1;
        while let Some(b' ' | b'\t') = buf.get(vs) {
            vs += 1;
        }
        #[cfg(target_arch = "x86_64")]
        let stop = if AVX2 {
            // SAFETY: `AVX2` is only true in `fast_fields_avx2`, called after detecting AVX2.
            #[allow(unsafe_code)]
            unsafe {
                crate::scan::avx2::skip_value(buf, vs)
            }
        } else {
            skip_value(buf, vs)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let stop = skip_value(buf, vs);
        if buf.get(stop..stop + 2) != Some(b"\r\n") || stop - ns > max_field || count >= max {
            // Out of input inside a value that is within the size limit: hand over the
            // line's state so it is not scanned again (exactly what `field_line` would have
            // reached; it reports the limit itself).
            if stop == buf.len() && stop - ns <= max_field {
                let vs = (vs < stop).then_some(vs);
                return (Fast::Partial(LineState::partial(ns, ne, vs, stop)), count);
            }
            if stop + 1 == buf.len() && buf[stop] == b'\r' && stop - ns <= max_field {
                let ve = trim_end(buf, vs, stop);
                return (
                    Fast::Partial(LineState::after_cr(ns, ne, vs, ve, stop + 1)),
                    count,
                );
            }
            return (Fast::Stop(ns), count);
        }
        let ve = trim_end(buf, vs, stop);
        let Some(slot) = slots.get_mut(count) else {
            return (Fast::Stop(ns), count);
        };
        *slot = Header {
            name: &buf[ns..ne],
            value: &buf[vs..ve],
        };
        count += 1;
        pos = stop + 2;
    }
}

/// Fills `slots` from an already validated field section `buf[pos..end]` and returns the
/// number of fields. Used when a head completes after being fed in pieces: earlier calls saw
/// other buffers, so the slots are rebuilt from this one in a single linear pass. The bytes
/// are known to be valid, so this only splits: the name ends at the colon, the line at LF.
pub(crate) fn refill<'b>(
    buf: &'b [u8],
    mut pos: usize,
    end: usize,
    slots: &mut [Header<'b>],
) -> usize {
    let buf = &buf[..end];
    let mut n = 0;
    while pos < end {
        let lf = find_lf(buf, pos);
        let content_end = if lf > pos && buf[lf - 1] == b'\r' {
            lf - 1
        } else {
            lf
        };
        if content_end <= pos {
            break;
        }
        let colon = skip_token(buf, pos);
        let mut vs = colon + 1;
        while vs < content_end && matches!(buf[vs], b' ' | b'\t') {
            vs += 1;
        }
        let ve = trim_end(buf, vs, content_end);
        if let Some(slot) = slots.get_mut(n) {
            *slot = Header {
                name: &buf[pos..colon],
                value: &buf[vs.min(ve)..ve],
            };
        }
        n += 1;
        pos = lf + 1;
    }
    n
}

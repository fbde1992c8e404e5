//! The incremental chunked transfer-coding decoder (RFC 9112 §7.1).

use crate::error::Error;
use crate::head::{field_line, Header, Line, LineState};
use crate::limits::Config;
use crate::scan::{is, is_token, VALUE};

/// One piece of a chunked body, borrowed from the input.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Chunk, ChunkedDecoder};
///
/// let mut d = ChunkedDecoder::new();
/// let (n, chunk) = d.decode(b"3\r\nabc\r\n0\r\n\r\n")?;
/// assert_eq!((n, chunk), (6, Some(Chunk::Data(&b"abc"[..]))));
/// # Ok::<(), brisk_http1::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'b> {
    /// Body bytes. A chunk may arrive as several `Data` pieces.
    Data(&'b [u8]),
    /// One trailer field (RFC 9112 §7.1.2), parsed under the same rules as header fields.
    Trailer(Header<'b>),
    /// The body is complete, trailers included; the next message starts after the consumed bytes.
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading chunk-size hex digits.
    Size,
    /// After the digits, before `;` or CR: only BWS.
    AfterSize,
    ExtPreName,
    ExtName,
    ExtPostName,
    ExtPreValue,
    ExtValue,
    ExtQuoted,
    ExtQuotedPair,
    ExtPostValue,
    /// Saw the CR ending the chunk-size line.
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailer,
    Done,
}

/// An incremental, zero-copy decoder for a chunked body (RFC 9112 §7.1).
///
/// # Driving it
///
/// Call [`decode`](Self::decode) with the unconsumed input. It returns how many bytes it
/// consumed and at most one [`Chunk`]; `None` means it needs more input. Keep the unconsumed
/// bytes and present them again, followed by new ones. Chunk-size lines and extensions are
/// consumed as they arrive (they are validated, bounded and dropped); a trailer field line is
/// consumed only once it is complete, so it can be returned as one borrowed [`Header`].
/// Work stays linear: a partial trailer line is never re-scanned from its start.
///
/// # Examples
///
/// ```
/// use brisk_http1::{Chunk, ChunkedDecoder};
///
/// let mut input: &[u8] = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nExpires: never\r\n\r\nNEXT";
/// let mut body = Vec::new();
/// let mut dec = ChunkedDecoder::new();
/// loop {
///     let (n, chunk) = dec.decode(input)?;
///     input = &input[n..];
///     match chunk {
///         Some(Chunk::Data(d)) => body.extend_from_slice(d),
///         Some(Chunk::Trailer(h)) => assert_eq!(h.name, b"Expires"),
///         Some(Chunk::End) => break,
///         None => unreachable!("all input is here"),
///     }
/// }
/// assert_eq!(body, b"Wikipedia");
/// assert_eq!(input, b"NEXT");
/// # Ok::<(), brisk_http1::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidChunkSize`], [`Error::ChunkSizeOverflow`], [`Error::InvalidChunkExtension`],
/// [`Error::ChunkExtensionTooLong`], [`Error::MissingChunkCrlf`], [`Error::BareCr`],
/// [`Error::BareLf`], [`Error::TrailersTooLarge`] and the header-field errors for trailers.
/// Errors are sticky.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    config: Config,
    state: State,
    size: u64,
    digits: u8,
    ext_len: usize,
    /// Whitespace was seen after the size digits.
    ws: bool,
    line: LineState,
    trailer_bytes: usize,
    trailers: usize,
    error: Option<Error>,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    /// A strict decoder with default limits.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = brisk_http1::ChunkedDecoder::new();
    /// assert!(!d.is_done());
    /// ```
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// A decoder with the given limits and leniencies.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = brisk_http1::ChunkedDecoder::with_config(brisk_http1::Config::default());
    /// # let _ = d;
    /// ```
    pub fn with_config(config: Config) -> Self {
        ChunkedDecoder {
            config,
            state: State::Size,
            size: 0,
            digits: 0,
            ext_len: 0,
            ws: false,
            line: LineState::at(0),
            trailer_bytes: 0,
            trailers: 0,
            error: None,
        }
    }

    /// True once the last chunk, the trailers and the final CRLF have been consumed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut d = brisk_http1::ChunkedDecoder::new();
    /// d.decode(b"0\r\n\r\n")?;
    /// assert!(d.is_done());
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The bytes of the current chunk that its chunk-size line declared and
    /// [`decode`](Self::decode) has not returned yet; 0 outside chunk data.
    ///
    /// It is known as soon as the chunk-size line is consumed, before any of the data arrives,
    /// so a caller with a body limit can refuse the body at once when
    /// `received + data_remaining()` exceeds it, instead of waiting for bytes that may never
    /// come (a declared size of `ffffffffffffffff`, say).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut d = brisk_http1::ChunkedDecoder::new();
    /// assert_eq!(d.decode(b"ffffffffffffffff\r\n")?, (18, None));
    /// assert_eq!(d.data_remaining(), u64::MAX);
    /// d.decode(b"abc")?;
    /// assert_eq!(d.data_remaining(), u64::MAX - 3);
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn data_remaining(&self) -> u64 {
        if self.state == State::Data {
            self.size
        } else {
            0
        }
    }

    /// Call when the input has ended (the peer closed): an unfinished body is an error.
    ///
    /// # Errors
    ///
    /// [`Error::IncompleteBody`] unless [`is_done`](Self::is_done).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{ChunkedDecoder, Error};
    ///
    /// let mut d = ChunkedDecoder::new();
    /// d.decode(b"0\r\n")?; // the last chunk, but not the final CRLF
    /// assert_eq!(d.finish(), Err(Error::IncompleteBody));
    /// # Ok::<(), brisk_http1::Error>(())
    /// ```
    pub fn finish(&self) -> Result<(), Error> {
        match self.error {
            Some(e) => Err(e),
            None if self.is_done() => Ok(()),
            None => Err(Error::IncompleteBody),
        }
    }

    /// Decodes from `input`: returns the bytes consumed and the next [`Chunk`], or `None` when
    /// more input is needed.
    ///
    /// # Errors
    ///
    /// See the type documentation.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http1::{ChunkedDecoder, Error};
    ///
    /// let mut d = ChunkedDecoder::new();
    /// assert_eq!(d.decode(b"0x5\r\n"), Err(Error::InvalidChunkSize));
    /// ```
    pub fn decode<'b>(&mut self, input: &'b [u8]) -> Result<(usize, Option<Chunk<'b>>), Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let r = self.run(input);
        if let Err(e) = r {
            self.error = Some(e);
        }
        r
    }

    fn ext_byte(&mut self) -> Result<(), Error> {
        self.ext_len += 1;
        if self.ext_len > self.config.limits.max_chunk_ext_len {
            return Err(Error::ChunkExtensionTooLong);
        }
        Ok(())
    }

    /// Handles CR or LF ending the chunk-size line; returns the next state.
    fn line_end(&self, b: u8) -> Result<Option<State>, Error> {
        match b {
            b'\r' => Ok(Some(State::SizeLf)),
            b'\n' if self.config.allow_bare_lf => Ok(Some(self.after_size_line())),
            b'\n' => Err(Error::BareLf),
            _ => Ok(None),
        }
    }

    fn after_size_line(&self) -> State {
        if self.size == 0 {
            State::Trailer
        } else {
            State::Data
        }
    }

    fn run<'b>(&mut self, input: &'b [u8]) -> Result<(usize, Option<Chunk<'b>>), Error> {
        let mut pos = 0;
        while pos < input.len() || matches!(self.state, State::Done | State::Trailer) {
            match self.state {
                State::Data => {
                    let avail = (input.len() - pos) as u64;
                    let n = avail.min(self.size) as usize;
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok((pos + n, Some(Chunk::Data(&input[pos..pos + n]))));
                }
                State::Trailer => return self.trailer(input, pos),
                State::Done => return Ok((pos, Some(Chunk::End))),
                _ => {}
            }
            let b = input[pos];
            pos += 1;
            self.state = match self.state {
                State::Size => match b {
                    b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                        if self.digits == 16 {
                            return Err(Error::ChunkSizeOverflow);
                        }
                        self.digits += 1;
                        let d = (b as char).to_digit(16).unwrap_or(0);
                        self.size = (self.size << 4) | u64::from(d);
                        State::Size
                    }
                    _ if self.digits == 0 => return Err(Error::InvalidChunkSize),
                    _ => {
                        pos -= 1;
                        State::AfterSize
                    }
                },
                State::AfterSize => match b {
                    b' ' | b'\t' => {
                        self.ws = true;
                        self.ext_byte()?;
                        State::AfterSize
                    }
                    b';' => {
                        self.ext_byte()?;
                        State::ExtPreName
                    }
                    // BWS is only allowed before `;` (RFC 9112 §7.1.1).
                    b'\r' | b'\n' if self.ws => return Err(Error::InvalidChunkSize),
                    _ => match self.line_end(b)? {
                        Some(s) => s,
                        None => return Err(Error::InvalidChunkSize),
                    },
                },
                State::SizeLf => match b {
                    b'\n' => self.after_size_line(),
                    _ => return Err(Error::BareCr),
                },
                State::DataCr => match b {
                    b'\r' => State::DataLf,
                    b'\n' if self.config.allow_bare_lf => self.next_chunk(),
                    _ => return Err(Error::MissingChunkCrlf),
                },
                State::DataLf => match b {
                    b'\n' => self.next_chunk(),
                    _ => return Err(Error::MissingChunkCrlf),
                },
                ext => {
                    if let Some(s) = self.line_end(b)? {
                        // A line may end after a name or a value, not after BWS or inside quotes.
                        if matches!(ext, State::ExtName | State::ExtValue | State::ExtPostValue)
                            && !(ext == State::ExtPostValue && self.ws)
                        {
                            s
                        } else {
                            return Err(Error::InvalidChunkExtension);
                        }
                    } else {
                        self.ext_byte()?;
                        self.ext(ext, b)?
                    }
                }
            };
        }
        Ok((pos, None))
    }

    fn next_chunk(&mut self) -> State {
        self.size = 0;
        self.digits = 0;
        self.ext_len = 0;
        self.ws = false;
        State::Size
    }

    /// One byte of `chunk-ext` (RFC 9112 §7.1.1), other than a line end:
    /// `*( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )`.
    fn ext(&mut self, state: State, b: u8) -> Result<State, Error> {
        let ws = b == b' ' || b == b'\t';
        let next = match state {
            State::ExtPreName if ws => State::ExtPreName,
            State::ExtPreName | State::ExtName if is_token(b) => State::ExtName,
            State::ExtName | State::ExtPostName if ws => State::ExtPostName,
            State::ExtName | State::ExtPostName if b == b'=' => State::ExtPreValue,
            State::ExtName | State::ExtPostName | State::ExtValue | State::ExtPostValue
                if b == b';' =>
            {
                State::ExtPreName
            }
            State::ExtPreValue if ws => State::ExtPreValue,
            State::ExtPreValue if b == b'"' => State::ExtQuoted,
            State::ExtPreValue | State::ExtValue if is_token(b) => State::ExtValue,
            State::ExtValue | State::ExtPostValue if ws => State::ExtPostValue,
            State::ExtQuoted if b == b'"' => State::ExtPostValue,
            State::ExtQuoted if b == b'\\' => State::ExtQuotedPair,
            State::ExtQuoted | State::ExtQuotedPair if is(b, VALUE) => State::ExtQuoted,
            _ => return Err(Error::InvalidChunkExtension),
        };
        // `ws` tracks BWS right before a possible line end.
        self.ws = ws && next == State::ExtPostValue;
        Ok(next)
    }

    fn trailer<'b>(
        &mut self,
        input: &'b [u8],
        base: usize,
    ) -> Result<(usize, Option<Chunk<'b>>), Error> {
        let limits = self.config.limits;
        let buf = &input[base..];
        match field_line(
            buf,
            &mut self.line,
            self.config.allow_bare_lf,
            limits.max_field_size,
        )? {
            Line::Field(ns, ne, vs, ve) => {
                let len = self.line.pos;
                self.trailer_bytes += len;
                self.trailers += 1;
                if self.trailer_bytes > limits.max_trailer_size
                    || self.trailers > limits.max_headers
                {
                    return Err(Error::TrailersTooLarge);
                }
                self.line = LineState::at(0);
                let h = Header {
                    name: &buf[ns..ne],
                    value: &buf[vs..ve],
                };
                Ok((base + len, Some(Chunk::Trailer(h))))
            }
            Line::End => {
                let len = self.line.pos;
                self.state = State::Done;
                Ok((base + len, Some(Chunk::End)))
            }
            Line::Partial => {
                if self.trailer_bytes + self.line.pos > limits.max_trailer_size {
                    return Err(Error::TrailersTooLarge);
                }
                Ok((base, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The declared size of a chunk is there once its size line is consumed (with or without
    /// extensions, with a bare LF when allowed), counts down as data is returned, and is 0
    /// between chunks and after the last one.
    #[test]
    fn data_remaining_is_the_declared_size_once_the_size_line_is_consumed() {
        let mut d = ChunkedDecoder::new();
        assert_eq!(d.data_remaining(), 0);
        assert_eq!(d.decode(b"ffffffff"), Ok((8, None)));
        assert_eq!(d.data_remaining(), 0, "the size line is not complete yet");
        assert_eq!(d.decode(b"ffffffff;a=b\r"), Ok((13, None)));
        assert_eq!(d.data_remaining(), 0, "nor here");
        assert_eq!(d.decode(b"\n"), Ok((1, None)));
        assert_eq!(d.data_remaining(), u64::MAX);
        assert_eq!(d.decode(b"ab"), Ok((2, Some(Chunk::Data(&b"ab"[..])))));
        assert_eq!(d.data_remaining(), u64::MAX - 2);

        let mut d = ChunkedDecoder::new();
        assert_eq!(
            d.decode(b"5\r\nhel"),
            Ok((6, Some(Chunk::Data(&b"hel"[..]))))
        );
        assert_eq!(d.data_remaining(), 2);
        assert_eq!(d.decode(b"lo"), Ok((2, Some(Chunk::Data(&b"lo"[..])))));
        assert_eq!(d.data_remaining(), 0);
        assert_eq!(d.decode(b"\r\n0\r\n"), Ok((5, None)));
        assert_eq!(d.data_remaining(), 0, "the last chunk declares nothing");
        assert_eq!(d.decode(b"\r\n"), Ok((2, Some(Chunk::End))));
        assert_eq!(d.data_remaining(), 0);

        let mut d = ChunkedDecoder::with_config(Config {
            allow_bare_lf: true,
            ..Config::default()
        });
        assert_eq!(d.decode(b"1A\n"), Ok((3, None)));
        assert_eq!(d.data_remaining(), 26);
    }
}

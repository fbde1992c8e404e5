//! Frame parsing: every length, padding, stream-id and value rule of RFC 9113 §6.

use super::{
    flags, Frame, FrameHeader, FrameType, Priority, SettingId, SettingsPayload,
    DEFAULT_MAX_FRAME_SIZE, HEADER_LEN, MAX_MAX_FRAME_SIZE,
};
use crate::error::{Error, ErrorCode, StreamId, Violation};

const MAX_WINDOW: u32 = 0x7fff_ffff;

fn conn(code: ErrorCode, v: Violation) -> Error {
    Error::conn(code, v)
}

fn frame_size() -> Error {
    conn(ErrorCode::FRAME_SIZE_ERROR, Violation::BadFrameLength)
}

fn bad_stream() -> Error {
    conn(ErrorCode::PROTOCOL_ERROR, Violation::BadStreamId)
}

/// Removes padding (RFC 9113 §6.1): returns the unpadded payload.
fn unpad<'a>(h: &FrameHeader, payload: &'a [u8]) -> Result<&'a [u8], Error> {
    if h.flags & flags::PADDED == 0 {
        return Ok(payload);
    }
    let (&pad, rest) = payload.split_first().ok_or_else(frame_size)?;
    // "If the length of the padding is the length of the frame payload or greater, the
    // recipient MUST treat this as a connection error of type PROTOCOL_ERROR."
    if pad as usize >= payload.len() {
        return Err(conn(ErrorCode::PROTOCOL_ERROR, Violation::BadPadding));
    }
    Ok(&rest[..rest.len() - pad as usize])
}

fn priority(b: &[u8]) -> Priority {
    let dep = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    Priority {
        dependency: StreamId::new(dep),
        exclusive: dep & 0x8000_0000 != 0,
        weight: b[4],
    }
}

/// Checks the values of a SETTINGS payload (RFC 9113 §6.5.2, RFC 8441 §3).
fn check_settings(p: &SettingsPayload<'_>) -> Result<(), Error> {
    for (id, v) in p.iter() {
        match id {
            SettingId::ENABLE_PUSH | SettingId::ENABLE_CONNECT_PROTOCOL if v > 1 => {
                return Err(conn(ErrorCode::PROTOCOL_ERROR, Violation::BadSetting));
            }
            SettingId::INITIAL_WINDOW_SIZE if v > MAX_WINDOW => {
                return Err(conn(ErrorCode::FLOW_CONTROL_ERROR, Violation::BadSetting));
            }
            SettingId::MAX_FRAME_SIZE
                if !(DEFAULT_MAX_FRAME_SIZE..=MAX_MAX_FRAME_SIZE).contains(&v) =>
            {
                return Err(conn(ErrorCode::PROTOCOL_ERROR, Violation::BadSetting));
            }
            _ => {}
        }
    }
    Ok(())
}

impl<'a> Frame<'a> {
    /// Parses one frame from the start of `input`.
    ///
    /// Returns `Ok(None)` when `input` does not yet hold the whole frame (incomplete input is not
    /// an error), else the frame and the bytes it used. `max_frame_size` is our
    /// SETTINGS_MAX_FRAME_SIZE: a longer frame is rejected from its header alone, before its
    /// payload arrives.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] or [`Error::Stream`] with the code RFC 9113 §6 prescribes:
    /// FRAME_SIZE_ERROR for a length wrong for the type or above `max_frame_size`,
    /// PROTOCOL_ERROR for a stream id wrong for the type, bad padding, a PRIORITY frame that
    /// depends on its own stream (a stream error), a zero WINDOW_UPDATE increment (a stream error
    /// on a stream) or an invalid ENABLE_PUSH / MAX_FRAME_SIZE setting, FLOW_CONTROL_ERROR for an
    /// INITIAL_WINDOW_SIZE above 2^31-1. Unknown frame types and unknown flags are not errors.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{ErrorCode, Frame};
    /// // PING on stream 1
    /// let bad = [0, 0, 8, 6, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
    /// let err = Frame::parse(&bad, 16_384).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    /// // incomplete
    /// assert_eq!(Frame::parse(&bad[..12], 16_384), Ok(None));
    /// ```
    pub fn parse(
        input: &'a [u8],
        max_frame_size: u32,
    ) -> Result<Option<(Frame<'a>, usize)>, Error> {
        let Some(head) = input.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let header = FrameHeader::parse(head);
        if header.length > max_frame_size {
            return Err(conn(ErrorCode::FRAME_SIZE_ERROR, Violation::FrameTooLarge));
        }
        let total = HEADER_LEN + header.length as usize;
        if input.len() < total {
            return Ok(None);
        }
        let frame = Frame::decode(header, &input[HEADER_LEN..total])?;
        Ok(Some((frame, total)))
    }

    /// Decodes a frame from its header and complete payload (the length was already checked
    /// against the maximum).
    ///
    /// # Errors
    ///
    /// As [`Frame::parse`].
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Frame, FrameHeader, StreamId};
    /// let h = FrameHeader::parse(&[0, 0, 4, 8, 0, 0, 0, 0, 1]);
    /// let f = Frame::decode(h, &[0, 0, 1, 0]).unwrap();
    /// assert_eq!(f, Frame::WindowUpdate { stream: StreamId::new(1), increment: 256 });
    /// ```
    pub fn decode(h: FrameHeader, payload: &'a [u8]) -> Result<Frame<'a>, Error> {
        let s = h.stream;
        let len = payload.len();
        Ok(match h.kind {
            FrameType::DATA => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                Frame::Data {
                    stream: s,
                    data: unpad(&h, payload)?,
                    end_stream: h.flags & flags::END_STREAM != 0,
                    flow_len: len as u32,
                }
            }
            FrameType::HEADERS => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                let mut block = unpad(&h, payload)?;
                let mut prio = None;
                if h.flags & flags::PRIORITY != 0 {
                    if block.len() < 5 {
                        return Err(frame_size());
                    }
                    prio = Some(priority(block));
                    block = &block[5..];
                }
                Frame::Headers {
                    stream: s,
                    block,
                    end_stream: h.flags & flags::END_STREAM != 0,
                    end_headers: h.flags & flags::END_HEADERS != 0,
                    priority: prio,
                }
            }
            FrameType::PRIORITY => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                if len != 5 {
                    // RFC 9113 §6.3: "a stream error of type FRAME_SIZE_ERROR".
                    return Err(Error::stream(
                        s,
                        ErrorCode::FRAME_SIZE_ERROR,
                        Violation::BadFrameLength,
                    ));
                }
                let priority = priority(payload);
                if priority.dependency == s {
                    return Err(Error::stream(
                        s,
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::SelfDependency,
                    ));
                }
                Frame::Priority {
                    stream: s,
                    priority,
                }
            }
            FrameType::RST_STREAM => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                if len != 4 {
                    return Err(frame_size());
                }
                Frame::RstStream {
                    stream: s,
                    code: ErrorCode(u32::from_be_bytes([
                        payload[0], payload[1], payload[2], payload[3],
                    ])),
                }
            }
            FrameType::SETTINGS => {
                if !s.is_zero() {
                    return Err(bad_stream());
                }
                let ack = h.flags & flags::ACK != 0;
                if ack && len != 0 {
                    return Err(frame_size());
                }
                let payload = SettingsPayload::new(payload).ok_or_else(frame_size)?;
                check_settings(&payload)?;
                Frame::Settings { ack, payload }
            }
            FrameType::PUSH_PROMISE => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                let body = unpad(&h, payload)?;
                if body.len() < 4 {
                    return Err(frame_size());
                }
                Frame::PushPromise {
                    stream: s,
                    promised: StreamId::new(u32::from_be_bytes([
                        body[0], body[1], body[2], body[3],
                    ])),
                    block: &body[4..],
                    end_headers: h.flags & flags::END_HEADERS != 0,
                }
            }
            FrameType::PING => {
                if !s.is_zero() {
                    return Err(bad_stream());
                }
                let Ok(p) = <[u8; 8]>::try_from(payload) else {
                    return Err(frame_size());
                };
                Frame::Ping {
                    ack: h.flags & flags::ACK != 0,
                    payload: p,
                }
            }
            FrameType::GOAWAY => {
                if !s.is_zero() {
                    return Err(bad_stream());
                }
                if len < 8 {
                    return Err(frame_size());
                }
                Frame::GoAway {
                    last_stream: StreamId::new(u32::from_be_bytes([
                        payload[0], payload[1], payload[2], payload[3],
                    ])),
                    code: ErrorCode(u32::from_be_bytes([
                        payload[4], payload[5], payload[6], payload[7],
                    ])),
                    debug: &payload[8..],
                }
            }
            FrameType::WINDOW_UPDATE => {
                if len != 4 {
                    return Err(frame_size());
                }
                let increment =
                    u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
                        & MAX_WINDOW;
                if increment == 0 {
                    return Err(if s.is_zero() {
                        conn(ErrorCode::PROTOCOL_ERROR, Violation::ZeroWindowIncrement)
                    } else {
                        Error::stream(s, ErrorCode::PROTOCOL_ERROR, Violation::ZeroWindowIncrement)
                    });
                }
                Frame::WindowUpdate {
                    stream: s,
                    increment,
                }
            }
            FrameType::CONTINUATION => {
                if s.is_zero() {
                    return Err(bad_stream());
                }
                Frame::Continuation {
                    stream: s,
                    block: payload,
                    end_headers: h.flags & flags::END_HEADERS != 0,
                }
            }
            _ => Frame::Unknown { header: h, payload },
        })
    }
}

//! Frame serialization into a caller's `Vec<u8>`.

use super::{flags, Frame, FrameType, SettingId};
use crate::error::StreamId;

/// Appends a 9-byte frame header.
///
/// # Examples
///
/// ```
/// use brisk_http2::{write_frame_header, FrameType, StreamId};
/// let mut out = Vec::new();
/// write_frame_header(&mut out, 8, FrameType::PING, 0, StreamId::CONNECTION);
/// assert_eq!(out, [0, 0, 8, 6, 0, 0, 0, 0, 0]);
/// ```
pub fn write_frame_header(
    out: &mut Vec<u8>,
    length: usize,
    kind: FrameType,
    flags: u8,
    stream: StreamId,
) {
    let l = (length as u32).to_be_bytes();
    let s = stream.value().to_be_bytes();
    out.extend_from_slice(&[l[1], l[2], l[3], kind.0, flags, s[0], s[1], s[2], s[3]]);
}

/// Appends a SETTINGS frame (not an ACK) carrying `pairs`.
///
/// # Examples
///
/// ```
/// use brisk_http2::{write_settings, SettingId};
/// let mut out = Vec::new();
/// write_settings(&mut out, &[(SettingId::ENABLE_PUSH, 0)]);
/// assert_eq!(out, [0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
/// ```
pub fn write_settings(out: &mut Vec<u8>, pairs: &[(SettingId, u32)]) {
    write_frame_header(
        out,
        pairs.len() * 6,
        FrameType::SETTINGS,
        0,
        StreamId::CONNECTION,
    );
    for (id, v) in pairs {
        out.extend_from_slice(&id.0.to_be_bytes());
        out.extend_from_slice(&v.to_be_bytes());
    }
}

impl Frame<'_> {
    /// Appends the frame in wire format. Padding is kept for DATA (as `flow_len` says) and not
    /// written for HEADERS and PUSH_PROMISE. The length is not checked against any maximum.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{ErrorCode, Frame, StreamId};
    /// let mut out = Vec::new();
    /// Frame::RstStream { stream: StreamId::new(1), code: ErrorCode::CANCEL }.encode(&mut out);
    /// assert_eq!(out, [0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8]);
    /// ```
    pub fn encode(&self, out: &mut Vec<u8>) {
        match *self {
            Frame::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => {
                let es = if end_stream { flags::END_STREAM } else { 0 };
                let padded = flow_len as usize > data.len();
                if padded {
                    let pad = flow_len as usize - data.len() - 1;
                    write_frame_header(
                        out,
                        flow_len as usize,
                        FrameType::DATA,
                        es | flags::PADDED,
                        stream,
                    );
                    out.push(pad as u8);
                    out.extend_from_slice(data);
                    out.resize(out.len() + pad, 0);
                } else {
                    write_frame_header(out, data.len(), FrameType::DATA, es, stream);
                    out.extend_from_slice(data);
                }
            }
            Frame::Headers {
                stream,
                block,
                end_stream,
                end_headers,
                priority,
            } => {
                let mut f = 0;
                if end_stream {
                    f |= flags::END_STREAM;
                }
                if end_headers {
                    f |= flags::END_HEADERS;
                }
                let extra = if priority.is_some() { 5 } else { 0 };
                if priority.is_some() {
                    f |= flags::PRIORITY;
                }
                write_frame_header(out, block.len() + extra, FrameType::HEADERS, f, stream);
                if let Some(p) = priority {
                    write_priority(out, p);
                }
                out.extend_from_slice(block);
            }
            Frame::Priority { stream, priority } => {
                write_frame_header(out, 5, FrameType::PRIORITY, 0, stream);
                write_priority(out, priority);
            }
            Frame::RstStream { stream, code } => {
                write_frame_header(out, 4, FrameType::RST_STREAM, 0, stream);
                out.extend_from_slice(&code.0.to_be_bytes());
            }
            Frame::Settings { ack, payload } => {
                let f = if ack { flags::ACK } else { 0 };
                write_frame_header(
                    out,
                    payload.as_bytes().len(),
                    FrameType::SETTINGS,
                    f,
                    StreamId::CONNECTION,
                );
                out.extend_from_slice(payload.as_bytes());
            }
            Frame::PushPromise {
                stream,
                promised,
                block,
                end_headers,
            } => {
                let f = if end_headers { flags::END_HEADERS } else { 0 };
                write_frame_header(out, 4 + block.len(), FrameType::PUSH_PROMISE, f, stream);
                out.extend_from_slice(&promised.value().to_be_bytes());
                out.extend_from_slice(block);
            }
            Frame::Ping { ack, payload } => {
                let f = if ack { flags::ACK } else { 0 };
                write_frame_header(out, 8, FrameType::PING, f, StreamId::CONNECTION);
                out.extend_from_slice(&payload);
            }
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => {
                write_frame_header(
                    out,
                    8 + debug.len(),
                    FrameType::GOAWAY,
                    0,
                    StreamId::CONNECTION,
                );
                out.extend_from_slice(&last_stream.value().to_be_bytes());
                out.extend_from_slice(&code.0.to_be_bytes());
                out.extend_from_slice(debug);
            }
            Frame::WindowUpdate { stream, increment } => {
                write_frame_header(out, 4, FrameType::WINDOW_UPDATE, 0, stream);
                out.extend_from_slice(&increment.to_be_bytes());
            }
            Frame::Continuation {
                stream,
                block,
                end_headers,
            } => {
                let f = if end_headers { flags::END_HEADERS } else { 0 };
                write_frame_header(out, block.len(), FrameType::CONTINUATION, f, stream);
                out.extend_from_slice(block);
            }
            Frame::Unknown { header, payload } => {
                write_frame_header(out, payload.len(), header.kind, header.flags, header.stream);
                out.extend_from_slice(payload);
            }
        }
    }
}

fn write_priority(out: &mut Vec<u8>, p: super::Priority) {
    let mut dep = p.dependency.value();
    if p.exclusive {
        dep |= 0x8000_0000;
    }
    out.extend_from_slice(&dep.to_be_bytes());
    out.push(p.weight);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_ids_are_the_rfc_numbers() {
        assert_eq!(SettingId::HEADER_TABLE_SIZE.0, 1);
        assert_eq!(SettingId::ENABLE_CONNECT_PROTOCOL.0, 8);
    }
}

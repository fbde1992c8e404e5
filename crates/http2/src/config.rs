//! What a connection advertises ([`Config`]) and what it tolerates ([`Limits`]).

use std::time::Duration;

/// Settings this endpoint advertises and applies to what it receives.
///
/// # Examples
///
/// ```
/// use brisk_http2::Config;
/// let mut config = Config::default();
/// config.max_concurrent_streams = 250;
/// config.limits.max_continuation_frames = 4;
/// assert_eq!(config.initial_window_size, 262_144);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// SETTINGS_HEADER_TABLE_SIZE we advertise: the HPACK table the peer may fill in our
    /// decoder (RFC 9113 §6.5.2). Default: 4096.
    pub header_table_size: u32,
    /// SETTINGS_MAX_CONCURRENT_STREAMS we advertise and enforce: streams the peer may open at
    /// once; one more is refused with REFUSED_STREAM (RFC 9113 §5.1.2). Default: 100.
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE we advertise: how much DATA the peer may send on a stream
    /// before we return credit (RFC 9113 §6.9.2). Default: 262144 (256 KiB).
    pub initial_window_size: u32,
    /// Our connection receive window, raised from 65535 by a WINDOW_UPDATE right after the
    /// preface. Default: 1048576 (1 MiB).
    pub connection_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE we advertise: longer frames are a FRAME_SIZE_ERROR
    /// (RFC 9113 §4.2). Default: 16384.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce while decoding (HPACK bomb):
    /// names + values + 32 per field. Default: 65536.
    pub max_header_list_size: u32,
    /// Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441) so a client may send extended
    /// CONNECT with `:protocol` (WebSockets over HTTP/2). Server only. Default: false.
    pub enable_connect_protocol: bool,
    /// Attack limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            header_table_size: 4096,
            max_concurrent_streams: 100,
            initial_window_size: 262_144,
            connection_window_size: 1_048_576,
            max_frame_size: 16_384,
            max_header_list_size: 65_536,
            enable_connect_protocol: false,
            limits: Limits::default(),
        }
    }
}

/// Limits against the published HTTP/2 attacks. Each is answered with GOAWAY
/// ENHANCE_YOUR_CALM (or the RFC's code), or, for the ACK floods, by no longer reading.
///
/// Time-based limits use the time the caller passes to
/// [`Connection::handle_timeout`](crate::Connection::handle_timeout); a caller that never
/// passes time gets the stricter behaviour (buckets never refill).
///
/// # Examples
///
/// ```
/// let limits = brisk_http2::Limits::default();
/// assert_eq!(limits.max_continuation_frames, 8);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Limits {
    /// Most CONTINUATION frames after one HEADERS (CONTINUATION flood, CVE-2024-27316 family);
    /// one more is GOAWAY ENHANCE_YOUR_CALM. Default: 8.
    pub max_continuation_frames: u32,
    /// Most bytes of one header block (HEADERS + CONTINUATIONs) held before it ends; more is
    /// GOAWAY ENHANCE_YOUR_CALM. Default: 81920 (80 KiB).
    pub max_header_block_size: usize,
    /// Burst of streams the peer may open and then reset (rapid reset, CVE-2023-44487);
    /// beyond the bucket, GOAWAY ENHANCE_YOUR_CALM. nghttp2 allows 1000. Default: 200.
    pub rapid_reset_burst: u32,
    /// Refill of the rapid-reset bucket, tokens per second of caller time. nghttp2: 33.
    /// Default: 33.
    pub rapid_reset_per_second: u32,
    /// Burst of stream errors the peer may provoke us into (RST_STREAM we send because of its
    /// frames: MadeYouReset, refused streams); beyond it, GOAWAY ENHANCE_YOUR_CALM.
    /// h2 allows 1024 in total. Default: 200.
    pub provoked_reset_burst: u32,
    /// Refill of the provoked-reset bucket, tokens per second of caller time. Default: 33.
    pub provoked_reset_per_second: u32,
    /// ACK frames (SETTINGS ACK, PING ACK) queued but not yet taken by `poll_output`; at this
    /// many, `recv` stops reading until the output is drained (SETTINGS and PING floods).
    /// Default: 64.
    pub max_pending_acks: usize,
    /// Consecutive DATA frames without END_STREAM carrying fewer than `tiny_data_frame_size`
    /// bytes while the windows allowed more (empty-frame and tiny-DATA floods); one more is
    /// GOAWAY ENHANCE_YOUR_CALM. The count restarts at any larger DATA frame or HEADERS and
    /// halves each second. Default: 128.
    pub max_tiny_data_frames: u32,
    /// Size below which a DATA frame without END_STREAM counts as tiny. Default: 16.
    pub tiny_data_frame_size: usize,
    /// WINDOW_UPDATE frames allowed beyond 4 per DATA frame we sent (WINDOW_UPDATE flood);
    /// more is GOAWAY ENHANCE_YOUR_CALM. Default: 1000.
    pub max_window_update_frames: u32,
    /// Bytes of output a connection holds before `poll_output` drains them: `send_data` lets
    /// through no more (stalled reader). Default: 1048576 (1 MiB).
    pub max_send_buffer: usize,
    /// Bytes one stream may have in undrained output: `send_data` lets through no more.
    /// Default: 262144 (256 KiB).
    pub max_stream_send_buffer: usize,
    /// How long a stream may wait for send window it needs (a peer that never opens its window);
    /// then RST_STREAM ENHANCE_YOUR_CALM, or GOAWAY ENHANCE_YOUR_CALM if the connection window
    /// is the one held shut. Default: 30 s.
    pub send_stall_timeout: Duration,
    /// How long the peer has to acknowledge our SETTINGS; then GOAWAY SETTINGS_TIMEOUT
    /// (RFC 9113 §6.5.3). Default: 10 s.
    pub settings_timeout: Duration,
    /// Closed streams remembered to tell "closed" from "never opened" and the way each closed
    /// (RFC 9113 §5.1). Default: 256.
    pub closed_stream_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_continuation_frames: 8,
            max_header_block_size: 81_920,
            rapid_reset_burst: 200,
            rapid_reset_per_second: 33,
            provoked_reset_burst: 200,
            provoked_reset_per_second: 33,
            max_pending_acks: 64,
            max_tiny_data_frames: 128,
            tiny_data_frame_size: 16,
            max_window_update_frames: 1000,
            max_send_buffer: 1_048_576,
            max_stream_send_buffer: 262_144,
            send_stall_timeout: Duration::from_secs(30),
            settings_timeout: Duration::from_secs(10),
            closed_stream_memory: 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_docs() {
        let c = Config::default();
        assert_eq!(c.header_table_size, 4096);
        assert_eq!(c.max_concurrent_streams, 100);
        assert_eq!(c.initial_window_size, 262_144);
        assert_eq!(c.connection_window_size, 1_048_576);
        assert_eq!(c.max_frame_size, 16_384);
        assert_eq!(c.max_header_list_size, 65_536);
        assert!(!c.enable_connect_protocol);
        let l = c.limits;
        assert_eq!(l.max_continuation_frames, 8);
        assert_eq!(l.max_header_block_size, 81_920);
        assert_eq!(l.rapid_reset_burst, 200);
        assert_eq!(l.rapid_reset_per_second, 33);
        assert_eq!(l.provoked_reset_burst, 200);
        assert_eq!(l.provoked_reset_per_second, 33);
        assert_eq!(l.max_pending_acks, 64);
        assert_eq!(l.max_tiny_data_frames, 128);
        assert_eq!(l.tiny_data_frame_size, 16);
        assert_eq!(l.max_window_update_frames, 1000);
        assert_eq!(l.max_send_buffer, 1_048_576);
        assert_eq!(l.max_stream_send_buffer, 262_144);
        assert_eq!(l.send_stall_timeout, Duration::from_secs(30));
        assert_eq!(l.settings_timeout, Duration::from_secs(10));
        assert_eq!(l.closed_stream_memory, 256);
    }
}

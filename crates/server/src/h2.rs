//! HTTP/2 (h2c) connections. (Temporary: waits for brisk-http2.)

use std::net::SocketAddr;
use std::sync::Arc;

use brisk_reactor::{Action, Context, Output, TimeoutKind};

use crate::app::App;

#[derive(Debug)]
pub(crate) struct H2 {
    peer: SocketAddr,
}

impl H2 {
    pub(crate) fn new(app: Arc<App>, peer: SocketAddr) -> Self {
        let _ = app;
        H2 { peer }
    }
    pub(crate) fn upgrade(
        &mut self,
        cx: &mut Context<'_>,
        head: &[u8],
        body: &[u8],
        settings: &[u8],
        out: &mut Output<'_>,
    ) -> Action {
        let _ = (cx, head, body, settings, out, self.peer);
        Action::CloseNow
    }
    pub(crate) fn on_read(
        &mut self,
        cx: &mut Context<'_>,
        input: &[u8],
        out: &mut Output<'_>,
    ) -> (usize, Action) {
        let _ = (cx, out);
        (input.len(), Action::CloseNow)
    }
    pub(crate) fn on_write_ready(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let _ = (cx, out);
        Action::CloseNow
    }
    pub(crate) fn on_timeout(
        &mut self,
        cx: &mut Context<'_>,
        kind: TimeoutKind,
        out: &mut Output<'_>,
    ) -> Action {
        let _ = (cx, kind, out);
        Action::CloseNow
    }
    pub(crate) fn on_drain(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        let _ = (cx, out);
        Action::CloseNow
    }
}

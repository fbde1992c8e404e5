//! Deferred answers on HTTP/1.1: answers leave in request order, so an answer that is ready
//! waits behind an earlier deferred one in a small ordered queue of exchanges. While the
//! queue holds [`MAX_WAITING`] exchanges the connection reads no further request (the bytes
//! stay in the reactor's input, and are handed back after the next completion).

use std::collections::VecDeque;
use std::time::Instant;

use brisk_reactor::{Action, ConnId, Context, Output, TimeoutKind};

use super::conn::{Plan, Reading, H1};
use crate::access_log::{Kept, LogAs, NoRequest};
use crate::app_error::{AppErrorKind, ErrorLog, RouteId};
use crate::defer;
use crate::response::Response;
use crate::worker::{with_worker, Worker};

/// Most answers one HTTP/1.1 connection holds back behind a deferred one (deferred or ready):
/// at this many, reading pauses until the oldest leaves. Pipelining clients send fewer.
pub(crate) const MAX_WAITING: usize = 32;

/// One exchange whose answer waits: `res` is `None` until its `Responder` completed it.
#[derive(Debug)]
pub(crate) struct Waiting {
    xid: u64,
    plan: Plan,
    res: Option<Response>,
    /// When the handler timeout answers 503 instead (deferred answers only).
    deadline: Option<Instant>,
    /// The route whose handler deferred (named when the timeout answers).
    route: RouteId,
    /// The request as the access log needs it (when the log is on).
    log: Option<Kept>,
}

/// The queue of waiting exchanges: boxed on the first deferral and kept (with its capacity)
/// for the connection's life, so a connection that never defers carries one pointer.
/// (A `VecDeque` inline would be 32 bytes in every idle connection's slab entry.)
#[derive(Debug, Default)]
pub(crate) struct Queue(Option<Box<Inner>>);

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// The connection's id (set on the first deferral).
    me: Option<ConnId>,
    q: VecDeque<Waiting>,
}

impl Queue {
    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|i| i.q.is_empty())
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |i| i.q.len())
    }

    fn push_back(&mut self, w: Waiting) {
        self.0.get_or_insert_with(Box::default).q.push_back(w);
    }

    fn front_mut(&mut self) -> Option<&mut Waiting> {
        self.0.as_mut()?.q.front_mut()
    }

    fn pop_front(&mut self) -> Option<Waiting> {
        self.0.as_mut()?.q.pop_front()
    }

    fn find(&mut self, xid: u64) -> Option<&mut Waiting> {
        self.0
            .as_mut()?
            .q
            .iter_mut()
            .find(|e| e.xid == xid && e.res.is_none())
    }

    /// The earliest handler deadline of a waiting deferred answer.
    fn next_deadline(&self) -> Option<Instant> {
        self.0
            .as_ref()?
            .q
            .iter()
            .filter(|e| e.res.is_none())
            .filter_map(|e| e.deadline)
            .min()
    }

    /// Answers 503 for every deferred exchange past its deadline (its responder's send then
    /// fails). True if any was.
    fn expire(&mut self, now: Instant, errors: Option<&ErrorLog>) -> bool {
        let Some(i) = self.0.as_mut() else {
            return false;
        };
        let mut any = false;
        for e in i.q.iter_mut() {
            if e.res.is_none() && e.deadline.is_some_and(|d| d <= now) {
                let mut res = Response::new();
                res.set_error(503);
                if let Some(log) = errors {
                    log.report_id(AppErrorKind::Timeout, e.route);
                }
                e.res = Some(res);
                any = true;
                if let Some(me) = i.me {
                    defer::forget(me, &mut std::iter::once(e.xid));
                }
            }
        }
        any
    }

    /// The connection closed: its exchanges still waiting for an answer are gone.
    pub(crate) fn forget(&mut self) {
        let Some(i) = self.0.as_mut() else {
            return;
        };
        if let Some(me) = i.me {
            let mut open = i.q.iter().filter(|e| e.res.is_none()).map(|e| e.xid);
            defer::forget(me, &mut open);
        }
        i.q.clear();
    }
}

impl H1 {
    /// The handler deferred the answer to request `xid`: hold its place in the queue.
    pub(super) fn defer_answer(
        &mut self,
        me: ConnId,
        xid: u64,
        plan: &Plan,
        deadline: Option<Instant>,
        route: RouteId,
        log: Option<Kept>,
    ) {
        self.waiting.push_back(Waiting {
            xid,
            plan: *plan,
            res: None,
            deadline,
            route,
            log,
        });
        if let Some(i) = self.waiting.0.as_mut() {
            i.me = Some(me);
        }
        if !plan.keep_alive {
            self.reading = Reading::Closed;
        }
    }

    /// A ready answer that must wait behind a deferred one: `w.res` moves into the queue
    /// (the worker gets a fresh response; this is not the common path).
    #[cold]
    #[inline(never)]
    pub(super) fn queue_ready(&mut self, w: &mut Worker, plan: &Plan, log: LogAs<'_>) {
        let log = crate::access_log::keep(w, log);
        let res = std::mem::take(&mut w.res);
        if !plan.keep_alive {
            self.reading = Reading::Closed;
        }
        self.waiting.push_back(Waiting {
            xid: u64::MAX,
            plan: *plan,
            res: Some(res),
            deadline: None,
            route: RouteId::UNKNOWN,
            log,
        });
    }

    /// Arms the connection's timer for the earliest handler deadline, if one is set.
    pub(super) fn arm_handler_timer(&mut self, cx: &mut Context<'_>) {
        if let Some(d) = self.waiting.next_deadline() {
            cx.set_timeout_in(TimeoutKind::Idle, d.saturating_duration_since(cx.now()));
        }
    }

    /// The timer fired while answers wait: those past the handler timeout get 503.
    pub(super) fn on_handler_timer(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Output<'_>,
    ) -> Action {
        let errors = self.app.as_ref().map(|a| &*a.errors);
        if self.waiting.expire(cx.now(), errors) && (self.spill.is_empty() || self.flush_spill(out))
        {
            self.flush_waiting(cx, out);
        }
        let idle = self
            .app
            .as_ref()
            .map_or(std::time::Duration::ZERO, |a| a.config.timeouts.idle);
        cx.set_timeout_in(TimeoutKind::Idle, idle);
        self.arm_handler_timer(cx);
        self.after_output()
    }

    /// Completions arrived (or a spurious call): file them, write what is ready in order.
    pub(crate) fn on_notify(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) -> Action {
        if matches!(self.reading, Reading::Body(_)) {
            // Perhaps a body's sink that paced it woke the connection.
            self.body_flow(cx, out);
        }
        self.file_completions(cx.conn_id());
        if self.spill.is_empty() || self.flush_spill(out) {
            self.flush_waiting(cx, out);
        }
        if cx.is_draining()
            && self.spill.is_empty()
            && self.waiting.is_empty()
            && self.between_requests()
        {
            self.reading = Reading::Closed;
        }
        self.arm_handler_timer(cx);
        self.after_output()
    }

    fn file_completions(&mut self, me: ConnId) {
        while let Some(c) = defer::take(me) {
            // (A wake for a pushed body has no response: the spill is flushed after this.)
            if c.res.is_some() {
                if let Some(e) = self.waiting.find(c.xid) {
                    e.res = c.res;
                }
            }
            // Else: the connection closed its queue (an earlier answer ended it): dropped.
        }
    }

    /// Writes the queued answers that are ready, in order, until one is not (or a large body
    /// fills the spill).
    pub(super) fn flush_waiting(&mut self, cx: &mut Context<'_>, out: &mut Output<'_>) {
        with_worker(|w| {
            w.date.update(cx.now(), || cx.system_time());
            while self.spill.is_empty() {
                let Some(front) = self.waiting.front_mut() else {
                    break;
                };
                let Some(mut res) = front.res.take() else {
                    break;
                };
                // A handler's status never closes the connection by itself.
                let plan = front.plan;
                let kept = self.waiting.pop_front().and_then(|e| e.log);
                std::mem::swap(&mut w.res, &mut res);
                match &kept {
                    Some(k) => {
                        let (req, start) = k.view();
                        let log = LogAs {
                            req: &req,
                            start: Some(start),
                        };
                        self.write_now(w, out, &plan, log);
                    }
                    None => self.write_now(w, out, &plan, LogAs::now(&NoRequest)),
                }
                std::mem::swap(&mut w.res, &mut res);
                // `res` is the completion's response, dropped here (the worker's stays).
                drop(res);
                if self.closed() && !plan.keep_alive {
                    // Nothing after a closing answer is sent.
                    self.waiting.forget();
                    break;
                }
            }
        });
    }
}

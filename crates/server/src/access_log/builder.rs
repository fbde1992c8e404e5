//! The access log's settings on [`Builder`] and its rotation on [`Handle`].

use super::AccessLog;
use crate::handle::Handle;
use crate::server::Builder;

impl Builder {
    /// Logs every answer ([`AccessLog`]: a file or stdout, nginx's `combined` format or
    /// another). Default: no access log (then a request pays one branch for it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.access_log(brisk_server::AccessLog::stdout());
    /// ```
    pub fn access_log(&mut self, log: AccessLog) -> &mut Self {
        self.access_log = Some(log);
        self
    }
}

impl Handle {
    /// Reopens the access log file at its path, for log rotation: rename the file, call this
    /// (the `brisk` binary does on `SIGHUP`), and lines from then on go to a new file at the
    /// old path (lines already handed to the logging thread may still go to the renamed one).
    /// Returns at once; the logging thread reopens the file. Nothing happens without an access
    /// log or with one on stdout.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).start()?;
    /// h.reopen_logs();
    /// h.shutdown();
    /// h.join();
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn reopen_logs(&self) {
        if let Some(w) = &self.logs {
            w.sink.reopen();
        }
    }
}

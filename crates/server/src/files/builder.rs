//! The [`Builder`] methods that mount a directory of files.

use std::sync::Arc;

use crate::Builder;

impl Builder {
    /// Serves the files under `dir` at `prefix` (GET and HEAD): `PREFIX/a/b.css` is
    /// `dir/a/b.css`, a directory answers with its `index.html`. Content types come from file
    /// extensions; `ETag` and `Last-Modified` make conditional requests answer 304 (or 412);
    /// a single byte `Range` answers 206 (416 when it lies past the end). Nothing outside
    /// `dir` is reachable: `..` above the mount is a 400, symbolic links leading out are 404.
    /// Other routes win over the mount where both match. If `dir` is not a readable
    /// directory, [`start`](Self::start) fails with [`Error::StaticDir`](crate::Error::StaticDir).
    ///
    /// Files are read on the worker thread: large ones in 64 KiB pieces as the connection
    /// drains, so a slow disk (not the page cache) delays that worker's other connections.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir();
    /// let mut b = brisk_server::Server::builder();
    /// b.static_dir("/files", &dir);
    /// ```
    pub fn static_dir(&mut self, prefix: &str, dir: impl AsRef<std::path::Path>) -> &mut Self {
        self.static_dir_with(prefix, dir, crate::StaticOptions::default())
    }

    /// [`static_dir`](Self::static_dir) with options: `Cache-Control`, the open-file
    /// cache's size and revalidation interval, the small-file limit, the most ranges per
    /// request, precompressed variants, hidden files ([`StaticOptions`](crate::StaticOptions)).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut o = brisk_server::StaticOptions::default();
    /// o.max_age = Some(60);
    /// let mut b = brisk_server::Server::builder();
    /// b.static_dir_with("/assets", std::env::temp_dir(), o);
    /// ```
    pub fn static_dir_with(
        &mut self,
        prefix: &str,
        dir: impl AsRef<std::path::Path>,
        options: crate::StaticOptions,
    ) -> &mut Self {
        let dir = dir.as_ref();
        match crate::files::StaticDir::new(dir, options) {
            Ok(files) => {
                let base = prefix.trim_end_matches('/');
                let index = Arc::new(files);
                let below = Arc::clone(&index);
                self.route(
                    brisk_router::Method::Get,
                    &format!("{base}/"),
                    move |req, res| {
                        index.serve(req, "", res);
                    },
                );
                self.route(
                    brisk_router::Method::Get,
                    &format!("{base}/{{*path}}"),
                    move |req, res| {
                        let rel = req.param("path").unwrap_or("");
                        below.serve(req, rel, res);
                    },
                );
            }
            Err(source) => {
                if self.error.is_none() {
                    self.error = Some(crate::Error::StaticDir {
                        dir: dir.to_path_buf(),
                        source,
                    });
                }
            }
        }
        self
    }
}

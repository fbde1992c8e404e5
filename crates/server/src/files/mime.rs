//! Content types by file extension, and which types are worth compressing.

use std::path::Path;

/// The `Content-Type` for a file, by extension, and whether it is compressible (text and
/// formats such as JavaScript, JSON, SVG and WebAssembly: the ones precompressed variants
/// are looked for, and `Vary: Accept-Encoding` is sent for).
pub(super) fn content_type(path: &Path) -> (&'static str, bool) {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let t = match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" | "map" => "application/json",
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "xml" => "application/xml",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "tar" => "application/x-tar",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        "wav" => "audio/wav",
        _ => "application/octet-stream",
    };
    let compressible = t.starts_with("text/")
        || matches!(
            t,
            "application/json"
                | "application/xml"
                | "image/svg+xml"
                | "application/wasm"
                | "image/x-icon"
                | "font/ttf"
                | "font/otf"
        );
    (t, compressible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_compressibility() {
        assert_eq!(
            content_type(Path::new("a/x.JS")),
            ("text/javascript; charset=utf-8", true)
        );
        assert_eq!(content_type(Path::new("x.png")), ("image/png", false));
        assert_eq!(
            content_type(Path::new("x")),
            ("application/octet-stream", false)
        );
        assert_eq!(content_type(Path::new("x.svg")), ("image/svg+xml", true));
    }
}

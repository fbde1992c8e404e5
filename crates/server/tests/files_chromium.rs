//! Headless Chromium loads a page of 30 assets (scripts, styles, images) from the `brisk`
//! binary's static directory, over HTTP/1.1 and over HTTP/2 (TLS, ALPN h2). Several assets
//! are larger than the 16 KiB in-memory cache (they leave by `sendfile` over HTTP/1.1 and by
//! `preadv` into the output over HTTP/2); the page checks each one arrived whole (its
//! `onload`, its size in Resource Timing, a checksum of its content for the large ones) and
//! which protocol carried the page and its assets. Each skips visibly without its tools
//! unless BRISK_REQUIRE_PEERS=1.

mod tls_util;
mod util;

use std::fmt::Write as _;
use std::path::Path;

use brisk_testkit::{Rng, TempDir};
use tls_util::{have_openssl, make_cert, Tlsd};

/// The hash the page computes (`h = h * 31 + x` modulo 2^32) over `xs`.
fn hash(xs: impl IntoIterator<Item = u8>) -> u32 {
    xs.into_iter()
        .fold(0u32, |h, x| h.wrapping_mul(31).wrapping_add(u32::from(x)))
}

/// A script of about `len` bytes that counts itself loaded and records the hash of the
/// random string it holds; returns it with the hash the page expects.
fn big_script(rng: &mut Rng, name: &str, len: usize) -> (String, String) {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let data: Vec<u8> = (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
        .collect();
    let text = std::str::from_utf8(&data).unwrap();
    let js = format!(
        "var d = \"{text}\";\nsums['{name}'] = String(hash(d.length, function (i) \
         {{ return d.charCodeAt(i); }}));\nn += 1;\n"
    );
    (js, hash(data).to_string())
}

/// A stylesheet of `rules` rules; returns it with what the page expects to find in it (the
/// number of rules and the last one's selector).
fn big_style(rules: usize) -> (String, String) {
    let mut css = String::new();
    for k in 0..rules {
        writeln!(css, ".r{k} {{ margin-left: {k}px }}").unwrap();
    }
    (css, format!("{rules}:.r{}", rules - 1))
}

/// A `w`×`h` 24-bit BMP of random pixels; returns it with what the page expects of it once
/// decoded: `WxH:hash` of its pixels' R, G, B, rows from the top.
fn big_image(rng: &mut Rng, w: usize, h: usize) -> (Vec<u8>, String) {
    let mut rgb = vec![0u8; w * h * 3];
    rng.fill(&mut rgb);
    let row = (w * 3).div_ceil(4) * 4;
    let size = 54 + row * h;
    let mut bmp = Vec::with_capacity(size);
    bmp.extend_from_slice(b"BM");
    for v in [size as u32, 0, 54, 40, w as u32, h as u32] {
        bmp.extend_from_slice(&v.to_le_bytes());
    }
    bmp.extend_from_slice(&1u16.to_le_bytes()); // planes
    bmp.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    for v in [0u32, (row * h) as u32, 2835, 2835, 0, 0] {
        bmp.extend_from_slice(&v.to_le_bytes());
    }
    // Rows bottom-up, pixels as B, G, R.
    for y in (0..h).rev() {
        for px in rgb[y * w * 3..(y + 1) * w * 3].chunks(3) {
            bmp.extend_from_slice(&[px[2], px[1], px[0]]);
        }
        bmp.resize(bmp.len() + row - w * 3, 0);
    }
    (bmp, format!("{w}x{h}:{}", hash(rgb)))
}

/// The page's checks, run on `load`: every asset has a Resource Timing entry whose decoded
/// size is the file's, the large ones' content is as expected, then it writes
/// `loaded N nav PROTOCOL assets PROTOCOLS problems: none` (or the problems).
const CHECKS: &str = r#"<p id="out">pending</p><script>
var want = WANT;
function got(f) {
  if (/\.js$/.test(f)) return sums[f];
  if (/\.css$/.test(f)) {
    var s = [].filter.call(document.styleSheets, function (s) { return s.href.endsWith('/' + f); })[0];
    var r = s.cssRules;
    return r.length + ':' + r[r.length - 1].selectorText;
  }
  var im = document.getElementById(f), c = document.createElement('canvas');
  c.width = im.naturalWidth;
  c.height = im.naturalHeight;
  var g = c.getContext('2d');
  g.drawImage(im, 0, 0);
  var px = g.getImageData(0, 0, c.width, c.height).data;
  return c.width + 'x' + c.height + ':' +
    hash(c.width * c.height * 3, function (i) { return px[(i / 3 | 0) * 4 + i % 3]; });
}
window.addEventListener('load', function () {
  var bad = [], protos = {};
  var res = performance.getEntriesByType('resource');
  Object.keys(want).forEach(function (f) {
    var e = res.filter(function (r) { return r.name.endsWith('/' + f); })[0];
    if (!e) { bad.push(f + ':no-timing'); return; }
    protos[e.nextHopProtocol] = 1;
    if (e.decodedBodySize !== want[f][0]) bad.push(f + ':size=' + e.decodedBodySize);
    if (want[f][1] !== '') {
      var v;
      try { v = got(f); } catch (x) { v = String(x); }
      if (v !== want[f][1]) bad.push(f + ':content=' + v);
    }
  });
  document.getElementById('out').textContent = 'loaded ' + n + ' nav ' +
    performance.getEntriesByType('navigation')[0].nextHopProtocol + ' assets ' +
    Object.keys(protos).sort().join(',') + ' problems: ' + (bad.join(' ') || 'none');
});
</script>"#;

/// Writes the site into `dir`: `index.html` and 30 assets, 10 each of scripts, styles and
/// images. Scripts 0-2 hold 40, 100 and 200 KiB, style 0 about 64 KiB, images 0 and 1 are
/// BMPs of 144 and 60 KiB: more than the 16 KiB kept in memory. The rest are small.
fn thirty_asset_site(dir: &Path) {
    let mut rng = Rng::new(22);
    let mut want: Vec<(String, usize, String)> = Vec::new();
    let mut put = |name: String, body: &[u8], check: String| {
        std::fs::write(dir.join(&name), body).unwrap();
        want.push((name, body.len(), check));
    };
    let mut page = String::from(
        "<!doctype html><html><head><script>var n = 0, sums = {};\n\
         function hash(len, at) { var h = 0; for (var i = 0; i < len; i++) \
         h = (h * 31 + at(i)) >>> 0; return h; }</script>",
    );
    for (i, kib) in [40, 100, 200, 0, 0, 0, 0, 0, 0, 0].into_iter().enumerate() {
        let name = format!("s{i}.js");
        let (js, check) = match kib {
            0 => (format!("n += 1; // {i}\n"), String::new()),
            _ => big_script(&mut rng, &name, kib * 1024),
        };
        put(name.clone(), js.as_bytes(), check);
        write!(page, "<script src=\"{name}\"></script>").unwrap();
        let name = format!("c{i}.css");
        let (css, check) = match i {
            0 => big_style(2600),
            _ => (format!(".c{i} {{ color: red }}\n"), String::new()),
        };
        put(name.clone(), css.as_bytes(), check);
        write!(
            page,
            "<link rel=\"stylesheet\" href=\"{name}\" onload=\"n += 1\">"
        )
        .unwrap();
    }
    page += "</head><body>";
    for i in 0..10 {
        let (name, body, check) = match i {
            0 | 1 => {
                let (w, h) = [(256, 192), (200, 100)][i];
                let (bmp, check) = big_image(&mut rng, w, h);
                (format!("i{i}.bmp"), bmp, check)
            }
            _ => {
                let svg = format!(
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"1\"></svg>",
                    i + 1
                );
                (format!("i{i}.svg"), svg.into_bytes(), String::new())
            }
        };
        put(name.clone(), &body, check);
        write!(page, "<img id=\"{name}\" src=\"{name}\" onload=\"n += 1\">").unwrap();
    }
    let entries: Vec<String> = want
        .iter()
        .map(|(name, size, check)| format!("'{name}': [{size}, '{check}']"))
        .collect();
    page += &CHECKS.replace("WANT", &format!("{{{}}}", entries.join(", ")));
    page += "</body></html>";
    std::fs::write(dir.join("index.html"), page).unwrap();
}

/// Loads `url` in `browser` and checks the page's line: 30 assets loaded whole, the page and
/// every asset over `proto`.
fn assert_page_loads(browser: &str, dir: &TempDir, url: &str, proto: &str) {
    let (dom, err) = util::chromium_dom(browser, &dir.arg("profile"), url);
    let line = format!("loaded 30 nav {proto} assets {proto} problems: none");
    assert!(dom.contains(&line), "want {line:?} in\n{dom}\n{err}");
}

#[test]
#[cfg_attr(brisk_missing = "chromium", ignore = "needs chromium")]
fn chromium_loads_a_page_of_thirty_assets_over_http1() {
    let Some(browser) = util::chromium("chromium_loads_a_page_of_thirty_assets_over_http1") else {
        return;
    };
    let dir = TempDir::new("chromium-h1");
    let www = dir.path("www");
    std::fs::create_dir_all(&www).unwrap();
    thirty_asset_site(&www);
    let b = util::Brisk::start(&["--workers", "1", "--dir", www.to_str().unwrap()]);
    assert_page_loads(browser, &dir, &b.url("/"), "http/1.1");
}

#[test]
#[cfg_attr(
    any(brisk_missing = "openssl", brisk_missing = "chromium"),
    ignore = "needs openssl and chromium"
)]
fn chromium_loads_a_page_of_thirty_assets_over_h2() {
    let test = "chromium_loads_a_page_of_thirty_assets_over_h2";
    if !have_openssl(test) {
        return;
    }
    let Some(browser) = util::chromium(test) else {
        return;
    };
    let dir = TempDir::new("chromium-h2");
    let www = dir.path("www");
    std::fs::create_dir_all(&www).unwrap();
    thirty_asset_site(&www);
    let (cert, key) = make_cert(&dir, "c", "localhost", 1);
    let s = Tlsd::start(&[
        "--workers",
        "1",
        "--cert",
        &cert,
        "--key",
        &key,
        "--dir",
        www.to_str().unwrap(),
    ]);
    assert_page_loads(browser, &dir, &s.url("/"), "h2");
}

#!/usr/bin/env python3
"""Rendered reports in a real browser: every chart must draw coloured pixels.

Usage: render_browser.py RENDER_FIXTURE FIXTURES_DIR OUT_DIR

For each fixture report (one per kind) the renderer writes the HTML page; headless
chromium then runs twice: once on a copy of the page with a probe script appended (the
page itself has no scripts) that writes every svg.chart's box and the colours of its bars
and points into the DOM, which --dump-dom prints; once to screenshot the page at its full
height. Inside each chart's box the screenshot must differ from white in more than 1% of
the pixels and contain at least one pixel of a bar or point colour. Screenshots are kept
in OUT_DIR ($OUT/render_browser when $OUT is set) for a person to look at.

Python standard library only: the PNG is decoded here (zlib + struct).
"""
import html
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

KINDS = ["benchmark", "evaluation", "evaluation-comparison", "benchmark-comparison", "suite"]
WIDTH = 1200

PROBE = """<script>
(function () {
  var out = {height: document.documentElement.scrollHeight, charts: []};
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    var colors = [];
    svg.querySelectorAll(".bar, .point").forEach(function (e) {
      var c = [e.getAttribute("fill"), e.getAttribute("fill-opacity") || "1"];
      if (!colors.some(function (k) { return k[0] === c[0] && k[1] === c[1]; })) colors.push(c);
    });
    out.charts.push({x: r.left + window.scrollX, y: r.top + window.scrollY,
                     w: r.width, h: r.height, colors: colors});
  });
  var pre = document.createElement("pre");
  pre.id = "boxes";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def fail(message):
    print("render_browser: FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    fail("no chromium found on PATH (install the Debian package: apt-get install chromium; "
         "tools/setup.sh does)")


def chromium(binary, profile, args):
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--force-device-scale-factor=1", "--no-first-run", "--disable-dev-shm-usage",
           "--user-data-dir=" + profile] + args
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        fail("chromium exited with %d: %s\n%s" % (result.returncode, " ".join(cmd), result.stderr[-2000:]))
    return result.stdout


def decode_png(path):
    """Returns (width, height, channels, rows) of an 8-bit RGB or RGBA PNG, rows unfiltered."""
    data = pathlib.Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(path + ": not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or color not in (2, 6) or interlace != 0:
        fail("%s: PNG with bit depth %d, colour type %d, interlace %d (want 8-bit RGB/RGBA, "
             "not interlaced)" % (path, depth, color, interlace))
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0  # left
            b = prev[i]  # up
            c = prev[i - channels] if i >= channels else 0  # up-left
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
            elif kind != 0:
                fail("%s: unknown PNG filter type %d in row %d" % (path, kind, y))
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def expected_rgb(fill, opacity):
    """The colour a fill shows over white at the given opacity."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    o = float(opacity)
    return tuple(round(o * v + (1 - o) * 255) for v in (r, g, b))


def check_chart(png, box, name, index):
    width, height, channels, rows = png
    x0, y0 = max(0, int(box["x"])), max(0, int(box["y"]))
    x1, y1 = min(width, int(box["x"] + box["w"])), min(height, int(box["y"] + box["h"]))
    if x1 - x0 < 50 or y1 - y0 < 50:
        fail("%s chart %d: box %r is outside the %dx%d screenshot or tiny" % (name, index, box, width, height))
    targets = [expected_rgb(f, o) for f, o in box["colors"] if f and f.startswith("#") and len(f) == 7]
    if not targets:
        fail("%s chart %d: no bars or points in the chart" % (name, index))
    inked = hits = 0
    for y in range(y0, y1):
        row = rows[y]
        for x in range(x0, x1):
            p = row[x * channels:x * channels + 3]
            if p[0] < 245 or p[1] < 245 or p[2] < 245:
                inked += 1
                if any(abs(p[0] - t[0]) <= 3 and abs(p[1] - t[1]) <= 3 and abs(p[2] - t[2]) <= 3 for t in targets):
                    hits += 1
    area = (x1 - x0) * (y1 - y0)
    share = inked / area
    print("  chart %d: box %dx%d at (%d, %d), %.1f%% drawn, %d pixels of the bar/point colours"
          % (index, x1 - x0, y1 - y0, x0, y0, 100 * share, hits))
    if share <= 0.01:
        fail("%s chart %d: only %.2f%% of its pixels differ from white" % (name, index, 100 * share))
    if hits == 0:
        fail("%s chart %d: no pixel has a bar or point colour %r" % (name, index, targets))


def main():
    if len(sys.argv) != 4:
        fail("usage: render_browser.py RENDER_FIXTURE FIXTURES_DIR OUT_DIR")
    fixture, fixtures, out_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    if os.environ.get("OUT"):
        out_dir = pathlib.Path(os.environ["OUT"]) / "render_browser"
    out_dir.mkdir(parents=True, exist_ok=True)
    binary = find_chromium()
    shots = []
    with tempfile.TemporaryDirectory() as profile:
        for kind in KINDS:
            page = out_dir / (kind + ".html")
            subprocess.run([fixture, str(fixtures / (kind + ".json")), str(page)], check=True)
            text = page.read_text(encoding="utf-8")
            charts = text.count('<svg class="chart"')
            if charts == 0:
                fail("%s: the page has no chart" % kind)
            probe = out_dir / (kind + ".probe.html")
            probe.write_text(text.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
            dom = chromium(binary, profile, ["--window-size=%d,800" % WIDTH, "--dump-dom", probe.resolve().as_uri()])
            start = dom.find('<pre id="boxes">')
            if start < 0:
                fail("%s: the probe wrote no boxes (did the script run?)" % kind)
            boxes = json.loads(html.unescape(dom[start + len('<pre id="boxes">'):dom.find("</pre>", start)]))
            if len(boxes["charts"]) != charts:
                fail("%s: the browser laid out %d charts of %d" % (kind, len(boxes["charts"]), charts))
            height = int(boxes["height"]) + 20
            shot = out_dir / (kind + ".png")
            chromium(binary, profile, ["--window-size=%d,%d" % (WIDTH, height), "--screenshot=" + str(shot),
                                       page.resolve().as_uri()])
            png = decode_png(shot)
            print("%s: %d charts, screenshot %s (%dx%d)" % (kind, charts, shot, png[0], png[1]))
            for i, box in enumerate(boxes["charts"]):
                check_chart(png, box, kind, i)
            shots.append(shot)
            probe.unlink()
    print("screenshots:")
    for shot in shots:
        print("  " + str(shot))


if __name__ == "__main__":
    main()

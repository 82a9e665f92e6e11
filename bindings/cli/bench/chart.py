#!/usr/bin/env python3
"""Draws chart.svg from results.json (bench.py's output). Standard library
only: the SVG is written by hand.

    python3 chart.py results.json chart.svg
"""

import json
import math
import sys
from xml.sax.saxutils import escape

WIDTH = 900
OURS = "#4f81bd"
WRK = "#9a9a9a"
CURL = "#e3a33b"
SEQ = "#c0504d"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"'


def nice_max(value):
    """A round axis maximum at or above `value`, and its tick step."""
    if value <= 0:
        return 1, 1
    exp = 10 ** math.floor(math.log10(value))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * exp >= value:
            top = m * exp
            break
    step = top / 5
    return top, step


def fmt_num(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#222", rotate=None):
        t = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
                 f'font-weight="{weight}" fill="{fill}" {FONT}{t}>{escape(s)}</text>')

    def rect(self, x, y, w, h, fill, title=None):
        inner = f"<title>{escape(title)}</title>" if title else ""
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
                 f'fill="{fill}">{inner}</rect>')

    def line(self, x1, y1, x2, y2, stroke="#222", width=1, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
                 f'stroke-width="{width}"{d}/>')


def legend(svg, x, y, items):
    for color, label in items:
        svg.rect(x, y - 10, 12, 12, color)
        svg.text(x + 17, y, label, size=12)
        x += 24 + 7 * len(label)


def vertical_bars(svg, top, height, title, groups, ylabel, fmt, reference=None):
    """groups: [(label, [(value, lo, hi, color, tooltip)])]. Returns the
    bottom y of the panel."""
    left, right = 80, WIDTH - 20
    svg.text(left, top + 16, title, size=15, weight="bold")
    plot_top, plot_bottom = top + 40, top + height - 56
    vmax = max(max(hi for _, _, hi, _, _ in bars) for _, bars in groups)
    if reference:
        vmax = max(vmax, reference)
    ymax, step = nice_max(vmax * 1.08)

    def y(v):
        return plot_bottom - (plot_bottom - plot_top) * v / ymax

    tick = 0.0
    while tick <= ymax + 1e-9:
        svg.line(left, y(tick), right, y(tick), stroke="#e4e4e4")
        svg.text(left - 6, y(tick) + 4, fmt(tick), size=11, anchor="end", fill="#555")
        tick += step
    svg.text(18, (plot_top + plot_bottom) / 2, ylabel, size=12, anchor="middle", rotate=-90)
    if reference:
        svg.line(left, y(reference), right, y(reference), stroke="#333", dash="5,4")
    group_w = (right - left) / len(groups)
    for gi, (label, bars) in enumerate(groups):
        gx = left + gi * group_w
        bar_w = min(46, (group_w - 30) / len(bars))
        start = gx + (group_w - bar_w * len(bars)) / 2
        for bi, (value, lo, hi, color, tooltip) in enumerate(bars):
            bx = start + bi * bar_w
            svg.rect(bx + 2, y(value), bar_w - 4, plot_bottom - y(value), color, tooltip)
            cx = bx + bar_w / 2
            if hi > lo:
                svg.line(cx, y(hi), cx, y(lo), stroke="#222")
                svg.line(cx - 4, y(hi), cx + 4, y(hi), stroke="#222")
                svg.line(cx - 4, y(lo), cx + 4, y(lo), stroke="#222")
            svg.text(cx, y(hi) - 5, fmt(value) if value < 1000 else f"{value / 1000:.0f}k", size=10,
                     anchor="middle", fill="#333")
        for li, text in enumerate(label.split("\n")):
            svg.text(gx + group_w / 2, plot_bottom + 16 + 14 * li, text, size=11.5, anchor="middle")
    svg.line(left, plot_bottom, right, plot_bottom)
    return top + height


def horizontal_bars(svg, top, title, rows):
    """rows: [(label, value, color)]."""
    left, right = 300, WIDTH - 80
    svg.text(80, top + 16, title, size=15, weight="bold")
    row_h = 24
    vmax, step = nice_max(max(v for _, v, _ in rows) * 1.05)
    plot_top = top + 34
    plot_bottom = plot_top + row_h * len(rows)

    def x(v):
        return left + (right - left) * v / vmax

    tick = 0.0
    while tick <= vmax + 1e-9:
        svg.line(x(tick), plot_top, x(tick), plot_bottom, stroke="#e4e4e4")
        svg.text(x(tick), plot_bottom + 14, fmt_num(tick), size=11, anchor="middle", fill="#555")
        tick += step
    for i, (label, value, color) in enumerate(rows):
        ry = plot_top + i * row_h
        svg.rect(left, ry + 4, x(value) - left, row_h - 8, color)
        svg.text(left - 8, ry + row_h / 2 + 4, label, size=12, anchor="end")
        svg.text(x(value) + 5, ry + row_h / 2 + 4, f"{value:,.0f}", size=11)
    svg.text((left + right) / 2, plot_bottom + 30, "instructions per response (callgrind)", size=12,
             anchor="middle")
    return plot_bottom + 44


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f:
        results = json.load(f)
    svg = Svg()
    y = 10
    m = results["machine"]
    svg.text(WIDTH / 2, y + 16, f"pipelining benchmarks — {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}",
             size=13, anchor="middle", fill="#555")
    y += 30

    lb = results.get("loopback")
    if lb:
        groups = []
        for row in lb["rows"]:
            o, w = row["ours_rps"], row["wrk_rps"]
            bars = [
                (o["median"], o["min"], o["max"], OURS, f"pipelining bench: {o['median']:.0f} req/s"),
                (w["median"], w["min"], w["max"], WRK, f"wrk: {w['median']:.0f} req/s"),
            ]
            if row["depth"] == 1:
                c = lb["curl"]["rps"]
                bars.append((c["median"], c["min"], c["max"], CURL, f"curl: {c['median']:.0f} req/s"))
            groups.append((f"depth {row['depth']}\nours / wrk {row['ratio']:.2f}×", bars))
        y = vertical_bars(svg, y, 345, "Loopback: nginx, 1 KiB file, one connection — requests/s (median, min–max)",
                          groups, "requests/s", fmt_num)
        legend(svg, 100, y + 10, [(OURS, "pipelining bench"), (WRK, "wrk + pipeline.lua"),
                                  (CURL, "curl, N URLs, keep-alive")])
        y += 34

    wan = results.get("wan")
    if wan:
        groups = []
        for row in wan["rows"]:
            s, p = row["sequential_pct_of_floor"], row["pipelined_pct_of_floor"]
            bw = f", {row['bandwidth_mbit']:g} Mbit/s" if row["bandwidth_mbit"] else ""
            label = (f"{row['rtt_ms']} ms, {row['objects']} objects\n"
                     f"depth {row['depth']} × {row['connections']}{bw}\n"
                     f"{row['speedup']['median']:.1f}× faster")
            groups.append((label, [
                (s["median"], s["min"], s["max"], SEQ, f"sequential {row['sequential_s']['median']:.2f} s"),
                (p["median"], p["min"], p["max"], OURS, f"pipelined {row['pipelined_s']['median']:.3f} s"),
            ]))
        y = vertical_bars(svg, y, 320, "Emulated WAN (delay line): time as % of the floor model (dashed: 100%)",
                          groups, "% of floor", lambda v: f"{v:.0f}", reference=100)
        legend(svg, 100, y + 10, [(SEQ, "sequential (depth 1, 1 connection)"), (OURS, "pipelined")])
        y += 34

    core = results.get("core")
    if core:
        colors = {"decoder": OURS, "connection": OURS, "httparse": WRK, "httpnet-raw": CURL,
                  "httpnet-conn": CURL, "copy": "#c8d6e8"}
        rows = [(r.get("short", r["label"]), r["per_response"], colors.get(r["variant"], WRK)) for r in core["rows"]]
        y = horizontal_bars(svg, y, "Core: decoding 16 pipelined 1 KiB nginx responses", rows)

    height = y + 10
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
            f'viewBox="0 0 {WIDTH} {height:.0f}">\n<rect width="100%" height="100%" fill="white"/>\n')
    with open(dst, "w") as f:
        f.write(head + "\n".join(svg.parts) + "\n</svg>\n")


if __name__ == "__main__":
    main()

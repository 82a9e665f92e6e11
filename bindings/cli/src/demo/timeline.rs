//! The demo's picture: one lane per connection, one bar per request from
//! its write to its last byte, sequential above pipelined on one time axis.

use std::fmt::Write;

/// One request on the timeline, in seconds from its run's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    /// Which connection of the run carried it (0-based).
    pub lane: usize,
    /// When its last byte was written.
    pub start: f64,
    /// When its response's last byte arrived.
    pub end: f64,
}

/// One run to draw.
#[derive(Clone, Debug)]
pub(crate) struct Panel {
    /// The heading, totals included.
    pub(crate) title: String,
    /// Its requests.
    pub(crate) bars: Vec<Bar>,
    /// Its total time.
    pub(crate) total: f64,
    /// The bar colour.
    pub(crate) color: &'static str,
}

const WIDTH: f64 = 1000.0;
const LEFT: f64 = 110.0;
const RIGHT: f64 = 30.0;
const ROW: f64 = 5.0;
const LANE_GAP: f64 = 8.0;
const TITLE: f64 = 26.0;
const AXIS: f64 = 34.0;

/// Draws the panels, all on the time axis of the longest, then the last
/// panel again on its own axis so its bars can be read.
pub(crate) fn svg(panels: &[Panel]) -> String {
    let span = panels.iter().map(|p| p.total).fold(0.0f64, f64::max).max(1e-3);
    let mut body = String::new();
    let mut y = 44.0;
    for panel in panels {
        y = draw_panel(&mut body, panel, span, y, "request");
    }
    y = draw_axis(&mut body, span, y);
    if let Some(last) = panels.last() {
        let zoomed = Panel { title: format!("{} (zoomed)", last.title), ..last.clone() };
        y += 16.0;
        y = draw_panel(&mut body, &zoomed, last.total.max(1e-3), y, "zoom");
        y = draw_axis(&mut body, last.total.max(1e-3), y);
    }
    let height = y + 10.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = write!(out, r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#);
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">Each bar: one request, from its write to its response's last byte</text>"#
    );
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

/// Assigns each bar a row within its lane so overlapping bars stack.
fn rows(bars: &[Bar]) -> (Vec<usize>, Vec<usize>) {
    let lanes = bars.iter().map(|b| b.lane + 1).max().unwrap_or(1);
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by(|&a, &b| bars[a].start.total_cmp(&bars[b].start));
    let mut free_at: Vec<Vec<f64>> = vec![Vec::new(); lanes];
    let mut row = vec![0; bars.len()];
    for i in order {
        let lane = &mut free_at[bars[i].lane];
        let slot = lane.iter().position(|&t| t <= bars[i].start).unwrap_or_else(|| {
            lane.push(0.0);
            lane.len() - 1
        });
        lane[slot] = bars[i].end;
        row[i] = slot;
    }
    (row, free_at.iter().map(|l| l.len().max(1)).collect())
}

fn draw_panel(out: &mut String, panel: &Panel, span: f64, top: f64, class: &str) -> f64 {
    let scale = (WIDTH - LEFT - RIGHT) / span;
    let _ = write!(out, r#"<text x="{LEFT}" y="{}" font-weight="bold">{}</text>"#, top + 16.0, escape(&panel.title));
    let (row, rows_per_lane) = rows(&panel.bars);
    // Few rows get tall bars; many stay thin so a lane stays compact.
    let max_rows = rows_per_lane.iter().copied().max().unwrap_or(1) as f64;
    let row_height = (60.0 / max_rows).clamp(3.0, ROW * 3.0);
    let mut lane_top = Vec::with_capacity(rows_per_lane.len());
    let mut y = top + TITLE;
    for (lane, rows) in rows_per_lane.iter().enumerate() {
        lane_top.push(y);
        let height = *rows as f64 * row_height;
        let _ = write!(
            out,
            "<rect x=\"{LEFT}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\" fill=\"#f2f2f2\"/>",
            WIDTH - LEFT - RIGHT
        );
        let _ = write!(
            out,
            r#"<text x="{}" y="{:.1}" text-anchor="end">connection {}</text>"#,
            LEFT - 8.0,
            y + height / 2.0 + 4.0,
            lane + 1
        );
        y += height + LANE_GAP;
    }
    for (i, bar) in panel.bars.iter().enumerate() {
        let x = LEFT + bar.start * scale;
        let w = ((bar.end - bar.start) * scale).max(0.8);
        let by = lane_top[bar.lane] + row[i] as f64 * row_height + 0.5;
        let _ = write!(
            out,
            r#"<rect class="{class}" x="{x:.2}" y="{by:.1}" width="{w:.2}" height="{:.1}" fill="{}" stroke="white" stroke-width="0.3"/>"#,
            row_height - 1.0,
            panel.color
        );
    }
    y + 6.0
}

fn draw_axis(out: &mut String, span: f64, top: f64) -> f64 {
    let scale = (WIDTH - LEFT - RIGHT) / span;
    let step = nice_step(span / 8.0);
    let _ = write!(out, r##"<line x1="{LEFT}" y1="{top}" x2="{}" y2="{top}" stroke="#333"/>"##, WIDTH - RIGHT);
    let mut t = 0.0;
    while t <= span + step * 1e-6 {
        let x = LEFT + t * scale;
        let _ = write!(out, r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#333"/>"##, top + 5.0);
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"#,
            top + 19.0,
            seconds_label(t, step)
        );
        t += step;
    }
    let _ = write!(out, r#"<text x="{}" y="{}" text-anchor="end">time (s)</text>"#, WIDTH - RIGHT, top + 32.0);
    top + AXIS
}

fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&s| s >= raw).unwrap_or(10.0 * magnitude)
}

fn seconds_label(t: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    format!("{t:.decimals$}")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_bars_stack_in_rows_within_their_lane() {
        let bars = [
            Bar { lane: 0, start: 0.0, end: 1.0 },
            Bar { lane: 0, start: 0.5, end: 1.5 },
            Bar { lane: 0, start: 1.2, end: 2.0 },
            Bar { lane: 1, start: 0.0, end: 1.0 },
        ];
        let (row, per_lane) = rows(&bars);
        assert_eq!(row, [0, 1, 0, 0]);
        assert_eq!(per_lane, [2, 1]);
    }

    #[test]
    fn axis_steps_are_round() {
        assert_eq!(nice_step(0.13), 0.2);
        assert_eq!(nice_step(1.2), 2.0);
        assert_eq!(nice_step(4.0), 5.0);
    }
}

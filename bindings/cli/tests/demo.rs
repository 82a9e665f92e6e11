//! The demo end to end (docs/DESIGN.md C3), in-process through the library's
//! demo API so the timeline's lanes can be checked as well as the JSON. The
//! delay line it relies on is tested beside it (`src/demo/delay_line.rs`).

use pipelining_cli::demo::{DemoOptions, measure};
use std::time::Duration;

#[tokio::test(flavor = "current_thread")]
async fn pipelined_beats_sequential_by_half_with_every_body_checked() {
    let options = DemoOptions { objects: 24, size: 1500, rtt: Duration::from_millis(20), ..DemoOptions::default() };
    let report = measure(&options).await.expect("demo runs");
    assert_eq!(report.sequential.bodies_checked, 24);
    assert_eq!(report.pipelined.bodies_checked, 24);
    // The only timing assertion, with a wide margin (docs/DESIGN.md "Tests and CI").
    assert!(
        report.pipelined.seconds < report.sequential.seconds / 2.0,
        "pipelined {:.3} s vs sequential {:.3} s",
        report.pipelined.seconds,
        report.sequential.seconds
    );
    // Sequential: one connection; pipelined: at most two.
    assert!(report.sequential.bars.iter().all(|b| b.lane == 0));
    assert!(report.pipelined.bars.iter().all(|b| b.lane < 2));
    let json = report.json();
    assert!(json.starts_with(r#"{"objects":24,"rtt_ms":20,"sequential_s":"#), "{json}");
    assert!(json.ends_with(r#""bodies_checked":48}"#), "{json}");

    let svg = report.svg();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    // One bar per request in each run (the zoomed panel repeats the second).
    assert_eq!(svg.matches(r#"class="request""#).count(), 48);
    assert_eq!(svg.matches(r#"class="zoom""#).count(), 24);
    assert_well_formed(&svg);
}

/// Every tag opened is closed, in order (the picture is plain XML).
fn assert_well_formed(svg: &str) {
    let mut open: Vec<&str> = Vec::new();
    for tag in svg.split('<').skip(1) {
        let tag = tag.split('>').next().expect("tag closes");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "mismatched </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("tag name"));
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

//! `pipelining demo` (docs/DESIGN.md C3): the same objects fetched sequentially
//! and pipelined through an emulated round trip, every body checked.
//!
//! Public, as the library's demo API: [`measure`], its [`DemoOptions`] and
//! its [`DemoReport`]. The subcommand's flags, server, delay line and
//! drawing are the crate's own.

mod delay_line;
mod server;
mod timeline;

use crate::flags::{self, ClientFlags};
use crate::{exit, json};
use clap::Args;
use delay_line::DelayConfig;
use pipelining_tokio::Written;
use server::Objects;
use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use timeline::Panel;

pub use timeline::Bar;

/// `pipelining demo`'s flags.
#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Emulated round-trip time in milliseconds.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=10_000))]
    rtt_ms: u64,
    /// Emulated bandwidth in megabits per second (default: unlimited).
    #[arg(long, value_name = "MBIT", value_parser = flags::parse_seconds)]
    bandwidth_mbit: Option<f64>,
    /// How many objects.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    objects: u64,
    /// Bytes per object.
    #[arg(long, default_value_t = 2048, value_parser = clap::value_parser!(u64).range(0..=64 * 1024 * 1024))]
    size: u64,
    /// Depth of the pipelined run.
    #[arg(long, default_value_t = 8, value_parser = flags::depth())]
    depth: usize,
    /// Connections of the pipelined run.
    #[arg(long, default_value_t = 2, value_parser = flags::connections(1024))]
    connections: usize,
    /// Where to write the timeline picture.
    #[arg(long, value_name = "PATH", default_value = "pipelining-demo.svg")]
    svg: PathBuf,
    /// One JSON object on stdout instead of the table.
    #[arg(long)]
    json: bool,
}

/// Runs `pipelining demo`: measures, writes the picture, prints the table
/// or the C3 JSON.
pub(crate) async fn run(args: DemoArgs) -> ExitCode {
    let options = DemoOptions {
        objects: args.objects as usize,
        size: args.size as usize,
        rtt: Duration::from_millis(args.rtt_ms),
        bandwidth_mbit: args.bandwidth_mbit,
        depth: args.depth,
        connections: args.connections,
    };
    if !args.json {
        eprintln!(
            "fetching {} objects twice through a {} ms round trip: sequentially, then pipelined…",
            options.objects, args.rtt_ms
        );
    }
    exit::after_run(measure_and_print(&options, &args).await)
}

/// Measures, writes the picture and prints; an `Err` is the message of what
/// stopped the demo.
async fn measure_and_print(options: &DemoOptions, args: &DemoArgs) -> Result<bool, String> {
    let report = measure(options).await.map_err(|e| format!("demo failed: {e}"))?;
    std::fs::write(&args.svg, report.svg()).map_err(|e| format!("cannot write {}: {e}", args.svg.display()))?;
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
        println!("timeline: {}", args.svg.display());
    }
    Ok(true)
}

/// Settings of a demo run.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// How many objects.
    pub objects: usize,
    /// Bytes per object.
    pub size: usize,
    /// Emulated round-trip time.
    pub rtt: Duration,
    /// Emulated bandwidth in megabits per second, if limited.
    pub bandwidth_mbit: Option<f64>,
    /// Depth of the pipelined run.
    pub depth: usize,
    /// Connections of the pipelined run.
    pub connections: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            objects: 200,
            size: 2048,
            rtt: Duration::from_millis(50),
            bandwidth_mbit: None,
            depth: 8,
            connections: 2,
        }
    }
}

/// One run: its total time, bodies checked and timeline.
#[derive(Clone, Debug)]
pub struct Run {
    /// Depth used.
    pub depth: usize,
    /// Connections used.
    pub connections: usize,
    /// From the first request to the last byte of the last response.
    pub seconds: f64,
    /// Bodies received and equal to the object served.
    pub bodies_checked: usize,
    /// One bar per request.
    pub bars: Vec<Bar>,
    /// The model's floor for this run.
    pub floor_seconds: f64,
}

/// Both runs.
#[derive(Clone, Debug)]
pub struct DemoReport {
    /// The settings.
    pub options: DemoOptions,
    /// Depth 1, one connection.
    pub sequential: Run,
    /// The pipelined run.
    pub pipelined: Run,
}

impl DemoReport {
    /// How many times faster the pipelined run was.
    pub fn speedup(&self) -> f64 {
        if self.pipelined.seconds > 0.0 { self.sequential.seconds / self.pipelined.seconds } else { 0.0 }
    }

    /// The C3 JSON object.
    pub fn json(&self) -> String {
        json::Object::default()
            .field("objects", self.options.objects.to_string())
            .field("rtt_ms", json::number(self.options.rtt.as_secs_f64() * 1000.0, 3))
            .field("sequential_s", json::number(self.sequential.seconds, 3))
            .field("pipelined_s", json::number(self.pipelined.seconds, 3))
            .field("speedup", json::number(self.speedup(), 2))
            .field("floor_s", json::number(self.pipelined.floor_seconds, 3))
            .field("bodies_checked", (self.sequential.bodies_checked + self.pipelined.bodies_checked).to_string())
            .finish()
    }

    /// The table printed by default.
    pub fn table(&self) -> String {
        let n = self.options.objects as f64;
        let row = |name: &str, run: &Run| {
            format!(
                "{name:<26} {:>9.3} s {:>9.1} ms {:>9.3} s {:>7.0}%\n",
                run.seconds,
                run.seconds / n * 1000.0,
                run.floor_seconds,
                run.seconds / run.floor_seconds.max(f64::MIN_POSITIVE) * 100.0
            )
        };
        let mut out = format!(
            "{} objects of {} bytes, {} ms round trip{}\n\n{:<26} {:>11} {:>12} {:>11} {:>8}\n",
            self.options.objects,
            self.options.size,
            self.options.rtt.as_millis(),
            self.options.bandwidth_mbit.map_or(String::new(), |b| format!(", {b} Mbit/s")),
            "",
            "total",
            "per object",
            "floor",
            "of floor"
        );
        out.push_str(&row("sequential (depth 1, 1 conn)", &self.sequential));
        out.push_str(&row(
            &format!("pipelined (depth {}, {} conn)", self.pipelined.depth, self.pipelined.connections),
            &self.pipelined,
        ));
        out.push_str(&format!(
            "\nspeedup {:.1}×; every body checked ({} of {})\n",
            self.speedup(),
            self.sequential.bodies_checked + self.pipelined.bodies_checked,
            2 * self.options.objects
        ));
        out
    }

    /// The timeline picture.
    pub fn svg(&self) -> String {
        let per = |run: &Run| run.seconds / self.options.objects.max(1) as f64 * 1000.0;
        timeline::svg(&[
            Panel {
                title: format!(
                    "Sequential: depth 1, 1 connection: {:.2} s ({:.0} ms per object)",
                    self.sequential.seconds,
                    per(&self.sequential)
                ),
                bars: self.sequential.bars.clone(),
                total: self.sequential.seconds,
                color: "#c0504d",
            },
            Panel {
                title: format!(
                    "Pipelined: depth {}, {} connections: {:.2} s ({:.1} ms per object), {:.1}× faster",
                    self.pipelined.depth,
                    self.pipelined.connections,
                    self.pipelined.seconds,
                    per(&self.pipelined),
                    self.speedup()
                ),
                bars: self.pipelined.bars.clone(),
                total: self.pipelined.seconds,
                color: "#4f81bd",
            },
        ])
    }
}

/// The model's floor (C3): one round trip for the capability probe, one
/// per further window of `depth × connections` requests, plus the time to
/// send all the bytes.
fn floor_seconds(
    objects: usize,
    size: usize,
    rtt: Duration,
    bandwidth_mbit: Option<f64>,
    depth: usize,
    connections: usize,
) -> f64 {
    let rtt = rtt.as_secs_f64();
    let (d, c) = (depth.max(1), connections.max(1));
    let windows = objects.saturating_sub(c).div_ceil(d * c);
    let transfer = bandwidth_mbit.map_or(0.0, |mbit| (objects * size) as f64 * 8.0 / (mbit * 1e6));
    rtt + windows as f64 * rtt + transfer
}

/// Runs the demo in-process: server, delay line, both runs; every body is
/// checked against the object served.
pub async fn measure(options: &DemoOptions) -> io::Result<DemoReport> {
    let objects = Objects::new(options.objects, options.size);
    let server = server::start(objects.clone()).await?;
    let line = delay_line::start(server.addr, DelayConfig::new(options.rtt, options.bandwidth_mbit)).await?;
    let base = format!("http://{}", line.addr);
    let sequential = fetch_all(&base, &objects, options, 1, 1).await?;
    let pipelined = fetch_all(&base, &objects, options, options.depth, options.connections).await?;
    Ok(DemoReport { options: options.clone(), sequential, pipelined })
}

/// One run with a fresh client, so the origin starts unknown.
async fn fetch_all(
    base: &str,
    objects: &Objects,
    options: &DemoOptions,
    depth: usize,
    connections: usize,
) -> io::Result<Run> {
    let flags = ClientFlags { depth, connections, max_tries: None, timeout: None };
    let client = flags.builder().build().map_err(io::Error::other)?;
    let start = Instant::now();
    let requests: Vec<_> = (0..objects.len()).map(|i| client.get(&format!("{base}{}", Objects::path(i)))).collect();
    let results = futures_util::future::join_all(requests.into_iter().enumerate().map(|(i, response)| async move {
        let response = response.await.map_err(io::Error::other)?;
        let written = response.extensions().get::<Written>().copied();
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(chunk) = body.chunk().await {
            bytes.extend_from_slice(&chunk.map_err(io::Error::other)?);
        }
        let done = body.finished_at().unwrap_or_else(Instant::now);
        Ok::<_, io::Error>((i, written, bytes::Bytes::from(bytes), done))
    }))
    .await;
    let mut bodies_checked = 0;
    let mut lanes = BTreeMap::new();
    let mut bars = Vec::with_capacity(results.len());
    let mut last = start;
    for result in results {
        let (i, written, body, done) = result?;
        if objects.get(i) != Some(&body) {
            return Err(io::Error::other(format!("object {i}: body differs from what the server sent")));
        }
        bodies_checked += 1;
        last = last.max(done);
        let lane_count = lanes.len();
        let (lane, at) = match written {
            Some(w) => (*lanes.entry(w.connection).or_insert(lane_count), w.at),
            None => (0, start),
        };
        bars.push(Bar {
            lane,
            start: at.saturating_duration_since(start).as_secs_f64(),
            end: done.saturating_duration_since(start).as_secs_f64(),
        });
    }
    Ok(Run {
        depth,
        connections,
        seconds: last.saturating_duration_since(start).as_secs_f64(),
        bodies_checked,
        bars,
        floor_seconds: floor_seconds(
            objects.len(),
            options.size,
            options.rtt,
            options.bandwidth_mbit,
            depth,
            connections,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_model_matches_c3() {
        let rtt = Duration::from_millis(50);
        // 200 objects, depth 8, 2 connections: probe + ceil(198/16) = 13 windows.
        assert!((floor_seconds(200, 2048, rtt, None, 8, 2) - 0.7).abs() < 1e-9);
        // Sequential: one round trip per object.
        assert!((floor_seconds(200, 2048, rtt, None, 1, 1) - 10.0).abs() < 1e-9);
        // Bandwidth adds the transfer time: 100 × 10 kB at 8 Mbit/s = 1 s, after
        // the probe and one window.
        assert!((floor_seconds(100, 10_000, rtt, Some(8.0), 100, 1) - 1.1).abs() < 1e-9);
    }
}

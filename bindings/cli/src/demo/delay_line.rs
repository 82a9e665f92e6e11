//! An in-process delay line: a TCP relay that forwards each chunk, in
//! order, after a fixed one-way delay and at a bounded bandwidth.
//!
//! The kernel here has no netem, so round-trip time is emulated in user
//! space. The TCP handshake is not delayed (the relay connects upstream at
//! once); data is, in both directions.

use bytes::Bytes;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How the line delays data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct DelayConfig {
    /// Delay in each direction: half the round-trip time.
    pub(crate) one_way: Duration,
    /// Link rate in bits per second, if limited.
    pub(crate) bandwidth_bps: Option<f64>,
}

impl DelayConfig {
    /// A line with round-trip time `rtt` and an optional bandwidth in
    /// megabits per second.
    pub(crate) fn new(rtt: Duration, bandwidth_mbit: Option<f64>) -> Self {
        DelayConfig { one_way: rtt / 2, bandwidth_bps: bandwidth_mbit.map(|m| m * 1e6) }
    }
}

/// A running delay line.
#[derive(Debug)]
pub(crate) struct DelayLine {
    /// Where clients connect.
    pub(crate) addr: SocketAddr,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for DelayLine {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// Starts a delay line on 127.0.0.1 in front of `upstream`.
pub(crate) async fn start(upstream: SocketAddr, config: DelayConfig) -> io::Result<DelayLine> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let accept = tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(upstream).await else { return };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (in_read, in_write) = inbound.into_split();
                let (out_read, out_write) = outbound.into_split();
                tokio::join!(relay(in_read, out_write, config), relay(out_read, in_write, config));
            });
        }
    });
    Ok(DelayLine { addr, accept })
}

/// Forwards one direction: each chunk leaves when the link has sent it
/// (bandwidth) plus the one-way delay, never before an earlier chunk.
async fn relay<R, W>(mut from: R, mut to: W, config: DelayConfig)
where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Bytes)>();
    let writer = async move {
        while let Some((at, chunk)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut link_free = Instant::now();
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let now = Instant::now();
            let sent = match config.bandwidth_bps {
                Some(bps) if bps > 0.0 => {
                    link_free = link_free.max(now) + Duration::from_secs_f64(n as f64 * 8.0 / bps);
                    link_free
                }
                _ => now,
            };
            if tx.send((sent + config.one_way, Bytes::copy_from_slice(&buf[..n]))).is_err() {
                break;
            }
        }
        // Dropping the sender lets the writer finish the queue, then pass
        // the EOF on, delayed like the data.
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_delay_line_delivers_in_order_and_never_early() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        let one_way = Duration::from_millis(30);
        let line = start(upstream_addr, DelayConfig { one_way, bandwidth_bps: None }).await.unwrap();
        let mut client = TcpStream::connect(line.addr).await.unwrap();
        let (mut server, _) = upstream.accept().await.unwrap();

        // Ten chunks, 5 ms apart: each must arrive at least `one_way` after it
        // was sent, and the bytes in order.
        let sender = async {
            let mut sent = Vec::new();
            for i in 0u8..10 {
                sent.push(std::time::Instant::now());
                client.write_all(&[i; 100]).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            client.shutdown().await.unwrap();
            sent
        };
        let receiver = async {
            let mut got = Vec::new();
            let mut arrivals = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = server.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for &b in &buf[..n] {
                    if got.len() % 100 == 0 {
                        arrivals.push(std::time::Instant::now());
                    }
                    got.push(b);
                }
            }
            (got, arrivals)
        };
        let (sent, (got, arrivals)) = tokio::join!(sender, receiver);
        let expected: Vec<u8> = (0u8..10).flat_map(|i| [i; 100]).collect();
        assert_eq!(got, expected, "bytes arrive complete and in order");
        for (i, (s, a)) in sent.iter().zip(&arrivals).enumerate() {
            assert!(a.duration_since(*s) >= one_way, "chunk {i} arrived after {:?}", a.duration_since(*s));
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn bandwidth_spreads_a_burst_over_its_transfer_time() {
        let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        // 8 Mbit/s: 100 kB takes 100 ms on the link.
        let config = DelayConfig { one_way: Duration::from_millis(5), bandwidth_bps: Some(8e6) };
        let line = start(upstream_addr, config).await.unwrap();
        let mut client = TcpStream::connect(line.addr).await.unwrap();
        let (mut server, _) = upstream.accept().await.unwrap();
        let started = std::time::Instant::now();
        client.write_all(&vec![7u8; 100_000]).await.unwrap();
        client.shutdown().await.unwrap();
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got.len(), 100_000);
        assert!(started.elapsed() >= Duration::from_millis(100), "took {:?}", started.elapsed());
    }
}

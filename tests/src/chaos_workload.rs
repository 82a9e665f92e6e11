//! The chaos soak's workload, shared by the test (`tests/chaos_soak.rs`)
//! and its client process (`src/bin/chaos_client.rs`) so that both derive
//! the same requests and the same expected bodies from a seed.
//!
//! nginx serves files of known content ([`file_content`]) of sizes from 0
//! bytes to 1 MiB, each under two paths: `/s/NAME` framed by
//! `Content-Length`, and `/c/NAME` through SSI (`ssi on`), which drops the
//! length so nginx sends it chunked (the files hold no `<!--#`, so SSI
//! leaves their bytes alone). `POST /post/…` is answered by `return 200`
//! with the request-target in the body, and logged like every request:
//! nginx's access log is the witness of how often a POST was processed.
//!
//! Request `i` carries `?r=i` in its target, so the access log and the
//! proxy's record tell requests apart.

use crate::real::file_content;
use crate::seeded_rng::SeededRng;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Sizes of the soak's files, in the three classes the schedule draws
/// from: small ones (most requests), medium, and large ones that pass the
/// client's 256 KiB large-response threshold (docs/DESIGN.md P13).
const SMALL: [usize; 18] =
    [0, 1, 2, 3, 10, 100, 500, 1000, 1460, 2000, 4095, 4096, 4097, 8000, 8192, 10_000, 16_384, 16_385];
const MEDIUM: [usize; 5] = [32_768, 65_535, 65_536, 65_537, 100_000];
const LARGE: [usize; 4] = [262_144, 262_145, 300_000, 1 << 20];

/// Requests per thousand that are POSTs, HEADs, and (of the GETs)
/// chunked; files per thousand drawn from the medium and large classes.
const POST_PER_MILLE: u64 = 20;
const HEAD_PER_MILLE: u64 = 30;
const CHUNKED_PER_MILLE: u64 = 250;
const MEDIUM_PER_MILLE: u64 = 100;
const LARGE_PER_MILLE: u64 = 8;

/// The client's per-request deadline in the soak: every request ends by
/// then, whatever the faults.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(20);
/// The client's stall timeout in the soak: a stalled connection is given
/// up after this.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(2);

/// The `location` blocks nginx needs besides its root: SSI for `/c/`, and
/// the POST answer.
pub const NGINX_LOCATIONS: &str = r#"
        location /c/ { ssi on; ssi_types *; }
        location /post/ { return 200 "posted $request_uri\n"; }
"#;

/// The soak's files: URL path → content.
#[derive(Debug)]
pub struct SoakFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl SoakFiles {
    /// Every file, content computed (the same in every process).
    pub fn new() -> Self {
        let mut files = BTreeMap::new();
        for size in SMALL.iter().chain(&MEDIUM).chain(&LARGE) {
            for dir in ["s", "c"] {
                let path = format!("/{dir}/size-{size}.bin");
                let content = file_content(&path, *size);
                files.insert(path, content);
            }
        }
        SoakFiles { files }
    }

    /// Writes them under nginx's document root.
    pub fn write_under(&self, root: &Path) {
        for (path, content) in &self.files {
            let file = root.join(path.trim_start_matches('/'));
            let dir = file.parent().expect("a parent directory");
            std::fs::create_dir_all(dir).expect("create the soak's directories");
            std::fs::write(&file, content).expect("write a soak file");
        }
    }

    /// The content of the file at `path` (no query).
    #[track_caller]
    pub fn content(&self, path: &str) -> &[u8] {
        self.files.get(path).unwrap_or_else(|| panic!("no soak file {path}"))
    }
}

impl Default for SoakFiles {
    fn default() -> Self {
        SoakFiles::new()
    }
}

/// What a request of the soak is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// `GET /s/…`: the file, with `Content-Length`.
    Get,
    /// `GET /c/…`: the file, chunked.
    GetChunked,
    /// `HEAD /s/…`: no body, the file's `Content-Length`.
    Head,
    /// `POST /post/…`: not idempotent, never resent once written.
    Post,
}

impl JobKind {
    /// The request method.
    pub fn method(self) -> &'static str {
        match self {
            JobKind::Get | JobKind::GetChunked => "GET",
            JobKind::Head => "HEAD",
            JobKind::Post => "POST",
        }
    }
}

/// One request of the soak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Its number, `0..requests`.
    pub id: u64,
    /// What it is.
    pub kind: JobKind,
    /// The path of its file (`/s/size-N.bin`), or `/post/p` for a POST.
    pub path: String,
    /// Its request-target: the path and `?r=ID`.
    pub target: String,
    /// Which of the proxy's listeners (one origin each) it goes to.
    pub origin: usize,
}

impl Job {
    /// The body of its request: a POST's names it, others have none.
    pub fn request_body(&self) -> Vec<u8> {
        match self.kind {
            JobKind::Post => format!("post {}", self.id).into_bytes(),
            _ => Vec::new(),
        }
    }

    /// The body its response must have, byte for byte.
    pub fn expected_body<'a>(&self, files: &'a SoakFiles) -> std::borrow::Cow<'a, [u8]> {
        match self.kind {
            JobKind::Get | JobKind::GetChunked => files.content(&self.path).into(),
            JobKind::Head => (&[][..]).into(),
            JobKind::Post => format!("posted {}\n", self.target).into_bytes().into(),
        }
    }
}

/// The request id in a request-target of the soak (`…?r=ID`).
pub fn job_id(target: &str) -> Option<u64> {
    target.rsplit_once("?r=").and_then(|(_, id)| id.parse().ok())
}

/// Which requests the soak sends, from a seed: request `i` depends on the
/// seed and `i` only.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    /// The seed.
    pub seed: u64,
    /// How many requests.
    pub requests: u64,
    /// Origins in use at a time.
    pub origins_per_epoch: usize,
    /// How many times the soak moves to fresh origins: each of
    /// `requests / epochs` requests in a row goes to origins of its own,
    /// so a demotion (two pipeline breaks within a minute demote an origin
    /// for five, docs/DESIGN.md P6) does not leave the rest of the soak at
    /// depth 1 — each epoch starts pipelining again.
    pub epochs: usize,
}

impl Schedule {
    /// Listeners the proxy needs: one per origin.
    pub fn origins(&self) -> usize {
        self.origins_per_epoch * self.epochs
    }

    /// Request `id`.
    pub fn job(&self, id: u64) -> Job {
        let mut rng = SeededRng::stream(self.seed, id);
        let roll = rng.below(1000);
        let kind = if roll < POST_PER_MILLE {
            JobKind::Post
        } else if roll < POST_PER_MILLE + HEAD_PER_MILLE {
            JobKind::Head
        } else if rng.chance(CHUNKED_PER_MILLE) {
            JobKind::GetChunked
        } else {
            JobKind::Get
        };
        let class = rng.below(1000);
        let sizes: &[usize] = if class < LARGE_PER_MILLE {
            &LARGE
        } else if class < LARGE_PER_MILLE + MEDIUM_PER_MILLE {
            &MEDIUM
        } else {
            &SMALL
        };
        let size = sizes[rng.below(sizes.len() as u64) as usize];
        let path = match kind {
            JobKind::Get | JobKind::Head => format!("/s/size-{size}.bin"),
            JobKind::GetChunked => format!("/c/size-{size}.bin"),
            JobKind::Post => "/post/p".to_owned(),
        };
        let epoch = (u128::from(id) * self.epochs as u128 / u128::from(self.requests.max(1))) as usize;
        let origin =
            epoch.min(self.epochs - 1) * self.origins_per_epoch + rng.below(self.origins_per_epoch as u64) as usize;
        Job { id, kind, target: format!("{path}?r={id}"), path, origin }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_replays_and_mixes_kinds_and_epochs() {
        let schedule = Schedule { seed: 42, requests: 10_000, origins_per_epoch: 3, epochs: 5 };
        assert_eq!(schedule.job(77), schedule.job(77));
        let jobs: Vec<Job> = (0..10_000).map(|i| schedule.job(i)).collect();
        let count = |kind| jobs.iter().filter(|j| j.kind == kind).count();
        assert!((100..300).contains(&count(JobKind::Post)), "{}", count(JobKind::Post));
        assert!(count(JobKind::GetChunked) > 1000);
        assert!(count(JobKind::Head) > 100);
        assert!(jobs.iter().all(|j| job_id(&j.target) == Some(j.id)));
        assert!(jobs[..2000].iter().all(|j| j.origin < 3));
        assert!(jobs[8000..].iter().all(|j| (12..15).contains(&j.origin)));
        let files = SoakFiles::new();
        assert!(jobs.iter().all(|j| j.kind == JobKind::Post || !files.content(&j.path).contains(&b'<')));
    }
}

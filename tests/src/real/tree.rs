//! A tree of files with known content, for servers to serve.

use super::process::world_readable;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Sizes of the standard tree's files: empty to 8 MiB, around buffer and
/// chunk boundaries.
pub const TREE_SIZES: [usize; 16] =
    [0, 1, 7, 100, 1000, 4095, 4096, 4097, 16_384, 65_535, 65_536, 65_537, 100_000, 262_144, 1 << 20, 8 << 20];

/// The content of the file `name` of `size` bytes: different for every
/// name, printable and somewhat compressible.
pub fn file_content(name: &str, size: usize) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-\n";
    // FNV-1a of the name seeds an xorshift generator.
    let mut state =
        name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    state |= 1;
    let mut out = Vec::with_capacity(size);
    while out.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        // Runs of one character keep it compressible.
        let run = 1 + (state >> 60) as usize;
        let c = ALPHABET[(state & 63) as usize];
        for _ in 0..run.min(size - out.len()) {
            out.push(c);
        }
    }
    out
}

/// A tree of files with known content, written under a directory.
#[derive(Debug)]
pub struct Tree {
    /// Where the files are (the server's document root).
    pub root: PathBuf,
    /// URL path (`/f/size-N.bin`, `/sub/dir/page.txt`, …) → content.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Tree {
    /// Writes the standard tree under `dir/www`: a file of each of
    /// [`TREE_SIZES`] in `/f/`, and a nested file.
    pub fn standard(dir: &Path) -> Self {
        let root = dir.join("www");
        let mut files = BTreeMap::new();
        for size in TREE_SIZES {
            let path = format!("/f/size-{size}.bin");
            files.insert(path.clone(), file_content(&path, size));
        }
        let nested = "/sub/dir/page.txt".to_owned();
        files.insert(nested.clone(), file_content(&nested, 3000));
        for (path, content) in &files {
            let file = root.join(path.trim_start_matches('/'));
            let parent = file.parent().expect("a parent directory");
            std::fs::create_dir_all(parent).expect("create the tree");
            std::fs::write(&file, content).expect("write a tree file");
        }
        for dir in [root.clone(), root.join("f"), root.join("sub"), root.join("sub/dir")] {
            world_readable(&dir);
        }
        Tree { root, files }
    }

    /// The content of the file at `path` (a query is ignored).
    #[track_caller]
    pub fn content(&self, path: &str) -> &[u8] {
        let path = path.split('?').next().unwrap_or(path);
        self.files.get(path).unwrap_or_else(|| panic!("no file {path} in the tree"))
    }

    /// The paths of files at most `max` bytes long.
    pub fn paths_up_to(&self, max: usize) -> Vec<String> {
        self.files.iter().filter(|(_, c)| c.len() <= max).map(|(p, _)| p.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_contents_differ_and_have_their_size() {
        for size in TREE_SIZES.into_iter().take(10) {
            assert_eq!(file_content("/a", size).len(), size);
        }
        assert_ne!(file_content("/a", 100), file_content("/b", 100));
    }
}

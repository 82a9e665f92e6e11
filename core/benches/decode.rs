//! Placeholder: the decode benchmark is written next.
fn main() {}

//! The module's heap allocator: talc instead of the dlmalloc that the
//! standard library brings on wasm32. It is about 2.4 KB smaller under
//! `gzip -9` (README.md, Size) and, by its authors' WebAssembly benchmarks,
//! faster; it grows the module's memory on demand like dlmalloc does.
//! Declared in a safe static (`new_wasm_dynamic_allocator` is a safe
//! `const fn`), so the crate keeps `unsafe_code = "forbid"`. Only for the
//! single-threaded build: with `atomics`, the standard allocator stays.

#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

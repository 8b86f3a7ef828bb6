//! Links the functions the programs run first and together, in the order of
//! programs/symbol-order.txt (made by bench/layout.py). Every program is one
//! executable, and the kernel maps it 64 KiB at a time around each page
//! touched: scattered, a program's code costs page faults at each start and
//! resident pages in each supervise and svscan. rust-lld, the linker rustc
//! uses on x86_64 Linux since 1.90, takes the list; a symbol it no longer
//! finds is skipped, a new one goes with the rest.

fn main() {
    let order = concat!(env!("CARGO_MANIFEST_DIR"), "/programs/symbol-order.txt");
    println!("cargo::rerun-if-changed={order}");
    println!("cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
    println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

//! Links the functions the programs run first and together, in the order of
//! programs/symbol-order.txt (made by bench/layout.py). Every program is one
//! executable, and the kernel maps it 64 KiB at a time around each page
//! touched: scattered, a program's code costs page faults at each start and
//! resident pages in each supervise and svscan. rust-lld, the linker rustc
//! uses on x86_64 Linux since 1.90, takes the list; a symbol it no longer
//! finds is skipped, a new one goes with the rest. Other targets link with
//! the system's linker, which may not know the option (GNU ld does not):
//! they get no order, and the same program.

fn main() {
    let order = concat!(env!("CARGO_MANIFEST_DIR"), "/programs/symbol-order.txt");
    println!("cargo::rerun-if-changed={order}");
    println!("cargo::rerun-if-env-changed=DAEMONTOOLS_RS_NO_ORDER");
    let lld = std::env::var("TARGET").is_ok_and(|t| t == "x86_64-unknown-linux-gnu");
    if !lld || std::env::var_os("DAEMONTOOLS_RS_NO_ORDER").is_some() {
        return;
    }
    println!("cargo::rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
    println!("cargo::rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
}

//! `tai64n`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("tai64n: usage: tai64n");
    eprintln!("tai64n: fatal: not implemented yet");
    std::process::exit(111);
}

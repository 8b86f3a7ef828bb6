//! `tai64nlocal`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("tai64nlocal: usage: tai64nlocal");
    eprintln!("tai64nlocal: fatal: not implemented yet");
    std::process::exit(111);
}

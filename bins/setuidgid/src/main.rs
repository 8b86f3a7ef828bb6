//! `setuidgid`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("setuidgid: usage: setuidgid account child");
    eprintln!("setuidgid: fatal: not implemented yet");
    std::process::exit(111);
}

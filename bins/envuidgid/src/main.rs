//! `envuidgid`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("envuidgid: usage: envuidgid account child");
    eprintln!("envuidgid: fatal: not implemented yet");
    std::process::exit(111);
}

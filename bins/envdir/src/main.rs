//! `envdir`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("envdir: usage: envdir dir child");
    eprintln!("envdir: fatal: not implemented yet");
    std::process::exit(111);
}

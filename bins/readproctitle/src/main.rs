//! `readproctitle`: not built yet (its own issue owns it); says so and exits 111.

fn main() {
    eprintln!("readproctitle: usage: readproctitle io errors: .....");
    eprintln!("readproctitle: fatal: not implemented yet");
    std::process::exit(111);
}

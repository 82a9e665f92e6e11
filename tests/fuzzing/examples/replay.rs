//! Runs one fuzz target body on input files:
//! `cargo run -p pipelining-fuzzing --example replay [--features trace] -- TARGET FILE...`.

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_default();
    let run: fn(&[u8]) = match target.as_str() {
        "h1_response" => pipelining_fuzzing::h1_response::run,
        "connection_ops" => pipelining_fuzzing::connection_ops::run,
        "pool_ops" => pipelining_fuzzing::pool_ops::run,
        "request_encode" => pipelining_fuzzing::request_encode::run,
        "dns_ops" => pipelining_fuzzing::dns_ops::run,
        "resp_reply" => pipelining_fuzzing::resp_reply::run,
        "dispatch_ops" => pipelining_fuzzing::dispatch_ops::run,
        other => {
            eprintln!("unknown target {other:?}: see fuzz/run.sh for the list");
            std::process::exit(2);
        }
    };
    for path in args {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        run(&data);
        println!("{path}: ok");
    }
}

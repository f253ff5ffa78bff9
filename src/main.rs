//! The `provctl` binary: parse, run, map the outcome to a documented exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = provctl::cli::parse();
    provctl::cli::init_tracing(cli.global.verbose, cli.global.no_color);
    let color =
        provctl::output::color_enabled(cli.global.no_color, provctl::output::Stream::Stderr);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("provctl: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(provctl::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.report(color);
            err.exit_code()
        }
    }
}

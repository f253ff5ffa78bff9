//! The `provctl` binary: parse, run, map the outcome to a documented exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = provctl::cli::parse();
    provctl::cli::init_tracing(cli.global.verbose);
    let color = !cli.global.no_color;
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
            use std::io::IsTerminal;
            err.report(
                color && std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
            );
            err.exit_code()
        }
    }
}

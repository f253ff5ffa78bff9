//! `--help` and `provctl help`: each command's own options and examples (snapshots), the global
//! options shown once, help topics, and a topic or command that does not exist.

use crate::common::{offline, outcome};

/// The binary with a fixed help width and no colour: help wraps to the terminal.
fn provctl(args: &[&str]) -> (i32, String, String) {
    let mut c = offline(args);
    c.env("COLUMNS", "100");
    outcome(c)
}

#[test]
fn snapshot_help_of_commands_with_options_examples_and_their_own_notes() {
    for (name, args) in [
        ("help_jobs_restart", ["jobs", "restart"]),
        ("help_quarantine_clear", ["quarantine", "clear"]),
        ("help_doctor_auth", ["doctor", "auth"]),
    ] {
        let (c, out, err) = provctl(&[args[0], args[1], "--help"]);
        assert_eq!(c, 0, "{err}");
        insta::assert_snapshot!(name, out);
    }
}

#[test]
fn help_of_a_command_is_its_long_help_and_the_globals_are_in_one_place() {
    let (c, via_help, _) = provctl(&["help", "jobs", "list"]);
    assert_eq!(c, 0);
    let (_, via_flag, _) = provctl(&["jobs", "list", "--help"]);
    assert_eq!(via_help, via_flag);
    assert!(!via_flag.contains("--graph-url"), "{via_flag}");
    let (_, global, _) = provctl(&["help", "global"]);
    assert!(global.contains("--graph-url") && global.contains("PROVCTL_GRAPH_URL"));
    // They still work after the subcommand.
    let (c, _, err) = provctl(&["jobs", "list", "-o", "json", "--query", "[?"]);
    assert_eq!(
        c, 2,
        "a bad --query after the subcommand is read and refused: {err}"
    );
    assert!(err.contains("--query"), "{err}");
}

#[test]
fn help_topics_exist_and_an_unknown_one_is_a_usage_error() {
    for topic in ["auth", "output", "exit-codes", "permissions", "global"] {
        let (c, out, err) = provctl(&["help", topic]);
        assert_eq!(c, 0, "{topic}: {err}");
        assert!(out.len() > 200, "{topic}: {out}");
    }
    let (c, _, err) = provctl(&["help", "frobnicate"]);
    assert_eq!(c, 2);
    assert!(
        err.contains("'frobnicate' is neither a help topic nor a provctl command"),
        "{err}"
    );
    assert!(err.contains("topics: auth, output"), "{err}");
}

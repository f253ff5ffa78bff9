//! The one-definition rules of help, hints, permissions and exit codes, held by tests: the command
//! tree against the permission table, every `provctl …` line users are shown against clap, the
//! README's exit-code table against [`ErrorKind`], and the generated help, man pages and
//! completions against their sources.

use std::collections::BTreeSet;
use std::path::Path;

use clap::{CommandFactory, FromArgMatches};

use super::*;
use crate::cli::docs;

/// Every command path of the tree (`jobs`, `jobs list`, ...), and which of them run (a leaf, or
/// a group that runs without a subcommand, like `explain --file`).
fn command_paths() -> (BTreeSet<String>, BTreeSet<String>) {
    fn walk(
        cmd: &clap::Command,
        path: &str,
        all: &mut BTreeSet<String>,
        runnable: &mut BTreeSet<String>,
    ) {
        for sub in cmd.get_subcommands() {
            let p = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path} {}", sub.get_name())
            };
            all.insert(p.clone());
            if !sub.has_subcommands() || !sub.is_subcommand_required_set() {
                runnable.insert(p.clone());
            }
            walk(sub, &p, all, runnable);
        }
    }
    let (mut all, mut runnable) = (BTreeSet::new(), BTreeSet::new());
    walk(&Cli::command(), "", &mut all, &mut runnable);
    (all, runnable)
}

#[test]
fn every_command_is_in_the_permission_table_or_makes_no_graph_call_and_every_row_exists() {
    let (all, runnable) = command_paths();
    let graph: BTreeSet<&str> = permissions::COMMANDS.iter().map(|c| c.command).collect();
    let local: BTreeSet<&str> = LOCAL_COMMANDS.iter().copied().collect();
    for p in &runnable {
        assert!(
            graph.contains(p.as_str()) || local.contains(p.as_str()),
            "`provctl {p}` has no row in graph::permissions::COMMANDS (it calls Graph) \
             and is not in help::LOCAL_COMMANDS (it makes no Graph call)"
        );
    }
    for c in graph.iter().chain(&local) {
        assert!(
            all.contains(*c),
            "`provctl {c}` is in a table but is no command"
        );
    }
    assert!(
        graph.is_disjoint(&local),
        "{:?}",
        graph.intersection(&local)
    );
}

#[test]
fn doctor_auth_accepts_every_command_of_the_table_and_no_other() {
    for c in permissions::COMMANDS {
        assert_eq!(
            permissions::command_needs(c.command).map(|n| n.command),
            Some(c.command)
        );
    }
    for gone in ["jobs schema", "jobs validate-credentials"] {
        assert!(permissions::command_needs(gone).is_none(), "{gone}");
    }
    for wanted in ["jobs check", "quarantine show", "explain job"] {
        assert!(permissions::command_needs(wanted).is_some(), "{wanted}");
    }
}

#[test]
fn every_runnable_command_has_two_to_four_examples() {
    let (all, runnable) = command_paths();
    for p in &runnable {
        let n = examples(p).map_or(0, <[_]>::len);
        assert!(
            (2..=4).contains(&n),
            "`provctl {p}` has {n} examples in help::EXAMPLES; give it 2 to 4"
        );
    }
    for (c, _) in EXAMPLES {
        assert!(
            all.contains(*c),
            "help::EXAMPLES names `{c}`, which is no command"
        );
    }
}

/// Parses one `provctl …` line as the binary would; placeholders (`{job}`, `<id>`) become values.
fn parses(line: &str) -> Result<(), String> {
    let mut filled = String::new();
    let mut depth = 0;
    for ch in line.chars() {
        match ch {
            '{' | '<' => {
                if depth == 0 {
                    filled.push('1');
                }
                depth += 1;
            }
            '}' | '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => filled.push(ch),
            _ => {}
        }
    }
    let filled = shell_command(&filled);
    let words = shlex::split(&filled).ok_or_else(|| format!("unbalanced quotes in `{line}`"))?;
    if names_a_command(&words) {
        return Ok(());
    }
    let mut matches = match command().try_get_matches_from(&words) {
        Ok(m) => m,
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(format!("`{line}`: {}", e.render())),
    };
    let cli = Cli::from_arg_matches_mut(&mut matches).map_err(|e| format!("`{line}`: {e}"))?;
    if let crate::cli::Command::Help(h) = &cli.command
        && !h.words.is_empty()
        && (h.words.len() > 1 || topic(&h.words[0]).is_none())
    {
        command_help(&h.words).map_err(|e| format!("`{line}`: {e}"))?;
    }
    Ok(())
}

/// A mention rather than a command line: `provctl jobs start`, `provctl logs search --object-guid`
/// (a command path, then only flags that command has).
fn names_a_command(words: &[String]) -> bool {
    let mut cmd = command();
    cmd.build();
    let mut at = &cmd;
    let mut rest = words.iter().skip(1).peekable();
    while let Some(w) = rest.peek() {
        match at.find_subcommand(w.as_str()) {
            Some(sub) => {
                at = sub;
                rest.next();
            }
            None => break,
        }
    }
    if std::ptr::eq(at, &cmd) {
        return false;
    }
    rest.all(|w| {
        at.get_arguments().any(|a| {
            a.get_long().is_some_and(|l| *w == format!("--{l}"))
                || a.get_short().is_some_and(|s| *w == format!("-{s}"))
        })
    })
}

/// Whether `line` is meant as a provctl command line: `provctl` then a command or a flag.
fn looks_like_a_command(line: &str) -> bool {
    let Some(first) = line
        .strip_prefix("provctl ")
        .and_then(|r| r.split_whitespace().next())
    else {
        return false;
    };
    // A screen title such as `provctl jobs watch · 3 job(s) · …` is prose, not a command line.
    !line.contains(" · ")
        && (first.starts_with('-') || Cli::command().find_subcommand(first).is_some())
}

/// `provctl …` inside backticks.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| looks_like_a_command(s))
        .map(str::to_owned)
        .collect()
}

/// A shell line cut before a comment, pipe or redirection.
fn shell_command(line: &str) -> String {
    let line = line.trim().trim_start_matches("$ ");
    let mut end = line.len();
    for stop in ["  #", " # ", " | ", " || ", " && ", " > ", " 2>"] {
        if let Some(i) = line.find(stop) {
            end = end.min(i);
        }
    }
    line[..end].trim().to_owned()
}

fn readme_lines() -> Vec<String> {
    let readme = include_str!("../../../README.md");
    let mut lines = Vec::new();
    let mut in_code = false;
    for l in readme.lines() {
        if l.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            let c = shell_command(l);
            if c.starts_with("provctl ") {
                lines.push(c);
            }
        } else {
            lines.extend(backticked(l));
        }
    }
    lines
}

fn knowledge_lines() -> Vec<String> {
    let file: toml::Value = toml::from_str(include_str!("../../diagnose/knowledge.toml"))
        .unwrap_or_else(|e| panic!("knowledge.toml: {e}"));
    let mut lines = Vec::new();
    fn walk(v: &toml::Value, key: &str, lines: &mut Vec<String>) {
        match v {
            toml::Value::String(s) if key == "command" => lines.push(s.clone()),
            toml::Value::String(s) => {
                lines.extend(backticked(s));
                // A command line in prose must be in backticks, so it is checked here.
                let bare = s.split('`').step_by(2).collect::<Vec<_>>().join(" ");
                assert!(
                    !bare.contains("provctl ")
                        || !Cli::command()
                            .get_subcommands()
                            .any(|c| bare.contains(&format!("provctl {} ", c.get_name()))
                                || bare.contains(&format!("provctl {}.", c.get_name()))),
                    "knowledge.toml: put the command in backticks: {s}"
                );
            }
            toml::Value::Array(a) => a.iter().for_each(|x| walk(x, key, lines)),
            toml::Value::Table(t) => t.iter().for_each(|(k, x)| walk(x, k, lines)),
            _ => {}
        }
    }
    walk(&file, "", &mut lines);
    lines
}

/// The text of a Rust string literal starting at `rest` (after its opening quote), unescaped.
fn string_literal(rest: &str) -> String {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '"' => break,
            _ => out.push(c),
        }
    }
    out
}

/// Backticked command lines, and string literals that are a whole command line, in `src/`.
fn source_lines() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                // A `\` at the end of a line continues a string literal without the indent.
                let text = std::fs::read_to_string(&p)
                    .unwrap_or_default()
                    .split("\\\n")
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("");
                // The test files quote refused command lines on purpose.
                if p.ends_with("help/tests.rs") {
                    continue;
                }
                for l in text.lines() {
                    // Unit tests sit at the end of a file and may quote refused lines on purpose.
                    if l.starts_with("#[cfg(test)]") {
                        break;
                    }
                    let code = l.trim_start();
                    if code.starts_with("//") || code.starts_with("assert") {
                        continue;
                    }
                    for c in backticked(l) {
                        out.push((p.display().to_string(), c));
                    }
                    if let Some(i) = l.find("\"provctl ") {
                        let literal = string_literal(&l[i + 1..]);
                        if looks_like_a_command(&literal) {
                            out.push((p.display().to_string(), literal));
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

#[test]
fn every_provctl_line_in_hints_knowledge_readme_and_examples_parses() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let sources = readme_lines()
        .into_iter()
        .map(|l| ("README.md".to_owned(), l))
        .chain(
            knowledge_lines()
                .into_iter()
                .map(|l| ("knowledge.toml".to_owned(), l)),
        )
        .chain(source_lines())
        .chain(
            EXAMPLES
                .iter()
                .flat_map(|(_, ex)| ex.iter())
                .map(|(_, l)| ("help::EXAMPLES".to_owned(), (*l).to_owned())),
        );
    for (origin, line) in sources {
        checked += 1;
        if let Err(e) = parses(&line) {
            failures.push(format!("{origin}: {e}"));
        }
    }
    assert!(
        checked > 150,
        "only {checked} lines found: is the scan broken?"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_refused_or_unknown_command_line_fails_the_parse_check() {
    assert!(parses("provctl jobs list --status quarantine").is_ok());
    assert!(parses("provctl jobs restart {job} --reset escrows").is_ok());
    assert!(parses("provctl jobs schema SP/JOB").is_err());
    assert!(parses("provctl help nosuchtopic").is_err());
    assert!(parses("provctl help jobs restart").is_ok());
    assert!(parses("provctl help permissions").is_ok());
}

#[test]
fn every_topic_renders_and_names_its_subject() {
    for (name, _) in TOPICS {
        let t = topic(name).unwrap_or_else(|| panic!("{name}"));
        assert!(t.len() > 200, "{name}: {t}");
    }
    assert!(topic("global").unwrap_or_default().contains("--graph-url"));
    assert!(
        topic("auth")
            .unwrap_or_default()
            .contains("AZURE_CLIENT_SECRET")
    );
    assert!(topic("output").unwrap_or_default().contains("ndjson"));
    let perms = permissions_topic();
    for c in permissions::COMMANDS {
        assert!(
            perms.contains(&format!("\n{}\n", c.command)),
            "{}",
            c.command
        );
    }
    assert!(perms.contains("\nquarantine clear\n  delegated:   Application.Read.All, Synchronization.ReadWrite.All\n"), "{perms}");
    assert!(topic("nosuch").is_none());
}

#[test]
fn the_exit_codes_of_readme_help_and_man_page_are_the_enum() {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("### Exit codes")
        .nth(1)
        .unwrap_or_else(|| panic!("README has no exit-code section"));
    let rows: Vec<(u8, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            Some((cells.first()?.parse().ok()?, cells.get(1)?.to_string()))
        })
        .collect();
    let want: Vec<(u8, String)> = ErrorKind::table()
        .into_iter()
        .map(|(c, m)| (c, m.to_owned()))
        .collect();
    assert_eq!(
        rows, want,
        "README's exit-code table differs from ErrorKind"
    );

    let help = exit_codes_text();
    let root = command().render_long_help().to_string();
    let mut cmd = command();
    cmd.build();
    let man = String::from_utf8(docs::page(&cmd, "").unwrap_or_default()).unwrap_or_default();
    for (code, meaning) in ErrorKind::table() {
        assert!(help.contains(&format!("  {code}  {meaning}")), "{help}");
        assert!(root.contains(&format!("  {code}  {meaning}")), "{root}");
        assert!(man.contains(&format!("\\fB{code}\\fR")), "{man}");
    }
}

#[test]
fn subcommand_help_shows_its_own_options_and_examples_and_the_globals_once() {
    let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let list = command_help(&words(&["jobs", "list"])).unwrap_or_default();
    assert!(list.contains("--status"), "{list}");
    assert!(
        list.contains("Examples:\n  # every job of the tenant\n  provctl jobs list\n"),
        "{list}"
    );
    assert!(!list.contains("--graph-url"), "{list}");
    assert!(list.contains("provctl help global"), "{list}");
    let root = command().render_long_help().to_string();
    assert!(root.contains("--graph-url"), "{root}");
    assert!(root.contains("  permissions  "), "{root}");
    assert!(command_help(&words(&["jobs", "frobnicate"])).is_err());
}

#[test]
fn global_options_still_parse_after_the_subcommand() {
    let mut m = command()
        .try_get_matches_from([
            "provctl",
            "jobs",
            "list",
            "--tenant",
            "contoso.com",
            "-o",
            "json",
            "--sim",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
    let cli = Cli::from_arg_matches_mut(&mut m).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cli.global.tenant.as_deref(), Some("contoso.com"));
    assert_eq!(cli.global.output, OutputFormat::Json);
    assert!(cli.global.sim);
}

#[test]
fn man_out_writes_a_page_per_command_with_exit_status_and_environment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    docs::man(&docs::ManArgs {
        out: Some(dir.path().to_owned()),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let (all, _) = command_paths();
    let written = std::fs::read_dir(dir.path()).map_or(0, Iterator::count);
    assert_eq!(
        written,
        all.len() + 1,
        "one page per command and the top one"
    );
    let page = std::fs::read_to_string(dir.path().join("provctl-jobs-restart.1"))
        .unwrap_or_else(|e| panic!("{e}"));
    for section in ["EXAMPLES", "EXIT STATUS", "ENVIRONMENT"] {
        assert!(
            page.contains(&format!(".SH \"{section}\""))
                || page.contains(&format!(".SH {section}")),
            "{section}: {page}"
        );
    }
    assert!(!page.contains("EXTRA"), "{page}");
    assert!(page.contains("AZURE_CLIENT_SECRET") && page.contains("PROVCTL_TENANT"));
    assert!(page.contains("\\-\\-reset"), "its own options: {page}");
}

#[test]
fn completions_offer_the_closed_value_sets() {
    let bash =
        String::from_utf8(docs::completion_script(clap_complete::Shell::Bash)).unwrap_or_default();
    for value in ["notconfigured", "ndjson", "escrows"] {
        assert!(
            bash.contains(value),
            "{value} missing from the bash completions"
        );
    }
}

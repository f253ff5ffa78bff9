//! Help that teaches: `provctl help <topic>` (sign-in, output, exit codes, permissions, global
//! options) beside clap's own `provctl help <command…>`, the examples every command's `--help`
//! ends with, and the one clap command tree the binary parses with, in which the global options are
//! listed once (in `provctl --help` and `provctl help global`) instead of in every subcommand.
//! The exit-code and permission topics are generated from their one definitions
//! ([`ErrorKind`], [`permissions::COMMANDS`]), so they cannot drift.

use clap::{Arg, CommandFactory, FromArgMatches, ValueEnum};

use super::{Cli, CliError, ErrorKind};
use crate::graph::permissions::{self, CommandNeeds};
use crate::output::OutputFormat;

/// Arguments of `provctl help`.
#[derive(Debug, clap::Args)]
pub struct HelpArgs {
    /// A topic (auth, output, exit-codes, permissions, global) or a command (`jobs restart`).
    #[arg(value_name = "TOPIC|COMMAND")]
    pub words: Vec<String>,
}

/// The help topics: name and what it covers (listed by `provctl help`).
pub const TOPICS: &[(&str, &str)] = &[
    (
        "auth",
        "sign-in methods, the order they are tried in, and their environment variables",
    ),
    (
        "output",
        "output formats, --query, and the JSON each command prints",
    ),
    ("exit-codes", "what each exit code means"),
    (
        "permissions",
        "the Graph permissions and directory roles each command needs",
    ),
    ("global", "the options every command accepts"),
];

/// Commands that make no Graph call, so need no row in the permission table. The test that walks
/// the command tree fails for a command in neither list.
pub const LOCAL_COMMANDS: &[&str] = &[
    "explain",
    "doctor network",
    "doctor auth",
    "login",
    "logout",
    "whoami",
    "config set",
    "config get",
    "config list",
    "config use",
    "sim serve",
    "completions",
    "man",
    "help",
];

/// Two to four examples per command, shown at the end of its `--help` and in its man page: what
/// it does, then the command line. A test parses every line with clap and fails for a runnable
/// command without examples. A new command adds its row here.
pub const EXAMPLES: &[(&str, &[(&str, &str)])] = &[
    (
        "jobs list",
        &[
            ("every job of the tenant", "provctl jobs list"),
            (
                "only the quarantined ones",
                "provctl jobs list --status quarantine",
            ),
            (
                "the jobs of one application",
                "provctl jobs list --sp Salesforce",
            ),
            (
                "only cloud sync, as JSON",
                "provctl jobs list --cloud-sync -o json",
            ),
        ],
    ),
    (
        "jobs show",
        &[
            ("a job by its template name", "provctl jobs show salesforce"),
            (
                "by service principal and job id",
                "provctl jobs show SP-ID/JOB-ID",
            ),
            (
                "the whole Graph object",
                "provctl jobs show salesforce -o json",
            ),
        ],
    ),
    (
        "jobs restart",
        &[
            (
                "clear the retry queue and the quarantine",
                "provctl jobs restart salesforce --reset escrows,quarantine",
            ),
            (
                "a full re-sync, waiting for the cycle",
                "provctl jobs restart salesforce --reset watermark --wait --timeout 30m",
            ),
            (
                "see the request without sending it",
                "provctl jobs restart salesforce --reset escrows --dry-run",
            ),
            (
                "every quarantined cloud sync job, in a script, 8 requests at a time",
                "provctl jobs restart --all --cloud-sync --status quarantine --reset escrows,quarantine --yes --concurrency 8",
            ),
        ],
    ),
    (
        "jobs start",
        &[
            ("start a paused job", "provctl jobs start salesforce"),
            (
                "and wait for its next cycle",
                "provctl jobs start salesforce --wait",
            ),
        ],
    ),
    (
        "jobs pause",
        &[
            ("pause a job", "provctl jobs pause salesforce"),
            (
                "see the request without sending it",
                "provctl jobs pause salesforce --dry-run",
            ),
        ],
    ),
    (
        "jobs check",
        &[
            ("exit 7 when any job is unhealthy", "provctl jobs check"),
            (
                "only cloud sync, a paused job counting as unhealthy",
                "provctl jobs check --cloud-sync --paused-is-unhealthy",
            ),
            (
                "in a script",
                "provctl -o none jobs check || echo unhealthy",
            ),
        ],
    ),
    (
        "quarantine list",
        &[
            (
                "every quarantined job, with days left",
                "provctl quarantine list",
            ),
            (
                "only those quarantined for too many deletes",
                "provctl quarantine list --reason TooManyDeletes",
            ),
            ("as JSON", "provctl quarantine list -o json"),
        ],
    ),
    (
        "quarantine show",
        &[
            (
                "why a job is quarantined, and the fix",
                "provctl quarantine show salesforce",
            ),
            ("as JSON", "provctl quarantine show salesforce -o json"),
        ],
    ),
    (
        "quarantine deletes",
        &[
            (
                "what a TooManyDeletes job holds back, before --reset force-deletes",
                "provctl quarantine deletes emea.corp.contoso.com/AD2AADProvisioning",
            ),
            (
                "every delete event of the cycle, for a script",
                "provctl quarantine deletes emea.corp.contoso.com/AD2AADProvisioning --limit 100000 -o csv",
            ),
            (
                "as JSON",
                "provctl quarantine deletes emea.corp.contoso.com/AD2AADProvisioning -o json",
            ),
        ],
    ),
    (
        "quarantine clear",
        &[
            (
                "clear a quarantine (POST .../start)",
                "provctl quarantine clear salesforce",
            ),
            (
                "and wait for the next cycle",
                "provctl quarantine clear salesforce --wait --timeout 20m",
            ),
            (
                "see the request without sending it",
                "provctl quarantine clear salesforce --dry-run",
            ),
            (
                "every quarantined job: the exact requests, nothing sent (--yes to send)",
                "provctl quarantine clear --all --dry-run",
            ),
        ],
    ),
    (
        "logs search",
        &[
            (
                "an AD object's events (cloud sync)",
                "provctl logs search --object-guid 0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10",
            ),
            (
                "the failures of the last day",
                "provctl logs search --since 1d --status failure",
            ),
            (
                "a downloaded file, offline",
                "provctl logs search --file portal-download.json --status failure",
            ),
        ],
    ),
    (
        "logs show",
        &[
            (
                "one event: identities, steps, properties",
                "provctl logs show LOG-ID",
            ),
            (
                "from an exported file",
                "provctl logs show LOG-ID --file export.ndjson",
            ),
        ],
    ),
    (
        "logs summary",
        &[
            (
                "totals, jobs, cycles and top reasons of the last day",
                "provctl logs summary --since 24h",
            ),
            (
                "one job's failures, the 20 most frequent reasons",
                "provctl logs summary --job AD2AADProvisioning.xxx --status failure --top 20",
            ),
            (
                "an exported file, as JSON",
                "provctl logs summary --file export.ndjson -o json",
            ),
        ],
    ),
    (
        "logs export",
        &[
            (
                "30 days of failures to NDJSON",
                "provctl logs export --since 30d --status failure --out failures.ndjson",
            ),
            (
                "carry on after a crash",
                "provctl logs export --since 30d --status failure --out failures.ndjson --resume",
            ),
            (
                "one job's events as CSV",
                "provctl logs export --job JOB-ID --since 7d --format csv --out job.csv",
            ),
        ],
    ),
    (
        "explain",
        &[
            (
                "a file you already have",
                "provctl explain --file provisioning-logs.json",
            ),
            (
                "one record of it",
                "provctl explain --file export.ndjson --id LOG-ID",
            ),
        ],
    ),
    (
        "explain job",
        &[
            (
                "why a job is quarantined or failing",
                "provctl explain job salesforce",
            ),
            (
                "by service principal and job id",
                "provctl explain job SP-ID/JOB-ID",
            ),
        ],
    ),
    (
        "explain log",
        &[
            (
                "why an event was skipped or failed",
                "provctl explain log LOG-ID",
            ),
            ("as JSON", "provctl explain log LOG-ID -o json"),
        ],
    ),
    (
        "explain object",
        &[
            (
                "an AD object's history (cloud sync)",
                "provctl explain object 0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10",
            ),
            (
                "only its 20 latest events",
                "provctl explain object 0d4f6a8e-2b1c-4e3a-9f5d-7c8b6a4e2d10 --limit 20",
            ),
        ],
    ),
    (
        "provision",
        &[
            (
                "provision one AD user now (cloud sync)",
                "provctl provision corp.contoso.com --object \"CN=Adele Vance,OU=Users,DC=corp,DC=contoso,DC=com\"",
            ),
            (
                "an Entra group to an app",
                "provctl provision salesforce --object 5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d01 --type group",
            ),
            (
                "see the request without sending it",
                "provctl provision salesforce --object 5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d01 --dry-run",
            ),
        ],
    ),
    (
        "jobs watch",
        &[
            (
                "a live table: status changes highlighted, the running cycle's progress; q to quit",
                "provctl jobs watch",
            ),
            (
                "one line per change, for a script to tail",
                "provctl jobs watch --follow --interval 1m",
            ),
        ],
    ),
    (
        "metrics",
        &[
            (
                "the Prometheus text of the current profile's tenant",
                "provctl metrics",
            ),
            (
                "every profile's tenant, for node_exporter's textfile collector",
                "provctl metrics --all-profiles",
            ),
        ],
    ),
    (
        "exporter",
        &[
            (
                "serve /metrics and /healthz on 127.0.0.1:9899, refreshed every 5 minutes",
                "provctl exporter",
            ),
            (
                "every profile, on the network (unauthenticated: firewall it)",
                "provctl exporter --listen 0.0.0.0:9899 --interval 10m --all-profiles",
            ),
        ],
    ),
    (
        "scope check",
        &[
            (
                "which scoping clause keeps a user out of an app job, and whether it is assigned",
                "provctl scope check ServiceNowOutDelta --object OBJECT-ID",
            ),
            (
                "cloud sync: the attributes the log's import step recorded",
                "provctl scope check AD2AADProvisioning --object OBJECT-GUID",
            ),
            (
                "offline: a schema and the object's attributes (or a log entry)",
                "provctl scope check --schema schema.json --object-file user.json",
            ),
        ],
    ),
    (
        "agents list",
        &[
            (
                "the cloud sync agents and their domains",
                "provctl agents list",
            ),
            ("as JSON", "provctl agents list -o json"),
        ],
    ),
    (
        "agents check",
        &[
            (
                "exit 7 unless every domain has an active agent",
                "provctl agents check",
            ),
            (
                "in a script",
                "provctl -o none agents check || echo no-active-agent",
            ),
        ],
    ),
    (
        "tenant deletion-prevention show",
        &[
            (
                "the tenant's accidental-deletion prevention",
                "provctl tenant deletion-prevention show",
            ),
            ("as JSON", "provctl tenant deletion-prevention show -o json"),
        ],
    ),
    (
        "tenant deletion-prevention disable",
        &[
            (
                "turn it off (asks first)",
                "provctl tenant deletion-prevention disable",
            ),
            (
                "see the request without sending it",
                "provctl tenant deletion-prevention disable --dry-run",
            ),
        ],
    ),
    (
        "tenant deletion-prevention enable",
        &[
            (
                "hold more than 500 deletes per cycle",
                "provctl tenant deletion-prevention enable --count 500",
            ),
            (
                "hold more than 10% of the objects",
                "provctl tenant deletion-prevention enable --percent 10 --yes",
            ),
        ],
    ),
    (
        "tenant job-threshold show",
        &[
            (
                "each cloud sync job's delete threshold",
                "provctl tenant job-threshold show",
            ),
            ("as JSON", "provctl tenant job-threshold show -o json"),
        ],
    ),
    (
        "tenant job-threshold set",
        &[
            (
                "hold more than 1000 deletes per run",
                "provctl tenant job-threshold set --sp corp.contoso.com --count 1000",
            ),
            (
                "turn the job's threshold off",
                "provctl tenant job-threshold set --sp corp.contoso.com --disable --yes",
            ),
        ],
    ),
    (
        "doctor network",
        &[
            (
                "every host and port the agent needs",
                "provctl doctor network",
            ),
            (
                "one host, through a proxy",
                "provctl doctor network --only login.microsoftonline.com --proxy http://proxy.contoso.com:8080",
            ),
        ],
    ),
    (
        "doctor auth",
        &[
            ("what the current sign-in may do", "provctl doctor auth"),
            (
                "a CI preflight: exit 4 unless restart is allowed",
                "provctl doctor auth --require 'jobs restart'",
            ),
        ],
    ),
    (
        "login",
        &[
            (
                "sign in as a user (device code)",
                "provctl login --tenant contoso.onmicrosoft.com",
            ),
            ("for a named profile", "provctl login --profile fabrikam"),
        ],
    ),
    (
        "logout",
        &[
            ("forget the profile's cached sign-ins", "provctl logout"),
            (
                "only those of one tenant",
                "provctl logout --tenant contoso.onmicrosoft.com",
            ),
        ],
    ),
    (
        "whoami",
        &[
            (
                "who the token belongs to, its scopes and roles",
                "provctl whoami",
            ),
            ("as JSON", "provctl whoami -o json"),
        ],
    ),
    (
        "config set",
        &[
            (
                "the default tenant of the profile",
                "provctl config set tenant contoso.onmicrosoft.com",
            ),
            (
                "another profile's sign-in method",
                "provctl config set auth device-code --profile fabrikam",
            ),
        ],
    ),
    (
        "config get",
        &[
            ("one setting", "provctl config get tenant"),
            (
                "of another profile",
                "provctl config get tenant --profile fabrikam",
            ),
        ],
    ),
    (
        "config list",
        &[
            ("every profile and its settings", "provctl config list"),
            ("as JSON", "provctl config list -o json"),
        ],
    ),
    (
        "config use",
        &[
            ("make a profile the default", "provctl config use fabrikam"),
            ("back to the default profile", "provctl config use default"),
        ],
    ),
    (
        "sim serve",
        &[
            (
                "run the emulator with the demo tenant",
                "provctl sim serve --port 8443",
            ),
            (
                "a generated tenant with faults",
                "provctl sim serve --generate logs=100000 --faults error-rate=0.05",
            ),
        ],
    ),
    (
        "completions",
        &[
            ("bash", "provctl completions bash"),
            ("zsh", "provctl completions zsh"),
        ],
    ),
    (
        "man",
        &[
            ("every man page into a directory", "provctl man --out man/"),
            ("the top page on stdout", "provctl man"),
        ],
    ),
    (
        "help",
        &[
            ("how to sign in", "provctl help auth"),
            (
                "the permissions each command needs",
                "provctl help permissions",
            ),
            ("a command's help", "provctl help jobs restart"),
        ],
    ),
];

/// The examples of one command (`jobs restart`), if it has any.
pub fn examples(command: &str) -> Option<&'static [(&'static str, &'static str)]> {
    EXAMPLES
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, e)| *e)
}

/// The command tree the binary parses with: clap's definition of [`Cli`], with every command's
/// examples after its help, the exit codes and topics after the top help, and the global options
/// hidden from the subcommands' help (they still parse everywhere; `provctl help global` lists
/// them). Completions use [`Cli::command`] itself, where the global options stay visible.
pub fn command() -> clap::Command {
    let root = Cli::command();
    let globals: Vec<Arg> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.clone().hide(true))
        .collect();
    let footer = format!("{}\n\n{}", exit_codes_text(), topics_text());
    let root = root.after_help(footer);
    decorate_subcommands(root, "", &globals)
}

fn decorate_subcommands(cmd: clap::Command, path: &str, globals: &[Arg]) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names.into_iter().fold(cmd, |cmd, name| {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd.mut_subcommand(&name, |mut sub| {
            for g in globals {
                // Defining the global argument on the subcommand stops clap from copying the
                // visible one into it; values still reach the top-level matches.
                if sub.get_arguments().all(|a| a.get_id() != g.get_id()) {
                    sub = sub.arg(g.clone());
                }
            }
            // A command's own text after its help (the reset scopes of `jobs restart`) stays first.
            let own = sub
                .get_after_help()
                .map(|h| format!("{h}\n\n"))
                .unwrap_or_default();
            let footer = format!("{own}{}", subcommand_footer(&sub_path));
            sub = sub.after_help(footer);
            decorate_subcommands(sub, &sub_path, globals)
        })
    })
}

fn subcommand_footer(path: &str) -> String {
    let mut s = String::new();
    if let Some(ex) = examples(path) {
        s.push_str("Examples:\n");
        for (what, line) in ex {
            s.push_str(&format!("  # {what}\n  {line}\n"));
        }
        s.push('\n');
    }
    s.push_str(
        "Global options (--tenant, --auth, -o, --query, --sim, -v, ...): provctl help global",
    );
    s
}

/// Parses the process arguments with [`command`]; prints help or the usage error and exits on
/// failure, as clap does.
pub fn parse() -> Cli {
    let mut matches = command().get_matches();
    Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut command()).exit())
}

/// `provctl help [TOPIC | COMMAND…]`.
pub fn run(args: &HelpArgs) -> Result<(), CliError> {
    let text = match args.words.as_slice() {
        [] => command().render_long_help().to_string(),
        [one] if topic(one).is_some() => topic(one).unwrap_or_default(),
        words => command_help(words)?,
    };
    super::docs::write_stdout(text.as_bytes())
}

/// The list of topics, one a line.
fn topics_text() -> String {
    let mut s = String::from("Help topics (provctl help TOPIC):\n");
    for (t, what) in TOPICS {
        s.push_str(&format!("  {t:<12} {what}\n"));
    }
    s.trim_end().to_owned()
}

/// The text of a topic, by name.
pub fn topic(name: &str) -> Option<String> {
    Some(match name {
        "auth" => AUTH_TOPIC.to_owned(),
        "output" => output_topic(),
        "exit-codes" => exit_codes_text(),
        "permissions" => permissions_topic(),
        "global" => global_topic(),
        _ => return None,
    })
}

/// clap's long help of a command path, exactly as `provctl <path> --help` prints it.
fn command_help(words: &[String]) -> Result<String, CliError> {
    let mut cmd = command();
    cmd.build();
    let mut at = &cmd;
    for (i, w) in words.iter().enumerate() {
        at = at.find_subcommand(w).ok_or_else(|| {
            let known: Vec<&str> = at
                .get_subcommands()
                .map(|s| s.get_name())
                .filter(|n| *n != "help")
                .collect();
            let mut err = CliError::usage(if i == 0 {
                format!("'{w}' is neither a help topic nor a provctl command")
            } else {
                format!(
                    "'{w}' is not a subcommand of `provctl {}`",
                    words[..i].join(" ")
                )
            });
            if i == 0 {
                err = err.hint(format!(
                    "topics: {}",
                    TOPICS
                        .iter()
                        .map(|(t, _)| *t)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            err.hint(format!("commands: {}", known.join(", ")))
        })?;
    }
    Ok(at.clone().render_long_help().to_string())
}

/// The exit-code table, from [`ErrorKind`].
pub fn exit_codes_text() -> String {
    let mut s = String::from("Exit codes:\n");
    for (code, meaning) in ErrorKind::table() {
        s.push_str(&format!("  {code}  {meaning}\n"));
    }
    s.trim_end().to_owned()
}

/// The global options, rendered by clap from their definitions.
fn global_topic() -> String {
    let globals: Vec<Arg> = Cli::command()
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let help = clap::Command::new("provctl")
        .disable_help_flag(true)
        .disable_version_flag(true)
        .max_term_width(110)
        .help_template(
            "Options every provctl command accepts, before or after the command:\n\n{all-args}",
        )
        .args(globals)
        .render_long_help()
        .to_string();
    format!(
        "{}\nThe environment variables are read only when the option is not given.",
        help.trim_end()
    )
}

const AUTH_TOPIC: &str = "\
Signing in

provctl signs in to Microsoft Graph in one of these ways (--auth METHOD, or `auth` in the profile):

  token              a ready access token: PROVCTL_ACCESS_TOKEN, or --token-stdin
  env                an app registration: AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET,
                     or AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD)
  certificate        --certificate FILE (PEM or PFX) with --tenant and --client-id
  workload-identity  AZURE_FEDERATED_TOKEN_FILE with AZURE_TENANT_ID and AZURE_CLIENT_ID (AKS, GitHub OIDC)
  managed-identity   on Azure: IDENTITY_ENDPOINT/IDENTITY_HEADER (App Service), or IMDS;
                     --client-id picks a user-assigned identity
  azure-cli          the account of `az login`, asked for the selected cloud's Graph; refused when
                     `az cloud show` names another cloud than --cloud
  device-code        a user: `provctl login` once, then cached and refreshed silently

When neither --auth nor the profile names a method, the first that applies wins:

  1. token              when --token-stdin is given or PROVCTL_ACCESS_TOKEN is set
  2. env                when AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH is set
  3. workload-identity  when AZURE_FEDERATED_TOKEN_FILE is set
  4. device-code        when `provctl login` has cached a sign-in for the profile
  5. managed-identity   when IDENTITY_ENDPOINT and IDENTITY_HEADER are set (IMDS only with --auth);
                        Cloud Shell's MSI_ENDPOINT without MSI_SECRET does not count
  6. azure-cli          when `az` is on PATH (in Cloud Shell: you)

An application (env, certificate, workload-identity, managed-identity) gets an app-only token with
application permissions; a user (device-code, azure-cli) gets a delegated token, and also needs a
directory role. Agents and tenant settings accept only a user. `provctl whoami` shows the token,
`provctl doctor auth` what it allows, `provctl help permissions` what each command needs.

A user sign-in asks for those permissions by name (https://graph.microsoft.com/<permission> and
offline_access), not .default: `provctl login` asks for every command family's, or only some:
  provctl login --scopes jobs,logs
(`--scopes default` asks for .default). A command needing a permission the cached token lacks
renews it; a permission nobody consented (AADSTS65001) needs an administrator's consent. A
Conditional Access claims challenge is passed back to Entra for a user sign-in and retried once;
an application cannot satisfy one.

Settings: --tenant (PROVCTL_TENANT), --client-id, --cloud (PROVCTL_CLOUD), --profile
(PROVCTL_PROFILE); `provctl config set tenant contoso.onmicrosoft.com` keeps them in the profile.
Device-code sign-ins are cached in the OS keyring when there is one, else in a file only you can
read (PROVCTL_CACHE_DIR moves it); --no-cache keeps nothing on disk.
With --sim, provctl signs in to its built-in emulator and needs nothing of this.";

fn output_topic() -> String {
    let mut s = String::from(
        "Output\n\n-o, --output FORMAT (or PROVCTL_OUTPUT) chooses how results are written:\n\n",
    );
    for f in OutputFormat::value_variants() {
        if let Some(v) = f.to_possible_value() {
            let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
            s.push_str(&format!("  {:<8} {help}\n", v.get_name()));
        }
    }
    s.push_str(OUTPUT_TOPIC);
    s
}

const OUTPUT_TOPIC: &str = "
Tables are for people; json, ndjson and yaml are for scripts and keep the same fields from run to
run. --query JMESPATH filters and reshapes the JSON before it is written in any format, e.g.
  provctl -o json jobs list --query \"[?status.code=='Quarantine'].id\"
Errors and hints go to stderr, never stdout; the exit code says what happened (`provctl help
exit-codes`).

What -o json prints:
  jobs list, quarantine list   an array of Graph synchronizationJob objects (id, templateId,
                               status, schedule, synchronizationJobSettings) each with
                               servicePrincipal {id, displayName}
  jobs show                    one such object
  jobs check                   an array of {jobId, servicePrincipal, health, line}
  quarantine show              {job, explanation}
  quarantine deletes           {servicePrincipalId, jobId, quarantinedTooManyDeletes, error,
                               lastRun, threshold, events: {state: listed|noCycle|refused, ...}}
  explain job|log|object       an explanation: {subject, findings, changes, history}
  logs search                  an array of Graph provisioningObjectSummary objects
  logs show                    one provisioningObjectSummary
  logs export                  a file (--format ndjson|json|csv): the records exactly as Graph sent them
  agents list                  the agents and the domains they serve
  tenant job-threshold show    an array of {servicePrincipalId, displayName, deleteThreshold, error}
  login                        {account, tenant, profile, clientId, scopes (granted), expiresOn, cache}
  whoami                       {tenant, identity, kind, method, expiresOn, scopes, roles, appId, objectId}
  doctor auth                  whoami's object plus commands: [{command, allowed, grantedBy,
                               missing, note, userSignInRequired}]";

/// `provctl help permissions`: the permission table, command by command.
pub fn permissions_topic() -> String {
    let mut s = String::from(
        "Permissions\n\nWhat each command needs from Microsoft Graph (the fewest permissions; any listed alternative\nalso works). A user (delegated sign-in) also needs one of the directory roles.\n`provctl doctor auth` checks your token against this table.\n",
    );
    for c in permissions::COMMANDS {
        s.push_str(&format!("\n{}\n", c.command));
        s.push_str(&format!(
            "  delegated:   {}\n",
            c.delegated_scopes().join(", ")
        ));
        s.push_str(&format!("  application: {}\n", application_line(c)));
        let roles = user_roles(c);
        if !roles.is_empty() {
            s.push_str(&format!("  user role:   {}\n", roles.join(" or ")));
        }
        for op in c.optional {
            s.push_str(&format!(
                "  optional:    {} (without it, that part is skipped)\n",
                permissions::grant(*op).request
            ));
        }
    }
    s.push_str("\nGraph calls, and every permission that grants each:\n");
    for g in permissions::GRANTS {
        s.push_str(&format!("\n{}\n  to {}\n", g.request, g.action));
        s.push_str(&format!("  delegated:   {}\n", g.delegated.join(", ")));
        let app = if g.app_only_supported() {
            g.application.join(", ")
        } else {
            "none: a user must sign in".to_owned()
        };
        s.push_str(&format!("  application: {app}\n"));
    }
    s.push_str(&format!(
        "\nCommands that make no Graph call: {}.",
        LOCAL_COMMANDS.join(", ")
    ));
    s
}

fn application_line(c: &CommandNeeds) -> String {
    let roles = c.application_roles();
    if roles.is_empty() {
        "none: a user must sign in (Graph has no application permission for it)".to_owned()
    } else {
        roles.join(", ")
    }
}

fn user_roles(c: &CommandNeeds) -> Vec<&'static str> {
    let mut roles: Vec<&str> = Vec::new();
    for op in c.required {
        for r in permissions::grant(*op).user_roles {
            if !roles.contains(r) {
                roles.push(r);
            }
        }
    }
    roles
}

#[cfg(test)]
mod tests;

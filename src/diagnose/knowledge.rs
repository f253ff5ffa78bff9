//! The knowledge base: codes, reasons and known cases with their meaning, causes, next steps and sources.
//! It lives in `knowledge.toml` beside this file, embedded at build time and parsed once on first use
//! (`LazyLock`), so explaining thousands of entries never re-reads it. Adding a code is one `[[entry]]`.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde::Deserialize;

use super::finding::{Category, Evidence, Finding, NextStep, Severity, Source};

const KNOWLEDGE_TOML: &str = include_str!("knowledge.toml");

static KNOWLEDGE: LazyLock<Knowledge> = LazyLock::new(|| {
    // The file is ours and a test parses it; should it ever fail, explain honestly without knowledge
    // rather than panic in an admin's terminal.
    Knowledge::parse(KNOWLEDGE_TOML).unwrap_or_default()
});

/// Where a code is met; one key may exist once per scope (`TimeOut` for a job, `Timeout` for an object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// `job.status.quarantine.reason`.
    QuarantineReason,
    /// `synchronizationError.code` of a job (quarantine or last execution).
    JobError,
    /// `provisioningStatusInfo.errorInformation.errorCode` of a provisioning log entry.
    ObjectError,
    /// A `SkipReason` step detail or a provisionOnDemand `key.details.errorCode`.
    SkipReason,
    /// The Graph error envelope's code, or the OAuth error of a sign-in answer.
    GraphError,
    /// An AADSTS code of a sign-in answer: the title is the cause, the first step the fix.
    SignIn,
    /// A situation the engine recognises (not a code found in data).
    Case,
}

/// One entry of the knowledge base.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The code, reason or case name.
    pub key: String,
    /// Other spellings of the same code.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Also matches app-prefixed codes ending with the key (`ContosoEntryConflict`).
    #[serde(default)]
    pub suffix: bool,
    /// Where the code is met: one scope, or several when one meaning is met in several places
    /// (`scope = ["sign-in", "graph-error"]`).
    #[serde(rename = "scope", deserialize_with = "one_or_more_scopes")]
    pub scopes: Vec<Scope>,
    /// A short label.
    pub title: String,
    /// The kind of problem.
    pub category: Category,
    /// How bad it is.
    pub severity: Severity,
    /// What it means.
    pub meaning: String,
    /// Likely causes, most likely first.
    #[serde(default)]
    pub causes: Vec<String>,
    /// What to do, in order.
    #[serde(default)]
    pub steps: Vec<StepTemplate>,
    /// The code alone doesn't say why: read the message.
    #[serde(default)]
    pub generic: bool,
    /// Lower-case phrases that, in the message of a generic or unknown code, point to this entry.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Source document ids.
    pub sources: Vec<String>,
}

impl Entry {
    /// Whether the code is met in `scope`.
    pub fn in_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// `scope = "graph-error"` or `scope = ["sign-in", "graph-error"]`; never none.
fn one_or_more_scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Scope>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMore {
        One(Scope),
        More(Vec<Scope>),
    }
    match OneOrMore::deserialize(d)? {
        OneOrMore::One(s) => Ok(vec![s]),
        OneOrMore::More(v) if !v.is_empty() => Ok(v),
        OneOrMore::More(_) => Err(serde::de::Error::custom(
            "an entry needs at least one scope",
        )),
    }
}

/// A next step as written in the knowledge file, with placeholders in its command.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTemplate {
    /// The action in words.
    pub text: String,
    /// The provctl command, with `{job}`, `{sp}`, `{object_id}`, `{log_id}`, `{tenant_id}` placeholders.
    pub command: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnowledgeFile {
    sources: BTreeMap<String, SourceDoc>,
    entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceDoc {
    title: String,
    document: String,
}

/// The parsed knowledge base, with its lookup tables.
#[derive(Debug, Default)]
pub struct Knowledge {
    entries: Vec<Entry>,
    exact: HashMap<(Scope, String), usize>,
    folded: HashMap<(Scope, String), usize>,
    /// (scope, lower-case suffix, entry), longest suffix first.
    suffixes: Vec<(Scope, String, usize)>,
    /// (lower-case pattern, entry), longest pattern first.
    patterns: Vec<(String, usize)>,
    sources: BTreeMap<String, Source>,
}

/// Values for the placeholders of step commands; a missing value leaves a visible `<PLACEHOLDER>`.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// `{job}`: how the CLI names the job (`<service principal>/<job id>`).
    pub job: Option<String>,
    /// `{object_id}`: the source object id (the AD ObjectGuid for cloud sync).
    pub object_id: Option<String>,
    /// `{log_id}`: a provisioning log entry id.
    pub log_id: Option<String>,
    /// `{tenant_id}`: the tenant id.
    pub tenant_id: Option<String>,
}

impl Vars {
    /// Replaces the placeholders in a command template.
    pub fn fill(&self, template: &str) -> String {
        let pick = |v: &Option<String>, default: &str| -> String {
            v.as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(shell_word)
                .unwrap_or_else(|| default.to_owned())
        };
        // `{sp}`: the service principal part of `{job}`.
        let sp = self
            .job
            .as_deref()
            .and_then(|j| j.split_once('/'))
            .map(|(sp, _)| sp.to_owned());
        template
            .replace("{sp}", &pick(&sp, "<SP>"))
            .replace("{job}", &pick(&self.job, "<SP>/<JOB>"))
            .replace("{object_id}", &pick(&self.object_id, "<OBJECT-ID>"))
            .replace("{log_id}", &pick(&self.log_id, "<LOG-ID>"))
            .replace("{tenant_id}", &pick(&self.tenant_id, "<TENANT-ID>"))
    }
}

/// Quotes a value for a POSIX shell when it holds anything but plain characters.
fn shell_word(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:@{}=,+".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A knowledge-file problem found while loading it.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// The TOML didn't parse or didn't fit the format.
    #[error("knowledge.toml: {0}")]
    Parse(#[from] toml::de::Error),
    /// Two entries claim the same key in one scope.
    #[error("knowledge.toml: {key} appears twice in scope {scope:?}")]
    Duplicate {
        /// The key.
        key: String,
        /// The scope.
        scope: Scope,
    },
    /// An entry names a source that `[sources]` doesn't define.
    #[error("knowledge.toml: entry {key} cites unknown source {source_id}")]
    UnknownSource {
        /// The entry.
        key: String,
        /// The source id.
        source_id: String,
    },
}

impl Knowledge {
    /// The embedded knowledge base, parsed on first use.
    pub fn global() -> &'static Knowledge {
        &KNOWLEDGE
    }

    /// Parses and indexes a knowledge file.
    pub fn parse(text: &str) -> Result<Knowledge, KnowledgeError> {
        let file: KnowledgeFile = toml::from_str(text)?;
        let mut k = Knowledge {
            sources: file
                .sources
                .into_iter()
                .map(|(id, d)| {
                    let s = Source {
                        id: id.clone(),
                        title: d.title,
                        document: d.document,
                    };
                    (id, s)
                })
                .collect(),
            ..Knowledge::default()
        };
        for (i, e) in file.entry.iter().enumerate() {
            for source_id in &e.sources {
                if !k.sources.contains_key(source_id) {
                    return Err(KnowledgeError::UnknownSource {
                        key: e.key.clone(),
                        source_id: source_id.clone(),
                    });
                }
            }
            for name in std::iter::once(&e.key).chain(&e.aliases) {
                for &scope in &e.scopes {
                    let dup = k.exact.insert((scope, name.clone()), i).is_some()
                        | k.folded
                            .insert((scope, name.to_ascii_lowercase()), i)
                            .is_some();
                    if dup {
                        return Err(KnowledgeError::Duplicate {
                            key: name.clone(),
                            scope,
                        });
                    }
                    if e.suffix {
                        k.suffixes.push((scope, name.to_ascii_lowercase(), i));
                    }
                }
            }
            for p in &e.patterns {
                k.patterns.push((p.to_lowercase(), i));
            }
        }
        k.suffixes
            .sort_by_key(|(_, s, _)| std::cmp::Reverse(s.len()));
        k.patterns.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        k.entries = file.entry;
        Ok(k)
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Finds a code in the given scopes (in order): exactly, then ignoring case, then as an
    /// app-prefixed code ending with a `suffix` key (`ContosoEntryConflict` → `EntryConflict`). Other
    /// scopes are never searched: `Unknown` in a log entry is not the quarantine reason `Unknown`.
    pub fn lookup(&self, code: &str, scopes: &[Scope]) -> Option<&Entry> {
        let code = code.trim();
        if code.is_empty() {
            return None;
        }
        let folded = code.to_ascii_lowercase();
        scopes
            .iter()
            .find_map(|s| self.exact.get(&(*s, code.to_owned())))
            .or_else(|| {
                scopes
                    .iter()
                    .find_map(|s| self.folded.get(&(*s, folded.clone())))
            })
            .or_else(|| {
                self.suffixes
                    .iter()
                    .find(|(s, suffix, _)| scopes.contains(s) && folded.ends_with(suffix.as_str()))
                    .map(|(_, _, i)| i)
            })
            .and_then(|i| self.entries.get(*i))
    }

    /// A case entry by its key (`agent-filtered`, `inconsistent-failure`, ...).
    pub fn case(&self, key: &str) -> Option<&Entry> {
        self.exact
            .get(&(Scope::Case, key.to_owned()))
            .and_then(|i| self.entries.get(*i))
    }

    /// The entry whose pattern occurs in `message` (longest pattern wins), limited to `scopes`, with the
    /// pattern that matched. Used when the code is generic or unknown.
    pub fn match_message(&self, message: &str, scopes: &[Scope]) -> Option<(&Entry, &str)> {
        if message.trim().is_empty() {
            return None;
        }
        let lower = message.to_lowercase();
        self.patterns.iter().find_map(|(p, i)| {
            let e = self.entries.get(*i)?;
            (scopes.iter().any(|s| e.in_scope(*s)) && lower.contains(p.as_str()))
                .then_some((e, p.as_str()))
        })
    }

    /// The source documents an entry cites.
    pub fn sources_of(&self, entry: &Entry) -> Vec<Source> {
        entry
            .sources
            .iter()
            .filter_map(|id| self.sources.get(id).cloned())
            .collect()
    }

    /// A source document by id.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.get(id)
    }

    /// Builds a finding from an entry: its title, category, severity, causes, steps and sources, with
    /// the given summary and evidence. `vars` fills the command placeholders.
    pub fn finding(
        &self,
        entry: &Entry,
        summary: String,
        evidence: Vec<Evidence>,
        vars: &Vars,
    ) -> Finding {
        Finding {
            severity: entry.severity,
            category: entry.category,
            code: Some(entry.key.clone()),
            title: entry.title.clone(),
            summary,
            evidence,
            causes: entry.causes.clone(),
            next_steps: entry
                .steps
                .iter()
                .map(|s| NextStep {
                    text: s.text.clone(),
                    command: s.command.as_deref().map(|c| vars.fill(c)),
                })
                .collect(),
            sources: self.sources_of(entry),
            known: true,
        }
    }

    /// A finding from a case entry; if the case is somehow missing, a plain finding with the summary.
    pub fn case_finding(
        &self,
        key: &str,
        summary: String,
        evidence: Vec<Evidence>,
        vars: &Vars,
    ) -> Finding {
        match self.case(key) {
            Some(e) => self.finding(e, summary, evidence, vars),
            None => Finding {
                severity: Severity::Warning,
                category: Category::Unknown,
                code: Some(key.to_owned()),
                title: key.to_owned(),
                summary,
                evidence,
                causes: Vec::new(),
                next_steps: Vec::new(),
                sources: Vec::new(),
                known: false,
            },
        }
    }
}

/// The case keys the engine uses; a test checks each one exists in the knowledge file.
pub(crate) mod cases {
    pub const SCOPING_FILTER: &str = "scoping-filter";
    pub const NOT_ENTITLED: &str = "NotEffectivelyEntitled";
    pub const NOT_ASSIGNED: &str = "not-assigned";
    pub const CRITICAL_SYSTEM_OBJECT: &str = "IsCriticalSystemObject";
    pub const REPLICATION_VICTIM: &str = "replication-victim";
    pub const AGENT_FILTERED: &str = "agent-filtered";
    pub const TENANT_DELETION_PREVENTION: &str = "tenant-deletion-prevention";
    pub const IMPORT_FAILED: &str = "import-failed";
    pub const MATCHING_FAILED: &str = "matching-failed";
    pub const REFERENCE_UNRESOLVED: &str = "reference-unresolved";
    pub const EXPORT_FAILED: &str = "export-failed";
    pub const INCONSISTENT: &str = "inconsistent-failure";
    pub const SUCCESS: &str = "success";
    pub const NO_CHANGE: &str = "no-change";
    pub const SKIPPED: &str = "skipped";
    pub const SKIPPED_DELETE: &str = "skipped-delete";
    pub const WARNING: &str = "warning";
    pub const OBJECT_NOT_FOUND: &str = "object-not-found";
    pub const JOB_HEALTHY: &str = "job-healthy";
    pub const JOB_ENTRY_LEVEL_ERRORS: &str = "job-entry-level-errors";
    pub const JOB_FAILED_RUN: &str = "job-failed-run";
    pub const JOB_NOT_RUN: &str = "job-not-run";
    pub const JOB_NOT_CONFIGURED: &str = "job-not-configured";
    pub const JOB_PAUSED: &str = "job-paused";
    pub const ESCROWS_PRUNED: &str = "escrows-pruned";
    pub const QUARANTINE_DISABLE_NEAR: &str = "quarantine-disable-near";
    pub const UNKNOWN: &str = "unknown";
    pub const AGENT_NOT_ACTIVE: &str = "agent-not-active";
    pub const AGENTS_HEALTHY: &str = "agents-healthy";
    pub const GRAPH_TRANSPORT: &str = "graph-transport";
    pub const GRAPH_DECODE: &str = "graph-decode";
    pub const GRAPH_SIGN_IN: &str = "graph-sign-in";
    pub const GRAPH_INVALID_INPUT: &str = "graph-invalid-input";

    /// Every case key above.
    #[cfg(test)]
    pub const ALL: &[&str] = &[
        SCOPING_FILTER,
        NOT_ENTITLED,
        NOT_ASSIGNED,
        CRITICAL_SYSTEM_OBJECT,
        REPLICATION_VICTIM,
        AGENT_FILTERED,
        TENANT_DELETION_PREVENTION,
        IMPORT_FAILED,
        MATCHING_FAILED,
        REFERENCE_UNRESOLVED,
        EXPORT_FAILED,
        INCONSISTENT,
        SUCCESS,
        NO_CHANGE,
        SKIPPED,
        WARNING,
        OBJECT_NOT_FOUND,
        JOB_HEALTHY,
        JOB_ENTRY_LEVEL_ERRORS,
        JOB_FAILED_RUN,
        JOB_NOT_RUN,
        JOB_NOT_CONFIGURED,
        JOB_PAUSED,
        ESCROWS_PRUNED,
        QUARANTINE_DISABLE_NEAR,
        UNKNOWN,
        AGENT_NOT_ACTIVE,
        AGENTS_HEALTHY,
        GRAPH_TRANSPORT,
        GRAPH_DECODE,
        GRAPH_SIGN_IN,
        GRAPH_INVALID_INPUT,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_knowledge_file_parses_and_every_case_the_engine_uses_exists() {
        let k = Knowledge::parse(KNOWLEDGE_TOML).expect("knowledge.toml parses");
        for key in cases::ALL {
            assert!(k.case(key).is_some(), "missing case entry {key}");
        }
        assert!(Knowledge::global().entries().len() == k.entries().len());
    }

    #[test]
    fn every_entry_cites_a_source_and_every_command_is_a_provctl_command_with_known_placeholders() {
        let k = Knowledge::global();
        for e in k.entries() {
            assert!(!e.sources.is_empty(), "{} has no source", e.key);
            assert!(!e.meaning.trim().is_empty(), "{} has no meaning", e.key);
            for s in &e.steps {
                if let Some(c) = &s.command {
                    assert!(c.starts_with("provctl "), "{}: {c}", e.key);
                    let filled = Vars::default().fill(c);
                    assert!(
                        !filled.contains('{'),
                        "{}: unknown placeholder in {c}",
                        e.key
                    );
                }
            }
            for p in &e.patterns {
                assert_eq!(p, &p.to_lowercase(), "{}: patterns are lower-case", e.key);
            }
        }
    }

    #[test]
    fn the_same_spelling_in_two_scopes_means_two_things() {
        let k = Knowledge::global();
        let job = k.lookup("TimeOut", &[Scope::JobError]).unwrap();
        let obj = k.lookup("Timeout", &[Scope::ObjectError]).unwrap();
        assert_eq!(job.category, Category::Agent);
        assert_eq!(obj.category, Category::Transient);
        // Ignoring case still prefers the asked scope.
        assert_eq!(
            k.lookup("timeout", &[Scope::JobError]).unwrap().key,
            "TimeOut"
        );
    }

    /// A sign-in code means the same wherever it is met, so it is written once: one entry with
    /// several scopes, never a second entry (nor a pattern of another entry) beside it.
    #[test]
    fn every_sign_in_code_and_every_pattern_is_one_entry() {
        let k = Knowledge::global();
        let mut owner: HashMap<String, &str> = HashMap::new();
        for e in k.entries() {
            let codes = std::iter::once(&e.key)
                .chain(&e.aliases)
                .filter(|n| n.to_ascii_uppercase().starts_with("AADSTS"))
                .map(|n| n.to_ascii_uppercase());
            let patterns = e.patterns.iter().map(|p| format!("pattern {p}"));
            for name in codes.chain(patterns) {
                if let Some(first) = owner.insert(name.clone(), &e.key) {
                    panic!("{name} is in two entries: {first} and {}", e.key);
                }
            }
        }
        // Each of the codes once met twice is now one entry that serves both uses.
        for code in ["AADSTS65001", "AADSTS700016", "AADSTS90002"] {
            let sign_in = k.lookup(code, &[Scope::SignIn]).unwrap();
            let graph = k.lookup(code, &[Scope::GraphError]).unwrap();
            assert!(std::ptr::eq(sign_in, graph), "{code}");
        }
    }

    #[test]
    fn an_entry_may_have_several_scopes_but_not_none() {
        let file = |scope: &str| {
            format!(
                "[sources.S]\ntitle = \"t\"\ndocument = \"d\"\n\n[[entry]]\nkey = \"X1\"\nscope = {scope}\ntitle = \"t\"\ncategory = \"service\"\nseverity = \"error\"\nmeaning = \"m\"\nsources = [\"S\"]\n"
            )
        };
        let k = Knowledge::parse(&file(r#"["sign-in", "graph-error"]"#)).unwrap();
        assert!(k.lookup("X1", &[Scope::SignIn]).is_some());
        assert!(k.lookup("x1", &[Scope::GraphError]).is_some());
        assert!(k.lookup("X1", &[Scope::ObjectError]).is_none());
        assert!(Knowledge::parse(&file(r#""case""#)).is_ok());
        assert!(Knowledge::parse(&file("[]")).is_err());
    }

    #[test]
    fn app_prefixed_codes_match_by_suffix_and_aliases_match() {
        let k = Knowledge::global();
        let e = k
            .lookup("ContosoEntryConflict", &[Scope::ObjectError])
            .unwrap();
        assert_eq!(e.key, "EntryConflict");
        let e = k
            .lookup("SalesforceInvalidCredentials", &[Scope::JobError])
            .unwrap();
        assert_eq!(e.category, Category::Credentials);
        let e = k
            .lookup("QuarantineOnDemand", &[Scope::QuarantineReason])
            .unwrap();
        assert_eq!(e.key, "QuarantinedOnDemand");
        assert!(k.lookup("NoSuchCodeAtAll", &[Scope::ObjectError]).is_none());
        // Never across scopes.
        assert!(k.lookup("Unknown", &[Scope::ObjectError]).is_none());
        assert!(k.lookup("Unknown", &[Scope::QuarantineReason]).is_some());
        assert!(k.lookup("  ", &[Scope::ObjectError]).is_none());
    }

    #[test]
    fn messages_point_to_entries_by_their_most_specific_phrase() {
        let k = Knowledge::global();
        let (e, p) = k
            .match_message(
                "Contoso returned an error response with the HTTP status code 409.",
                &[Scope::ObjectError, Scope::Case],
            )
            .unwrap();
        assert_eq!(e.key, "EntryConflict");
        assert_eq!(p, "status code 409");
        assert!(k.match_message("", &[Scope::ObjectError]).is_none());
    }

    #[test]
    fn placeholders_are_filled_and_quoted_or_left_visible() {
        let v = Vars {
            job: Some("sp-1/AD2AADProvisioning.abc".into()),
            object_id: Some("it's odd".into()),
            ..Vars::default()
        };
        assert_eq!(
            v.fill("provctl jobs restart {job} --reset escrows,quarantine"),
            "provctl jobs restart sp-1/AD2AADProvisioning.abc --reset escrows,quarantine"
        );
        assert_eq!(
            v.fill("provctl logs search --object-guid {object_id}"),
            r"provctl logs search --object-guid 'it'\''s odd'"
        );
        assert_eq!(
            v.fill("provctl tenant job-threshold set --sp {sp} --count <N>"),
            "provctl tenant job-threshold set --sp sp-1 --count <N>"
        );
        assert_eq!(
            v.fill("provctl explain log {log_id}"),
            "provctl explain log <LOG-ID>"
        );
    }
}

//! Flags with a closed set of values (`--auth`, `--reset`, `--status`, `--action`, `--reason`),
//! typed at the edge: clap parses them into the library's own types, in any case, so a handler
//! never sees a raw string. The library's `FromStr` decides (with its aliases and its message
//! naming what is accepted); [`clap::ValueEnum`] lists the values for `--help` and completions.

use std::ffi::OsStr;
use std::marker::PhantomData;
use std::str::FromStr;

use clap::ValueEnum;
use clap::builder::{PossibleValue, TypedValueParser};

use crate::graph::auth::AuthMethod;
use crate::graph::logs::{ActionFilter, StatusFilter};
use crate::graph::model::QuarantineReason;
use crate::graph::sync::JobState;

/// A value parser for a library type: parsed by its `FromStr`, listed by its [`ValueEnum`].
#[derive(Debug)]
pub struct Closed<T>(PhantomData<fn() -> T>);

impl<T> Clone for Closed<T> {
    fn clone(&self) -> Self {
        Closed(PhantomData)
    }
}

impl<T> Closed<T> {
    /// The parser.
    pub fn new() -> Self {
        Closed(PhantomData)
    }
}

impl<T> Default for Closed<T> {
    fn default() -> Self {
        Closed::new()
    }
}

impl<T> TypedValueParser for Closed<T>
where
    T: ValueEnum + FromStr + Clone + Send + Sync + 'static,
    <T as FromStr>::Err: std::fmt::Display,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let flag = arg
            .and_then(|a| a.get_long())
            .map(|l| format!("--{l}"))
            .unwrap_or_else(|| "value".into());
        let text = value.to_string_lossy();
        text.parse::<T>().map_err(|e| {
            let message = e.to_string();
            // Library messages already name the flag; others get it in front.
            let message = if message.contains(&flag) {
                message
            } else {
                format!("{flag} '{text}': {message}")
            };
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{message}\n"))
                .with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            T::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

impl ValueEnum for AuthMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &AuthMethod::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            AuthMethod::Env => "an app from the AZURE_* variables (secret or certificate)",
            AuthMethod::Certificate => "an app with a certificate file (--certificate)",
            AuthMethod::WorkloadIdentity => "a federated token file (AKS, CI OIDC)",
            AuthMethod::ManagedIdentity => "the Azure managed identity of this host",
            AuthMethod::AzureCli => "the account signed in to the Azure CLI",
            AuthMethod::DeviceCode => "a user, signed in with a device code (`provctl login`)",
            AuthMethod::Token => "a ready access token (PROVCTL_ACCESS_TOKEN, --token-stdin)",
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

impl ValueEnum for StatusFilter {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            StatusFilter::Success,
            StatusFilter::Failure,
            StatusFilter::Skipped,
            StatusFilter::Warning,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_graph()))
    }
}

impl ValueEnum for ActionFilter {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ActionFilter::Create,
            ActionFilter::Update,
            ActionFilter::Delete,
            ActionFilter::Disable,
            ActionFilter::StagedDelete,
            ActionFilter::Other,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let name = match self {
            ActionFilter::StagedDelete => "staged-delete",
            other => other.as_graph(),
        };
        Some(PossibleValue::new(name))
    }
}

/// `--status` of the job selections (`jobs list`, the actions on many jobs): lower-case names,
/// matched in any case (`#[arg(value_enum, ignore_case = true)]`).
impl ValueEnum for JobState {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            JobState::Active,
            JobState::Paused,
            JobState::Quarantine,
            JobState::NotRun,
            JobState::NotConfigured,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, help) = match self {
            JobState::Active => ("active", "Running on schedule"),
            JobState::Paused => ("paused", "Paused, state kept"),
            JobState::Quarantine => ("quarantine", "Quarantined"),
            JobState::NotRun => ("notrun", "Configured, first run not completed"),
            JobState::NotConfigured => ("notconfigured", "Never configured"),
        };
        Some(PossibleValue::new(name).help(help))
    }
}

/// `--reason`: a quarantine reason Graph documents, in any case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownQuarantineReason(pub QuarantineReason);

impl FromStr for KnownQuarantineReason {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let reason = QuarantineReason::parse(s.trim());
        if reason.is_known() {
            Ok(KnownQuarantineReason(reason))
        } else {
            Err(format!(
                "--reason '{s}' is not a quarantine reason; accepted: {}",
                QuarantineReason::KNOWN.join(", ")
            ))
        }
    }
}

impl ValueEnum for KnownQuarantineReason {
    fn value_variants<'a>() -> &'a [Self] {
        static ALL: std::sync::OnceLock<Vec<KnownQuarantineReason>> = std::sync::OnceLock::new();
        ALL.get_or_init(|| {
            QuarantineReason::KNOWN
                .iter()
                .map(|r| KnownQuarantineReason(QuarantineReason::parse(r)))
                .collect()
        })
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        QuarantineReason::KNOWN
            .iter()
            .find(|k| **k == self.0.as_str())
            .map(|k| PossibleValue::new(*k))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[arg(long, value_parser = Closed::<AuthMethod>::new())]
        auth: Option<AuthMethod>,
        #[arg(long, value_parser = Closed::<StatusFilter>::new())]
        status: Option<StatusFilter>,
        #[arg(long, value_parser = Closed::<ActionFilter>::new())]
        action: Option<ActionFilter>,
        #[arg(long, value_parser = Closed::<KnownQuarantineReason>::new())]
        reason: Option<KnownQuarantineReason>,
    }

    #[test]
    fn closed_values_parse_in_any_case_into_the_library_types() {
        let f = Flags::try_parse_from([
            "x",
            "--auth",
            "Device-Code",
            "--status",
            "FAILURE",
            "--action",
            "Staged-Delete",
            "--reason",
            "toomanydeletes",
        ])
        .unwrap();
        assert_eq!(f.auth, Some(AuthMethod::DeviceCode));
        assert_eq!(f.status, Some(StatusFilter::Failure));
        assert_eq!(f.action, Some(ActionFilter::StagedDelete));
        assert_eq!(f.reason.unwrap().0, QuarantineReason::TooManyDeletes);
    }

    #[test]
    fn a_bad_value_is_a_usage_error_naming_it_and_what_is_accepted() {
        let e = Flags::try_parse_from(["x", "--reason", "tired"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains("--reason 'tired'") && text.contains("TooManyDeletes"),
            "{text}"
        );
        let e = Flags::try_parse_from(["x", "--auth", "password"]).unwrap_err();
        assert!(e.to_string().contains("password") && e.to_string().contains("device-code"));
    }
}

//! Resolution: the one place that turns what a user typed into a job or a service principal.
//! Every command that names a job or an application calls this module; none parses a reference
//! itself.
//!
//! A job is named, in every command, by any of:
//! - `SP/JOB`: the service principal by object id, appId or display name (`corp.contoso.com`),
//!   then the job by any form below;
//! - `JOB` with `--sp SP` (same forms);
//! - `JOB` alone: a full job id, a template name (`salesforce`), a unique prefix of the template
//!   or the id (`AD2AADPass`), or the `…4d5e01` suffix the tables print (`...4d5e01` too).
//!
//! How a reference is looked up, cheapest first:
//! - a service principal by a filtered `GET /servicePrincipals` (`id`/`appId` for a GUID,
//!   `displayName` otherwise), then only its job list;
//! - a cloud sync job (`AD2AAD…`, `AAD2AD…`) without `--sp`: only the cloud sync configurations
//!   (`applicationTemplateId eq …`), then the whole tenant if it is not there;
//! - any other bare job name: the tenant's `$batch` discovery ([`discover_jobs`]).
//!
//! A listing that failed is never read as "no jobs": not-found says how many could not be read,
//! and when Graph refused every list the answer is [`ResolveError::Refused`], naming the
//! permission. Values that cannot be a URL path segment (`..`, `.`, empty) are refused before any
//! request ([`ResolveError::Invalid`]).
//!
//! The API, for commands:
//! - [`JobRef::parse`] then [`JobRef::resolve`] → one [`JobEntry`];
//! - [`JobRef::resolve_job_id`] → the job id provisioning logs carry (no request for a full id);
//! - [`find_service_principals`] / [`resolve_service_principal`] → the application(s) `--sp` names;
//! - [`find_jobs`] → [`discover_jobs`], except that an `--sp` naming nothing is not found;
//! - [`JobInventory::outcome`] → what a listing with failures means (refused, partial).

use super::discovery::{
    DiscoverOptions, JobEntry, JobInventory, discover_jobs, jobs_of, list_service_principals,
    looks_like_guid, service_principal_filter,
};
use crate::graph::model::{ServicePrincipal, is_cloud_sync_template};
use crate::graph::path::check_segment;
use crate::graph::permissions::{Operation, grant};
use crate::graph::{GraphClient, GraphError};

/// Why a job or service principal reference could not be resolved to what it names.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The reference itself is malformed (empty, `..`, a `/` in a job id): a usage error.
    #[error("{message}")]
    Invalid {
        /// What is wrong, naming the value and what is accepted.
        message: String,
    },
    /// Nothing matched.
    #[error("{message}")]
    NotFound {
        /// What was looked for and where (and how many listings could not be read).
        message: String,
        /// The jobs that exist (`SP/JOB (template, status)`), to pick from.
        candidates: Vec<String>,
        /// Service principals whose job list could not be read, so the job may be among them.
        unchecked: usize,
    },
    /// More than one job (or service principal) matched.
    #[error("{message}")]
    Ambiguous {
        /// What was looked for.
        message: String,
        /// The jobs that matched.
        candidates: Vec<String>,
    },
    /// Graph refused every job list looked at (401/403): the token lacks the read permission.
    #[error("{message}")]
    Refused {
        /// What was refused.
        message: String,
        /// The least permission that grants the listing (`Synchronization.Read.All`).
        permission: &'static str,
    },
    /// Some job lists could not be read; what was read is still valid.
    #[error("{message}")]
    Partial {
        /// How many failed, and how many of those were refused.
        message: String,
    },
    /// A Graph call failed while looking.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl ResolveError {
    /// The candidate jobs, one per line.
    pub fn candidates(&self) -> &[String] {
        match self {
            ResolveError::NotFound { candidates, .. }
            | ResolveError::Ambiguous { candidates, .. } => candidates,
            _ => &[],
        }
    }
}

fn invalid(message: String) -> ResolveError {
    ResolveError::Invalid { message }
}

/// The permission that reading job lists needs, from the one permission table.
fn list_jobs_permission() -> &'static str {
    let g = grant(Operation::ListJobs);
    g.least_delegated
        .or(g.delegated.first().copied())
        .unwrap_or("Synchronization.Read.All")
}

impl JobInventory {
    /// What a listing means beyond its jobs: `Refused` when Graph refused every job list (the
    /// token lacks [`Operation::ListJobs`]' permission; an empty table would be a lie), `Partial`
    /// when some lists could not be read, `Ok` when all were.
    pub fn outcome(&self) -> Result<(), ResolveError> {
        if self.all_refused() {
            let permission = list_jobs_permission();
            return Err(ResolveError::Refused {
                message: format!(
                    "Graph refused to list the synchronization jobs of all {} applications looked at (401/403): the token lacks {permission}",
                    self.service_principals
                ),
                permission,
            });
        }
        if self.failures.is_empty() {
            return Ok(());
        }
        let refused = self.refused();
        let why = if refused > 0 {
            format!(" ({refused} refused: {} needed)", list_jobs_permission())
        } else {
            String::new()
        };
        Err(ResolveError::Partial {
            message: format!(
                "the jobs of {} of {} applications could not be listed{why}",
                self.failures.len(),
                self.service_principals
            ),
        })
    }
}

/// True for the shape of a full job id: `Template.<32 hex>` or `Template.<32 hex>.<GUID>`
/// (`AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da.26effcb4-…`). Such an id is unique in
/// the tenant, so logs can be filtered by it without asking Graph.
pub fn looks_like_job_id(value: &str) -> bool {
    let mut parts = value.split('.');
    let template = parts.next().unwrap_or_default();
    let tenant = parts.next().unwrap_or_default();
    let rest = parts.next();
    !template.is_empty()
        && template
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && tenant.len() == 32
        && tenant.chars().all(|c| c.is_ascii_hexdigit())
        && rest.is_none_or(looks_like_guid)
        && parts.next().is_none()
}

fn check_value(value: &str, what: &str) -> Result<(), ResolveError> {
    check_segment(value).map_err(|e| invalid(format!("{what}: {e}")))
}

/// Every service principal that `value` names (object id or appId for a GUID, else display name;
/// several applications may share a display name), with one filtered `GET /servicePrincipals`.
/// None is [`ResolveError::NotFound`], naming the value.
pub async fn find_service_principals(
    client: &GraphClient,
    value: &str,
) -> Result<Vec<ServicePrincipal>, ResolveError> {
    let value = value.trim();
    check_value(value, "--sp")?;
    let sps = list_service_principals(
        client,
        crate::graph::ApiVersion::V1,
        Some(&service_principal_filter(value)),
    )
    .await?;
    if sps.is_empty() {
        return Err(ResolveError::NotFound {
            message: format!(
                "no service principal has the object id, appId or display name '{value}'"
            ),
            candidates: Vec::new(),
            unchecked: 0,
        });
    }
    Ok(sps)
}

/// The one service principal `value` names (see [`find_service_principals`]); several with that
/// display name is [`ResolveError::Ambiguous`], listing them by id.
pub async fn resolve_service_principal(
    client: &GraphClient,
    value: &str,
) -> Result<ServicePrincipal, ResolveError> {
    let mut sps = find_service_principals(client, value).await?;
    if sps.len() == 1 {
        return Ok(sps.swap_remove(0));
    }
    Err(ResolveError::Ambiguous {
        message: format!(
            "'{}' names {} service principals; give the object id or appId",
            value.trim(),
            sps.len()
        ),
        candidates: sps
            .iter()
            .map(|s| format!("{}  ({})", s.name(), s.id))
            .collect(),
    })
}

/// [`discover_jobs`], except that an `opts.service_principal` naming no application is
/// [`ResolveError::NotFound`] rather than an empty inventory (`jobs list --sp nosuch`).
pub async fn find_jobs(
    client: &GraphClient,
    opts: &DiscoverOptions,
) -> Result<JobInventory, ResolveError> {
    let Some(sp) = &opts.service_principal else {
        return Ok(discover_jobs(client, opts).await?);
    };
    let mut sps = find_service_principals(client, sp).await?;
    if opts.cloud_sync_only {
        sps.retain(ServicePrincipal::is_cloud_sync);
    }
    Ok(jobs_of(client, opts, sps).await?)
}

/// What the user typed to name a job: `SP/JOB`, a full job id, a template name or unique prefix
/// (of the template or the id), or a `…suffix`, optionally narrowed to one service principal
/// (`--sp`). See the module docs for every form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// The service principal (object id, appId or display name), if given.
    pub service_principal: Option<String>,
    /// The job part.
    pub job: String,
}

impl JobRef {
    /// Parses `JOB` (and `--sp`): `SP/JOB` splits at the first `/` (job ids contain no `/`).
    /// Nothing is checked here; [`JobRef::resolve`] refuses a malformed reference.
    pub fn parse(job: &str, sp: Option<&str>) -> JobRef {
        let job = job.trim();
        match (job.split_once('/'), sp) {
            (Some((s, j)), None) => JobRef {
                service_principal: Some(s.trim().to_owned()),
                job: j.trim().to_owned(),
            },
            _ => JobRef {
                service_principal: sp.map(|s| s.trim().to_owned()),
                job: job.to_owned(),
            },
        }
    }

    /// Refuses what cannot name a job: an empty part, `.`/`..`, a `/` inside the job id.
    pub fn check(&self) -> Result<(), ResolveError> {
        if let Some(sp) = &self.service_principal {
            check_value(sp, "the service principal")?;
        }
        if self.job.contains('/') {
            return Err(invalid(format!(
                "'{}' is not a job: job ids contain no '/' (name the application once, as SP/JOB or with --sp)",
                self.job
            )));
        }
        check_value(&self.job, "the job")
    }

    /// The job part without the `…`/`...` that tables print before a shortened id.
    fn wanted(&self) -> &str {
        let j = self.job.as_str();
        j.strip_prefix('…')
            .or_else(|| j.strip_prefix("..."))
            .unwrap_or(j)
    }

    /// Finds the one job this names (see the module docs for the order of lookups).
    pub async fn resolve(&self, client: &GraphClient) -> Result<JobEntry, ResolveError> {
        self.check()?;
        let opts = DiscoverOptions::default();
        if let Some(sp) = &self.service_principal {
            let sps = find_service_principals(client, sp).await?;
            return self.pick_in(jobs_of(client, &opts, sps).await?);
        }
        if is_cloud_sync_template(self.wanted()) {
            let narrow = DiscoverOptions {
                cloud_sync_only: true,
                ..DiscoverOptions::default()
            };
            match self.pick_in(discover_jobs(client, &narrow).await?) {
                Err(ResolveError::NotFound { .. }) => {}
                found => return found,
            }
        }
        self.pick_in(discover_jobs(client, &opts).await?)
    }

    /// The job id that provisioning logs carry (`jobId`): a bare full job id as typed, without a
    /// request; anything else through [`JobRef::resolve`].
    pub async fn resolve_job_id(&self, client: &GraphClient) -> Result<String, ResolveError> {
        if let Some(id) = self.job_id_offline()? {
            return Ok(id.to_owned());
        }
        Ok(self.resolve(client).await?.job.id)
    }

    /// The job id when it can be known without Graph (a bare full job id), `None` when only
    /// Graph can tell (names, prefixes, suffixes, `SP/JOB`). Malformed references are refused.
    pub fn job_id_offline(&self) -> Result<Option<&str>, ResolveError> {
        self.check()?;
        Ok(
            (self.service_principal.is_none() && looks_like_job_id(&self.job))
                .then_some(self.job.as_str()),
        )
    }

    /// Picks from a listing: a refusal of every list is [`ResolveError::Refused`]; not found
    /// says how many lists could not be read.
    fn pick_in(&self, inv: JobInventory) -> Result<JobEntry, ResolveError> {
        if let Err(e @ ResolveError::Refused { .. }) = inv.outcome() {
            return Err(e);
        }
        let unchecked = inv.failures.len();
        match self.pick(inv.jobs) {
            Err(ResolveError::NotFound {
                message,
                candidates,
                ..
            }) if unchecked > 0 => Err(ResolveError::NotFound {
                message: format!(
                    "{message}; the job lists of {unchecked} of {} applications could not be read, so it may be among them",
                    inv.service_principals
                ),
                candidates,
                unchecked,
            }),
            other => other,
        }
    }

    /// Picks the one job this names from `jobs`: exact id, then exact template, then a unique
    /// prefix of the id or template, then a unique suffix of the id (as `jobs list` shortens it).
    pub fn pick(&self, jobs: Vec<JobEntry>) -> Result<JobEntry, ResolveError> {
        let want = self.wanted();
        let lower = want.to_ascii_lowercase();
        let rules: [&dyn Fn(&JobEntry) -> bool; 4] = [
            &|e| e.job.id == want,
            &|e| {
                e.job
                    .template()
                    .is_some_and(|t| t.eq_ignore_ascii_case(want))
            },
            &|e| {
                e.job.id.to_ascii_lowercase().starts_with(&lower)
                    || e.job
                        .template()
                        .is_some_and(|t| t.to_ascii_lowercase().starts_with(&lower))
            },
            &|e| want.len() >= 4 && e.job.id.to_ascii_lowercase().ends_with(&lower),
        ];
        for rule in rules {
            let hits: Vec<usize> = (0..jobs.len()).filter(|&i| rule(&jobs[i])).collect();
            match hits.as_slice() {
                [] => continue,
                [one] => {
                    let mut jobs = jobs;
                    return Ok(jobs.swap_remove(*one));
                }
                _ => {
                    return Err(ResolveError::Ambiguous {
                        message: format!(
                            "'{}' matches {} jobs; name one of them as SP/JOB, or narrow it with --sp",
                            self.job,
                            hits.len()
                        ),
                        candidates: hits.iter().map(|&i| describe(&jobs[i])).collect(),
                    });
                }
            }
        }
        let scope = match &self.service_principal {
            Some(sp) => format!(" on service principal '{sp}'"),
            None => " in the tenant".to_owned(),
        };
        Err(ResolveError::NotFound {
            message: format!(
                "no synchronization job matches '{}'{scope} (accepted: a full job id, SP/JOB, a template name or unique prefix, or the …suffix tables print)",
                self.job
            ),
            candidates: jobs.iter().map(describe).collect(),
            unchecked: 0,
        })
    }
}

fn describe(e: &JobEntry) -> String {
    format!(
        "{}/{}  ({}, {})",
        e.service_principal.name(),
        e.job.id,
        e.job.template().unwrap_or("?"),
        e.job
            .status_code()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "no status".into())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::sync::DiscoverFailure;

    fn entry(sp: &str, id: &str, template: &str) -> JobEntry {
        let raw =
            serde_json::json!({"id": id, "templateId": template, "status": {"code": "Active"}});
        JobEntry {
            service_principal: ServicePrincipal {
                id: sp.into(),
                display_name: Some(format!("{sp}-name")),
                ..ServicePrincipal::default()
            },
            job: serde_json::from_value(raw.clone()).unwrap_or_default(),
            raw,
        }
    }

    #[test]
    fn sp_slash_job_splits_at_the_first_slash_and_sp_flag_wins() {
        assert_eq!(
            JobRef::parse("corp.contoso.com/AD2AADProvisioning", None),
            JobRef {
                service_principal: Some("corp.contoso.com".into()),
                job: "AD2AADProvisioning".into()
            }
        );
        assert_eq!(
            JobRef::parse("AD2AADProvisioning.abc", Some("x")).service_principal,
            Some("x".into())
        );
    }

    #[test]
    fn template_names_prefixes_and_suffixes_resolve_and_ambiguity_lists_candidates() {
        let jobs = vec![
            entry("a", "AD2AADProvisioning.1.aaaa01", "AD2AADProvisioning"),
            entry("a", "AD2AADPasswordHash.1.aaaa02", "AD2AADPasswordHash"),
            entry("b", "salesforce.1.bbbb03", "salesforce"),
        ];
        let pick = |s: &str| JobRef::parse(s, None).pick(jobs.clone());
        assert_eq!(
            pick("salesforce").map(|e| e.job.id).ok(),
            Some("salesforce.1.bbbb03".into())
        );
        assert_eq!(
            pick("ad2aadpass").map(|e| e.job.id).ok(),
            Some("AD2AADPasswordHash.1.aaaa02".into())
        );
        assert_eq!(
            pick("…aa01").map(|e| e.job.id).ok(),
            Some("AD2AADProvisioning.1.aaaa01".into())
        );
        assert_eq!(
            pick("...aa01").map(|e| e.job.id).ok(),
            Some("AD2AADProvisioning.1.aaaa01".into())
        );
        match pick("AD2AAD") {
            Err(ResolveError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => panic!("expected ambiguity, got {other:?}"),
        }
        match pick("workday") {
            Err(ResolveError::NotFound {
                candidates,
                message,
                ..
            }) => {
                assert_eq!(candidates.len(), 3);
                assert!(message.contains("'workday'"), "{message}");
            }
            other => panic!("expected not found, got {other:?}"),
        }
    }

    #[test]
    fn dot_dot_empty_and_slashed_references_are_refused_naming_the_value() {
        for (job, sp, bad) in [
            ("../x", None, "'..'"), // allow-outside-path: an id, not a path
            ("x", Some(".."), "'..'"),
            ("sp/..", None, "'..'"),
            (".", None, "'.'"),
            ("/job", None, "''"),
            ("a/b/c", None, "'b/c'"),
            ("a/b", Some("sp"), "'a/b'"),
        ] {
            match JobRef::parse(job, sp).check() {
                Err(ResolveError::Invalid { message }) => {
                    assert!(message.contains(bad), "{job} {sp:?}: {message}")
                }
                other => panic!("{job} {sp:?}: expected invalid, got {other:?}"),
            }
        }
        assert!(
            JobRef::parse("corp.contoso.com/AD2AAD", None)
                .check()
                .is_ok()
        );
        assert!(JobRef::parse("...4d5e01", None).check().is_ok());
    }

    #[test]
    fn only_a_bare_full_job_id_is_known_without_graph() {
        let full = "AD2AADProvisioning.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.9e1d2c3b-4a5f-4e6d-8c7b-1a2b3c4d5e01";
        assert!(looks_like_job_id(full));
        assert!(looks_like_job_id(
            "AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da"
        ));
        for not in [
            "salesforce",
            "AD2AAD",
            "…4d5e01",
            "a.b.c",
            "x.4f2a6c1e9b3d4e5f8a7c1d2e3f4a5b6c.nope",
        ] {
            assert!(!looks_like_job_id(not), "{not}");
        }
        assert_eq!(
            JobRef::parse(full, None).job_id_offline().ok().flatten(),
            Some(full)
        );
        assert_eq!(
            JobRef::parse(&format!("sp/{full}"), None)
                .job_id_offline()
                .ok()
                .flatten(),
            None
        );
    }

    fn failure(status: u16) -> DiscoverFailure {
        DiscoverFailure {
            service_principal: ServicePrincipal::default(),
            status: Some(status),
            message: "x".into(),
        }
    }

    #[test]
    fn refused_listings_are_a_permission_error_and_failed_ones_are_counted_in_not_found() {
        let all_refused = JobInventory {
            jobs: Vec::new(),
            failures: vec![failure(403), failure(401)],
            service_principals: 2,
        };
        match JobRef::parse("salesforce", None).pick_in(all_refused) {
            Err(ResolveError::Refused {
                permission,
                message,
            }) => {
                assert_eq!(permission, "Synchronization.Read.All");
                assert!(message.contains("Synchronization.Read.All"), "{message}");
            }
            other => panic!("expected refused, got {other:?}"),
        }
        let some_failed = JobInventory {
            jobs: vec![entry("a", "salesforce.1.aaaa01", "salesforce")],
            failures: vec![failure(403), failure(500)],
            service_principals: 3,
        };
        match some_failed.outcome() {
            Err(ResolveError::Partial { message }) => {
                assert!(message.contains("2 of 3"), "{message}");
                assert!(message.contains("1 refused"), "{message}");
            }
            other => panic!("expected partial, got {other:?}"),
        }
        match JobRef::parse("workday", None).pick_in(some_failed) {
            Err(ResolveError::NotFound {
                unchecked, message, ..
            }) => {
                assert_eq!(unchecked, 2);
                assert!(
                    message.contains("2 of 3 applications could not be read"),
                    "{message}"
                );
            }
            other => panic!("expected not found, got {other:?}"),
        }
    }
}

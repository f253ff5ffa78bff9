//! Resolution: what a user typed to name a job (`SP/JOB`, a full job id, a template name or
//! prefix, the `…suffix` tables print, with or without `--sp`) turned into one job.

use super::discovery::{DiscoverOptions, JobEntry, discover_jobs};
use crate::graph::{GraphClient, GraphError};

/// Why a job reference could not be resolved to one job.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Nothing matched.
    #[error("{message}")]
    NotFound {
        /// What was looked for and where.
        message: String,
        /// The jobs that exist (`SP/JOB (template, status)`), to pick from.
        candidates: Vec<String>,
    },
    /// More than one job matched.
    #[error("{message}")]
    Ambiguous {
        /// What was looked for.
        message: String,
        /// The jobs that matched.
        candidates: Vec<String>,
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
            ResolveError::Graph(_) => &[],
        }
    }
}

/// What the user typed to name a job: `SP/JOB`, a full job id, or a template name / unique prefix
/// (of the template or the id), optionally narrowed to one service principal (`--sp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRef {
    /// The service principal (object id, appId or display name), if given.
    pub service_principal: Option<String>,
    /// The job part.
    pub job: String,
}

impl JobRef {
    /// Parses `JOB` (and `--sp`): `SP/JOB` splits at the first `/` (job ids contain no `/`).
    pub fn parse(job: &str, sp: Option<&str>) -> JobRef {
        let job = job.trim();
        match (job.split_once('/'), sp) {
            (Some((s, j)), None) if !s.is_empty() && !j.is_empty() => JobRef {
                service_principal: Some(s.to_owned()),
                job: j.to_owned(),
            },
            _ => JobRef {
                service_principal: sp.map(str::to_owned),
                job: job.to_owned(),
            },
        }
    }

    /// Finds the one job this names, listing jobs with [`discover_jobs`] (only the named service
    /// principal's when one is given).
    pub async fn resolve(&self, client: &GraphClient) -> Result<JobEntry, ResolveError> {
        let opts = DiscoverOptions {
            service_principal: self.service_principal.clone(),
            ..DiscoverOptions::default()
        };
        let inv = discover_jobs(client, &opts).await?;
        if let Some(sp) = &self.service_principal
            && inv.service_principals == 0
        {
            return Err(ResolveError::NotFound {
                message: format!(
                    "no service principal has the object id, appId or display name '{sp}'"
                ),
                candidates: Vec::new(),
            });
        }
        self.pick(inv.jobs)
    }

    /// Picks the one job this names from `jobs`: exact id, then exact template, then a unique
    /// prefix of the id or template, then a unique suffix of the id (as `jobs list` shortens it).
    pub fn pick(&self, jobs: Vec<JobEntry>) -> Result<JobEntry, ResolveError> {
        let want = self.job.trim_start_matches('…');
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
                "no synchronization job matches '{}'{scope} (accepted: a full job id, SP/JOB, or a template name or unique prefix)",
                self.job
            ),
            candidates: jobs.iter().map(describe).collect(),
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
    use crate::graph::model::ServicePrincipal;

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
        match pick("AD2AAD") {
            Err(ResolveError::Ambiguous { candidates, .. }) => assert_eq!(candidates.len(), 2),
            other => panic!("expected ambiguity, got {other:?}"),
        }
        match pick("workday") {
            Err(ResolveError::NotFound {
                candidates,
                message,
            }) => {
                assert_eq!(candidates.len(), 3);
                assert!(message.contains("'workday'"), "{message}");
            }
            other => panic!("expected not found, got {other:?}"),
        }
    }
}

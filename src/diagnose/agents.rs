//! Reading the cloud sync provisioning agents: which are inactive, and whether an agent group (the
//! agents serving a domain) has no active agent left — the troubleshooting guide's "agent not active".

use std::collections::BTreeMap;

use crate::graph::model::OnPremisesAgent;

use super::finding::{Evidence, Explanation, Finding, Severity, Subject, SubjectKind};
use super::knowledge::{Knowledge, Scope, Vars, cases};

/// Explains the provisioning agents (`GET /beta/onPremisesPublishingProfiles/provisioning/agents`,
/// ideally with `$expand=agentGroups`).
pub fn explain_agents(agents: &[OnPremisesAgent]) -> Explanation {
    let k = Knowledge::global();
    let vars = Vars::default();
    let mut findings: Vec<Finding> = Vec::new();
    let active = agents.iter().filter(|a| a.is_active()).count();
    let name = |a: &OnPremisesAgent| {
        a.machine_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| a.id.clone())
    };

    if agents.is_empty() {
        if let Some(e) = k.lookup("HybridIdentityServiceNoAgentsAssigned", &[Scope::JobError]) {
            findings.push(k.finding(
                e,
                "No provisioning agent is registered in the tenant.".to_owned(),
                vec![Evidence::new("agents", "0")],
                &vars,
            ));
        }
    } else if active == 0
        && let Some(e) = k.lookup("HybridIdentityServiceNoActiveAgents", &[Scope::JobError])
    {
        let ev = agents
            .iter()
            .map(|a| Evidence::new(format!("agent {}", name(a)), status(a)))
            .collect();
        findings.push(k.finding(
            e,
            format!(
                "None of the {} registered agent(s) is active: cloud sync can't reach Active Directory.",
                agents.len()
            ),
            ev,
            &vars,
        ));
    }

    // Agent groups (one per domain or configuration) that have no active agent left.
    let mut groups: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for a in agents {
        for g in &a.agent_groups {
            let label = g.display_name.clone().unwrap_or_else(|| g.id.clone());
            let entry = groups.entry(label).or_default();
            entry.0 += 1;
            entry.1 += usize::from(a.is_active());
        }
    }
    if active > 0 {
        for (group, (total, _)) in groups.iter().filter(|(_, (_, up))| *up == 0) {
            let mut f = k.case_finding(
                cases::AGENT_NOT_ACTIVE,
                format!("Agent group '{group}' has {total} agent(s) and none is active: the domains it serves don't sync."),
                vec![Evidence::new(format!("agentGroup {group}"), format!("0 of {total} active"))],
                &vars,
            );
            f.severity = Severity::Critical;
            findings.push(f);
        }
        for a in agents.iter().filter(|a| !a.is_active()) {
            let mut ev = vec![Evidence::new("status", status(a))];
            if let Some(ip) = a.external_ip.as_deref().filter(|s| !s.is_empty()) {
                ev.push(Evidence::new("externalIp", ip));
            }
            findings.push(k.case_finding(
                cases::AGENT_NOT_ACTIVE,
                format!(
                    "Agent {} is {}; {active} of {} agent(s) are active.",
                    name(a),
                    status(a),
                    agents.len()
                ),
                ev,
                &vars,
            ));
        }
    }
    if findings.is_empty() {
        findings.push(
            k.case_finding(
                cases::AGENTS_HEALTHY,
                format!("All {} agent(s) are active.", agents.len()),
                agents
                    .iter()
                    .map(|a| Evidence::new(format!("agent {}", name(a)), status(a)))
                    .collect(),
                &vars,
            ),
        );
    }
    Explanation {
        subject: Subject {
            kind: SubjectKind::Agents,
            id: String::new(),
            display_name: Some(format!("{} provisioning agent(s)", agents.len())),
        },
        findings,
        changes: Vec::new(),
        history: Vec::new(),
    }
}

fn status(a: &OnPremisesAgent) -> String {
    a.status
        .as_ref()
        .map_or_else(|| "(no status)".to_owned(), |s| s.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::Category;

    fn agents(json: &str) -> Vec<OnPremisesAgent> {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_documented_agent_list_is_healthy() {
        let path = crate::diagnose::coverage_tests::reference_dir()
            .join("examples/list-onpremisesagents.provisioning.beta.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let list: crate::graph::model::ODataCollection<OnPremisesAgent> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let x = explain_agents(&list.value);
        assert_eq!(
            x.findings[0].code.as_deref(),
            Some("agents-healthy"),
            "{x:#?}"
        );
    }

    #[test]
    fn an_inactive_agent_and_a_group_without_an_active_agent_are_named() {
        let x = explain_agents(&agents(
            r#"[{"id":"1","machineName":"DC01","status":"active","agentGroups":[{"id":"g1","displayName":"corp"}]},
                {"id":"2","machineName":"DC02","status":"inactive","agentGroups":[{"id":"g2","displayName":"emea"}]}]"#,
        ));
        assert_eq!(x.findings.len(), 2, "{x:#?}");
        assert!(x.findings[0].summary.contains("'emea'"));
        assert_eq!(x.findings[0].severity, Severity::Critical);
        assert!(
            x.findings[1]
                .summary
                .starts_with("Agent DC02 is inactive; 1 of 2")
        );
        assert_eq!(x.findings[1].category, Category::Agent);
    }

    #[test]
    fn no_agents_or_no_active_agent_stops_cloud_sync() {
        let x = explain_agents(&[]);
        assert_eq!(
            x.findings[0].code.as_deref(),
            Some("HybridIdentityServiceNoAgentsAssigned")
        );
        let x = explain_agents(&agents(r#"[{"id":"1","status":"inactive"}]"#));
        assert_eq!(
            x.findings[0].code.as_deref(),
            Some("HybridIdentityServiceNoActiveAgents")
        );
        assert_eq!(x.severity(), Severity::Critical);
    }
}

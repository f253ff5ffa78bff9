//! The hosts and ports the provisioning agent must reach, from "Cloud sync troubleshooting" →
//! "Allow access to URLs" (learn.microsoft.com/entra/identity/hybrid/cloud-sync/how-to-troubleshoot).
//! A wildcard cannot be dialled, so each is checked through one host that Microsoft documents under
//! it; the comment beside each names the document.

use super::Target;

/// What port-443 registration hosts are for, in the guide's words.
const REGISTRATION: &str = "agent registration";
/// What port-80 certificate hosts are for.
const REVOCATION: &str = "certificate revocation (CRL/OCSP)";
/// What the Application Proxy / Service Bus hosts are for.
const SERVICE: &str = "communication with the cloud service";

/// The default checklist: every host and port of the guide's "Allow access to URLs" table. With a
/// tenant id (a GUID), the tenant's own `<tenant>.registration.msappproxy.net` is added.
pub fn default_targets(tenant_id: Option<&str>) -> Vec<Target> {
    let mut t = vec![
        // "Plan and deploy on-premises Microsoft Entra Password Protection" and the Intune
        // certificate connector prerequisites document autoupdate.msappproxy.net:443.
        Target::https("autoupdate.msappproxy.net", SERVICE).wildcard("*.msappproxy.net"),
    ];
    if let Some(id) = tenant_id.and_then(|s| uuid::Uuid::try_parse(s.trim()).ok()) {
        // "Microsoft Entra seamless single sign-on: Quickstart" documents
        // `tenantid.registration.msappproxy.net` as the specific name behind *.msappproxy.net.
        t.push(
            Target::https(format!("{id}.registration.msappproxy.net"), SERVICE)
                .wildcard("*.msappproxy.net"),
        );
    }
    t.extend([
        // "Troubleshoot self-service password reset writeback" tests
        // ssprdedicatedsbprodscu.servicebus.windows.net:443 with Test-NetConnection.
        Target::https("ssprdedicatedsbprodscu.servicebus.windows.net", SERVICE)
            .wildcard("*.servicebus.windows.net"),
        Target::http("crl3.digicert.com", REVOCATION),
        Target::http("crl4.digicert.com", REVOCATION),
        Target::http("ocsp.digicert.com", REVOCATION),
        Target::http("crl.microsoft.com", REVOCATION),
        Target::http("oneocsp.microsoft.com", REVOCATION),
        Target::http("ocsp.msocsp.com", REVOCATION),
        Target::https("login.windows.net", REGISTRATION),
        Target::https("secure.aadcdn.microsoftonline-p.com", REGISTRATION),
        // Password Protection and Connect Health agent documents: login.microsoftonline.com.
        Target::https("login.microsoftonline.com", REGISTRATION).wildcard("*.microsoftonline.com"),
        // The Microsoft 365 / AD FS federation documents give the metadata URL
        // https://nexus.microsoftonline-p.com/federationmetadata/2007-06/federationmetadata.xml.
        Target::https("nexus.microsoftonline-p.com", REGISTRATION)
            .wildcard("*.microsoftonline-p.com"),
        // "Microsoft Entra Connect Health agent installation" lists https://aadcdn.msauth.net.
        Target::https("aadcdn.msauth.net", REGISTRATION).wildcard("*.msauth.net"),
        // Graph "Get organizationalBranding" shows cdnList: aadcdn.msauthimages.net.
        Target::https("aadcdn.msauthimages.net", REGISTRATION).wildcard("*.msauthimages.net"),
        // The Application Insights JavaScript SDK documents its CDN az416426.vo.msecnd.net.
        Target::https("az416426.vo.msecnd.net", REGISTRATION).wildcard("*.msecnd.net"),
        // "Microsoft Entra Connect Health agent installation" lists https://aadcdn.msftauth.net.
        Target::https("aadcdn.msftauth.net", REGISTRATION).wildcard("*.msftauth.net"),
        // Graph "Get organizationalBranding" shows cdnList: aadcdn.msftauthimages.net.
        Target::https("aadcdn.msftauthimages.net", REGISTRATION).wildcard("*.msftauthimages.net"),
        // The MFA Server firewall requirements name https://pfd.phonefactor.net.
        Target::https("pfd.phonefactor.net", REGISTRATION).wildcard("*.phonefactor.net"),
        Target::https("enterpriseregistration.windows.net", REGISTRATION),
        Target::https("management.azure.com", REGISTRATION),
        Target::https("policykeyservice.dc.ad.msft.net", REGISTRATION),
        Target::https("ctldl.windowsupdate.com", REGISTRATION),
        Target::https(
            "www.microsoft.com",
            "agent registration (www.microsoft.com/pkiops)",
        ),
        Target::http("ctldl.windowsupdate.com", REGISTRATION),
    ]);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_host_and_port_is_listed_once() {
        let t = default_targets(None);
        let mut keys: Vec<(String, u16)> = t.iter().map(|t| (t.host.clone(), t.port)).collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate target");
        for wildcard in [
            "*.msappproxy.net",
            "*.servicebus.windows.net",
            "*.microsoftonline.com",
            "*.microsoftonline-p.com",
            "*.msauth.net",
            "*.msauthimages.net",
            "*.msecnd.net",
            "*.msftauth.net",
            "*.msftauthimages.net",
            "*.phonefactor.net",
        ] {
            let rep = t
                .iter()
                .find(|t| t.wildcard.as_deref() == Some(wildcard))
                .unwrap_or_else(|| panic!("{wildcard} has no representative"));
            assert!(
                rep.host.ends_with(&wildcard[1..]),
                "{} under {wildcard}",
                rep.host
            );
            assert!(rep.tls && rep.port == 443);
        }
        let port80: Vec<&str> = t
            .iter()
            .filter(|t| t.port == 80)
            .map(|t| t.host.as_str())
            .collect();
        assert_eq!(port80.len(), 7);
        assert!(port80.contains(&"ctldl.windowsupdate.com"));
        assert!(t.iter().filter(|t| t.port == 80).all(|t| !t.tls));
    }

    #[test]
    fn a_tenant_guid_adds_its_registration_host() {
        let id = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
        let t = default_targets(Some(id));
        assert!(
            t.iter()
                .any(|t| t.host == format!("{id}.registration.msappproxy.net"))
        );
        assert_eq!(
            default_targets(Some("contoso.com")).len(),
            default_targets(None).len()
        );
    }
}

//! `provctl login`, `provctl logout` and `provctl whoami`: user sign-in with a device code (the
//! prompt goes to stderr), removing cached sign-ins, and showing who the current token belongs to
//! and what it may do — decoded from the token's claims, never the token itself.

use serde_json::{Value, json};

use super::{CliError, Context};
use crate::graph::auth::device_code::DeviceCodeProvider;
use crate::graph::auth::{AccessToken, AuthMethod, IdentityKind, TokenClaims, claims};

/// Arguments of `provctl login` (tenant and client id come from the global `--tenant` and
/// `--client-id`, or the profile).
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    /// The delegated permissions to ask for: `all` (every command), command families (`jobs`,
    /// `logs`, `agents`, `tenant`, ...; comma-separated), or `default` (only what the tenant
    /// already consented for the client: `.default`).
    #[arg(long, value_delimiter = ',', value_name = "all|default|FAMILY,…")]
    pub scopes: Vec<String>,
}

/// Arguments of `provctl logout`.
#[derive(Debug, clap::Args)]
pub struct LogoutArgs {}

/// Arguments of `provctl whoami`.
#[derive(Debug, clap::Args)]
pub struct WhoamiArgs {}

/// `provctl login`: device-code sign-in as a user; the login is cached for the profile (unless
/// `--no-cache`) and renewed silently by later commands.
pub async fn login(ctx: &Context, args: &LoginArgs) -> Result<(), CliError> {
    let scopes = crate::graph::permissions::scopes_for(&args.scopes)
        .map_err(|e| CliError::usage(format!("--scopes: {e}")))?;
    let mut opts = ctx.auth_options().await?;
    opts.scopes = scopes.into_iter().map(str::to_owned).collect();
    opts.required_scopes = opts.scopes.clone();
    if opts.method.is_some_and(|m| m != AuthMethod::DeviceCode) {
        return Err(CliError::usage(
            "`provctl login` signs in a user with a device code; other methods (--auth) need no login",
        ));
    }
    opts.method = Some(AuthMethod::DeviceCode);
    let (endpoints, http) = ctx.connection().await?;
    let provider = DeviceCodeProvider::new(&opts, http, endpoints, true)?;
    let login = provider.login().await?;
    let claims = claims::decode(&login.access_token).ok();
    let doc = json!({
        "account": login.account,
        "tenant": claims.as_ref().and_then(|c| c.tenant_id.clone()).unwrap_or(login.tenant.clone()),
        "profile": login.profile,
        "clientId": login.client_id,
        "scopes": login.scopes,
        "expiresOn": crate::output::time::machine(login.expires_on),
        "cache": if opts.no_cache { "none (--no-cache)".to_owned() } else { provider.store_description() },
    });
    ctx.out.emit_text(&doc, |_| {
        format!(
            "Signed in as {} (tenant {}, profile {}).\nGranted:     {}",
            str_of(&doc["account"], "an unknown account"),
            str_of(&doc["tenant"], "?"),
            str_of(&doc["profile"], "default"),
            list_of(&doc["scopes"]),
        )
    })?;
    Ok(())
}

/// `provctl logout`: deletes the cached sign-ins of the profile (only those of `--tenant` when given).
pub async fn logout(ctx: &Context, _args: &LogoutArgs) -> Result<(), CliError> {
    let mut opts = ctx.auth_options().await?;
    opts.method = Some(AuthMethod::DeviceCode);
    let (endpoints, http) = ctx.connection().await?;
    let provider = DeviceCodeProvider::new(&opts, http, endpoints, false)?;
    let removed = provider.logout(ctx.global.tenant.as_deref()).await?;
    let doc = json!({
        "profile": opts.profile_name(),
        "removed": removed.iter().map(|l| json!({
            "account": l.account, "tenant": l.tenant, "clientId": l.client_id,
        })).collect::<Vec<_>>(),
    });
    ctx.out.emit_text(&doc, |_| match removed.len() {
        0 => format!(
            "No cached sign-in for profile {}; nothing to remove.",
            opts.profile_name()
        ),
        n => format!(
            "Removed {n} cached sign-in{} for profile {}.",
            if n == 1 { "" } else { "s" },
            opts.profile_name()
        ),
    })?;
    Ok(())
}

/// `provctl whoami`: tenant, identity, method, expiry, delegated scopes and app roles of the token.
pub async fn whoami(ctx: &Context, _args: &WhoamiArgs) -> Result<(), CliError> {
    let (endpoints, _) = ctx.connection().await?;
    let scope = endpoints.scope.clone();
    let provider = ctx.token_provider().await?;
    let token = provider.token(&[scope.as_str()]).await?;
    let claims = claims::decode(&token.token).ok();
    let doc = token_doc(claims.as_ref(), provider.method(), &token);
    ctx.out.emit_text(&doc, |_| whoami_text(&doc))?;
    Ok(())
}

/// What `whoami` (and `doctor auth`) show about a token, from its decoded claims — never the token.
pub(super) fn token_doc(claims: Option<&TokenClaims>, method: &str, token: &AccessToken) -> Value {
    match claims {
        Some(c) => json!({
            "tenant": c.tenant_id,
            "identity": c.identity(),
            "kind": c.kind,
            "method": method,
            "appId": c.app_id,
            "objectId": c.object_id,
            "expiresOn": token.expires_on.or(c.expires_on).map(crate::output::time::machine),
            "scopes": c.scopes,
            "roles": c.roles,
        }),
        None => json!({
            "tenant": null, "identity": null, "kind": IdentityKind::Unknown, "method": method,
            "expiresOn": token.expires_on.map(crate::output::time::machine),
            "scopes": [], "roles": [],
            "note": "the token is not a JWT, so its claims cannot be shown",
        }),
    }
}

fn str_of<'a>(v: &'a Value, default: &'a str) -> &'a str {
    v.as_str().unwrap_or(default)
}

fn list_of(v: &Value) -> String {
    let items: Vec<&str> = v
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(" ")
    }
}

/// The human page of [`token_doc`]: tenant, identity, kind, method, expiry, scopes, roles.
pub(super) fn whoami_text(doc: &Value) -> String {
    let kind = match doc["kind"].as_str() {
        Some("app-only") => "app-only (application permissions)",
        Some("delegated") => "delegated (signed-in user)",
        _ => "unknown",
    };
    let mut s = format!(
        "Tenant:      {}\nIdentity:    {}\nKind:        {kind}\nMethod:      {}\nExpires:     {}\nScopes:      {}\nRoles:       {}\n",
        str_of(&doc["tenant"], "(unknown)"),
        str_of(&doc["identity"], "(unknown)"),
        str_of(&doc["method"], "?"),
        str_of(&doc["expiresOn"], "(unknown)"),
        list_of(&doc["scopes"]),
        list_of(&doc["roles"]),
    );
    if doc["kind"].as_str() == Some("app-only") {
        s.push_str(
            "Note:        agents and tenant deletion-prevention commands need a user sign-in (`provctl login`)\n",
        );
    }
    if let Some(n) = doc["note"].as_str() {
        s.push_str(&format!("Note:        {n}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_families_are_commands_and_commands_name_their_family() {
        let cmd = crate::cli::help::command();
        for f in crate::graph::permissions::families() {
            assert!(cmd.find_subcommand(f).is_some(), "{f} is not a command");
        }
        let family = |line: &str| {
            <crate::cli::Cli as clap::Parser>::try_parse_from(line.split(' '))
                .unwrap_or_else(|e| panic!("{line}: {e}"))
                .command
                .family()
        };
        assert_eq!(family("provctl jobs list"), Some("jobs"));
        assert_eq!(family("provctl logs search --all"), Some("logs"));
        assert_eq!(family("provctl whoami"), None);
    }

    #[test]
    fn whoami_text_lists_scopes_and_flags_app_only_tokens() {
        let doc = json!({"tenant":"t1","identity":"app a1","kind":"app-only","method":"env",
            "expiresOn":"2030-01-01T00:00:00+00:00","scopes":[],"roles":["A.Read.All","B.Read.All"]});
        let t = whoami_text(&doc);
        assert!(t.contains("Roles:       A.Read.All B.Read.All"), "{t}");
        assert!(t.contains("Scopes:      (none)"), "{t}");
        assert!(t.contains("provctl login"), "{t}");
    }
}

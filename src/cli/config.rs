//! `provctl config set|get|list|use`: named profiles of sign-in settings (tenant, cloud, auth,
//! client-id, certificate-path) in the config file. Secrets are refused; see [`crate::config`].

use serde_json::{Value, json};

use super::{CliError, Context};
use crate::config::{Config, KEYS, config_path};
use crate::graph::auth::EnvVars;
use crate::output::{Column, Field, Table};

/// `provctl config …`: profiles.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// Subcommands of `provctl config`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Set a key of the profile (`--profile`, else the current one, else `default`). Keys: tenant,
    /// cloud, auth, client-id, certificate-path. An empty value unsets the key.
    Set {
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// Print a key of the profile.
    Get {
        /// The key.
        key: String,
    },
    /// List the profiles and their settings.
    List,
    /// Make a profile the current one.
    Use {
        /// The profile's name.
        name: String,
    },
}

/// Runs `provctl config …`.
pub async fn run(ctx: &Context, args: &ConfigArgs) -> Result<(), CliError> {
    let env = EnvVars::from_process();
    let path = config_path(&env).map_err(|e| CliError::usage(e.to_string()))?;
    let mut config = Config::load(&path).map_err(|e| CliError::usage(e.to_string()))?;
    let profile = ctx
        .global
        .profile
        .clone()
        .or_else(|| config.current.clone())
        .unwrap_or_else(|| "default".to_owned());
    let usage = |e: crate::config::ConfigError| CliError::usage(e.to_string());
    match &args.command {
        ConfigCommand::Set { key, value } => {
            config.set(&profile, key, value).map_err(usage)?;
            // The first profile written becomes the current one, and says so: a later command
            // without --profile uses it.
            let became_current = config.current.is_none();
            if became_current {
                config.current = Some(profile.clone());
            }
            config.save(&path).map_err(usage)?;
            let doc = json!({"profile": profile, "key": key, "value": value, "file": path.display().to_string(), "becameCurrent": became_current});
            ctx.out.emit_text(&doc, |_| {
                let line = format!("{profile}: {key} = {value}");
                if became_current {
                    format!("{line}\n{profile} is now the current profile (no other was set; `provctl config use NAME` changes it)")
                } else {
                    line
                }
            })?;
        }
        ConfigCommand::Get { key } => {
            let value = config.get(&profile, key).map_err(usage)?;
            let doc = json!({"profile": profile, "key": key, "value": value});
            ctx.out
                .emit_text(&doc, |_| value.clone().unwrap_or_default())?;
        }
        ConfigCommand::List => {
            let rows: Vec<Value> = config
                .profiles
                .iter()
                .map(|(name, v)| {
                    let mut o = serde_json::to_value(v).unwrap_or_else(|_| json!({}));
                    o["name"] = json!(name);
                    o["current"] = json!(config.current.as_deref() == Some(name.as_str()));
                    o
                })
                .collect();
            let doc = Value::Array(rows.clone());
            ctx.out.emit(&doc, || {
                // People read `PROFILE` with ` *` on the current one; scripts read the name and
                // a `current` column, under camelCase keys as every other CSV.
                let mut columns = vec![Column::new("PROFILE", "profile")];
                columns.extend(
                    KEYS.iter()
                        .map(|k| Column::new(k.to_ascii_uppercase(), camel_case(k))),
                );
                columns.push(Column::machine("current"));
                let mut t = Table::new(columns);
                for r in &rows {
                    let name = r["name"].as_str().unwrap_or("");
                    let current = r["current"] == json!(true);
                    let shown = if current {
                        format!("{name} *")
                    } else {
                        name.to_owned()
                    };
                    let mut row = vec![Field::new(shown).machine(name)];
                    row.extend(
                        KEYS.iter()
                            .map(|k| Field::new(r[*k].as_str().unwrap_or(""))),
                    );
                    row.push(Field::new(current.to_string()));
                    t.push(row);
                }
                t
            })?;
        }
        ConfigCommand::Use { name } => {
            config.use_profile(name).map_err(usage)?;
            config.save(&path).map_err(usage)?;
            let doc = json!({"current": name});
            ctx.out
                .emit_text(&doc, |_| format!("Now using profile {name}."))?;
        }
    }
    Ok(())
}

/// `client-id` → `clientId`: a settings key as a CSV column key.
fn camel_case(key: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in key.chars() {
        match c {
            '-' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

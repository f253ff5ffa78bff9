//! Validating JSON against the committed Graph schemas (`graph-schemas/`) without touching the
//! network, for any library test: `crate::support::graph_schemas::assert_valid(
//! "synchronizationJob.list.schema.json", "GET jobs", &body)`.
//! The emulator's answers can be checked this way against the same contract as the fixtures.

#![allow(dead_code)]

use std::error::Error;
use std::path::{Path, PathBuf};

use jsonschema::{Retrieve, Uri, Validator};
use serde_json::Value;

/// The `$id` prefix of every schema file.
pub const SCHEMA_BASE: &str = "https://provctl.invalid/graph-schemas/";

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `graph-schemas/`.
pub fn schemas_dir() -> PathBuf {
    repo().join("graph-schemas")
}

/// Microsoft's documented example payloads, kept in the repository
/// (`tests/fixtures/reference/examples`, sources in that folder's README).
pub fn examples_dir() -> PathBuf {
    repo().join("tests/fixtures/reference/examples")
}

/// Reads a JSON file, panicking with its path on failure (tests only).
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Resolves `https://provctl.invalid/graph-schemas/<file>` to the file in `graph-schemas/`;
/// refuses everything else, so validation never touches the network.
pub struct LocalSchemas;

impl Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &Uri<String>) -> Result<Value, Box<dyn Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix(SCHEMA_BASE)
            .ok_or_else(|| format!("refusing to fetch {uri}: not a local schema"))?;
        let text = std::fs::read_to_string(schemas_dir().join(name))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// A validator for one schema file, formats checked, references resolved locally.
pub fn validator(schema_file: &str) -> Validator {
    let schema = read_json(&schemas_dir().join(schema_file));
    jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema {schema_file} does not build: {e}"))
}

/// Fails the test with every validation error of `instance` against `schema_file`.
pub fn assert_valid(schema_file: &str, what: &str, instance: &Value) {
    let v = validator(schema_file);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("  at {}: {}", e.instance_path(), e))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate against {schema_file}:\n{}",
        errors.join("\n")
    );
}

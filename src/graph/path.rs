//! Graph resource paths built segment by segment, so that a job id such as
//! `AD2AADProvisioning.fc96...` or a value with `/` or `#` always stays one percent-encoded segment.
//! An id that URL normalisation would collapse (`.`, `..`, or empty: `servicePrincipals/../x`
//! becomes `x`) cannot be encoded safely at all, so the path remembers it and
//! [`GraphPath::check`] refuses it; the client checks every path before sending.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters encoded inside one path segment: everything that could end or split the segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A path below the version segment, e.g. `servicePrincipals/{id}/synchronization/jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphPath {
    encoded: String,
    /// The first segment that cannot be sent (`.`, `..`, empty), as given.
    refused: Option<String>,
}

/// An id that cannot be one segment of a Graph URL path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{segment}' cannot be used as an id in a Graph URL: '.', '..' and empty ids are collapsed out of the path (Graph would be asked for another resource)"
)]
pub struct PathError {
    /// The refused value, as given.
    pub segment: String,
}

/// Checks that `value` can be one path segment: not empty, `.` or `..` (which URL normalisation
/// removes, also in their percent-encoded forms `%2E`, `%2E%2E`).
pub fn check_segment(value: &str) -> Result<(), PathError> {
    if matches!(value, "" | "." | "..") {
        Err(PathError {
            segment: value.to_owned(),
        })
    } else {
        Ok(())
    }
}

impl GraphPath {
    /// An empty path.
    pub fn new() -> Self {
        GraphPath::default()
    }

    /// Appends one segment, percent-encoding it so that it stays one segment.
    pub fn seg(mut self, segment: impl AsRef<str>) -> Self {
        let segment = segment.as_ref();
        if !self.encoded.is_empty() {
            self.encoded.push('/');
        }
        if self.refused.is_none() && check_segment(segment).is_err() {
            self.refused = Some(segment.to_owned());
        }
        self.encoded.extend(utf8_percent_encode(segment, SEGMENT));
        self
    }

    /// Refuses a path holding a segment that URL normalisation would collapse (see
    /// [`check_segment`]), naming the value.
    pub fn check(&self) -> Result<(), PathError> {
        match &self.refused {
            Some(s) => Err(PathError { segment: s.clone() }),
            None => Ok(()),
        }
    }

    /// Appends several literal segments written with `/` (`"synchronization/jobs"`). Use only for
    /// constants; anything from a user or the network goes through [`GraphPath::seg`].
    pub fn lit(mut self, segments: &str) -> Self {
        for s in segments.split('/').filter(|s| !s.is_empty()) {
            self = self.seg(s);
        }
        self
    }

    /// The encoded path, without a leading `/`.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }
}

impl fmt::Display for GraphPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_ids_with_dots_stay_one_segment_and_slashes_are_encoded() {
        let p = GraphPath::new()
            .lit("servicePrincipals")
            .seg("sp/1")
            .lit("synchronization/jobs")
            .seg("AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da")
            .lit("restart");
        assert_eq!(
            p.as_str(),
            "servicePrincipals/sp%2F1/synchronization/jobs/AD2AADProvisioning.fc96887f36da47508c935c28a0c0b6da/restart"
        );
        assert_eq!(GraphPath::new().seg("a b#c?").as_str(), "a%20b%23c%3F");
        assert_eq!(p.check(), Ok(()));
    }

    #[test]
    fn dot_dot_and_empty_ids_are_refused_naming_the_value() {
        for bad in ["..", ".", ""] {
            let p = GraphPath::new()
                .lit("servicePrincipals")
                .seg(bad)
                .lit("synchronization/jobs")
                .seg("x");
            let e = p
                .check()
                .err()
                .unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert_eq!(e.segment, bad);
            assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
        }
        // Dots inside an id, or three of them, are not collapsed.
        assert_eq!(check_segment("..."), Ok(()));
        assert_eq!(check_segment("AD2AADProvisioning.a.b"), Ok(()));
    }
}

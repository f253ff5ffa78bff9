//! Graph resource paths built segment by segment, so that a job id such as
//! `AD2AADProvisioning.fc96...` or a value with `/` or `#` always stays one percent-encoded segment.

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
        match segment {
            // `.` and `..` would be resolved away by URL normalisation.
            "." => self.encoded.push_str("%2E"),
            ".." => self.encoded.push_str("%2E%2E"),
            _ => self.encoded.extend(utf8_percent_encode(segment, SEGMENT)),
        }
        self
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
        assert_eq!(
            GraphPath::new().seg("..").seg("a b#c?").as_str(),
            "%2E%2E/a%20b%23c%3F"
        );
    }
}

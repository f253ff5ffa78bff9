//! Serde models of the Graph resources provctl reads and sends.

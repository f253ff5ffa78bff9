//! Pure functions from models to findings.

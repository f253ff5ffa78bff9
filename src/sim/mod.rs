//! The Graph emulator.

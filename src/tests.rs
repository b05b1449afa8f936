//! Whole-run and validation tests.

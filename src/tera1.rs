//! Integration with `tera1` (being written).

//! Integration with `tera` (being written).

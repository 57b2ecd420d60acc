//! Integration with `minijinja` (being written).

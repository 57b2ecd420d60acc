//! Integration with `axum` (being written).

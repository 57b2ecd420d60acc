//! Integration with `askama` (being written).

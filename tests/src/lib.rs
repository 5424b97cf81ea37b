//! Cross-component tests live in `tests/`.

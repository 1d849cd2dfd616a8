//! kwire errors with a retriable/fatal split.

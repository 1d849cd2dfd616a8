//! Cluster client: metadata, leader routing, typed operations.

//! Request framing and API version negotiation (KIP-35, KIP-896).

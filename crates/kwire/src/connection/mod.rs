//! Broker connections: TCP, TLS, SASL, pipelined requests.

//! v2 RecordBatch layer (Kafka protocol guide, "Record Batch"): synchronous, no I/O.

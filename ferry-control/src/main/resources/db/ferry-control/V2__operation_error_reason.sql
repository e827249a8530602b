-- Why an operation failed, as a machine-readable reason (google.rpc.ErrorInfo.reason), such as SOURCE_BINLOG_FORMAT.
ALTER TABLE operation ADD COLUMN error_reason TEXT;

"""Batch I/O: spreadsheets, JSONL, folders → rows; atomic writers. Never screens."""

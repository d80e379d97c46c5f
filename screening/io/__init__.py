"""Batch input and output: spreadsheets, JSONL and folders → rows; atomic result writers. No screening, no rendering."""

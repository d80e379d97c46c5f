"""The expression language: text → typed tree. Parsed, never `eval`ed."""

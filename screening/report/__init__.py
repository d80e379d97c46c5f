"""Renderers: decisions → text, JSON, Markdown, HTML, XLSX. Layout only."""

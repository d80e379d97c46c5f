"""Pydantic models of the YAML shapes: rule sets, projects, units. No evaluation."""

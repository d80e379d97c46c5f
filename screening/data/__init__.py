"""Package data: code lists read by the project model."""

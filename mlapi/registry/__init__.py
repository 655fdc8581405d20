"""The model registry: model records, their artifacts, and loading them safely."""

"""Teams: several people sharing models (members use them, maintainers manage them)."""

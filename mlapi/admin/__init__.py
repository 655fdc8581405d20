"""Administration: users, roles, service statistics and the default model."""

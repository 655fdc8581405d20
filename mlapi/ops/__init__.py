"""Operations: health, liveness and readiness for people and orchestrators."""

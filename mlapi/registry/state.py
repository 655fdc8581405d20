"""What the registry keeps per app: where artifacts are stored, and the warm estimators."""

from dataclasses import dataclass

from flask import Flask, current_app

from ..lru import LRUCache
from .db_store import DatabaseModelStore
from .store import FileModelStore, ModelStore

DATABASE_STORE = "db"  # MLAPI_MODEL_STORE=db: artifacts in the database; else a folder
EXTENSION = "mlapi.registry"


@dataclass
class RegistryState:
    store: ModelStore
    loaded_models: LRUCache  # (model id, sha256) -> estimator


def init_registry(app: Flask) -> RegistryState:
    state = RegistryState(
        store=store_for(app.config["MODEL_STORE"]),
        loaded_models=LRUCache(app.config["MODEL_CACHE_SIZE"]),
    )
    app.extensions[EXTENSION] = state
    return state


def store_for(setting: str) -> ModelStore:
    return DatabaseModelStore() if setting == DATABASE_STORE else FileModelStore(setting)


def model_store() -> ModelStore:
    return current_app.extensions[EXTENSION].store


def loaded_models() -> LRUCache:
    return current_app.extensions[EXTENSION].loaded_models

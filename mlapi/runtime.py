"""Per-app services that live beside the extensions: hashing, revocation, store, caches."""

from dataclasses import dataclass

from flask import Flask, current_app

from .auth.passwords import Passwords
from .auth.revocation import DatabaseRevocationStore, RevocationStore
from .lru import LRUCache
from .predictions.shared_cache import SharedPredictionCache
from .registry.db_store import DatabaseModelStore
from .registry.store import FileModelStore, ModelStore

DATABASE_STORE = "db"  # MLAPI_MODEL_STORE=db: artifacts in the database; else a folder


@dataclass
class Runtime:
    passwords: Passwords
    revocations: RevocationStore
    store: ModelStore
    loaded_models: LRUCache  # (model id, sha256) -> estimator
    predictions: LRUCache  # (model id, version, features) -> answer
    shared_predictions: SharedPredictionCache | None  # Redis, after a miss in ``predictions``


def init_runtime(app: Flask) -> Runtime:
    config = app.config
    runtime = Runtime(
        passwords=Passwords(**config["PASSWORD_HASH"]),
        revocations=DatabaseRevocationStore(),
        store=model_store(config["MODEL_STORE"]),
        loaded_models=LRUCache(config["MODEL_CACHE_SIZE"]),
        predictions=LRUCache(config["PREDICTION_CACHE_SIZE"]),
        shared_predictions=SharedPredictionCache.from_config(config),
    )
    app.extensions["mlapi"] = runtime
    return runtime


def model_store(setting: str) -> ModelStore:
    return DatabaseModelStore() if setting == DATABASE_STORE else FileModelStore(setting)


def runtime() -> Runtime:
    return current_app.extensions["mlapi"]

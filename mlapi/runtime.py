"""Per-app services that live beside the extensions: hashing, revocation, store, caches."""

from dataclasses import dataclass

from flask import Flask, current_app

from .auth.passwords import Passwords
from .auth.revocation import DatabaseRevocationStore, RevocationStore
from .lru import LRUCache
from .registry.store import FileModelStore


@dataclass
class Runtime:
    passwords: Passwords
    revocations: RevocationStore
    store: FileModelStore
    loaded_models: LRUCache  # (model id, sha256) -> estimator
    predictions: LRUCache  # (model id, version, features) -> answer


def init_runtime(app: Flask) -> Runtime:
    config = app.config
    runtime = Runtime(
        passwords=Passwords(**config["PASSWORD_HASH"]),
        revocations=DatabaseRevocationStore(),
        store=FileModelStore(config["MODEL_STORE"]),
        loaded_models=LRUCache(config["MODEL_CACHE_SIZE"]),
        predictions=LRUCache(config["PREDICTION_CACHE_SIZE"]),
    )
    app.extensions["mlapi"] = runtime
    return runtime


def runtime() -> Runtime:
    return current_app.extensions["mlapi"]

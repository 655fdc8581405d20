"""Settings: profiles, ``MLAPI_*`` variables, and refusing unsafe production settings."""

from datetime import timedelta
from pathlib import Path

import pytest

from mlapi import create_app
from mlapi.config import PUBLISHED_SECRET_KEYS, ConfigError, load_config, resolve_paths

SECRET = "s" * 32


def production(**variables) -> dict:
    return {"MLAPI_ENV": "production", **variables}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {"ENV": "development", "AUTO_MIGRATE": True, "LOG_LEVEL": "DEBUG"}),
        ({"MLAPI_ENV": ""}, {"ENV": "development", "AUTO_MIGRATE": True}),
        ({"MLAPI_ENV": "development"}, {"ENV": "development", "AUTO_MIGRATE": True}),
        ({"MLAPI_ENV": "testing"}, {"ENV": "testing", "TESTING": True, "AUTO_MIGRATE": False}),
        (
            production(MLAPI_SECRET_KEY=SECRET),
            {"ENV": "production", "AUTO_MIGRATE": False, "LOG_LEVEL": "INFO"},
        ),
    ],
    ids=["unset", "empty", "development", "testing", "production"],
)
def test_profile_comes_from_mlapi_env(environ, expected):
    settings = load_config(environ=environ)

    assert {key: settings.get(key) for key in expected} == expected


def test_production_is_not_in_testing_mode():
    assert not load_config(environ=production(MLAPI_SECRET_KEY=SECRET)).get("TESTING")


@pytest.mark.parametrize(
    "environ",
    [
        production(),
        production(MLAPI_SECRET_KEY=""),
        *(production(MLAPI_SECRET_KEY=key) for key in sorted(PUBLISHED_SECRET_KEYS)),
        production(MLAPI_SECRET_KEY="s" * 31),
        production(MLAPI_SECRET_KEY="é" * 15),
    ],
    ids=[
        "missing",
        "empty",
        "published-development-key",
        "published-testing-key",
        "31-bytes",
        "30-bytes-of-unicode",
    ],
)
def test_production_refuses_a_missing_default_or_short_secret(environ):
    with pytest.raises(ConfigError, match="MLAPI_SECRET_KEY"):
        load_config(environ=environ)


def test_production_accepts_a_32_byte_secret_and_signs_tokens_with_it():
    settings = load_config(environ=production(MLAPI_SECRET_KEY=SECRET))

    assert settings["SECRET_KEY"] == SECRET
    assert settings["JWT_SECRET_KEY"] == SECRET


def test_short_secret_is_refused_in_every_profile():
    with pytest.raises(ConfigError, match="32 bytes"):
        load_config(environ={"MLAPI_ENV": "development", "MLAPI_SECRET_KEY": "short"})


def test_app_refuses_to_start_in_production_without_a_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("MLAPI_ENV", "production")
    monkeypatch.delenv("MLAPI_SECRET_KEY", raising=False)

    with pytest.raises(ConfigError, match="MLAPI_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance")})


@pytest.mark.parametrize(
    ("variable", "value", "key", "expected"),
    [
        ("MLAPI_SECRET_KEY", "k" * 40, "SECRET_KEY", "k" * 40),
        (
            "MLAPI_DATABASE_URL",
            "postgresql+psycopg://db/mlapi",
            "SQLALCHEMY_DATABASE_URI",
            "postgresql+psycopg://db/mlapi",
        ),
        ("MLAPI_MODEL_STORE", "/srv/models", "MODEL_STORE", "/srv/models"),
        ("MLAPI_JWT_ACCESS_EXPIRES", "60", "JWT_ACCESS_TOKEN_EXPIRES", timedelta(seconds=60)),
        ("MLAPI_JWT_REFRESH_EXPIRES", "86400", "JWT_REFRESH_TOKEN_EXPIRES", timedelta(days=1)),
        ("MLAPI_MAX_JSON_BYTES", "2048", "MAX_CONTENT_LENGTH", 2048),
        ("MLAPI_PREDICTION_CACHE_SIZE", "0", "PREDICTION_CACHE_SIZE", 0),
        ("MLAPI_MODEL_CACHE_SIZE", "3", "MODEL_CACHE_SIZE", 3),
        ("MLAPI_LOG_LEVEL", "WARNING", "LOG_LEVEL", "WARNING"),
    ],
)
def test_environment_variable_sets_its_setting(variable, value, key, expected):
    # A key, since a database server without one refuses to start (tests/security).
    assert load_config(environ={"MLAPI_SECRET_KEY": SECRET, variable: value})[key] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        ("ON", True),
        (" True ", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_boolean_variable_spellings(value, expected):
    assert load_config(environ={"MLAPI_AUTO_MIGRATE": value})["AUTO_MIGRATE"] is expected


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MLAPI_AUTO_MIGRATE", "maybe"),
        ("MLAPI_JWT_ACCESS_EXPIRES", "15m"),
        ("MLAPI_JWT_REFRESH_EXPIRES", "thirty days"),
        ("MLAPI_JWT_ACCESS_EXPIRES", "0"),
        ("MLAPI_JWT_REFRESH_EXPIRES", "-60"),
        ("MLAPI_MAX_JSON_BYTES", "1MB"),
        ("MLAPI_MODEL_CACHE_SIZE", "8.5"),
    ],
)
def test_unparseable_variable_is_refused_naming_it(variable, value):
    with pytest.raises(ConfigError, match=variable):
        load_config(environ={variable: value})


@pytest.mark.parametrize("profile", ["prod", "Production", "staging", " testing"])
def test_unknown_profile_is_refused_listing_the_known_ones(profile):
    with pytest.raises(ConfigError, match="development, testing, production"):
        load_config(environ={"MLAPI_ENV": profile})


def test_explicit_settings_win_over_environment_variables():
    settings = load_config(
        {"MODEL_STORE": "/from/code"}, environ={"MLAPI_MODEL_STORE": "/from/env"}
    )

    assert settings["MODEL_STORE"] == "/from/code"


def test_database_and_model_store_default_to_the_instance_folder(tmp_path):
    settings = load_config(environ={})

    resolve_paths(settings, str(tmp_path))

    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'mlapi.db'}"
    assert Path(settings["MODEL_STORE"]) == tmp_path / "models"


def test_default_lifetimes_are_15_minutes_and_30_days():
    settings = load_config(environ={})

    assert settings["JWT_ACCESS_TOKEN_EXPIRES"] == timedelta(minutes=15)
    assert settings["JWT_REFRESH_TOKEN_EXPIRES"] == timedelta(days=30)

"""Tests that need a Debian package skip without it, saying which one to install, on a
developer's machine; under ``CI=true`` (.ci/run installs them) the same absence fails them.

chromium: tests/browser (part of the default run). nginx: tests/services/test_slow_clients.py
(``MLAPI_SERVICES_TESTS=1``)."""

import shutil

import pytest

from tests.browser import conftest as browser
from tests.services import test_slow_clients as slow_clients


@pytest.fixture(params=["chromium", "nginx-light"])
def absent(request, monkeypatch, tmp_path):
    """The check of one package, on a machine without that package; its install hint."""
    if request.param == "chromium":
        monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "chromium"))
        return browser.chromium, "apt-get install -y chromium"
    monkeypatch.setattr(slow_clients.shutil, "which", lambda *args, **kwargs: None)
    return slow_clients.nginx_binary, "apt-get install -y nginx-light"


def test_without_the_package_its_tests_skip_naming_it(absent, monkeypatch):
    check, install = absent
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match=install):
        check()


def test_without_the_package_its_tests_fail_in_ci(absent, monkeypatch):
    check, install = absent
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match=install):
        check()


def test_an_installed_chromium_is_the_one_launched(monkeypatch, tmp_path):
    installed = tmp_path / "chromium"
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    monkeypatch.setattr(browser, "CHROMIUM", str(installed))

    assert browser.chromium() == str(installed)


def test_an_installed_nginx_is_the_one_run(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name, path=None: f"/opt/bin/{name}")

    assert slow_clients.nginx_binary() == "/opt/bin/nginx"

"""Each team's tests build one interaction per test on a fresh ``Pact`` (the mock server
freezes a pact once it serves it), merge them into a staging folder, and the module's
teardown replaces ``contract/pacts/<consumer>-mlapi.json`` only when every test of the
module ran and passed: a filtered or failing run never leaves a partial pact behind.
Merged interactions are sorted by description, so a re-run writes the same file.
"""

import shutil
from pathlib import Path

import pytest
from pact import Pact

from .terms import PACT_DIR, PROVIDER

_PASSED = pytest.StashKey[bool]()  # on each test item: its setup, call and teardown passed


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.passed:
        item.stash.setdefault(_PASSED, True)
    elif report.failed:
        item.stash[_PASSED] = False
    return report


@pytest.fixture(scope="module")
def staged_pacts(request, tmp_path_factory):
    """Where this module's interactions are merged; published at the module's end."""
    staging = tmp_path_factory.mktemp("pacts")
    yield staging
    module = request.node
    tests = [item for item in request.session.items if item.module is module.obj]
    complete = len(tests) == len(list(module.collect()))
    if complete and all(item.stash.get(_PASSED, False) for item in tests):
        PACT_DIR.mkdir(exist_ok=True)
        for pact_file in sorted(Path(staging).glob("*.json")):
            shutil.copyfile(pact_file, PACT_DIR / pact_file.name)


@pytest.fixture
def pact(request, staged_pacts):
    """A V4 pact between the module's ``CONSUMER`` and mlapi, for this test's interaction."""
    pact = Pact(request.module.CONSUMER, PROVIDER).with_specification("V4")
    yield pact
    pact.write_file(staged_pacts)

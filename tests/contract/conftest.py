"""The provider side of the teams' pacts, for test_pacts.py and test_pact_harness.py."""

import pytest

from tests.contract.pact_states import ProviderStates
from tests.support.pact_provider import running_mlapi


@pytest.fixture(scope="module")
def provider(request, tmp_path_factory):
    """mlapi under gunicorn for the module's pacts, with ``PACT_WORKERS`` workers (a module
    constant; 2 without one)."""
    workers = getattr(request.module, "PACT_WORKERS", 2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PACT_DO_NOT_TRACK", "true")  # pact_ffi reports usage otherwise
        with running_mlapi(tmp_path_factory.mktemp("pact-provider"), workers=workers) as running:
            yield running


@pytest.fixture(scope="module")
def states(provider):
    """The provider states, set through the service layer on the server's database."""
    states = ProviderStates(provider.app)
    yield states
    states.seed.dispose()

"""Provider verification: every consumer pact in contract/pacts/ replayed against a real mlapi.

The teams' pacts (contract/consumers/<team>/, written to contract/pacts/) say what each
team's client sends and relies on. mlapi runs under gunicorn (tests/support/pact_provider.py);
the provider states are set through the service layer (tests/contract/pact_states.py). A
failure names the team and the interaction that no longer holds.
"""

from pathlib import Path

from tests.support.pact_provider import verify_pacts

PACTS = Path(__file__).resolve().parents[2] / "contract" / "pacts"


def test_every_consumer_pact_holds_against_the_running_service(provider, states):
    pacts = sorted(PACTS.glob("*.json"))
    assert pacts, f"no pact files in {PACTS}: run the consumer tests (tox -e contract)"
    verification = verify_pacts(PACTS, provider, states)
    assert verification.passed, verification.report()
    verified = {
        (found["consumer"], found["description"])
        for found in verification.results["interactionResults"]
    }
    assert verified == set(verification.given)  # every interaction of every file was replayed

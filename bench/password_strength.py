"""What scoring a new password costs: ``python bench/password_strength.py``.

Register and a password change score the password with zxcvbn (``mlapi/auth/password_rules``)
before hashing it with argon2id. zxcvbn's cost grows with the length (it refuses more than 72
characters unless told), so this scores 128-character passwords of several shapes, ``--runs``
times each (default 20), and prints the median and the slowest run next to one argon2id hash
with the production cost (``BaseConfig.PASSWORD_HASH``). CPU-bound: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlapi.auth.password_rules import MAX_LENGTH, weakness
from mlapi.auth.passwords import Passwords
from mlapi.config import BaseConfig

WORDS = "marble kettle saffron dune orchard lantern violet basalt quarry tundra glacier"


def shapes() -> dict[str, str]:
    rng = random.Random(20)  # noqa: S311  (the same passwords on every run, no secret)
    alphabet = string.ascii_letters + string.digits + string.punctuation
    return {
        "random characters": "".join(rng.choice(alphabet) for _ in range(MAX_LENGTH)),
        "random digits": "".join(rng.choice(string.digits) for _ in range(MAX_LENGTH)),
        "passphrase": (WORDS + " " + WORDS[::-1])[:MAX_LENGTH],
        "one letter": "a" * MAX_LENGTH,
    }


def timed(action, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    for name, password in shapes().items():
        times = timed(
            lambda p=password: weakness(p, username="alice", email="alice@example.com"), runs
        )
        print(
            f"zxcvbn, {name:18} ({len(password)} chars): median {statistics.median(times):6.1f} ms,"
            f" slowest {max(times):6.1f} ms"
        )
    hasher = Passwords(**BaseConfig.PASSWORD_HASH)
    times = timed(lambda: hasher.hash(WORDS), runs)
    print(f"argon2id hash (production cost):          median {statistics.median(times):6.1f} ms")


if __name__ == "__main__":
    main()

"""Fail CI when a suite silently ran nothing: count passed tests per top-level folder."""

import sys
import xml.etree.ElementTree as ET
from collections import Counter

# Each suite and the fewest passing tests it must have (well under the real counts).
REQUIRED = {"features": 30, "tests.unit": 100, "tests.harness": 3, "tests.browser": 1,
            "tests.contract": 40, "tests.security": 100, "tests.reliability": 15}


def main(path: str) -> int:
    passed: Counter[str] = Counter()
    for case in ET.parse(path).iter("testcase"):  # noqa: S314
        if any(child.tag in {"failure", "error", "skipped"} for child in case):
            continue
        classname = case.get("classname", "")
        suite = next((s for s in REQUIRED if classname.startswith(s)), "other")
        passed[suite] += 1
    print("passed per suite:", dict(passed))
    short = {s: n for s, n in REQUIRED.items() if passed[s] < n}
    if short:
        print(f"too few passing tests in {short}: a suite did not run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

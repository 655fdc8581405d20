"""Fail CI when a suite silently ran nothing: count passed tests per top-level folder.

A skipped test does not count: under ``CI=true`` nothing may skip for want of a service or
a package (Redis, chromium, nginx), so a suite short of passes names the skip reasons."""

import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

# Each suite and the fewest passing tests it must have (well under the real counts).
REQUIRED = {
    "features": 30,
    "tests.unit": 100,
    "tests.harness": 3,
    "tests.browser": 1,
    "tests.contract": 40,
    "tests.security": 100,
    "tests.reliability": 15,
}


def main(path: str) -> int:
    passed: Counter[str] = Counter()
    skipped: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for case in ET.parse(path).iter("testcase"):  # noqa: S314
        classname = case.get("classname", "")
        suite = next((s for s in REQUIRED if classname.startswith(s)), "other")
        for child in case:
            if child.tag == "skipped":
                skipped[suite][child.get("message", "")] += 1
        if any(child.tag in {"failure", "error", "skipped"} for child in case):
            continue
        passed[suite] += 1
    print("passed per suite:", dict(passed))
    short = {s: n for s, n in REQUIRED.items() if passed[s] < n}
    if short:
        print(f"too few passing tests in {short}: a suite did not run", file=sys.stderr)
        for suite in short:
            for reason, count in skipped[suite].items():
                print(f"  {suite}: {count} skipped: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

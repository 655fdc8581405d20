"""Mutation score per module from mutmut's results; exit 1 when a module is under the bar.

mutmut 3 writes one ``mutants/<module path>.meta`` JSON file per mutated module with each
mutant's exit code (run ``mutmut run`` first). Killed and timed-out mutants count as
detected; survivors and mutants no selected test reaches ("no tests") count against the
score. A module with unchecked mutants fails too: its run did not finish.

    python scripts/mutation_score.py [--min 80] [--results mutants]
"""

import argparse
import json
import sys
from pathlib import Path

# mutmut 3.8's meaning of a mutant's exit code (mutmut/stats.py: status_by_exit_code).
STATUS_BY_EXIT_CODE = {
    1: "killed",
    3: "killed",
    37: "killed",  # 37: caught by the type check
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    None: "not checked",
    2: "not checked",
    36: "timeout",
    24: "timeout",
    -24: "timeout",
    152: "timeout",
    255: "timeout",
    -11: "killed",
    -9: "killed",  # the mutant crashed the test process
}
COLUMNS = ("killed", "survived", "timeout", "no tests", "suspicious", "not checked")


def tally(meta: Path) -> dict[str, int]:
    counts = dict.fromkeys(COLUMNS, 0)
    for exit_code in json.loads(meta.read_text("utf-8"))["exit_code_by_key"].values():
        status = STATUS_BY_EXIT_CODE.get(exit_code, "suspicious")
        if status != "skipped":
            counts[status] += 1
    return counts


def score(counts: dict[str, int]) -> float:
    total = sum(counts.values())
    return 100.0 * (counts["killed"] + counts["timeout"]) / total if total else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=80.0, help="the bar per module, in %%")
    parser.add_argument(
        "--results", type=Path, default=Path("mutants"), help="mutmut's work folder"
    )
    args = parser.parse_args(argv)

    metas = sorted(args.results.rglob("*.py.meta"))
    if not metas:
        print(f"no mutmut results under {args.results}/: run `mutmut run` first")
        return 1
    rows = [(str(m.relative_to(args.results))[: -len(".meta")], tally(m)) for m in metas]
    width = max(len("module"), *(len(name) for name, _ in rows))
    print(" | ".join(["module".ljust(width), *COLUMNS, "score"]))
    failing = []
    for name, counts in rows:
        value = score(counts)
        cells = [str(counts[c]).rjust(len(c)) for c in COLUMNS]
        print(" | ".join([name.ljust(width), *cells, f"{value:5.1f} %"]))
        if value < args.min or counts["not checked"]:
            failing.append(name)
    if failing:
        print(f"under {args.min:g} % or not fully checked: {', '.join(failing)}")
        return 1
    print(f"every module at or above {args.min:g} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmarks/bench_*.py as its own process and echo the JSON lines they print (`make bench`).

    .venv/bin/python benchmarks/run_all.py            # all of them, in name order
    .venv/bin/python benchmarks/run_all.py import     # only those whose name contains "import"

The environment (DATABASE_URL, …) is passed on. Each benchmark's stderr goes to our stderr; our stdout holds only
their JSON lines. Exits 1 when a benchmark fails or prints something that is not JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    wanted = sys.argv[1:] if argv is None else argv
    scripts = [s for s in sorted(HERE.glob("bench_*.py")) if not wanted or any(w in s.stem for w in wanted)]
    if not scripts:
        print("No benchmark matches.", file=sys.stderr)
        return 1
    failures = 0
    for script in scripts:
        print(f"-> {script.name}", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False
        )
        for line in proc.stdout.splitlines():
            if not line.strip():
                continue
            try:
                json.loads(line)
            except ValueError:
                print(f"{script.name}: not a JSON line: {line}", file=sys.stderr)
                failures += 1
                continue
            print(line, flush=True)
        if proc.returncode:
            print(f"{script.name} failed (exit status {proc.returncode}).", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m genrelab.report``: parse the command line and call the runner or the publisher."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from genrelab import config, runs
from genrelab.errors import GenrelabError
from genrelab.report.execute import DEFAULT_JOBS, run_report
from genrelab.report.publish import publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genrelab.report",
        description="Run the numbered notebooks with papermill into runs/<run_id>/.",
    )
    parser.add_argument(
        "--params", default=str(config.PARAMS_DIR / "default.yaml"), help="parameters YAML"
    )
    parser.add_argument(
        "--run-id", default=datetime.now().strftime("%Y%m%d-%H%M%S"), help="run folder name"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bars")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(config.setting("GENRELAB_REPORT_JOBS") or DEFAULT_JOBS),
        help="notebooks run at the same time when they do not depend on each other "
        f"(default: GENRELAB_REPORT_JOBS or {DEFAULT_JOBS}: 02, 03 and 04 together after 01)",
    )
    parser.add_argument(
        "--publish",
        metavar="RUN_ID",
        help=f"publish a complete run (e.g. {runs.LATEST}): its chosen figures to figures/, "
        "results/results.json and the README's results block; then stop",
    )
    args = parser.parse_args(argv)
    try:
        if args.publish:
            for path in publish(args.publish):
                print(path.relative_to(config.PROJECT_ROOT))
        else:
            run_report(args.params, args.run_id, progress_bar=not args.no_progress, jobs=args.jobs)
    except (GenrelabError, FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

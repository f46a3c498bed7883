"""The collection's command line: ``python -m genrelab.collect login`` (it only parses and calls).

``login`` authorizes the app for your library once (it opens the browser, or prints a URL with
``--no-browser``) and caches the token, so notebooks can read your liked and top tracks.
"""

from __future__ import annotations

import argparse
import sys

from genrelab.collect import library, spotify_client
from genrelab.collect.errors import (
    NetworkError,
    RateLimitError,
    SpotifyAccessError,
    SpotifyCredentialsError,
)

PROG = "python -m genrelab.collect"
#: failures the user can fix (credentials, access, network, rate limit, a bad --user name):
#: printed, exit status 1
EXPECTED = (SpotifyCredentialsError, SpotifyAccessError, NetworkError, RateLimitError, ValueError)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login", help="authorize the app for your library (caches the token)")
    login.add_argument("--user", default="me", help="name of the token file (compare two users)")
    login.add_argument(
        "--no-browser", action="store_true", help="print the URL instead of opening a browser"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "login":
            sp = spotify_client.user_client(
                args.user, interactive=True, open_browser=not args.no_browser
            )
            print(library.profile(client=sp).to_string(index=False))
    except EXPECTED as err:  # an expected failure is its message, not a traceback
        print(f"{PROG} {args.command}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

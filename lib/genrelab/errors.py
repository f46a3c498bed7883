"""The one base class of the package's own errors: ``except GenrelabError`` catches any of them.

Each error also keeps the built-in class it always had (``ValueError`` for bad input,
``RuntimeError`` for a failed step), so existing ``except ValueError`` code keeps working.
"""

from __future__ import annotations


class GenrelabError(Exception):
    """An error raised by genrelab itself, with a message that names what is at fault."""

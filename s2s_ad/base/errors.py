"""Errors: every refusal of the compiler is a DifferentiationError naming the user's code.

The message has the form

    file.py:12:8: <what is wrong>
        y = np.frobnicate(x)
            ^
    <what to do instead>
"""


class DifferentiationError(Exception):
    """Base class of everything s2s_ad refuses."""

    def __init__(self, message, hint=None, location=None):
        self.message = message
        self.hint = hint
        self.location = location  # a Location, or None
        super().__init__(self._format())

    def _format(self):
        parts = []
        if self.location is not None:
            parts.append(f"{self.location.where()}: {self.message}")
            excerpt = self.location.excerpt()
            if excerpt:
                parts.append(excerpt)
        else:
            parts.append(self.message)
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntaxError(DifferentiationError):
    """A Python construct the compiler does not differentiate."""


class NonDifferentiableCallError(DifferentiationError):
    """A call to a callable with no derivative rule and no Python source."""


class SourceUnavailableError(DifferentiationError):
    """The function's source cannot be found (exec, the plain REPL, C functions)."""


class SourceMismatchError(SourceUnavailableError):
    """The text found for a function is not the code that runs (its file changed since it was
    imported, or it was made by exec with that file's name)."""


class BadArgumentError(DifferentiationError, TypeError):
    """The transform was asked something that cannot be answered (bad wrt, non-scalar grad ...)."""


class Unbatchable(Exception):
    """The function uses something the batched modes do not handle (jacobians then loop).
    Internal: the higher-order transforms catch it and fall back to one call per vector."""


class Location:
    """A place in the user's source: file, 1-based line, 0-based column, and the line's text."""

    def __init__(self, filename, line, col, text):
        self.filename, self.line, self.col, self.text = filename, line, col, text

    def where(self):
        return f"{self.filename}:{self.line}:{self.col + 1}"

    def excerpt(self):
        if not self.text:
            return ""
        stripped = self.text.rstrip("\n")
        indent = len(stripped) - len(stripped.lstrip())
        col = max(self.col - indent, 0)
        return f"    {stripped.strip()}\n    {' ' * col}^"

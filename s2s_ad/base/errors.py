"""Errors: every refusal of the compiler is a DifferentiationError naming the user's code.

The message has the form

    file.py:12:8: <what is wrong>
        y = np.frobnicate(x)
            ^
    <what to do instead>
"""


class DifferentiationError(Exception):
    """Base class of everything s2s_ad refuses to differentiate.

    Its message names the place in the user's code at fault (`file:line:column`, the line
    and a caret under the construct or callable), says what is wrong, then what to do
    instead.  Catch it to handle any refusal; the subclasses say which kind it is.

    Attributes:
      message: what is wrong, without the place.
      hint: what to do instead, or None.
      location: the place in the user's source (`.filename`, `.line`, `.col`, `.text`), or
        None where there is none (a bad argument to a transform).

    Example:
      >>> def f(x):
      ...     try:
      ...         return np.sqrt(x)
      ...     except ValueError:
      ...         return 0.0
      >>> try:
      ...     ad.grad(f)(4.0)
      ... except ad.DifferentiationError as error:
      ...     print(type(error).__name__, "at line", error.location.line)
      ...     print(error.message)
      ...     print(error.hint)
      UnsupportedSyntaxError at line 3
      `return` in a `try` body is not supported
      Assign the result, and return after the `try`.
    """

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
    """A Python construct s2s_ad does not differentiate (a generator, `global` writes ...).

    Raised at the first call of the derivative, naming the construct's line.

    Example:
      >>> def f(x):
      ...     yield x
      >>> try:
      ...     ad.grad(f)(1.0)
      ... except ad.UnsupportedSyntaxError as error:
      ...     print(error.message)
      f is a generator (it has `yield`): its output is not a value
    """


class NonDifferentiableCallError(DifferentiationError):
    """A call to a callable with no derivative rule and no Python source to differentiate.

    The hint names the ways out: give it rules (`ad.defvjp`, `ad.defjvp`), declare it
    `ad.nondifferentiable`, or wrap its argument in `ad.stop_gradient`.

    Example:
      >>> def f(x):
      ...     return np.nanmedian(x)
      >>> try:
      ...     ad.grad(f)(np.eye(2))
      ... except ad.NonDifferentiableCallError as error:
      ...     print(error.message)
      no derivative rule for np.nanmedian
    """


class SourceUnavailableError(DifferentiationError):
    """The source of the function to differentiate cannot be read.

    It was made by `exec`, typed at the plain Python REPL, or is a built-in function without
    derivative rules.  Define the function in a file or a notebook cell, or give it rules with `ad.defvjp`.

    Example:
      >>> try:
      ...     ad.grad(print)(1.0)
      ... except ad.SourceUnavailableError as error:
      ...     print(error.message)
      cannot differentiate <built-in function print>: it is not a Python function with source
    """


class SourceMismatchError(SourceUnavailableError):
    """The text found for a function is not the code that runs (its file changed since it was
    imported, or it was made by exec with that file's name)."""


class BadArgumentError(DifferentiationError, TypeError):
    """A transform was called with arguments it cannot answer.

    A wrt naming no parameter, the gradient of a function whose output is not a scalar,
    tangents not in a tuple ...  It is a `TypeError` too.

    Example:
      >>> def f(x, y):
      ...     return x * y
      >>> try:
      ...     ad.grad(f, wrt="z")
      ... except ad.BadArgumentError as error:
      ...     print(error.message)
      wrt='z': f has no parameter named 'z' (its parameters are ('x', 'y'))
    """


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

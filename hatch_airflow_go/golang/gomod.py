"""go.mod files: a pure-Python reader and the bundle-module rules.

The reader follows the go command's own grammar (lines and ``verb ( ... )`` blocks, ``//``
comments, double-quoted strings, ``// indirect``, deprecation and retraction comments) and
applies the same checks ``go mod edit`` applies before it prints anything, so that a file we
accept is a file the go command accepts, and every field we report is the one ``go mod edit
-json`` prints (the test suite compares the two on a corpus). It never starts a process:
pre-commit runs it on every commit. Repairs, which need a Go toolchain, live in
:mod:`hatch_airflow_go.golang.gomodfix`.

Fields hold the file as the go command reads it: versions canonicalised (``v1.2`` becomes
``v1.2.0``), and duplicate ``exclude``/``tool``/``ignore`` lines and superseded ``replace``
lines dropped, exactly as the go command drops them.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go.errors import GoModError, PathLike, shorten
from hatch_airflow_go.regularfile import NotRegularFile, read_regular

PACKER_TOOL = "github.com/apache/airflow/go-sdk/cmd/airflow-go-pack"
SDK_MODULE = "github.com/apache/airflow/go-sdk"
TOOL_MIN_GO = "1.24"  # the first Go release whose go.mod grammar has the `tool` directive
# The version go writes in a `require` of a module that is only ever replaced by a directory.
LOCAL_REPLACE_VERSION = "v0.0.0-00010101000000-000000000000"

_BLOCK_VERBS = frozenset(
    ("module", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore")
)
_PUNCT = frozenset("()[]{},")
_GO_VERSION_RE = re.compile(r"([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?\Z")
_VERSION_KEY_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?:([a-z]+)(\d+))?\Z")
_PRERELEASES = ("alpha", "beta", "rc")
# What `go mod edit -go=` accepts, less suffixes Go gives no order to (`1.24foo1`).
_MIN_GO_RE = re.compile(
    r"[1-9][0-9]*\.(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))?(?:(?:alpha|beta|rc)[0-9]+)?\Z"
)
_TOOLCHAIN_RE = re.compile(r"default\Z|go1(\Z|\.)")
_DEPRECATED_RE = re.compile(r"(?:^|\n\n)Deprecated: *(.*?)(?:\Z|\n\n)", re.DOTALL)
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER_RE = re.compile(
    r"v(0|[1-9][0-9]*)"
    r"(?:\.(0|[1-9][0-9]*)"
    r"(?:\.(0|[1-9][0-9]*)"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r")?)?\Z"
)
_GO_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", '"': '"',
}  # fmt: skip


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class ModuleVersion:
    """A module path with an optional version (empty for a local directory)."""

    path: str
    version: str = ""


@dataclass(frozen=True)
class Require:
    """One ``require`` line."""

    path: str
    version: str
    indirect: bool = False
    line: int = 0


@dataclass(frozen=True)
class Exclude:
    """One ``exclude`` line."""

    path: str
    version: str
    line: int = 0


@dataclass(frozen=True)
class Replace:
    """One ``replace`` line: ``old`` (version optional) ``=>`` ``new`` (no version: a directory)."""

    old: ModuleVersion
    new: ModuleVersion
    line: int = 0

    @property
    def is_local(self) -> bool:
        """Whether the replacement is a directory on disk rather than another module."""
        return not self.new.version


@dataclass(frozen=True)
class Retract:
    """One ``retract`` line: a closed version interval and its rationale comment."""

    low: str
    high: str
    rationale: str = ""
    line: int = 0


@dataclass(frozen=True)
class Godebug:
    """One ``godebug key=value`` setting."""

    key: str
    value: str
    line: int = 0


@dataclass
class GoMod:
    """The facts of one go.mod file, as the go command reads them."""

    path: Optional[Path] = None
    module: Optional[str] = None
    go: Optional[str] = None
    toolchain: Optional[str] = None
    requires: list[Require] = field(default_factory=list)
    replaces: list[Replace] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    excludes: list[Exclude] = field(default_factory=list)
    retracts: list[Retract] = field(default_factory=list)
    godebug: list[Godebug] = field(default_factory=list)
    ignores: list[str] = field(default_factory=list)
    deprecated: Optional[str] = None
    go_line: int = 0
    tool_lines: dict[str, int] = field(default_factory=dict)

    def require(self, module_path: str) -> Optional[Require]:
        """The last ``require`` of ``module_path`` (what MVS starts from), if any."""
        found = [req for req in self.requires if req.path == module_path]
        return found[-1] if found else None

    def replacement(self, module_path: str) -> Optional[Replace]:
        """The ``replace`` that applies to ``module_path`` (any version), if any."""
        for rep in reversed(self.replaces):
            if rep.old.path == module_path:
                return rep
        return None

    def edit_json(self) -> dict[str, Any]:
        """The value ``go mod edit -json`` prints for this file (keys and omissions alike)."""

        def version(mod: ModuleVersion) -> dict[str, str]:
            out = {"Path": mod.path}
            if mod.version:
                out["Version"] = mod.version
            return out

        def omit_empty(**items: str) -> dict[str, str]:
            return {key: value for key, value in items.items() if value}

        module: dict[str, str] = {"Path": self.module or ""}
        if self.deprecated:
            module["Deprecated"] = self.deprecated
        data: dict[str, Any] = {"Module": module}
        if self.go:
            data["Go"] = self.go
        if self.toolchain:
            data["Toolchain"] = self.toolchain
        if self.godebug:
            data["GoDebug"] = [{"Key": g.key, "Value": g.value} for g in self.godebug]
        requires: list[dict[str, Any]] = []
        for req in self.requires:
            entry: dict[str, Any] = {"Path": req.path}
            if req.version:
                entry["Version"] = req.version
            if req.indirect:
                entry["Indirect"] = True
            requires.append(entry)
        data["Require"] = requires or None
        data["Exclude"] = [version(ModuleVersion(x.path, x.version)) for x in self.excludes] or None
        data["Replace"] = [
            {"Old": version(rep.old), "New": version(rep.new)} for rep in self.replaces
        ] or None
        data["Retract"] = [
            omit_empty(Low=r.low, High=r.high, Rationale=r.rationale) for r in self.retracts
        ] or None
        data["Tool"] = [{"Path": tool} for tool in self.tools] or None
        data["Ignore"] = [{"Path": path} for path in self.ignores] or None
        return data


class GoModSyntaxError(GoModError):
    """A go.mod file the go command would refuse to read; ``line`` is 1-based."""

    def __init__(self, message: str, *, file: Optional[PathLike], line: int) -> None:
        self.file = None if file is None else Path(file)
        self.line = line
        where = f"{file if file is not None else 'go.mod'}:{line}"
        super().__init__(
            message,
            path=where,
            fix="correct the line (`go mod edit -fmt` shows the go command's own complaint)",
        )


# --------------------------------------------------------------------------- lexing


@dataclass
class _Comment:
    text: str  # "" marks a blank line inside a block (it separates comment paragraphs)


@dataclass
class _Line:
    tokens: list[str]
    number: int
    before: list[_Comment] = field(default_factory=list)
    suffix: Optional[str] = None


@dataclass
class _Block:
    header: list[str]
    number: int
    lines: list[_Line] = field(default_factory=list)
    before: list[_Comment] = field(default_factory=list)


_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r]+)
    | (?P<comment>//.*)
    | (?P<cstyle>/\*)
    | (?P<punct>[()\[\]{},])
    | (?P<string>"(?:[^"\\]|\\.)*"|`[^`]*`)
    | (?P<open>["`])
    | (?P<ident>(?:[^\s()\[\]{},/"`]|/(?![/*]))(?:[^\s()\[\]{},/]|/(?![/*]))*)
    """,
    re.VERBOSE,
)


def _tokenize(text: str, number: int, file: Optional[PathLike]) -> tuple[list[str], Optional[str]]:
    """Split one physical line into tokens and its ``//`` comment (if any).

    Tokens never span lines in go.mod (a string may not hold a newline), so the go
    command's rune-by-rune lexer reduces to one regular expression per token.
    """
    tokens: list[str] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN_RE.match(text, pos)
        kind = match.lastgroup if match else None
        if match is None or kind == "open":
            problem = (
                "unexpected newline in string"
                if kind == "open"
                else f"unexpected input character {text[pos]!r}"
            )
            raise GoModSyntaxError(problem, file=file, line=number)
        if kind == "comment":
            return tokens, match.group().rstrip("\r")
        if kind == "cstyle":
            raise GoModSyntaxError(
                "mod files must use // comments (not /* */ comments)", file=file, line=number
            )
        if kind != "space":
            token = match.group()
            # Go's identifiers are printable runes only; the class above lets controls through.
            if kind == "ident" and not token.isprintable():
                bad = next(c for c in token if not c.isprintable())
                raise GoModSyntaxError(
                    f"unexpected input character {bad!r}", file=file, line=number
                )
            tokens.append(token)
        pos = match.end()
    return tokens, None


def _structure(text: str, file: Optional[PathLike]) -> list[Any]:
    """The statements of a go.mod file: top-level lines and blocks, with their comments."""
    statements: list[Any] = []
    pending: list[_Comment] = []  # whole-line comments directly above the next statement
    block: Optional[_Block] = None
    block_comments: list[_Comment] = []
    physical = text.split("\n")
    for index, raw in enumerate(physical, start=1):
        tokens, comment = _tokenize(raw, index, file)
        if block is not None:
            if not tokens:
                if comment is not None:
                    block_comments.append(_Comment(comment))
                elif (not block_comments and block.lines) or (
                    block_comments and block_comments[-1].text
                ):
                    block_comments.append(_Comment(""))
                continue
            if tokens[0] == ")":
                if len(tokens) > 1:
                    raise GoModSyntaxError(
                        "syntax error (expected newline after closing paren)",
                        file=file,
                        line=index,
                    )
                statements.append(block)
                block, block_comments = None, []
                continue
            block.lines.append(_Line(tokens, index, before=block_comments, suffix=comment))
            block_comments = []
            continue
        if not tokens:
            if comment is not None:
                pending.append(_Comment(comment))
            else:
                pending = []
            continue
        if len(tokens) >= 2 and tokens[-1] == "(":
            block = _Block(tokens[:-1], index, before=pending)
        elif len(tokens) >= 3 and tokens[-2:] == ["(", ")"]:
            statements.append(_Block(tokens[:-2], index, before=pending))
        else:
            statements.append(_Line(tokens, index, before=pending, suffix=comment))
        pending = []
    if block is not None:
        name = file if file is not None else "go.mod"
        raise GoModSyntaxError(
            f"syntax error (unterminated block started at {name}:{block.number}:1)",
            file=file,
            line=len(physical),
        )
    return statements


# --------------------------------------------------------------------------- values


def _unquote(token: str) -> str:
    """Go's strconv.Unquote for a double-quoted string token."""
    if len(token) < 2 or token[-1] != '"':
        raise ValueError("invalid syntax")
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == '"':
            raise ValueError("invalid syntax")
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("invalid syntax")
        code = body[i + 1]
        if code in _GO_ESCAPES:
            out.append(_GO_ESCAPES[code])
            i += 2
        elif code in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("invalid syntax")
            value = int(digits, 16)
            if code != "x" and (value > 0x10FFFF or 0xD800 <= value <= 0xDFFF):
                raise ValueError("invalid syntax")
            out.append(chr(value))
            i += 2 + width
        elif code in "01234567":
            digits = body[i + 1 : i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits) or int(digits, 8) > 255:
                raise ValueError("invalid syntax")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("invalid syntax")
    return "".join(out)


def _string(token: str) -> str:
    if token.startswith('"'):
        try:
            return _unquote(token)
        except ValueError as error:
            raise ValueError(f"invalid quoted string: {error}") from None
    if any(q in token for q in "\"'`"):
        raise ValueError("invalid quoted string: unquoted string cannot contain quote")
    return token


def canonical_version(version: str) -> str:
    """Go's module.CanonicalVersion: ``v1.2`` -> ``v1.2.0``; "" when not a semantic version."""
    match = _SEMVER_RE.match(version)
    if not match:
        return ""
    major, minor, patch, pre, build = match.groups()
    canon = f"v{major}.{minor or 0}.{patch or 0}" + (f"-{pre}" if pre else "")
    if build == "incompatible":
        canon += "+incompatible"
    return canon


def _path_major(path: str) -> Optional[str]:
    """Go's module.SplitPathVersion major suffix ("" for none); None for an invalid path."""
    if path.startswith("gopkg.in/"):
        end = len(path) - (len("-unstable") if path.endswith("-unstable") else 0)
        i = end
        while i > 0 and path[i - 1].isdigit() and path[i - 1].isascii():
            i -= 1
        if i <= 1 or path[i - 1] != "v" or path[i - 2] != ".":
            return None
        major = path[i - 2 :]
        if len(major) <= 2 or (major[2] == "0" and major != ".v0"):
            return None
        return major
    i, dot = len(path), False
    while i > 0 and (path[i - 1] in "0123456789."):
        dot = dot or path[i - 1] == "."
        i -= 1
    if i <= 1 or i == len(path) or path[i - 1] != "v" or path[i - 2] != "/":
        return ""
    major = path[i - 2 :]
    if dot or len(major) <= 2 or major[2] == "0" or major == "/v1":
        return None
    return major


def _check_major(path: str, version: str) -> Optional[str]:
    """Why ``version`` cannot belong to module ``path`` (Go's CheckPathMajor), or None."""
    major = _path_major(path)
    if major is None:
        return "invalid module path"
    if major.startswith(".v") and major.endswith("-unstable"):
        major = major[: -len("-unstable")]
    if version.startswith("v0.0.0-") and major == ".v1":
        return None
    have = version.split(".", 1)[0].split("-", 1)[0].split("+", 1)[0]
    if not major:
        if have in ("v0", "v1") or version.endswith("+incompatible"):
            return None
        return f"version {version!r} invalid: should be v0 or v1, not {have}"
    if have == major[1:]:
        return None
    return f"version {version!r} invalid: should be {major[1:]}, not {have}"


def is_directory_path(path: str) -> bool:
    """Whether a replacement target is a directory (./, ../, rooted, or a drive letter)."""
    return (
        path in (".", "..")
        or path.startswith(("./", ".\\", "../", "..\\", "/", "\\"))
        or (len(path) >= 2 and path[0].isascii() and path[0].isalpha() and path[1] == ":")
    )


def _version(token: str) -> str:
    value = _string(token)
    canon = canonical_version(value)
    if not canon:
        raise ValueError(f"version {value!r} invalid: must be of the form v1.2.3")
    return canon


def _comment_text(comments: Sequence[_Comment], suffix: Optional[str]) -> str:
    texts = [c.text for c in comments if c.text.startswith("//")]
    if suffix is not None:
        texts.append(suffix)
    return "\n".join(text[2:].strip() for text in texts)


def _directive_comment(line: _Line, block: Optional[_Block]) -> str:
    """The comment text of a directive; a block's comment when the line has none of its own."""
    if block is not None and not line.before and line.suffix is None:
        return _comment_text(block.before, None)
    return _comment_text(line.before, line.suffix)


def _is_indirect(line: _Line) -> bool:
    if line.suffix is None:
        return False
    words = line.suffix[2:].split()
    return (len(words) == 1 and words[0] == "indirect") or (
        len(words) > 1 and words[0] == "indirect;"
    )


# --------------------------------------------------------------------------- parsing


class _Reader:
    def __init__(self, path: Optional[PathLike]) -> None:
        self.file = path
        self.mod = GoMod(path=None if path is None else Path(path))

    def fail(self, line: _Line, message: str) -> GoModSyntaxError:
        return GoModSyntaxError(message, file=self.file, line=line.number)

    def add(self, verb: str, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        handler = getattr(self, f"_verb_{verb}", None)
        if handler is None:
            raise self.fail(line, f"unknown directive: {verb}")
        try:
            handler(args, line, block)
        except ValueError as error:
            raise self.fail(line, f"{verb}: {error}") from None

    def _verb_go(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if self.mod.go is not None:
            raise ValueError("repeated go statement")
        if len(args) != 1:
            raise ValueError("go directive expects exactly one argument")
        if not _GO_VERSION_RE.match(args[0]):
            raise ValueError(f"invalid go version '{args[0]}': must match format 1.23.0")
        self.mod.go, self.mod.go_line = args[0], line.number

    def _verb_toolchain(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if self.mod.toolchain is not None:
            raise ValueError("repeated toolchain statement")
        if len(args) != 1:
            raise ValueError("toolchain directive expects exactly one argument")
        if not _TOOLCHAIN_RE.match(args[0]):
            raise ValueError(
                f"invalid toolchain version '{args[0]}': must match format go1.23.0 or default"
            )
        self.mod.toolchain = args[0]

    def _verb_module(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if self.mod.module is not None:
            raise ValueError("repeated module statement")
        match = _DEPRECATED_RE.search(_directive_comment(line, block))
        if len(args) != 1:
            raise ValueError("usage: module module/path")
        self.mod.module = _string(args[0])
        self.mod.deprecated = match.group(1) if match else None

    def _verb_godebug(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if len(args) != 1 or any(c in args[0] for c in "\"`',") or "=" not in args[0]:
            raise ValueError("usage: godebug key=value")
        key, _, value = args[0].partition("=")
        self.mod.godebug.append(Godebug(key, value, line.number))

    def _module_version(self, verb: str, args: list[str]) -> tuple[str, str]:
        if len(args) != 2:
            raise ValueError(f"usage: {verb} module/path v1.2.3")
        path = _string(args[0])
        version = _version(args[1])
        problem = _check_major(path, version)
        if problem:
            raise ValueError(problem)
        return path, version

    def _verb_require(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        path, version = self._module_version("require", args)
        self.mod.requires.append(Require(path, version, _is_indirect(line), line.number))

    def _verb_exclude(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        path, version = self._module_version("exclude", args)
        self.mod.excludes.append(Exclude(path, version, line.number))

    def _verb_replace(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        arrow = 1 if len(args) >= 2 and args[1] == "=>" else 2
        if len(args) < arrow + 2 or len(args) > arrow + 3 or args[arrow] != "=>":
            raise ValueError(
                "usage: replace module/path [v1.2.3] => other/module v1.4"
                " or replace module/path [v1.2.3] => ../local/directory"
            )
        old_path = _string(args[0])
        if _path_major(old_path) is None:
            raise ValueError("invalid module path")
        old_version = ""
        if arrow == 2:
            old_version = _version(args[1])
            problem = _check_major(old_path, old_version)
            if problem:
                raise ValueError(problem)
        new_path = _string(args[arrow + 1])
        new_version = ""
        if len(args) == arrow + 2:
            if not is_directory_path(new_path):
                if "@" in new_path:
                    raise ValueError(
                        "replacement module must match format 'path version', not 'path@version'"
                    )
                raise ValueError(
                    "replacement module without version must be directory path"
                    " (rooted or starting with . or ..)"
                )
            if "\\" in new_path:
                raise ValueError(
                    "replacement directory appears to be Windows path (on a non-windows system)"
                )
        else:
            new_version = _version(args[arrow + 2])
            if is_directory_path(new_path):
                raise ValueError(
                    f"replacement module directory path {new_path!r} cannot have version"
                )
        self.mod.replaces.append(
            Replace(ModuleVersion(old_path, old_version), ModuleVersion(new_path, new_version),
                    line.number)
        )  # fmt: skip

    def _verb_retract(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        rationale = _directive_comment(line, block)
        # `go mod edit` reads retracted versions as written: they are not canonicalised.
        if not args or args[0] == "(":
            raise ValueError("expected '[' or version")
        if args[0] != "[":
            low = high = _string(args[0])
            rest = args[1:]
        else:
            if len(args) < 2:
                raise ValueError("expected version after '['")
            low = _string(args[1])
            if len(args) < 3 or args[2] != ",":
                raise ValueError("expected ',' after version")
            if len(args) < 4:
                raise ValueError("expected version after ','")
            high = _string(args[3])
            if len(args) < 5 or args[4] != "]":
                raise ValueError("expected ']' after version")
            rest = args[5:]
        if rest:
            raise ValueError(f"unexpected token after version: {rest[0]!r}")
        self.mod.retracts.append(Retract(low, high, rationale, line.number))

    def _verb_tool(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if len(args) != 1:
            raise ValueError("tool directive expects exactly one argument")
        path = _string(args[0])
        if path not in self.mod.tool_lines:
            self.mod.tools.append(path)
            self.mod.tool_lines[path] = line.number

    def _verb_ignore(self, args: list[str], line: _Line, block: Optional[_Block]) -> None:
        if len(args) != 1:
            raise ValueError("ignore directive expects exactly one argument")
        path = _string(args[0])
        if path not in self.mod.ignores:
            self.mod.ignores.append(path)

    def finish(self) -> GoMod:
        # The go command keeps the first of duplicate excludes and the last replace of an
        # old module@version.
        seen: set[tuple[str, str]] = set()
        excludes = []
        for item in self.mod.excludes:
            if (item.path, item.version) not in seen:
                seen.add((item.path, item.version))
                excludes.append(item)
        self.mod.excludes = excludes
        last = {rep.old: index for index, rep in enumerate(self.mod.replaces)}
        self.mod.replaces = [
            rep for index, rep in enumerate(self.mod.replaces) if last[rep.old] == index
        ]
        return self.mod


def parse_gomod(text: str, *, path: Optional[PathLike] = None) -> GoMod:
    """Read go.mod text; :class:`GoModSyntaxError` (a GoModError) names the offending line."""
    reader = _Reader(path)
    for statement in _structure(text, path):
        if isinstance(statement, _Line):
            reader.add(statement.tokens[0], statement.tokens[1:], statement, None)
            continue
        header = statement.header
        if len(header) > 1 or header[0] not in _BLOCK_VERBS:
            raise GoModSyntaxError(
                f"unknown block type: {' '.join(header)}", file=path, line=statement.number
            )
        for line in statement.lines:
            reader.add(header[0], list(line.tokens), line, statement)
    return reader.finish()


_READ_FIX = "pass the path of an existing go.mod"


def _read_regular(path: PathLike) -> bytes:
    """A regular file's bytes; a directory, device or FIFO is refused before any read (the
    open does not block on a FIFO, and ``/dev/zero`` is never read)."""
    try:
        return read_regular(path)
    except NotRegularFile as error:
        if error.is_dir:
            raise GoModError(
                "is a directory, not a go.mod file",
                path=path,
                fix="pass the go.mod file, or the module folder that holds it",
            ) from None
        raise GoModError(
            "not a regular file", path=path, fix="pass a go.mod file (not a device or FIFO)"
        ) from None
    except PermissionError:
        raise GoModError(
            "cannot read the file: permission denied",
            path=path,
            fix="make it readable (chmod u+r) or run as a user who can read it",
        ) from None
    except OSError as error:
        raise GoModError(
            f"cannot read the file: {error.strerror or error}", path=path, fix=_READ_FIX
        ) from None


def read_gomod(path: PathLike) -> GoMod:
    """Read a go.mod file from disk (GoModError when it cannot be read or parsed)."""
    data = _read_regular(path)
    return parse_gomod(data.decode("utf-8", errors="replace"), path=path)


# --------------------------------------------------------------------------- rules


def go_version_key(version: str) -> tuple[int, int, int, int, int, int]:
    """Order Go versions as the go command does: ``1.24`` < ``1.24rc1`` < ``1.24.0`` < ``1.24.1``.

    A bare ``1.N`` in a go.mod is the language version, older than any 1.N release; a
    toolchain calls its first release ``go1.N`` only before Go 1.21, and callers pass such
    names through :func:`toolchain.parse_go_version` instead. The whole text must be a
    version (``1.24abc`` is refused); a suffix the go.mod grammar allows but Go does not
    name (``1.24foo1``) orders as the version without it: the go command, too, reads
    ``tool`` lines under ``go 1.24foo1``.
    """
    text = version[2:] if version.startswith("go") else version
    match = _VERSION_KEY_RE.match(text)
    if not match:
        raise ValueError(f"not a Go version: {version!r}")
    major, minor, patch, kind, number = match.groups()
    if kind in _PRERELEASES:
        return (int(major), int(minor), 1, _PRERELEASES.index(kind), int(number), 0)
    if patch is None:
        return (int(major), int(minor), 0, 0, 0, 0)
    return (int(major), int(minor), 2, 0, 0, int(patch))


def min_go_version(text: str) -> str:
    """Validate a ``--min-go`` value: a Go version a ``go`` line may name (``1.24``,
    ``1.25.3``, ``1.26rc1``); returns it unchanged.

    This is the one check of that option (the CLI and the pre-commit hook both use it as
    their argparse ``type``), so it raises :class:`argparse.ArgumentTypeError`, which
    argparse reports as a usage error (exit 2) with this message.
    """
    if not _MIN_GO_RE.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Go version like {TOOL_MIN_GO} or 1.25.3"
        )
    return text


@dataclass(frozen=True)
class Finding:
    """One problem with a go.mod: what is wrong, and the exact command that fixes it."""

    path: Path
    problem: str
    fix: str
    fixable_offline: bool
    edit: tuple[str, ...] = ()  # the `go mod edit` flags that apply the fix offline

    def line(self) -> str:
        """The one-line form ``path: problem (fix: ...)``."""
        return f"{shorten(str(self.path))}: {self.problem} (fix: {self.fix})"


def check_gomod(
    mod: GoMod,
    *,
    required_tools: Sequence[str] = (PACKER_TOOL,),
    min_go: str = TOOL_MIN_GO,
    require_tools: bool = True,
) -> list[Finding]:
    """Whether a bundle module can run its packer: tool lines, go version, the tool's module.

    ``require_tools=False`` checks only the rules that apply to the tools already listed
    (go version high enough, tool module required) without asking for new ones.
    """
    path = mod.path or Path("go.mod")
    name = path.name
    findings: list[Finding] = []
    if mod.tools or require_tools:
        if go_version_key(min_go) < go_version_key(TOOL_MIN_GO):
            min_go = TOOL_MIN_GO
        if mod.go is None or go_version_key(mod.go) < go_version_key(min_go):
            have = f"go {mod.go}" if mod.go else "no go line"
            findings.append(
                Finding(
                    path,
                    f"the go directive must be at least {min_go} for `tool` lines, found {have}",
                    f"go mod edit -go={min_go} {name}",
                    True,
                    (f"-go={min_go}",),
                )
            )
    wanted = (
        list(required_tools) if require_tools else [t for t in required_tools if t in mod.tools]
    )
    for tool in wanted:
        if tool not in mod.tools:
            findings.append(
                Finding(
                    path,
                    f"missing the tool directive `tool {tool}`",
                    f"go mod edit -tool={tool} {name}",
                    True,
                    (f"-tool={tool}",),
                )
            )
        if _provided(mod, tool):
            continue
        replaced = _replaced_provider(mod, tool)
        if replaced is None:
            findings.append(
                Finding(
                    path,
                    f"no require or replace names the module that provides {tool}",
                    f"go get -tool {tool}@latest",
                    False,
                )
            )
            continue
        # The replace already says where the module comes from, so requiring it needs no
        # download: a versioned replace is met by requiring that version, a directory or
        # any-version replace by the placeholder version go itself writes for such modules.
        module = replaced.old.path
        wanted_version = replaced.old.version or LOCAL_REPLACE_VERSION
        findings.append(
            Finding(
                path,
                f"{module} is replaced but not required: go ignores a replace for a module "
                "the go.mod does not require",
                f"go mod edit -require={module}@{wanted_version} {name}",
                True,
                (f"-require={module}@{wanted_version}",),
            )
        )
    return findings


def _owns(module: str, package: str) -> bool:
    """Whether ``package`` lies inside module path ``module``."""
    return package == module or package.startswith(module + "/")


def _provided(mod: GoMod, tool: str) -> bool:
    """Whether the module containing package ``tool`` is required (possibly replaced too),
    or is this module itself. A replace alone does not count: go ignores it (spec §5)."""
    modules = {req.path for req in mod.requires}
    if mod.module:
        modules.add(mod.module)
    return any(_owns(module, tool) for module in modules)


def _replaced_provider(mod: GoMod, tool: str) -> Optional[Replace]:
    """The replace of the module that would provide ``tool``: the longest module path that
    holds the package (as go resolves it), preferring a replace of every version."""
    candidates = [rep for rep in mod.replaces if _owns(rep.old.path, tool)]
    if not candidates:
        return None
    return max(candidates, key=lambda rep: (len(rep.old.path), not rep.old.version))


def error_finding(error: GoModError) -> Finding:
    """A go.mod that cannot be read or parsed, as a finding on that file (never fixable)."""
    if isinstance(error, GoModSyntaxError) and error.file is not None:
        where, problem = error.file, f"line {error.line}: {error.problem}"
    else:
        where, problem = Path(error.path or "go.mod"), error.problem
    return Finding(where, problem, error.fix or "correct the file", False)

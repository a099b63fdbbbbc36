"""Where a candidate value sits: the name it is assigned to, the call it is passed to, and
how close the nearest Binance word is. Language-agnostic on purpose: the same few shapes
(``name = value``, ``name: value``, ``f(value, value)``, ``?name=value``) cover source code,
.env, YAML, TOML, JSON, notebooks, Dockerfiles and URLs.
"""

from __future__ import annotations

import enum
import re
from functools import lru_cache

from binance_guard.detection.patterns import (
    ASSIGNMENT_END_RE,
    BINANCE_WORDS,
    CREDENTIAL_WORDS,
    GENERIC_VALUE_NAMES,
    KEY_WORDS,
    NAME_AT_END_RE,
    NAME_CHARS,
    NAME_PART_RE,
    NAME_SPLIT_RE,
    NEGATIVE_LAST_WORDS,
    NEGATIVE_WORDS,
    OTHER_SECRET_WORDS,
    OTHER_SERVICE_WORDS,
    is_secret_word,
)
from binance_guard.record import record
from binance_guard.regex import compile_later, compile_now

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on the commit hook's path
if TYPE_CHECKING:
    from collections.abc import Iterator

# Lines around a value that still count as "near" it (a freqtrade "name": "binance" sits a
# line or two above "key"; a python-binance import can be far above, which counts as "file").
NEAR_LINES = 10
CALL_LOOKBACK_LINES = 3
# How far back (in characters, and bytes for the scanner's window) a value's name or enclosing
# call is looked for. Ten lines of ordinary code; on a minified megabyte-long line it keeps the
# cost per candidate fixed, where reading back to the line's start made scanning quadratic.
LOOKBEHIND = 1024
TYPE_WORDS = frozenset({"str", "string", "secretstr", "optional", "bytes", "any"})
WRAPPERS = frozenset({"Some", "Ok", "from", "new", "into", "SecretStr", "Secret", "str", "String"})
ENV_LOOKUPS = frozenset({"getenv", "get", "fetch", "env", "setdefault", "environ"})
# A constant first argument: ``Names.BinanceKey`` or ``API_SECRET`` (not a lower-case variable).
FIRST_CONSTANT_RE = compile_now(
    r"^\s*([A-Za-z_]\w{0,47}(?:\.[A-Z]\w{0,47})+|[A-Z][A-Z0-9_]{1,47})\s*,"
)
# Calls that store a value under a name (a settings registry, a map, a property bag).
REGISTRY_WORDS = frozenset(
    {"set", "add", "put", "setting", "settings", "option", "options", "config", "property"}
    | {"properties", "define", "register", "insert", "save", "store", "env"}
)
# A string first argument short enough to be a name (a 64-character key never is).
FIRST_STRING_RE = compile_now(r"""^\s*["'](-{0,2}[A-Za-z_][\w.\-]{0,47})["']\s*,""")
QUOTES_AND_ESCAPES = " \t\"'`\\"
# A string literal's opener glued to its quote (Python b"…" rb'…' f"…", C# @"…" $"…", shell
# $'…', Rust r#"…"#, C++ R"(…)", Elixir ~s(…)): its letters are not the value's name.
LITERAL_OPENER_RE = compile_now(
    r"""(?<![\w$@#])(?:(?:[bBrRuUfF]{1,2}|[@$]{1,2})["']{1,3}|b?r#+"|R"[^\s()\\"]{0,16}\(|~[a-zA-Z]["'(\[{<|/])$"""
)
LITERAL_OPENER_MAX = 24  # searched in the last characters only: an end anchor retries each one
CALL_SYNTAX_RE = compile_now(r"[()\[\]{},;]")
NAME_START_RE = compile_now(r"[A-Za-z_]")
# C# auto-property accessors between a name and its initialiser: ``Key { get; set; } = …``.
ACCESSORS_RE = compile_later(r"\s*\{[^{}]*\bget\b[^{}]*\}\s*$")
# Test DSL bindings: RSpec ``let(:api_key) { "…" }`` (let!, given, subject), factory_bot
# ``api_secret { "…" }``.
DSL_BINDING_RE = compile_later(r"(?:\b(?:let!?|given|subject)\s*\(\s*:(\w+)\s*\)|^\s*(\w+))\s*$")
# The blocks of a config that hold a value: ``"bitvavo": {``, ``kucoin:``, ``'okx' => [``, a TOML
# or INI ``[bybit]`` header; and the fields that name a block's exchange (``"name": "Bitvavo"``).
SECTION_OPENER_RE = compile_later(
    r"""^\s*["']?([A-Za-z_][\w.\-]*)["']?\s*(?::|=>|=)\s*(?:\{|\[|array\(|)\s*$"""
)
SECTION_HEADER_RE = compile_now(r"""^\s*\[\s*["']?([A-Za-z_][\w.\-]*)["']?\s*\]\s*$""")
SECTION_FIELD_RE = compile_now(
    r"""^\s*["']?(?:name|exchange|exchange_?name|exchange_?id|provider|venue)["']?\s*(?::|=>|=)"""
    r"""\s*["']?([A-Za-z][\w.\-]{0,47})(?![\w.\-])"""
)
# The same fields inside an object written on one line ({"exchange": "Gate", "secret": "…"}).
INLINE_FIELD_RE = compile_later(
    r"""(?<![\w.\-])["']?(?:name|exchange|exchange_?name|exchange_?id|provider|venue)["']?"""
    r"""\s*(?::|=>|=)\s*["']?([A-Za-z][\w.\-]{0,47})(?![\w.\-])"""
)
# An attribute naming an element whose value="…"/content="…" follows in the same tag.
TAG_NAME_ATTR_RE = compile_later(r"""\b(?:name|id|property|for)\s*=\s*["']([\w.:\-]{1,48})["']""")
# A short comment line that heads what follows ("# Bybit", "// KuCoin API keys").
COMMENT_HEADER_RE = compile_now(r"^\s*(?:#+|/{2,}|;+|--)\s*([A-Za-z][\w .&/-]{0,40}?)[\s:=#-]*$")
SECTION_LOOKBACK_LINES = 12
YAML_ITEM_RE = compile_now(r"[ \t]*-[ \t]+")
# A class or object whose body holds the value (Python, JS/TS, Java, Kotlin, Scala, Rust); not
# a function: def telegram_handler(): may well make a Binance client.
DEFINITION_RE = compile_now(
    r"[ \t]*(?:export[ \t]+)?(?:(?:public|private|static|final|data|pub)[ \t]+)*"
    r"(?:class|object|struct|impl|interface|module)[ \t]+([A-Za-z_]\w{0,47})"
)
# Longer names are spelled with separators; a longer unbroken run is a value.
MAX_NAME = 48
INDENT_RE = compile_now(r"[ \t]*")
# A capitalised word and one space right before a name: the first half of a two-word label.
# Credential words a glued name ends in, longest first ("apisecret" before "secret").
GLUED_SUFFIXES = ("apisecret", "secretkey", "privatekey", "apikey", "secret")
# A value after a fallback operator (``||``, ``??``, ``or``, ``?:``) is a default.
FALLBACK_ENDINGS = ("||", "??", "or", "?:")  # checked first: the regex tries every position
FALLBACK_END_RE = compile_now(r"(?:\|\||\?\?|\bor|\?:)$")
# The first assignment operator of a line (not ``==``, ``!=``, ``<=``, ``=>`` of a lambda).
FIRST_ASSIGNMENT_RE = compile_now(r"(?<![=!<>:])(?::=|=|:)(?![=>:])")
# Verbs of a call that produces a signature (and so is handed the secret).
SIGNING_VERBS = frozenset(
    {"generate", "create", "compute", "calc", "calculate", "make", "gen", "get"}
)
# A caption of a key and its secret together: "API key and secret", "apiKey / secretKey".
KEY_AND_SECRET_RE = compile_later(r"key\s*(?:and|&|/|,|\+)\s*(?:api[ _]?)?secret", re.IGNORECASE)
LABEL_WORD_RE = compile_later(r"(?<![\w.])([A-Z][A-Za-z]*) $")


class Role(enum.Enum):
    KEY = "api key"
    SECRET = "secret key"
    CREDENTIAL = "credential"
    NEGATIVE = "digest or identifier"
    OTHER = "another service's secret"


class Proximity(enum.IntEnum):
    NONE = 0
    FILE = 1
    NEAR = 2
    LINE = 3


@record(frozen=True)
class Slot:
    """The syntactic place of a value: assigned to ``name``, or argument ``index`` of ``call``."""

    name: str | None = None
    call: str | None = None
    index: int | None = None


def name_words(name: str) -> list[str]:
    words: list[str] = []
    for part in NAME_SPLIT_RE.split(name):
        for word in NAME_PART_RE.findall(part):
            words.extend(_unglued(word.lower()))
    return words


def _unglued(word: str) -> list[str]:
    """An all-caps name typed without separators (BINANCESECRETKEY, KUCOINAPIKEY) ends in
    the credential word it would have been split into."""
    for suffix in GLUED_SUFFIXES:
        if len(word) >= len(suffix) + 3 and word.endswith(suffix):
            return [word[: -len(suffix)], suffix]
    return [word]


def names_service(words: list[str]) -> bool:
    """Another service named among ``words``, also when camel case split its name in two or
    three (KuCoin, ByBit, CoinBase, coinMarketCap, bscScan)."""
    if not OTHER_SERVICE_WORDS.isdisjoint(words):
        return True
    return any(
        "".join(words[start : start + size]) in OTHER_SERVICE_WORDS
        for size in (2, 3)
        for start in range(len(words) - size + 1)
    )


# A history judges the same few names again in every version of a file.
@lru_cache(maxsize=2048)
def classify_name(name: str) -> Role | None:
    words = name_words(name)
    if not words:
        return None
    # cryptofeed's key_id / key_secret, apiKeyId: the id of an API key is the key itself.
    key_id = len(words) > 1 and words[-1] == "id" and words[-2] in KEY_WORDS
    if (words[-1] in NEGATIVE_LAST_WORDS and not key_id) or any(w in NEGATIVE_WORDS for w in words):
        return Role.NEGATIVE
    if (any(w in OTHER_SECRET_WORDS for w in words) or names_service(words)) and (
        "binance" not in words or "webhook" in words
    ):
        return Role.OTHER
    if any(is_secret_word(w) for w in words):
        return Role.SECRET
    if any(w in KEY_WORDS for w in words):
        return Role.KEY
    if any(w in CREDENTIAL_WORDS for w in words):
        return Role.CREDENTIAL
    return None


def name_at_end(text: str) -> re.Match[str] | None:
    """``NAME_AT_END_RE.search(text)`` in time linear in the name: searching an end-anchored
    pattern retries from every position, and a long run of name characters made it quadratic."""
    end = len(text)
    while end and (text[end - 1] in "\"'`]" or text[end - 1].isspace()):
        end -= 1
    start = NAME_START_RE.search(text, len(text[:end].rstrip(NAME_CHARS)), end)
    return NAME_AT_END_RE.match(text, start.start()) if start else None


# The bracket a value sits in is nearly always just before it: the syntax before a value is
# found in stretches from the end, this long and then twice as long each time, where finding all
# of it (LOOKBEHIND characters of a single-line JSON export: 60 brackets and commas) cost
# more than the rest of judging the value.
SYNTAX_STRETCH = 128


def _syntax_backwards(text: str) -> Iterator[tuple[int, str]]:
    """Each bracket, comma and semicolon of ``text`` with its place, the last first."""
    end, stretch = len(text), SYNTAX_STRETCH
    while end:
        start = max(0, end - stretch)
        for syntax in reversed(list(CALL_SYNTAX_RE.finditer(text, start, end))):
            yield syntax.start(), syntax.group()
        end, stretch = start, stretch * 2


def _open_brackets(before: str) -> Iterator[tuple[int, str, int]]:
    """The brackets still open at the end of ``before``, innermost first, each with the commas
    between it and the end at its own depth (the value's argument index); a ``;`` outside any
    bracket ends the statement, and the walk."""
    depth = commas = 0
    for pos, char in _syntax_backwards(before):
        if char in ")]}":
            depth += 1
        elif char in "([{":
            if depth:
                depth -= 1
            else:
                yield pos, char, commas
                commas = 0
        elif depth:
            continue
        elif char == ",":
            commas += 1
        else:  # ";"
            return


def _enclosing_call(before: str, unwrap: bool = True) -> Slot:
    """Walk back from a value to the bracket that opens its argument list; through one
    wrapper (``Binance::new(Some("…".into()), …)``) to the call the wrapped value is passed to."""
    opened = next(_open_brackets(before), None)
    if opened is None:
        return Slot()
    pos, char, commas = opened
    if char == "{" and not commas:
        binding = DSL_BINDING_RE.search(before[:pos].rsplit("\n", 1)[-1])
        if binding:
            return Slot(name=binding.group(1) or binding.group(2))
    if char != "(":
        return Slot(index=commas)
    head = before[:pos].rstrip()
    if ASSIGNMENT_END_RE.search(head) and not commas:
        return _assigned(head)  # api_key = (\n    "value"\n)
    if not commas and head.endswith(FALLBACK_ENDINGS) and FALLBACK_END_RE.search(head):
        # API_SECRET = os.getenv("S") or (\n    "value"\n    if testnet else None\n): a
        # default in parentheses is named by what it is the default of, not a call "or".
        statement = head.rsplit("\n", 1)[-1]
        operator = FIRST_ASSIGNMENT_RE.search(statement)
        if operator:
            return _assigned(statement[: operator.end()])
    match = name_at_end(head)
    call = match.group(1) if match else None
    if call is not None and not commas:
        # api_key = Some("…".into()), SecretStr("…"), os.getenv("<the key itself>"):
        # the wrapper's (or lookup's) target names it.
        outer = head[: match.start()].rstrip() if match else ""
        last = call.split(".")[-1].split("::")[-1]
        if (last in WRAPPERS or last in ENV_LOOKUPS) and ASSIGNMENT_END_RE.search(outer):
            return _assigned(outer)
        if last in WRAPPERS and unwrap and match is not None:
            return _enclosing_call(head[: match.start()], unwrap=False)
    if call is not None and call.upper() == "VALUES" and match is not None:
        # INSERT INTO keys (exchange, api_key, api_secret) VALUES ('binance', '…', '…')
        columns = head[: match.start()].rstrip()
        opening = columns.rfind("(", max(0, len(columns) - 500))
        closed = opening >= 0 and columns.endswith(")")
        names = columns[opening + 1 : -1].split(",") if closed else []
        if commas < len(names):
            return Slot(name=names[commas].strip(" \t\n\"'`[]"))
    if call is not None and commas == 1:
        # os.getenv("BINANCE_API_KEY", "…"), setOption('APIKEY', '…'),
        # config.set("apiSecret", …), props.put("binance.secret", …): a string first
        # argument that names a credential (or any variable, for an env lookup).
        first = FIRST_STRING_RE.search(before[pos + 1 :])
        named = (Role.KEY, Role.SECRET, Role.CREDENTIAL, Role.OTHER)
        if first and (call.split(".")[-1] in ENV_LOOKUPS or classify_name(first.group(1)) in named):
            return Slot(name=first.group(1))
        constant = FIRST_CONSTANT_RE.search(before[pos + 1 :])
        if constant and _is_registry(call) and classify_name(constant.group(1)) in named:
            # AddSetting(CryptoBotNames.BinanceSecret, "…"), props.put(API_KEY, "…")
            return Slot(name=constant.group(1))
    return Slot(call=call, index=commas)


def _is_registry(call: str) -> bool:
    """A call that stores under a name, not one that takes credentials by position
    (``setCredentials(API_KEY, "…")`` passes the key itself)."""
    words = name_words(call.rsplit(".", 1)[-1])
    return not REGISTRY_WORDS.isdisjoint(words) and classify_name(call) not in (
        Role.KEY,
        Role.SECRET,
        Role.CREDENTIAL,
    )


def _plausible_name(name: str) -> bool:
    """A name, not a value in a name's place (``"<key>": "<secret>"``, ``<key>:<secret>``):
    a random key's fragments spell "id" or "db" often enough to veto the secret after it."""
    return len(name) <= MAX_NAME or any(sep in name for sep in "_.-")


def _assigned(before: str) -> Slot:
    """``name = `` / ``"name": `` / ``name => ``: the name left of the operator, skipping a
    type annotation (``API_SECRET: str =``, ``const k: string =``, ``var k string =``)."""
    # "]" closes a subscript; "*" closes Markdown emphasis (``- **API Key**: `…```).
    head = ASSIGNMENT_END_RE.sub("", before).rstrip(QUOTES_AND_ESCAPES + "]*?")
    head = ACCESSORS_RE.sub("", head)
    match = name_at_end(head)
    if match and match.group(1).lstrip("&").lower() in TYPE_WORDS:
        # ``key: &'static str``, ``apiKey?: string``: the lifetime and the optional mark too.
        rest = head[: match.start()].rstrip(" \t")
        lifetime = rest.rfind("'")
        if lifetime > 0 and rest[lifetime - 1] == "&" and rest[lifetime + 1 :].isidentifier():
            rest = rest[:lifetime]
        match = name_at_end(rest.rstrip(" \t:&?"))
    if match is None or not _plausible_name(match.group(1)):
        return Slot()
    label = LABEL_WORD_RE.search(head, 0, match.start())
    if (
        label
        and label.group(1).lower() not in TYPE_WORDS
        and LABEL_WORD_RE.fullmatch(match.group(1) + " ")
    ):
        # A label in prose, "Secret Key: …", "API Secret = …": both words name the value.
        return Slot(name=f"{label.group(1)} {match.group(1)}")
    return Slot(name=match.group(1))


def slot_of(line: str, column: int, previous_lines: list[str]) -> Slot:
    """Find what a value at ``line[column:]`` is bound to, from at most LOOKBEHIND
    characters before it."""
    raw = line[max(0, column - LOOKBEHIND) : column]
    opener = LITERAL_OPENER_RE.search(raw, max(0, len(raw) - LITERAL_OPENER_MAX))
    before = (raw[: opener.start()] if opener else raw).rstrip(QUOTES_AND_ESCAPES)
    if before.endswith(FALLBACK_ENDINGS) and FALLBACK_END_RE.search(before):
        # API_SECRET = process.env.API_SECRET?.trim() || '…', key = os.getenv("K") or "…":
        # a default is named by what it is the default of.
        operator = FIRST_ASSIGNMENT_RE.search(before)
        slot = _assigned(before[: operator.end()]) if operator else Slot()
        if slot.name and classify_name(slot.name) is not None:
            return slot
    if before.endswith("|"):
        # A Markdown table row: `| Secret Key | <value> |` is named by the cell before it.
        cell = before[:-1].rsplit("|", 1)[-1].strip(" `*")
        if cell and _plausible_name(cell):
            return Slot(name=cell)
    if ASSIGNMENT_END_RE.search(before):
        slot = _assigned(before)
        if slot.name is None or slot.name.lower() not in GENERIC_VALUE_NAMES:
            return slot
        tag = before.rfind("<")
        if tag > before.rfind(">"):
            # <input name="apiKey" value="…">, <meta name="x-site-verification" content="…">:
            # a sibling attribute of the same tag names the value.
            attribute = TAG_NAME_ATTR_RE.search(before, tag)
            if attribute:
                return Slot(name=attribute.group(1))
        # default="…" / value="…" in a call whose first argument names it:
        # @click.option('--secret', default='…'), add_argument('--api-key', default='…').
        joined = "\n".join([*previous_lines[-CALL_LOOKBACK_LINES:], before])
        call = _enclosing_call(joined[-LOOKBEHIND:])
        return call if call.name else slot
    item = before.strip() == "-"  # a YAML sequence's item: named by the key above it
    if (item or not before.strip()) and previous_lines:
        above = previous_lines[-1].rstrip()
        endings = (":",) if item else ("=", ":", "=>")
        if (
            above.endswith(endings)
            and ASSIGNMENT_END_RE.search(above)
            and not KEY_AND_SECRET_RE.search(above)
        ):
            # const api_key =\n    "<value>";  "listenKey" =>\n  "<value>" (a formatter broke
            # the line after the operator); a VCR cassette's "X-Mbx-Apikey:\n  - <value>";
            # not a caption of both ("API key and secret:"): the values' order types them
            return _assigned(above[-LOOKBEHIND:])
    if before and (before[-1].isalnum() or before[-1] in "_-"):
        # "ENV BINANCE_API_KEY <value>", "--api-key <value>", "X-MBX-APIKEY <value>"
        match = name_at_end(before)
        return Slot(name=match.group(1) if match and _plausible_name(match.group(1)) else None)
    joined = "\n".join([*previous_lines[-CALL_LOOKBACK_LINES:], before])
    return _enclosing_call(joined[-LOOKBEHIND:])


def _indent(line: str) -> int:
    """Leading blanks, without copying a long line (``lstrip`` does)."""
    match = INDENT_RE.match(line)
    return match.end() if match else 0


def enclosing_calls(before: str) -> list[str]:
    """Names of the calls a value sits in, innermost first, through literals and keyword
    arguments: ``ccxt.kucoin({'apiKey': '…'})``, ``Py3CW(key='…')``."""
    names: list[str] = []
    if "(" not in before:  # no call (JSON, YAML): the walk back would find none
        return names
    for pos, char, _ in _open_brackets(before):
        if char == "(":
            match = name_at_end(before[:pos].rstrip())
            if match is None:
                break
            names.append(match.group(1))
            if len(names) == 2:
                break
    return names


def section_names(lines_above: list[str], line: str) -> list[str]:
    """Names of the config blocks enclosing ``line`` (each less indented than the last) and the
    exchange their fields name, read upwards through at most SECTION_LOOKBACK_LINES lines."""
    if not lines_above:
        return []
    indent = _indent(line)
    names: list[str] = []
    blank = False
    for above in reversed(lines_above[-SECTION_LOOKBACK_LINES:]):
        stripped = above.strip()
        if not stripped:
            blank = True
            continue
        comment = COMMENT_HEADER_RE.match(above)
        if comment:
            # "# Bybit" right above a group of .env lines (no blank line between) heads it.
            words = name_words(comment.group(1))
            if not blank and not names and words and words[0] in OTHER_SERVICE_WORDS:
                names.append(words[0])
            continue
        header = SECTION_HEADER_RE.match(above)
        if header:
            names.append(header.group(1))
            break
        item = YAML_ITEM_RE.match(above)
        if item and item.end() == indent:
            # "- exchange: gate" above "  api_key: …": the first line of a YAML list item
            # whose fields the value's line continues; the item starts the block.
            field = SECTION_FIELD_RE.match(above[item.end() :])
            if field:
                names.append(field.group(1))
            break
        own = _indent(above)
        if own >= indent:
            field = SECTION_FIELD_RE.match(above)
            if field and own == indent:
                names.append(field.group(1))
            continue
        opener = SECTION_OPENER_RE.match(above)
        if opener is not None and not _plausible_name(opener.group(1)):
            break  # {"<api key>": {"secret": …}}: a value, not a block's name
        if opener is None:
            if stripped[0] in "{[(":
                indent = own  # an anonymous block: its own opener is above it
                continue
            definition = DEFINITION_RE.match(above)
            if definition and not names:
                # class GateConfig: / object BybitKeys {: named after an exchange or service,
                # it holds that one's keys (class SessionStore: may hold Binance's).
                name = definition.group(1)
                if "binance" in name.lower() or names_service(name_words(name)):
                    names.append(name)
            break
        names.append(opener.group(1))
        indent = own
        if not indent:
            break
    return names


def object_fields(before: str, generic: bool = False) -> list[str]:
    """What the fields of the object a value sits in name, on its own line: an account
    exported as ``{"exchange": "Gate", "apiKey": "…", "secret": "…"}`` is Gate's; and the
    exchange or service it is bound to there, ``'gateio': {'apiKey': …}``, ``gate: { … }``.
    A block named after infrastructure names only a ``generic`` value (``jwt: { secret: … }``):
    ``db_row = {'api_key': …}`` may store a Binance key."""
    opened = next((pos for pos, char, _ in _open_brackets(before) if char == "{"), None)
    if opened is None:
        return []
    names = [m.group(1) for m in INLINE_FIELD_RE.finditer(before, opened)]
    # The name binding the block ends right before it: the whole line up to it (a single-line
    # JSON's kilobyte) looked at for each value cost 3x on such files.
    head = before[max(0, opened - SYNTAX_STRETCH) : opened + 1]
    bound = _assigned(head).name if ASSIGNMENT_END_RE.search(head) else None
    if bound and (
        "binance" in bound.lower()
        or names_service(name_words(bound))
        or (generic and classify_name(bound) is Role.OTHER)
    ):
        names.append(bound)
    return names


def label_role(lines: list[str]) -> tuple[Role, str] | None:
    """The role a form label, table header or caption in ``lines`` gives to an unnamed value
    below it (``API SECRET :`` ... ``<span>value</span>``): secret words win over key words,
    since "secret key" has both; a digest or signature word anywhere means no label. A caption
    of both ("API key and secret:") gives neither value below it its role: their order does."""
    found: tuple[Role, str] | None = None
    for line in reversed(lines):
        if KEY_AND_SECRET_RE.search(line):
            return None
        for word in name_words(line):
            if word in NEGATIVE_WORDS:
                return None
            if is_secret_word(word):
                found = (Role.SECRET, word)
            elif word in KEY_WORDS and found is None:
                found = (Role.KEY, word)
    return found


def names_credentials(line: str) -> bool:
    """A caption over values pasted below it: it names a key or a secret, and no digest."""
    words = name_words(line)
    return NEGATIVE_WORDS.isdisjoint(words) and any(
        word in KEY_WORDS or is_secret_word(word) for word in words
    )


def _signs_with(call: str) -> bool:
    """A call that makes a signature takes the secret it signs with: sign(secret, query),
    generateSignature(uri, "<secret>"), HmacSHA512(payload, "<secret>"), createHmac('sha256',
    "<secret>"); verifySignature(…) and compareHmac(…) take a signature."""
    words = name_words(call.rsplit(".", 1)[-1])
    return bool(words) and (
        words[0] in ("sign", "hmac")
        or (words[0] in SIGNING_VERBS and ("signature" in words or "hmac" in words))
    )


def role_of(slot: Slot) -> Role | None:
    """Role from the name, else from the position in a call (key first, secret second)."""
    if slot.name:
        return classify_name(slot.name)
    if slot.call is not None:
        if _signs_with(slot.call):
            return Role.SECRET
        call_role = classify_name(slot.call)
        if call_role is Role.NEGATIVE:
            return Role.NEGATIVE
        method = slot.call.rsplit(".", 1)[-1]
        if (
            slot.index == 0
            and method[:1].islower()
            and call_role in (Role.KEY, Role.SECRET)
            and "and" not in name_words(method)
        ):
            # A setter or builder step names its one argument: setSecretKey("…"),
            # .apiSecret("…"); a constructor (HmacKeys(key, secret)) does not, nor a call
            # named for both (check_valid_api_and_secret(key, secret), setKeyAndSecret).
            return call_role
        if slot.index == 0:
            return Role.KEY
        if slot.index == 1:
            return Role.SECRET
    return None


class BinanceContext:
    """How close the nearest Binance word is to a line. Whether the file holds one is a single
    search; the lines around a value are searched when it is asked about, so files that say
    "binance" on every line (API docs, minified bundles) cost per value, not per line."""

    def __init__(self, data: bytes, path: str) -> None:
        self._data = data
        # Nearly always spelled in lower case where it is: lower-casing the whole buffer (a
        # copy) is left to files that do not hold it so.
        self.in_file = _holds_word(data) or _holds_word(data.lower())
        self.in_path = any(word.decode() in path.lower() for word in BINANCE_WORDS)
        # The line last asked about and its answer: values asked about in ascending order,
        # many on one long line, cost one search of its window.
        self._line = (0, -1)
        self._answer = Proximity.NONE

    def proximity(self, offset: int) -> Proximity:
        """Proximity of the nearest Binance word to the line holding byte ``offset``."""
        if not self.in_file:
            return Proximity.FILE if self.in_path else Proximity.NONE
        start, end = self._line
        if start <= offset <= end:
            return self._answer
        data = self._data
        start = data.rfind(b"\n", 0, offset) + 1
        end = data.find(b"\n", offset)
        end = len(data) if end == -1 else end
        self._line = (start, end)
        if _holds_word(data[start:end].lower()):
            self._answer = Proximity.LINE
            return self._answer
        low, high = start, end
        for _ in range(NEAR_LINES):  # widen to NEAR_LINES lines above and below
            if low:
                low = data.rfind(b"\n", 0, low - 1) + 1
            if high < len(data):
                after = data.find(b"\n", high + 1)
                high = len(data) if after == -1 else after
        near = _holds_word(data[low:start].lower()) or _holds_word(data[end:high].lower())
        self._answer = Proximity.NEAR if near else Proximity.FILE
        return self._answer


def _holds_word(lowered: bytes) -> bool:
    return any(word in lowered for word in BINANCE_WORDS)

"""The cheap test every byte goes through before anything else runs.

No imports at all: the commit hook's clean path is this module plus starting git, so a clean
commit costs little more than starting Python.
"""

KEY_LENGTH = 64

# bytes.translate table: ASCII alphanumerics become b"a", everything else b" ". Searching the
# translated buffer for a run of 64 b"a" goes at ~1 GB/s; a regex on [A-Za-z0-9]{64} at ~0.1.
ALNUM_TABLE = bytes(
    0x61 if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A) else 0x20
    for c in range(256)
)
ALNUM_RUN = b"a" * KEY_LENGTH
PRIVATE_KEY_MARKER = b"PRIVATE KEY-----"
ARMOR_MARKER = b"-----BEGIN "  # of every PEM or PGP block
# The marker in UTF-16 and UTF-32, little- or big-endian alike (NULs after each character
# but the last).
WIDE_MARKERS = tuple(
    bytes(byte for char in PRIVATE_KEY_MARKER for byte in (char, *[0] * nuls))[:-nuls]
    for nuls in (1, 3)
)
UTF32_BOMS = (b"\xff\xfe\0\0", b"\0\0\xfe\xff")
# An Ed25519 private key's PKCS#8 body without its PEM armour (a one-line .env or JSON value):
# the base64 of its DER prefix, the same 21 characters for every key.
BARE_ED25519_MARKER = b"MC4CAQAwBQYDK2VwBCIEI"
# An RSA private key's PKCS#8 body without its armour (``BINANCE_KEY=MIIEvQIBADAN…``): from its
# seventh character on, the base64 of version 0 and the rsaEncryption identifier, whatever the
# key's size. A public key (SubjectPublicKeyInfo, "MIIBIjANBgkq…AAOC") does not hold it.
BARE_RSA_MARKER = b"IBADANBgkqhkiG9w0BAQEFAAS"
BARE_RSA_OFFSET = 6  # "MIIEvQ": the DER header's bytes before the marker
# Bytes looked at to tell text from binary (NULs) and UTF-16 from other text.
BINARY_SNIFF = 8000
# The markers of a private key, and each one's distinct bytes with their first place in it.
_KEY_MARKERS = (PRIVATE_KEY_MARKER, BARE_ED25519_MARKER)
_ANCHORS = tuple(
    tuple((byte, marker.index(byte)) for byte in dict.fromkeys(marker)) for marker in _KEY_MARKERS
)
# Below this, one search costs less than looking for each byte first.
_ANCHORED_MIN = 4096
# Both markers hold one "Y", which source and text hold little (python-binance's client.py: one
# in 3.6 KB), and each can only be where a "Y" is. Looking for the next "Y" is a single-byte
# search (memchr, many GB/s, where a search for several bytes goes at ~2): cheaper while there
# is at most about one per KiB, then one plain search takes over.
_RARE = b"Y"
_PLACES = tuple(marker.index(_RARE) for marker in _KEY_MARKERS)
_NEXT = tuple(marker.partition(_RARE)[2][:1] for marker in _KEY_MARKERS)  # what follows it
_RARE_SHIFT = 10
# The RSA marker holds no "Y" but one "Q", the next rarest (python-binance: one in 2 KB).
_RSA_ANCHORS = tuple((byte, BARE_RSA_MARKER.index(byte)) for byte in dict.fromkeys(BARE_RSA_MARKER))
_RSA_RARE = b"Q"
_RSA_PLACE = BARE_RSA_MARKER.index(_RSA_RARE)


# A key base64-encoded once (a Kubernetes Secret's ``data:``, ``echo key | base64``): 64 bytes
# give 86 characters and "==", 65 (with the newline echo adds) 87 and "=". Base64 of ASCII
# letters and digits never holds "+" or "/", so the encoding is one alphanumeric run as well.
ENCODED_PADDING = {86: b"==", 87: b"="}
# The first of every four base64 characters is an ASCII byte's top six bits: "0"-"z" give
# "M"-"e". Lock files' sha512 digests (86 alphanumerics and "==" one time in fifteen) do not
# pass this, so the hook's clean path does not start scanning them.
ENCODED_LEADS = b"MNOPQRSTUVWXYZabcde"


# A key behind an escape whose hex digits join its run: URL-encoded (a form body or JSON in a
# query string: "apiKey%3D<key>%26", "%22apiKey%22%3A%22<key>%22"), or a quote escaped as
# \u0022 (.NET's System.Text.Json, PHP's JSON_HEX_QUOT) or \x22 (JavaScript, Python). Each:
# the character before the run, the escape's letter, its hex digits.
ESCAPES = ((b"%", b"", 2), (b"\\", b"x", 2), (b"\\", b"u", 4))
_ESCAPED_RUNS = {
    KEY_LENGTH + len(letter) + digits: (before, letter, digits)
    for before, letter, digits in ESCAPES
}
_HEX_DIGITS = b"0123456789ABCDEFabcdef"


def _escaped_start(data: bytes, pos: int, length: int) -> int:
    """Where the key starts in a run of ``length`` at ``pos`` behind an escape, or -1."""
    before, letter, digits = _ESCAPED_RUNS[length]
    head = pos + len(letter)
    if (
        data[pos - 1 : pos] == before
        and data.startswith(letter, pos)
        and not data[head : head + digits].translate(None, _HEX_DIGITS)
    ):
        return head + digits
    return -1


def key_runs(data: bytes) -> "tuple[list[int], list[int]]":
    """Start offsets of runs of exactly 64 ASCII alphanumerics (or of one behind an escape whose
    digits join the run: its offset past them), and of base64-encoded ones. One pass: the
    other kinds cost a comparison on runs of 64 or more, nothing else."""
    mapped = data.translate(ALNUM_TABLE)
    starts = []
    encoded = []
    pos = mapped.find(ALNUM_RUN)
    while pos != -1:
        end = mapped.find(b" ", pos + KEY_LENGTH)
        if end == -1:
            end = len(mapped)
        length = end - pos
        if length == KEY_LENGTH:
            starts.append(pos)
        elif length in _ESCAPED_RUNS and (start := _escaped_start(data, pos, length)) != -1:
            starts.append(start)
        elif (
            length in ENCODED_PADDING
            and data.startswith(ENCODED_PADDING[length], end)
            and not data[pos:end:4].translate(None, ENCODED_LEADS)
        ):
            encoded.append(pos)
        pos = mapped.find(ALNUM_RUN, end)
    return starts, encoded


def _earliest(data: bytes, anchors: "tuple[tuple[int, int], ...]") -> int:
    """Where a marker can first start: not before the first of any of its bytes, less its place
    in the marker (each looked for alone, by memchr); nowhere (-1) if one is missing. Source
    files hold the rarer ones (Q, V, Y, -) late or never: half of freqtrade's bytes are skipped."""
    start = 0
    for byte, place in anchors:
        first = data.find(byte)
        if first == -1:
            return -1
        if first - place > start:
            start = first - place
    return start


def key_markers(data: bytes) -> "tuple[bool, bool]":
    """Whether ``data`` holds PRIVATE_KEY_MARKER, and a bare body's (BARE_ED25519_MARKER or
    BARE_RSA_MARKER): the first two found together from where each can first start by walking
    the "Y" both hold (python-binance's client.py holds every byte of both early, and two plain
    searches of it cost three times the walk), the RSA one by walking its "Q"."""
    if len(data) < _ANCHORED_MIN:
        return PRIVATE_KEY_MARKER in data, (BARE_ED25519_MARKER in data or BARE_RSA_MARKER in data)
    private, bare = _armored_or_ed25519(data)
    return private, bare or _has_bare_rsa(data)


def _has_bare_rsa(data: bytes) -> bool:
    start = _earliest(data, _RSA_ANCHORS)
    if start == -1:
        return False
    budget = len(data) >> _RARE_SHIFT
    pos = data.find(_RSA_RARE, start + _RSA_PLACE)
    while pos != -1:
        if data.startswith(BARE_RSA_MARKER, pos - _RSA_PLACE):
            return True
        budget -= 1
        if not budget:  # "Q" is common here after all: every one up to pos was looked at
            return data.find(BARE_RSA_MARKER, pos - _RSA_PLACE + 1) != -1
        pos = data.find(_RSA_RARE, pos + 1)
    return False


def _armored_or_ed25519(data: bytes) -> "tuple[bool, bool]":
    starts = (_earliest(data, _ANCHORS[0]), _earliest(data, _ANCHORS[1]))
    if starts == (-1, -1):  # most files: a byte of each is missing
        return False, False
    found = [False, False]
    pending = [index for index, start in enumerate(starts) if start != -1]
    budget = len(data) >> _RARE_SHIFT
    pos = data.find(_RARE, min((starts[i] + _PLACES[i] for i in pending), default=len(data)))
    while pos != -1 and pending:
        if data.startswith(_NEXT, pos + 1):  # one test for both, before either marker's
            for index in pending:
                start = pos - _PLACES[index]
                found[index] = start >= starts[index] and data.startswith(
                    _KEY_MARKERS[index], start
                )
            pending = [index for index in pending if not found[index]]
        budget -= 1
        if not budget:  # "Y" is common here after all: every one up to pos was looked at
            for index in pending:
                after = max(0, pos - _PLACES[index] + 1)
                found[index] = data.find(_KEY_MARKERS[index], after) != -1
            break
        pos = data.find(_RARE, pos + 1)
    return found[0], found[1]


def has_key_marker(data: bytes) -> bool:
    """An armoured private key's label or a bare Ed25519 or RSA key's body start is in
    ``data``."""
    return any(key_markers(data))


def alnum_runs(data: bytes) -> "list[int]":
    """Start offsets of runs of exactly 64 ASCII alphanumerics."""
    return key_runs(data)[0]


def candidate_runs(data: bytes) -> "tuple[list[int], list[int]] | None":
    """:func:`key_runs` of ``data`` if the scanner could find something in it, else None: a
    caller that scans next hands them on (scan_bytes' ``runs``) instead of finding them twice."""
    runs = key_runs(data)
    if runs[0] or runs[1] or has_key_marker(data) or is_wide_candidate(data):
        return runs
    return None


def is_wide_candidate(data: bytes) -> bool:
    """UTF-16 or UTF-32 text (recognised by its start, as the scanner does) that the scanner
    could find something in."""
    return wide_codec(data) is not None and _has_wide_candidates(data)


def has_candidates(data: bytes) -> bool:
    """False for nearly every clean file; true whenever the scanner could find something
    in a file or blob, UTF-16 text included (recognised by its start, as the scanner does)."""
    return candidate_runs(data) is not None


def patch_has_candidates(patch: bytes) -> bool:
    """:func:`has_candidates` for a staged patch, where a UTF-16 file's lines can come after
    any number of ASCII ones (git diff --text shows them as they are)."""
    if has_key_marker(patch) or any(key_runs(patch)):
        return True
    return b"\0" in patch and _has_wide_candidates(patch)


def _has_wide_candidates(data: bytes) -> bool:
    """UTF-16 holds ASCII characters with a NUL between them, UTF-32 with three. Without the
    NULs (deleted by the same translate), a key is a run of 64 or more alphanumerics (more
    when a neighbouring non-ASCII character's byte is one)."""
    return any(m in data for m in WIDE_MARKERS) or ALNUM_RUN in data.translate(ALNUM_TABLE, b"\0")


def wide_codec(data: bytes) -> "str | None":
    """The codec of UTF-16 or UTF-32 text (PowerShell 5's ``>`` and Windows editors write
    UTF-16) from its byte-order mark or, without one, from where its NULs are (ASCII-heavy
    text); None for anything else (UTF-8 and binary)."""
    if data.startswith(UTF32_BOMS):  # before UTF-16: FF FE starts both little-endian marks
        return "utf-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # The mark is one code unit: the high bytes follow it at odd offsets (LE), even (BE).
        high = data[3 if data[0] == 0xFF else 2 : BINARY_SNIFF : 2]
        return "utf-16" if high and high.count(0) * 2 >= len(high) else None
    sample = data[:BINARY_SNIFF]
    if b"\0" not in sample:
        return None
    # UTF-32 first (its ASCII has NULs in every other byte too): the top byte of a code unit
    # is always 0, the plane byte nearly always (BMP), the low byte nearly never.
    units = sample[: len(sample) // 4 * 4]
    for codec, top, plane, low in (
        ("utf-32-le", units[3::4], units[2::4], units[0::4]),
        ("utf-32-be", units[0::4], units[1::4], units[3::4]),
    ):
        wide = top and top.count(0) == len(top) and plane.count(0) * 2 >= len(plane)
        if wide and low.count(0) * 100 <= len(low):
            return codec
    for codec, high, low in (
        ("utf-16-le", sample[1::2], sample[0::2]),
        ("utf-16-be", sample[0::2], sample[1::2]),
    ):
        if high and high.count(0) * 2 >= len(high) and low.count(0) * 100 <= len(low):
            return codec
    return None

"""User strings shown escaped: nothing that moves the cursor, colours or reorders text."""

from __future__ import annotations

import doctest
import re

from hypothesis import given
from hypothesis import strategies as st

from qrp_jupyter import safetext
from qrp_jupyter.safetext import shown, terminal_safe

# Every character a terminal or a bidi-aware viewer would act on rather than print.
ACTING = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                    "\ufeff]")


def test_doctests():
    assert doctest.testmod(safetext).failed == 0


@given(st.text())
def test_shown_leaves_no_acting_character_and_keeps_printable_text(s):
    out = shown(s)
    assert ACTING.search(out) is None
    # The printable text survives in order (escapes are only added around it).
    it = iter(out)
    assert all(ch in it for ch in ACTING.sub("", s))


@given(st.text())
def test_terminal_safe_keeps_only_newlines_and_tabs(s):
    out = terminal_safe(s)
    assert {m.group() for m in ACTING.finditer(out)} <= {"\n", "\t"}
    assert out.count("\n") == s.count("\n") and out.count("\t") == s.count("\t")


def test_the_escapes_name_the_character():
    assert shown("a\nb\r\tc\x1b[2J\x9b\u202e") == "a\\nb\\r\\tc\\x1b[2J\\x9b\\u202e"
    assert shown(None) == "None" and shown(3) == "3"

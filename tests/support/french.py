"""English left in a French page or output: words a French sentence never has, once people's
names, addresses, URLs, commands and MailChimp's own (English) screen names are taken out."""

from __future__ import annotations

import html
import re

# Words a French sentence never has, but nearly every English one does.
ENGLISH = re.compile(
    r"\b(the|was|were|and|your|has|have|been|with|this|that|is|are|of|to|from|by|will|would|"
    r"not|no|nothing|please|sync|added|updated|skipped|refused|unsubscribed|cleaned|now)\b",
    re.IGNORECASE,
)
NOT_SENTENCES = [
    r"<style>.*?</style>",
    r"<[^>]+>",  # tags and their attributes (a code in a title attribute is not shown)
    r"«[^»]*»",  # what people named: an account, a client's first name
    r"“[^”]*”",
    r"`[^`]*`",  # a command to type
    r"\S+@\S+",  # an address
    r"https?://\S+",
    r"Audience → Settings → Webhooks",  # MailChimp's own screens, in its English
    r"Settings → Audience fields and \*\|MERGE\|\* tags",
]


def english_in(page: str) -> list[str]:
    text = page
    for pattern in NOT_SENTENCES[:2]:
        text = re.sub(pattern, " ", text, flags=re.DOTALL)
    text = html.unescape(text)
    for pattern in NOT_SENTENCES[2:]:
        text = re.sub(pattern, " ", text)
    return [text[max(0, m.start() - 40) : m.end() + 40].strip() for m in ENGLISH.finditer(text)]

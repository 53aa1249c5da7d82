"""Texts translated when they are shown, in the language of whoever reads them.

A :class:`Message` is written in the code (its English text is the msgid); a
:class:`LocalText` comes from data (a checklist template, a stored record) that
carries its own wording per language. Both answer ``get(lang)``; a language they
lack falls back to the catalog, then to English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from inspector.i18n.catalogs import SOURCE_LANGUAGE, gettext, ngettext


@runtime_checkable
class Localized(Protocol):
    """Anything that can be said in a given language."""

    def get(self, lang: str) -> str: ...


@dataclass(frozen=True)
class Message:
    """A sentence of the product, by its English text, with its ``{fields}`` if bound."""

    msgid: str
    values: tuple[tuple[str, object], ...] = field(default=(), compare=True)

    def bind(self, **values: object) -> Message:
        """This message with its ``{name}`` fields filled in when it is shown."""
        return Message(self.msgid, (*self.values, *values.items()))

    def get(self, lang: str) -> str:
        text = gettext(lang, self.msgid)
        return text.format(**dict(self.values)) if self.values else text

    def __str__(self) -> str:
        return self.get(SOURCE_LANGUAGE)


@dataclass(frozen=True)
class Plural:
    """A counted sentence: its singular and plural English forms; ``{n}`` is the count."""

    singular: str
    plural: str

    def get(self, lang: str, n: int, **values: object) -> str:
        return ngettext(lang, self.singular, self.plural, n).format(n=n, **values)


@dataclass(frozen=True)
class LocalText:
    """A text given per language by data; English is required, the rest optional."""

    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> LocalText:
        if SOURCE_LANGUAGE not in texts:
            raise ValueError("a text needs its English wording")
        return cls(tuple(sorted(texts.items())))

    @property
    def by_language(self) -> dict[str, str]:
        return dict(self.texts)

    @property
    def en(self) -> str:
        return self.by_language[SOURCE_LANGUAGE]

    def get(self, lang: str) -> str:
        """Its wording in ``lang``; else the catalog's translation of the English; else English."""
        own = self.by_language
        found = own.get(lang) or own.get(lang.replace("-", "_").split("_")[0])
        return found if found else gettext(lang, own[SOURCE_LANGUAGE])

    def map(self, change: Callable[[str], str]) -> LocalText:
        """The same text with ``change`` applied to its wording in every language."""
        return LocalText(tuple((k, change(v)) for k, v in self.texts))


def stored_text(texts: Mapping[str, str]) -> Message | LocalText:
    """A text read back from a record that stored its wording per language.

    When the wording is the catalog's, it becomes that catalog message again, so
    a language added later speaks it too; otherwise (a message with fields
    filled in, or worded by an older release) the stored words are kept.
    """
    message = Message(texts[SOURCE_LANGUAGE])
    if all(message.get(lang) == wording for lang, wording in texts.items()):
        return message
    return LocalText.of(texts)

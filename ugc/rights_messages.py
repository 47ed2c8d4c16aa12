"""The words of a rights request: templates per language, several variants each so
the same text is not posted again and again (platforms flag repeated comments as
spam), and a guess of the creator's language from the caption.

Pure functions: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

DEFAULT_LANGUAGE = "en"

# Each variant names {handle}, {brand}, {hashtag} and {terms_url}.
TEMPLATES: dict[str, list[str]] = {
    "en": [
        "Hi {handle}! We love this post and would like to feature it on {brand}'s "
        "website. If you agree, please reply with {hashtag}. Our terms: {terms_url}",
        "{handle}, this is a great shot! May {brand} share it with our customers? "
        "Reply {hashtag} to say yes (terms: {terms_url}).",
        "Thank you for this, {handle}! {brand} would be proud to show it. Reply with "
        "{hashtag} if that's OK with you. Terms: {terms_url}",
    ],
    "fr": [
        "Bonjour {handle} ! Nous adorons ce post et aimerions le partager sur le site de "
        "{brand}. Si vous êtes d'accord, répondez {hashtag}. Nos conditions : {terms_url}",
        "{handle}, superbe photo ! {brand} peut-elle la montrer à ses clients ? Répondez "
        "{hashtag} pour accepter (conditions : {terms_url}).",
        "Merci {handle} ! {brand} serait ravie de la mettre en avant. Répondez {hashtag} "
        "si vous êtes d'accord. Conditions : {terms_url}",
    ],
    "de": [
        "Hallo {handle}! Wir lieben diesen Beitrag und würden ihn gern auf der Website "
        "von {brand} zeigen. Wenn du einverstanden bist, antworte mit {hashtag}. "
        "Bedingungen: {terms_url}",
        "{handle}, tolles Foto! Darf {brand} es mit unseren Kunden teilen? Antworte "
        "{hashtag}, um zuzustimmen (Bedingungen: {terms_url}).",
        "Danke, {handle}! {brand} würde es gern zeigen. Antworte mit {hashtag}, wenn das "
        "für dich in Ordnung ist. Bedingungen: {terms_url}",
    ],
    "es": [
        "¡Hola {handle}! Nos encanta esta publicación y nos gustaría mostrarla en la web "
        "de {brand}. Si estás de acuerdo, responde con {hashtag}. Condiciones: {terms_url}",
        "{handle}, ¡qué buena foto! ¿Podemos compartirla en {brand}? Responde {hashtag} "
        "para aceptar (condiciones: {terms_url}).",
        "¡Gracias, {handle}! En {brand} nos encantaría mostrarla. Responde con {hashtag} "
        "si te parece bien. Condiciones: {terms_url}",
    ],
    "it": [
        "Ciao {handle}! Adoriamo questo post e vorremmo mostrarlo sul sito di {brand}. "
        "Se sei d'accordo, rispondi con {hashtag}. Condizioni: {terms_url}",
        "{handle}, foto bellissima! {brand} può condividerla con i suoi clienti? "
        "Rispondi {hashtag} per accettare (condizioni: {terms_url}).",
        "Grazie, {handle}! {brand} sarebbe felice di mostrarla. Rispondi con {hashtag} "
        "se per te va bene. Condizioni: {terms_url}",
    ],
}

# Short, frequent words that tell these languages apart in a caption.
MARKER_WORDS = {
    "en": "the and with my this is for of to in love it you so just new our",
    "fr": "le la les et avec mon ma mes est pour des une un du sur je très nouveau",
    "de": "der die das und mit mein meine ist für ein eine ich nicht auf sehr neue",
    "es": "el la los las y con mi mis es para una un del por muy nuevo que",
    "it": "il lo la gli e con mio mia è per una un del che molto nuovo sono",
}
MARKERS: dict[str, frozenset[str]] = {
    lang: frozenset(re.findall(r"\S+", words)) for lang, words in MARKER_WORDS.items()
}
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Strip what is not prose: hashtags, mentions, links.
NOT_PROSE = re.compile(r"https?://\S+|[#@]\w+", re.UNICODE)


def guess_language(caption: str, known: str = "") -> str:
    """The caption's language among TEMPLATES: the one the platform gave when it is one
    of them, else the language whose frequent words the caption uses most; English
    when nothing tells."""
    primary = (known or "").split("-")[0].lower()
    if primary in TEMPLATES:
        return primary
    words = [w.casefold() for w in WORD.findall(NOT_PROSE.sub(" ", caption or "")[:5000])]
    scores = {lang: sum(w in markers for w in words) for lang, markers in MARKERS.items()}
    best = max(scores, key=lambda lang: (scores[lang], lang == DEFAULT_LANGUAGE))
    return best if scores[best] > 0 else DEFAULT_LANGUAGE


def next_variant(language: str, last_used: Mapping[int, object]) -> int:
    """The variant to send next: one never used, else the one used longest ago.
    `last_used` maps a variant number to when it was last sent (comparable)."""
    count = len(TEMPLATES[language])
    unused = [n for n in range(count) if n not in last_used]
    if unused:
        return unused[0]
    return min(range(count), key=lambda n: last_used[n])


def render(language: str, variant: int, **values: str) -> str:
    return TEMPLATES[language][variant].format(**values).strip()


def languages() -> Iterable[str]:
    return TEMPLATES.keys()

"""Validate and normalize what a student typed before it reaches the retrievers.

Students write "BN", "lr", "w2v", "bce"; the articles spell things out. Known abbreviations
are expanded *in addition to* the original token so both the keyword and the dense retriever
see the full term. Markdown markup is stripped (chat mention syntax is the front end's to remove).
"""

from __future__ import annotations

import re

from tools.errors import UserInputError

MAX_QUERY_CHARS = 1_000

ABBREVIATIONS: dict[str, str] = {
    "bn": "batch normalization",
    "batchnorm": "batch normalization",
    "batch-norm": "batch normalization",
    "ln": "layer normalization",
    "ics": "internal covariate shift",
    "lr": "learning rate",
    "logreg": "logistic regression",
    "bce": "binary cross-entropy",
    "fl": "focal loss",
    "mlm": "masked language model",
    "nsp": "next sentence prediction",
    "gn": "group normalization",
    "ce": "cross-entropy",
    "w2v": "word2vec",
    "hp": "hyperparameter",
    "hparams": "hyperparameters",
    "hyperparams": "hyperparameters",
    "hpo": "hyperparameter optimization",
    "gd": "gradient descent",
    "sgd": "stochastic gradient descent",
    "tpr": "true positive rate recall",
    "fpr": "false positive rate",
    "ppv": "precision",
    "auc": "area under the curve",
    "pr": "precision recall",
    "cnn": "convolutional neural network",
    "cv": "cross-validation",
    "relus": "relu",
    "nan": "nan exploding",
    # chat shorthand for ordinary ML words ("train acc 99%, val acc 70%")
    "acc": "accuracy",
    "val": "validation",
    "params": "parameters",
    "init": "initialization",
    "wd": "weight decay",
    "aug": "augmentation",
    "grad": "gradient",
    "grads": "gradients",
    "preds": "predictions",
    "prob": "probability",
    "probs": "probabilities",
    "thresh": "threshold",
    "emb": "embedding",
    "embs": "embeddings",
    "img": "image",
    "imgs": "images",
    "nn": "neural network",
}
# Terms whose words have an everyday sense ("running" is also a sport) but which, in a question to
# an ML tutor, name one of our subjects: read with the subject's name as well, unless the question
# names another method that has the same term (Adam keeps running means too).
TERMS: tuple[tuple[re.Pattern[str], str, re.Pattern[str]], ...] = (
    (re.compile(r"\brunning[ _-]?(?:mean|average|avg|var(?:iance)?|stat(?:istic)?s?)\b", re.IGNORECASE),
     "batch normalization running statistics",
     re.compile(r"\b(?:adam|adamw|rmsprop|optimi[sz]er|ema of (?:the )?weights|polyak)\b", re.IGNORECASE)),
)

_MARKUP = re.compile(r"[`*_~|<>@]+")  # Markdown, stray @ and <> (front ends drop mention syntax)
# A subscript is notation, not markup: "p_t", "α_t", "x_i" keep their underscore (the written
# answers spell them that way, and "p t" embeds as nothing in particular).
_SUBSCRIPT = re.compile(r"(?<![A-Za-z0-9_])([A-Za-zα-ωΑ-Ω]{1,5})_(\{?[A-Za-z0-9]\}?)(?![A-Za-z0-9_])")
_KEPT = "\x00"


def strip_markup(text: str) -> str:
    protected = _SUBSCRIPT.sub(lambda m: f"{m.group(1)}{_KEPT}{m.group(2)}", text)
    return _MARKUP.sub(" ", protected).replace(_KEPT, "_")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def validate_query(raw: str | None, what: str = "question") -> str:
    """The stripped query, or :class:`UserInputError` if empty or too long."""
    text = (raw or "").strip()
    if not text:
        raise UserInputError(f"empty {what}: type a {what} in plain words, e.g. \"why does ReLU help?\"")
    if len(text) > MAX_QUERY_CHARS:
        raise UserInputError(
            f"{what} too long ({len(text):,} characters): keep it under {MAX_QUERY_CHARS:,} characters"
        )
    return text


_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def split_identifier(word: str) -> str | None:
    """``GridSearchCV`` → ``grid search cv``; ``BatchNorm1d`` → ``batch norm 1 d``; None for plain
    words and short acronyms like ``ReLU``."""
    parts = _CAMEL_PART.findall(word)
    # at least two real words inside (not "ReLU" → "re lu", not "iPhone")
    if sum(len(p) >= 3 for p in parts) < 2 or not any(c.isupper() for c in word[1:]):
        return None
    return " ".join(p.lower() for p in parts)


def normalize_query(raw: str) -> str:
    text = strip_markup(raw)
    extra = [words for term, words, other in TERMS if term.search(text) and not other.search(text)
             and words not in text.lower()]
    inline: dict[str, str] = {}
    for word in _WORD.findall(text):
        expansion = ABBREVIATIONS.get(word.lower())
        if expansion and expansion not in text.lower() and not any(expansion in e for e in extra):
            inline[word] = expansion
        pieces = split_identifier(word)  # library names: StandardScaler, BCEWithLogitsLoss
        if pieces:
            extra.append(pieces)
            extra += [ABBREVIATIONS[p] for p in pieces.split() if p in ABBREVIATIONS]
    # an abbreviation is spelled out where it stands ("is ics a myth" → "is internal covariate
    # shift (ics) a myth"), so the question reads as the student meant it
    for word, expansion in inline.items():
        text = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", f"{expansion} ({word})", text, count=1)
    text = " ".join(text.split())
    if extra:
        text = f"{text} ({'; '.join(dict.fromkeys(extra))})"
    return text


_SMALL_TALK = {
    "hi", "hello", "hey", "heya", "yo", "sup", "hiya", "thanks", "thank", "you", "thx", "ty", "ok", "okay",
    "cool", "nice", "great", "lol", "bye", "gm", "gn", "good", "morning", "evening", "night", "please",
    "bot", "tutor", "there", "anyone", "help", "me", "awesome", "wow", "a", "lot", "so", "much",
}


def is_small_talk(text: str) -> bool:
    """Greetings, thanks, emoji or punctuation only: nothing to look up."""
    words = [w.lower() for w in _WORD.findall(text)]
    return all(w in _SMALL_TALK for w in words)

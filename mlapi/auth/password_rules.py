"""The rule every new password follows (SPEC §4, register and password change): 10 to 128
characters, and not easy to guess.

"Easy to guess" is zxcvbn's estimate (score 0-4, computed offline from its lists of common
passwords, names, words and keyboard patterns), with the account's username, email address
and the address's local part as known words: "alice-2026-pass" scores low for alice.
"""

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_SCORE = 3  # zxcvbn: 3 "safely unguessable", 4 "very unguessable"
LENGTH_RULE = f"Use {MIN_LENGTH} to {MAX_LENGTH} characters."
TOO_EASY = "Too easy to guess."
BUILT_ON_NAMES = "It is built on your username or email address."


def known_words(username: str | None, email: str | None) -> list[str]:
    """What an attacker who targets this account knows: its names."""
    words = [username or "", email or "", (email or "").partition("@")[0]]
    return [word for word in dict.fromkeys(words) if word]


def weakness(password: str, *, username: str | None, email: str | None) -> str | None:
    """Why ``password`` may not be the account's, in plain words (never the password
    itself), or None when it may."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return LENGTH_RULE
    # zxcvbn refuses more than 72 characters unless told (its cost grows with the length);
    # the length is checked first, so it never scores more than MAX_LENGTH.
    result = zxcvbn(password, user_inputs=known_words(username, email), max_length=MAX_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    names = any(part.get("dictionary_name") == "user_inputs" for part in result["sequence"])
    reasons = [
        TOO_EASY,
        BUILT_ON_NAMES if names else "",
        feedback.get("warning") or "",
        *feedback.get("suggestions", []),
    ]
    return " ".join(_sentence(reason) for reason in reasons if reason)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."

"""Who got an answer: the person of the scenario whose session the request carried.

A When step hands its answer to the Then steps by name (``target_fixture="answer"``); a
Then step that names a person ("Bob is told …") checks that the answer it reads is the one
that person got, so a product owner who changes the name changes what is checked.
"""


def recipient(conversation, answer) -> str | None:
    """The person whose session token the request carried; None for an anonymous one."""
    sent = answer.request.headers.get("Authorization")
    return next((name for (name, _device), tokens in conversation.sessions.items()
                 if sent == f"Bearer {tokens.access}"), None)


def answer_to(conversation, answer, name: str):
    """The answer, once it is checked to be the one ``name`` got."""
    got_it = recipient(conversation, answer)
    assert got_it == name, f"this answer was given to {got_it or 'nobody signed in'}, not {name}"
    return answer

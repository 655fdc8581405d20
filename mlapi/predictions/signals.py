"""What the predictions domain tells the layers above it (blinker signals, sent by the app).

- ``feedback_given``: sent inside the feedback's transaction, after a flush and before the
  commit, with ``owner_id`` (the prediction's owner) and ``data`` (the feedback's record as
  the API shows it, and the prediction's ``model_id``: a dict of primitives). A receiver may
  only add rows to the session, so they are committed with the feedback or not at all.
"""

from blinker import Namespace

signals = Namespace()
feedback_given = signals.signal("feedback-given")

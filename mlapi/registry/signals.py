"""What the registry tells the layers above it (blinker signals, sent by the app).

- ``model_created``, ``model_deleted``, ``model_alias_moved``: sent inside the change's
  transaction, after a flush and before the commit, with ``owner_id``, ``team_id`` (None for
  a user's model) and ``data`` (the model's record as the API shows it, or for an alias
  move ``{alias, full_name, version, model_id, previous_version}``: a dict of primitives).
  A receiver may only add rows to the session, so they are committed with the change or
  rolled back with it (``mlapi.webhooks.events``).
- ``model_retired``: sent once a deletion is committed, with ``model_id``: what a process
  keeps of the model (cached answers, ``mlapi.predictions.state``) can go.
"""

from blinker import Namespace

signals = Namespace()
model_created = signals.signal("model-created")
model_deleted = signals.signal("model-deleted")
model_alias_moved = signals.signal("model-alias-moved")
model_retired = signals.signal("model-retired")

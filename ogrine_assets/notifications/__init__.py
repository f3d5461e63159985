"""Notifications: each publication of the forecast told to Discord-compatible webhooks.

Who is told (``subscribers.py``), what they read, in their language (``message.py``), how a
message is posted and retried within one deadline (``delivery.py``), what each webhook
answered last (``records.py``), the rules that tie them together for one publication
(``notifier.py``) and how ``ogrine subscribers`` shows them (``listing.py``). A webhook URL
is a secret: only ``secrecy.py``'s redacted form of it leaves this package. Nothing here
imports Dagster: the ``notification`` asset (``defs/serving/notification.py``) runs it.
docs/notifications.md is the user's side of it.
"""
